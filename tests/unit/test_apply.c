/* deploy/apply.c and recover.c: plans carried out against the real `local` provider on a
 * temp folder — dependency order, bounded parallelism, deploy-time inputs resolved by
 * re-evaluation, a failed branch skipping only its dependants, delete and replace, the
 * journal, and recovery of operations begun and never ended. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/apply.h"

static Rt rt;
static Graph g;
static State st;
static ProvRegistry *reg;
static char dir[64];
static char statep[128], journalp[128];
static CryptKey key;

static int setup(void **state) {
  (void)state;
  rt_init(&rt, 0);
  graph_init(&g, &rt);
  state_init(&st, "dev");
  snprintf(dir, sizeof dir, "/tmp/platc-apply-XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(statep, sizeof statep, "%s/state.json", dir);
  snprintf(journalp, sizeof journalp, "%s/journal", dir);
  char kp[128], sp[128], err[256];
  snprintf(kp, sizeof kp, "%s/key", dir);
  snprintf(sp, sizeof sp, "%s/salt", dir);
  assert_true(crypt_key_load(&key, NULL, sp, kp, err, sizeof err));
  ProvConfig cfg = { 0 };
  cfg.project_root = dir;
  reg = prov_registry_new(&cfg);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  prov_registry_free(reg);
  graph_free(&g);
  rt_free(&rt);
  state_free(&st);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);   /* our own mkdtemp folder */
  assert_int_equal(system(cmd), 0);
  return 0;
}

static Val S(const char *s) { return val_cstr(&rt, s); }

static uint32_t file_in(Graph *gr, const char *addr, const char *path, Val content,
                        const uint32_t *deps, uint32_t ndeps) {
  MapBuilder b;
  mb_init(&b, &rt, 3);
  mb_put_cstr(&b, "path", S(path));
  mb_put_cstr(&b, "content", content);
  mb_put_cstr(&b, "mode", S("0644"));
  GNode n = { 0 };
  n.kind = GN_RESOURCE;
  n.addr = addr;
  n.type = "local.File";
  n.provider = "local";
  n.parent = GN_NONE;
  n.inputs = val_map_done(&b);
  n.outputs = val_null();
  n.deps = (uint32_t *)deps;
  n.ndeps = ndeps;
  return graph_add(gr, &n);
}

