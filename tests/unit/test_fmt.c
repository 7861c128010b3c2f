/* Unit tests of the formatter (plat_format, compiler/fmt.c): the canonical form of each
 * construct, idempotence, comments in every position, blank lines, long-line breaking,
 * parentheses, literals copied verbatim, and refusal of a file with syntax errors.  Every
 * case also checks that formatting the output again changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/compiler.h"

/* Format [src]; NULL on refusal.  *errors gets the number of errors diagnosed. */
static char *format(const char *src, uint32_t *errors) {
  Plat *p = plat_new();
  uint32_t id = source_add(&p->sources, "t.plat", src, strlen(src));
  size_t len = 0;
  char *out = plat_format(p, id, &len);
  if (out) assert_int_equal(strlen(out), len);
  if (errors) *errors = p->diags.nerrors;
  plat_free(p);
  return out;
}

/* [in] must format to [want], and [want] to itself. */
static void check_fmt(const char *in, const char *want) {
  char *out = format(in, NULL);
  if (!out) fail_msg("plat_format refused:\n%s", in);
  if (strcmp(out, want) != 0) {
    print_error("input:\n%s\n--- expected:\n%s--- got:\n%s---\n", in, want, out);
    free(out);
    fail();
  }
  char *again = format(out, NULL);
  if (!again) fail_msg("plat_format refused its own output:\n%s", out);
  if (strcmp(again, out) != 0) {
    print_error("not idempotent:\n--- once:\n%s--- twice:\n%s---\n", out, again);
    free(out), free(again);
    fail();
  }
  free(out);
  free(again);
}

/* [src] is already canonical. */
static void check_same(const char *src) { check_fmt(src, src); }

/* ---- declarations -------------------------------------------------------------------- */

static void test_use_import_param(void **state) {
  (void)state;
  check_fmt("use   local\nuse random import \"lib/net\"   as net\n"
            "param env : string=\"dev\"\nparam replicas:int=2 where 1<=replicas&&replicas<=10\n"
            "param token: secret string\n",
            "use local\nuse random\nimport \"lib/net\" as net\n\n"
            "param env: string = \"dev\"\nparam replicas: int = 2 where 1 <= replicas && replicas <= 10\n"
            "param token: secret string\n");
}

static void test_kinds_get_blank_lines(void **state) {
  (void)state;
  /* different kinds: one blank line; the same kind: none unless the user left one */
  check_fmt("let a = 1\nlet b = 2\n\n\n\nlet c = 3\noutput o = a\ntype T = int\nfn f(x: int): int = x\n",
            "let a = 1\nlet b = 2\n\nlet c = 3\n\noutput o = a\n\ntype T = int\n\n"
            "fn f(x: int): int = x\n");
}

static void test_resource_body(void **state) {
  (void)state;
  check_fmt("resource dir: local.Directory { path = \"out\" }\n"
            "resource f: local.File{path=\"a\",content=\"b\", mode = \"0644\"}",
            "resource dir: local.Directory {\n  path = \"out\"\n}\n\n"
            "resource f: local.File {\n  path    = \"a\"\n  content = \"b\"\n  mode    = \"0644\"\n}\n");
  check_fmt("resource d: local.Directory {}\nresource e: local.Directory {   }\n",
            "resource d: local.Directory {}\n\nresource e: local.Directory {}\n");
}

static void test_alignment_runs(void **state) {
  (void)state;
  /* a blank line ends a run; quoted keys count with their quotes */
  check_fmt("resource r: T {\n  a = 1\n  longer = 2\n\n\n  \"x-y\" = 3\n  b = 4\n}\n",
            "resource r: T {\n  a      = 1\n  longer = 2\n\n  \"x-y\" = 3\n  b     = 4\n}\n");
}

static void test_decorators(void **state) {
  (void)state;
  check_fmt("@protect @depends_on(a,b)  resource r: local.Directory { path = \"p\" }\n",
            "@protect\n@depends_on(a, b)\nresource r: local.Directory {\n  path = \"p\"\n}\n");
}

