/* deploy/apply.c and recover.c: plans carried out against the real `local` provider on a
 * temp folder — dependency order, bounded parallelism, deploy-time inputs resolved by
 * re-evaluation, a failed branch skipping only its dependants, delete and replace, the
 * journal, and recovery of operations begun and never ended.  A probe provider checks
 * that no operation starts before its begin entry is on disk (begins are staged ahead of
 * dispatch and flushed together), and a run killed right after staging is recovered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deploy/apply.h"
#include "tests/unit/tmpdir.h"

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
  assert_true(tmpdir_make(dir, sizeof dir, "platc-apply"));
  snprintf(statep, sizeof statep, "%s/state.json", dir);
  snprintf(journalp, sizeof journalp, "%s/journal", dir);
  char kp[128], sp[128], err[256];
  snprintf(kp, sizeof kp, "%s/key", dir);
  snprintf(sp, sizeof sp, "%s/salt", dir);
  assert_true(crypt_key_load(&key, NULL, sp, kp, NULL, err, sizeof err));
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
  assert_true(tmpdir_remove(dir));
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
  uint32_t done, kill_at;   /* kill_at > 0: SIGKILL at that many AE_DONE */
} Log;

static void on_event(void *ud, const ApplyEvent *e) {
  Log *l = ud;
  static const char *kinds[] = { "start", "done", "fail", "skip" };
  if (l->n < 64)
    snprintf(l->lines[l->n++], sizeof l->lines[0], "%s %s%s%s", kinds[e->kind], e->address,
             e->message ? ": " : "", e->message ? e->message : "");
  if (e->running > l->max_running)
    l->max_running = e->running;
  if (e->kind == AE_DONE && ++l->done == l->kill_at)
    raise(SIGKILL);
}

static int find_line(const Log *l, const char *line) {
  for (uint32_t i = 0; i < l->n; i++)
    if (strncmp(l->lines[i], line, strlen(line)) == 0)
      return (int)i;
  return -1;
}

static Journal j;     /* the last run's: the probe provider reads it */

static bool run(const Graph *gr, Log *log, uint32_t parallel,
                const Graph *(*reeval)(void *, const State *, char *, size_t)) {
  Plan p;
  plan_make(gr, &st, reg, NULL, &p);
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

/* ---- begin entries on disk before the operation ------------------------------------ */
/* An in-process provider `probe`: on every create, update and delete it finds its own
 * begin entry in the journal file (the last begin of that address and operation) and
 * counts an early start when that entry's seq is not yet durable (journal_durable: an
 * fdatasync that began after it was written has ended).  Names whose "name" input
 * changes are replaced. */
typedef struct Probe {
  pthread_mutex_t mu;
  uint32_t ops, early, unfound;
  const char *secret;        /* a secret input's text: never in the journal in clear */
  uint32_t leaks, sealed;    /* journals seen with it in clear / with a sealed value */
} Probe;

static Probe probe = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, NULL, 0, 0 };

static const char *op_name(ProvOp op) {
  return op == PROV_CREATE ? "create" : op == PROV_UPDATE ? "update" : "delete";
}

static void probe_check(const char *address, ProvOp op) {
  pthread_mutex_lock(&probe.mu);
  json_t *es;
  bool torn;
  char err[256];
  uint64_t durable = journal_durable(&j);
  int64_t seq = -1;
  if (journal_read(journalp, &es, &torn, err, sizeof err)) {
    size_t i;
    json_t *e;
    json_array_foreach(es, i, e) {
      if (!strcmp(json_string_value(json_object_get(e, "phase")), "begin") &&
          !strcmp(json_string_value(json_object_get(e, "address")), address) &&
          !strcmp(json_string_value(json_object_get(e, "op")), op_name(op)))
        seq = json_integer_value(json_object_get(e, "seq"));
    }
    json_decref(es);
  }
  if (probe.secret) {
    FILE *f = fopen(journalp, "rb");
    static char text[1 << 20];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
      fclose(f);
    text[n] = '\0';
    probe.leaks += strstr(text, probe.secret) != NULL;
    probe.sealed += strstr(text, "$sealed") != NULL;
  }
  probe.ops++;
  if (seq < 0)
    probe.unfound++;
  else if ((uint64_t)seq >= durable)
    probe.early++;
  pthread_mutex_unlock(&probe.mu);
}

