/* deploy/journal.c: batches written in one go (their lines exactly json_dumps' bytes with
 * the seq in its sorted place), the group commit (journal_wait flushes once for everything
 * appended before it, durable never runs ahead of a flush, threads appending and waiting
 * at once), a batch torn by a kill read back as its complete lines, an entry that cannot
 * be encoded refused with nothing written, and clearing.  Real files in a temp folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/journal.h"
#include "tests/unit/tmpdir.h"

static char dir[64];
static char jpath[128];
static char err[1024];

static int setup(void **state) {
  (void)state;
  assert_true(tmpdir_make(dir, sizeof dir, "platc-journal"));
  snprintf(jpath, sizeof jpath, "%s/journal", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  assert_true(tmpdir_remove(dir));
  return 0;
}

static char *slurp(size_t *len) {
  FILE *f = fopen(jpath, "rb");
  assert_non_null(f);
  static char buf[1 << 16];
  *len = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[*len] = '\0';
  return buf;
}

static json_t *entry(const char *op, const char *addr) {
  return json_pack("{s:s, s:s, s:s, s:{s:s, s:[i, b]}}", "phase", "begin", "op", op,
                   "address", addr, "inputs", "path", "a\"b\n", "list", 1, 1);
}

static void test_batch_one_write_sorted_seq(void **state) {
  (void)state;
  Journal j;
  assert_true(journal_open(&j, jpath, 40, err, sizeof err));
  json_t *es[4] = { entry("create", "a"), entry("delete", "b"), json_object(),
                    json_pack("{s:s, s:i}", "zz", "after", "seq", 999) };
  uint64_t first = 0;
  assert_true(journal_add(&j, es, 4, &first, err, sizeof err));
  assert_int_equal(first, 40);
  assert_int_equal(j.seq, 44);
  /* Written, not flushed. */
  assert_int_equal(journal_durable(&j), 40);
  assert_int_equal(j.nsyncs, 0);
  /* Each line is json_dumps of the entry with its seq (the entry's own "seq" replaced). */
  size_t len;
  char *text = slurp(&len);
  char *p = text;
  for (int i = 0; i < 4; i++) {
    json_t *want = json_deep_copy(es[i]);
    json_object_set_new(want, "seq", json_integer(40 + i));
    char *line = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
    char *nl = strchr(p, '\n');
    assert_non_null(nl);
    *nl = '\0';
    assert_string_equal(p, line);
    p = nl + 1;
    free(line);
    json_decref(want);
    /* The objects themselves are left as they were. */
    assert_true(i == 3 || !json_object_get(es[i], "seq"));
  }
  assert_int_equal(*p, '\0');
  for (int i = 0; i < 4; i++)
    json_decref(es[i]);
  journal_close(&j);
}

static void test_group_commit(void **state) {
  (void)state;
  Journal j;
  assert_true(journal_open(&j, jpath, 0, err, sizeof err));
  /* Nothing appended: nothing to flush. */
  assert_true(journal_sync(&j, err, sizeof err));
  assert_int_equal(j.nsyncs, 0);
  json_t *es[8];
  for (int i = 0; i < 8; i++)
    es[i] = entry("create", "x");
  uint64_t first;
  assert_true(journal_add(&j, es, 5, &first, err, sizeof err));
  assert_true(journal_add(&j, es + 5, 3, NULL, err, sizeof err));
  assert_int_equal(journal_durable(&j), 0);
  /* Waiting for the first entry flushes everything written before the flush began. */
  assert_true(journal_wait(&j, first, err, sizeof err));
  assert_int_equal(j.nsyncs, 1);
  assert_int_equal(journal_durable(&j), 8);
  assert_true(journal_wait(&j, 7, err, sizeof err));
  assert_true(journal_sync(&j, err, sizeof err));
  assert_int_equal(j.nsyncs, 1);
  /* journal_append adds the seq to the object and flushes. */
  assert_true(journal_append(&j, es[0], err, sizeof err));
  assert_int_equal(json_integer_value(json_object_get(es[0], "seq")), 8);
  assert_int_equal(journal_durable(&j), 9);
  assert_int_equal(j.nsyncs, 2);
  assert_true(journal_append_nosync(&j, es[1], err, sizeof err));
  assert_int_equal(journal_durable(&j), 9);
  /* A seq not appended yet waits for what is appended, and returns. */
  assert_true(journal_wait(&j, 1000, err, sizeof err));
  assert_int_equal(journal_durable(&j), 10);
  for (int i = 0; i < 8; i++)
    json_decref(es[i]);
  /* Cleared: empty on disk, the seqs go on. */
  assert_true(journal_clear(&j, err, sizeof err));
  struct stat sb;
  assert_int_equal(stat(jpath, &sb), 0);
  assert_int_equal(sb.st_size, 0);
  json_t *e = entry("update", "y");
  assert_true(journal_append(&j, e, err, sizeof err));
  assert_int_equal(json_integer_value(json_object_get(e, "seq")), 10);
  json_decref(e);
  journal_close(&j);
  journal_close(&j);   /* twice is harmless */
}

