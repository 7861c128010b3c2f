/* Unit tests of the provider layer itself (providers/provider.c), through an in-process
 * fake provider registered with prov_registry_add: transient errors retried with
 * exponential, jittered, capped backoff (exact waits on a fake clock, the same for the
 * same seed), permanent errors not retried, the deadline handed to the provider, schema
 * defaults applied, secret outputs marked from the schema, secret values redacted from
 * every message, malformed requests refused without a crash, and lookup by name and
 * search path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "tests/unit/provider_fixture.h"

#define FAKE_SCHEMA                                         \
  "resource Thing {\n"                                      \
  "  name: string\n"                                        \
  "  size: int = 3\n"                                       \
  "  tags: map<string> = { a = \"b\" }\n"                   \
  "  token: secret string = \"\"\n"                         \
  "  output key: secret string\n"                           \
  "  output n: int\n"                                       \
  "}\n"

/* The fake: fails `fails` times with `fail_status`, then succeeds; writes down what it saw. */
typedef struct Fake {
  int fails;
  ProvStatus fail_status;
  const char *fail_msg;
  int calls;
  json_t *seen_inputs;
  int64_t deadline, called_at;
} Fake;

static ProvStatus fake_call(void *self, ProvOp op, const ProvReq *req, ProvRes *res,
                            int64_t deadline_ms) {
  Fake *f = self;
  f->calls++;
  f->deadline = deadline_ms;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  f->called_at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  json_decref(f->seen_inputs);
  f->seen_inputs = json_deep_copy(req->inputs);
  if (f->fails > 0) {
    f->fails--;
    res->message = strdup(f->fail_msg ? f->fail_msg : "the backend is busy");
    return f->fail_status;
  }
  if (op == PROV_CREATE) {
    res->id = strdup("thing-1");
    res->outputs = json_pack("{s:s,s:i}", "key", "k-123", "n", 1);
  }
  return PROV_OK;
}

static const char *fake_schema(void *self, size_t *len, char **err) {
  (void)self, (void)err;
  *len = strlen(FAKE_SCHEMA);
  return FAKE_SCHEMA;
}

static void fake_close(void *self) { json_decref(((Fake *)self)->seen_inputs); }

static const ProvVtable fake_vt = {fake_call, fake_schema, fake_close};

typedef struct Fix {
  char *root;
  ProvRegistry *reg;
  Provider *p;
  Fake fake;
  FakeClock clock;
} Fix;

static Fix *fixture(uint64_t seed) {
  Fix *f = calloc(1, sizeof *f);
  f->root = make_root();
  ProvConfig cfg = {.project_root = f->root, .search_path = "", .max_attempts = 4,
                    .backoff_ms = 100, .backoff_max_ms = 300, .seed = seed,
                    .clock = {fake_now, fake_sleep, &f->clock}};
  cfg.timeout_ms[PROV_CREATE] = 7000;
  f->reg = prov_registry_new(&cfg);
  f->fake.fail_status = PROV_TRANSIENT;
  assert_true(prov_registry_add(f->reg, "fake", &fake_vt, &f->fake));
  char *err = NULL;
  f->p = prov_open(f->reg, "fake", NULL, &err);
  assert_non_null(f->p);
  return f;
}

static void fixture_free(Fix *f) {
  prov_registry_free(f->reg);
  rm_rf(f->root);
  free(f->root);
  free(f);
}

static ProvStatus create(Fix *f, json_t *in, ProvRes *r) {
  return run_op(f->p, PROV_CREATE, "Thing", NULL, in, NULL, NULL, r);
}

static void test_transient_twice_then_ok(void **state) {
  (void)state;
  Fix *f = fixture(42);
  f->fake.fails = 2;
  json_t *in = json_pack("{s:s}", "name", "x");
  ProvRes r;
  assert_int_equal(create(f, in, &r), PROV_OK);
  assert_int_equal(r.attempts, 3);
  assert_int_equal(f->fake.calls, 3);
  assert_null(r.message);
  assert_string_equal(r.id, "thing-1");
  /* waited twice: within [50, 100], then within [100, 200] */
  assert_int_equal(f->clock.nsleeps, 2);
  assert_in_range(f->clock.sleeps[0], 50, 100);
  assert_in_range(f->clock.sleeps[1], 100, 200);
  prov_res_free(&r);
  /* the same seed waits the same */
  Fix *g = fixture(42);
  g->fake.fails = 2;
  assert_int_equal(create(g, in, &r), PROV_OK);
  prov_res_free(&r);
  assert_int_equal(g->clock.sleeps[0], f->clock.sleeps[0]);
  assert_int_equal(g->clock.sleeps[1], f->clock.sleeps[1]);
  fixture_free(g);
  json_decref(in);
  fixture_free(f);
}

