/* Unit tests of the compiler (compiler/emit.h) on the module it produces: every function's
 * code is well formed (instructions whole, jumps on instruction boundaries, the operand
 * stack never below zero nor above maxstack on any path, every path ending in RET or a
 * backward jump), line tables cover every instruction, constants are folded and shared,
 * record keys are sorted, declarations get slots, and compiling twice gives the same bytes. */
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
#include "vm/platb.h"
#include "vm/program.h"

static const char *program =
    "use local\n"
    "type Port = int where 1 <= self && self <= 65535\n"
    "param env: \"dev\" | \"prod\" = \"dev\"\n"
    "param port: Port = 443\n"
    "let names = [\"a\", \"b\", \"c\"]\n"
    "let cfg = { zeta = 1, alpha = \"${env}\", mid = port }\n"
    "fn twice(x: int, y: int = 2): int = x * y\n"
    "let nums = [twice(n) for n in [1, 2, 3] if n > 1]\n"
    "let m = { k => length(k) for k in names }\n"
    "let c = if port > 100 then env ?? \"x\" else \"y\"\n"
    "component S {\n  param name: string\n  let f = \"out/${name}\"\n"
    "  resource cfg: local.File { path = f, content = \"x\" }\n  output url = \"http://${name}:${port}\"\n}\n"
    "resource ws: S for n in names if n != \"b\" { name = n }\n"
    "resource one: local.File if env == \"dev\" { path = ws[\"a\"].url, content = \"${length(m)}\" }\n"
    "output urls = [w.url for w in values(ws)]\n"
    "output total = length(nums) + length(c)\n"
    "policy \"p\" for f: local.File { warn f.path == \"\" : \"empty ${f.path}\" }\n"
    "test \"t\" { let s = S { name = \"q\" }\n  assert s.url == \"http://q:443\" }\n";

static BcModule *compile(const char *src, Plat **pp) {
  Plat *p = plat_new();
  plat_check_source(p, "e.plat", src, strlen(src));
  if (p->diags.nerrors) plat_render(p, stderr, PLAT_FMT_TEXT, false);
  assert_int_equal(p->diags.nerrors, 0);
  BcModule *m = emit_program(p);
  assert_non_null(m);
  *pp = p;
  return m;
}

