/* Unit tests of the type checker (compiler/check.c, check_expr.c) through the library
 * API: inferred types, phases, secret taint and folded constants of declarations; every
 * expression typed even where there are errors; one mistake, one diagnostic (the error
 * type silences cascades); and large inputs that must stay linear.  Messages and spans
 * are pinned by the golden files in tests/check/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/check.h"
#include "compiler/consteval.h"

static Plat *p;

static int setup(void **state) {
  (void)state;
  p = plat_new();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  plat_free(p);
  p = NULL;
  return 0;
}

static void check(const char *src) {
  assert_true(plat_check_source(p, "t.plat", src, strlen(src)));
  diag_sort(&p->diags);
}

/* The codes of all diagnostics, sorted by position: "E0300 W0005". */
static const char *codes(void) {
  static char buf[1024];
  size_t o = 0;
  buf[0] = 0;
  for (uint32_t i = 0; i < p->diags.n && o + 8 < sizeof buf; i++)
    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "",
                          diag_code_name(p->diags.items[i]->code));
  return buf;
}

static Sym *sym(const char *name) {
  assert_non_null(p->prog);
  assert_true(p->prog->nroots > 0);
  Sym *s = chk_lookup(p->prog->roots[0], intern_cstr(&p->strs, name));
  if (!s) s = symtab_get(&p->prog->roots[0]->outputs, intern_cstr(&p->strs, name));
  assert_non_null(s);
  return s;
}

static const char *type_of(const char *name) { return ty_show(&p->prog->types, sym(name)->type); }

/* ---- a walk over every expression, to see that each one got a type --------------------- */
static uint32_t untyped, typed;

static void walk_type(TypeExpr *te, int depth);

static void walk(Expr *e, int depth) {
  if (!e || depth > 600) return;
  if (e->ty) typed++; else untyped++;
  switch (e->kind) {
  case EX_STRING:
    for (uint32_t i = 0; i < e->u.str.nparts; i++)
      if (e->u.str.parts[i].is_expr) walk(e->u.str.parts[i].expr, depth + 1);
    break;
  case EX_LIST: for (uint32_t i = 0; i < e->u.list.nitems; i++) walk(e->u.list.items[i], depth + 1); break;
  case EX_RECORD: for (uint32_t i = 0; i < e->u.record.nfields; i++) walk(e->u.record.fields[i].value, depth + 1); break;
  case EX_MEMBER: walk(e->u.member.obj, depth + 1); break;
  case EX_INDEX: walk(e->u.index.obj, depth + 1); walk(e->u.index.index, depth + 1); break;
  case EX_CALL:
    walk(e->u.call.callee, depth + 1);
    for (uint32_t i = 0; i < e->u.call.nargs; i++) walk(e->u.call.args[i], depth + 1);
    break;
  case EX_UNARY: walk(e->u.unary.operand, depth + 1); break;
  case EX_BINARY: walk(e->u.binary.lhs, depth + 1); walk(e->u.binary.rhs, depth + 1); break;
  case EX_IF: walk(e->u.cond.cond, depth + 1); walk(e->u.cond.then, depth + 1); walk(e->u.cond.els, depth + 1); break;
  case EX_LIST_COMP: walk(e->u.lcomp.f.source, depth + 1); walk(e->u.lcomp.filter, depth + 1); walk(e->u.lcomp.elem, depth + 1); break;
  case EX_MAP_COMP:
    walk(e->u.mcomp.f.source, depth + 1); walk(e->u.mcomp.filter, depth + 1);
    walk(e->u.mcomp.key, depth + 1); walk(e->u.mcomp.value, depth + 1);
    break;
  case EX_INSTANCE:
    walk_type(e->u.inst.type, depth + 1);
    for (uint32_t i = 0; i < e->u.inst.nfields; i++) walk(e->u.inst.fields[i].value, depth + 1);
    break;
  default: break;
  }
}

static void walk_type(TypeExpr *te, int depth) {
  if (!te || depth > 600) return;
  if (te->ty) typed++; else untyped++;
  switch (te->kind) {
  case TE_LIST: case TE_MAP: case TE_OPTIONAL: case TE_SECRET: walk_type(te->u.elem, depth + 1); break;
  case TE_RECORD:
    for (uint32_t i = 0; i < te->u.record.nfields; i++) {
      walk_type(te->u.record.fields[i].type, depth + 1);
      walk(te->u.record.fields[i].deflt, depth + 1);
    }
    break;
  case TE_REFINED: walk_type(te->u.refined.base, depth + 1); walk(te->u.refined.pred, depth + 1); break;
  default: break;
  }
}

