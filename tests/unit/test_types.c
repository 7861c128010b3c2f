/* Unit tests of Plat types (compiler/types.h): hash-consing identity of the one-element
 * constructors, ty_show as users write types, assignability (int -> float only, unions,
 * optionals, records with defaults, records as maps, lists and maps), joins, equality
 * through aliases, and the name indexes of large records, unions and resource types.
 * How the checker uses them is tested in test_check.c and the golden files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/types.h"

static Arena arena;
static Interner strs;
static TypeCtx tc;

static int setup(void **state) {
  (void)state;
  arena_init(&arena);
  intern_init(&strs, &arena);
  ty_init(&tc, &arena, NULL);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  intern_free(&strs);
  arena_free(&arena);
  return 0;
}

static const Str *S(const char *s) { return intern_cstr(&strs, s); }

static RecField field(const char *name, const Type *t, bool has_default) {
  RecField f = {0};
  f.name = S(name);
  f.type = t;
  f.has_default = has_default;
  f.span = span_make(SPAN_NO_FILE, 0, 0);
  return f;
}

static const Type *uni2(const char *a, const char *b) {
  const Str *ms[2] = {S(a), S(b)};
  return ty_union(&tc, ms, 2);
}

/* ---- construction ---------------------------------------------------------------------- */
static void test_hash_consing_gives_one_pointer_per_type(void **state) {
  (void)state;
  const Type *a = ty_list(&tc, TY_STRING_T), *b = ty_list(&tc, TY_STRING_T);
  assert_ptr_equal(a, b);
  assert_ptr_not_equal(ty_list(&tc, TY_INT_T), a);
  assert_ptr_not_equal(ty_map(&tc, TY_STRING_T), a);   /* the kind is part of the key */
  assert_ptr_equal(ty_map(&tc, ty_list(&tc, TY_INT_T)), ty_map(&tc, ty_list(&tc, TY_INT_T)));
  assert_ptr_equal(ty_optional(&tc, TY_INT_T), ty_optional(&tc, TY_INT_T));
  assert_ptr_equal(ty_secret(&tc, TY_STRING_T), ty_secret(&tc, TY_STRING_T));
  /* thousands of types: the table grows and every one is still found */
  const Type *t = TY_INT_T;
  const Type *chain[300];
  for (int i = 0; i < 300; i++) chain[i] = t = ty_list(&tc, t == TY_INT_T ? t : ty_map(&tc, t));
  t = TY_INT_T;
  for (int i = 0; i < 300; i++) {
    t = ty_list(&tc, t == TY_INT_T ? t : ty_map(&tc, t));
    assert_ptr_equal(t, chain[i]);
  }
  assert_true(chain[299]->depth > 200);
}

static void test_constructors_normalize(void **state) {
  (void)state;
  const Type *o = ty_optional(&tc, TY_INT_T);
  assert_ptr_equal(ty_optional(&tc, o), o);                  /* T?? is T? */
  assert_ptr_equal(ty_optional(&tc, TY_NULL_T), TY_NULL_T);  /* null? is null */
  const Type *s = ty_secret(&tc, TY_STRING_T);
  assert_ptr_equal(ty_secret(&tc, s), s);
  /* errors never nest, so one mistake gives one diagnostic */
  assert_ptr_equal(ty_list(&tc, TY_ERROR_T), TY_ERROR_T);
  assert_ptr_equal(ty_map(&tc, TY_ERROR_T), TY_ERROR_T);
  assert_ptr_equal(ty_optional(&tc, TY_ERROR_T), TY_ERROR_T);
  assert_ptr_equal(ty_secret(&tc, TY_ERROR_T), TY_ERROR_T);
  assert_ptr_equal(ty_refined(&tc, TY_ERROR_T, NULL, NULL, span_make(0, 0, 0)), TY_ERROR_T);
  assert_int_equal(TY_INT_T->depth, 1);
  assert_int_equal(ty_list(&tc, ty_list(&tc, TY_INT_T))->depth, 3);
}