static void test_transient_gives_up_capped(void **state) {
  (void)state;
  Fix *f = fixture(7);
  f->fake.fails = 100;
  json_t *in = json_pack("{s:s}", "name", "x");
  ProvRes r;
  assert_int_equal(create(f, in, &r), PROV_TRANSIENT);
  assert_int_equal(r.attempts, 4);
  assert_int_equal(f->fake.calls, 4);
  assert_int_equal(f->clock.nsleeps, 3);
  assert_in_range(f->clock.sleeps[2], 150, 300);   /* 400 capped to 300, jittered */
  assert_string_equal(r.message, "provider 'fake': create of fake.Thing \"test.res\": the "
                                 "backend is busy (gave up after 4 attempts)");
  prov_res_free(&r);
  json_decref(in);
  fixture_free(f);
}

static void test_errors_are_not_retried(void **state) {
  (void)state;
  Fix *f = fixture(1);
  f->fake.fails = 1;
  f->fake.fail_status = PROV_ERROR;
  json_t *in = json_pack("{s:s}", "name", "x");
  ProvRes r;
  assert_int_equal(create(f, in, &r), PROV_ERROR);
  assert_int_equal(r.attempts, 1);
  assert_int_equal(f->clock.nsleeps, 0);
  prov_res_free(&r);
  /* a timeout is not retried either: the operation may have happened */
  f->fake.fails = 1;
  f->fake.fail_status = PROV_TIMEOUT;
  assert_int_equal(create(f, in, &r), PROV_TIMEOUT);
  assert_int_equal(r.attempts, 1);
  prov_res_free(&r);
  json_decref(in);
  fixture_free(f);
}

static void test_deadline_per_operation(void **state) {
  (void)state;
  Fix *f = fixture(1);
  json_t *in = json_pack("{s:s}", "name", "x");
  ProvRes r;
  assert_int_equal(create(f, in, &r), PROV_OK);
  prov_res_free(&r);
  assert_in_range(f->fake.deadline - f->fake.called_at, 6000, 7000);   /* as configured */
  assert_int_equal(run_op(f->p, PROV_CHECK, "Thing", NULL, in, NULL, NULL, &r), PROV_OK);
  prov_res_free(&r);
  assert_in_range(f->fake.deadline - f->fake.called_at, PROV_DEFAULT_TIMEOUT_MS - 1000,
                  PROV_DEFAULT_TIMEOUT_MS);
  json_decref(in);
  fixture_free(f);
}

static void test_defaults_and_secret_outputs(void **state) {
  (void)state;
  Fix *f = fixture(1);
  json_t *in = json_pack("{s:s,s:i}", "name", "x", "size", 9);
  ProvRes r;
  assert_int_equal(create(f, in, &r), PROV_OK);
  char *seen = dump(f->fake.seen_inputs);
  assert_string_equal(seen, "{\"name\":\"x\",\"size\":9,\"tags\":{\"a\":\"b\"},\"token\":\"\"}");
  free(seen);
  char *sec = dump(r.secrets);
  assert_string_equal(sec, "[\"key\"]");
  free(sec);
  prov_res_free(&r);
  /* the caller's object is not changed */
  assert_int_equal(json_object_size(in), 2);
  json_decref(in);
  fixture_free(f);
}

static void test_secrets_redacted_from_messages(void **state) {
  (void)state;
  Fix *f = fixture(1);
  f->fake.fails = 1;
  f->fake.fail_status = PROV_ERROR;
  f->fake.fail_msg = "rejected name hunter2-secret with token tok-999 and key k-123";
  json_t *in = json_pack("{s:s,s:s}", "name", "hunter2-secret", "token", "tok-999");
  json_t *outs = json_pack("{s:s}", "key", "k-123");
  json_t *secret_inputs = json_pack("[s]", "name");
  ProvReq q = {.type = "Thing", .address = "db", .id = "thing-1", .inputs = in,
               .outputs = outs, .new_inputs = in, .secret_inputs = secret_inputs};
  ProvRes r;
  assert_int_equal(prov_call(f->p, PROV_UPDATE, &q, &r), PROV_ERROR);
  /* name: secret as the caller says; token: a secret input by the schema; key: a secret
     output by the schema */
  assert_string_equal(r.message, "provider 'fake': update of fake.Thing \"db\": rejected name "
                                 "[secret] with token [secret] and key [secret]");
  prov_res_free(&r);
  json_decref(in);
  json_decref(outs);
  json_decref(secret_inputs);
  fixture_free(f);
}