static ProvStatus probe_call(void *self, ProvOp op, const ProvReq *req, ProvRes *res,
                             int64_t deadline_ms) {
  (void)self;
  (void)deadline_ms;
  switch (op) {
  case PROV_CREATE:
  case PROV_UPDATE:
  case PROV_DELETE:
    probe_check(req->address, op);
    if (op == PROV_CREATE)
      res->id = strdup(req->address);
    if (op != PROV_DELETE)
      res->outputs = json_object();
    break;
  case PROV_DIFF: {
    /* The schema's two inputs; a new name replaces. */
    static const char *const props[] = { "name", "size" };
    res->changed = json_array();
    res->replaces = json_array();
    for (int k = 0; k < 2; k++) {
      if (json_equal(json_object_get(req->inputs, props[k]),
                     json_object_get(req->new_inputs, props[k])))
        continue;
      json_array_append_new(res->changed, json_string(props[k]));
      if (k == 0)
        json_array_append_new(res->replaces, json_string(props[k]));
    }
    res->diff = json_array_size(res->replaces) ? PROV_DIFF_REPLACE
                : json_array_size(res->changed) ? PROV_DIFF_UPDATE : PROV_DIFF_NONE;
    break;
  }
  default:
    break;
  }
  res->status = PROV_OK;
  return PROV_OK;
}

static const char *probe_schema(void *self, size_t *len, char **err) {
  (void)self;
  (void)err;
  static const char schema[] = "resource Thing {\n  name: string\n  size: int\n}\n";
  *len = sizeof schema - 1;
  return schema;
}

static void probe_close(void *self) {
  (void)self;
}

static const ProvVtable probe_vt = { probe_call, probe_schema, probe_close };

static char probe_names[120][16];

/* [n] probe.Things thing0.. with inputs name and size; names[i] starting with "secret:"
 * is a secret name. */
static void probe_graph(uint32_t n, const char *const *names, int64_t size) {
  for (uint32_t i = 0; i < n; i++) {
    snprintf(probe_names[i], sizeof probe_names[i], "thing%03u", i);
    MapBuilder b;
    mb_init(&b, &rt, 2);
    const char *name = names ? names[i] : probe_names[i];
    bool secret = strncmp(name, "secret:", 7) == 0;
    mb_put_cstr(&b, "name", secret ? val_mark_secret(S(name + 7)) : S(name));
    mb_put_cstr(&b, "size", val_int(size));
    GNode nd = { 0 };
    nd.kind = GN_RESOURCE;
    nd.addr = probe_names[i];
    nd.type = "probe.Thing";
    nd.provider = "probe";
    nd.parent = GN_NONE;
    nd.inputs = val_map_done(&b);
    nd.outputs = val_null();
    graph_add(&g, &nd);
  }
  graph_finish(&g);
}

static void test_no_operation_before_its_begin_is_on_disk(void **state) {
  (void)state;
  assert_true(prov_registry_add(reg, "probe", &probe_vt, NULL));
  probe.ops = probe.early = probe.unfound = 0;
  /* 100 creates, four at a time: begins staged in windows of 64. */
  probe_graph(100, NULL, 1);
  Log log = { 0 };
  assert_true(run(&g, &log, 4, NULL));
  assert_int_equal(probe.ops, 100);
  assert_int_equal(probe.unfound, 0);
  assert_int_equal(probe.early, 0);
  /* One flush covers a window of begins, not one each. */
  assert_true(j.nsyncs >= 1);
  assert_true(j.nsyncs <= 20);
  assert_int_equal(st.nres, 100);

  /* Updates, and replaces (the delete's begin staged, the create's written by the worker
     between the two operations), one at a time and ten at a time. */
  for (uint32_t par = 1; par <= 10; par += 9) {
    graph_free(&g);
    graph_init(&g, &rt);
    static char renamed[100][24];
    const char *names[100];
    for (uint32_t i = 0; i < 100; i++) {
      snprintf(renamed[i], sizeof renamed[i], "thing%03u-p%u", i, par);
      names[i] = i % 3 == 0 ? renamed[i] : probe_names[i];
    }
    probe_graph(100, names, 1 + par);
    probe.ops = probe.early = probe.unfound = 0;
    Log l2 = { 0 };
    assert_true(run(&g, &l2, par, NULL));
    assert_int_equal(probe.ops, 100 + 34);   /* 66 updates, 34 replaces of two operations */
    assert_int_equal(probe.unfound, 0);
    assert_int_equal(probe.early, 0);
  }
  assert_int_equal(st.nres, 100);
}

