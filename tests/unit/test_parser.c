/* Unit tests of the parser (grammar.y, ast.c) through parse_file and ast_dump: every
 * production of docs/language.md §2, precedence and associativity, keywords as property
 * names, schema mode, E0101-E0105 and E0100 messages, recovery (how many errors a file
 * with several mistakes gets), the nesting limit at 256 and 257, a 100,000-term operator
 * chain and 100,000 nested '[' (E0101, no crash), doc comments, spans, and the second
 * parse of a file with a syntax error (nothing reported twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/compiler.h"

/* ---- helpers --------------------------------------------------------------------------- */

typedef struct Parsed {
  Plat *p;
  AstFile *f;
  const char *dump;
  uint32_t file;
} Parsed;

static Parsed parse_mode(const char *src, size_t len, bool schema) {
  Parsed r;
  r.p = plat_new();
  r.file = source_add(&r.p->sources, "t.plat", src, len);
  ParseInput in = {.arena = &r.p->arena, .strs = &r.p->strs, .diags = &r.p->diags,
                   .sources = &r.p->sources, .file = r.file, .schema = schema};
  r.f = parse_file(&in);
  r.dump = ast_dump(&r.p->arena, r.f);
  return r;
}

static Parsed parse(const char *src) { return parse_mode(src, strlen(src), false); }

static uint32_t count(const Parsed *r, DiagCode code) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < r->p->diags.n; i++) n += r->p->diags.items[i]->code == code;
  return n;
}

static const Diag *first(const Parsed *r, DiagCode code) {
  for (uint32_t i = 0; i < r->p->diags.n; i++)
    if (r->p->diags.items[i]->code == code) return r->p->diags.items[i];
  return NULL;
}

static void print_diags(const Parsed *r) {
  for (uint32_t i = 0; i < r->p->diags.n; i++) {
    const Diag *d = r->p->diags.items[i];
    fprintf(stderr, "  [%s] %u-%u %s\n", diag_code_name(d->code), d->span.start, d->span.end, d->msg);
  }
}

/* Parse [src] with no diagnostics and compare the dump of its declarations (the text
 * between "(file\n" and ")\n", each declaration on its own line, indented by two). */
static void check_dump(const char *src, const char *expected) {
  Parsed r = parse(src);
  if (r.p->diags.n) print_diags(&r);
  assert_int_equal(r.p->diags.n, 0);
  char *want = malloc(strlen(expected) + 32);
  sprintf(want, "(file\n%s)\n", expected);
  if (strcmp(r.dump, want) != 0) fprintf(stderr, "got:\n%s\nwant:\n%s\n", r.dump, want);
  assert_string_equal(r.dump, want);
  free(want);
  plat_free(r.p);
}

/* The dump of the single expression of `let x = SRC`. */
static void check_expr(const char *src, const char *expected) {
  char *text = malloc(strlen(src) + 16);
  sprintf(text, "let x = %s\n", src);
  char *want = malloc(strlen(expected) + 16);
  sprintf(want, "  (let x %s)\n", expected);
  check_dump(text, want);
  free(text);
  free(want);
}

/* Parse [src] and expect exactly [n] diagnostics of [code] and [total] in all. */
static Parsed expect_errors(const char *src, DiagCode code, uint32_t n, uint32_t total) {
  Parsed r = parse(src);
  if (count(&r, code) != n || r.p->diags.n != total) print_diags(&r);
  assert_int_equal(count(&r, code), n);
  assert_int_equal(r.p->diags.n, total);
  return r;
}

/* ---- declarations ---------------------------------------------------------------------- */

static void test_use_import(void **state) {
  (void)state;
  check_dump("use local\nimport \"../lib/net\" as net\n",
             "  (use local)\n  (import net \"../lib/net\")\n");
}

static void test_param(void **state) {
  (void)state;
  check_dump("param env: string = \"dev\"\n"
             "param replicas: int = 2 where 1 <= replicas && replicas <= 10\n"
             "param token: secret string\n"
             "param owner = \"x\"\n"
             "param p: int where p > 0\n"
             "param tier: \"web\" | \"worker\" = \"web\"\n",
             "  (param env (type string) (default \"dev\"))\n"
             "  (param replicas (type int) (default 2) (where (&& (<= 1 replicas) (<= replicas 10))))\n"
             "  (param token (type (secret string)))\n"
             "  (param owner (default \"x\"))\n"
             "  (param p (type int) (where (> p 0)))\n"
             "  (param tier (type (union \"web\" \"worker\")) (default \"web\"))\n");
}

