/* vm/value.c: the runtime's values — maps sorted with the last key winning, deep marks,
 * unknowns merged, equality and order, canonical JSON, display with secrets hidden, and
 * errors (memory limit, invalid UTF-8) unwinding through rt_protect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/value.h"

static Rt rt;

static int setup(void **state) {
  (void)state;
  rt_init(&rt, 0);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  rt_free(&rt);
  return 0;
}

static Val S(const char *s) { return val_cstr(&rt, s); }

static const char *json(Val v) {
  SBuf b;
  sb_init(&b, &rt);
  val_write_json(&b, v);
  return b.p ? b.p : "";
}

static const char *shown(Val v, uint32_t max) {
  SBuf b;
  sb_init(&b, &rt);
  val_show(&b, v, max);
  return b.p ? b.p : "";
}

static void test_map_sorted_last_wins(void **state) {
  (void)state;
  MapBuilder b;
  mb_init(&b, &rt, 1);
  mb_put_cstr(&b, "zeta", val_int(1));
  mb_put_cstr(&b, "alpha", val_int(2));
  mb_put_cstr(&b, "mid", val_int(3));
  mb_put_cstr(&b, "alpha", val_int(4));
  mb_put_cstr(&b, "al", val_int(5));
  Val m = val_map_done(&b);
  assert_int_equal(m.as.m->n, 4);
  assert_string_equal(m.as.m->e[0].key->s, "al");
  assert_string_equal(m.as.m->e[1].key->s, "alpha");
  assert_int_equal(m.as.m->e[1].val.as.i, 4);
  assert_string_equal(m.as.m->e[3].key->s, "zeta");
  const Val *v = val_map_get(m.as.m, "mid", 3);
  assert_non_null(v);
  assert_int_equal(v->as.i, 3);
  assert_null(val_map_get(m.as.m, "mi", 2));
  assert_null(val_map_get(m.as.m, "zz", 2));
  assert_string_equal(json(m), "{\"al\":5,\"alpha\":4,\"mid\":3,\"zeta\":1}");
}

static void test_deep_marks(void **state) {
  (void)state;
  Val secret = val_mark_secret(S("hunter2"));
  VRef r = { 3, val_intern(&rt, "hex", 3) };
  Val unk = val_unknown(&rt, &r, 1);
  Val items[] = { S("a"), secret };
  Val l = val_list_of(&rt, items, 2);
  assert_true(val_has_secret(l));
  assert_false(val_is_secret(l));
  assert_false(val_has_unknown(l));
  MapBuilder b;
  mb_init(&b, &rt, 2);
  mb_put_cstr(&b, "l", l);
  mb_put_cstr(&b, "u", unk);
  Val m = val_map_done(&b);
  assert_true(val_has_secret(m));
  assert_true(val_has_unknown(m));
  Val plain = val_strip_secret(&rt, m);
  assert_false(val_has_secret(plain));
  assert_true(val_has_unknown(plain));
  assert_true(val_equal(plain, m));      /* marks are not part of equality */
  assert_false(val_has_secret(S("x")));
}

static void test_unknown_merge(void **state) {
  (void)state;
  VStr *hex = val_intern(&rt, "hex", 3), *id = val_intern(&rt, "id", 2);
  VRef r1[] = { { 5, id }, { 2, hex }, { 5, id } };
  VRef r2[] = { { 2, hex }, { 1, NULL } };
  Val u1 = val_unknown(&rt, r1, 3), u2 = val_unknown(&rt, r2, 2);
  assert_int_equal(u1.as.u->n, 2);
  Val items[] = { u2, S("k") };
  Val parts[] = { u1, val_list_of(&rt, items, 2), val_int(1) };
  Val u = val_unknown_of(&rt, parts, 3);
  assert_int_equal(u.tag, VT_UNKNOWN);
  assert_int_equal(u.as.u->n, 3);
  assert_int_equal(u.as.u->refs[0].node, 1);
  assert_null(u.as.u->refs[0].attr);
  assert_int_equal(u.as.u->refs[1].node, 2);
  assert_int_equal(u.as.u->refs[2].node, 5);
  assert_ptr_equal(u.as.u->refs[2].attr, id);
}

static void test_equal_and_order(void **state) {
  (void)state;
  assert_true(val_equal(val_int(1), val_float(&rt, 1.0)));
  assert_false(val_equal(val_int(1), S("1")));
  assert_true(val_equal(S("abc"), val_str(&rt, "abc", 3)));
  assert_ptr_equal(val_intern(&rt, "k", 1), val_intern(&rt, "k", 1));
  assert_true(val_compare(val_null(), val_bool(false)) < 0);
  assert_true(val_compare(val_int(2), val_float(&rt, 2.5)) < 0);
  assert_true(val_compare(val_int(3), val_float(&rt, 2.5)) > 0);
  assert_true(val_compare(S("ab"), S("abc")) < 0);
  assert_true(val_compare(S("b"), S("abc")) > 0);
  assert_true(val_compare(val_int(9), S("0")) < 0);
  Val a[] = { val_int(1), val_int(2) }, b[] = { val_int(1), val_int(3) };
  assert_true(val_compare(val_list_of(&rt, a, 2), val_list_of(&rt, b, 2)) < 0);
  assert_true(val_compare(val_list_of(&rt, a, 1), val_list_of(&rt, a, 2)) < 0);
  /* A total order: an int sorts before the equal float. */
  assert_true(val_compare(val_int(2), val_float(&rt, 2.0)) < 0);
  assert_string_equal(val_type_name(S("x")), "string");
}