static void test_keyed_copies_and_conditions(void **state) {
  (void)state;
  check_fmt("resource w: Service for k,v in workers if enabled { name = k }\n",
            "resource w: Service for k, v in workers if enabled {\n  name = k\n}\n");
}

static void test_component_policy_test_moved(void **state) {
  (void)state;
  check_fmt("component Service {\n"
            "param name: string\n  param port: int = 8080\n"
            "  resource cfg: local.File { path = name }\n"
            "output url: string = \"http://${name}\"\n}\n"
            "policy \"p\" for f: local.File { deny !startswith(f.path, \"out/\") : \"no\"\n"
            "warn f.mode == \"0777\":\"open\" }\n"
            "test \"t\" { let s = Service { name = \"x\" }\nassert s.cfg.path == \"x\" : \"path\" }\n"
            "moved a.b   =>   c.d\n",
            "component Service {\n"
            "  param name: string\n  param port: int = 8080\n"
            "  resource cfg: local.File {\n    path = name\n  }\n"
            "  output url: string = \"http://${name}\"\n}\n\n"
            "policy \"p\" for f: local.File {\n  deny !startswith(f.path, \"out/\") : \"no\"\n"
            "  warn f.mode == \"0777\" : \"open\"\n}\n\n"
            "test \"t\" {\n  let s = Service { name = \"x\" }\n  assert s.cfg.path == \"x\" : \"path\"\n}\n\n"
            "moved a.b => c.d\n");
}

static void test_types(void **state) {
  (void)state;
  check_fmt("type Tier = \"web\"|\"worker\"\n"
            "type Endpoint = {host:string,port:int where self>0, tls:bool=true}\n"
            "type L = list<map<string>>\ntype O = (\"a\" | \"b\")?\ntype S = secret string\n",
            "type Tier = \"web\" | \"worker\"\n"
            "type Endpoint = { host: string, port: int where self > 0, tls: bool = true }\n"
            "type L = list<map<string>>\ntype O = (\"a\" | \"b\")?\ntype S = secret string\n");
}

static void test_fn(void **state) {
  (void)state;
  check_fmt("fn fqdn( name : string , env: string = \"dev\" ) : string = \"${name}.${env}\"\n",
            "fn fqdn(name: string, env: string = \"dev\"): string = \"${name}.${env}\"\n");
}

static void test_provider_schema(void **state) {
  (void)state;
  /* a schema file read from disk is recognised and formatted as one */
  check_fmt("resource Thing {\n/// The path.\npath: string\n  output   size:int\nmode: string = \"0644\",}\n",
            "resource Thing {\n  /// The path.\n  path: string\n  output size: int\n  mode: string = \"0644\"\n}\n");
  /* a program that mixes resources and schema declarations is not a schema: it is laid
   * out as a program (its E0102 is for `platc check` to report; nothing is lost) */
  check_fmt("resource Thing { path: string }\nresource t: Thing { path = \"x\" }\n",
            "resource Thing {\n  path: string\n}\n\nresource t: Thing {\n  path = \"x\"\n}\n");
}

/* ---- expressions --------------------------------------------------------------------- */

static void test_operators_and_spacing(void **state) {
  (void)state;
  check_fmt("let a = 1+2*3-x%4\nlet b = !c&&d||e??f\nlet c = -x\nlet d = a . b [0] ( 1 , 2 )\n"
            "let e = if a then b else c\n",
            "let a = 1 + 2 * 3 - x % 4\nlet b = !c && d || e ?? f\nlet c = -x\n"
            "let d = a.b[0](1, 2)\nlet e = if a then b else c\n");
}