static void test_let_type_fn(void **state) {
  (void)state;
  check_dump("let a = 1\nlet b: list<string> = []\n"
             "type Port = int where 1 <= self && self <= 65535\n"
             "type E = { host: string, port: Port = 443 tls: bool = true }\n"
             "type O = map<string?>\n"
             "fn f(x: int, y: int = 2,): int = x + y\n"
             "fn g() = 1\n",
             "  (let a 1)\n"
             "  (let b (type (list string)) (list))\n"
             "  (type Port (where int (&& (<= 1 self) (<= self 65535))))\n"
             "  (type E (record (host string) (port Port (default 443)) (tls bool (default true))))\n"
             "  (type O (map (? string)))\n"
             "  (fn f (params (x int) (y int (default 2))) (ret int) (+ x y))\n"
             "  (fn g (params) 1)\n");
}

static void test_resource(void **state) {
  (void)state;
  check_dump("resource a: local.File { path = \"p\", content = \"c\" mode = \"0644\" }\n"
             "resource b: Service for n in names { name = n }\n"
             "resource c: Service for k, v in m if v != \"\" { name = k, }\n"
             "resource d: T if on {}\n"
             "@protect\n@depends_on(a, b,)\n@ignore_changes(content)\n"
             "resource e: local.File { type = \"A\" \"a-b\" = 1 output = 2 }\n",
             "  (resource a local.File (body (path \"p\") (content \"c\") (mode \"0644\")))\n"
             "  (resource b Service (for n names) (body (name n)))\n"
             "  (resource c Service (for k v m) (if (!= v \"\")) (body (name k)))\n"
             "  (resource d T (if on) (body))\n"
             "  (resource e (@protect) (@depends_on (args a b)) (@ignore_changes (args content)) "
             "local.File (body (type \"A\") (\"a-b\" 1) (output 2)))\n");
}

static void test_component(void **state) {
  (void)state;
  check_dump("component Service {\n"
             "  param name: string\n"
             "  let file = \"x\"\n"
             "  resource cfg: local.File { path = file }\n"
             "  output url: string = name\n"
             "}\n"
             "component Empty {}\n",
             "  (component Service\n"
             "    (param name (type string))\n"
             "    (let file \"x\")\n"
             "    (resource cfg local.File (body (path file)))\n"
             "    (output url (type string) name)\n"
             "  )\n"
             "  (component Empty\n  )\n");
}

static void test_policy_test_moved(void **state) {
  (void)state;
  check_dump("policy \"p\" for f: local.File {\n"
             "  deny !startswith(f.path, \"out/\") : \"bad ${f.path}\"\n"
             "  warn f.mode == \"0666\" : \"w\"\n"
             "}\n"
             "test \"t\" {\n"
             "  let g = Greeting { who = \"ada\" }\n"
             "  assert g.text == \"x\" : \"m\"\n"
             "  assert true\n"
             "}\n"
             "moved a => b.c[\"k\"]\n",
             "  (policy \"p\" f local.File (deny (! (call startswith (. f path) \"out/\")) "
             "(str \"bad \" (. f path))) (warn (== (. f mode) \"0666\") \"w\"))\n"
             "  (test \"t\"\n"
             "    (let g (instance Greeting (who \"ada\")))\n"
             "    (assert (== (. g text) \"x\") \"m\")\n"
             "    (assert true)\n"
             "  )\n"
             "  (moved a (index (. b c) \"k\"))\n");
}

