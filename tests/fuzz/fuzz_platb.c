/* libFuzzer target over the .platb loader and verifier (vm/platb.h), and the VM behind
 * them.  Two kinds of input:
 * - a .platb file (it starts with the magic byte 0x89): it must be refused with a message
 *   that names the file, or load; a module that loads must write back to exactly the
 *   input's bytes (one encoding per module), disassemble, and run;
 * - anything else is bytecode for a small template module that uses every table: four
 *   length bytes, then the code of a fn, a component, its resource body and a policy rule
 *   of those lengths, and the rest is main's code.  Byte mutations of a whole file mostly
 *   break its layout; this mode puts the fuzzer straight onto the verifier's flow rules
 *   and onto the VM running what they accept.
 * A module that verifies runs on the VM with small step, memory and depth limits to its
 * end or to a runtime error, never to a crash: the verifier's promise is that a verified
 * module is safe to run.  Seeds are compiled examples (tests/fuzz/seed.sh platb) and
 * tests/fuzz/platb/.  tests/fuzz/replay.c drives it without libFuzzer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/builtins.h"
#include "vm/graph.h"
#include "vm/platb.h"
#include "vm/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.platb"

static void die(const char *what, const char *detail) {
  fprintf(stderr, "fuzz_platb: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  abort();
}

/* Disassemble and run a verified module, within small limits. */
static void exercise(const BcModule *m) {
  char *text = NULL;
  size_t tlen = 0;
  FILE *f = open_memstream(&text, &tlen);
  if (!f) abort();
  pb_disasm(m, f);
  fclose(f);
  free(text);

  VmOptions opt = {.max_steps = 20000, .max_memory = (size_t)8 << 20, .max_depth = 40};
  Vm *vm = vm_new(m, &opt);
  Graph g;
  graph_init(&g, vm_rt(vm));
  VmError e;
  if (vm_run(vm, &g, &e)) {
    FILE *out = fopen("/dev/null", "w");
    if (out) {
      graph_write_json(&g, out);
      fclose(out);
    }
  }
  graph_free(&g);
  vm_free(vm);
}

/* ---- code mode: a template module around fuzzed function bodies ----------------------- */
enum { S_MAIN, S_FILE, S_A, S_B, S_X, S_T, S_P, S_LOCAL, S_FN, S_BODY, S_RULE, S_PRED, S_COMP, NSTRS };
static const char *const strs[NSTRS] = {
  "main", "f.plat", "a", "b", "x", "local.File", "local", "local", "fn", "body", "rule", "x > 0", "C",
};
enum { F_MAIN, F_FN, F_COMP, F_BODY, F_RULE, NFUNCS };

