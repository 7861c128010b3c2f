/* Unit tests of the VM (vm/vm.h) on compiled programs and on hand-built modules: every
 * operator and construct, unknown and secret propagation through operators and a built-in
 * call, runtime errors with their locations and traces, the step/depth/memory limits,
 * resource nodes (addresses, keyed copies, nested instances, dependencies, lifecycle),
 * policies, and corrupt bytecode refused with an error instead of a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/compiler.h"
#include "compiler/emit.h"
#include "vm/vm.h"

/* ---- helpers ------------------------------------------------------------------------- */

typedef struct Run {
  Plat *p;
  BcModule *m;
  Vm *vm;
  Graph g;
  VmError err;
  bool ok;
} Run;

static void run_src(Run *r, const char *src, const VmOptions *opt) {
  memset(r, 0, sizeof *r);
  r->p = plat_new();
  plat_check_source(r->p, "t.plat", src, strlen(src));
  if (r->p->diags.nerrors) plat_render(r->p, stderr, PLAT_FMT_TEXT, false);
  assert_int_equal(r->p->diags.nerrors, 0);
  r->m = emit_program(r->p);
  assert_non_null(r->m);
  VmOptions o = opt ? *opt : (VmOptions){0};
  r->vm = vm_new(r->m, &o);
  graph_init(&r->g, vm_rt(r->vm));
  r->ok = vm_run(r->vm, &r->g, &r->err);
}

static void run_free(Run *r) {
  graph_free(&r->g);
  vm_free(r->vm);
  bc_free(r->m);
  plat_free(r->p);
}

/* JSON of global [name], with secrets and unknowns spelled out for comparison. */
static void show_val(SBuf *b, Val v, const Graph *g) {
  if (val_is_secret(v)) sb_adds(b, "S:");
  switch (v.tag) {
  case VT_UNKNOWN:
    sb_adds(b, "U(");
    for (uint32_t i = 0; i < v.as.u->n; i++) {
      const VRef *rf = &v.as.u->refs[i];
      sb_addf(b, "%s%s.%s", i ? "," : "", rf->node < g->nnodes ? g->nodes[rf->node].addr : "?",
              rf->attr ? rf->attr->s : "");
    }
    sb_adds(b, ")");
    return;
  case VT_LIST:
    sb_addc(b, '[');
    for (uint32_t i = 0; i < v.as.l->n; i++) { if (i) sb_addc(b, ','); show_val(b, v.as.l->items[i], g); }
    sb_addc(b, ']');
    return;
  case VT_MAP:
    sb_addc(b, '{');
    for (uint32_t i = 0; i < v.as.m->n; i++) {
      if (i) sb_addc(b, ',');
      sb_addf(b, "%s:", v.as.m->e[i].key->s);
      show_val(b, v.as.m->e[i].val, g);
    }
    sb_addc(b, '}');
    return;
  case VT_RES: sb_addf(b, "R(%s)", v.node < g->nnodes ? g->nodes[v.node].addr : "?"); return;
  default: {
    Val plain = v;
    plain.flags = 0;
    val_write_json(b, plain);
  }
  }
}

static const char *global(Run *r, const char *name) {
  Val v;
  if (!vm_global(r->vm, name, &v)) return "<none>";
  SBuf b;
  sb_init(&b, vm_rt(r->vm));
  show_val(&b, v, &r->g);
  sb_addc(&b, 0);
  return b.p;
}

/* Evaluate `let x = [expr]` in a module with [prelude] and compare its display. */
static void expect(const char *prelude, const char *expr, const char *want) {
  char src[4096];
  snprintf(src, sizeof src, "%s\nlet x = %s\n", prelude, expr);
  VmOptions o = {0};
  o.no_finish = true;
  Run r;
  run_src(&r, src, &o);
  if (!r.ok) fprintf(stderr, "runtime error: %s at %s\n", r.err.msg, r.err.loc);
  assert_true(r.ok);
  const char *got = global(&r, "x");
  if (strcmp(got, want) != 0) fprintf(stderr, "%s: got %s, want %s\n", expr, got, want);
  assert_string_equal(got, want);
  run_free(&r);
}

/* Evaluate and expect a runtime error containing [msg] at [loc]. */
static void expect_error(const char *src, const char *msg, const char *loc, const VmOptions *opt) {
  Run r;
  run_src(&r, src, opt);
  assert_false(r.ok);
  if (!strstr(r.err.msg, msg)) fprintf(stderr, "message: %s\n", r.err.msg);
  assert_non_null(strstr(r.err.msg, msg));
  if (loc) assert_string_equal(r.err.loc, loc);
  run_free(&r);
}