static void test_schema_mode(void **state) {
  (void)state;
  const char *src = "/// A file.\nresource File {\n  /// Where.\n  path: string\n"
                    "  content: string = \"\"\n  output size: int,\n  output: bool\n}\n";
  Parsed r = parse_mode(src, strlen(src), true);
  assert_int_equal(r.p->diags.n, 0);
  assert_string_equal(r.dump, "(schema-file\n  (schema File (path string) (content string (default \"\")) "
                              "(output size int) (output bool))\n)\n");
  assert_string_equal(r.f->decls[0]->doc, "A file.");
  assert_string_equal(r.f->decls[0]->u.schema.fields[0].doc, "Where.");
  assert_null(r.f->decls[0]->u.schema.fields[1].doc);
  plat_free(r.p);

  /* a schema declaration in a normal file, and a resource in a schema file: E0102 */
  r = expect_errors("resource File { path: string }\n", DIAG_E0102, 1, 1);
  plat_free(r.p);
  const char *res = "resource f: local.File { path = \"x\" }\n";
  r = parse_mode(res, strlen(res), true);
  assert_int_equal(count(&r, DIAG_E0102), 1);
  assert_int_equal(r.p->diags.n, 1);
  plat_free(r.p);
}

/* ---- expressions ----------------------------------------------------------------------- */

static void test_precedence(void **state) {
  (void)state;
  check_expr("1 + 2 * 3", "(+ 1 (* 2 3))");
  check_expr("1 - 2 - 3", "(- (- 1 2) 3)");
  check_expr("(1 - 2) * 3", "(* (- 1 2) 3)");
  check_expr("a || b && c", "(|| a (&& b c))");
  check_expr("a ?? b || c", "(?? a (|| b c))");
  check_expr("a ?? b ?? c", "(?? (?? a b) c)");
  check_expr("a == b && c != d", "(&& (== a b) (!= c d))");
  check_expr("-a.b[1](2)", "(neg (call (index (. a b) 1) 2))");
  check_expr("!!a", "(! (! a))");
  check_expr("a < b + 1", "(< a (+ b 1))");
  check_expr("1 % 2 / 3 * 4", "(* (/ (% 1 2) 3) 4)");
  check_expr("if a then b else if c then d else e + 1", "(if a b (if c d (+ e 1)))");
  check_expr("a <= b", "(<= a b)");
  check_expr("a >= b", "(>= a b)");
  check_expr("a > b", "(> a b)");
}

static void test_literals(void **state) {
  (void)state;
  check_expr("[1, 2.5, \"s\", true, false, null, self]", "(list 1 2.5 \"s\" true false null self)");
  check_expr("[1, 2,]", "(list 1 2)");
  check_expr("{ a = 1, \"b-c\" = 2 d = [] }", "(record (a 1) (\"b-c\" 2) (d (list)))");
  check_expr("{}", "(record)");
  check_expr("0x2A + 1_000_000 + 0xFF_FF", "(+ (+ 42 1000000) 65535)");
  check_expr("1e9 + 2.5e-3 + 1_000.5", "(+ (+ 1000000000.0 0.0025000000000000001) 1000.5)");
  check_expr("9223372036854775807", "9223372036854775807");
  check_expr("-9223372036854775808", "-9223372036854775808");
  check_expr("-1", "(neg 1)");
}

static void test_comprehensions(void **state) {
  (void)state;
  check_expr("[x * 2 for x in xs]", "(listcomp (* x 2) (for x xs))");
  check_expr("[\"${i}\" for i, n in names if n != \"a\"]",
             "(listcomp (str i) (for i n names) (if (!= n \"a\")))");
  check_expr("{ n => 1 for n in known }", "(mapcomp n 1 (for n known))");
  check_expr("{ k => v for k, v in m if v }", "(mapcomp k v (for k v m) (if v))");
}

static void test_keywords_as_names(void **state) {
  (void)state;
  check_expr("r.type + r.output + r.if + r.self + r.where",
             "(+ (+ (+ (+ (. r type) (. r output)) (. r if)) (. r self)) (. r where))");
  check_expr("{ type = 1, if = 2, for = 3, where = 4, true = 5 }",
             "(record (type 1) (if 2) (for 3) (where 4) (true 5))");
}

static void test_strings(void **state) {
  (void)state;
  check_expr("\"a\\n\\t\\r\\\\\\\"\\$\\u{41}\\u{1F600}\"", "\"a\\n\\t\\r\\\\\\\"$A\xF0\x9F\x98\x80\"");
  check_expr("\"a${b}c${d}\"", "(str \"a\" b \"c\" d)");
  check_expr("\"${ f(\"b${c}\") }\"", "(str (call f (str \"b\" c)))");
  check_expr("\"${ {a = 1}.a }\"", "(str (. (record (a 1)) a))");
  check_expr("\"\"", "\"\"");
  check_expr("\"$x $\"", "\"$x $\"");
  check_expr("\"\"\"\n    a\n      b\n    \"\"\"", "\"a\\n  b\\n\"");
  check_expr("\"\"\"\n    ${x}\n    c: \\$5\n  \"\"\"", "(str \"  \" x \"\\n  c: $5\\n\")");
}

