/* Unit tests of external providers (providers/external.c) against real child processes:
 * the Python providers in tests/providers/ (run from the repository root, as `make test`
 * does).  kv's whole life cycle through the protocol (schema, check, create, read with
 * drift and deletion, diff, update, delete, a secret output), retries of its transient
 * errors, secrets kept out of messages even when the provider leaks them, the environment
 * it gets, and the broken ones: a crash at start and mid-call, every kind of garbage, a
 * wrong id, an oversized message and a hang, each reported with the provider's name and
 * its stderr, and the provider started again on the next call; a provider that exits slowly
 * after closing its pipes, or closes its stderr and answers slowly. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "tests/unit/provider_fixture.h"

typedef struct Fix {
  char *root;
  char *dir;          /* tests/providers, absolute */
  ProvRegistry *reg;
  FakeClock clock;
} Fix;

static Fix *fixture(int64_t create_timeout_ms) {
  Fix *f = calloc(1, sizeof *f);
  f->root = make_root();
  f->dir = realpath("tests/providers", NULL);
  assert_non_null(f->dir);
  ProvConfig cfg = {.project_root = f->root, .search_path = f->dir, .seed = 3,
                    .clock = {fake_now, fake_sleep, &f->clock}};
  cfg.timeout_ms[PROV_CREATE] = create_timeout_ms;
  f->reg = prov_registry_new(&cfg);
  return f;
}

static void fixture_free(Fix *f) {
  prov_registry_free(f->reg);
  rm_rf(f->root);
  free(f->root);
  free(f->dir);
  free(f);
}

static Provider *open_with(Fix *f, const char *name, const char *config_json) {
  json_t *cfg = config_json ? json_loads(config_json, 0, NULL) : NULL;
  char *err = NULL;
  Provider *p = prov_open(f->reg, name, cfg, &err);
  if (!p) fprintf(stderr, "%s\n", err);
  free(err);
  json_decref(cfg);
  return p;
}