static void walk_decl(Decl *d) {
  if (!d) return;
  for (uint32_t i = 0; i < d->ndecos; i++)
    for (uint32_t j = 0; j < d->decos[i].nargs; j++) walk(d->decos[i].args[j], 0);
  switch (d->kind) {
  case D_PARAM: walk_type(d->u.param.type, 0); walk(d->u.param.deflt, 0); walk(d->u.param.where, 0); break;
  case D_LET: case D_OUTPUT: walk_type(d->u.let.type, 0); walk(d->u.let.value, 0); break;
  case D_TYPE: walk_type(d->u.alias.type, 0); break;
  case D_FN:
    for (uint32_t i = 0; i < d->u.fn.nparams; i++) { walk_type(d->u.fn.params[i].type, 0); walk(d->u.fn.params[i].deflt, 0); }
    walk_type(d->u.fn.ret, 0);
    walk(d->u.fn.body, 0);
    break;
  case D_RESOURCE:
    walk_type(d->u.res.type, 0);
    if (d->u.res.each) walk(d->u.res.each->source, 0);
    walk(d->u.res.cond, 0);
    for (uint32_t i = 0; i < d->u.res.nfields; i++) walk(d->u.res.fields[i].value, 0);
    break;
  case D_COMPONENT: for (uint32_t i = 0; i < d->u.comp.nmembers; i++) walk_decl(d->u.comp.members[i]); break;
  case D_POLICY:
    walk(d->u.policy.title, 0);
    walk_type(d->u.policy.type, 0);
    for (uint32_t i = 0; i < d->u.policy.nrules; i++) { walk(d->u.policy.rules[i].cond, 0); walk(d->u.policy.rules[i].msg, 0); }
    break;
  case D_TEST:
    walk(d->u.test.title, 0);
    for (uint32_t i = 0; i < d->u.test.nstmts; i++) walk_decl(d->u.test.stmts[i]);
    break;
  case D_ASSERT: walk(d->u.assert_.cond, 0); walk(d->u.assert_.msg, 0); break;
  case D_MOVED: walk(d->u.moved.from, 0); walk(d->u.moved.to, 0); break;
  default: break;
  }
}

static void assert_all_typed(void) {
  untyped = typed = 0;
  Module *m = p->prog->roots[0];
  for (uint32_t f = 0; f < m->nfiles; f++)
    for (uint32_t i = 0; i < m->files[f]->ndecls; i++) walk_decl(m->files[f]->decls[i]);
  assert_true(typed > 0);
  assert_int_equal(untyped, 0);
}

/* ---- inference ----------------------------------------------------------------------------- */
static void test_inference(void **state) {
  (void)state;
  check("type Tier = \"web\" | \"worker\"\n"
        "let a = [1, 2.5]\n"
        "let b = { host = \"x\", port = 1 }\n"
        "let c = [[], [\"x\"]]\n"
        "let d: map<float> = { web = 1, worker = 0.5 }\n"
        "let e: Tier = \"web\"\n"
        "let f = [e, \"other\"]\n"
        "let g = { w => length(w) for w in [\"a\", \"bb\"] }\n"
        "let h = null ?? 3\n"
        "fn twice(x: int) = x * 2\n"
        "let i = twice(2)\n"
        "let j: string? = null\n"
        "let k = j ?? \"none\"\n"
        "output all = \"${length(a)}${b.host}${length(c)}${d[\"web\"]}${length(f)}${g[\"a\"]}${h}${i}${k}\"\n");
  assert_string_equal(codes(), "");
  assert_string_equal(type_of("a"), "list<float>");
  assert_string_equal(type_of("b"), "{ host: string, port: int }");
  assert_string_equal(type_of("c"), "list<list<string>>");
  assert_string_equal(type_of("d"), "map<float>");
  assert_string_equal(type_of("e"), "Tier");
  assert_string_equal(type_of("f"), "list<string>");     /* a union and a string meet at string */
  assert_string_equal(type_of("g"), "map<int>");
  assert_string_equal(type_of("h"), "int");
  assert_string_equal(type_of("twice"), "twice(x: int): int");
  assert_string_equal(type_of("i"), "int");
  assert_string_equal(type_of("k"), "string");
  assert_all_typed();
}

