/* The bytecode verifier: every invariant of a module (vm/program.h) that the VM relies on,
 * checked before anything runs it (docs/bytecode.md, "What the verifier guarantees").
 * Table by table: every index in range and of the right kind; then per function: each
 * instruction decoded by vm/opcodes.def's operand formats, jump targets on instruction
 * boundaries, and the operand stack, accumulators and dependency marks followed along
 * every path (never under, never over, the same on every path into an instruction).
 * The first failure is the message: "app.platb: corrupt: <what is wrong>". */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/builtins.h"
#include "compiler/source.h"
#include "vm/platb.h"

typedef struct Ver {
  const BcModule *m;
  const char *name;
  char *err;
  bool failed;
  uint32_t *env;         /* per function: environment slots its code may use */
  uint32_t *envmax;      /* per function: 1 + the highest environment slot its code names */
  uint8_t *names;        /* per constant: LIST_* flags of str_list_ok's checks that passed */
} Ver;

/* Ver.names: a constant already known to be a list of strings (and sorted), so that a
 * hostile module naming one long list from a million RECORDs costs one check, not a
 * million. */
enum { LIST_STRS = 1, LIST_SORTED = 2 };

static bool fail(Ver *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(Ver *v, const char *fmt, ...) {
  if (v->failed) return false;
  v->failed = true;
  int n = snprintf(v->err, PB_ERRMAX, "%s: corrupt: ", v->name);
  if (n < 0 || n >= PB_ERRMAX) return false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->err + n, (size_t)(PB_ERRMAX - n), fmt, ap);
  va_end(ap);
  return false;
}

/* ---- names for messages ----------------------------------------------------------------- */

/* Function [f]'s name, quoted, when its string is valid (checked before code is). */
static const char *fname(const Ver *v, uint32_t f, char buf[96]) {
  const BcModule *m = v->m;
  if (f < m->nfuncs && m->funcs[f].name < m->nstrs) {
    snprintf(buf, 96, "'%.80s'", m->strs[m->funcs[f].name].s);
  } else {
    snprintf(buf, 96, "#%u", f);
  }
  return buf;
}

/* ---- tables ----------------------------------------------------------------------------- */

static bool str_ok(Ver *v, uint32_t s, const char *what) {
  if (s < v->m->nstrs) return true;
  return fail(v, "%s: string index %u out of range (%u strings)", what, s, v->m->nstrs);
}
static bool loc_ok(Ver *v, uint32_t l, const char *what) {
  if (l < v->m->nlocs) return true;
  return fail(v, "%s: location index %u out of range (%u locations)", what, l, v->m->nlocs);
}
static bool const_ok(Ver *v, uint32_t k, const char *what) {
  if (k < v->m->nconsts) return true;
  return fail(v, "%s: constant index %u out of range (%u constants)", what, k, v->m->nconsts);
}
static bool opt_const_ok(Ver *v, uint32_t k, const char *what) {
  return k == BC_NONE || const_ok(v, k, what);
}
static bool func_ok(Ver *v, uint32_t f, int kind, const char *what) {
  const BcModule *m = v->m;
  if (f >= m->nfuncs) return fail(v, "%s: function index %u out of range (%u functions)", what, f, m->nfuncs);
  if (kind >= 0 && m->funcs[f].kind != kind) {
    char b[96];
    return fail(v, "%s: function %s is of kind %u, expected %d", what, fname(v, f, b),
                m->funcs[f].kind, kind);
  }
  return true;
}

/* Byte order of strings: memcmp, then the shorter first. */
static int str_cmp(const BcStr *a, const BcStr *b) {
  uint32_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->s, b->s, n);
  if (c) return c;
  return a->len < b->len ? -1 : a->len > b->len;
}

/* Constant [k] is a list of strings ([n] of them when n != UINT32_MAX); [sorted]: in byte
 * order without duplicates. */
static bool str_list_ok(Ver *v, uint32_t k, uint32_t n, bool sorted, const char *what) {
  const BcModule *m = v->m;
  if (!const_ok(v, k, what)) return false;
  const BcConst *c = &m->consts[k];
  if (c->kind != BK_LIST) return fail(v, "%s: constant %u is not a list of strings", what, k);
  if (n != UINT32_MAX && c->n != n)
    return fail(v, "%s: constant %u has %u names, expected %u", what, k, c->n, n);
  uint8_t want = LIST_STRS | (sorted ? LIST_SORTED : 0);
  if ((v->names[k] & want) == want) return true;
  for (uint32_t i = 0; i < c->n; i++) {
    const BcConst *it = &m->consts[c->u.items[i]];   /* items < k: checked with the pool */
    if (it->kind != BK_STR) return fail(v, "%s: item %u of constant %u is not a string", what, i, k);
    if (sorted && i > 0) {
      const BcConst *prev = &m->consts[c->u.items[i - 1]];
      if (str_cmp(&m->strs[prev->u.str], &m->strs[it->u.str]) >= 0)
        return fail(v, "%s: the names of constant %u are not sorted and unique (item %u)", what, k, i);
    }
  }
  v->names[k] |= want;
  return true;
}