static int32_t rd32(const uint8_t *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Abstract interpretation of the operand stack over every path of [f]. */
static void check_function(const BcModule *m, const BcFunc *f) {
  uint32_t n = f->ncode;
  int *depth = malloc((n + 1) * sizeof *depth);
  bool *start = calloc(n + 1, 1);
  for (uint32_t i = 0; i <= n; i++) depth[i] = -1;
  /* instruction boundaries */
  for (uint32_t pc = 0; pc < n;) {
    assert_true(f->code[pc] < OP__COUNT);
    start[pc] = true;
    uint32_t size = bc_insn_size(f->code[pc]);
    assert_true(pc + size <= n);
    pc += size;
  }
  uint32_t *work = malloc((n + 1) * sizeof *work), nwork = 0;
  depth[0] = 0;
  work[nwork++] = 0;
  int maxd = 0;
  while (nwork) {
    uint32_t pc = work[--nwork];
    int d = depth[pc];
    uint8_t op = f->code[pc];
    const BcOpInfo *in = &bc_ops[op];
    uint32_t size = bc_insn_size(op);
    uint32_t cnt = in->pops < 0 ? rd16(f->code + pc + size - 2) : 0;
    int pops = in->pops == -1 ? (int)cnt : in->pops == -2 ? 2 * (int)cnt : in->pops;
    assert_true(d >= pops);
    int next = d - pops + in->pushes, jumpd = next;
    bool jumps = strchr(in->operands, 'j') != NULL, falls = true;
    switch (op) {
    case OP_JMP: falls = false; break;
    case OP_RET: falls = false; break;
    case OP_JFK: case OP_JTK: case OP_JNN: jumpd = d; next = d - 1; break;
    case OP_FORPREP: jumpd = d + 1; next = d; break;
    case OP_FORNEXT: jumpd = d; next = d + 2; break;
    default: break;
    }
    if (next > maxd) maxd = next;
    if (jumpd > maxd) maxd = jumpd;
    uint32_t targets[2], nt = 0;
    int tdepth[2];
    if (falls) { targets[nt] = pc + size; tdepth[nt++] = next; }
    if (jumps) {
      int64_t t = (int64_t)(pc + size) + rd32(f->code + pc + size - 4);
      assert_true(t >= 0 && t < n);
      assert_true(start[t]);
      targets[nt] = (uint32_t)t;
      tdepth[nt++] = jumpd;
    }
    for (uint32_t k = 0; k < nt; k++) {
      assert_true(targets[k] < n);   /* never falls off the end */
      if (depth[targets[k]] < 0) {
        depth[targets[k]] = tdepth[k];
        work[nwork++] = targets[k];
      } else if (depth[targets[k]] != tdepth[k]) {
        fprintf(stderr, "%s: depth %d and %d at pc %u\n", m->strs[f->name].s, depth[targets[k]], tdepth[k], targets[k]);
        fail();
      }
    }
  }
  assert_true(maxd <= f->maxstack);
  /* line table: sorted, starting at 0, valid locations */
  if (n) {
    assert_true(f->nlines >= 1);
    assert_int_equal(f->lines[0].pc, 0);
  }
  for (uint32_t i = 0; i < f->nlines; i++) {
    assert_true(f->lines[i].loc < m->nlocs);
    if (i) assert_true(f->lines[i].pc > f->lines[i - 1].pc);
  }
  free(depth);
  free(start);
  free(work);
}

static void test_functions_well_formed(void **state) {
  (void)state;
  Plat *p;
  BcModule *m = compile(program, &p);
  assert_true(m->main < m->nfuncs);
  assert_int_equal(m->funcs[m->main].kind, FK_MAIN);
  bool kinds[FK__COUNT] = {0};
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    check_function(m, &m->funcs[i]);
    kinds[m->funcs[i].kind] = true;
  }
  assert_true(kinds[FK_FN] && kinds[FK_COMPONENT] && kinds[FK_BODY] && kinds[FK_RULE] && kinds[FK_TEST]);
  /* and the .platb verifier accepts what the compiler makes */
  char err[PB_ERRMAX];
  bool ok = pb_verify(m, "e.platb", err);
  if (!ok) fprintf(stderr, "%s\n", err);
  assert_true(ok);
  bc_free(m);
  plat_free(p);
}