/* ---- errors ---------------------------------------------------------------------------- */

static void test_syntax_messages(void **state) {
  (void)state;
  Parsed r = expect_errors("resource site = local.Directory { path = \"x\" }\n", DIAG_E0100, 1, 1);
  assert_string_equal(first(&r, DIAG_E0100)->msg, "unexpected '=', expected ':'");
  plat_free(r.p);
  r = expect_errors("let x = [1, }\n", DIAG_E0100, 1, 1);
  assert_string_equal(first(&r, DIAG_E0100)->msg, "unexpected '}', expected an expression or ']'");
  plat_free(r.p);
  r = expect_errors("let x = [1 2]\n", DIAG_E0100, 1, 1);
  assert_string_equal(first(&r, DIAG_E0100)->msg,
                      "unexpected number '2', expected 'for', ']', ',' or an operator");
  plat_free(r.p);
  r = expect_errors("let x = a < b < c\n", DIAG_E0100, 1, 1);
  assert_string_equal(first(&r, DIAG_E0100)->msg, "comparison operators cannot be chained");
  /* read as meant, with an error where the operand is shared */
  assert_string_equal(r.dump, "(file\n  (let x (&& (< a b) (< (error) c)))\n)\n");
  plat_free(r.p);
  r = expect_errors("let x = 1 / 99999999999999999999\n", DIAG_E0006, 1, 1);
  assert_string_equal(r.dump, "(file\n  (let x (/ 1 (error)))\n)\n");
  plat_free(r.p);
  r = expect_errors("let x: = 1\n", DIAG_E0100, 1, 1);
  assert_string_equal(first(&r, DIAG_E0100)->msg, "unexpected '=', expected a type");
  plat_free(r.p);
  r = expect_errors("let x = a.\nlet y = 1\n", DIAG_E0100, 1, 1);
  assert_string_equal(first(&r, DIAG_E0100)->help, "a name is missing after the '.' before it");
  plat_free(r.p);
  r = expect_errors("let x = (a < b) < c\n", DIAG_E0100, 0, 0);
  plat_free(r.p);
}

static void test_recovery(void **state) {
  (void)state;
  Parsed r = expect_errors("let a = = 1\n"
                           "resource r: T { x = 1 y = , z = 2 }\n"
                           "let ok = 1\n"
                           "output o = (1 +)\n"
                           "let fine = 2\n",
                           DIAG_E0100, 3, 3);
  /* the declarations around the mistakes are kept */
  assert_non_null(strstr(r.dump, "(let ok 1)"));
  assert_non_null(strstr(r.dump, "(let fine 2)"));
  assert_non_null(strstr(r.dump, "(resource r T (body (x 1) (z 2)))"));
  plat_free(r.p);
}

static void test_recovery_everywhere(void **state) {
  (void)state;
  /* one mistake in each construct: each is reported once, the declarations after it are
     parsed, and the insides of a discarded group are not parsed out of context */
  Parsed r = expect_errors("resource r: T { a = x { b = 1, type = \"x\" } c = 2 }\nlet ok1 = 1\n"
                           "resource s: T { a = f(1 2) d = 3 }\nlet ok2 = 2\n"
                           "let z = [1, 2] [3 { x = 1 }] + 4\nlet ok3 = 3\n"
                           "let w = \"abc ${ x y } def ${z}\"\nlet ok4 = 4\n"
                           "fn f(a: int b: int) = a\nlet ok5 = 5\n"
                           "type T = { a: int b: }\nlet ok6 = 6\n"
                           "policy \"p\" for f: local.File { deny x y : \"m\" warn true : \"ok\" }\n"
                           "let ok7 = 7\n",
                           DIAG_E0100, 7, 7);
  for (int i = 1; i <= 7; i++) {
    char want[32];
    sprintf(want, "(let ok%d %d)", i, i);
    assert_non_null(strstr(r.dump, want));
  }
  assert_non_null(strstr(r.dump, "(resource r T (body (c 2)))"));
  assert_non_null(strstr(r.dump, "(type T (record (a int)))"));
  assert_non_null(strstr(r.dump, "(policy \"p\" f local.File (warn true \"ok\"))"));
  plat_free(r.p);
}