static const char *UNK = "use local\nresource f: local.File { path = \"p\", content = \"c\" }\n";

/* ---- operators and constructs ------------------------------------------------------------ */

static void test_arithmetic(void **state) {
  (void)state;
  expect("param a = 7", "a + 2 * 3 - 1", "12");
  expect("param a = 7", "a / 2", "3");
  expect("param a = -7", "a / 2", "-3");
  expect("param a = 7", "a % 3", "1");
  expect("param a = 7", "a / 2.0", "3.5");
  expect("param a = 7", "-a", "-7");
  expect("param a = 1.5", "a * 2", "3.0");
  expect("param s = \"ab\"", "s + \"cd\"", "\"abcd\"");
  expect("param l = [1]", "l + [2, 3]", "[1,2,3]");
}

static void test_comparisons_and_logic(void **state) {
  (void)state;
  expect("param a = 2", "[a < 3, a <= 2, a > 2, a >= 3, a == 2, a != 2]", "[true,true,false,false,true,false]");
  expect("param s = \"b\"", "[s < \"c\", s == \"b\"]", "[true,true]");
  expect("param t = true", "[t && false, t || false, !t]", "[false,true,false]");
  expect("param l = [1, 2]", "l == [1, 2]", "true");
  expect("param a = 1", "a == 1.0", "true");
}

static void test_strings_and_collections(void **state) {
  (void)state;
  expect("param n = 3", "\"n=${n} f=${1.5} b=${true}\"", "\"n=3 f=1.5 b=true\"");
  expect("param n = 3", "{ b = n, a = [n, null] }", "{a:[3,null],b:3}");
  expect("param k = \"a\"", "{ a = 1, b = 2 }[k]", "1");
  expect("param i = 1", "[10, 20][i]", "20");
  expect("param n = 3", "[x * n for x in [1, 2, 3] if x != 2]", "[3,9]");
  expect("param n = 3", "[\"${i}${v}\" for i, v in [\"a\", \"b\"]]", "[\"0a\",\"1b\"]");
  expect("param n = 3", "{ k => v + n for k, v in { b = 1, a = 2 } }", "{a:5,b:4}");
  expect("param n = 3", "[k for k, v in { b = 1, a = 2 }]", "[\"a\",\"b\"]");
  expect("param c = true", "if c then \"y\" else \"n\"", "\"y\"");
  expect("param o: string? = null", "o ?? \"d\"", "\"d\"");
  expect("param o: string? = \"v\"", "o ?? \"d\"", "\"v\"");
  expect("type E = { host: string, port: int = 443 }\nparam h = \"x\"\nlet e: E = { host = h }", "e.port", "443");
}

static void test_functions_and_builtins(void **state) {
  (void)state;
  expect("fn f(a: int, b: int = 10): int = a + b\nparam p = 1", "[f(p), f(p, 2)]", "[11,3]");
  expect("param l = [\"b\", \"a\"]", "length(l)", "2");
  expect("param s = \"x\"", "nonsensitive(sensitive(s))", "\"x\"");
}

/* ---- unknowns and secrets ------------------------------------------------------------------ */

static void test_unknown_propagation(void **state) {
  (void)state;
  expect(UNK, "f.sha256", "U(f.sha256)");
  expect(UNK, "f.sha256 + \"x\"", "U(f.sha256)");
  expect(UNK, "\"a${f.sha256}\"", "U(f.sha256)");
  expect(UNK, "f.size + f.size * 2", "U(f.size)");
  expect(UNK, "-f.size", "U(f.size)");
  expect(UNK, "f.size < 3", "U(f.size)");
  expect(UNK, "f.sha256 == \"x\"", "U(f.sha256)");
  expect(UNK, "[f.sha256] == [\"x\"]", "U(f.sha256)");
  expect(UNK, "if f.size > 1 then 1 else 2", "U(f.size)");
  expect(UNK, "upper(f.sha256)", "U(f.sha256)");
  expect(UNK, "[f.sha256, \"k\"]", "[U(f.sha256),\"k\"]");
  expect(UNK, "{ a = f.size }.a", "U(f.size)");
  expect(UNK, "f.path", "\"p\"");
  expect(UNK, "f.size > 1 && true", "U(f.size)");
}