/* ---- phases and constants ------------------------------------------------------------------ */
static void test_phases_and_constants(void **state) {
  (void)state;
  check("use random\n"
        "param env = \"dev\"\n"
        "let n = length(\"abc\") * 2\n"
        "let s = \"a-${n}-${upper(\"b\")}\"\n"
        "let p = \"${env}-x\"\n"
        "resource id: random.Id { bytes = n }\n"
        "let addr = \"${id.hex}.example.org\"\n"
        "let bytes = id.bytes\n"
        "let when = timestamp()\n"
        "output all = \"${s}${p}${addr}${bytes}${when}\"\n");
  assert_string_equal(codes(), "");
  Sym *n = sym("n"), *s = sym("s"), *pp = sym("p"), *addr = sym("addr");
  assert_int_equal(n->phase, PHASE_COMPILE);
  assert_non_null(n->cval);
  assert_int_equal(n->cval->kind, V_INT);
  assert_int_equal(n->cval->u.i, 6);
  assert_int_equal(s->phase, PHASE_COMPILE);
  assert_non_null(s->cval);
  assert_string_equal(s->cval->u.s, "a-6-B");
  assert_int_equal(sym("env")->phase, PHASE_PLAN);
  assert_null(sym("env")->cval);                /* a param's default is not its value */
  assert_int_equal(pp->phase, PHASE_PLAN);
  assert_null(pp->cval);
  assert_int_equal(addr->phase, PHASE_DEPLOY);
  assert_non_null(addr->deploy_why);
  assert_int_equal(sym("bytes")->phase, PHASE_PLAN);   /* an input reads what was written */
  assert_int_equal(sym("when")->phase, PHASE_PLAN);    /* timestamp() is read at plan time */
  assert_null(sym("when")->cval);
  assert_all_typed();
}

/* ---- secrets ------------------------------------------------------------------------------- */
static void test_secret_taint(void **state) {
  (void)state;
  check("use random\n"
        "param token: secret string\n"
        "resource pw: random.Password {}\n"
        "let a = \"Bearer ${token}\"\n"
        "let b = [a, \"x\"]\n"
        "let c = { k = b }\n"
        "let d = length(a)\n"
        "let e = nonsensitive(d)\n"
        "let f = sensitive(\"x\")\n"
        "let g = pw.result\n"
        "let h = if length(g) > 3 then \"long\" else \"short\"\n"
        "fn wrap(x: string) = \"<${x}>\"\n"
        "let i = wrap(token)\n"
        "output o1: secret string = \"${a}${c.k[0]}${d}${f}${g}${h}${i}\"\n"
        "output o2 = e\n");
  assert_string_equal(codes(), "");
  const char *secret[] = {"token", "a", "b", "c", "d", "f", "g", "h", "i"};
  for (size_t k = 0; k < sizeof secret / sizeof *secret; k++) {
    if (!sym(secret[k])->secret) fail_msg("'%s' should be secret", secret[k]);
  }
  assert_false(sym("e")->secret);
  assert_null(sym("f")->cval);                   /* secret constants are never shown */
  assert_all_typed();
}