static void test_bad_requests(void **state) {
  (void)state;
  Fix *f = fixture(1);
  json_t *arr = json_array(), *in = json_pack("{s:s}", "name", "x");
  ProvRes r;
  ProvReq q = {.type = NULL, .inputs = in};
  assert_int_equal(prov_call(f->p, PROV_CREATE, &q, &r), PROV_ERROR);
  assert_non_null(strstr(r.message, "no resource type given"));
  prov_res_free(&r);
  q.type = "Thing";
  q.inputs = arr;
  assert_int_equal(prov_call(f->p, PROV_CREATE, &q, &r), PROV_ERROR);
  assert_non_null(strstr(r.message, "must be JSON objects"));
  prov_res_free(&r);
  q.inputs = NULL;
  assert_int_equal(prov_call(f->p, PROV_READ, &q, &r), PROV_ERROR);
  assert_non_null(strstr(r.message, "no id or inputs given"));
  prov_res_free(&r);
  assert_int_equal(prov_call(f->p, PROV_DELETE, &q, &r), PROV_ERROR);
  assert_non_null(strstr(r.message, "no id given"));
  prov_res_free(&r);
  q.inputs = in;
  assert_int_equal(prov_call(f->p, PROV_UPDATE, &q, &r), PROV_ERROR);
  prov_res_free(&r);
  assert_int_equal(prov_call(f->p, (ProvOp)99, &q, &r), PROV_ERROR);
  prov_res_free(&r);
  q.type = "Nope";
  assert_int_equal(prov_call(f->p, PROV_CREATE, &q, &r), PROV_ERROR);
  assert_non_null(strstr(r.message, "provider 'fake' has no resource type 'Nope' (it has: Thing)"));
  prov_res_free(&r);
  assert_int_equal(f->fake.calls, 0);   /* none of these reached the provider */
  json_decref(arr);
  json_decref(in);
  fixture_free(f);
}

static void test_gone_outside_read(void **state) {
  (void)state;
  Fix *f = fixture(1);
  json_t *in = json_pack("{s:s}", "name", "x");
  f->fake.fails = 1;
  f->fake.fail_status = PROV_GONE;
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_DELETE, "Thing", "i", in, NULL, NULL, &r), PROV_OK);
  prov_res_free(&r);
  f->fake.fails = 1;
  assert_int_equal(run_op(f->p, PROV_UPDATE, "Thing", "i", in, NULL, in, &r), PROV_ERROR);
  prov_res_free(&r);
  json_decref(in);
  fixture_free(f);
}

static void test_names_and_lookup(void **state) {
  (void)state;
  assert_true(prov_name_valid("kv"));
  assert_true(prov_name_valid("my_cloud2"));
  assert_false(prov_name_valid(""));
  assert_false(prov_name_valid("../kv"));
  assert_false(prov_name_valid("Kv"));
  assert_false(prov_name_valid("2kv"));
  assert_false(prov_name_valid("k v"));
  Fix *f = fixture(1);
  char *err = NULL;
  assert_null(prov_open(f->reg, "../../bin/sh", NULL, &err));
  assert_non_null(strstr(err, "is not a provider name"));
  free(err);
  assert_null(prov_open(f->reg, "nosuch", NULL, &err));
  assert_non_null(strstr(err, "no provider 'nosuch'"));
  assert_non_null(strstr(err, "platc-provider-nosuch"));
  free(err);
  assert_false(prov_registry_add(f->reg, "fake", &fake_vt, NULL));   /* taken */
  /* the search path: PLAT_PROVIDER_PATH-style folders, then .plat/providers */
  mkdir(at(f->root, ".plat"), 0755);
  mkdir(at(f->root, ".plat/providers"), 0755);
  write_text(at(f->root, ".plat/providers/platc-provider-zz"), "#!/bin/sh\n");
  assert_null(prov_find_executable("zz", f->root, ""));   /* not executable */
  chmod(at(f->root, ".plat/providers/platc-provider-zz"), 0755);
  char *exe = prov_find_executable("zz", f->root, "/nonexistent:");
  assert_non_null(exe);
  assert_string_equal(exe, at(f->root, ".plat/providers/platc-provider-zz"));
  free(exe);
  setenv("PLAT_PROVIDER_PATH", at(f->root, ".plat/providers"), 1);
  assert_null(prov_find_schema_file("zz", NULL));   /* no zz.plat beside it */
  write_text(at(f->root, ".plat/providers/zz.plat"), "resource A {}\n");
  char *schema = prov_find_schema_file("zz", NULL);
  assert_non_null(schema);
  assert_string_equal(schema, at(f->root, ".plat/providers/zz.plat"));
  free(schema);
  unsetenv("PLAT_PROVIDER_PATH");
  fixture_free(f);
}

static void test_status_and_op_names(void **state) {
  (void)state;
  assert_string_equal(prov_op_name(PROV_CREATE), "create");
  assert_string_equal(prov_op_name(PROV_DELETE), "delete");
  assert_string_equal(prov_status_name(PROV_TRANSIENT), "transient error");
  assert_string_equal(prov_status_name(PROV_GONE), "gone");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_transient_twice_then_ok),
      cmocka_unit_test(test_transient_gives_up_capped),
      cmocka_unit_test(test_errors_are_not_retried),
      cmocka_unit_test(test_deadline_per_operation),
      cmocka_unit_test(test_defaults_and_secret_outputs),
      cmocka_unit_test(test_secrets_redacted_from_messages),
      cmocka_unit_test(test_bad_requests),
      cmocka_unit_test(test_gone_outside_read),
      cmocka_unit_test(test_names_and_lookup),
      cmocka_unit_test(test_status_and_op_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