static void test_misplaced(void **state) {
  (void)state;
  Parsed r = expect_errors("component C {\n  fn f() = 1\n  use local\n  component D {}\n"
                           "  param ok: int\n}\n",
                           DIAG_E0102, 3, 3);
  plat_free(r.p);
  r = expect_errors("test \"t\" { resource r: T {} let x = 1 }\nassert true\n", DIAG_E0102, 2, 2);
  plat_free(r.p);
  r = expect_errors("@protect\nlet x = 1\n", DIAG_E0102, 1, 1);
  plat_free(r.p);
  r = expect_errors("@protct\nresource r: T {}\n", DIAG_E0104, 1, 1);
  assert_string_equal(first(&r, DIAG_E0104)->help, "did you mean '@protect'?");
  plat_free(r.p);
  r = expect_errors("let s = Service { a = 1 }\n", DIAG_E0103, 1, 1);
  plat_free(r.p);
  r = expect_errors("output o = Service { a = 1 }\n", DIAG_E0103, 1, 1);
  plat_free(r.p);
  r = expect_errors("let s = f(x) { a = 1 }\n", DIAG_E0100, 1, 1);
  plat_free(r.p);
}

/* ---- limits ------------------------------------------------------------------------------ */

static char *repeat(const char *head, const char *unit, int n, const char *mid, const char *unit2,
                    int n2, const char *tail) {
  size_t len = strlen(head) + strlen(unit) * (size_t)n + strlen(mid) + strlen(unit2) * (size_t)n2 +
               strlen(tail) + 1;
  char *s = malloc(len), *o = s;
  o += sprintf(o, "%s", head);
  for (int i = 0; i < n; i++) o += sprintf(o, "%s", unit);
  o += sprintf(o, "%s", mid);
  for (int i = 0; i < n2; i++) o += sprintf(o, "%s", unit2);
  sprintf(o, "%s", tail);
  return s;
}

static void expect_depth(const char *src, uint32_t e0101) {
  Parsed r = parse(src);
  if (count(&r, DIAG_E0101) != e0101 || r.p->diags.n != e0101) print_diags(&r);
  assert_int_equal(count(&r, DIAG_E0101), e0101);
  assert_int_equal(r.p->diags.n, e0101);
  if (e0101) assert_string_equal(first(&r, DIAG_E0101)->msg, "nesting too deep (limit is 256)");
  /* every node is within the limit, so recursive passes are safe */
  if (r.f->ndecls && r.f->decls[0]->kind == D_LET && r.f->decls[0]->u.let.value)
    assert_true(r.f->decls[0]->u.let.value->depth <= PARSE_MAX_DEPTH);
  plat_free(r.p);
}

static void test_nesting_limits(void **state) {
  (void)state;
  char *s;
  /* brackets: 256 levels are fine, 257 are not */
  s = repeat("let x = ", "[", 256, "1", "]", 256, "\n"); expect_depth(s, 0); free(s);
  s = repeat("let x = ", "[", 257, "1", "]", 257, "\n"); expect_depth(s, 1); free(s);
  s = repeat("let x = ", "(", 256, "1", ")", 256, "\n"); expect_depth(s, 0); free(s);
  s = repeat("let x = ", "{a = ", 256, "1", "}", 256, "\n"); expect_depth(s, 0); free(s);
  s = repeat("let x = ", "{a = ", 257, "1", "}", 257, "\n"); expect_depth(s, 1); free(s);
  /* operator chains: 256 additions are fine, 257 are not */
  s = repeat("let x = 1", " + 1", 256, "", "", 0, "\n"); expect_depth(s, 0); free(s);
  s = repeat("let x = 1", " + 1", 257, "", "", 0, "\n"); expect_depth(s, 1); free(s);
  s = repeat("let x = ", "-", 256, "1", "", 0, "\n"); expect_depth(s, 0); free(s);
  s = repeat("let x = ", "!", 257, "a", "", 0, "\n"); expect_depth(s, 1); free(s);
  s = repeat("let x = a", ".b", 257, "", "", 0, "\n"); expect_depth(s, 1); free(s);
  s = repeat("let x = ", "if a then b else ", 257, "c", "", 0, "\n"); expect_depth(s, 1); free(s);
  s = repeat("let x = ", "\"${", 20, "1", "}\"", 20, "\n"); expect_depth(s, 0); free(s);
  /* type constructors */
  s = repeat("type T = ", "list<", 255, "int", ">", 255, "\n"); expect_depth(s, 0); free(s);
  s = repeat("type T = ", "list<", 300, "int", ">", 300, "\n"); expect_depth(s, 1); free(s);
  s = repeat("param p: ", "secret ", 300, "int", "", 0, "\n"); expect_depth(s, 1); free(s);
}