/* ---- one mistake, one diagnostic --------------------------------------------------------------- */
static void test_no_cascades(void **state) {
  (void)state;
  const struct { const char *src, *want; } cases[] = {
      {"let a: int = \"x\"\noutput b = a + 1\n", "E0300"},
      {"let a = nope + 1\noutput b = a * 2\noutput c = \"${a}\"\n", "E0200"},
      {"output o = [x.y.z for x in nope if x.w]\n", "E0200"},
      {"use local\nresource f: local.Fil { path = 1 }\noutput o = f.path + 1\n", "E0203"},
      {"type T = { a: int }\nlet t: T = { a = \"x\" }\noutput o = t.a + 1\n", "E0300"},
      {"let a = [1, \"x\"]\noutput o = a[0] + 1\n", "E0300"},
      {"let a = 1 / 0\noutput o = a + 1\n", "E0309"},
      {"let a = b\nlet b = a\noutput o = a + b\n", "E0205"},
      {"output o = if 1 then 2 else 3\n", "E0302"},
      {"fn f(x: int) = x\noutput o = f(\"a\") + 1\n", "E0300"},
      {"output o = upper(1, 2)\n", "E0211"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    plat_free(p);
    p = plat_new();
    check(cases[i].src);
    if (strcmp(codes(), cases[i].want) != 0)
      fail_msg("case %zu: expected %s, got '%s' for:\n%s", i, cases[i].want, codes(), cases[i].src);
    assert_all_typed();
  }
}

static void test_everything_typed_despite_errors(void **state) {
  (void)state;
  check("use local\n"
        "@depends_on(1)\n@ignore_changes(\"path\", nope)\n@protect(1)\n@bogus(2)\n"
        "resource f: local.File for k, v in 5 if \"x\" { path = [1][\"a\"], nope = 2 }\n"
        "moved a[b] => c.d[1 + 2]\n"
        "moved (1) => f\n"
        "policy \"p\" for x: string { deny x.y : 1 }\n"
        "test \"t\" { let i = Nope { a = 1 }\n assert i.x : 2 }\n"
        "let l = local.File { path = \"x\" }\n"
        "output o = { a = 1, a = 2 }.a + [for_ for for_ in []]\n");
  assert_true(p->diags.nerrors > 5);
  assert_all_typed();
}

/* ---- scale ----------------------------------------------------------------------------------- */
static void test_large_literals_stay_linear(void **state) {
  (void)state;
  enum { N = 20000 };
  size_t cap = (size_t)N * 48 + 256;
  char *src = malloc(cap);
  size_t o = 0;
  o += (size_t)snprintf(src + o, cap - o, "let m: map<int> = {\n");
  for (int i = 0; i < N; i++) o += (size_t)snprintf(src + o, cap - o, "  k%d = %d\n", i, i);
  o += (size_t)snprintf(src + o, cap - o, "  k7 = 0\n}\nlet r = {\n");
  for (int i = 0; i < N; i++) o += (size_t)snprintf(src + o, cap - o, "  f%d = \"%d\"\n", i, i);
  o += (size_t)snprintf(src + o, cap - o, "}\noutput o = \"${m[\"k1\"]}${r.f19999}\"\n");
  check(src);
  free(src);
  assert_string_equal(codes(), "E0208");      /* k7 given twice, found by hashing */
  const Type *r = ty_base(sym("r")->type);
  assert_int_equal(r->kind, TY_RECORD);
  assert_int_equal(r->u.rec.nfields, N);
  assert_string_equal(type_of("o"), "string");
}

/* Records holding another twice: 60 levels stand for 2^60 nodes, in types and values. */
static void test_shared_values_and_types_stay_bounded(void **state) {
  (void)state;
  size_t cap = 16384;
  char *src = malloc(cap);
  size_t o = (size_t)snprintf(src, cap, "let l0 = { a = 1 }\nlet m0 = { a = 1 }\n");
  for (int i = 1; i < 60; i++)
    o += (size_t)snprintf(src + o, cap - o, "let l%d = { x = l%d, y = l%d }\nlet m%d = { x = m%d, y = m%d }\n",
                          i, i - 1, i - 1, i, i - 1, i - 1);
  o += (size_t)snprintf(src + o, cap - o,
                        "let same = l59 == l59\nlet k = l59\nlet has = contains([l59], k)\n"
                        "let both = [l59, m59]\noutput o = \"${same}${has}${length(both)}\"\n");
  check(src);
  free(src);
  /* the two towers are too big to compare: one conservative E0300, and no hang */
  assert_string_equal(codes(), "E0300");
  assert_non_null(sym("same")->cval);
  assert_true(sym("same")->cval->u.b);
  assert_non_null(sym("has")->cval);
  assert_true(sym("has")->cval->u.b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_inference, setup, teardown),
      cmocka_unit_test_setup_teardown(test_phases_and_constants, setup, teardown),
      cmocka_unit_test_setup_teardown(test_secret_taint, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_cascades, setup, teardown),
      cmocka_unit_test_setup_teardown(test_everything_typed_despite_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_large_literals_stay_linear, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shared_values_and_types_stay_bounded, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
