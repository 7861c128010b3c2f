/* The string built-ins (stdlib/strings.c, format.c), called directly: Unicode (grapheme
 * clusters, case mapping, white space), Terraform's format verbs and their errors. */
#include "tests/unit/stdlib_harness.h"

static void test_simple(void **s) {
  (void)s;
  OK("\"hello\"", chomp, S("hello\n\r\n"));
  OK("\"a\\nb\"", chomp, S("a\nb"));
  OK("\"\"", chomp, S(""));
  OK("true", startswith, S("hello"), S("he"));
  OK("true", startswith, S("hello"), S(""));
  OK("false", startswith, S("he"), S("hello"));
  OK("true", endswith, S("hello"), S("llo"));
  OK("false", endswith, S("hello"), S("he"));
  OK("true", strcontains, S("hello"), S("ll"));
  OK("false", strcontains, S("hello"), S("lx"));
  OK("\"world\"", trimprefix, S("helloworld"), S("hello"));
  OK("\"helloworld\"", trimprefix, S("helloworld"), S("x"));
  OK("\"hello\"", trimsuffix, S("helloworld"), S("world"));
  OK("\"a b\"", trimspace, S(" \t\na b\u00a0\u3000\n"));
  OK("\"\"", trimspace, S("   "));
  OK("\"bar\"", trim, S("?!bar!?"), S("!?"));
  OK("\"x\"", trim, S("ééxé"), S("é"));
}

static void test_case(void **s) {
  (void)s;
  OK("\"HELLO ÄÖÜ ΣΑΣ\"", upper, S("hello äöü σας"));
  OK("\"hello äöü\"", lower, S("HELLO ÄÖÜ"));
  OK("\"Hello World\"", title, S("hello world"));
  OK("\"Don'T Stop-Me_now\"", title, S("don't stop-me_now"));
  OK("\"Élan Über\"", title, S("élan über"));
  OK("\"\"", upper, S(""));
}

static void test_split_join_replace(void **s) {
  (void)s;
  OK("[\"a\",\"b\",\"c\"]", split, S(","), S("a,b,c"));
  OK("[\"\"]", split, S(","), S(""));
  OK("[\"\",\"\"]", split, S(","), S(","));
  OK("[\"a\",\"é\",\"c\"]", split, S(""), S("aéc"));
  OK("[]", split, S(""), S(""));
  OK("[\"a\",\"b\"]", split, S("::"), S("a::b"));
  OK("\"a-b-c\"", join, S("-"), LST(3, S("a"), S("b"), S("c")));
  OK("\"\"", join, S("-"), LST(0));
  OK("\"only\"", join, S(", "), LST(1, S("only")));
  OK("\"1 + 2 + 3\"", replace, S("1 + 2 + 3"), S("x"), S("y"));
  OK("\"a_b_c\"", replace, S("a-b-c"), S("-"), S("_"));
  OK("\"xaxbx\"", replace, S("ab"), S(""), S("x"));
  OK("\"aaa\"", replace, S("aaaaaa"), S("aa"), S("a"));
}

static void test_graphemes(void **s) {
  (void)s;
  OK("\"olleh\"", strrev, S("hello"));
  OK("\"e\u0301a\"", strrev, S("ae\u0301"));          /* e + combining accent stays one */
  OK("\"🇫🇷ab\"", strrev, S("ba🇫🇷"));                   /* a flag is one character */
  OK("\"\"", strrev, S(""));
  OK("\"hel\"", substr, S("hello world"), I(0), I(3));
  OK("\"world\"", substr, S("hello world"), I(-5), I(-1));
  OK("\"wor\"", substr, S("hello world"), I(-5), I(3));
  OK("\"ld\"", substr, S("hello world"), I(9), I(100));
  OK("\"\"", substr, S("hello"), I(10), I(2));
  OK("\"\"", substr, S("hello"), I(1), I(0));
  OK("\"hello\"", substr, S("hello"), I(-100), I(-1));
  OK("\"e\u0301\"", substr, S("ae\u0301b"), I(1), I(1));
  OK("\"bc\"", substr, S("abc"), I(1), I(INT64_MAX));
}

static void test_indent(void **s) {
  (void)s;
  OK("\"a\\n  b\\n  c\"", indent, I(2), S("a\nb\nc"));
  OK("\"a\"", indent, I(4), S("a"));
  OK("\"a\\nb\"", indent, I(0), S("a\nb"));
  ERR("indent: the number of spaces must not be negative, found -1", indent, I(-1), S("a"));
  ERR("indent: the result would be too long (2 lines of 4294967295 spaces)", indent, I(4294967295), S("\n\n"));
}