/* Threads append batches and wait for their own entries: each must find the entry
 * durable on return, and the whole file must hold every seq once, in order. */
typedef struct Writer {
  Journal *j;
  int id;
  bool bad;
} Writer;

static void *writer(void *arg) {
  Writer *w = arg;
  for (int round = 0; round < 50; round++) {
    json_t *es[3];
    for (int i = 0; i < 3; i++)
      es[i] = json_pack("{s:i, s:i, s:i}", "writer", w->id, "round", round, "i", i);
    uint64_t first;
    char e[256];
    if (!journal_add(w->j, es, 3, &first, e, sizeof e) ||
        !journal_wait(w->j, first + 2, e, sizeof e) || journal_durable(w->j) <= first + 2)
      w->bad = true;
    for (int i = 0; i < 3; i++)
      json_decref(es[i]);
  }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  Journal j;
  assert_true(journal_open(&j, jpath, 0, err, sizeof err));
  pthread_t th[4];
  Writer ws[4];
  for (int i = 0; i < 4; i++) {
    ws[i] = (Writer){ &j, i, false };
    pthread_create(&th[i], NULL, writer, &ws[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_false(ws[i].bad);
  }
  assert_int_equal(journal_durable(&j), 600);
  assert_true(j.nsyncs >= 1 && j.nsyncs <= 200);
  journal_close(&j);
  json_t *all;
  bool torn;
  assert_true(journal_read(jpath, &all, &torn, err, sizeof err));
  assert_false(torn);
  assert_int_equal(json_array_size(all), 600);
  /* A batch's lines are together: i = 0, 1, 2 of one writer's round. */
  for (size_t k = 0; k < 600; k++) {
    json_t *e = json_array_get(all, k);
    assert_int_equal(json_integer_value(json_object_get(e, "seq")), k);
    assert_int_equal(json_integer_value(json_object_get(e, "i")), k % 3);
  }
  json_decref(all);
}

/* A kill in the middle of a batch's write leaves its first lines and a prefix of the next:
 * read back as the complete lines, the torn one dropped. */
static void test_torn_batch(void **state) {
  (void)state;
  Journal j;
  assert_true(journal_open(&j, jpath, 0, err, sizeof err));
  json_t *es[3] = { entry("create", "a"), entry("create", "b"), entry("create", "c") };
  assert_true(journal_add(&j, es, 3, NULL, err, sizeof err));
  journal_close(&j);
  for (int i = 0; i < 3; i++)
    json_decref(es[i]);
  size_t len;
  char *text = slurp(&len);
  char *second_nl = strchr(strchr(text, '\n') + 1, '\n');
  for (size_t cut = (size_t)(second_nl - text) + 1; cut < len; cut += 7) {
    assert_int_equal(truncate(jpath, (off_t)cut), 0);
    json_t *got;
    bool torn;
    assert_true(journal_read(jpath, &got, &torn, err, sizeof err));
    assert_int_equal(json_array_size(got), 2);
    assert_true(torn || cut == (size_t)(second_nl - text) + 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 1), "address")),
                        "b");
    json_decref(got);
    /* the file is cut further each round: rewrite it whole */
    FILE *f = fopen(jpath, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
  }
}

static void test_unencodable_writes_nothing(void **state) {
  (void)state;
  Journal j;
  assert_true(journal_open(&j, jpath, 3, err, sizeof err));
  json_t *bad = json_object();
  json_object_setn_new_nocheck(bad, "k\xff", 2, json_true());
  json_t *es[3] = { entry("create", "a"), bad, json_string("not an object") };
  uint64_t first = 77;
  assert_false(journal_add(&j, es, 2, &first, err, sizeof err));
  assert_non_null(strstr(err, "cannot encode a journal entry"));
  assert_false(journal_add(&j, es + 2, 1, &first, err, sizeof err));
  assert_int_equal(j.seq, 3);
  assert_false(j.failed);
  struct stat sb;
  assert_int_equal(stat(jpath, &sb), 0);
  assert_int_equal(sb.st_size, 0);
  /* The journal still works. */
  assert_true(journal_add(&j, es, 1, &first, err, sizeof err));
  assert_int_equal(first, 3);
  for (int i = 0; i < 3; i++)
    json_decref(es[i]);
  journal_close(&j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_batch_one_write_sorted_seq, setup, teardown),
    cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
    cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    cmocka_unit_test_setup_teardown(test_torn_batch, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unencodable_writes_nothing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
