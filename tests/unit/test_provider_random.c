/* Unit tests of the built-in `random` provider (providers/random.c): Id (hex, unpadded
 * base64url and decimal agree with each other), Integer (bounds, the full int64 range, an
 * even spread), Password (length, at least one of each enabled class, only their
 * characters, impossible combinations refused, the result marked secret), Uuid (version 4,
 * RFC 4122 variant), every input change and a keepers change forcing replacement, read
 * giving back the stored values, and import by id. */
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/provider_fixture.h"

typedef ProvFix Fix;

static int setup(void **state) { return prov_fix_setup(state, "random"); }
static int teardown(void **state) { return prov_fix_teardown(state); }

static void test_id(void **state) {
  Fix *f = *state;
  json_t *in = json_pack("{s:i}", "bytes", 16);
  ProvRes a, b;
  assert_int_equal(run_op(f->p, PROV_CREATE, "Id", NULL, in, NULL, NULL, &a), PROV_OK);
  assert_int_equal(run_op(f->p, PROV_CREATE, "Id", NULL, in, NULL, NULL, &b), PROV_OK);
  const char *hex = sget(a.outputs, "hex"), *b64 = sget(a.outputs, "b64_url");
  assert_int_equal(strlen(hex), 32);
  assert_string_equal(a.id, hex);
  assert_int_equal(strlen(b64), 22);   /* 16 bytes, unpadded */
  assert_null(strpbrk(b64, "+/="));
  assert_string_not_equal(hex, sget(b.outputs, "hex"));
  /* dec is the same number as hex */
  BIGNUM *bn = NULL;
  assert_true(BN_hex2bn(&bn, hex) > 0);
  char *dec = BN_bn2dec(bn);
  assert_string_equal(dec, sget(a.outputs, "dec"));
  OPENSSL_free(dec);
  BN_free(bn);
  prov_res_free(&a);
  prov_res_free(&b);
  json_decref(in);
  /* defaults: bytes = 8 */
  in = json_object();
  assert_int_equal(run_op(f->p, PROV_CREATE, "Id", NULL, in, NULL, NULL, &a), PROV_OK);
  assert_int_equal(strlen(sget(a.outputs, "hex")), 16);
  prov_res_free(&a);
  json_decref(in);
}

static void test_integer(void **state) {
  Fix *f = *state;
  int seen[3] = {0, 0, 0};
  json_t *in = json_pack("{s:i,s:i}", "min", 1, "max", 3);
  for (int i = 0; i < 3000; i++) {
    ProvRes r;
    assert_int_equal(run_op(f->p, PROV_CREATE, "Integer", NULL, in, NULL, NULL, &r), PROV_OK);
    json_int_t v = json_integer_value(json_object_get(r.outputs, "result"));
    assert_in_range(v, 1, 3);
    seen[v - 1]++;
    prov_res_free(&r);
  }
  /* 1000 expected each; 6 standard deviations (about 155) either way */
  for (int i = 0; i < 3; i++) assert_in_range(seen[i], 845, 1155);
  json_decref(in);
  in = json_pack("{s:I,s:I}", "min", (json_int_t)INT64_MIN, "max", (json_int_t)INT64_MAX);
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_CREATE, "Integer", NULL, in, NULL, NULL, &r), PROV_OK);
  prov_res_free(&r);
  json_decref(in);
  in = json_pack("{s:i,s:i}", "min", -5, "max", -5);
  assert_int_equal(run_op(f->p, PROV_CREATE, "Integer", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_int_equal(json_integer_value(json_object_get(r.outputs, "result")), -5);
  assert_string_equal(r.id, "-5");
  prov_res_free(&r);
  json_decref(in);
  in = json_pack("{s:i,s:i}", "min", 5, "max", 4);
  assert_int_equal(run_op(f->p, PROV_CHECK, "Integer", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_int_equal(json_array_size(r.problems), 1);
  assert_string_equal(sget(json_array_get(r.problems, 0), "message"),
                      "max (4) is less than min (5)");
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_CREATE, "Integer", NULL, in, NULL, NULL, &r), PROV_ERROR);
  prov_res_free(&r);
  json_decref(in);
}

static bool has_any(const char *s, const char *set) { return strpbrk(s, set) != NULL; }

static void test_password_classes(void **state) {
  Fix *f = *state;
  const char *U = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", *L = "abcdefghijklmnopqrstuvwxyz",
             *N = "0123456789", *S = "!@#$%&*()-_=+[]{}<>:?";
  /* four characters, four classes: every password must hold one of each */
  json_t *in = json_pack("{s:i}", "length", 4);
  for (int i = 0; i < 300; i++) {
    ProvRes r;
    assert_int_equal(run_op(f->p, PROV_CREATE, "Password", NULL, in, NULL, NULL, &r), PROV_OK);
    const char *pw = sget(r.outputs, "result");
    assert_int_equal(strlen(pw), 4);
    assert_true(has_any(pw, U) && has_any(pw, L) && has_any(pw, N) && has_any(pw, S));
    assert_string_equal(r.id, "none");   /* the id is printed: never the password */
    char *sec = dump(r.secrets);
    assert_string_equal(sec, "[\"result\"]");
    free(sec);
    prov_res_free(&r);
  }
  json_decref(in);
  /* only the classes asked for */
  in = json_pack("{s:i,s:b,s:b}", "length", 40, "upper", 0, "special", 0);
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_CREATE, "Password", NULL, in, NULL, NULL, &r), PROV_OK);
  const char *pw = sget(r.outputs, "result");
  assert_int_equal(strlen(pw), 40);
  assert_int_equal(strspn(pw, "abcdefghijklmnopqrstuvwxyz0123456789"), 40);
  assert_true(has_any(pw, L) && has_any(pw, N));
  prov_res_free(&r);
  json_decref(in);
}