static void test_secret_propagation(void **state) {
  (void)state;
  const char *p = "param s: secret string = \"pw\"\nparam n: secret int = 4";
  expect(p, "s", "S:\"pw\"");
  expect(p, "s + \"x\"", "S:\"pwx\"");
  expect(p, "\"a${s}\"", "S:\"apw\"");
  expect(p, "n * 2", "S:8");
  expect(p, "n < 5", "S:true");
  expect(p, "s == \"pw\"", "S:true");
  expect(p, "upper(s)", "S:\"PW\"");
  expect(p, "length(s)", "S:2");
  expect(p, "nonsensitive(length(s))", "2");
  expect("param v = \"v\"", "sensitive(v)", "S:\"v\"");
}

/* ---- errors ------------------------------------------------------------------------------------ */

static void test_runtime_errors(void **state) {
  (void)state;
  expect_error("param d = 0\nlet x = 10 / d\n", "division by zero", "t.plat:2:12", NULL);
  expect_error("param d = 0\nlet x = 10 % d\n", "division by zero", "t.plat:2:12", NULL);
  expect_error("param i = 5\nlet x = [1, 2][i]\n", "index 5 out of range for a list of 2 items", "t.plat:2:9", NULL);
  expect_error("param k = \"z\"\nlet x = { a = 1 }[k]\n", "key \"z\" not found", NULL, NULL);
  expect_error("param a = 9223372036854775807\nlet x = a + 1\n", "integer overflow", "t.plat:2:11", NULL);
  VmConfig c = {"p", "5", false};
  VmOptions o = {0};
  o.config = &c;
  o.nconfig = 1;
  expect_error("param p: int = 1 where p < 3\nlet x = p\n", "5 is not a valid int: `p < 3` is false", "t.plat:1:1", &o);
  expect_error("fn f(x: int where self > 0): int = x\nparam a = 0\nlet y = f(a)\n", "0 is not a valid int", NULL, NULL);
  expect_error("param r: int\n", "the required param 'r' has no value", NULL, NULL);
}

static void test_trace(void **state) {
  (void)state;
  Run r;
  run_src(&r, "param d = 0\nfn g(x: int): int = 1 / x\nfn f(x: int): int = g(x) + 1\nlet y = f(d)\n", NULL);
  assert_false(r.ok);
  assert_string_equal(r.err.loc, "t.plat:2:23");
  assert_int_equal(r.err.ntrace, 3);
  assert_string_equal(r.err.trace[0].what, "fn g");
  assert_string_equal(r.err.trace[1].what, "fn f");
  assert_string_equal(r.err.trace[1].loc, "t.plat:3:21");
  assert_string_equal(r.err.trace[2].what, "main");
  run_free(&r);
}

static void test_resource_trace(void **state) {
  (void)state;
  Run r;
  run_src(&r, "use local\nparam d = 0\ncomponent C {\n  param n: string\n  resource f: local.File { path = n, content = \"${1 / d}\" }\n}\n"
              "resource cs: C for k in [\"a\"] { n = k }\n", NULL);
  assert_false(r.ok);
  assert_string_equal(r.err.trace[0].what, "resource cs[\"a\"].f");
  assert_string_equal(r.err.trace[1].what, "instance cs[\"a\"] of C");
  assert_string_equal(r.err.trace[2].what, "main");
  run_free(&r);
}

static void test_limits(void **state) {
  (void)state;
  VmOptions o = {0};
  o.max_steps = 50;
  expect_error("param n = 100\nlet x = [i for i in range(0, n)]\n", "more than 50 steps", NULL, &o);
  o = (VmOptions){0};
  o.max_depth = 3;
  expect_error("param a = 1\nfn f1(x: int): int = f2(x)\nfn f2(x: int): int = f3(x)\nfn f3(x: int): int = x\nlet y = f1(a)\n",
               "nested too deeply (the limit is 3", NULL, &o);
  o = (VmOptions){0};
  o.max_memory = 1 << 16;
  expect_error("param n = 100000\nlet x = [\"${i}\" for i in range(0, n)]\n", "memory limit exceeded", NULL, &o);
}

/* ---- the graph ---------------------------------------------------------------------------------- */

static const GNode *node(const Graph *g, const char *addr) {
  uint32_t i = graph_find(g, addr);
  if (i == GN_NONE) fprintf(stderr, "no node %s\n", addr);
  assert_int_not_equal(i, GN_NONE);
  return &g->nodes[i];
}