static void test_format(void **s) {
  (void)s;
  OK("\"Hello, Ander!\"", format, S("Hello, %s!"), S("Ander"));
  OK("\"There are 4 lights\"", format, S("There are %d lights"), I(4));
  OK("\"100%\"", format, S("%d%%"), I(100));
  OK("\"3.14\"", format, S("%.2f"), F(3.14159));
  OK("\"  3.1\"", format, S("%5.1f"), F(3.14159));
  OK("\"3.141590\"", format, S("%f"), F(3.14159));
  OK("\"1.234560e+02\"", format, S("%e"), F(123.456));
  OK("\"1.234560E+02\"", format, S("%E"), F(123.456));
  OK("\"0.3333333333333333\"", format, S("%g"), F(1.0 / 3));
  OK("\"1e+06\"", format, S("%g"), I(1000000));
  OK("\"1e+06\"", format, S("%v"), I(1000000));
  OK("\"123456\"", format, S("%v"), I(123456));
  OK("\"2\"", format, S("%v"), F(2.0));
  OK("\"2\"", format, S("%s"), F(2.0));
  OK("\"1.5\"", format, S("%s"), F(1.5));
  OK("\"true\"", format, S("%t"), B(true));
  OK("\"true\"", format, S("%v"), B(true));
  OK("\"1010\"", format, S("%b"), I(10));
  OK("\"17\"", format, S("%o"), I(15));
  OK("\"ff FF 0xff\"", format, S("%x %X %#x"), I(255), I(255), I(255));
  OK("\"-0042\"", format, S("%05d"), I(-42));
  OK("\"+42\"", format, S("%+d"), I(42));
  OK("\"   42\"", format, S("%5d"), I(42));
  OK("\"42   |\"", format, S("%-5d|"), I(42));
  OK("\"00042\"", format, S("%.5d"), I(42));
  OK("\"\"", format, S("%.0d"), I(0));
  OK("\"12\"", format, S("%d"), S("12"));          /* a numeric string converts */
  OK("\"\\\"a\\\\u003cb\\\"\"", format, S("%q"), S("a<b"));
  OK("\"   hi|hi   |\"", format, S("%5s|%-5s|"), S("hi"), S("hi"));
  OK("\"he\"", format, S("%.2s"), S("hello"));
  OK("\"  é\u0301\"", format, S("%3s"), S("é\u0301"));   /* widths count characters */
  OK("\"b a\"", format, S("%[2]s %[1]s"), S("a"), S("b"));
  OK("\"a b\"", format, S("%[1]s %s"), S("a"), S("b"));
  OK("\"[1,\\\"x\\\",true]\"", format, S("%v"), LST(3, I(1), S("x"), B(true)));
  OK("\"{\\\"a\\\":1.5,\\\"b\\\":null}\"", format, S("%v"), MAP(2, "a", F(1.5), "b", N()));
  OK("\"null\"", format, S("%v"), N());
  OK("\"\\\"x\\\"\"", format, S("%#v"), S("x"));
  OK("\"no verbs\"", format, S("no verbs"));
}

static void test_format_errors(void **s) {
  (void)s;
  ERR("format: not enough arguments for \"%s\" at 0: need index 1 but have 0 total", format, S("%s"));
  ERR("format: not enough arguments for \"%[3]s\" at 3: need index 3 but have 1 total", format, S("%s %[3]s"), S("a"));
  ERR("format: too many arguments; only 1 used by format string", format, S("%s"), S("a"), S("b"));
  ERR("format: too many arguments; no verbs in format string", format, S("x"), S("a"));
  ERR("format: unsupported value for \"%d\" at 0: a number is required", format, S("%d"), S("abc"));
  ERR("format: unsupported value for \"%d\" at 0: an integer is required", format, S("%d"), F(1.5));
  ERR("format: unsupported value for \"%s\" at 0: null value cannot be formatted", format, S("%s"), N());
  ERR("format: unsupported value for \"%s\" at 0: string required", format, S("%s"), LST(0));
  ERR("format: unsupported value for \"%t\" at 0: a bool is required", format, S("%t"), S("yes"));
  ERR("format: unsupported format verb 'z' in \"%z\" at offset 0", format, S("%z"), I(1));
  ERR("format: unrecognized format character '!' at offset 1", format, S("%!"), I(1));
  ERR("format: invalid format string starting at offset 3", format, S("ab%"));
  ERR("format: unrecognized format character '0' at offset 2", format, S("%[0]s"), I(1));
  ERR("format: the number at offset 1 is too large (the limit for widths, precisions and indexes is 10000)",
      format, S("%99999s"), S("a"));
}

static void test_formatlist(void **s) {
  (void)s;
  OK("[\"Hello, Valentina!\",\"Hello, Ander!\"]", formatlist, S("Hello, %s!"),
     LST(2, S("Valentina"), S("Ander")));
  OK("[\"a=1\",\"b=2\"]", formatlist, S("%s=%d"), LST(2, S("a"), S("b")), LST(2, I(1), I(2)));
  OK("[\"x-1\",\"x-2\"]", formatlist, S("%s-%d"), S("x"), LST(2, I(1), I(2)));
  OK("[\"alone\"]", formatlist, S("alone"));
  OK("[]", formatlist, S("%s"), LST(0));
  ERR("formatlist: argument 2 has length 1, which is inconsistent with argument 1 of length 2",
      formatlist, S("%s%s"), LST(2, S("a"), S("b")), LST(1, S("c")));
  ERR("formatlist: error on format iteration 1: unsupported value for \"%d\" at 0: a number is required",
      formatlist, S("%d"), LST(2, S("1"), S("x")));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_simple, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_case, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_split_join_replace, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_graphemes, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_indent, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_format, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_format_errors, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_formatlist, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
