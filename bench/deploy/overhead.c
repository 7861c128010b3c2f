/* bench/deploy/overhead.c: what the deploy engine costs per resource when the provider
 * costs nothing.  `overhead engine FILE.plat` compiles a program (bench/gen's workload, on
 * the `bench` schema), registers an in-process no-op provider `bench` (prov_registry_add)
 * and runs the engine as `platc deploy` does — open the stack, plan, apply, close — in a
 * fresh project folder, then a second run that plans again with everything in state (it
 * must say nothing changes).  `overhead files N` is the baseline for deploys of
 * local.Files: N files created through the built-in `local` provider by --parallel
 * threads, with no engine around it.  Prints medians of --runs runs as key=value lines
 * (bench/run.sh reads them); exits 1 when a run does not converge.  Not a test: times are
 * printed, never asserted. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "compiler/arena.h"
#include "compiler/compiler.h"
#include "compiler/emit.h"
#include "deploy/engine.h"
#include "providers/provider.h"
#include "vm/platb.h"

#define MAX_RUNS 64

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, dbl_cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *fmt, const char *what) {
  fprintf(stderr, "overhead: ");
  fprintf(stderr, fmt, what);
  fputc('\n', stderr);
  exit(1);
}

/* ---- the no-op provider ------------------------------------------------------------- */
/* Answers at once: create returns an id and the outputs the bench schema declares (a
 * Role's oid, a Database's host and port), diff compares inputs, read returns what it is
 * given.  Its schema is bench/schemas/bench.plat, read once. */
typedef struct Noop {
  char *schema;
  size_t len;
  pthread_mutex_t mu;
  unsigned long next_id;
} Noop;

static json_t *outputs_for(const char *type, const json_t *inputs, unsigned long id) {
  if (strcmp(type, "Role") == 0)
    return json_pack("{s:I}", "oid", (json_int_t)id);
  if (strcmp(type, "Database") == 0) {
    const char *name = json_string_value(json_object_get(inputs, "name"));
    json_t *o = json_object();
    json_object_set_new(o, "host", json_sprintf("%s.db.internal", name ? name : "db"));
    json_object_set_new(o, "port", json_integer(5432));
    return o;
  }
  return json_object();
}

static ProvStatus noop_call(void *self, ProvOp op, const ProvReq *req, ProvRes *res,
                            int64_t deadline_ms) {
  (void)deadline_ms;
  Noop *n = self;
  switch (op) {
  case PROV_CHECK:
    res->problems = json_array();
    break;
  case PROV_DIFF: {
    res->changed = json_array();
    res->replaces = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(req->new_inputs, k, v) {
      json_t *old = json_object_get(req->inputs, k);
      if (!old || !json_equal(old, v))
        json_array_append_new(res->changed, json_string(k));
    }
    res->diff = json_array_size(res->changed) ? PROV_DIFF_UPDATE : PROV_DIFF_NONE;
    break;
  }
  case PROV_CREATE: {
    pthread_mutex_lock(&n->mu);
    unsigned long id = ++n->next_id;
    pthread_mutex_unlock(&n->mu);
    char buf[32];
    snprintf(buf, sizeof buf, "noop-%lu", id);
    res->id = plat_xstrdup(buf);
    res->outputs = outputs_for(req->type, req->inputs, id);
    break;
  }
  case PROV_READ:
  case PROV_UPDATE:
    res->outputs = req->outputs ? json_deep_copy(req->outputs) : json_object();
    break;
  default:
    break;
  }
  res->status = PROV_OK;
  return PROV_OK;
}

static const char *noop_schema(void *self, size_t *len, char **err) {
  (void)err;
  Noop *n = self;
  *len = n->len;
  return n->schema;
}

static void noop_close(void *self) {
  (void)self;   /* owned by main */
}

static const ProvVtable noop_vt = {noop_call, noop_schema, noop_close};