static void test_graph_nodes(void **state) {
  (void)state;
  Run r;
  run_src(&r,
          "use local\n"
          "resource dir: local.Directory { path = \"out\" }\n"
          "component S {\n  param name: string\n  resource cfg: local.File { path = \"${dir.path}/${name}\", content = \"x\" }\n"
          "  output url = \"http://${name}\"\n}\n"
          "resource ws: S for n in [\"b\", \"a\"] { name = n }\n"
          "@depends_on(ws)\n@protect\n@ignore_changes(mode)\n"
          "resource last: local.File { path = ws[\"a\"].url, content = ws[\"b\"].cfg.path }\n",
          NULL);
  assert_true(r.ok);
  assert_int_equal(r.g.nnodes, 6);
  const GNode *a = node(&r.g, "ws[\"a\"]");
  assert_int_equal(a->kind, GN_INSTANCE);
  assert_string_equal(a->key, "a");
  const GNode *cfg = node(&r.g, "ws[\"a\"].cfg");
  assert_int_equal(cfg->kind, GN_RESOURCE);
  assert_string_equal(r.g.nodes[cfg->parent].addr, "ws[\"a\"]");
  assert_string_equal(cfg->provider, "local");
  assert_int_equal(cfg->ndeps, 1);
  assert_string_equal(r.g.nodes[cfg->deps[0]].addr, "dir");
  const Val *mode = val_map_get(cfg->inputs.as.m, "mode", 4);   /* default filled */
  assert_non_null(mode);
  assert_string_equal(mode->as.s->s, "0644");
  const GNode *last = node(&r.g, "last");
  assert_true(last->protect);
  assert_int_equal(last->nignore, 1);
  /* ws["a"]: the instance whose output `url` it reads (url reads no resource, so nothing
     inside it); ws["b"].cfg: read through the instance */
  assert_int_equal(last->ndeps, 2);
  bool inst = false, cfgb = false;
  for (uint32_t i = 0; i < last->ndeps; i++) {
    inst |= strcmp(r.g.nodes[last->deps[i]].addr, "ws[\"a\"]") == 0;
    cfgb |= strcmp(r.g.nodes[last->deps[i]].addr, "ws[\"b\"].cfg") == 0;
  }
  assert_true(inst && cfgb);
  assert_int_equal(last->nexplicit, 2);   /* @depends_on(ws): every resource inside */
  run_free(&r);
}

static void test_unknown_output_and_oracle(void **state) {
  (void)state;
  Run r;
  run_src(&r, "use local\nresource f: local.File { path = \"p\", content = \"c\" }\n"
              "resource g: local.File { path = f.sha256, content = \"\" }\n", NULL);
  assert_true(r.ok);
  const GNode *g = node(&r.g, "g");
  const Val *p = val_map_get(g->inputs.as.m, "path", 4);
  assert_int_equal(p->tag, VT_UNKNOWN);
  assert_string_equal(r.g.nodes[p->as.u->refs[0].node].addr, "f");
  assert_int_equal(g->ndeps, 1);
  run_free(&r);
}

static bool oracle(void *ud, Rt *rt, const char *addr, const char *prop, Val *out) {
  (void)ud;
  if (strcmp(addr, "f") || strcmp(prop, "sha256")) return false;
  *out = val_cstr(rt, "abc");
  return true;
}

static void test_oracle(void **state) {
  (void)state;
  VmOptions o = {0};
  o.known_output = oracle;
  Run r;
  run_src(&r, "use local\nresource f: local.File { path = \"p\", content = \"c\" }\n"
              "resource g: local.File { path = f.sha256, content = \"${f.size}\" }\n", &o);
  assert_true(r.ok);
  const GNode *g = node(&r.g, "g");
  assert_string_equal(val_map_get(g->inputs.as.m, "path", 4)->as.s->s, "abc");
  assert_int_equal(val_map_get(g->inputs.as.m, "content", 7)->tag, VT_UNKNOWN);
  run_free(&r);
}

static void test_policies(void **state) {
  (void)state;
  Run r;
  run_src(&r, "use local\nresource a: local.File { path = \"etc/a\", content = \"\" }\n"
              "resource b: local.File { path = \"out/b\", content = \"\" }\n"
              "policy \"under out\" for f: local.File {\n  deny !startswith(f.path, \"out/\") : \"bad ${f.path}\"\n"
              "  warn f.content == \"\" : \"empty\"\n}\n", NULL);
  assert_true(r.ok);
  assert_int_equal(r.g.npolicies, 3);
  uint32_t deny = 0;
  for (uint32_t i = 0; i < r.g.npolicies; i++)
    if (r.g.policies[i].outcome == PO_DENY) {
      deny++;
      assert_string_equal(r.g.policies[i].message, "bad etc/a");
      assert_string_equal(r.g.nodes[r.g.policies[i].node].addr, "a");
    }
  assert_int_equal(deny, 1);
  run_free(&r);
}

