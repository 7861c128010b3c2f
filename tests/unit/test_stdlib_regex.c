/* regex, regexall and replace with a /pattern/ (stdlib/regex.c), called directly, and the
 * pattern shapes the checker reads (sl_regex_shape): Go's semantics for empty matches,
 * $-expansion, unmatched groups as null, invalid patterns and runaway backtracking. */
#include "tests/unit/stdlib_harness.h"
#include "stdlib/regex.h"

static void test_regex(void **s) {
  (void)s;
  OK("\"abcd\"", regex, S("[a-z]+"), S("53453453.abcd.1234"));
  OK("[\"2019\",\"01\"]", regex, S("(\\d\\d\\d\\d)-(\\d\\d)"), S("on 2019-01-02"));
  OK("{\"month\":\"01\",\"year\":\"2019\"}", regex, S("(?P<year>\\d{4})-(?P<month>\\d{2})"), S("2019-01"));
  OK("[\"a\",null]", regex, S("(a)|(b)"), S("a"));       /* a group that took no part */
  OK("\"é\"", regex, S("."), S("é"));                      /* UTF mode: a character, not a byte */
  OK("\"ab\"", regex, S("(?i)AB"), S("xab"));
  ERR("regex: pattern did not match any part of the given string", regex, S("[0-9]+"), S("abc"));
  ERR("regex: error parsing pattern: missing closing parenthesis at offset 2", regex, S("(a"), S("a"));
  ERR("regex: invalid regexp pattern: cannot mix both named and unnamed capture groups",
      regex, S("(?P<a>x)(y)"), S("xy"));
  /* $ is the end of the text only, as in Go (not before a final newline) */
  ERR("regex: pattern did not match any part of the given string", regex, S("a$"), S("a\n"));
}

static void test_regexall(void **s) {
  (void)s;
  OK("[\"abcd\",\"efgh\"]", regexall, S("[a-z]+"), S("1234abcd5678efgh9"));
  OK("[]", regexall, S("[a-z]+"), S("123456789"));
  OK("[\"\",\"\",\"\",\"\"]", regexall, S("x*"), S("abc"));
  OK("[\"\",\"aaa\",\"\"]", regexall, S("a*"), S("baaac"));  /* no empty match right after one */
  OK("[[\"a\",\"1\"],[\"b\",\"2\"]]", regexall, S("([a-z])=(\\d)"), S("a=1,b=2"));
  OK("[{\"k\":\"a\"},{\"k\":\"b\"}]", regexall, S("(?P<k>[a-z])"), S("a,b"));
}

static void test_replace(void **s) {
  (void)s;
  OK("\"-a-b-c-\"", replace, S("abc"), S("/x*/"), S("-"));
  OK("\"-b-c-\"", replace, S("baaac"), S("/a*/"), S("-"));
  OK("\"2019/01\"", replace, S("01-2019"), S("/(\\d+)-(\\d+)/"), S("$2/$1"));
  OK("\"[x]\"", replace, S("x"), S("/(?P<n>x)/"), S("[${n}]"));
  OK("\"$5\"", replace, S("5"), S("/(\\d)/"), S("$$$1"));
  OK("\"\"", replace, S("ab"), S("/(a)(b)/"), S("$1x"));       /* $1x is the group named 1x */
  OK("\"a$\"", replace, S("ab"), S("/(a)(b)/"), S("${1}$"));
  OK("\"/\"", replace, S("/"), S("/"), S("/"));                 /* one slash is not a pattern */
  OK("\"x/x/x\"", replace, S("//"), S("//"), S("x"));           /* an empty pattern matches everywhere */
  ERR("replace: error parsing pattern: missing closing parenthesis at offset 1", replace, S("a"), S("/(/"), S("x"));
}

static void test_backtracking_capped(void **s) {
  (void)s;
  char subject[64];
  memset(subject, 'a', 40);
  strcpy(subject + 40, "!");
  ERR("regex: the pattern backtracks too much on this string (the limit is 1000000 steps); simplify the pattern",
      regex, S("^(a+)+$"), S(subject));
}

static void test_shapes(void **s) {
  (void)s;
  Arena a;
  arena_init(&a);
  SlReShape sh;
  const char *err = NULL;
  assert_true(sl_regex_shape(&a, "[a-z]+", 6, &sh, &err));
  assert_int_equal(sh.kind, SL_RE_WHOLE);
  assert_true(sl_regex_shape(&a, "(a)(?:b)(c)", 11, &sh, &err));
  assert_int_equal(sh.kind, SL_RE_LIST);
  assert_int_equal(sh.ngroups, 2);
  assert_true(sl_regex_shape(&a, "(?<y>a)(?P<m>b)", 15, &sh, &err));
  assert_int_equal(sh.kind, SL_RE_NAMED);
  assert_string_equal(sh.names[0], "y");
  assert_string_equal(sh.names[1], "m");
  assert_false(sl_regex_shape(&a, "(?<y>a)(?<y>b)", 14, &sh, &err));
  assert_non_null(strstr(err, "error parsing pattern"));
  assert_false(sl_regex_shape(&a, "[", 1, &sh, &err));
  assert_string_equal(err, "error parsing pattern: missing terminating ] for character class at offset 1");
  arena_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_regex, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_regexall, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_replace, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_backtracking_capped, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_shapes, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