static void test_huge_inputs(void **state) {
  (void)state;
  char *s;
  /* a 100,000-term operator chain, 100,000 nested brackets and prefix operators: one
     E0101 each, no crash, no "memory exhausted" */
  s = repeat("let x = 1", "+1", 100000, "", "", 0, "\n"); expect_depth(s, 1); free(s);
  s = repeat("let x = ", "[", 100000, "", "", 0, "\n"); expect_depth(s, 1); free(s);
  s = repeat("let x = ", "[", 100000, "1", "]", 100000, "\n"); expect_depth(s, 1); free(s);
  s = repeat("let x = ", "-", 100000, "1", "", 0, "\n"); expect_depth(s, 1); free(s);
  s = repeat("let x = ", "if a then b else ", 100000, "c", "", 0, "\n"); expect_depth(s, 1); free(s);
  s = repeat("type T = ", "list<", 100000, "int", ">", 100000, "\n"); expect_depth(s, 1); free(s);
  s = repeat("let x = f", "(1)", 100000, "", "", 0, "\n"); expect_depth(s, 1); free(s);
  /* a long flat list and many declarations are fine */
  s = repeat("let x = [", "1, ", 100000, "1]\n", "let y = 1\n", 20000, ""); expect_depth(s, 0); free(s);
}

static void test_error_limit(void **state) {
  (void)state;
  char *s = repeat("", "output o = )\n", 80, "", "", 0, "");
  Parsed r = parse(s);
  assert_int_equal(count(&r, DIAG_E0100), PARSE_MAX_ERRORS);
  assert_int_equal(count(&r, DIAG_E0105), 1);
  assert_int_equal(r.p->diags.n, PARSE_MAX_ERRORS + 1);
  plat_free(r.p);
  free(s);
  s = repeat("", "output o = )\n", PARSE_MAX_ERRORS, "", "", 0, "");
  r = parse(s);
  assert_int_equal(count(&r, DIAG_E0100), PARSE_MAX_ERRORS);
  assert_int_equal(r.p->diags.n, PARSE_MAX_ERRORS);
  plat_free(r.p);
  free(s);
}

static void test_min_int(void **state) {
  (void)state;
  Parsed r = expect_errors("let a = 9223372036854775808\n", DIAG_E0006, 1, 1);
  plat_free(r.p);
  r = expect_errors("let a = -(9223372036854775808)\n", DIAG_E0006, 1, 1);
  plat_free(r.p);
  r = expect_errors("let a = 1 - 9223372036854775808\n", DIAG_E0006, 1, 1);
  plat_free(r.p);
  check_expr("- 9223372036854775808", "-9223372036854775808");
  check_expr("-0x8000000000000000", "-9223372036854775808");
  check_expr("--9223372036854775808", "(neg -9223372036854775808)");
}

/* ---- doc comments and spans ------------------------------------------------------------- */