static void test_parentheses_kept(void **state) {
  (void)state;
  check_fmt("let a = (1 + 2) * 3\nlet b = ((x))\nlet c = (a * b) + c\nlet d = f((x))\n"
            "let e = -(-x)\nlet f = (if a then b else c) + 1\nlet g = f(( x ), y)\n",
            "let a = (1 + 2) * 3\nlet b = (x)\nlet c = (a * b) + c\nlet d = f((x))\n"
            "let e = -(-x)\nlet f = (if a then b else c) + 1\nlet g = f((x), y)\n");
  check_same("let a = - -x\n");
}

static void test_literals_verbatim(void **state) {
  (void)state;
  check_same("let a = 1_000_000\nlet b = 0xFF_FF\nlet c = 2.5e-3\nlet d = \"tab\\there \\u{1F600} \\${x}\"\n"
             "let e = \"${ name }-${f(\"${x}\")}\"\nlet m = -9223372036854775808\n");
  check_fmt("resource f: local.File {\n  content = \"\"\"\n      keep   this\n    exactly\n    \"\"\"\n}\n",
            "resource f: local.File {\n  content = \"\"\"\n      keep   this\n    exactly\n    \"\"\"\n}\n");
}

static void test_records_and_lists(void **state) {
  (void)state;
  check_fmt("let r = {a=1,b=2}\nlet l = [1,2,3,]\nlet e = {}\nlet n = []\nlet q = {\"a-b\" = 1}\n",
            "let r = { a = 1, b = 2 }\nlet l = [1, 2, 3]\nlet e = {}\nlet n = []\nlet q = { \"a-b\" = 1 }\n");
}

static void test_comprehensions(void **state) {
  (void)state;
  check_fmt("let a = [ x*2 for x in xs if x>1 ]\nlet b = {k=>v for k,v in m}\n",
            "let a = [x * 2 for x in xs if x > 1]\nlet b = { k => v for k, v in m }\n");
}

static void test_long_lines_break_outermost(void **state) {
  (void)state;
  check_fmt("let services = [\"authentication\", \"billing\", \"search\", \"notifications\", "
            "\"recommendations\", \"inventory\"]\n",
            "let services = [\n  \"authentication\",\n  \"billing\",\n  \"search\",\n"
            "  \"notifications\",\n  \"recommendations\",\n  \"inventory\",\n]\n");
  /* the outer record breaks, the inner list still fits */
  check_fmt("output settings = { region = \"eu-west-1\", zones = [\"a\", \"b\", \"c\"], "
            "replicas = replicas * 2, name = \"a-rather-long-name\" }\n",
            "output settings = {\n  region   = \"eu-west-1\"\n  zones    = [\"a\", \"b\", \"c\"]\n"
            "  replicas = replicas * 2\n  name     = \"a-rather-long-name\"\n}\n");
  check_fmt("let x = someFunction(argumentNumberOne, argumentNumberTwo, argumentNumberThree, "
            "argumentNumberFourAndMore)\n",
            "let x = someFunction(\n  argumentNumberOne,\n  argumentNumberTwo,\n  argumentNumberThree,\n"
            "  argumentNumberFourAndMore,\n)\n");
  check_fmt("let v = if someRatherLongConditionName && anotherRatherLongConditionName then "
            "firstAlternative else secondAlternative\n",
            "let v = if someRatherLongConditionName && anotherRatherLongConditionName\n"
            "  then firstAlternative\n  else secondAlternative\n");
}

static void test_long_conditions_break_at_operators(void **state) {
  (void)state;
  check_fmt("policy \"p\" for f: local.File {\n  deny startswith(f.path, \"/etc/\") && f.mode != \"0600\" && "
            "f.content != \"\" && someOtherCondition(f) && !f.public : \"a message\"\n}\n",
            "policy \"p\" for f: local.File {\n  deny startswith(f.path, \"/etc/\")\n    && f.mode != \"0600\"\n"
            "    && f.content != \"\"\n    && someOtherCondition(f)\n    && !f.public\n    : \"a message\"\n}\n");
  /* parentheses end a chain: (a || b) is one operand */
  check_same("let ok = (a || b) && c\n");
}