/* ---- printing ---------------------------------------------------------------------------- */
static void test_show_as_users_write_types(void **state) {
  (void)state;
  assert_string_equal(ty_show(&tc, TY_INT_T), "int");
  assert_string_equal(ty_show(&tc, ty_list(&tc, TY_STRING_T)), "list<string>");
  assert_string_equal(ty_show(&tc, ty_map(&tc, ty_list(&tc, TY_FLOAT_T))), "map<list<float>>");
  assert_string_equal(ty_show(&tc, ty_optional(&tc, TY_STRING_T)), "string?");
  assert_string_equal(ty_show(&tc, ty_secret(&tc, TY_STRING_T)), "secret string");
  const Type *u = uni2("web", "worker");
  assert_string_equal(ty_show(&tc, u), "\"web\" | \"worker\"");
  assert_string_equal(ty_show(&tc, ty_optional(&tc, u)), "(\"web\" | \"worker\")?");
  const Type *tier = ty_alias(&tc, S("Tier"), u, NULL);
  assert_string_equal(ty_show(&tc, tier), "Tier");
  assert_string_equal(ty_show(&tc, ty_optional(&tc, tier)), "Tier?");
  assert_string_equal(ty_show(&tc, ty_list(&tc, tier)), "list<Tier>");
  RecField fs[2] = {field("host", TY_STRING_T, false), field("port", TY_INT_T, true)};
  assert_string_equal(ty_show(&tc, ty_record(&tc, fs, 2)), "{ host: string, port: int = ... }");
  assert_string_equal(ty_show(&tc, ty_record(&tc, NULL, 0)), "{}");
  assert_string_equal(ty_show(&tc, ty_refined(&tc, TY_INT_T, NULL, NULL, span_make(0, 0, 0))),
                      "int where ...");
  ResType rt = {0};
  rt.qual = "local.File";
  assert_string_equal(ty_show(&tc, ty_resource(&tc, &rt)), "local.File");
  assert_string_equal(ty_show(&tc, ty_map(&tc, ty_resource(&tc, &rt))), "map<local.File>");
  FnParamT ps[2] = {{S("name"), TY_STRING_T, false}, {S("zone"), TY_STRING_T, true}};
  assert_string_equal(ty_show(&tc, ty_fn(&tc, S("fqdn"), ps, 2, false, TY_STRING_T)),
                      "fqdn(name: string, zone: string = ...): string");
}

/* ---- assignability ------------------------------------------------------------------------- */
static void test_assignable_primitives(void **state) {
  (void)state;
  assert_true(ty_assignable(TY_INT_T, TY_FLOAT_T));       /* the one implicit conversion */
  assert_false(ty_assignable(TY_FLOAT_T, TY_INT_T));
  assert_false(ty_assignable(TY_INT_T, TY_STRING_T));
  assert_false(ty_assignable(TY_STRING_T, TY_INT_T));
  assert_false(ty_assignable(TY_BOOL_T, TY_STRING_T));
  assert_false(ty_assignable(TY_NULL_T, TY_STRING_T));
  assert_true(ty_assignable(TY_STRING_T, TY_STRING_T));
  /* the error type silences cascades both ways */
  assert_true(ty_assignable(TY_ERROR_T, TY_INT_T));
  assert_true(ty_assignable(TY_INT_T, TY_ERROR_T));
  /* secret is taint on expressions, not a conversion */
  assert_true(ty_assignable(ty_secret(&tc, TY_STRING_T), TY_STRING_T));
  assert_true(ty_assignable(TY_STRING_T, ty_secret(&tc, TY_STRING_T)));
}

static void test_assignable_unions(void **state) {
  (void)state;
  const Type *tier = uni2("web", "worker");
  const Str *one[1] = {S("web")};
  const Type *web = ty_union(&tc, one, 1);
  assert_true(ty_assignable(tier, TY_STRING_T));           /* a union is a string */
  assert_false(ty_assignable(TY_STRING_T, tier));          /* only constants are checked in */
  assert_true(ty_assignable(web, tier));                   /* a subset */
  assert_false(ty_assignable(tier, web));
  assert_true(ty_union_has(tier, "worker", 6));
  assert_false(ty_union_has(tier, "work", 4));
  assert_true(ty_assignable(ty_alias(&tc, S("Tier"), tier, NULL), tier));
}

static void test_assignable_optionals(void **state) {
  (void)state;
  const Type *os = ty_optional(&tc, TY_STRING_T);
  assert_true(ty_assignable(TY_NULL_T, os));
  assert_true(ty_assignable(TY_STRING_T, os));
  assert_false(ty_assignable(os, TY_STRING_T));            /* E0307 in the checker */
  assert_true(ty_assignable(ty_optional(&tc, TY_INT_T), ty_optional(&tc, TY_FLOAT_T)));
  assert_false(ty_assignable(ty_optional(&tc, TY_FLOAT_T), ty_optional(&tc, TY_INT_T)));
}