static void test_docs(void **state) {
  (void)state;
  const char *src = "/// The greeting.\n///  Two lines.\nlet a = 1\n\n"
                    "/// Not attached: a line comment between.\n// x\nlet b = 2\n"
                    "/// On the decorator.\n@protect\nresource r: T {}\n"
                    "component C {\n  /// A param.\n  param p: int\n}\n"
                    "type E = {\n  /// The host.\n  host: string\n}\n"
                    "///\nlet empty = 1\n";
  Parsed r = parse(src);
  assert_int_equal(r.p->diags.n, 0);
  assert_string_equal(r.f->decls[0]->doc, "The greeting.\n Two lines.");
  assert_null(r.f->decls[1]->doc);
  assert_string_equal(r.f->decls[2]->doc, "On the decorator.");
  assert_string_equal(r.f->decls[3]->u.comp.members[0]->doc, "A param.");
  assert_string_equal(r.f->decls[4]->u.alias.type->u.record.fields[0].doc, "The host.");
  assert_string_equal(r.f->decls[5]->doc, "");
  assert_int_equal(r.f->ncomments, 8);
  plat_free(r.p);
}

static void test_spans(void **state) {
  (void)state;
  const char *src = "@protect\nresource r: local.File if a + b { path = \"x\" }\n";
  Parsed r = parse(src);
  assert_int_equal(r.p->diags.n, 0);
  Decl *d = r.f->decls[0];
  /* the declaration's span excludes its decorators */
  assert_int_equal(d->span.start, 9);
  assert_int_equal(d->span.end, strlen(src) - 1);
  assert_int_equal(d->decos[0].span.start, 0);
  assert_int_equal(d->decos[0].span.end, 8);
  assert_int_equal(d->name.span.start, 18);
  assert_int_equal(d->name.span.end, 19);
  assert_int_equal(d->u.res.type->span.start, 21);
  assert_int_equal(d->u.res.type->span.end, 31);
  Expr *c = d->u.res.cond;
  assert_int_equal(c->span.start, 35);
  assert_int_equal(c->span.end, 40);
  assert_int_equal(c->u.binary.op_span.start, 37);
  assert_int_equal(c->u.binary.op_span.end, 38);
  assert_int_equal(d->u.res.body_span.start, 41);
  assert_int_equal(d->u.res.fields[0].span.start, 43);
  assert_int_equal(d->u.res.fields[0].span.end, 53);
  plat_free(r.p);
  /* parentheses are not part of the inner expression's span */
  r = parse("let x = (a)\n");
  assert_int_equal(r.f->decls[0]->u.let.value->span.start, 9);
  assert_int_equal(r.f->decls[0]->u.let.value->span.end, 10);
  plat_free(r.p);
}

static void test_error_keeps_name(void **state) {
  (void)state;
  /* a broken declaration stays, under its name, so its uses are not undefined */
  Parsed r = expect_errors("let a = [1, \noutput o = a\nresource s = local.Directory {}\n"
                           "param p: = 1\ntype T = \n", DIAG_E0100, 4, 4);
  assert_string_equal(r.dump, "(file\n  (let a (error))\n  (output o a)\n"
                              "  (resource s (error) (body))\n  (param p (type (error)))\n"
                              "  (type T (error))\n)\n");
  plat_free(r.p);
  r = expect_errors("let x = 1 +\nlet y = 2\n", DIAG_E0100, 1, 1);
  assert_non_null(first(&r, DIAG_E0100)->labels);
  plat_free(r.p);
}

static void test_unclosed(void **state) {
  (void)state;
  Parsed r = expect_errors("resource a: T {\n  x = 1\n\nresource b: T { y = 2 }\n", DIAG_E0100, 1, 1);
  const Diag *d = first(&r, DIAG_E0100);
  assert_non_null(strstr(d->help, "'}' is missing"));
  plat_free(r.p);
  r = expect_errors("let x = f(1, 2\n", DIAG_E0100, 1, 1);
  assert_string_equal(first(&r, DIAG_E0100)->msg,
                      "unexpected end of file, expected ')', ',' or an operator");
  plat_free(r.p);
  r = expect_errors("let x = [1, 2\noutput y = 3\n", DIAG_E0100, 1, 1);
  assert_non_null(strstr(first(&r, DIAG_E0100)->help, "']' missing"));
  plat_free(r.p);
}