static void test_password_impossible(void **state) {
  Fix *f = *state;
  struct {
    json_t *in;
    const char *msg;
  } cases[] = {
      {json_pack("{s:i}", "length", 3), "cannot hold one character of each of the 4 classes"},
      {json_pack("{s:b,s:b,s:b,s:b}", "upper", 0, "lower", 0, "numeric", 0, "special", 0),
       "needs at least one of upper, lower, numeric and special"},
      {json_pack("{s:i}", "length", 0), "length must be an integer from 1 to 4096"},
      {json_pack("{s:i}", "length", 100000), "length must be an integer from 1 to 4096"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ProvRes r;
    assert_int_equal(run_op(f->p, PROV_CHECK, "Password", NULL, cases[i].in, NULL, NULL, &r),
                     PROV_OK);
    char *d = dump(r.problems);
    assert_non_null(strstr(d, cases[i].msg));
    free(d);
    prov_res_free(&r);
    assert_int_equal(run_op(f->p, PROV_CREATE, "Password", NULL, cases[i].in, NULL, NULL, &r),
                     PROV_ERROR);
    assert_non_null(strstr(r.message, cases[i].msg));
    prov_res_free(&r);
    json_decref(cases[i].in);
  }
}

static void test_uuid(void **state) {
  Fix *f = *state;
  json_t *in = json_object();
  for (int i = 0; i < 50; i++) {
    ProvRes r;
    assert_int_equal(run_op(f->p, PROV_CREATE, "Uuid", NULL, in, NULL, NULL, &r), PROV_OK);
    const char *u = sget(r.outputs, "result");
    assert_int_equal(strlen(u), 36);
    assert_true(u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
    assert_int_equal(u[14], '4');
    assert_non_null(strchr("89ab", u[19]));
    assert_string_equal(r.id, u);
    prov_res_free(&r);
  }
  json_decref(in);
}

static void test_every_change_replaces(void **state) {
  Fix *f = *state;
  json_t *old = json_pack("{s:i,s:{s:s}}", "bytes", 4, "keepers", "ami", "ami-1");
  json_t *same = json_pack("{s:{s:s}}", "keepers", "ami", "ami-1");   /* bytes: default 8 */
  json_t *keep = json_pack("{s:i,s:{s:s}}", "bytes", 4, "keepers", "ami", "ami-2");
  json_t *bytes = json_pack("{s:i,s:{s:s}}", "bytes", 5, "keepers", "ami", "ami-1");
  json_t *eq = json_deep_copy(old);
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_DIFF, "Id", NULL, old, NULL, eq, &r), PROV_OK);
  assert_int_equal(r.diff, PROV_DIFF_NONE);
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_DIFF, "Id", NULL, old, NULL, keep, &r), PROV_OK);
  assert_int_equal(r.diff, PROV_DIFF_REPLACE);
  char *d = dump(r.replaces);
  assert_string_equal(d, "[\"keepers\"]");
  free(d);
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_DIFF, "Id", NULL, old, NULL, bytes, &r), PROV_OK);
  assert_int_equal(r.diff, PROV_DIFF_REPLACE);
  prov_res_free(&r);
  /* a missing input takes its default (bytes = 8) before comparing: a change too */
  assert_int_equal(run_op(f->p, PROV_DIFF, "Id", NULL, old, NULL, same, &r), PROV_OK);
  d = dump(r.replaces);
  assert_string_equal(d, "[\"bytes\"]");
  free(d);
  prov_res_free(&r);
  /* keepers added where there were none */
  json_t *none = json_pack("{s:i}", "bytes", 4);
  assert_int_equal(run_op(f->p, PROV_DIFF, "Id", NULL, none, NULL, old, &r), PROV_OK);
  assert_int_equal(r.diff, PROV_DIFF_REPLACE);
  prov_res_free(&r);
  json_decref(none);
  json_decref(old);
  json_decref(same);
  json_decref(keep);
  json_decref(bytes);
  json_decref(eq);
}