static void test_tables(void **state) {
  (void)state;
  Plat *p;
  BcModule *m = compile(program, &p);
  /* every top-level let, param, resource and output has a global */
  const char *want[] = {"env", "port", "names", "cfg", "nums", "m", "c", "ws", "one", "urls", "total"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    bool found = false;
    for (uint32_t g = 0; g < m->nglobals; g++) found |= strcmp(m->strs[m->globals[g].name].s, want[i]) == 0;
    if (!found) fprintf(stderr, "no global %s\n", want[i]);
    assert_true(found);
  }
  assert_int_equal(m->nparams, 2);
  assert_int_equal(m->params[0].kind, PK_STRING);
  assert_true(m->params[0].members != BC_NONE);
  assert_int_equal(m->params[1].kind, PK_INT);
  assert_true(m->nchecks >= 1);            /* port's refinement, checked at run time */
  assert_int_equal(m->noutputs, 2);
  assert_string_equal(m->strs[m->outputs[0].name].s, "total");   /* sorted */
  assert_string_equal(m->strs[m->outputs[1].name].s, "urls");
  assert_int_equal(m->npolicies, 1);
  assert_int_equal(m->ntests, 1);
  /* a provider type and the component */
  bool comp = false, prov = false;
  for (uint32_t i = 0; i < m->nrtypes; i++) {
    if (m->rtypes[i].fn != BC_NONE) comp = true;
    if (m->rtypes[i].provider != BC_NONE) { prov = true; assert_string_equal(m->strs[m->rtypes[i].provider].s, "local"); }
  }
  assert_true(comp && prov);
  /* the constant list of names is folded, once */
  uint32_t lists = 0;
  for (uint32_t i = 0; i < m->nconsts; i++)
    if (m->consts[i].kind == BK_LIST && m->consts[i].n == 3 && m->consts[m->consts[i].u.items[0]].kind == BK_STR &&
        strcmp(m->strs[m->consts[m->consts[i].u.items[0]].u.str].s, "a") == 0)
      lists++;
  assert_true(lists >= 1);
  /* string constants are shared */
  for (uint32_t i = 0; i < m->nconsts; i++)
    for (uint32_t j = i + 1; j < m->nconsts && m->consts[i].kind == BK_STR; j++)
      if (m->consts[j].kind == BK_STR) assert_int_not_equal(m->consts[i].u.str, m->consts[j].u.str);
  /* record key lists are shared: the two local.Files (cfg, one) make one [content, mode,
     path] between them */
  uint32_t keylists = 0;
  for (uint32_t i = 0; i < m->nconsts; i++) {
    const BcConst *c = &m->consts[i];
    const char *want3[] = {"content", "mode", "path"};
    bool same = c->kind == BK_LIST && c->n == 3;
    for (uint32_t k = 0; same && k < 3; k++)
      same = m->consts[c->u.items[k]].kind == BK_STR &&
             strcmp(m->strs[m->consts[c->u.items[k]].u.str].s, want3[k]) == 0;
    keylists += same;
  }
  assert_int_equal(keylists, 1);
  /* BK_MAP keys sorted and unique; items refer backwards */
  for (uint32_t i = 0; i < m->nconsts; i++) {
    const BcConst *c = &m->consts[i];
    if (c->kind == BK_MAP)
      for (uint32_t k = 1; k < c->n; k++) assert_true(strcmp(m->strs[c->u.map.keys[k - 1]].s, m->strs[c->u.map.keys[k]].s) < 0);
    if (c->kind == BK_LIST)
      for (uint32_t k = 0; k < c->n; k++) assert_true(c->u.items[k] < i);
  }
  bc_free(m);
  plat_free(p);
}

static void test_deterministic(void **state) {
  (void)state;
  Plat *p1, *p2;
  BcModule *a = compile(program, &p1), *b = compile(program, &p2);
  assert_int_equal(a->nfuncs, b->nfuncs);
  assert_int_equal(a->nconsts, b->nconsts);
  assert_int_equal(a->nstrs, b->nstrs);
  for (uint32_t i = 0; i < a->nfuncs; i++) {
    assert_int_equal(a->funcs[i].ncode, b->funcs[i].ncode);
    assert_memory_equal(a->funcs[i].code, b->funcs[i].code, a->funcs[i].ncode);
  }
  assert_string_equal(a->source_hash, b->source_hash);
  bc_free(a);
  bc_free(b);
  plat_free(p1);
  plat_free(p2);
}

static void test_large_literals(void **state) {
  (void)state;
  /* 70,000 items: more than a u16 count; built through an accumulator */
  size_t cap = 70000 * 12 + 64;
  char *src = malloc(cap);
  size_t n = (size_t)snprintf(src, cap, "param p = 0\nlet xs = [");
  for (int i = 0; i < 70000; i++) n += (size_t)snprintf(src + n, cap - n, "p + %d, ", i);
  snprintf(src + n, cap - n, "]\n");
  Plat *p;
  BcModule *m = compile(src, &p);
  check_function(m, &m->funcs[m->main]);
  assert_true(m->funcs[m->main].maxstack < 16);
  bc_free(m);
  plat_free(p);
  free(src);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_functions_well_formed),
      cmocka_unit_test(test_tables),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_large_literals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