static void test_eof_keeps_declarations(void **state) {
  (void)state;
  /* a body never closed: one error, and what was declared is kept */
  Parsed r = expect_errors("component Site {\n  param name: string\n"
                           "  resource index: local.File {\n    path = name\n",
                           DIAG_E0100, 1, 1);
  assert_string_equal(first(&r, DIAG_E0100)->msg,
                      "unexpected end of file, expected a field, '}', ',' or an operator");
  assert_string_equal(r.dump, "(file\n  (component Site\n    (param name (type string))\n"
                              "    (resource index local.File (body))\n  )\n)\n");
  /* the label points at the innermost unclosed brace */
  const Diag *d = first(&r, DIAG_E0100);
  assert_int_equal(d->nlabels, 1);
  assert_int_equal(d->labels[0].span.start, 67);
  plat_free(r.p);
  r = expect_errors("let xs = [1, [2, (3\n", DIAG_E0100, 1, 1);
  assert_string_equal(r.dump, "(file\n  (let xs (error))\n)\n");
  plat_free(r.p);
}

static void test_bad_types(void **state) {
  (void)state;
  Parsed r = expect_errors("type T = \"a\" | int\n", DIAG_E0100, 1, 1);
  plat_free(r.p);
  r = expect_errors("type T = Foo<int>\n", DIAG_E0100, 1, 1);
  plat_free(r.p);
  r = expect_errors("type T = \"a${b}\"\n", DIAG_E0100, 1, 1);
  plat_free(r.p);
  r = expect_errors("let type = 1\n", DIAG_E0100, 1, 1);
  assert_string_equal(first(&r, DIAG_E0100)->help, "'type' is a reserved word; choose another name");
  plat_free(r.p);
  check_dump("type T = string??\nparam p: list<(int where self > 0)>\n",
             "  (type T (? (? string)))\n  (param p (type (list (where int (> self 0)))))\n");
}

/* A file with a syntax error is parsed twice (parse_file: without LAC, then again with
 * it): what the first parse reported before the error is reported once, the counts of
 * errors and the error limit are those of one parse, and the second parse's AST is the
 * one kept. */
static void test_reparse_reports_once(void **state) {
  (void)state;
  Parsed r = parse("let a = 1 $ 2\nlet b = \"x\\q\"\nlet c = (1 +\n");
  if (r.p->diags.n != 3) print_diags(&r);
  assert_int_equal(count(&r, DIAG_E0002), 1);
  assert_int_equal(count(&r, DIAG_E0004), 1);
  assert_int_equal(count(&r, DIAG_E0100), 1);
  assert_int_equal(r.p->diags.n, 3);
  assert_int_equal(r.p->diags.nerrors, 3);
  assert_string_equal(r.dump, "(file\n  (let a (error))\n  (let b \"x\")\n  (let c (error))\n)\n");
  plat_free(r.p);
  /* past the limit of errors before the syntax error: one E0105, as in one parse */
  char src[256] = "let a = 1";
  for (int i = 0; i < PARSE_MAX_ERRORS + 10; i++) strcat(src, " ;");
  strcat(src, "\nlet c = (1 +\n");
  r = parse(src);
  assert_int_equal(count(&r, DIAG_E0002), PARSE_MAX_ERRORS);
  assert_int_equal(count(&r, DIAG_E0105), 1);
  assert_int_equal(r.p->diags.n, PARSE_MAX_ERRORS + 1);
  plat_free(r.p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_use_import),
      cmocka_unit_test(test_param),
      cmocka_unit_test(test_let_type_fn),
      cmocka_unit_test(test_resource),
      cmocka_unit_test(test_component),
      cmocka_unit_test(test_policy_test_moved),
      cmocka_unit_test(test_schema_mode),
      cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_literals),
      cmocka_unit_test(test_comprehensions),
      cmocka_unit_test(test_keywords_as_names),
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_syntax_messages),
      cmocka_unit_test(test_recovery),
      cmocka_unit_test(test_recovery_everywhere),
      cmocka_unit_test(test_misplaced),
      cmocka_unit_test(test_nesting_limits),
      cmocka_unit_test(test_huge_inputs),
      cmocka_unit_test(test_error_limit),
      cmocka_unit_test(test_min_int),
      cmocka_unit_test(test_docs),
      cmocka_unit_test(test_spans),
      cmocka_unit_test(test_error_keeps_name),
      cmocka_unit_test(test_unclosed),
      cmocka_unit_test(test_eof_keeps_declarations),
      cmocka_unit_test(test_bad_types),
      cmocka_unit_test(test_reparse_reports_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
