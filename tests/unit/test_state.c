/* deploy/: state files (strict load, atomic deterministic save, secrets sealed), AES-GCM
 * sealing bound to its place, the stack lock (held, stale, other host, forced) and the
 * journal (torn last line, corruption).  Everything against real files in a temp folder. */
#define _GNU_SOURCE   /* O_TMPFILE, to see whether the test folder has it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deploy/crypt.h"
#include "deploy/journal.h"
#include "deploy/jsonr.h"
#include "deploy/jsonw.h"
#include "deploy/lock.h"
#include "deploy/state.h"
#include "tests/unit/tmpdir.h"

static char dir[64];
static char err[1024];

static int setup(void **state) {
  (void)state;
  assert_true(tmpdir_make(dir, sizeof dir, "platc-state"));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  assert_true(tmpdir_remove(dir));
  return 0;
}

static char *path(const char *name) {
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static char *slurp(const char *p, size_t *len) {
  FILE *f = fopen(p, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  size_t got = fread(b, 1, (size_t)n, f);
  fclose(f);
  b[got] = '\0';
  if (len)
    *len = got;
  return b;
}

static void spit(const char *p, const char *text) {
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void key_from_file(CryptKey *k) {
  assert_true(crypt_key_load(k, NULL, path("salt"), path("key"), NULL, err, sizeof err));
}

/* ---- crypt -------------------------------------------------------------------------- */
static void test_seal_roundtrip_and_binding(void **state) {
  (void)state;
  CryptKey k;
  key_from_file(&k);
  struct stat sb;
  assert_int_equal(stat(path("key"), &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
  assert_int_equal(sb.st_size, CRYPT_KEY_BYTES);
  char *s = crypt_seal(&k, "here", "hunter2", 7);
  assert_non_null(s);
  assert_true(crypt_is_sealed(s));
  assert_null(strstr(s, "hunter2"));
  size_t len = 0;
  char *p = crypt_open(&k, "here", s, &len, err, sizeof err);
  assert_non_null(p);
  assert_int_equal(len, 7);
  assert_string_equal(p, "hunter2");
  free(p);
  /* Bound to its place: another address does not open it. */
  assert_null(crypt_open(&k, "there", s, &len, err, sizeof err));
  assert_non_null(strstr(err, "does not decrypt"));
  /* Tampered: one character changed. */
  char *t = strdup(s);
  t[10] = t[10] == 'A' ? 'B' : 'A';
  assert_null(crypt_open(&k, "here", t, &len, err, sizeof err));
  /* Malformed. */
  assert_null(crypt_open(&k, "here", "v1:@@", &len, err, sizeof err));
  assert_null(crypt_open(&k, "here", "plain", &len, err, sizeof err));
  /* The same key file gives the same key. */
  CryptKey k2;
  key_from_file(&k2);
  assert_memory_equal(k.k, k2.k, CRYPT_KEY_BYTES);
  free(s);
  free(t);
}

static bool key_with(CryptKey *k, const char *pass, const char *salt, const CryptKey *known) {
  return crypt_key_load(k, pass, path(salt), path("key"), known, err, sizeof err);
}

static void test_passphrase_key(void **state) {
  (void)state;
  CryptKey a, b, c;
  assert_true(key_with(&a, "correct horse", "salt", NULL));
  assert_true(a.from_passphrase);
  assert_true(key_with(&b, "correct horse", "salt", NULL));
  assert_memory_equal(a.k, b.k, CRYPT_KEY_BYTES);
  assert_true(key_with(&c, "wrong horse", "salt", NULL));
  assert_memory_not_equal(a.k, c.k, CRYPT_KEY_BYTES);
  assert_int_equal(access(path("key"), F_OK), -1);   /* no key file in passphrase mode */
  spit(path("badkey"), "short");
  CryptKey d;
  assert_false(crypt_key_load(&d, NULL, path("salt"), path("badkey"), NULL, err, sizeof err));
  assert_non_null(strstr(err, "malformed key file"));
}

/* A key derived earlier stands for a new derivation only from the same passphrase and
 * salt.  [marked] is a's key with one bit changed, so a result equal to it was taken, not
 * derived. */
static void test_passphrase_key_known(void **state) {
  (void)state;
  CryptKey a, marked, got, other;
  assert_true(key_with(&a, "correct horse", "salt", NULL));
  marked = a;
  marked.k[0] ^= 1;
  assert_true(key_with(&got, "correct horse", "salt", &marked));
  assert_memory_equal(got.k, marked.k, CRYPT_KEY_BYTES);
  assert_true(got.from_passphrase);
  /* another passphrase: derived */
  assert_true(key_with(&other, "wrong horse", "salt", NULL));
  assert_true(key_with(&got, "wrong horse", "salt", &marked));
  assert_memory_equal(got.k, other.k, CRYPT_KEY_BYTES);
  /* another salt (the stack's salt file replaced): derived */
  assert_true(key_with(&other, "correct horse", "salt2", NULL));
  assert_memory_not_equal(other.k, a.k, CRYPT_KEY_BYTES);
  assert_true(key_with(&got, "correct horse", "salt2", &marked));
  assert_memory_equal(got.k, other.k, CRYPT_KEY_BYTES);
  /* a key from a key file is never taken for a passphrase's */
  CryptKey filekey;
  key_from_file(&filekey);
  assert_true(key_with(&got, "correct horse", "salt", &filekey));
  assert_memory_equal(got.k, a.k, CRYPT_KEY_BYTES);
  /* and a known passphrase key is not taken without a passphrase */
  CryptKey again;
  key_from_file(&again);
  CryptKey viafile;
  assert_true(crypt_key_load(&viafile, NULL, path("salt"), path("key"), &marked, err, sizeof err));
  assert_memory_equal(viafile.k, again.k, CRYPT_KEY_BYTES);
}

static void die_now(void) {
  raise(SIGKILL);
}

/* A first run killed while making the key (or salt) file: with O_TMPFILE it leaves no file,
 * and the next run makes a whole one.  The fallback (O_EXCL, then write) leaves an empty
 * file there; it is the way only where the file system has no O_TMPFILE. */
static void test_key_file_made_whole(void **state) {
  (void)state;
  int probe = open(path(""), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (probe >= 0)
    close(probe);
  else
    fprintf(stderr, "note: %s has no O_TMPFILE: only the fallback is tested\n", path(""));
  for (int mode = 0; mode < 3; mode++) {
    bool passphrase = mode == 1, fallback = mode == 2;
    if (!fallback && probe < 0)
      continue;
    const char *name = passphrase ? "salt" : "key";
    size_t size = passphrase ? CRYPT_SALT_BYTES : CRYPT_KEY_BYTES;
    unlink(path(name));
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      crypt_hook_making = die_now;
      crypt_no_tmpfile = fallback;
      CryptKey k;
      (void)crypt_key_load(&k, passphrase ? "pw" : NULL, path("salt"), path("key"), NULL, err,
                           sizeof err);
      _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    struct stat sb;
    if (fallback) {   /* what the O_TMPFILE way avoids */
      assert_int_equal(stat(path(name), &sb), 0);
      assert_int_equal(sb.st_size, 0);
      continue;
    }
    assert_int_equal(access(path(name), F_OK), -1);
    CryptKey k;
    assert_true(crypt_key_load(&k, passphrase ? "pw" : NULL, path("salt"), path("key"), NULL,
                               err, sizeof err));
    assert_int_equal(stat(path(name), &sb), 0);
    assert_int_equal(sb.st_size, (off_t)size);
    assert_int_equal(sb.st_mode & 0777, 0600);
  }
  /* the fallback, not killed: a whole file, 0600, read back the same */
  unlink(path("key"));
  crypt_no_tmpfile = true;
  CryptKey a, b;
  assert_true(crypt_key_load(&a, NULL, path("salt"), path("key"), NULL, err, sizeof err));
  crypt_no_tmpfile = false;
  /* and an empty file (a killed first run's, made the fallback way) is refused with a way out */
  spit(path("key0"), "");
  assert_false(crypt_key_load(&b, NULL, path("salt"), path("key0"), NULL, err, sizeof err));
  assert_non_null(strstr(err, "malformed key file (0 bytes, expected 32)"));
  assert_non_null(strstr(err, "remove it"));
  assert_true(crypt_key_load(&b, NULL, path("salt"), path("key"), NULL, err, sizeof err));
  assert_memory_equal(a.k, b.k, CRYPT_KEY_BYTES);
  struct stat sb;
  assert_int_equal(stat(path("key"), &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
}

/* ---- state -------------------------------------------------------------------------- */
static void add_res(State *st, const char *addr, const char *content, bool secret) {
  StateRes r = { 0 };
  r.address = strdup(addr);
  r.type = strdup("local.File");
  r.provider = strdup("local");
  r.id = strdup(addr);
  r.inputs = json_pack("{s:s, s:s}", "path", addr, "content", content);
  r.outputs = json_pack("{s:i}", "size", (int)strlen(content));
  if (secret) {
    r.secret = calloc(1, sizeof(char *));
    r.secret[0] = strdup("inputs.content");
    r.nsecret = 1;
  }
  state_put(st, &r);
}

/* [st]'s only secret root output: [name] = [value]. */
static void secret_output(State *st, const char *name, const char *value) {
  json_object_set_new(st->outputs, name, json_string(value));
  st->secret_outputs = calloc(1, sizeof(char *));
  st->secret_outputs[0] = strdup(name);
  st->nsecret_outputs = 1;
}

/* Stack dev with a plain "zeta" and an "alpha" whose content is secret. */
static void sample_state(State *st) {
  state_init(st, "dev");
  add_res(st, "zeta", "plain text", false);
  add_res(st, "alpha", "s3cr3t-value", true);
}

/* The key file's key and the sample state. */
static void keyed_sample(CryptKey *k, State *st) {
  key_from_file(k);
  sample_state(st);
}

/* [r] depends on alpha and zeta. */
static void alpha_zeta_deps(StateRes *r) {
  r->deps = calloc(2, sizeof *r->deps);
  r->deps[0] = strdup("alpha");
  r->deps[1] = strdup("zeta");
  r->ndeps = 2;
}

static void test_state_roundtrip_secret_sealed(void **state) {
  (void)state;
  CryptKey k;
  State st;
  keyed_sample(&k, &st);
  secret_output(&st, "token", "tok-s3cr3t");
  assert_true(state_save(&st, path("state.json"), &k, err, sizeof err));
  assert_int_equal(st.serial, 1);
  char *text = slurp(path("state.json"), NULL);
  assert_null(strstr(text, "s3cr3t"));
  assert_non_null(strstr(text, "\"$sealed\": \"v1:"));
  assert_non_null(strstr(text, "plain text"));
  /* Sorted: alpha before zeta; no temp file left behind. */
  assert_true(strstr(text, "\"alpha\"") < strstr(text, "\"zeta\""));
  assert_int_equal(access(path("state.json.tmp"), F_OK), -1);
  State back;
  bool exists = false;
  assert_true(state_load(&back, path("state.json"), "dev", &k, &exists, err, sizeof err));
  assert_true(exists);
  assert_string_equal(back.lineage, st.lineage);
  assert_int_equal(back.serial, 1);
  assert_int_equal(back.nres, 2);
  StateRes *a = state_find(&back, "alpha");
  assert_non_null(a);
  assert_string_equal(json_string_value(json_object_get(a->inputs, "content")), "s3cr3t-value");
  assert_true(state_res_is_secret(a, "inputs.content"));
  assert_false(state_res_is_secret(a, "inputs.path"));
  assert_string_equal(json_string_value(json_object_get(back.outputs, "token")), "tok-s3cr3t");
  /* Without a key the secrets stay sealed, and saving keeps them sealed as they were. */
  State sealed;
  assert_true(state_load(&sealed, path("state.json"), "dev", NULL, &exists, err, sizeof err));
  assert_true(state_find(&sealed, "alpha")->sealed);
  assert_true(state_save(&sealed, path("state2.json"), NULL, err, sizeof err));
  State again;
  assert_true(state_load(&again, path("state2.json"), "dev", &k, &exists, err, sizeof err));
  assert_string_equal(json_string_value(json_object_get(state_find(&again, "alpha")->inputs,
                                                        "content")), "s3cr3t-value");
  /* A plaintext secret cannot be saved without a key. */
  assert_false(state_save(&back, path("state3.json"), NULL, err, sizeof err));
  assert_int_equal(access(path("state3.json"), F_OK), -1);
  free(text);
  state_free(&st);
  state_free(&back);
  state_free(&sealed);
  state_free(&again);
}

static void test_state_missing_is_empty(void **state) {
  (void)state;
  State st;
  bool exists = true;
  assert_true(state_load(&st, path("nope.json"), "dev", NULL, &exists, err, sizeof err));
  assert_false(exists);
  assert_int_equal(st.nres, 0);
  assert_int_equal(strlen(st.lineage), 36);
  state_free(&st);
}

static void expect_refused(const char *text, const char *msg) {
  spit(path("bad.json"), text);
  State st;
  bool exists;
  assert_false(state_load(&st, path("bad.json"), "dev", NULL, &exists, err, sizeof err));
  if (!strstr(err, msg))
    fail_msg("expected '%s' in: %s", msg, err);
  assert_non_null(strstr(err, "left as it is"));
  char *after = slurp(path("bad.json"), NULL);
  assert_string_equal(after, text);           /* untouched */
  free(after);
  state_free(&st);
}

static void test_state_corrupt_refused_untouched(void **state) {
  (void)state;
  expect_refused("{\"format_version\": 1, \"lineage\": \"x\"", "corrupt state: line 1");
  expect_refused("[]", "the top level is not an object");
  expect_refused("{\"format_version\": 2, \"lineage\": \"x\", \"serial\": 1, \"stack\": \"dev\","
                 " \"resources\": []}", "state format 2 is newer than this platc reads (1)");
  expect_refused("{\"format_version\": 1, \"lineage\": \"x\", \"serial\": -1, \"stack\": \"dev\","
                 " \"resources\": []}", "serial: expected a non-negative integer");
  expect_refused("{\"format_version\": 1, \"lineage\": \"x\", \"serial\": 1, \"stack\": \"prod\","
                 " \"resources\": []}", "the state of stack 'prod', not 'dev'");
  expect_refused("{\"format_version\": 1, \"lineage\": \"x\", \"serial\": 1, \"stack\": \"dev\","
                 " \"resources\": [{\"address\": \"a\"}]}", "resources[0].type: expected a string");
  const char *dup = "{\"format_version\": 1, \"lineage\": \"x\", \"serial\": 1, \"stack\": \"dev\","
                    " \"resources\": [{\"address\": \"a\", \"type\": \"t\", \"provider\": \"p\","
                    " \"id\": \"1\", \"inputs\": {}, \"outputs\": {}}, {\"address\": \"a\", \"type\":"
                    " \"t\", \"provider\": \"p\", \"id\": \"2\", \"inputs\": {}, \"outputs\": {}}]}";
  expect_refused(dup, "address a appears twice");
  expect_refused("{\"format_version\": 1, \"lineage\": \"x\", \"serial\": 1, \"stack\": \"dev\","
                 " \"resources\": [{\"address\": \"a\", \"type\": \"t\", \"provider\": \"p\","
                 " \"id\": \"1\", \"inputs\": {\"pw\": \"plain\"}, \"outputs\": {},"
                 " \"secret\": [\"inputs.pw\"]}]}", "a secret value is stored unsealed");
  expect_refused("{\"format_version\": 1, \"format_version\": 1}", "duplicate");
}

static void test_state_wrong_key_refused(void **state) {
  (void)state;
  CryptKey k, other;
  key_from_file(&k);
  assert_true(crypt_key_load(&other, "not the key", path("salt"), path("k2"), NULL, err,
                             sizeof err));
  State st;
  state_init(&st, "dev");
  add_res(&st, "db", "pw", true);
  assert_true(state_save(&st, path("s.json"), &k, err, sizeof err));
  char *before = slurp(path("s.json"), NULL);
  State back;
  bool exists;
  assert_false(state_load(&back, path("s.json"), "dev", &other, &exists, err, sizeof err));
  assert_non_null(strstr(err, "does not decrypt"));
  char *after = slurp(path("s.json"), NULL);
  assert_string_equal(before, after);
  free(before);
  free(after);
  state_free(&st);
  state_free(&back);
}

static void test_state_edits(void **state) {
  (void)state;
  State st;
  state_init(&st, "dev");
  add_res(&st, "b", "1", false);
  add_res(&st, "a", "2", false);
  add_res(&st, "c", "3", false);
  add_res(&st, "b", "4", false);          /* replaces */
  assert_int_equal(st.nres, 3);
  state_sort(&st);
  assert_string_equal(st.res[0].address, "a");
  assert_string_equal(json_string_value(json_object_get(state_find(&st, "b")->inputs, "content")), "4");
  assert_true(state_remove(&st, "a"));
  assert_false(state_remove(&st, "a"));
  assert_null(state_find(&st, "a"));
  state_sort(&st);
  assert_string_equal(st.res[0].address, "b");
  assert_string_equal(st.res[1].address, "c");
  state_free(&st);
}

/* Many puts and removes in random order, checked against what must be there: the index
 * survives growth, tombstones and the moves of swap-removal. */
static void test_state_index_stress(void **state) {
  (void)state;
  enum { N = 3000 };
  static bool present[N];
  memset(present, 0, sizeof present);
  State st;
  state_init(&st, "dev");
  srand(42);
  char addr[32];
  for (int step = 0; step < 20000; step++) {
    int k = rand() % N;
    snprintf(addr, sizeof addr, "r[\"%d\"]", k);
    if (rand() % 3) {
      add_res(&st, addr, "x", false);
      present[k] = true;
    } else {
      assert_int_equal(state_remove(&st, addr), present[k]);
      present[k] = false;
    }
  }
  uint32_t want = 0;
  for (int k = 0; k < N; k++) {
    snprintf(addr, sizeof addr, "r[\"%d\"]", k);
    StateRes *r = state_find(&st, addr);
    if (present[k]) {
      want++;
      assert_non_null(r);
      assert_string_equal(r->address, addr);
    } else {
      assert_null(r);
    }
  }
  assert_int_equal(st.nres, want);
  state_sort(&st);
  for (uint32_t i = 1; i < st.nres; i++)
    assert_true(strcmp(st.res[i - 1].address, st.res[i].address) < 0);
  snprintf(addr, sizeof addr, "r[\"%d\"]", 7);
  assert_int_equal(state_find(&st, addr) != NULL, present[7]);
  state_free(&st);
}

/* ---- lock --------------------------------------------------------------------------- */
static void test_lock_held_refused(void **state) {
  (void)state;
  Lock a, b;
  char warn[256];
  assert_true(lock_acquire(&a, path("lock"), "deploy", warn, sizeof warn, err, sizeof err));
  assert_string_equal(warn, "");
  /* A second open file description conflicts, as a second process would. */
  assert_false(lock_acquire(&b, path("lock"), "destroy", warn, sizeof warn, err, sizeof err));
  assert_non_null(strstr(err, "the stack is locked by"));
  assert_non_null(strstr(err, "platc deploy"));
  char pid[32];
  snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
  assert_non_null(strstr(err, pid));
  LockInfo info;
  assert_true(lock_read(path("lock"), &info));
  assert_string_equal(info.op, "deploy");
  bool was;
  assert_false(lock_force_unlock(path("lock"), &info, &was, err, sizeof err));
  assert_non_null(strstr(err, "running on this machine"));
  lock_release(&a);
  assert_false(lock_read(path("lock"), &info));      /* released: no holder named */
  assert_true(lock_acquire(&b, path("lock"), "destroy", warn, sizeof warn, err, sizeof err));
  lock_release(&b);
}

static void test_lock_stale_taken_over(void **state) {
  (void)state;
  char host[256];
  gethostname(host, sizeof host);
  char text[512];
  snprintf(text, sizeof text, "{\"host\":\"%s\",\"operation\":\"deploy\",\"owner\":\"ci\","
           "\"pid\":999999,\"time\":\"2026-01-01T00:00:00Z\"}", host);
  spit(path("lock"), text);
  Lock a;
  char warn[512];
  assert_true(lock_acquire(&a, path("lock"), "deploy", warn, sizeof warn, err, sizeof err));
  assert_non_null(strstr(warn, "took over the lock of ci on"));
  assert_non_null(strstr(warn, "pid 999999"));
  lock_release(&a);
}

static void test_lock_other_host_needs_unlock(void **state) {
  (void)state;
  spit(path("lock"), "{\"host\":\"build-7.example\",\"operation\":\"deploy\",\"owner\":\"ann\","
                     "\"pid\":42,\"time\":\"2026-01-01T00:00:00Z\"}");
  Lock a;
  char warn[256];
  assert_false(lock_acquire(&a, path("lock"), "deploy", warn, sizeof warn, err, sizeof err));
  assert_non_null(strstr(err, "ann on build-7.example (pid 42, platc deploy)"));
  assert_non_null(strstr(err, "platc state unlock"));
  LockInfo info;
  bool was = false;
  assert_true(lock_force_unlock(path("lock"), &info, &was, err, sizeof err));
  assert_true(was);
  assert_string_equal(info.host, "build-7.example");
  assert_true(lock_acquire(&a, path("lock"), "deploy", warn, sizeof warn, err, sizeof err));
  assert_string_equal(warn, "");
  lock_release(&a);
}

/* ---- journal ------------------------------------------------------------------------ */
static void test_journal_append_read_torn(void **state) {
  (void)state;
  Journal j;
  assert_true(journal_open(&j, path("journal"), 7, err, sizeof err));
  for (int i = 0; i < 3; i++) {
    json_t *e = json_pack("{s:s, s:s, s:i}", "op", "create", "address", "f", "n", i);
    assert_true(journal_append(&j, e, err, sizeof err));
    json_decref(e);
  }
  journal_close(&j);
  json_t *es;
  bool torn;
  assert_true(journal_read(path("journal"), &es, &torn, err, sizeof err));
  assert_false(torn);
  assert_int_equal(json_array_size(es), 3);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(es, 0), "seq")), 7);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(es, 2), "seq")), 9);
  json_decref(es);
  /* A kill in the middle of a write leaves a prefix without its newline: dropped. */
  FILE *f = fopen(path("journal"), "ab");
  fputs("{\"address\":\"g\",\"op\":\"cre", f);
  fclose(f);
  assert_true(journal_read(path("journal"), &es, &torn, err, sizeof err));
  assert_true(torn);
  assert_int_equal(json_array_size(es), 3);
  json_decref(es);
  /* A malformed complete line is corruption. */
  f = fopen(path("journal"), "ab");
  fputs("\ngarbage\n{\"seq\":1}\n", f);
  fclose(f);
  assert_false(journal_read(path("journal"), &es, &torn, err, sizeof err));
  assert_non_null(strstr(err, "corrupt journal"));
  /* Cleared after the state is saved. */
  assert_true(journal_open(&j, path("journal"), 0, err, sizeof err));
  assert_true(journal_clear(&j, err, sizeof err));
  journal_close(&j);
  assert_true(journal_read(path("journal"), &es, &torn, err, sizeof err));
  assert_int_equal(json_array_size(es), 0);
  json_decref(es);
  assert_true(journal_read(path("absent"), &es, &torn, err, sizeof err));
  json_decref(es);
}

/* ---- the writer: jansson's bytes ---------------------------------------------------- */
/* A value with everything the writer treats apart: every control character, quotes and
 * backslashes, DEL, multi-byte UTF-8 (2, 3, 4 bytes), an embedded NUL, keys that sort by
 * length and by byte, empty and nested containers, integers at the limits, reals. */
static json_t *tricky_value(void) {
  char ctl[40];
  for (int i = 0; i < 32; i++)
    ctl[i] = (char)(i + 1 == 32 ? 0x7f : i + 1);   /* 0x01..0x1f and DEL */
  json_t *o = json_object();
  json_object_set_new(o, "ctl", json_stringn(ctl, 32));
  json_object_set_new(o, "nul", json_stringn("a\0b", 3));
  json_object_set_new(o, "quote", json_string("say \"hi\" \\ / done"));
  json_object_set_new(o, "utf8", json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8"));
  json_object_set_new(o, "a", json_integer(INT64_MIN + 1));
  json_object_set_new(o, "ab", json_integer(INT64_MAX));
  json_object_set_new(o, "B", json_integer(-7));
  json_object_set_new(o, "reals", json_pack("[f,f,f,f]", 0.1, 1e300, -2.0, 1.5e-7));
  json_object_set_new(o, "empty", json_pack("{s:{},s:[],s:[[],{}]}", "o", "a", "both"));
  json_object_set_new(o, "nest", json_pack("{s:[i,{s:[b,n,s]}],s:o}", "x", 1, "y", 0,
                                           "\xc3\xa9", "t", json_true()));
  json_object_set_new(o, "\xc3\xa9key", json_string("k"));
  json_object_set_new(o, "key\nline", json_null());
  return o;
}

static void test_writer_matches_jansson(void **state) {
  (void)state;
  CryptKey k;
  State st;
  keyed_sample(&k, &st);
  add_res(&st, "m[\"k\\\"ey\"]", "x", false);
  StateRes *m = state_find(&st, "m[\"k\\\"ey\"]");
  json_object_set_new(m->inputs, "tricky", tricky_value());
  json_object_set_new(m->outputs, "list", json_pack("[s,i]", "o", 2));
  alpha_zeta_deps(m);
  json_object_set_new(st.outputs, "t", tricky_value());
  secret_output(&st, "token", "tok");
  assert_true(state_save(&st, path("state.json"), &k, err, sizeof err));
  size_t len;
  char *text = slurp(path("state.json"), &len);
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_ALLOW_NUL, &je);
  assert_non_null(root);
  char *want = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
  assert_int_equal(strlen(want) + 1, len);
  assert_memory_equal(want, text, len - 1);
  assert_int_equal(text[len - 1], '\n');
  free(want);
  free(text);
  json_decref(root);

  /* Journal lines: JSON_COMPACT | JSON_SORT_KEYS. */
  Journal j;
  assert_true(journal_open(&j, path("journal"), 0, err, sizeof err));
  json_t *e = json_pack("{s:o,s:s}", "v", tricky_value(), "op", "create");
  assert_true(journal_append(&j, e, err, sizeof err));
  char *line = json_dumps(e, JSON_SORT_KEYS | JSON_COMPACT);   /* seq added by append */
  journal_close(&j);
  text = slurp(path("journal"), &len);
  assert_int_equal(strlen(line) + 1, len);
  assert_memory_equal(line, text, len - 1);
  free(line);
  free(text);
  json_decref(e);

  /* What jansson cannot encode is refused, and nothing is written. */
  json_object_setn_new_nocheck(m->inputs, "bad\xff", 4, json_true());
  assert_false(state_save(&st, path("state4.json"), &k, err, sizeof err));
  assert_non_null(strstr(err, "cannot encode"));
  assert_int_equal(access(path("state4.json"), F_OK), -1);
  state_free(&st);
}

/* A copy of [text] ([n] bytes) with 1 to 3 bytes replaced by JSON's significant ones
 * (and bad UTF-8), chosen by round [round] from [*seed]. */
static char *damaged(const char *text, size_t n, int round, unsigned *seed) {
  static const char repl[] = "{}[],:\"\\0123456789eE+-.tfnu \n\x80\xc3\xff";
  char *m = malloc(n + 1);
  memcpy(m, text, n + 1);
  for (int k = 0; k < 1 + round % 3; k++) {
    *seed = *seed * 1103515245u + 12345u;
    size_t at = (*seed >> 8) % n;
    *seed = *seed * 1103515245u + 12345u;
    m[at] = repl[(*seed >> 8) % (sizeof repl - 1)];
  }
  return m;
}

/* ---- the reader: never accepts what jansson refuses, never reads it differently ------- */
static void same_as_jansson(const char *text, size_t len) {
  json_error_t je;
  json_t *want = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  json_t *got = jr_parse(text, len);
  if (!got)
    return;   /* jansson judges it: always allowed */
  assert_non_null(want);
  char *a = json_dumps(want, JSON_COMPACT), *b = json_dumps(got, JSON_COMPACT);
  assert_string_equal(a, b);   /* same values, same key order */
  free(a);
  free(b);
  json_decref(want);
  json_decref(got);
}

static void test_reader_matches_jansson(void **state) {
  (void)state;
  /* Well-formed: the reader must take these, and read them as jansson does. */
  const char *good[] = {
    "{}", "[]", " [1, -0, 0.5, -1.25e+3, 1E2, 9223372036854775807, -9223372036854775808] ",
    "{\"a\": {\"b\": [true, false, null, \"x\"]}, \"\": \"\"}",
    "{\"s\": \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\u20AC \\ud83d\\ude00 \\u001f\"}",
    "{\"utf8\": \"caf\xc3\xa9 \xf0\x9f\x98\x80\", \"z\": 1, \"a\": 2}",
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    json_t *v = jr_parse(good[i], strlen(good[i]));
    assert_non_null(v);
    json_decref(v);
    same_as_jansson(good[i], strlen(good[i]));
  }
  /* Refused by jansson: the reader must give them up. */
  const char *bad[] = {
    "", "1", "\"s\"", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":1}x", "[01]", "[1.]",
    "[.5]", "[1e]", "[+1]", "[-]", "[9223372036854775808]", "[1e999]", "[tru]", "[nul]",
    "{\"a\":1,\"a\":2}", "[\"\\u0000\"]", "{\"a\\u0000\":1}", "[\"\\ud800\"]",
    "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]", "[\"\\x\"]", "[\"\\u12G4\"]", "[\"a\nb\"]",
    "[\"\xc3\"]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf5\x80\x80\x80\"]",
    "[\"unterminated]", "[\"\\", "\xef\xbb\xbf{}", "{\"a\":[1,2}", "[1 2]",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    json_t *v = jr_parse(bad[i], strlen(bad[i]));
    if (v)
      fail_msg("the reader accepted bad input #%zu: %s", i, bad[i]);
  }
  /* Nesting: jansson stops at 2,048 levels. */
  char deep[4200];
  for (int d = 2040; d <= 2052; d += 4) {
    memset(deep, '[', (size_t)d);
    memset(deep + d, ']', (size_t)d);
    same_as_jansson(deep, 2 * (size_t)d);
  }
  /* Damage a state file byte by byte: whatever the reader takes, jansson reads alike. */
  char *text = NULL;
  {
    JsonW w;
    jw_init(&w, false);
    json_t *o = tricky_value();
    json_object_set_new(o, "esc", json_string("\\u00e9 \"q\" \t"));
    jw_value(&w, o, 0);
    json_decref(o);
    text = w.p;
  }
  size_t n = strlen(text);
  same_as_jansson(text, n);
  unsigned seed = 12345;
  for (int round = 0; round < 20000; round++) {
    char *m = damaged(text, n, round, &seed);
    same_as_jansson(m, n);
    free(m);
  }
  free(text);
}

/* ---- the state loader's two paths agree ------------------------------------------- */
/* Load [file] with the fast path on or off: true with the state saved again in [out], or
 * false with the error in [msg]. */
static bool load_as(const char *file, bool fast, const CryptKey *k, const char *out,
                    char *msg, size_t msglen) {
  state_fast_load = fast;
  State st;
  bool exists;
  char e[1024] = "";
  bool ok = state_load(&st, file, "dev", k, &exists, e, sizeof e);
  state_fast_load = true;
  if (ok)
    assert_true(state_save(&st, out, k, e, sizeof e));
  snprintf(msg, msglen, "%s", e);
  state_free(&st);
  return ok;
}

static void test_fast_loader_matches_tree(void **state) {
  (void)state;
  CryptKey k;
  State st;
  keyed_sample(&k, &st);
  secret_output(&st, "token", "tok-s3cr3t");
  StateRes r = { 0 };
  r.address = strdup("mid");
  r.type = strdup("local.File");
  r.provider = strdup("local");
  r.id = strdup("");
  r.inputs = json_pack("{s:s, s:[i, f, b, n], s:{s:s}}", "esc", "q\"\\\u00e9\n", "list", 1,
                       2.5, 1, "nested", "k", "v");
  r.outputs = json_object();
  alpha_zeta_deps(&r);
  state_put(&st, &r);
  assert_true(state_save(&st, path("base.json"), &k, err, sizeof err));
  state_free(&st);
  size_t n;
  char *text = slurp(path("base.json"), &n);
  char m1[1024], m2[1024];
  /* Read without the key (secrets stay sealed and are saved as they were: sealing again
     would draw new nonces), both paths save the same bytes. */
  assert_true(load_as(path("base.json"), true, NULL, path("fast.json"), m1, sizeof m1));
  assert_true(load_as(path("base.json"), false, NULL, path("tree.json"), m2, sizeof m2));
  char *a = slurp(path("fast.json"), NULL), *b = slurp(path("tree.json"), NULL);
  assert_string_equal(a, b);
  free(a);
  free(b);
  /* What the fast path gives up (an unknown key, keys out of order, a file cut after its
     resources) the tree reader judges: the same verdict and the same message. */
  const char *cases[] = {
    "{\"format_version\": 1, \"lineage\": \"x\", \"serial\": 1, \"stack\": \"dev\", "
    "\"resources\": [], \"extra\": 1}",
    "{\"resources\": [], \"format_version\": 1, \"lineage\": \"x\", \"serial\": 1, "
    "\"stack\": \"dev\"}",
    "{\"format_version\": 1, \"lineage\": \"x\", \"serial\": 1, \"stack\": \"dev\", "
    "\"resources\": []",
    "{\"format_version\": 1, \"lineage\": \"x\", \"resources\": [], \"serial\": 1, "
    "\"stack\": \"dev\"} x",
  };
  bool want[] = { true, true, false, false };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    spit(path("case.json"), cases[i]);
    bool f = load_as(path("case.json"), true, NULL, path("fast.json"), m1, sizeof m1);
    bool t = load_as(path("case.json"), false, NULL, path("tree.json"), m2, sizeof m2);
    assert_int_equal(f, want[i]);
    assert_int_equal(t, want[i]);
    assert_string_equal(m1, m2);
  }
  /* Damaged copies of the file: both paths say the same of each. */
  unsigned seed = 777;
  for (int round = 0; round < 3000; round++) {
    char *mt = damaged(text, n, round, &seed);
    spit(path("case.json"), mt);
    bool f = load_as(path("case.json"), true, NULL, path("fast.json"), m1, sizeof m1);
    bool t = load_as(path("case.json"), false, NULL, path("tree.json"), m2, sizeof m2);
    if (f != t)
      fail_msg("round %d: fast path %s, tree path %s (%s)", round, f ? "took it" : "refused it",
               t ? "took it" : "refused it", f ? m2 : m1);
    if (f) {
      char *x = slurp(path("fast.json"), NULL), *y = slurp(path("tree.json"), NULL);
      assert_string_equal(x, y);
      free(x);
      free(y);
    } else {
      assert_string_equal(m1, m2);
    }
    free(mt);
  }
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_seal_roundtrip_and_binding, setup, teardown),
    cmocka_unit_test_setup_teardown(test_passphrase_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_passphrase_key_known, setup, teardown),
    cmocka_unit_test_setup_teardown(test_key_file_made_whole, setup, teardown),
    cmocka_unit_test_setup_teardown(test_state_roundtrip_secret_sealed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_state_missing_is_empty, setup, teardown),
    cmocka_unit_test_setup_teardown(test_state_corrupt_refused_untouched, setup, teardown),
    cmocka_unit_test_setup_teardown(test_state_wrong_key_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_state_edits, setup, teardown),
    cmocka_unit_test_setup_teardown(test_state_index_stress, setup, teardown),
    cmocka_unit_test_setup_teardown(test_lock_held_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_lock_stale_taken_over, setup, teardown),
    cmocka_unit_test_setup_teardown(test_lock_other_host_needs_unlock, setup, teardown),
    cmocka_unit_test_setup_teardown(test_journal_append_read_torn, setup, teardown),
    cmocka_unit_test_setup_teardown(test_writer_matches_jansson, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reader_matches_jansson, setup, teardown),
    cmocka_unit_test_setup_teardown(test_fast_loader_matches_tree, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