static void test_deterministic(void **state) {
  (void)state;
  const char *src = "use local\ncomponent S {\n  param n: string\n  resource f: local.File { path = n, content = \"\" }\n}\n"
                    "resource z: S for k in [\"q\", \"p\", \"r\"] { n = k }\nresource a: local.File { path = \"a\", content = \"\" }\n";
  char *out[2];
  for (int i = 0; i < 2; i++) {
    Run r;
    run_src(&r, src, NULL);
    assert_true(r.ok);
    size_t len;
    FILE *f = open_memstream(&out[i], &len);
    graph_write_json(&r.g, f);
    fclose(f);
    run_free(&r);
  }
  assert_string_equal(out[0], out[1]);
  free(out[0]);
  free(out[1]);
}

/* ---- hand-built and corrupt modules ---------------------------------------------------------- */

static BcModule *tiny(const uint8_t *code, uint32_t n, uint16_t maxstack) {
  BcModule *m = bc_new();
  m->nstrs = 2;
  m->strs = arena_calloc(&m->arena, 2, sizeof *m->strs);
  m->strs[0] = (BcStr){"main", 4};
  m->strs[1] = (BcStr){"t.plat", 6};
  m->nconsts = 1;
  m->consts = arena_calloc(&m->arena, 1, sizeof *m->consts);
  m->consts[0].kind = BK_INT;
  m->consts[0].u.i = 42;
  m->nlocs = 1;
  m->locs = arena_calloc(&m->arena, 1, sizeof *m->locs);
  m->locs[0] = (BcLoc){1, 1, 1};
  m->nfuncs = 1;
  m->funcs = arena_calloc(&m->arena, 1, sizeof *m->funcs);
  BcFunc *f = &m->funcs[0];
  f->kind = FK_MAIN;
  f->maxstack = maxstack;
  f->code = arena_alloc(&m->arena, n);
  memcpy(f->code, code, n);
  f->ncode = n;
  f->nlines = 1;
  f->lines = arena_calloc(&m->arena, 1, sizeof *f->lines);
  m->main = 0;
  return m;
}

static void test_hand_built(void **state) {
  (void)state;
  const uint8_t ok[] = {OP_CONST, 0, 0, 0, 0, OP_CONST, 0, 0, 0, 0, OP_ADD, OP_POP, OP_NULL, OP_RET};
  BcModule *m = tiny(ok, sizeof ok, 2);
  Vm *vm = vm_new(m, NULL);
  Graph g;
  graph_init(&g, vm_rt(vm));
  VmError e;
  assert_true(vm_run(vm, &g, &e));
  assert_true(vm_call(vm, 0, NULL, 0, &(Val){0}, &e));
  graph_free(&g);
  vm_free(vm);
  bc_free(m);
}

static void test_corrupt_refused(void **state) {
  (void)state;
  const uint8_t bad[][6] = {
      {200, OP_NULL, OP_RET},                   /* no such opcode */
      {OP_CONST, 9, 0, 0, 0, OP_RET},           /* constant out of range */
      {OP_GETG, 3, 0, 0, 0, OP_RET},            /* global out of range */
      {OP_JMP, 0x40, 0, 0, 0, OP_RET},          /* jump out of the function */
      {OP_CALL, 7, 0, 0, 0, 0},                 /* function out of range */
      {OP_NULL, OP_NULL, OP_POP, OP_POP, 0, 0}, /* runs off its end */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    BcModule *m = tiny(bad[i], 6, 4);
    Vm *vm = vm_new(m, NULL);
    Graph g;
    graph_init(&g, vm_rt(vm));
    VmError e;
    assert_false(vm_run(vm, &g, &e));
    assert_non_null(strstr(e.msg, "corrupt module"));
    graph_free(&g);
    vm_free(vm);
    bc_free(m);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_arithmetic),
      cmocka_unit_test(test_comparisons_and_logic),
      cmocka_unit_test(test_strings_and_collections),
      cmocka_unit_test(test_functions_and_builtins),
      cmocka_unit_test(test_unknown_propagation),
      cmocka_unit_test(test_secret_propagation),
      cmocka_unit_test(test_runtime_errors),
      cmocka_unit_test(test_trace),
      cmocka_unit_test(test_resource_trace),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_graph_nodes),
      cmocka_unit_test(test_unknown_output_and_oracle),
      cmocka_unit_test(test_oracle),
      cmocka_unit_test(test_policies),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_hand_built),
      cmocka_unit_test(test_corrupt_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