static void test_assignable_collections(void **state) {
  (void)state;
  assert_true(ty_assignable(ty_list(&tc, TY_INT_T), ty_list(&tc, TY_FLOAT_T)));
  assert_false(ty_assignable(ty_list(&tc, TY_STRING_T), ty_list(&tc, TY_INT_T)));
  assert_false(ty_assignable(ty_list(&tc, TY_STRING_T), ty_map(&tc, TY_STRING_T)));
  /* `[]` is list<nothing>: any list */
  assert_true(ty_assignable(ty_list(&tc, TY_NOTHING_T), ty_list(&tc, ty_map(&tc, TY_BOOL_T))));
  assert_true(ty_contains_nothing(ty_list(&tc, TY_NOTHING_T)));
  assert_false(ty_contains_nothing(ty_list(&tc, TY_INT_T)));
  /* a record whose fields are all T is a map<T> */
  RecField fs[2] = {field("web", TY_INT_T, false), field("worker", TY_FLOAT_T, false)};
  const Type *r = ty_record(&tc, fs, 2);
  assert_true(ty_assignable(r, ty_map(&tc, TY_FLOAT_T)));
  assert_false(ty_assignable(r, ty_map(&tc, TY_INT_T)));
  assert_true(ty_assignable(ty_record(&tc, NULL, 0), ty_map(&tc, TY_STRING_T)));
}

static void test_assignable_records_with_defaults(void **state) {
  (void)state;
  RecField ep[3] = {field("host", TY_STRING_T, false), field("port", TY_INT_T, true),
                    field("tls", TY_BOOL_T, true)};
  const Type *endpoint = ty_record(&tc, ep, 3);
  RecField lit1[1] = {field("host", TY_STRING_T, false)};
  assert_true(ty_assignable(ty_record(&tc, lit1, 1), endpoint));        /* defaults fill in */
  RecField lit2[1] = {field("port", TY_INT_T, false)};
  assert_false(ty_assignable(ty_record(&tc, lit2, 1), endpoint));       /* host is required */
  RecField lit3[2] = {field("host", TY_STRING_T, false), field("prot", TY_INT_T, false)};
  assert_false(ty_assignable(ty_record(&tc, lit3, 2), endpoint));       /* unknown field */
  RecField lit4[2] = {field("host", TY_STRING_T, false), field("port", TY_STRING_T, false)};
  assert_false(ty_assignable(ty_record(&tc, lit4, 2), endpoint));       /* wrong field type */
  /* `{}` is any record whose fields all have defaults */
  RecField opt[1] = {field("tls", TY_BOOL_T, true)};
  assert_true(ty_assignable(ty_record(&tc, NULL, 0), ty_record(&tc, opt, 1)));
  assert_false(ty_assignable(ty_record(&tc, NULL, 0), endpoint));
}

static void test_assignable_resources_by_identity(void **state) {
  (void)state;
  ResType a = {0}, b = {0};
  a.qual = "local.File";
  b.qual = "local.Directory";
  const Type *ta = ty_resource(&tc, &a), *tb = ty_resource(&tc, &b);
  assert_ptr_equal(ty_resource(&tc, &a), ta);
  assert_true(ty_assignable(ta, ta));
  assert_false(ty_assignable(ta, tb));
  assert_false(ty_assignable(ta, TY_STRING_T));
}

/* ---- equality and joins ----------------------------------------------------------------------- */
static void test_equal_sees_through_aliases_not_secret(void **state) {
  (void)state;
  const Type *port = ty_alias(&tc, S("Port"), TY_INT_T, NULL);
  assert_true(ty_equal(port, TY_INT_T));
  assert_true(ty_equal(ty_list(&tc, port), ty_list(&tc, TY_INT_T)));
  assert_false(ty_equal(ty_secret(&tc, TY_INT_T), TY_INT_T));
  assert_true(ty_equal(uni2("a", "b"), uni2("b", "a")));
  assert_false(ty_equal(uni2("a", "b"), uni2("a", "c")));
  assert_true(ty_is_secret(ty_alias(&tc, S("Token"), ty_secret(&tc, TY_STRING_T), NULL)));
  assert_true(ty_contains_secret(ty_list(&tc, ty_secret(&tc, TY_STRING_T))));
  assert_false(ty_is_secret(ty_list(&tc, ty_secret(&tc, TY_STRING_T))));
}

