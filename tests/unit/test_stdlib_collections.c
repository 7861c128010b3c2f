/* The collection built-ins (stdlib/collections.c) and tolist/toset/tomap, called
 * directly: Terraform's results and messages, sets sorted and without repeats. */
#include "tests/unit/stdlib_harness.h"

static void test_bools_chunks_coalesce(void **s) {
  (void)s;
  OK("true", alltrue, LST(0));
  OK("false", alltrue, LST(2, B(true), B(false)));
  OK("false", anytrue, LST(0));
  OK("true", anytrue, LST(2, B(false), B(true)));
  OK("[[\"a\",\"b\"],[\"c\"]]", chunklist, LST(3, S("a"), S("b"), S("c")), I(2));
  OK("[[\"a\",\"b\"]]", chunklist, LST(2, S("a"), S("b")), I(0));
  OK("[]", chunklist, LST(0), I(3));
  ERR("chunklist: the size argument must be positive, found -1", chunklist, LST(1, I(1)), I(-1));
  OK("\"b\"", coalesce, N(), S(""), S("b"), S("c"));
  OK("1", coalesce, N(), I(1));
  ERR("coalesce: no non-null, non-empty-string arguments", coalesce, N(), S(""));
  OK("[\"c\"]", coalescelist, LST(0), LST(1, S("c")));
  ERR("coalescelist: no non-empty list among the arguments", coalescelist, LST(0), LST(0));
  OK("[\"a\",\"c\"]", compact, LST(4, S("a"), S(""), N(), S("c")));
}

static void test_lists(void **s) {
  (void)s;
  OK("[1,2,3]", concat, LST(2, I(1), I(2)), LST(0), LST(1, I(3)));
  OK("[1,2,3]", flatten, LST(2, LST(2, I(1), I(2)), LST(1, I(3))));
  OK("true", contains, LST(2, S("a"), S("b")), S("b"));
  OK("false", contains, LST(0), S("b"));
  OK("true", contains, LST(1, F(1.0)), I(1));
  OK("[\"b\",\"a\",\"c\"]", distinct, LST(5, S("b"), S("a"), S("b"), S("c"), S("a")));
  OK("\"b\"", element, LST(3, S("a"), S("b"), S("c")), I(4));
  ERR("element: cannot use element function with an empty list", element, LST(0), I(0));
  ERR("element: cannot use element function with a negative index (-1)", element, LST(1, I(1)), I(-1));
  OK("1", index, LST(2, S("a"), S("b")), S("b"));
  ERR("index: item \"z\" not found", index, LST(1, S("a")), S("z"));
  OK("[3,2,1]", reverse, LST(3, I(1), I(2), I(3)));
  OK("[\"b\",\"c\"]", slice, LST(4, S("a"), S("b"), S("c"), S("d")), I(1), I(3));
  OK("[]", slice, LST(1, S("a")), I(1), I(1));
  ERR("slice: from index must be greater than or equal to 0, found -1", slice, LST(1, I(1)), I(-1), I(1));
  ERR("slice: to index must be less than or equal to the length of the list (1), found 2", slice, LST(1, I(1)), I(0), I(2));
  ERR("slice: from index (1) must be less than or equal to to index (0)", slice, LST(1, I(1)), I(1), I(0));
  OK("[\"A\",\"a\",\"b\",\"é\"]", sort, LST(4, S("é"), S("b"), S("a"), S("A")));
  OK("4", length, LST(4, I(1), I(1), I(1), I(1)));
  OK("2", length, MAP(2, "a", I(1), "b", I(2)));
  OK("2", length, S("e\u0301a"));
  OK("0", length, S(""));
  OK("null", one, LST(0));
  OK("\"x\"", one, LST(1, S("x")));
  ERR("one: must be a list with either zero or one elements, found 2 elements", one, LST(2, I(1), I(2)));
}