/* bench.plat from a folder of PLAT_SCHEMA_PATH. */
static void load_schema(Noop *n) {
  const char *sp = getenv("PLAT_SCHEMA_PATH");
  char *copy = plat_xstrdup(sp ? sp : "");
  for (char *dir = strtok(copy, ":"); dir; dir = strtok(NULL, ":")) {
    char path[4096];
    snprintf(path, sizeof path, "%s/bench.plat", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
      continue;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    n->schema = plat_xmalloc((size_t)(sz > 0 ? sz : 0) + 1);
    n->len = fread(n->schema, 1, (size_t)(sz > 0 ? sz : 0), f);
    n->schema[n->len] = '\0';
    fclose(f);
    break;
  }
  free(copy);
  if (!n->schema)
    die("%s", "no bench.plat on PLAT_SCHEMA_PATH (bench/run.sh sets it to bench/schemas)");
}

/* ---- engine runs --------------------------------------------------------------------- */
static BcModule *compile(const char *path) {
  Plat *p = plat_new();
  const char *paths[] = {path};
  if (!plat_check_paths(p, paths, 1) || p->diags.nerrors) {
    plat_render(p, stderr, PLAT_FMT_TEXT, false);
    die("%s does not check clean", path);
  }
  BcModule *m = emit_program(p);
  if (!m)
    die("%s does not compile", path);
  pb_stamp(m, &p->sources);
  plat_free(p);
  return m;
}

static void rm_rf(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "overhead: could not remove %s\n", dir);
}

static void open_engine(Engine *e, const BcModule *m, const char *root, Noop *n) {
  EngineOptions o = {0};
  o.root = root;
  o.operation = "bench";
  char err[1024];
  if (!engine_open(e, m, &o, err, sizeof err))
    die("engine_open: %s", err);
  if (!prov_registry_add(e->reg, "bench", &noop_vt, n))
    die("%s", "cannot register the no-op provider 'bench'");
}

typedef struct EngineRun {
  double plan, apply, cpu, open2, noop_plan;
  uint32_t resources;
} EngineRun;

static EngineRun engine_run(const BcModule *m, const char *base, uint32_t parallel, Noop *n) {
  char root[4096];
  snprintf(root, sizeof root, "%s/overhead.XXXXXX", base);
  if (!mkdtemp(root))
    die("cannot make a folder under %s", base);
  EngineRun r = {0};
  Engine e;
  open_engine(&e, m, root, n);
  double c0 = cpu_s(), t0 = now_s();
  Plan plan;
  if (!engine_plan(&e, NULL, false, &plan))
    die("the plan failed: %s", plan.nerrors ? plan.errors[0] : "?");
  double t1 = now_s();
  ApplyOptions ao = {0};
  ao.parallel = parallel;
  ApplyResult res;
  bool ok = engine_apply(&e, &plan, &ao, &res);
  double t2 = now_s();
  r.cpu = cpu_s() - c0;
  r.plan = t1 - t0;
  r.apply = t2 - t1;
  r.resources = res.done[PA_CREATE];
  if (!ok || res.done[PA_CREATE] != plan.count[PA_CREATE])
    die("the deploy did not converge: %s", res.error ? res.error : "a resource failed");
  apply_result_free(&res);
  plan_free(&plan);
  engine_close(&e);

  /* Everything in state now: a second run must find nothing to do. */
  t0 = now_s();
  open_engine(&e, m, root, n);
  t1 = now_s();
  if (!engine_plan(&e, NULL, false, &plan))
    die("the second plan failed: %s", plan.nerrors ? plan.errors[0] : "?");
  t2 = now_s();
  r.open2 = t1 - t0;
  r.noop_plan = t2 - t1;
  if (plan.count[PA_NOOP] != r.resources || plan.count[PA_CREATE] || plan.count[PA_UPDATE] ||
      plan.count[PA_REPLACE] || plan.count[PA_DELETE])
    die("%s", "the second plan is not `No changes.`");
  plan_free(&plan);
  engine_close(&e);
  rm_rf(root);
  return r;
}

/* ---- the baseline: local.File creates without the engine ----------------------------- */
typedef struct FilesJob {
  Provider *pv;
  uint32_t n, next;
  pthread_mutex_t mu;
  bool failed;
} FilesJob;

static void *files_worker(void *arg) {
  FilesJob *j = arg;
  for (;;) {
    pthread_mutex_lock(&j->mu);
    uint32_t i = j->next++;
    pthread_mutex_unlock(&j->mu);
    if (i >= j->n)
      return NULL;
    char path[64], content[96];
    snprintf(path, sizeof path, "out/f%u.txt", i);
    snprintf(content, sizeof content, "file %u of the baseline\n", i);
    json_t *in = json_pack("{s:s,s:s}", "path", path, "content", content);
    ProvReq q = {0};
    q.type = "File";
    q.inputs = in;
    ProvRes res = {0};
    if (prov_call(j->pv, PROV_CREATE, &q, &res) != PROV_OK) {
      fprintf(stderr, "overhead: %s\n", res.message ? res.message : "create failed");
      j->failed = true;
    }
    prov_res_free(&res);
    json_decref(in);
  }
}