static void test_join(void **state) {
  (void)state;
  assert_ptr_equal(ty_join(&tc, TY_INT_T, TY_FLOAT_T), TY_FLOAT_T);
  assert_ptr_equal(ty_join(&tc, TY_INT_T, TY_NULL_T), ty_optional(&tc, TY_INT_T));
  assert_ptr_equal(ty_join(&tc, TY_NULL_T, TY_STRING_T), ty_optional(&tc, TY_STRING_T));
  assert_null(ty_join(&tc, TY_INT_T, TY_STRING_T));
  assert_ptr_equal(ty_join(&tc, ty_list(&tc, TY_INT_T), ty_list(&tc, TY_FLOAT_T)),
                   ty_list(&tc, TY_FLOAT_T));
  assert_ptr_equal(ty_join(&tc, ty_list(&tc, TY_NOTHING_T), ty_list(&tc, TY_BOOL_T)),
                   ty_list(&tc, TY_BOOL_T));
  /* a union and a string meet at string; a union and its superset at the superset */
  const Type *ab = uni2("a", "b");
  const Str *one[1] = {S("a")};
  assert_ptr_equal(ty_join(&tc, ab, TY_STRING_T), TY_STRING_T);
  assert_ptr_equal(ty_join(&tc, ty_union(&tc, one, 1), ab), ab);
  /* records join field by field when they have the same fields */
  RecField a[1] = {field("n", TY_INT_T, false)}, b[1] = {field("n", TY_FLOAT_T, false)};
  RecField c[1] = {field("m", TY_INT_T, false)};
  const Type *j = ty_join(&tc, ty_record(&tc, a, 1), ty_record(&tc, b, 1));
  assert_non_null(j);
  assert_ptr_equal(ty_field(j, S("n"))->type, TY_FLOAT_T);
  assert_null(ty_join(&tc, ty_record(&tc, a, 1), ty_record(&tc, c, 1)));
  /* a record literal whose fields fit a map's element type meets the map at the map */
  RecField ints[2] = {field("web", TY_INT_T, false), field("admin", TY_INT_T, false)};
  assert_ptr_equal(ty_join(&tc, ty_map(&tc, TY_INT_T), ty_record(&tc, ints, 2)), ty_map(&tc, TY_INT_T));
  assert_ptr_equal(ty_join(&tc, ty_record(&tc, ints, 2), ty_map(&tc, TY_FLOAT_T)), ty_map(&tc, TY_FLOAT_T));
  RecField mixed[2] = {field("web", TY_INT_T, false), field("name", TY_STRING_T, false)};
  assert_null(ty_join(&tc, ty_map(&tc, TY_INT_T), ty_record(&tc, mixed, 2)));
  /* secret survives a join */
  assert_true(ty_is_secret(ty_join(&tc, ty_secret(&tc, TY_INT_T), TY_INT_T)));
}

/* ---- indexes ----------------------------------------------------------------------------------- */
static void test_large_record_index(void **state) {
  (void)state;
  enum { N = 500 };
  RecField *fs = calloc(N + 1, sizeof *fs);
  char name[32];
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "f%d", i);
    fs[i] = field(name, i % 2 ? TY_INT_T : TY_STRING_T, false);
  }
  fs[N] = field("f7", TY_BOOL_T, false);   /* a duplicate: the first one wins */
  const Type *r = ty_record(&tc, fs, N + 1);
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "f%d", i);
    const RecField *f = ty_field(r, S(name));
    assert_non_null(f);
    assert_ptr_equal(f, &r->u.rec.fields[i]);
  }
  assert_ptr_equal(ty_field(r, S("f7"))->type, TY_INT_T);
  assert_null(ty_field(r, S("f500")));
  assert_null(ty_field(r, S("nope")));
  free(fs);
}

static void test_large_union_index(void **state) {
  (void)state;
  enum { N = 300 };
  const Str **ms = calloc(N, sizeof *ms);
  char name[32];
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "m-%d", i);
    ms[i] = S(name);
  }
  const Type *u = ty_union(&tc, ms, N);
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "m-%d", i);
    assert_true(ty_union_has(u, name, (uint32_t)strlen(name)));
  }
  assert_false(ty_union_has(u, "m-300", 5));
  assert_false(ty_union_has(u, "m-1", 2));     /* a prefix is not a member */
  assert_true(ty_assignable(uni2("m-1", "m-299"), u));
  assert_false(ty_assignable(uni2("m-1", "x"), u));
  free(ms);
}