/* Interning through growth and after a reservation: one string per text, always. */
static void test_intern_many(void **state) {
  (void)state;
  enum { N = 20000 };
  VStr **first = calloc(N, sizeof *first);
  char buf[32];
  for (int round = 0; round < 2; round++) {
    if (round == 1)
      val_intern_reserve(&rt, N);   /* makes room; what is in stays the same */
    for (int i = 0; i < N; i++) {
      int n = snprintf(buf, sizeof buf, "s%d", i);
      VStr *v = val_intern(&rt, buf, (size_t)n);
      assert_int_equal(v->len, (uint32_t)n);
      assert_memory_equal(v->s, buf, (size_t)n);
      if (round == 0)
        first[i] = v;
      else
        assert_ptr_equal(v, first[i]);
    }
  }
  assert_ptr_not_equal(val_intern(&rt, "s1", 2), val_intern(&rt, "s10", 3));
  free(first);
}

static void test_json(void **state) {
  (void)state;
  Val items[] = { val_null(), val_bool(true), val_int(-42), val_float(&rt, 1.5),
                  val_float(&rt, 3.0), val_float(&rt, 0.1), val_float(&rt, 1e300),
                  S("q\"\\\n\t\x01 \xc3\xa9") };
  assert_string_equal(json(val_list_of(&rt, items, 8)),
                      "[null,true,-42,1.5,3.0,0.1,1e+300,\"q\\\"\\\\\\n\\t\\u0001 \xc3\xa9\"]");
  MapBuilder b;
  mb_init(&b, &rt, 0);
  assert_string_equal(json(val_map_done(&b)), "{}");
}

static void test_show(void **state) {
  (void)state;
  MapBuilder b;
  mb_init(&b, &rt, 3);
  mb_put_cstr(&b, "name", S("web ${x}"));
  mb_put_cstr(&b, "pass", val_mark_secret(S("hunter2")));
  mb_put_cstr(&b, "a-b", val_int(1));
  Val m = val_map_done(&b);
  const char *s = shown(m, 200);
  assert_string_equal(s, "{ \"a-b\" = 1, name = \"web \\${x}\", pass = [secret] }");
  assert_null(strstr(s, "hunter2"));
  assert_string_equal(shown(val_mark_secret(m), 200), "[secret]");
  /* Cut on a character boundary. */
  assert_string_equal(shown(S("\xc3\xa9\xc3\xa9\xc3\xa9"), 4), "\"\xc3\xa9...");
  VRef r = { 0, NULL };
  assert_string_equal(shown(val_unknown(&rt, &r, 1), 50), "(known after deploy)");
}

static void bad_utf8(Rt *r, void *ud) {
  (void)ud;
  val_str_checked(r, "ok\xff", 3, "the result of base64decode");
}

static void too_big(Rt *r, void *ud) {
  (void)ud;
  for (int i = 0; i < 1000; i++)
    val_list_new(r, 1000);
}

static void json_unknown(Rt *r, void *ud) {
  (void)ud;
  VRef ref = { 0, NULL };
  SBuf b;
  sb_init(&b, r);
  val_write_json(&b, val_unknown(r, &ref, 1));
}

static void nan_float(Rt *r, void *ud) {
  (void)ud;
  val_float(r, 0.0 / 0.0 + 0 * (double)(uintptr_t)ud);
}

static void test_errors_unwind(void **state) {
  (void)state;
  assert_int_equal(rt_protect(&rt, bad_utf8, NULL), -1);
  assert_string_equal(rt.errmsg, "the result of base64decode is not valid UTF-8 (byte 2)");
  assert_int_equal(rt_protect(&rt, json_unknown, NULL), -1);
  assert_non_null(strstr(rt.errmsg, "known only after deploy"));
  assert_int_equal(rt_protect(&rt, nan_float, NULL), -1);
  assert_string_equal(rt.errmsg, "the result is not a finite number");
  Rt small;
  rt_init(&small, 1 << 20);
  assert_int_equal(rt_protect(&small, too_big, NULL), -1);
  assert_non_null(strstr(small.errmsg, "memory limit exceeded"));
  rt_free(&small);
}

static void nested_inner(Rt *r, void *ud) {
  (void)ud;
  rt_error(r, "inner %d", 1);
}

static void nested_outer(Rt *r, void *ud) {
  int *after = ud;
  assert_int_equal(rt_protect(r, nested_inner, NULL), -1);
  *after = 1;     /* the inner error returned to the inner protect, not here */
}

static void test_protect_nests(void **state) {
  (void)state;
  int after = 0;
  assert_int_equal(rt_protect(&rt, nested_outer, &after), 0);
  assert_int_equal(after, 1);
  assert_string_equal(rt.errmsg, "inner 1");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_map_sorted_last_wins, setup, teardown),
    cmocka_unit_test_setup_teardown(test_deep_marks, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unknown_merge, setup, teardown),
    cmocka_unit_test_setup_teardown(test_equal_and_order, setup, teardown),
    cmocka_unit_test_setup_teardown(test_intern_many, setup, teardown),
    cmocka_unit_test_setup_teardown(test_json, setup, teardown),
    cmocka_unit_test_setup_teardown(test_show, setup, teardown),
    cmocka_unit_test_setup_teardown(test_errors_unwind, setup, teardown),
    cmocka_unit_test_setup_teardown(test_protect_nests, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
