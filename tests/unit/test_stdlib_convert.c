/* tostring, tonumber, tobool, sensitive and nonsensitive (stdlib/convert.c), called
 * directly: Terraform's conversions and messages; secrets never quoted. */
#include "tests/unit/stdlib_harness.h"

static void test_tostring(void **s) {
  (void)s;
  OK("\"hello\"", tostring, S("hello"));
  OK("\"1\"", tostring, I(1));
  OK("\"-9223372036854775808\"", tostring, I(INT64_MIN));
  OK("\"2.0\"", tostring, F(2.0));
  OK("\"0.1\"", tostring, F(0.1));
  OK("\"1e+21\"", tostring, F(1e21));
  OK("\"true\"", tostring, B(true));
}

static void test_tonumber(void **s) {
  (void)s;
  OK("1.0", tonumber, S("1"));
  OK("-1.5", tonumber, S("-1.5"));
  OK("1000.0", tonumber, S("1e3"));
  OK("5.0", tonumber, I(5));
  OK("2.5", tonumber, F(2.5));
  ERR("tonumber: cannot convert \"no\" to a number; the string must be a decimal representation of a number", tonumber, S("no"));
  ERR("tonumber: cannot convert \"0x10\" to a number; the string must be a decimal representation of a number", tonumber, S("0x10"));
  ERR("tonumber: cannot convert \"\" to a number; the string must be a decimal representation of a number", tonumber, S(""));
  ERR("tonumber: cannot convert \" 1\" to a number; the string must be a decimal representation of a number", tonumber, S(" 1"));
  ERR("tonumber: cannot convert \"inf\" to a number; the string must be a decimal representation of a number", tonumber, S("inf"));
  ERR("the number 1e999 is out of range", tonumber, S("1e999"));
  ERR("tonumber: cannot convert [secret] to a number; the string must be a decimal representation of a number", tonumber, val_mark_secret(S("pw")));
}

static void test_tobool(void **s) {
  (void)s;
  OK("true", tobool, S("true"));
  OK("false", tobool, S("false"));
  OK("true", tobool, B(true));
  ERR("tobool: cannot convert \"yes\" to bool; only the strings \"true\" or \"false\" are allowed", tobool, S("yes"));
  ERR("tobool: cannot convert \"True\" to bool; only the strings \"true\" or \"false\" are allowed", tobool, S("True"));
}

static void test_marks(void **s) {
  (void)s;
  Val v[] = {S("pw")};
  Val sec = t_val(sl_sensitive, v, 1);
  assert_true(val_is_secret(sec));
  Val w[] = {LST(1, sec)};
  assert_true(val_has_secret(w[0]));
  Val plain = t_val(sl_nonsensitive, w, 1);
  assert_false(val_has_secret(plain));
  assert_string_equal(t_json(plain), "[\"pw\"]");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_tostring, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_tonumber, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_tobool, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_marks, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