static void test_resource_index(void **state) {
  (void)state;
  for (int big = 0; big < 2; big++) {
    int n = big ? 40 : 3;
    ResType rt = {0};
    rt.qual = "T";
    rt.inputs = calloc((size_t)n, sizeof *rt.inputs);
    rt.outputs = calloc(2, sizeof *rt.outputs);
    rt.members = calloc(2, sizeof *rt.members);
    char name[32];
    for (int i = 0; i < n; i++) {
      snprintf(name, sizeof name, "in%d", i);
      rt.inputs[rt.ninputs++] = field(name, TY_STRING_T, false);
    }
    rt.outputs[rt.noutputs++] = field("size", TY_INT_T, false);
    rt.outputs[rt.noutputs++] = field("in1", TY_INT_T, false);    /* an input wins */
    rt.members[rt.nmembers++] = field("cfg", TY_BOOL_T, false);
    rt.members[rt.nmembers++] = field("size", TY_BOOL_T, false);  /* an output wins */
    ty_res_index(&tc, &rt);
    assert_true(big ? rt.idx != NULL : rt.idx == NULL);
    ResPart part;
    uint32_t idx;
    for (int i = 0; i < n; i++) {
      snprintf(name, sizeof name, "in%d", i);
      assert_ptr_equal(ty_res_find(&rt, S(name), &part, &idx), &rt.inputs[i]);
      assert_int_equal(part, RP_INPUT);
      assert_int_equal(idx, i);
    }
    assert_ptr_equal(ty_res_find(&rt, S("size"), &part, &idx), &rt.outputs[0]);
    assert_int_equal(part, RP_OUTPUT);
    assert_ptr_equal(ty_res_find(&rt, S("cfg"), &part, &idx), &rt.members[0]);
    assert_int_equal(part, RP_MEMBER);
    assert_int_equal(idx, 0);
    assert_ptr_equal(ty_res_find(&rt, S("in1"), &part, &idx), &rt.inputs[1]);
    assert_null(ty_res_find(&rt, S("missing"), &part, &idx));
    free(rt.inputs);
    free(rt.outputs);
    free(rt.members);
  }
}

static void test_refinements_outermost_first(void **state) {
  (void)state;
  Span sp = span_make(0, 0, 0);
  const Type *inner = ty_refined(&tc, TY_INT_T, NULL, NULL, sp);
  const Type *port = ty_alias(&tc, S("Port"), inner, NULL);
  const Type *outer = ty_refined(&tc, ty_secret(&tc, port), NULL, NULL, sp);
  const Type *out[4];
  assert_int_equal(ty_refinements(outer, out, 4), 2);
  assert_ptr_equal(out[0], outer);
  assert_ptr_equal(out[1], inner);
  assert_int_equal(ty_refinements(TY_INT_T, out, 4), 0);
  assert_ptr_equal(ty_base(outer), TY_INT_T);
  assert_true(ty_is_secret(outer));
  assert_true(ty_is_numeric(outer));
}

/* Records holding another twice share it: a tower of 60 levels stands for 2^60 nodes. */
static const Type *tower(int levels) {
  RecField leaf[1] = {field("a", TY_INT_T, false)};
  const Type *t = ty_record(&tc, leaf, 1);
  for (int i = 0; i < levels; i++) {
    RecField two[2] = {field("x", t, false), field("y", t, false)};
    t = ty_record(&tc, two, 2);
  }
  return t;
}

static void test_shared_types_stay_bounded(void **state) {
  (void)state;
  /* small towers compare structurally */
  assert_true(ty_equal(tower(10), tower(10)));
  assert_true(ty_assignable(tower(10), tower(10)));
  assert_non_null(ty_join(&tc, tower(10), tower(10)));
  /* huge ones end within the step budget, conservatively, and print within the cap */
  const Type *a = tower(60), *b = tower(60);
  assert_false(ty_equal(a, b));
  assert_false(ty_assignable(a, b));
  assert_null(ty_join(&tc, a, b));
  assert_true(ty_equal(a, a));                 /* the same type is found at once */
  const char *s = ty_show(&tc, a);
  assert_true(strlen(s) <= TY_SHOW_MAX + 3);
  assert_string_equal(s + strlen(s) - 3, "...");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_hash_consing_gives_one_pointer_per_type, setup, teardown),
      cmocka_unit_test_setup_teardown(test_constructors_normalize, setup, teardown),
      cmocka_unit_test_setup_teardown(test_show_as_users_write_types, setup, teardown),
      cmocka_unit_test_setup_teardown(test_assignable_primitives, setup, teardown),
      cmocka_unit_test_setup_teardown(test_assignable_unions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_assignable_optionals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_assignable_collections, setup, teardown),
      cmocka_unit_test_setup_teardown(test_assignable_records_with_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_assignable_resources_by_identity, setup, teardown),
      cmocka_unit_test_setup_teardown(test_equal_sees_through_aliases_not_secret, setup, teardown),
      cmocka_unit_test_setup_teardown(test_join, setup, teardown),
      cmocka_unit_test_setup_teardown(test_large_record_index, setup, teardown),
      cmocka_unit_test_setup_teardown(test_large_union_index, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resource_index, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refinements_outermost_first, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shared_types_stay_bounded, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