static bool check_strs(Ver *v) {
  const BcModule *m = v->m;
  for (uint32_t i = 0; i < m->nstrs; i++) {
    const BcStr *s = &m->strs[i];
    if (!s->s || s->s[s->len] != 0 || memchr(s->s, 0, s->len))
      return fail(v, "string %u holds a NUL byte", i);
    if (utf8_check(s->s, s->len) != s->len) return fail(v, "string %u is not valid UTF-8", i);
  }
  return true;
}

static bool check_consts(Ver *v) {
  const BcModule *m = v->m;
  uint16_t *depth = calloc(m->nconsts ? m->nconsts : 1, sizeof *depth);
  if (!depth) return fail(v, "out of memory");
  bool ok = true;
  for (uint32_t i = 0; i < m->nconsts && ok; i++) {
    const BcConst *c = &m->consts[i];
    uint32_t d = 0;
    switch (c->kind) {
    case BK_INT: case BK_NULL: case BK_BOOL: break;
    case BK_FLOAT:
      if (!isfinite(c->u.f)) ok = fail(v, "constant %u is a float that is not finite", i);
      break;
    case BK_STR:
      ok = str_ok(v, c->u.str, "string constant");
      break;
    case BK_LIST:
      for (uint32_t j = 0; j < c->n && ok; j++) {
        if (c->u.items[j] >= i)
          ok = fail(v, "constant %u: item %u refers to constant %u, not an earlier one", i, j, c->u.items[j]);
        else if (depth[c->u.items[j]] > d) d = depth[c->u.items[j]];
      }
      d++;
      break;
    case BK_MAP:
      for (uint32_t j = 0; j < c->n && ok; j++) {
        uint32_t key = c->u.map.keys[j], val = c->u.map.vals[j];
        if (!str_ok(v, key, "map constant key")) ok = false;
        else if (j > 0 && c->u.map.keys[j - 1] < m->nstrs &&
                 str_cmp(&m->strs[c->u.map.keys[j - 1]], &m->strs[key]) >= 0)
          ok = fail(v, "constant %u: map keys are not sorted and unique (entry %u)", i, j);
        else if (val >= i)
          ok = fail(v, "constant %u: entry %u refers to constant %u, not an earlier one", i, j, val);
        else if (depth[val] > d) d = depth[val];
      }
      d++;
      break;
    default:
      ok = fail(v, "constant %u is of unknown kind %u", i, c->kind);
    }
    if (ok && d > PB_MAX_CONST_DEPTH)
      ok = fail(v, "constant %u nests %u levels deep (the limit is %d)", i, d, PB_MAX_CONST_DEPTH);
    depth[i] = (uint16_t)d;
  }
  free(depth);
  return ok;
}

static bool check_locs(Ver *v) {
  const BcModule *m = v->m;
  for (uint32_t i = 0; i < m->nlocs; i++) {
    if (!str_ok(v, m->locs[i].file, "location's file")) return false;
    /* both 0: a place without a position (built-ins); else both count from 1 */
    if ((m->locs[i].line == 0) != (m->locs[i].col == 0))
      return fail(v, "location %u has line %u, column %u (both count from 1, or both are 0)", i,
                  m->locs[i].line, m->locs[i].col);
  }
  return true;
}