static char *slurp(const char *rel) {
  char p[256];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  FILE *f = fopen(p, "rb");
  if (!f)
    return NULL;
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

/* Events, recorded. */
typedef struct Log {
  char lines[64][160];
  uint32_t n;
  uint32_t max_running;
} Log;

static void on_event(void *ud, const ApplyEvent *e) {
  Log *l = ud;
  static const char *kinds[] = { "start", "done", "fail", "skip" };
  if (l->n < 64)
    snprintf(l->lines[l->n++], sizeof l->lines[0], "%s %s%s%s", kinds[e->kind], e->address,
             e->message ? ": " : "", e->message ? e->message : "");
  if (e->running > l->max_running)
    l->max_running = e->running;
}

static int find_line(const Log *l, const char *line) {
  for (uint32_t i = 0; i < l->n; i++)
    if (strncmp(l->lines[i], line, strlen(line)) == 0)
      return (int)i;
  return -1;
}

static bool run(const Graph *gr, Log *log, uint32_t parallel,
                const Graph *(*reeval)(void *, const State *, char *, size_t)) {
  Plan p;
  plan_make(gr, &st, reg, NULL, &p);
  Journal j;
  char err[256];
  assert_true(journal_open(&j, journalp, 0, err, sizeof err));
  ApplyOptions opt = { 0 };
  opt.parallel = parallel;
  opt.key = &key;
  opt.state_path = statep;
  opt.journal = &j;
  opt.reeval = reeval;
  opt.on_event = on_event;
  opt.ud = log;
  ApplyResult r;
  bool ok = apply_plan(&p, gr, &st, reg, &opt, &r);
  journal_close(&j);
  apply_result_free(&r);
  plan_free(&p);
  return ok;
}

static void test_dependency_order_and_parallelism(void **state) {
  (void)state;
  uint32_t base = file_in(&g, "base", "out/base", S("base\n"), NULL, 0);
  uint32_t d1[] = { base };
  file_in(&g, "mid", "out/mid", S("mid\n"), d1, 1);
  static char names[8][2][32];
  for (int i = 0; i < 8; i++) {
    snprintf(names[i][0], 32, "leaf%d", i);
    snprintf(names[i][1], 32, "out/leaf%d", i);
    file_in(&g, names[i][0], names[i][1], S("leaf\n"), NULL, 0);
  }
  graph_finish(&g);
  Log log = { 0 };
  assert_true(run(&g, &log, 3, NULL));
  assert_true(find_line(&log, "done base") < find_line(&log, "start mid"));
  assert_true(log.max_running <= 3);
  assert_true(log.max_running >= 2);
  assert_string_equal(slurp("out/mid"), "mid\n");
  assert_string_equal(slurp("out/leaf7"), "leaf\n");
  assert_int_equal(st.nres, 10);
  assert_string_equal(state_find(&st, "mid")->deps[0], "base");
  /* The state is on disk and the journal is empty. */
  State back;
  bool exists;
  char err[256];
  assert_true(state_load(&back, statep, "dev", &key, &exists, err, sizeof err));
  assert_int_equal(back.nres, 10);
  state_free(&back);
  struct stat sb;
  assert_int_equal(stat(journalp, &sb), 0);
  assert_int_equal(sb.st_size, 0);
  /* Again: nothing to do. */
  Plan p;
  plan_make(&g, &st, reg, NULL, &p);
  assert_int_equal(p.count[PA_NOOP], 10);
  plan_free(&p);
}

/* The re-evaluation: the consumer's content is the producer's sha256, now in state. */
static Rt rt2;
static Graph g2;
static const Graph *reeval(void *ud, const State *s, char *err, size_t errlen) {
  (void)ud;
  (void)err;
  (void)errlen;
  graph_free(&g2);
  rt_free(&rt2);
  rt_init(&rt2, 0);
  graph_init(&g2, &rt2);
  const StateRes *prod = state_find((State *)s, "producer");
  MapBuilder b;
  GNode n = { 0 };
  mb_init(&b, &rt2, 3);
  mb_put_cstr(&b, "path", val_cstr(&rt2, "out/producer"));
  mb_put_cstr(&b, "content", val_cstr(&rt2, "data\n"));
  mb_put_cstr(&b, "mode", val_cstr(&rt2, "0644"));
  n.kind = GN_RESOURCE;
  n.addr = "producer";
  n.type = "local.File";
  n.provider = "local";
  n.parent = GN_NONE;
  n.inputs = val_map_done(&b);
  graph_add(&g2, &n);
  mb_init(&b, &rt2, 3);
  mb_put_cstr(&b, "path", val_cstr(&rt2, "out/consumer"));
  const char *sha = json_string_value(json_object_get(prod->outputs, "sha256"));
  mb_put_cstr(&b, "content", val_cstr(&rt2, sha));
  mb_put_cstr(&b, "mode", val_cstr(&rt2, "0644"));
  n.addr = "consumer";
  n.inputs = val_map_done(&b);
  uint32_t dep = 0;
  n.deps = &dep;
  n.ndeps = 1;
  graph_add(&g2, &n);
  graph_finish(&g2);
  return &g2;
}

static void test_deploy_time_inputs_resolved(void **state) {
  (void)state;
  uint32_t prod = file_in(&g, "producer", "out/producer", S("data\n"), NULL, 0);
  VRef r = { prod, val_intern(&rt, "sha256", 6) };
  uint32_t d[] = { prod };
  file_in(&g, "consumer", "out/consumer", val_unknown(&rt, &r, 1), d, 1);
  graph_finish(&g);
  Log log = { 0 };
  rt_init(&rt2, 0);
  graph_init(&g2, &rt2);
  assert_true(run(&g, &log, 4, reeval));
  /* sha256("data\n") */
  assert_string_equal(slurp("out/consumer"),
                      "6667b2d1aab6a00caa5aee5af8ad9f1465e567abf1c209d15727d57b3e8f6e5f");
  graph_free(&g2);
  rt_free(&rt2);
}

/* The graph lists no dependency (a value read through a component instance's output):
 * the consumer still waits for what its unknown input waits for. */
static void test_unknown_refs_order_without_deps(void **state) {
  (void)state;
  uint32_t prod = file_in(&g, "producer", "out/producer", S("data\n"), NULL, 0);
  VRef r = { prod, val_intern(&rt, "sha256", 6) };
  file_in(&g, "consumer", "out/consumer", val_unknown(&rt, &r, 1), NULL, 0);
  graph_finish(&g);
  Log log = { 0 };
  rt_init(&rt2, 0);
  graph_init(&g2, &rt2);
  assert_true(run(&g, &log, 4, reeval));
  assert_true(find_line(&log, "done producer") < find_line(&log, "start consumer"));
  assert_string_equal(slurp("out/consumer"),
                      "6667b2d1aab6a00caa5aee5af8ad9f1465e567abf1c209d15727d57b3e8f6e5f");
  graph_free(&g2);
  rt_free(&rt2);
}

static void test_failure_skips_only_dependants(void **state) {
  (void)state;
  MapBuilder b;
  mb_init(&b, &rt, 3);
  mb_put_cstr(&b, "path", S("out/bad"));
  mb_put_cstr(&b, "content", S("x"));
  mb_put_cstr(&b, "mode", S("9999"));        /* not octal: the provider refuses it */
  GNode bad = { 0 };
  bad.kind = GN_RESOURCE;
  bad.addr = "bad";
  bad.type = "local.File";
  bad.provider = "local";
  bad.parent = GN_NONE;
  bad.inputs = val_map_done(&b);
  uint32_t bi = graph_add(&g, &bad);
  uint32_t d[] = { bi };
  file_in(&g, "after_bad", "out/after", S("x"), d, 1);
  file_in(&g, "independent", "out/indep", S("x"), NULL, 0);
  graph_finish(&g);
  Log log = { 0 };
  assert_false(run(&g, &log, 2, NULL));
  assert_true(find_line(&log, "fail bad") >= 0);
  assert_true(find_line(&log, "skip after_bad: skipped: bad failed") >= 0);
  assert_true(find_line(&log, "done independent") >= 0);
  assert_string_equal(slurp("out/indep"), "x");
  assert_null(slurp("out/after"));
  assert_non_null(state_find(&st, "independent"));
  assert_null(state_find(&st, "bad"));
}

static void put_state_file(const char *addr, const char *path, const char *content) {
  StateRes r = { 0 };
  r.address = strdup(addr);
  r.type = strdup("local.File");
  r.provider = strdup("local");
  r.id = strdup(path);
  r.inputs = json_pack("{s:s,s:s,s:s}", "path", path, "content", content, "mode", "0644");
  r.outputs = json_object();
  state_put(&st, &r);
  char p[256];
  snprintf(p, sizeof p, "%s/%s", dir, path);
  mkdir(dir, 0755);
  char d[256];
  snprintf(d, sizeof d, "%s/out", dir);
  mkdir(d, 0755);
  FILE *f = fopen(p, "wb");
  fputs(content, f);
  fclose(f);
}

static void test_delete_and_replace(void **state) {
  (void)state;
  put_state_file("gone", "out/gone", "bye");
  put_state_file("moving", "out/old-place", "m");
  file_in(&g, "moving", "out/new-place", S("m"), NULL, 0);
  graph_finish(&g);
  Log log = { 0 };
  assert_true(run(&g, &log, 2, NULL));
  assert_null(slurp("out/gone"));
  assert_null(slurp("out/old-place"));
  assert_string_equal(slurp("out/new-place"), "m");
  assert_null(state_find(&st, "gone"));
  assert_string_equal(json_string_value(json_object_get(state_find(&st, "moving")->inputs, "path")),
                      "out/new-place");
}

static void journal_line(const char *line) {
  FILE *f = fopen(journalp, "ab");
  fputs(line, f);
  fputc('\n', f);
  fclose(f);
}

static void test_recover_unfinished_operations(void **state) {
  (void)state;
  /* A create that happened (the file is there) but whose end was never written. */
  put_state_file("tmp", "out/made", "made\n");
  state_remove(&st, "tmp");
  journal_line("{\"seq\":0,\"phase\":\"begin\",\"op\":\"create\",\"address\":\"made\","
               "\"type\":\"local.File\",\"provider\":\"local\",\"inputs\":{\"path\":\"out/made\","
               "\"content\":\"made\\n\",\"mode\":\"0644\"}}");
  /* A create that never happened. */
  journal_line("{\"seq\":1,\"phase\":\"begin\",\"op\":\"create\",\"address\":\"never\","
               "\"type\":\"local.File\",\"provider\":\"local\",\"inputs\":{\"path\":\"out/never\","
               "\"content\":\"n\",\"mode\":\"0644\"}}");
  /* A delete that happened. */
  StateRes r = { 0 };
  r.address = strdup("deleted");
  r.type = strdup("local.File");
  r.provider = strdup("local");
  r.id = strdup("out/deleted");
  r.inputs = json_pack("{s:s,s:s,s:s}", "path", "out/deleted", "content", "d", "mode", "0644");
  r.outputs = json_object();
  state_put(&st, &r);
  journal_line("{\"seq\":2,\"phase\":\"begin\",\"op\":\"delete\",\"address\":\"deleted\","
               "\"type\":\"local.File\",\"provider\":\"local\",\"id\":\"out/deleted\","
               "\"inputs\":{\"path\":\"out/deleted\",\"content\":\"d\",\"mode\":\"0644\"}}");
  /* A create that ended but whose state was never saved; then a torn line. */
  journal_line("{\"seq\":3,\"phase\":\"begin\",\"op\":\"create\",\"address\":\"ended\","
               "\"type\":\"local.File\",\"provider\":\"local\",\"inputs\":{}}");
  journal_line("{\"seq\":4,\"phase\":\"end\",\"op\":\"create\",\"address\":\"ended\","
               "\"status\":\"ok\",\"type\":\"local.File\",\"provider\":\"local\",\"id\":\"out/ended\","
               "\"inputs\":{\"path\":\"out/ended\"},\"outputs\":{\"size\":1},\"secret\":[],"
               "\"dependencies\":[\"made\"]}");
  FILE *f = fopen(journalp, "ab");
  fputs("{\"seq\":5,\"phase\":\"beg", f);
  fclose(f);
  uint32_t n = 0;
  char err[512];
  if (!apply_recover(&st, reg, &key, journalp, statep, &n, err, sizeof err))
    fail_msg("recover: %s", err);
  assert_int_equal(n, 5);
  assert_non_null(state_find(&st, "made"));
  assert_string_equal(state_find(&st, "made")->id, "out/made");
  assert_null(state_find(&st, "never"));
  assert_null(state_find(&st, "deleted"));
  assert_non_null(state_find(&st, "ended"));
  assert_string_equal(state_find(&st, "ended")->deps[0], "made");
  struct stat sb;
  assert_int_equal(stat(journalp, &sb), 0);
  assert_int_equal(sb.st_size, 0);
  /* Nothing left to recover. */
  assert_true(apply_recover(&st, reg, &key, journalp, statep, &n, err, sizeof err));
  assert_int_equal(n, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_dependency_order_and_parallelism, setup, teardown),
    cmocka_unit_test_setup_teardown(test_deploy_time_inputs_resolved, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unknown_refs_order_without_deps, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failure_skips_only_dependants, setup, teardown),
    cmocka_unit_test_setup_teardown(test_delete_and_replace, setup, teardown),
    cmocka_unit_test_setup_teardown(test_recover_unfinished_operations, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