static void test_range_sum(void **s) {
  (void)s;
  OK("[0,1,2]", range, I(3));
  OK("[0,-1,-2]", range, I(-3));
  OK("[1,2,3]", range, I(1), I(4));
  OK("[4,3,2]", range, I(4), I(1));
  OK("[1,4,7]", range, I(1), I(8), I(3));
  OK("[10,8,6]", range, I(10), I(5), I(-2));
  OK("[]", range, I(0));
  ERR("range: step must not be zero", range, I(1), I(4), I(0));
  ERR("range: end must be greater than start when step is positive", range, I(4), I(1), I(1));
  ERR("range: end must be less than start when step is negative", range, I(1), I(4), I(-1));
  ERR("range: more than 1048576 values would be generated; either decrease the difference between start and end or use a larger step",
      range, I(INT64_MIN), I(INT64_MAX));
  OK("6", sum, LST(3, I(1), I(2), I(3)));
  OK("3.5", sum, LST(2, I(1), F(2.5)));
  ERR("sum: cannot sum an empty list", sum, LST(0));
  ERR("sum: integer overflow", sum, LST(2, I(INT64_MAX), I(1)));
}

static void test_maps(void **s) {
  (void)s;
  Val m = MAP(3, "b", I(2), "a", I(1), "c", I(3));
  OK("[\"a\",\"b\",\"c\"]", keys, m);
  OK("[1,2,3]", values, m);
  OK("2", lookup, m, S("b"), I(0));
  OK("0", lookup, m, S("z"), I(0));
  OK("{\"a\":9,\"b\":2,\"c\":3,\"d\":4}", merge, m, MAP(2, "a", I(9), "d", I(4)));
  OK("{}", merge, MAP(0), MAP(0));
  OK("{\"a\":1,\"b\":2}", zipmap, LST(2, S("a"), S("b")), LST(2, I(1), I(2)));
  OK("{\"a\":2}", zipmap, LST(2, S("a"), S("a")), LST(2, I(1), I(2)));
  ERR("zipmap: number of keys (1) does not match number of values (2)", zipmap, LST(1, S("a")), LST(2, I(1), I(2)));
  OK("{\"1\":[\"a\",\"b\"],\"2\":[\"a\"],\"3\":[\"c\"]}", transpose,
     MAP(3, "a", LST(2, S("1"), S("2")), "b", LST(1, S("1")), "c", LST(1, S("3"))));
  OK("{}", transpose, MAP(0));
  OK("[\"i-1\",\"i-3\"]", matchkeys, LST(3, S("i-1"), S("i-2"), S("i-3")),
     LST(3, S("us-a"), S("us-b"), S("us-a")), LST(1, S("us-a")));
  ERR("matchkeys: length of keys and values should be equal (1 keys, 2 values)", matchkeys,
      LST(2, I(1), I(2)), LST(1, I(1)), LST(0));
}

static void test_sets(void **s) {
  (void)s;
  OK("[\"a\",\"b\",\"c\",\"d\"]", setunion, LST(2, S("d"), S("b")), LST(2, S("c"), S("a")), LST(1, S("b")));
  OK("[\"b\"]", setintersection, LST(3, S("a"), S("b"), S("b")), LST(2, S("b"), S("c")));
  OK("[]", setintersection, LST(1, S("a")), LST(0));
  OK("[\"a\",\"c\"]", setsubtract, LST(4, S("c"), S("a"), S("b"), S("a")), LST(1, S("b")));
  OK("[[\"x\",\"1\"],[\"x\",\"2\"],[\"y\",\"1\"],[\"y\",\"2\"]]", setproduct,
     LST(2, S("x"), S("y")), LST(2, S("1"), S("2")));
  OK("[]", setproduct, LST(2, S("x"), S("y")), LST(0));
  OK("[1,2,3]", toset, LST(4, I(3), I(1), I(2), I(1)));
  OK("[1,2]", tolist, LST(2, I(1), I(2)));
  OK("{\"a\":1}", tomap, MAP(1, "a", I(1)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_bools_chunks_coalesce, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_lists, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_range_sum, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_maps, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_sets, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