static bool check_decls(Ver *v) {
  const BcModule *m = v->m;
  if (m->main == BC_NONE) return fail(v, "no main function");
  if (!func_ok(v, m->main, FK_MAIN, "main")) return false;
  for (uint32_t i = 0; i < m->nglobals; i++) {
    const BcGlobal *g = &m->globals[i];
    if (!str_ok(v, g->name, "global") || !str_ok(v, g->module, "global's module") ||
        !loc_ok(v, g->loc, "global"))
      return false;
    if (g->kind >= GK__COUNT) return fail(v, "global %u is of unknown kind %u", i, g->kind);
  }
  for (uint32_t i = 0; i < m->nparams; i++) {
    const BcParam *p = &m->params[i];
    if (!str_ok(v, p->name, "param") || !str_ok(v, p->type, "param's type") ||
        !loc_ok(v, p->loc, "param") || !opt_const_ok(v, p->deflt, "param's default"))
      return false;
    if (p->global >= m->nglobals)
      return fail(v, "param %u: global index %u out of range (%u globals)", i, p->global, m->nglobals);
    if (p->kind >= PK__COUNT) return fail(v, "param %u is of unknown kind %u", i, p->kind);
    if (p->members != BC_NONE && !str_list_ok(v, p->members, UINT32_MAX, false, "param's members"))
      return false;
    if (p->desc != BC_NONE && !str_ok(v, p->desc, "param's type descriptor")) return false;
  }
  for (uint32_t i = 0; i < m->nchecks; i++) {
    if (!str_ok(v, m->checks[i].type, "refinement check") ||
        !str_ok(v, m->checks[i].pred, "refinement check") || !loc_ok(v, m->checks[i].loc, "refinement check"))
      return false;
  }
  for (uint32_t i = 0; i < m->nrtypes; i++) {
    const BcRType *t = &m->rtypes[i];
    if (!str_ok(v, t->name, "resource type") || !str_ok(v, t->module, "resource type's module"))
      return false;
    if (t->defaults != BC_NONE) {
      if (!const_ok(v, t->defaults, "resource type's defaults")) return false;
      if (m->consts[t->defaults].kind != BK_MAP)
        return fail(v, "resource type %u: its defaults (constant %u) are not a map", i, t->defaults);
    }
    if (t->provider != BC_NONE) {
      /* a provider's type: made by the provider, no function of ours */
      if (!str_ok(v, t->provider, "resource type's provider")) return false;
      if (t->fn != BC_NONE || t->params != BC_NONE)
        return fail(v, "resource type %u has a provider and a component function", i);
      continue;
    }
    if (t->fn == BC_NONE || t->params == BC_NONE)
      return fail(v, "resource type %u has neither a provider nor a component function and params", i);
    if (!func_ok(v, t->fn, FK_COMPONENT, "component") ||
        !str_list_ok(v, t->params, UINT32_MAX, false, "component's params"))
      return false;
    if (m->consts[t->params].n > m->funcs[t->fn].nenv) {
      char b[96];
      return fail(v, "component %u has %u params but its function %s only %u environment slots",
                  i, m->consts[t->params].n, fname(v, t->fn, b), m->funcs[t->fn].nenv);
    }
  }
  for (uint32_t i = 0; i < m->nresdecls; i++) {
    const BcResDecl *d = &m->resdecls[i];
    if (!str_ok(v, d->name, "resource declaration") || !str_ok(v, d->module, "resource declaration's module") ||
        !loc_ok(v, d->loc, "resource declaration"))
      return false;
    if (d->rtype >= m->nrtypes)
      return fail(v, "resource declaration %u: resource type %u out of range (%u types)", i, d->rtype, m->nrtypes);
    uint32_t known = RD_KEYED | RD_COND | RD_PROTECT | RD_CBD | RD_TEST;
    if (d->flags & ~known) return fail(v, "resource declaration %u has unknown flags 0x%x", i, d->flags & ~known);
    if (d->ignore != BC_NONE && !str_list_ok(v, d->ignore, UINT32_MAX, false, "@ignore_changes"))
      return false;
    if (d->replace != BC_NONE && !str_list_ok(v, d->replace, UINT32_MAX, false, "@replace_on_change"))
      return false;
  }
  for (uint32_t i = 0; i < m->npolicies; i++) {
    const BcPolicy *p = &m->policies[i];
    if (!str_ok(v, p->title, "policy") || !loc_ok(v, p->loc, "policy")) return false;
    if (p->rtype >= m->nrtypes)
      return fail(v, "policy %u: resource type %u out of range (%u types)", i, p->rtype, m->nrtypes);
    for (uint32_t j = 0; j < p->nrules; j++) {
      const BcRule *r = &p->rules[j];
      if (r->kind > 1) return fail(v, "policy %u: rule %u is of unknown kind %u", i, j, r->kind);
      if (!func_ok(v, r->cond, FK_RULE, "policy rule's condition") ||
          !func_ok(v, r->msg, FK_RULE, "policy rule's message") || !loc_ok(v, r->loc, "policy rule"))
        return false;
    }
  }
  for (uint32_t i = 0; i < m->ntests; i++) {
    const BcTest *t = &m->tests[i];
    if (!str_ok(v, t->title, "test") || !str_ok(v, t->module, "test's module") ||
        !func_ok(v, t->fn, FK_TEST, "test") || !loc_ok(v, t->loc, "test"))
      return false;
  }
  for (uint32_t i = 0; i < m->nmoved; i++) {
    if (!str_ok(v, m->moved[i].from, "moved") || !str_ok(v, m->moved[i].to, "moved") ||
        !loc_ok(v, m->moved[i].loc, "moved"))
      return false;
  }
  for (uint32_t i = 0; i < m->noutputs; i++) {
    if (!str_ok(v, m->outputs[i].name, "output")) return false;
    if (m->outputs[i].global >= m->nglobals)
      return fail(v, "output %u: global index %u out of range (%u globals)", i,
                  m->outputs[i].global, m->nglobals);
  }
  for (uint32_t i = 0; i < m->nsources; i++) {
    if (!str_ok(v, m->sources[i], "source list")) return false;
    if (i > 0 && strcmp(m->strs[m->sources[i - 1]].s, m->strs[m->sources[i]].s) >= 0)
      return fail(v, "the source list is not sorted and unique (entry %u)", i);
  }
  const char *h = m->source_hash;
  size_t hl = strnlen(h, sizeof m->source_hash);
  if (hl != 0 && (hl != 64 || strspn(h, "0123456789abcdef") != 64))
    return fail(v, "the source hash is not 64 hex digits");
  return true;
}