static void test_short_stays_flat(void **state) {
  (void)state;
  /* a list broken by hand joins again when it fits */
  check_fmt("let l = [\n  1,\n  2,\n]\n", "let l = [1, 2]\n");
}

/* ---- comments ------------------------------------------------------------------------ */

static void test_comments_around_declarations(void **state) {
  (void)state;
  check_fmt("// header\n\n\n// about env\nparam env: string // trailing\n/// doc for x\nlet x = 1\n"
            "// the end\n",
            "// header\n\n// about env\nparam env: string // trailing\n\n/// doc for x\nlet x = 1\n"
            "// the end\n");
  check_same("/* block\n   comment */\nuse local /* inline */\n");
}

static void test_comments_in_bodies(void **state) {
  (void)state;
  check_fmt("resource r: T { // opening\n  // before a\n  a = 1 // after a\n\n  /* b */ b = 2\n"
            "  // at the end\n}\n",
            "resource r: T { // opening\n  // before a\n  a = 1 // after a\n\n  /* b */ b = 2\n"
            "  // at the end\n}\n");
  /* in an empty body */
  check_fmt("resource r: T {\n// nothing yet\n}\n", "resource r: T {\n  // nothing yet\n}\n");
  check_fmt("component C {\n  // only a comment\n}\n", "component C {\n  // only a comment\n}\n");
}

static void test_comments_in_lists_and_records(void **state) {
  (void)state;
  /* a // comment breaks its list; the comment stays after its item */
  check_fmt("let l = [1, // one\n 2]\n", "let l = [\n  1, // one\n  2,\n]\n");
  check_fmt("let l = [\n  // first\n  1,\n  2, /* two */\n]\n",
            "let l = [\n  // first\n  1,\n  2, /* two */\n]\n");
  check_same("let l = [1, /* two */ 2]\n");
  check_fmt("let r = {\n  a = 1 // one\n  // before b\n  b = 2\n  // last\n}\n",
            "let r = {\n  a = 1 // one\n  // before b\n  b = 2\n  // last\n}\n");
  check_fmt("let c = f(a, // why a\n b)\n", "let c = f(\n  a, // why a\n  b,\n)\n");
  check_same("let x = [\n  // only a comment\n]\n");
}

static void test_comments_between_decorators(void **state) {
  (void)state;
  check_fmt("@protect // never delete\n// order matters\n@depends_on(a)\nresource r: T {\n  x = 1\n}\n",
            "@protect // never delete\n// order matters\n@depends_on(a)\nresource r: T {\n  x = 1\n}\n");
}

static void test_comments_inside_expressions(void **state) {
  (void)state;
  check_same("let x = a + /* why */ b\n");
  check_same("let y = [1, 2] // trailing after a list\n");
  /* a // comment inside an expression ends its line; the rest is indented */
  check_fmt("let z = 1 + // one\n2\n", "let z = 1 + // one\n  2\n");
}

static void test_comments_only(void **state) {
  (void)state;
  check_fmt("// just\n\n\n\n// comments\n", "// just\n\n// comments\n");
  check_fmt("", "");
  check_fmt("\n\n\n", "");
}

static void test_blank_lines(void **state) {
  (void)state;
  /* at most one; none after { or before }; none at the top or the end of the file */
  check_fmt("\n\nresource r: T {\n\n\n  a = 1\n\n\n\n  b = 2\n\n}\n\n\n",
            "resource r: T {\n  a = 1\n\n  b = 2\n}\n");
  /* blank lines in a broken list are kept, in a flat one they go */
  check_fmt("let l = [\n  1,\n\n  2,\n]\n", "let l = [1, 2]\n");
}

/* ---- refusal and idempotence over a realistic file ----------------------------------- */