static BcModule *template_module(const uint8_t *data, size_t size) {
  BcModule *m = bc_new();
  Arena *a = &m->arena;
  m->nstrs = NSTRS;
  m->strs = arena_calloc(a, NSTRS, sizeof *m->strs);
  for (int i = 0; i < NSTRS; i++) {
    m->strs[i].s = arena_strdup(a, strs[i]);
    m->strs[i].len = (uint32_t)strlen(strs[i]);
  }
  m->nconsts = 9;
  m->consts = arena_calloc(a, m->nconsts, sizeof *m->consts);
  uint32_t *items = arena_calloc(a, 2, sizeof *items), *keys = arena_calloc(a, 1, sizeof *keys),
           *vals = arena_calloc(a, 1, sizeof *vals);
  items[0] = 2;
  items[1] = 3;
  keys[0] = S_A;
  vals[0] = 0;
  m->consts[0] = (BcConst){.kind = BK_INT, .u.i = 7};
  m->consts[1] = (BcConst){.kind = BK_FLOAT, .u.f = 2.5};
  m->consts[2] = (BcConst){.kind = BK_STR, .u.str = S_A};
  m->consts[3] = (BcConst){.kind = BK_STR, .u.str = S_B};
  m->consts[4] = (BcConst){.kind = BK_LIST, .n = 2, .u.items = items};
  m->consts[5] = (BcConst){.kind = BK_MAP, .n = 1, .u.map = {keys, vals}};
  m->consts[6] = (BcConst){.kind = BK_NULL};
  m->consts[7] = (BcConst){.kind = BK_BOOL, .u.b = true};
  m->consts[8] = (BcConst){.kind = BK_INT, .u.i = INT64_MAX};
  m->nlocs = 1;
  m->locs = arena_calloc(a, 1, sizeof *m->locs);
  m->locs[0] = (BcLoc){S_FILE, 1, 1};

  static const struct { uint32_t name; uint8_t kind; uint16_t nparams, nslots, nenv; } shape[NFUNCS] = {
    [F_MAIN] = {S_MAIN, FK_MAIN, 0, 4, 0}, [F_FN] = {S_FN, FK_FN, 1, 3, 0},
    [F_COMP] = {S_COMP, FK_COMPONENT, 0, 3, 3}, [F_BODY] = {S_BODY, FK_BODY, 1, 3, 0},
    [F_RULE] = {S_RULE, FK_RULE, 1, 3, 0},
  };
  m->nfuncs = NFUNCS;
  m->funcs = arena_calloc(a, NFUNCS, sizeof *m->funcs);
  m->main = F_MAIN;
  /* [len fn][len component][len body][len rule] codes..., then main's code */
  size_t lens[NFUNCS] = {0}, pos = size >= 4 ? 4 : size;
  for (int i = 1; i < NFUNCS && size >= 4; i++) lens[i] = data[i - 1];
  size_t start[NFUNCS];
  for (int i = 1; i < NFUNCS; i++) {
    if (lens[i] > size - pos) lens[i] = size - pos;
    start[i] = pos;
    pos += lens[i];
  }
  start[F_MAIN] = pos;
  lens[F_MAIN] = size - pos;
  for (int i = 0; i < NFUNCS; i++) {
    BcFunc *f = &m->funcs[i];
    f->name = shape[i].name;
    f->kind = shape[i].kind;
    f->nparams = shape[i].nparams;
    f->nslots = shape[i].nslots;
    f->nenv = shape[i].nenv;
    f->maxstack = 24;
    f->ncode = (uint32_t)lens[i];
    if (f->ncode) {
      f->code = arena_alloc(a, f->ncode);
      memcpy(f->code, data + start[i], f->ncode);
    } else {
      /* a function the input leaves out returns null */
      f->code = arena_alloc(a, 2);
      f->code[0] = OP_NULL;
      f->code[1] = OP_RET;
      f->ncode = 2;
    }
    f->lines = arena_calloc(a, 1, sizeof *f->lines);
    f->nlines = 1;
  }
  m->nglobals = 3;
  m->globals = arena_calloc(a, 3, sizeof *m->globals);
  m->globals[0] = (BcGlobal){S_X, S_FILE, GK_PARAM, true, 0};
  m->globals[1] = (BcGlobal){S_A, S_FILE, GK_LET, true, 0};
  m->globals[2] = (BcGlobal){S_B, S_FILE, GK_RESOURCE, true, 0};
  m->nparams = 1;
  m->params = arena_calloc(a, 1, sizeof *m->params);
  m->params[0] = (BcParam){S_X, 0, PK_INT, false, false, 0, BC_NONE, S_X, 0, BC_NONE};
  m->nchecks = 1;
  m->checks = arena_calloc(a, 1, sizeof *m->checks);
  m->checks[0] = (BcCheck){S_X, S_PRED, 0};
  m->nrtypes = 2;
  m->rtypes = arena_calloc(a, 2, sizeof *m->rtypes);
  m->rtypes[0] = (BcRType){S_T, S_LOCAL, BC_NONE, BC_NONE, 5, S_FILE};
  m->rtypes[1] = (BcRType){S_COMP, BC_NONE, F_COMP, 4, BC_NONE, S_FILE};
  m->nresdecls = 2;
  m->resdecls = arena_calloc(a, 2, sizeof *m->resdecls);
  m->resdecls[0] = (BcResDecl){S_B, 0, RD_KEYED, BC_NONE, BC_NONE, S_FILE, 0};
  m->resdecls[1] = (BcResDecl){S_X, 1, 0, BC_NONE, BC_NONE, S_FILE, 0};
  m->npolicies = 1;
  m->policies = arena_calloc(a, 1, sizeof *m->policies);
  BcRule *rules = arena_calloc(a, 1, sizeof *rules);
  rules[0] = (BcRule){0, F_RULE, F_RULE, 0};
  m->policies[0] = (BcPolicy){S_PRED, 0, 0, rules, 1};
  m->noutputs = 1;
  m->outputs = arena_calloc(a, 1, sizeof *m->outputs);
  m->outputs[0] = (BcOutput){S_A, 1};
  return m;
}

static void code_mode(const uint8_t *data, size_t size) {
  BcModule *m = template_module(data, size);
  char err[PB_ERRMAX];
  if (!pb_verify(m, NAME, err)) {
    if (strncmp(err, NAME ": corrupt: ", sizeof NAME + 10) != 0) die("a refusal that does not name the file", err);
    if (getenv("FUZZ_PLATB_VERBOSE")) fprintf(stderr, "fuzz_platb: refused: %s\n", err);   /* seeds */
    bc_free(m);
    return;
  }
  /* what verifies also writes and loads back to the same bytes */
  size_t n, n2;
  uint8_t *b = pb_write(m, &n);
  BcModule *l = pb_load(b, n, NAME, err);
  if (!l) die("a verified module does not load back", err);
  uint8_t *b2 = pb_write(l, &n2);
  if (n != n2 || memcmp(b, b2, n) != 0) die("a verified module writes back to other bytes", NULL);
  free(b);
  free(b2);
  bc_free(l);
  exercise(m);
  bc_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0 || data[0] != 0x89) {
    code_mode(data, size);
    return 0;
  }
  char err[PB_ERRMAX];
  BcModule *m = pb_load(data, size, NAME, err);
  if (!m) {
    if (strncmp(err, NAME ": ", sizeof NAME + 1) != 0) die("a refusal that does not name the file", err);
    return 0;
  }
  /* one encoding per module: what loads writes back to the same bytes */
  size_t n;
  uint8_t *b = pb_write(m, &n);
  if (n != size || memcmp(b, data, n) != 0) die("a loaded module writes back to other bytes", NULL);
  free(b);
  exercise(m);
  bc_free(m);
  return 0;
}