static void test_read_gives_back_state(void **state) {
  Fix *f = *state;
  json_t *in = json_pack("{s:i}", "length", 20);
  ProvRes c, r;
  assert_int_equal(run_op(f->p, PROV_CREATE, "Password", NULL, in, NULL, NULL, &c), PROV_OK);
  assert_int_equal(run_op(f->p, PROV_READ, "Password", c.id, in, c.outputs, NULL, &r), PROV_OK);
  assert_true(json_equal(r.outputs, c.outputs));
  assert_int_equal(json_integer_value(json_object_get(r.inputs, "length")), 20);
  char *sec = dump(r.secrets);
  assert_string_equal(sec, "[\"result\"]");
  free(sec);
  prov_res_free(&r);
  /* found by inputs alone (recovery of an interrupted create): a value that never reached
     state does not exist anywhere */
  assert_int_equal(run_op(f->p, PROV_READ, "Password", NULL, in, NULL, NULL, &r), PROV_GONE);
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_DELETE, "Password", c.id, in, c.outputs, NULL, &r), PROV_OK);
  prov_res_free(&r);
  prov_res_free(&c);
  json_decref(in);
}

static void test_import(void **state) {
  Fix *f = *state;
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_READ, "Id", "00ff", NULL, NULL, NULL, &r), PROV_OK);
  assert_string_equal(sget(r.outputs, "hex"), "00ff");
  assert_string_equal(sget(r.outputs, "b64_url"), "AP8");
  assert_string_equal(sget(r.outputs, "dec"), "255");
  assert_int_equal(json_integer_value(json_object_get(r.inputs, "bytes")), 2);
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_READ, "Integer", "7,1,10", NULL, NULL, NULL, &r), PROV_OK);
  assert_int_equal(json_integer_value(json_object_get(r.outputs, "result")), 7);
  assert_int_equal(json_integer_value(json_object_get(r.inputs, "max")), 10);
  assert_string_equal(r.id, "7");
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_READ, "Integer", "11,1,10", NULL, NULL, NULL, &r),
                   PROV_ERROR);
  prov_res_free(&r);
  const char *u = "0b3c5f1e-8a2d-4c6e-9f00-112233445566";
  assert_int_equal(run_op(f->p, PROV_READ, "Uuid", u, NULL, NULL, NULL, &r), PROV_OK);
  assert_string_equal(sget(r.outputs, "result"), u);
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_READ, "Password", "hunter2", NULL, NULL, NULL, &r),
                   PROV_ERROR);
  assert_non_null(strstr(r.message, "cannot be imported"));
  prov_res_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_id, setup, teardown),
      cmocka_unit_test_setup_teardown(test_integer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_password_classes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_password_impossible, setup, teardown),
      cmocka_unit_test_setup_teardown(test_uuid, setup, teardown),
      cmocka_unit_test_setup_teardown(test_every_change_replaces, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_gives_back_state, setup, teardown),
      cmocka_unit_test_setup_teardown(test_import, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