static void test_refuses_syntax_errors(void **state) {
  (void)state;
  uint32_t errors = 0;
  assert_null(format("resource r: local.File {\n  path = \n}\n", &errors));
  assert_true(errors > 0);
  assert_null(format("let x = [1, 2\n", &errors));
  assert_true(errors > 0);
  assert_null(format("let s = \"unterminated\n", &errors));
  assert_true(errors > 0);
}

/* Errors that drop no text do not stop the layout (`platc check` reports them): an unknown
 * or misplaced decorator or declaration, a bad escape.  The errors are still counted. */
static void test_formats_despite_errors_that_keep_the_text(void **state) {
  (void)state;
  uint32_t errors = 0;
  char *out = format("use local\n@protct\nresource b: local.File {path=\"x\"}\n", &errors);
  assert_non_null(out);
  assert_string_equal(out, "use local\n\n@protct\nresource b: local.File {\n  path = \"x\"\n}\n");
  assert_true(errors > 0);
  free(out);
  check_fmt("component C {\n  fn f()=1\n}\n", "component C {\n  fn f() = 1\n}\n");
  check_fmt("let  g = Greeting {who=\"x\"}\n", "let g = Greeting { who = \"x\" }\n");
  check_fmt("let s = \"a\\qb\"  // kept as written\n", "let s = \"a\\qb\" // kept as written\n");
  /* but not a number out of range, whose literal is not kept */
  assert_null(format("let x = 99999999999999999999\n", &errors));
  assert_true(errors > 0);
}

static void test_realistic_file_idempotent(void **state) {
  (void)state;
  const char *src =
      "// A service.\nuse local\n\nparam env: \"dev\" | \"prod\" = \"dev\"\n\n"
      "component Service {\n  param name: string\n  param port: int = 8080\n\n"
      "  resource cfg: local.File {\n    path    = \"out/${env}/${name}.json\" // where\n"
      "    content = json.encode({ name = name, port = port })\n  }\n\n"
      "  output endpoint = { host = \"${name}.example.org\", port = port }\n}\n\n"
      "resource api: Service {\n  name = \"api\"\n}\n\n"
      "resource workers: Service for n in [\"billing\", \"search\"] {\n  name = n\n  port = 9000\n}\n\n"
      "output endpoints = [w.endpoint for w in values(workers)] + [api.endpoint]\n";
  check_same(src);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_use_import_param),
      cmocka_unit_test(test_kinds_get_blank_lines),
      cmocka_unit_test(test_resource_body),
      cmocka_unit_test(test_alignment_runs),
      cmocka_unit_test(test_decorators),
      cmocka_unit_test(test_keyed_copies_and_conditions),
      cmocka_unit_test(test_component_policy_test_moved),
      cmocka_unit_test(test_types),
      cmocka_unit_test(test_fn),
      cmocka_unit_test(test_provider_schema),
      cmocka_unit_test(test_operators_and_spacing),
      cmocka_unit_test(test_parentheses_kept),
      cmocka_unit_test(test_literals_verbatim),
      cmocka_unit_test(test_records_and_lists),
      cmocka_unit_test(test_comprehensions),
      cmocka_unit_test(test_long_lines_break_outermost),
      cmocka_unit_test(test_long_conditions_break_at_operators),
      cmocka_unit_test(test_short_stays_flat),
      cmocka_unit_test(test_comments_around_declarations),
      cmocka_unit_test(test_comments_in_bodies),
      cmocka_unit_test(test_comments_in_lists_and_records),
      cmocka_unit_test(test_comments_between_decorators),
      cmocka_unit_test(test_comments_inside_expressions),
      cmocka_unit_test(test_comments_only),
      cmocka_unit_test(test_blank_lines),
      cmocka_unit_test(test_refuses_syntax_errors),
      cmocka_unit_test(test_formats_despite_errors_that_keep_the_text),
      cmocka_unit_test(test_realistic_file_idempotent),
  };
  return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