/* Staged begins are sealed as before: a secret input never reaches the journal in clear,
 * while the operations run (the journal is emptied after). */
static void test_staged_begins_seal_secrets(void **state) {
  (void)state;
  assert_true(prov_registry_add(reg, "probe", &probe_vt, NULL));
  const char *names[40];
  for (uint32_t i = 0; i < 40; i++)
    names[i] = i % 4 == 1 ? "secret:hunter2-probe-name" : "plain";
  probe.ops = probe.early = probe.unfound = probe.leaks = probe.sealed = 0;
  probe.secret = "hunter2-probe-name";
  probe_graph(40, names, 1);
  Log log = { 0 };
  assert_true(run(&g, &log, 4, NULL));
  probe.secret = NULL;
  assert_int_equal(probe.ops, 40);
  assert_int_equal(probe.early, 0);
  assert_int_equal(probe.leaks, 0);
  assert_int_equal(probe.sealed, 40);
  assert_int_equal(st.nres, 40);
  assert_string_equal(json_string_value(json_object_get(state_find(&st, "thing001")->inputs,
                                                        "name")),
                      "hunter2-probe-name");
}

/* A run killed right after staging leaves begins of operations that never started, at
 * most a window of them; recovery asks the provider about each and adopts exactly what
 * exists, and the next run converges. */
static void test_kill_after_staging_recovered(void **state) {
  (void)state;
  static char names[60][2][32];
  for (int i = 0; i < 60; i++) {
    snprintf(names[i][0], 32, "f%02d", i);
    snprintf(names[i][1], 32, "out/f%02d", i);
    file_in(&g, names[i][0], names[i][1], S("f\n"), NULL, 0);
  }
  graph_finish(&g);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* The child dies (SIGKILL, nothing flushed or saved) when the third resource is
       done: the first window of begins is written, a few operations have run. */
    Log log = { 0 };
    log.kill_at = 3;
    run(&g, &log, 2, NULL);
    _exit(3);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  json_t *es;
  bool torn;
  char err[512];
  assert_true(journal_read(journalp, &es, &torn, err, sizeof err));
  uint32_t begins = 0, ends = 0;
  size_t i;
  json_t *e;
  json_array_foreach(es, i, e) {
    if (!strcmp(json_string_value(json_object_get(e, "phase")), "begin"))
      begins++;
    else
      ends++;
  }
  json_decref(es);
  assert_true(ends >= 3);
  /* Staged ahead: more begins than the two operations in flight, at most a window
     (max(64, 8 x parallel)). */
  assert_true(begins - ends > 2);
  assert_true(begins <= 64);

  uint32_t n = 0;
  if (!apply_recover(&st, reg, &key, journalp, statep, &n, err, sizeof err))
    fail_msg("recover: %s", err);
  assert_int_equal(n, begins + ends);
  /* Exactly what exists is in the state. */
  uint32_t made = 0;
  for (int k = 0; k < 60; k++) {
    bool exists = slurp(names[k][1]) != NULL;
    made += exists;
    if (exists != (state_find(&st, names[k][0]) != NULL))
      fail_msg("%s: on disk %d, in the state %d", names[k][0], exists, !exists);
  }
  assert_true(made >= 3 && made <= begins);
  struct stat sb;
  assert_int_equal(stat(journalp, &sb), 0);
  assert_int_equal(sb.st_size, 0);
  /* And the next run creates the rest. */
  Log log = { 0 };
  assert_true(run(&g, &log, 2, NULL));
  assert_int_equal(st.nres, 60);
  for (int k = 0; k < 60; k++)
    assert_string_equal(slurp(names[k][1]), "f\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_dependency_order_and_parallelism, setup, teardown),
    cmocka_unit_test_setup_teardown(test_deploy_time_inputs_resolved, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unknown_refs_order_without_deps, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failure_skips_only_dependants, setup, teardown),
    cmocka_unit_test_setup_teardown(test_delete_and_replace, setup, teardown),
    cmocka_unit_test_setup_teardown(test_recover_unfinished_operations, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_operation_before_its_begin_is_on_disk, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_staged_begins_seal_secrets, setup, teardown),
    cmocka_unit_test_setup_teardown(test_kill_after_staging_recovered, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