static double files_run(uint32_t n, const char *base, uint32_t parallel) {
  char root[4096];
  snprintf(root, sizeof root, "%s/files.XXXXXX", base);
  if (!mkdtemp(root))
    die("cannot make a folder under %s", base);
  ProvConfig pc = {0};
  pc.project_root = root;
  ProvRegistry *reg = prov_registry_new(&pc);
  char *err = NULL;
  FilesJob j = {0};
  j.pv = prov_open(reg, "local", NULL, &err);
  if (!j.pv)
    die("%s", err ? err : "no local provider");
  j.n = n;
  pthread_mutex_init(&j.mu, NULL);
  pthread_t th[256];
  double t0 = now_s();
  for (uint32_t i = 0; i < parallel; i++)
    pthread_create(&th[i], NULL, files_worker, &j);
  for (uint32_t i = 0; i < parallel; i++)
    pthread_join(th[i], NULL);
  double t = now_s() - t0;
  pthread_mutex_destroy(&j.mu);
  prov_registry_free(reg);
  rm_rf(root);
  if (j.failed)
    die("%s", "a baseline create failed");
  return t;
}

static void usage(void) {
  fprintf(stderr, "usage: overhead engine FILE.plat [--runs R] [--parallel P] [--dir D]\n"
                  "       overhead files N [--runs R] [--parallel P] [--dir D]\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 3)
    usage();
  int runs = 5;
  uint32_t parallel = APPLY_DEFAULT_PARALLEL;
  const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  for (int i = 3; i < argc; i++) {
    if (i + 1 >= argc)
      usage();
    if (!strcmp(argv[i], "--runs"))
      runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--parallel"))
      parallel = (uint32_t)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--dir"))
      dir = argv[++i];
    else
      usage();
  }
  if (runs < 1 || runs > MAX_RUNS || parallel < 1 || parallel > 256)
    usage();

  if (!strcmp(argv[1], "files")) {
    long n = atol(argv[2]);
    if (n < 1 || n > 10000000)
      usage();
    double t[MAX_RUNS];
    for (int r = 0; r < runs; r++)
      t[r] = files_run((uint32_t)n, dir, parallel);
    printf("files=%ld parallel=%u runs=%d wall_ms=%.1f\n", n, parallel, runs,
           median(t, runs) * 1000);
    return 0;
  }
  if (strcmp(argv[1], "engine"))
    usage();
  Noop n = {0};
  pthread_mutex_init(&n.mu, NULL);
  load_schema(&n);
  BcModule *m = compile(argv[2]);
  double plan[MAX_RUNS], apply[MAX_RUNS], total[MAX_RUNS], cpu[MAX_RUNS], open2[MAX_RUNS],
      noop[MAX_RUNS];
  uint32_t nres = 0;
  for (int r = 0; r < runs; r++) {
    EngineRun e = engine_run(m, dir, parallel, &n);
    plan[r] = e.plan;
    apply[r] = e.apply;
    total[r] = e.plan + e.apply;
    cpu[r] = e.cpu;
    open2[r] = e.open2;
    noop[r] = e.noop_plan;
    nres = e.resources;
  }
  double tm = median(total, runs), cm = median(cpu, runs);
  printf("resources=%u parallel=%u runs=%d plan_ms=%.1f apply_ms=%.1f total_ms=%.1f "
         "cpu_ms=%.1f us_per_resource=%.1f cpu_us_per_resource=%.1f open_ms=%.1f "
         "noop_plan_ms=%.1f\n",
         nres, parallel, runs, median(plan, runs) * 1000, median(apply, runs) * 1000,
         tm * 1000, cm * 1000, nres ? tm * 1e6 / nres : 0, nres ? cm * 1e6 / nres : 0,
         median(open2, runs) * 1000, median(noop, runs) * 1000);
  bc_free(m);
  free(n.schema);
  pthread_mutex_destroy(&n.mu);
  return 0;
}
