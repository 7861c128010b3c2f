/* The number built-ins (stdlib/numbers.c), called directly: results typed as the
 * checker types them (a float when any argument is), overflow and domain errors with
 * their exact messages. */
#include "tests/unit/stdlib_harness.h"

static void test_abs_ceil_floor(void **s) {
  (void)s;
  OK("5", abs, I(-5));
  OK("2.5", abs, F(-2.5));
  OK("9223372036854775807", abs, I(INT64_MAX));
  ERR("abs: integer overflow: -(-9223372036854775808)", abs, I(INT64_MIN));
  OK("5", ceil, F(4.1));
  OK("-4", ceil, F(-4.9));
  OK("7", ceil, I(7));
  OK("4", floor, F(4.9));
  OK("-5", floor, F(-4.1));
  ERR("ceil: the result 1e+300 is out of range for an int", ceil, F(1e300));
  ERR("floor: the result -1e+19 is out of range for an int", floor, F(-1e19));
}

static void test_log_pow_signum(void **s) {
  (void)s;
  OK("2.0", log, F(100), F(10));
  OK("3.0", log, I(8), I(2));
  ERR("log: the result is not a finite number", log, F(0), F(10));
  ERR("log: the number must not be negative, found -1", log, F(-1), F(10));
  ERR("log: the base must be positive and not 1, found 1", log, F(5), F(1));
  OK("1024.0", pow, F(2), F(10));
  OK("1.0", pow, F(5), F(0));
  OK("0.5", pow, F(2), F(-1));
  ERR("pow: the result is not a finite number", pow, F(10), F(400));
  OK("-1", signum, I(-3));
  OK("0", signum, F(0));
  OK("1", signum, F(0.001));
}

static void test_max_min(void **s) {
  (void)s;
  OK("12", max, I(12), I(54 - 50), I(3));
  OK("3", min, I(12), I(4), I(3));
  OK("12.0", max, I(12), F(4.5));            /* a float when any argument is */
  OK("-1.5", min, I(12), F(-1.5));
  OK("7", max, I(7));
  OK("-9223372036854775808", min, I(INT64_MIN), I(0));
  assert_string_equal(t_err(sl_max, NULL, 0), "max: must provide at least one number");
}

static void test_parseint(void **s) {
  (void)s;
  OK("100", parseint, S("100"), I(10));
  OK("255", parseint, S("FF"), I(16));
  OK("255", parseint, S("ff"), I(16));
  OK("-12", parseint, S("-1100"), I(2));
  OK("12", parseint, S("+1100"), I(2));
  OK("61", parseint, S("Z"), I(62));       /* past base 36, upper case is 36..61 */
  OK("35", parseint, S("z"), I(62));
  OK("9223372036854775807", parseint, S("9223372036854775807"), I(10));
  OK("-9223372036854775808", parseint, S("-9223372036854775808"), I(10));
  ERR("parseint: \"9223372036854775808\" is out of range for an int", parseint, S("9223372036854775808"), I(10));
  ERR("parseint: cannot parse \"12\" as a base 2 integer", parseint, S("12"), I(2));
  ERR("parseint: cannot parse \"\" as a base 10 integer", parseint, S(""), I(10));
  ERR("parseint: cannot parse \"-\" as a base 10 integer", parseint, S("-"), I(10));
  ERR("parseint: cannot parse \"0x10\" as a base 16 integer", parseint, S("0x10"), I(16));
  ERR("parseint: base must be a whole number between 2 and 62 inclusive, found 1", parseint, S("1"), I(1));
  ERR("parseint: base must be a whole number between 2 and 62 inclusive, found 63", parseint, S("1"), I(63));
  /* a secret is never quoted */
  ERR("parseint: cannot parse [secret] as a base 10 integer", parseint, val_mark_secret(S("hunter2")), I(10));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_abs_ceil_floor, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_log_pow_signum, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_max_min, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_parseint, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