/* ---- code ------------------------------------------------------------------------------- */

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The abstract state at an instruction: operand stack depth, open accumulators and
 * dependency marks.  depth < 0: not reached yet. */
typedef struct State {
  int32_t depth;
  int32_t acc, deps;
} State;

typedef struct Fn {
  Ver *v;
  uint32_t idx;
  const BcFunc *f;
  uint8_t *start;        /* 1 at each instruction boundary */
  State *st;             /* per pc (only boundaries are used) */
  uint32_t *work;        /* pcs to visit */
  uint32_t nwork;
  int32_t maxdepth;
} Fn;

/* The decoded operands of one instruction, by letter. */
typedef struct Ops {
  uint32_t k, s, l, g, e, f, b, n, r, p, q, m;
  int64_t j;             /* absolute target */
  bool has_j;
} Ops;

static bool fn_fail(Fn *F, uint32_t pc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fn_fail(Fn *F, uint32_t pc, const char *fmt, ...) {
  char msg[PB_ERRMAX], b[96];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  uint8_t op = F->f->code[pc];
  return fail(F->v, "function %s, pc %u (%s): %s", fname(F->v, F->idx, b), pc,
              op < OP__COUNT ? bc_ops[op].name : "?", msg);
}

/* Decode the operands of the instruction at [pc] (its size already checked). */
static void decode(const BcFunc *f, uint32_t pc, Ops *o) {
  memset(o, 0, sizeof *o);
  uint8_t op = f->code[pc];
  const uint8_t *p = f->code + pc + 1;
  uint32_t end = pc + bc_insn_size(op);
  for (const char *c = bc_ops[op].operands; *c; c++) {
    switch (*c) {
    case 'k': o->k = rd32(p); break;
    case 's': o->s = rd32(p); break;
    case 'g': o->g = rd32(p); break;
    case 'f': o->f = rd32(p); break;
    case 'r': o->r = rd32(p); break;
    case 'p': o->p = rd32(p); break;
    case 'q': o->q = rd32(p); break;
    case 'j': o->j = (int64_t)end + (int32_t)rd32(p); o->has_j = true; break;
    case 'l': o->l = rd16(p); break;
    case 'e': o->e = rd16(p); break;
    case 'b': o->b = rd16(p); break;
    case 'n': o->n = rd16(p); break;
    case 'm': o->m = p[0]; break;
    default: break;
    }
    p += bc_operand_size(*c);
  }
}

/* Pass 1: instruction boundaries and every operand that does not depend on the flow. */
static bool scan(Fn *F) {
  const BcModule *m = F->v->m;
  const BcFunc *f = F->f;
  uint32_t pc = 0;
  while (pc < f->ncode) {
    uint8_t op = f->code[pc];
    if (op >= OP__COUNT) {
      char b[96];
      return fail(F->v, "unknown opcode %u at pc %u of function %s", op, pc, fname(F->v, F->idx, b));
    }
    uint32_t size = bc_insn_size(op);
    if (size > f->ncode - pc)
      return fn_fail(F, pc, "the instruction's %u bytes run past the end of the code (%u bytes)",
                     size, f->ncode);
    F->start[pc] = 1;
    Ops o;
    decode(f, pc, &o);
    for (const char *c = bc_ops[op].operands; *c; c++) {
      switch (*c) {
      case 'k':
        if (o.k >= m->nconsts) return fn_fail(F, pc, "constant index %u out of range (%u constants)", o.k, m->nconsts);
        break;
      case 's':
        if (o.s >= m->nstrs) return fn_fail(F, pc, "string index %u out of range (%u strings)", o.s, m->nstrs);
        break;
      case 'l': {
        /* FORPREP/FORNEXT use l and l + 1 */
        uint32_t need = (op == OP_FORPREP || op == OP_FORNEXT) ? o.l + 2 : o.l + 1;
        if (need > f->nslots) return fn_fail(F, pc, "local slot %u out of range (%u slots)", need - 1, f->nslots);
        break;
      }
      case 'g':
        if (o.g >= m->nglobals) return fn_fail(F, pc, "global slot %u out of range (%u globals)", o.g, m->nglobals);
        break;
      case 'e':
        if (o.e + 1 > F->v->envmax[F->idx]) F->v->envmax[F->idx] = o.e + 1;
        break;
      case 'f':
        if (o.f >= m->nfuncs) return fn_fail(F, pc, "function index %u out of range (%u functions)", o.f, m->nfuncs);
        break;
      case 'b':
        if (o.b >= BI__COUNT) return fn_fail(F, pc, "built-in %u out of range (%u built-ins)", o.b, (unsigned)BI__COUNT);
        break;
      case 'r':
        if (o.r >= m->nresdecls) return fn_fail(F, pc, "resource declaration %u out of range (%u)", o.r, m->nresdecls);
        break;
      case 'p':
        if (o.p >= m->nparams) return fn_fail(F, pc, "param %u out of range (%u params)", o.p, m->nparams);
        break;
      case 'q':
        if (o.q >= m->nchecks) return fn_fail(F, pc, "refinement check %u out of range (%u)", o.q, m->nchecks);
        break;
      case 'm':
        if (o.m >= RG__COUNT) return fn_fail(F, pc, "mode %u out of range (%u modes)", o.m, (unsigned)RG__COUNT);
        break;
      default: break;
      }
    }
    /* operands whose meaning depends on another operand */
    if (op == OP_CALL) {
      const BcFunc *callee = &m->funcs[o.f];
      char b[96];
      if (callee->kind == FK_MAIN || callee->kind == FK_COMPONENT)
        return fn_fail(F, pc, "calls function %s, which only the VM may run", fname(F->v, o.f, b));
      if (o.n != callee->nparams)
        return fn_fail(F, pc, "calls function %s with %u arguments; it takes %u", fname(F->v, o.f, b),
                       o.n, callee->nparams);
    } else if (op == OP_CALLB) {
      const Builtin *bi = bi_get((BuiltinId)o.b);
      if (!bi) return fn_fail(F, pc, "built-in %u does not exist", o.b);
      /* a built-in typed by its context (jsondecode) gets that type's descriptor as one
       * more argument (stdlib/conform.h) */
      uint32_t max = bi->nparams + (bi->ret_expected ? 1 : 0);
      if (o.n < bi->min_args || (!bi->variadic && o.n > max)) {
        char takes[48];
        if (bi->variadic) snprintf(takes, sizeof takes, "%u or more", bi->min_args);
        else if (max == bi->min_args) snprintf(takes, sizeof takes, "%u", max);
        else snprintf(takes, sizeof takes, "%u to %u", bi->min_args, max);
        return fn_fail(F, pc, "calls built-in %s with %u arguments; it takes %s", bi->name, o.n, takes);
      }
    } else if (op == OP_RECORD) {
      if (!str_list_ok(F->v, o.k, o.n, true, "RECORD's keys")) return false;
    }
    pc += size;
  }
  return true;
}

/* Flow from [from] into [to] with state [s]; [fall]: by falling through, not jumping. */
static bool push_state(Fn *F, uint32_t from, int64_t to, State s, bool fall) {
  const BcFunc *f = F->f;
  if (to < 0 || to >= f->ncode) {
    char b[96];
    if (fall)
      return fail(F->v, "control falls off the end of function %s (%u bytes) after pc %u (%s)",
                  fname(F->v, F->idx, b), f->ncode, from, bc_ops[f->code[from]].name);
    return fail(F->v, "jump target %lld outside function %s (%u bytes), at pc %u (%s)", (long long)to,
                fname(F->v, F->idx, b), f->ncode, from, bc_ops[f->code[from]].name);
  }
  uint32_t t = (uint32_t)to;
  if (!F->start[t]) {
    char b[96];
    return fail(F->v, "jump target %u in function %s is not on an instruction boundary, at pc %u (%s)",
                t, fname(F->v, F->idx, b), from, bc_ops[f->code[from]].name);
  }
  if (s.depth > F->maxdepth) F->maxdepth = s.depth;
  if (s.depth > f->maxstack)
    return fn_fail(F, from, "the operand stack grows to %d, over the function's declared %u", s.depth, f->maxstack);
  if (s.acc > PB_MAX_MARKS || s.deps > PB_MAX_MARKS)
    return fn_fail(F, from, "more than %d accumulators or dependency marks open", PB_MAX_MARKS);
  State *d = &F->st[t];
  if (d->depth < 0) {
    *d = s;
    F->work[F->nwork++] = t;
    return true;
  }
  if (d->depth != s.depth)
    return fn_fail(F, from, "the stack is %d deep on one path to pc %u and %d on another", s.depth, t, d->depth);
  if (d->acc != s.acc)
    return fn_fail(F, from, "%d accumulators are open on one path to pc %u and %d on another", s.acc, t, d->acc);
  if (d->deps != s.deps)
    return fn_fail(F, from, "%d dependency marks are open on one path to pc %u and %d on another", s.deps, t, d->deps);
  return true;
}

/* Pass 2: follow every path from pc 0 with the stack depth, accumulators and marks. */
static bool flow(Fn *F) {
  const BcFunc *f = F->f;
  State s0 = {0, 0, 0};
  if (!push_state(F, 0, 0, s0, false)) return false;
  while (F->nwork) {
    uint32_t pc = F->work[--F->nwork];
    State s = F->st[pc];
    uint8_t op = f->code[pc];
    const BcOpInfo *info = &bc_ops[op];
    Ops o;
    decode(f, pc, &o);
    uint32_t next = pc + bc_insn_size(op);
    int32_t pops = info->pops == -1 ? (int32_t)o.n : info->pops == -2 ? 2 * (int32_t)o.n : info->pops;
    int32_t pushes = info->pushes;
    if (s.depth < pops)
      return fn_fail(F, pc, "needs %d values on the stack, which holds %d", pops, s.depth);
    State out = s;
    out.depth = s.depth - pops + pushes;
    switch (op) {
    case OP_ACCNEW: out.acc++; break;
    case OP_ACCADD: case OP_ACCPUT:
      if (s.acc < 1) return fn_fail(F, pc, "no accumulator is open");
      break;
    case OP_ACCLIST: case OP_ACCMAP:
      if (s.acc < 1) return fn_fail(F, pc, "no accumulator is open");
      out.acc--;
      break;
    case OP_DEPS: out.deps++; break;
    case OP_DEPDROP: case OP_SETLD: case OP_SETGD: case OP_SETED: case OP_MKRES:
      if (s.deps < 1) return fn_fail(F, pc, "no dependency mark is open");
      out.deps--;
      break;
    default: break;
    }
    switch (op) {
    case OP_RET:
      if (s.acc || s.deps)
        return fn_fail(F, pc, "returns with %d accumulators and %d dependency marks open", s.acc, s.deps);
      continue;
    case OP_JMP:
      if (!push_state(F, pc, o.j, s, false)) return false;
      continue;
    case OP_JF: case OP_IFU:
      if (!push_state(F, pc, o.j, out, false) || !push_state(F, pc, next, out, true)) return false;
      continue;
    case OP_JFK: case OP_JTK: case OP_JNN: {
      /* taken: the value stays; not taken: it is popped */
      State fall = s;
      fall.depth = s.depth - 1;
      if (!push_state(F, pc, o.j, s, false) || !push_state(F, pc, next, fall, true)) return false;
      continue;
    }
    case OP_FORPREP: {
      State taken = s;
      taken.depth = s.depth + 1;
      if (!push_state(F, pc, o.j, taken, false) || !push_state(F, pc, next, s, true)) return false;
      continue;
    }
    case OP_FORNEXT: {
      State fall = s;
      fall.depth = s.depth + 2;
      if (!push_state(F, pc, o.j, s, false) || !push_state(F, pc, next, fall, true)) return false;
      continue;
    }
    default:
      if (o.has_j) return fn_fail(F, pc, "unexpected jump operand");   /* a new jump opcode */
      if (!push_state(F, pc, next, out, true)) return false;
    }
  }
  return true;
}

/* What a function declares about itself, checked for all before any code is, so that a
 * CALL can rely on its callee's kind and arity. */
static bool check_func_shape(Ver *v, uint32_t i) {
  const BcModule *m = v->m;
  const BcFunc *f = &m->funcs[i];
  char b[96];
  if (!str_ok(v, f->name, "function name") || !loc_ok(v, f->loc, "function")) return false;
  if (f->kind >= FK__COUNT) return fail(v, "function %u is of unknown kind %u", i, f->kind);
  if (f->nparams > f->nslots)
    return fail(v, "function %s has %u parameters but %u slots", fname(v, i, b), f->nparams, f->nslots);
  static const int arity[FK__COUNT] = {
    [FK_MAIN] = 0, [FK_FN] = -1, [FK_COMPONENT] = 0, [FK_BODY] = -1, [FK_CHECK] = 1,
    [FK_RULE] = 1, [FK_TEST] = 0, [FK_EXPR] = -1,
  };
  if (arity[f->kind] >= 0 && f->nparams != arity[f->kind])
    return fail(v, "function %s of kind %u takes %u parameters, not %d", fname(v, i, b), f->kind,
                f->nparams, arity[f->kind]);
  if (f->kind != FK_COMPONENT && f->nenv)
    return fail(v, "function %s is not a component but has %u environment slots", fname(v, i, b), f->nenv);
  if (f->ncode == 0) return fail(v, "function %s has no code", fname(v, i, b));
  if (f->ncode > BC_MAX_CODE) return fail(v, "function %s has %u bytes of code (the limit is %u)",
                                          fname(v, i, b), f->ncode, BC_MAX_CODE);
  return true;
}

static bool check_func(Ver *v, uint32_t i) {
  const BcFunc *f = &v->m->funcs[i];
  char b[96];
  Fn F = {.v = v, .idx = i, .f = f};
  F.start = calloc(f->ncode, 1);
  F.st = malloc((size_t)f->ncode * sizeof *F.st);
  F.work = malloc((size_t)f->ncode * sizeof *F.work);
  if (!F.start || !F.st || !F.work) {
    free(F.start); free(F.st); free(F.work);
    return fail(v, "out of memory verifying function %s", fname(v, i, b));
  }
  for (uint32_t pc = 0; pc < f->ncode; pc++) F.st[pc].depth = -1;
  bool ok = scan(&F);
  /* the line table: from pc 0, increasing, on instruction boundaries */
  if (ok && f->nlines == 0) ok = fail(v, "function %s has code but no line table", fname(v, i, b));
  for (uint32_t l = 0; ok && l < f->nlines; l++) {
    const BcLine *e = &f->lines[l];
    if (l == 0 && e->pc != 0)
      ok = fail(v, "the line table of function %s starts at pc %u, not 0", fname(v, i, b), e->pc);
    else if (l > 0 && e->pc <= f->lines[l - 1].pc)
      ok = fail(v, "the line table of function %s is not increasing (entry %u: pc %u after %u)",
                fname(v, i, b), l, e->pc, f->lines[l - 1].pc);
    else if (e->pc >= f->ncode)
      ok = fail(v, "the line table of function %s: entry %u's pc %u is outside the function (%u bytes)",
                fname(v, i, b), l, e->pc, f->ncode);
    else if (!F.start[e->pc])
      ok = fail(v, "the line table of function %s: entry %u's pc %u is not on an instruction boundary",
                fname(v, i, b), l, e->pc);
    else if (!loc_ok(v, e->loc, "line table"))
      ok = false;
  }
  if (ok) ok = flow(&F);
  free(F.start);
  free(F.st);
  free(F.work);
  return ok;
}

/* Which environment each function may use.  A component's function has its own (nenv
 * slots); a resource body it calls shares it (the VM passes its caller's environment to
 * FK_BODY functions only), and so on down; every other function runs with none.  A body
 * reachable from several places gets the smallest, so every GETE/SETE is in range
 * whoever called it. */
typedef struct EnvSrc { uint32_t fn, env; } EnvSrc;
static int cmp_envsrc(const void *a, const void *b) {
  const EnvSrc *x = a, *y = b;
  if (x->env != y->env) return x->env < y->env ? -1 : 1;
  return x->fn < y->fn ? -1 : x->fn > y->fn;
}

static bool check_env(Ver *v) {
  const BcModule *m = v->m;
  uint32_t n = m->nfuncs;
  /* call edges, from the code (already scanned) */
  uint32_t *nout = calloc(n + 1, sizeof *nout);
  bool *called = calloc(n ? n : 1, sizeof *called);
  EnvSrc *src = malloc((n ? n : 1) * sizeof *src);
  uint32_t *queue = malloc((n ? n : 1) * sizeof *queue);
  bool *seen = calloc(n ? n : 1, sizeof *seen);
  if (!nout || !called || !src || !queue || !seen) {
    free(nout); free(called); free(src); free(queue); free(seen);
    return fail(v, "out of memory");
  }
  uint64_t nedges = 0;
  for (uint32_t i = 0; i < n; i++) {
    const BcFunc *f = &m->funcs[i];
    for (uint32_t pc = 0; pc < f->ncode; pc += bc_insn_size(f->code[pc]))
      if (f->code[pc] == OP_CALL && m->funcs[rd32(f->code + pc + 1)].kind == FK_BODY) { nout[i]++; nedges++; }
  }
  /* CSR layout: edges of function i at [first[i], first[i+1]) */
  uint32_t *first = calloc(n + 1, sizeof *first);
  uint32_t *edge = malloc((nedges ? nedges : 1) * sizeof *edge);
  if (!first || !edge) {
    free(nout); free(called); free(src); free(queue); free(seen); free(first); free(edge);
    return fail(v, "out of memory");
  }
  for (uint32_t i = 0; i < n; i++) first[i + 1] = first[i] + nout[i];
  for (uint32_t i = 0; i < n; i++) {
    const BcFunc *f = &m->funcs[i];
    uint32_t k = first[i];
    for (uint32_t pc = 0; pc < f->ncode; pc += bc_insn_size(f->code[pc]))
      if (f->code[pc] == OP_CALL && m->funcs[rd32(f->code + pc + 1)].kind == FK_BODY) {
        uint32_t callee = rd32(f->code + pc + 1);
        edge[k++] = callee;
        called[callee] = true;
      }
  }
  /* sources: components with their own environment; every other function, and a body
   * that no CALL reaches, with none */
  uint32_t nsrc = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (m->funcs[i].kind == FK_COMPONENT) src[nsrc++] = (EnvSrc){i, m->funcs[i].nenv};
    else if (m->funcs[i].kind != FK_BODY || !called[i]) src[nsrc++] = (EnvSrc){i, 0};
  }
  qsort(src, nsrc, sizeof *src, cmp_envsrc);
  /* smallest environment first: each function takes the first that reaches it */
  for (uint32_t s = 0; s < nsrc; s++) {
    if (seen[src[s].fn]) continue;
    uint32_t qh = 0, qt = 0;
    queue[qt++] = src[s].fn;
    seen[src[s].fn] = true;
    v->env[src[s].fn] = src[s].env;
    while (qh < qt) {
      uint32_t f = queue[qh++];
      for (uint32_t k = first[f]; k < first[f + 1]; k++) {
        uint32_t g = edge[k];
        if (seen[g]) continue;
        seen[g] = true;
        v->env[g] = src[s].env;
        queue[qt++] = g;
      }
    }
  }
  bool ok = true;
  for (uint32_t i = 0; i < n && ok; i++) {
    if (!seen[i]) v->env[i] = 0;   /* bodies reached only from each other: never run */
    if (v->envmax[i] > v->env[i]) {
      char b[96];
      ok = v->env[i] ? fail(v, "function %s uses environment slot %u, but it may run in an environment of %u slots",
                            fname(v, i, b), v->envmax[i] - 1, v->env[i])
                     : fail(v, "function %s uses environment slot %u, but it may run without an environment",
                            fname(v, i, b), v->envmax[i] - 1);
    }
  }
  free(nout); free(called); free(src); free(queue); free(seen); free(first); free(edge);
  return ok;
}

bool pb_verify(const BcModule *m, const char *name, char err[PB_ERRMAX]) {
  Ver v = {.m = m, .name = name ? name : "<module>", .err = err};
  err[0] = 0;
  if (m->nstrs > BC_MAX_ITEMS || m->nconsts > BC_MAX_ITEMS || m->nfuncs > BC_MAX_ITEMS ||
      m->nlocs > BC_MAX_ITEMS || m->nglobals > BC_MAX_ITEMS)
    return fail(&v, "a table has more than %u entries", BC_MAX_ITEMS);
  v.env = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *v.env);
  v.envmax = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *v.envmax);
  v.names = calloc(m->nconsts ? m->nconsts : 1, 1);
  bool ok = v.env && v.envmax && v.names;
  if (!ok) fail(&v, "out of memory");
  ok = ok && check_strs(&v) && check_consts(&v) && check_locs(&v);
  for (uint32_t i = 0; ok && i < m->nfuncs; i++) ok = check_func_shape(&v, i);
  for (uint32_t i = 0; ok && i < m->nfuncs; i++) ok = check_func(&v, i);
  ok = ok && check_decls(&v) && check_env(&v);
  free(v.env);
  free(v.envmax);
  free(v.names);
  return ok;
}