static void test_kv_life_cycle(void **state) {
  (void)state;
  Fix *f = fixture(20000);
  Provider *p = open_with(f, "kv", "{\"dir\": \"data\"}");
  assert_non_null(p);
  assert_string_equal(prov_executable(p), at(f->dir, "platc-provider-kv"));

  /* the schema it reports is the file it ships for platc check */
  size_t len;
  char *err = NULL;
  const char *schema = prov_schema(p, &len, &err);
  assert_non_null(schema);
  char *shipped = read_text(at(f->dir, "kv.plat"));
  assert_string_equal(schema, shipped);
  free(shipped);

  ProvRes r;
  json_t *bad = json_pack("{s:s,s:s}", "key", "no/slash", "value", "v");
  assert_int_equal(run_op(p, PROV_CHECK, "Item", NULL, bad, NULL, NULL, &r), PROV_OK);
  assert_int_equal(json_array_size(r.problems), 1);
  assert_string_equal(sget(json_array_get(r.problems, 0), "property"), "key");
  prov_res_free(&r);
  json_decref(bad);

  json_t *in = json_pack("{s:s,s:s}", "key", "greeting", "value", "hello");
  assert_int_equal(run_op(p, PROV_CHECK, "Item", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_int_equal(json_array_size(r.problems), 0);
  prov_res_free(&r);
  assert_int_equal(run_op(p, PROV_CREATE, "Item", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_string_equal(r.id, "greeting");
  assert_string_equal(sget(r.outputs, "path"), "data/item-greeting.json");
  assert_int_equal(json_integer_value(json_object_get(r.outputs, "revision")), 1);
  json_t *outs = json_incref(r.outputs);
  prov_res_free(&r);
  char *stored = read_text(at(f->root, "data/item-greeting.json"));
  assert_non_null(stored);
  assert_non_null(strstr(stored, "\"hello\""));
  free(stored);

  assert_int_equal(run_op(p, PROV_READ, "Item", "greeting", in, outs, NULL, &r), PROV_OK);
  assert_true(json_equal(r.inputs, in));
  prov_res_free(&r);
  /* by inputs alone, as recovery asks after a create that never finished */
  assert_int_equal(run_op(p, PROV_READ, "Item", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_string_equal(r.id, "greeting");
  prov_res_free(&r);
  /* drift: the stored value changed behind platc's back */
  write_text(at(f->root, "data/item-greeting.json"), "{\"value\": \"hacked\", \"revision\": 1}");
  assert_int_equal(run_op(p, PROV_READ, "Item", "greeting", in, outs, NULL, &r), PROV_OK);
  assert_string_equal(sget(r.inputs, "value"), "hacked");
  prov_res_free(&r);

  json_t *in2 = json_pack("{s:s,s:s}", "key", "greeting", "value", "bonjour");
  json_t *in3 = json_pack("{s:s,s:s}", "key", "salute", "value", "hello");
  assert_int_equal(run_op(p, PROV_DIFF, "Item", NULL, in, outs, in2, &r), PROV_OK);
  assert_int_equal(r.diff, PROV_DIFF_UPDATE);
  prov_res_free(&r);
  assert_int_equal(run_op(p, PROV_DIFF, "Item", NULL, in, outs, in3, &r), PROV_OK);
  assert_int_equal(r.diff, PROV_DIFF_REPLACE);
  char *rp = dump(r.replaces);
  assert_string_equal(rp, "[\"key\"]");
  free(rp);
  prov_res_free(&r);
  assert_int_equal(run_op(p, PROV_UPDATE, "Item", "greeting", in, outs, in2, &r), PROV_OK);
  assert_int_equal(json_integer_value(json_object_get(r.outputs, "revision")), 2);
  prov_res_free(&r);

  assert_int_equal(run_op(p, PROV_DELETE, "Item", "greeting", in2, outs, NULL, &r), PROV_OK);
  prov_res_free(&r);
  assert_int_equal(access(at(f->root, "data/item-greeting.json"), F_OK), -1);
  assert_int_equal(run_op(p, PROV_READ, "Item", "greeting", in2, outs, NULL, &r), PROV_GONE);
  prov_res_free(&r);
  assert_int_equal(run_op(p, PROV_DELETE, "Item", "greeting", in2, outs, NULL, &r), PROV_OK);
  prov_res_free(&r);
  json_decref(in);
  json_decref(in2);
  json_decref(in3);
  json_decref(outs);
  fixture_free(f);
}

static void test_kv_secret_output(void **state) {
  (void)state;
  Fix *f = fixture(20000);
  Provider *p = open_with(f, "kv", NULL);
  assert_non_null(p);
  json_t *in = json_pack("{s:s}", "name", "api");
  ProvRes r;
  assert_int_equal(run_op(p, PROV_CREATE, "Token", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_int_equal(strlen(sget(r.outputs, "token")), 32);
  char *sec = dump(r.secrets);
  assert_string_equal(sec, "[\"token\"]");
  free(sec);
  prov_res_free(&r);
  /* the default folder is under .plat/ in the project */
  assert_int_equal(access(at(f->root, ".plat/kv-data/token-api.json"), F_OK), 0);
  json_decref(in);
  fixture_free(f);
}

static void test_kv_transient_retried(void **state) {
  (void)state;
  Fix *f = fixture(20000);
  Provider *p = open_with(f, "kv", "{\"transient_failures\": 2}");
  assert_non_null(p);
  json_t *in = json_pack("{s:s,s:s}", "key", "k", "value", "v");
  ProvRes r;
  assert_int_equal(run_op(p, PROV_CREATE, "Item", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_int_equal(r.attempts, 3);
  assert_int_equal(f->clock.nsleeps, 2);
  assert_in_range(f->clock.sleeps[0], PROV_DEFAULT_BACKOFF_MS / 2, PROV_DEFAULT_BACKOFF_MS);
  assert_in_range(f->clock.sleeps[1], PROV_DEFAULT_BACKOFF_MS, 2 * PROV_DEFAULT_BACKOFF_MS);
  prov_res_free(&r);
  json_decref(in);
  fixture_free(f);
}

static void test_secret_kept_out_of_messages(void **state) {
  (void)state;
  setenv("PLAT_PASSPHRASE", "do-not-pass-me", 1);   /* kv refuses to start if it sees it */
  Fix *f = fixture(20000);
  Provider *p = open_with(f, "kv", NULL);
  unsetenv("PLAT_PASSPHRASE");
  assert_non_null(p);
  json_t *in = json_pack("{s:s,s:s}", "key", "db", "value", "leak:Tr0ub4dor&3");
  json_t *secret_inputs = json_pack("[s]", "value");
  ProvReq q = {.type = "Item", .address = "db_password", .inputs = in,
               .secret_inputs = secret_inputs};
  ProvRes r;
  assert_int_equal(prov_call(p, PROV_CREATE, &q, &r), PROV_ERROR);
  assert_null(strstr(r.message, "Tr0ub4dor"));
  assert_non_null(strstr(r.message, "provider 'kv': create of kv.Item \"db_password\": "
                                    "cannot store value [secret]"));
  prov_res_free(&r);
  /* the value on its stderr, then a crash: the stderr tail in the message is redacted too */
  json_object_set_new(in, "value", json_string("die:Tr0ub4dor&3"));
  assert_int_equal(prov_call(p, PROV_CREATE, &q, &r), PROV_ERROR);
  assert_null(strstr(r.message, "Tr0ub4dor"));
  assert_non_null(strstr(r.message, "it exited with status 9"));
  assert_non_null(strstr(r.message, "| kv: dying with [secret]"));
  prov_res_free(&r);
  json_decref(in);
  json_decref(secret_inputs);
  fixture_free(f);
}

static void test_crash_at_start(void **state) {
  (void)state;
  Fix *f = fixture(20000);
  json_t *cfg = json_pack("{s:s}", "when", "initialize");
  char *err = NULL;
  assert_null(prov_open(f->reg, "crash", cfg, &err));
  assert_non_null(strstr(err, "provider 'crash'"));
  assert_non_null(strstr(err, "exited with status 3"));
  assert_non_null(strstr(err, "| crash: cannot open my database"));
  free(err);
  json_decref(cfg);
  fixture_free(f);
}

static void test_crash_mid_call_then_restart(void **state) {
  (void)state;
  Fix *f = fixture(20000);
  Provider *p = open_with(f, "crash", NULL);
  assert_non_null(p);
  json_t *in = json_pack("{s:s}", "name", "x");
  ProvRes r;
  assert_int_equal(run_op(p, PROV_CREATE, "Thing", NULL, in, NULL, NULL, &r), PROV_ERROR);
  assert_int_equal(r.attempts, 1);
  assert_non_null(strstr(r.message, "provider 'crash': create of crash.Thing \"test.res\": it "
                                    "was killed by signal 6"));
  assert_non_null(strstr(r.message, "| crash: about to fail on purpose"));
  prov_res_free(&r);
  /* the next call starts it again */
  assert_int_equal(run_op(p, PROV_CHECK, "Thing", NULL, in, NULL, NULL, &r), PROV_OK);
  prov_res_free(&r);
  json_decref(in);
  fixture_free(f);
}

/* A create of a Thing on [provider] started with the config {[key]: [value]}: it must fail
 * (an error, not a timeout); returns its message (malloc'd). */
static char *failed_create(const char *provider, const char *key, const char *value) {
  Fix *f = fixture(20000);
  char cfg[96];
  snprintf(cfg, sizeof cfg, "{\"%s\": \"%s\"}", key, value);
  Provider *p = open_with(f, provider, cfg);
  assert_non_null(p);
  json_t *in = json_pack("{s:s}", "name", "x");
  ProvRes r;
  assert_int_equal(run_op(p, PROV_CREATE, "Thing", NULL, in, NULL, NULL, &r), PROV_ERROR);
  char *msg = strdup(r.message);
  prov_res_free(&r);
  json_decref(in);
  fixture_free(f);
  return msg;
}

/* Its stdout and stderr closed, the process still exiting: platc waits for the exit and
 * reports the status (it once gave up after 50 polls that returned at once on the closed
 * stderr, and said "killed" on a loaded machine). */
static void test_slow_exit_after_closing_pipes(void **state) {
  (void)state;
  static const struct {
    const char *when, *expect;
  } cases[] = {
      {"slow-exit", "create of crash.Thing \"test.res\": it exited with status 5 without "
                    "answering 'create'"},
      {"linger", "create of crash.Thing \"test.res\": it closed its stdout and was killed "
                 "without answering 'create'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *msg = failed_create("crash", "when", cases[i].when);
    if (!strstr(msg, cases[i].expect)) fprintf(stderr, "%s: %s\n", cases[i].when, msg);
    assert_non_null(strstr(msg, cases[i].expect));
    assert_non_null(strstr(msg, "| crash: closing my pipes"));
    free(msg);
  }
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* A provider that closed its stderr and takes a second to answer: platc sleeps in poll
 * meanwhile.  When the closed pipe stayed in the poll set, poll returned at once on every
 * round and the wait took a whole CPU (measured here as CPU time used during the call,
 * which a spin makes close to the second waited, and sleeping leaves near zero). */
static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_closed_stderr_is_not_polled(void **state) {
  (void)state;
  Fix *f = fixture(20000);
  Provider *p = open_with(f, "crash", "{\"when\": \"quiet\"}");
  assert_non_null(p);
  json_t *in = json_pack("{s:s}", "name", "x");
  ProvRes r;
  double cpu = cpu_seconds();
  int64_t t0 = wall_ms();
  assert_int_equal(run_op(p, PROV_CREATE, "Thing", NULL, in, NULL, NULL, &r), PROV_OK);
  int64_t waited = wall_ms() - t0;
  cpu = cpu_seconds() - cpu;
  assert_true(waited >= 1000);
  if (cpu > 0.25) fprintf(stderr, "%.3f s of CPU during a %lld ms wait\n", cpu, (long long)waited);
  assert_true(cpu <= 0.25);
  assert_string_equal(r.id, "x");
  prov_res_free(&r);
  json_decref(in);
  fixture_free(f);
}

static void test_garbage(void **state) {
  (void)state;
  static const struct {
    const char *mode, *expect;
  } cases[] = {
      {"text", "it sent a header line without ':': \"HTTP/1.1 200 OK\""},
      {"binary", "it sent garbage instead of a Content-Length header"},
      {"notjson", "it sent a message that is not JSON"},
      {"huge", "it announced a message larger than the limit of 64 MiB"},
      {"noheader", "it sent a message without a Content-Length header"},
      {"wrongid", "it replied with id 424242 to request"},
      {"shape", "it sent a malformed result: \"id\" must be a non-empty string"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    /* an error, not a timeout: reported as soon as it is seen */
    char *msg = failed_create("garbage", "mode", cases[i].mode);
    if (!strstr(msg, cases[i].expect)) fprintf(stderr, "mode %s: %s\n", cases[i].mode, msg);
    assert_non_null(strstr(msg, cases[i].expect));
    assert_non_null(strstr(msg, "provider 'garbage'"));
    if (strcmp(cases[i].mode, "shape") != 0)   /* the provider is killed: its stderr shows */
      assert_non_null(strstr(msg, "| garbage: mode "));
    free(msg);
  }
}

static void test_hang_is_killed_at_the_deadline(void **state) {
  (void)state;
  Fix *f = fixture(1500);
  Provider *p = open_with(f, "hang", NULL);
  assert_non_null(p);
  json_t *in = json_pack("{s:s}", "name", "x");
  ProvRes r;
  assert_int_equal(run_op(p, PROV_CREATE, "Thing", NULL, in, NULL, NULL, &r), PROV_TIMEOUT);
  assert_int_equal(r.attempts, 1);
  assert_non_null(strstr(r.message, "provider 'hang': create of hang.Thing \"test.res\": it did "
                                    "not answer 'create' within the deadline and was killed"));
  assert_non_null(strstr(r.message, "| hang: sleeping forever"));
  prov_res_free(&r);
  /* started again for the next call */
  assert_int_equal(run_op(p, PROV_READ, "Thing", "x", in, NULL, NULL, &r), PROV_GONE);
  prov_res_free(&r);
  json_decref(in);
  fixture_free(f);
}

typedef struct Worker {
  Provider *p;
  int n, ok;
} Worker;

static void *worker(void *arg) {
  Worker *w = arg;
  for (int i = 0; i < 5; i++) {
    char key[32];
    snprintf(key, sizeof key, "w%d-%d", w->n, i);
    json_t *in = json_pack("{s:s,s:s}", "key", key, "value", key);
    ProvRes r;
    if (run_op(w->p, PROV_CREATE, "Item", NULL, in, NULL, NULL, &r) == PROV_OK &&
        strcmp(r.id, key) == 0)
      w->ok++;
    prov_res_free(&r);
    json_decref(in);
  }
  return NULL;
}

/* The engine calls providers from several threads: calls to one external provider take
 * turns on its one stream, and every reply reaches the call that asked. */
static void test_concurrent_calls(void **state) {
  (void)state;
  Fix *f = fixture(20000);
  Provider *p = open_with(f, "kv", "{\"dir\": \"data\"}");
  assert_non_null(p);
  Worker w[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (Worker){p, i, 0};
    assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(w[i].ok, 5);
  }
  assert_int_equal(count_entries(at(f->root, "data")), 20);
  fixture_free(f);
}

static void test_missing_provider(void **state) {
  (void)state;
  Fix *f = fixture(20000);
  char *err = NULL;
  assert_null(prov_open(f->reg, "nothere", NULL, &err));
  assert_non_null(strstr(err, "no provider 'nothere'"));
  free(err);
  /* built-ins come first: a platc-provider-local on the path is not used */
  Provider *p = open_with(f, "local", NULL);
  assert_non_null(p);
  assert_null(prov_executable(p));
  fixture_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kv_life_cycle),
      cmocka_unit_test(test_kv_secret_output),
      cmocka_unit_test(test_kv_transient_retried),
      cmocka_unit_test(test_secret_kept_out_of_messages),
      cmocka_unit_test(test_crash_at_start),
      cmocka_unit_test(test_crash_mid_call_then_restart),
      cmocka_unit_test(test_slow_exit_after_closing_pipes),
      cmocka_unit_test(test_closed_stderr_is_not_polled),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_hang_is_killed_at_the_deadline),
      cmocka_unit_test(test_concurrent_calls),
      cmocka_unit_test(test_missing_provider),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
