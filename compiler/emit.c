/* The compiler from the checked program to bytecode (vm/program.h, vm/opcodes.def).
 * Every name gets a static slot: top-level declarations are globals, a component's
 * params, lets, resources and outputs are slots of its instance environment, function
 * parameters, loop variables and test lets are locals.  Declarations are emitted in
 * dependency order (a depth-first walk over their references), modules dependencies
 * first, so nothing is looked up or forced at run time.  Constants come from the checker
 * (Sym.cval) and consteval; refinements the checker could not decide become CHECKR.
 * It reads only programs that checked without errors. */
#include <stdlib.h>
#include <string.h>

#include "compiler/checker.h"
#include "compiler/consteval.h"
#include "compiler/emit.h"
#include "stdlib/conform.h"
#include "vm/srchash.h"

/* growable malloc'd vector of fixed-size items */
#define VEC(T) struct { T *v; uint32_t n, cap; }
#define VPUSH(vec, item) do { \
    if ((vec).n == (vec).cap) { \
      (vec).cap = (vec).cap ? (vec).cap * 2 : 16; \
      (vec).v = plat_xrealloc((vec).v, (size_t)(vec).cap * sizeof *(vec).v); \
    } \
    (vec).v[(vec).n++] = (item); \
  } while (0)

typedef struct FnBuf {
  uint32_t index;             /* in the module's funcs */
  VEC(uint8_t) code;
  VEC(BcLine) lines;
  uint32_t loc;               /* location of the next instruction */
  int depth, maxdepth;        /* operand stack, tracked as instructions are emitted */
  uint32_t nslots;
  PtrMap locals;              /* Sym -> 1 + local slot */
  bool component;             /* env slots available (GETE/SETE) */
} FnBuf;

typedef struct StrEnt { uint32_t hash, idx; } StrEnt;

/* A finished function's buffers, kept for the next one (a program of 100,000 resources
 * has 100,000 body functions: their buffers grew and were freed one by one). */
typedef struct FnSpare {
  VEC(uint8_t) code;
  VEC(BcLine) lines;
} FnSpare;

/* A recently made location and its index + 1 (0: empty). */
typedef struct LocSlot {
  BcLoc loc;
  uint32_t idx;
} LocSlot;

typedef struct Em {
  Plat *p;
  Program *prog;
  BcModule *m;
  Arena *a;                   /* the compilation's arena (maps, scratch) */
  FnBuf *f;                   /* the function being emitted */
  VEC(BcStr) strs;
  StrEnt *stab; uint32_t scap;
  VEC(BcConst) consts;
  uint32_t *ctab; uint32_t ccap;   /* string constants by string index -> 1 + const */
  uint32_t *lstab; uint32_t lscap, nlists;  /* string-list constants (hash of items) -> 1 + const */
  const Module *pmod; uint32_t pmod_str;    /* the last module whose path was asked (mod_str) */
  VEC(BcLoc) locs;
  struct LocSlot *ltab;       /* LOC_RECENT slots: (hash of file/line/col) -> location */
  VEC(BcFunc) funcs;
  VEC(BcGlobal) globals;
  VEC(BcParam) params;
  VEC(BcCheck) checks;
  VEC(BcRType) rtypes;
  VEC(BcResDecl) resdecls;
  VEC(BcPolicy) policies;
  VEC(BcTest) tests;
  VEC(BcMoved) moved;
  VEC(FnSpare) spare;
  VEC(BcOutput) outputs;
  PtrMap globalmap;           /* Sym -> 1 + global */
  PtrMap envmap;              /* Sym -> 1 + environment slot (component members) */
  PtrMap fnmap;               /* Sym (SYM_FN) -> 1 + function */
  PtrMap rtmap;               /* ResType -> 1 + rtype */
  PtrMap checkmap;            /* refined Type -> 1 + function; checkidx -> 1 + check */
  PtrMap checkidx;
  PtrMap state;               /* Sym -> 1 visiting, 2 done (ordering) */
  bool toobig;
  /* the last location computed (loc_of) */
  bool lc_valid;
  uint32_t lc_file, lc_lstart, lc_lend, lc_line, lc_fstr, lc_fstr_file;   /* an ASCII line */
} Em;

/* ---- strings, constants, locations ---------------------------------------------------- */

static uint32_t str_idx(Em *e, const char *s, uint32_t len) {
  uint32_t h = intern_hash(s, len);
  if ((e->strs.n + 1) * 2 > e->scap) {
    uint32_t ncap = e->scap ? e->scap * 2 : 256;
    StrEnt *nt = plat_xzalloc(ncap, sizeof *nt);
    for (uint32_t i = 0; i < e->scap; i++) {
      if (!e->stab[i].hash) continue;
      uint32_t j = e->stab[i].hash & (ncap - 1);
      while (nt[j].hash) j = (j + 1) & (ncap - 1);
      nt[j] = e->stab[i];
    }
    free(e->stab);
    e->stab = nt;
    e->scap = ncap;
  }
  uint32_t j = h & (e->scap - 1);
  for (; e->stab[j].hash; j = (j + 1) & (e->scap - 1)) {
    const BcStr *b = &e->strs.v[e->stab[j].idx];
    if (e->stab[j].hash == h && b->len == len && memcmp(b->s, s, len) == 0) return e->stab[j].idx;
  }
  BcStr b = {arena_strndup(&e->m->arena, s, len), len};
  e->stab[j].hash = h;
  e->stab[j].idx = e->strs.n;
  VPUSH(e->strs, b);
  return e->strs.n - 1;
}
static uint32_t str_c(Em *e, const char *s) { return str_idx(e, s, (uint32_t)strlen(s)); }

static uint32_t const_add(Em *e, BcConst c) {
  VPUSH(e->consts, c);
  return e->consts.n - 1;
}
static uint32_t const_int(Em *e, int64_t i) { BcConst c = {.kind = BK_INT}; c.u.i = i; return const_add(e, c); }
/* The string constant of string [si]. */
static uint32_t const_stri(Em *e, uint32_t si) {
  if (si >= e->ccap) {
    uint32_t ncap = e->ccap ? e->ccap : 256;
    while (ncap <= si) ncap *= 2;
    e->ctab = plat_xrealloc(e->ctab, ncap * sizeof *e->ctab);
    memset(e->ctab + e->ccap, 0, (ncap - e->ccap) * sizeof *e->ctab);
    e->ccap = ncap;
  }
  if (e->ctab[si]) return e->ctab[si] - 1;
  BcConst c = {.kind = BK_STR};
  c.u.str = si;
  uint32_t k = const_add(e, c);
  e->ctab[si] = k + 1;
  return k;
}
static uint32_t const_str(Em *e, const char *s, uint32_t len) { return const_stri(e, str_idx(e, s, len)); }

static int cmp_key(const char *a, uint32_t la, const char *b, uint32_t lb) {
  int c = memcmp(a, b, la < lb ? la : lb);
  return c ? c : (la < lb ? -1 : la > lb);
}

/* A constant for a folded Value (records become sorted maps). */
static uint32_t const_value(Em *e, const Value *v) {
  BcConst c = {0};
  switch (v->kind) {
  case V_NULL: c.kind = BK_NULL; return const_add(e, c);
  case V_BOOL: c.kind = BK_BOOL; c.u.b = v->u.b; return const_add(e, c);
  case V_INT: return const_int(e, v->u.i);
  case V_FLOAT: c.kind = BK_FLOAT; c.u.f = v->u.f; return const_add(e, c);
  case V_STRING: return const_str(e, v->u.s, v->n);
  case V_LIST: {
    uint32_t *items = arena_calloc(&e->m->arena, v->n ? v->n : 1, sizeof *items);
    for (uint32_t i = 0; i < v->n; i++) items[i] = const_value(e, v->u.items[i]);
    c.kind = BK_LIST; c.n = v->n; c.u.items = items;
    return const_add(e, c);
  }
  case V_RECORD: {
    uint32_t n = v->n;
    uint32_t *ord = plat_xcalloc(n ? n : 1, sizeof *ord);
    for (uint32_t i = 0; i < n; i++) ord[i] = i;
    /* insertion sort by key bytes: records are small */
    for (uint32_t i = 1; i < n; i++) {
      uint32_t x = ord[i], j = i;
      const ValField *fx = &v->u.fields[x];
      while (j > 0 && cmp_key(v->u.fields[ord[j - 1]].key, v->u.fields[ord[j - 1]].klen,
                              fx->key, fx->klen) > 0) { ord[j] = ord[j - 1]; j--; }
      ord[j] = x;
    }
    uint32_t *keys = arena_calloc(&e->m->arena, n ? n : 1, sizeof *keys);
    uint32_t *vals = arena_calloc(&e->m->arena, n ? n : 1, sizeof *vals);
    for (uint32_t i = 0; i < n; i++) {
      const ValField *fd = &v->u.fields[ord[i]];
      keys[i] = str_idx(e, fd->key, fd->klen);
      vals[i] = const_value(e, fd->val);
    }
    free(ord);
    c.kind = BK_MAP; c.n = n; c.u.map.keys = keys; c.u.map.vals = vals;
    return const_add(e, c);
  }
  }
  c.kind = BK_NULL;
  return const_add(e, c);
}

/* A BK_LIST of strings (the strings [sidx]), shared: every record of one resource type
 * has the same key list, and a program of 100,000 resources made 100,000 copies of it. */
static uint32_t items_hash(const uint32_t *items, uint32_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  for (uint32_t i = 0; i < n; i++) {
    h = (h ^ items[i]) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  return (uint32_t)h;
}

static uint32_t const_strlist(Em *e, const uint32_t *sidx, uint32_t n) {
  uint32_t stack[32];
  uint32_t *items = n <= 32 ? stack : plat_xcalloc(n, sizeof *items);
  for (uint32_t i = 0; i < n; i++) items[i] = const_stri(e, sidx[i]);
  uint32_t h = items_hash(items, n);
  if ((e->nlists + 1) * 2 > e->lscap) {
    uint32_t ncap = e->lscap ? e->lscap * 2 : 256;
    uint32_t *nt = plat_xzalloc(ncap, sizeof *nt);
    for (uint32_t i = 0; i < e->lscap; i++) {
      if (!e->lstab[i]) continue;
      const BcConst *c = &e->consts.v[e->lstab[i] - 1];
      uint32_t j = items_hash(c->u.items, c->n) & (ncap - 1);
      while (nt[j]) j = (j + 1) & (ncap - 1);
      nt[j] = e->lstab[i];
    }
    free(e->lstab);
    e->lstab = nt;
    e->lscap = ncap;
  }
  uint32_t j = h & (e->lscap - 1);
  for (; e->lstab[j]; j = (j + 1) & (e->lscap - 1)) {
    const BcConst *c = &e->consts.v[e->lstab[j] - 1];
    if (c->n == n && (n == 0 || memcmp(c->u.items, items, n * sizeof *items) == 0)) {
      if (items != stack) free(items);
      return e->lstab[j] - 1;
    }
  }
  BcConst c = {.kind = BK_LIST, .n = n};
  c.u.items = arena_calloc(&e->m->arena, n ? n : 1, sizeof *items);
  if (n) memcpy(c.u.items, items, n * sizeof *items);
  if (items != stack) free(items);
  uint32_t k = const_add(e, c);
  e->lstab[j] = k + 1;
  e->nlists++;
  return k;
}

/* The string of module [mod]'s path ("" without one); asked once per declaration. */
static uint32_t mod_str(Em *e, const Module *mod) {
  if (!mod || mod != e->pmod) {
    e->pmod_str = str_c(e, mod && mod->path ? mod->path : "");
    e->pmod = mod;
  }
  return e->pmod_str;
}

static uint64_t loc_hash(uint32_t file, uint32_t line, uint32_t col) {
  /* splitmix64's finalizer: consecutive lines and columns spread over the whole table
     (a bare multiply left the low bits of near keys close, and probes long) */
  uint64_t z = (((uint64_t)file << 40) ^ ((uint64_t)line << 16) ^ col) + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

#define LOC_RECENT 4096u  /* a power of two */

static uint32_t loc_of(Em *e, Span sp) {
  if (sp.file == SPAN_NO_FILE || sp.file >= e->p->sources.nfiles) sp.file = SPAN_NO_FILE;
  uint32_t fstr, line = 0, col = 0;
  if (sp.file == SPAN_NO_FILE) fstr = str_c(e, "<builtin>");
  else {
    /* Columns count code points from the line's start: on an ASCII line (cached with its
     * bounds) a column is a subtraction, so a very long line stays linear. */
    const SourceFile *sf = source_file(&e->p->sources, sp.file);
    uint32_t off = sp.start < sf->len ? sp.start : sf->len;
    if (e->lc_valid && e->lc_file == sp.file && off >= e->lc_lstart && off <= e->lc_lend) {
      line = e->lc_line;
      col = off - e->lc_lstart + 1;
    } else if (sf->ascii && sf->lines) {
      /* An ASCII file (known once its lines are): the line's bounds are in its table. */
      LineCol lc = source_linecol(&e->p->sources, sp.file, sp.start);
      line = lc.line;
      col = lc.col;
      e->lc_valid = true;
      e->lc_file = sp.file;
      e->lc_lstart = sf->lines[line - 1];
      e->lc_lend = line < sf->nlines ? sf->lines[line] - 1 : sf->len;
      e->lc_line = line;
    } else {
      LineCol lc = source_linecol(&e->p->sources, sp.file, sp.start);
      line = lc.line;
      col = lc.col;
      uint32_t ls = off - (lc.byte_col - 1), le = off;
      bool ascii = lc.byte_col == lc.col && !(line == 1 && sf->len >= 3 && memcmp(sf->text, "\xEF\xBB\xBF", 3) == 0);
      for (uint32_t i = ls; ascii && i < sf->len && sf->text[i] != '\n'; i++) {
        if ((unsigned char)sf->text[i] >= 0x80) ascii = false;
        le = i + 1;
      }
      e->lc_valid = ascii;
      e->lc_file = sp.file;
      e->lc_lstart = ls;
      e->lc_lend = le;
      e->lc_line = line;
    }
    fstr = e->lc_fstr_file == sp.file + 1 ? e->lc_fstr : str_c(e, sf->path);
    e->lc_fstr_file = sp.file + 1;
    e->lc_fstr = fstr;
  }
  /* Locations are shared through a direct-mapped cache of recent ones, not a table of
     all: an instruction's location is nearly always one its function used just before,
     and a whole-program table cost a cache miss per lookup (17% of compiling 600,000
     lines).  A location evicted and met again is stored twice: a few bytes, no harm. */
  if (!e->ltab) e->ltab = plat_xcalloc(LOC_RECENT, sizeof *e->ltab);
  LocSlot *slot = &e->ltab[(uint32_t)(loc_hash(fstr, line, col) >> 32) & (LOC_RECENT - 1)];
  if (slot->idx && slot->loc.file == fstr && slot->loc.line == line && slot->loc.col == col)
    return slot->idx - 1;
  BcLoc l = {fstr, line, col};
  VPUSH(e->locs, l);
  slot->loc = l;
  slot->idx = e->locs.n;
  return e->locs.n - 1;
}

/* The source text of [sp] (arena copy), "" when there is none. */
static const char *span_text(Em *e, Span sp) {
  if (sp.file == SPAN_NO_FILE || sp.file >= e->p->sources.nfiles) return "";
  const SourceFile *f = source_file(&e->p->sources, sp.file);
  if (sp.end > f->len || sp.start > sp.end) return "";
  return arena_strndup(e->a, f->text + sp.start, sp.end - sp.start);
}

/* ---- instructions ------------------------------------------------------------------------- */

static void put_u8(FnBuf *f, uint8_t b) { VPUSH(f->code, b); }
static void put_u16(FnBuf *f, uint32_t v) { put_u8(f, (uint8_t)v); put_u8(f, (uint8_t)(v >> 8)); }
static void put_u32(FnBuf *f, uint32_t v) { put_u16(f, v & 0xFFFF); put_u16(f, v >> 16); }

/* Start instruction [op] whose count operand (if any) is [n]; the caller puts operands. */
static void op_start(Em *e, BcOp op, uint32_t n) {
  FnBuf *f = e->f;
  if (!f->lines.n || f->lines.v[f->lines.n - 1].loc != f->loc) {
    BcLine l = {f->code.n, f->loc};
    if (f->lines.n && f->lines.v[f->lines.n - 1].pc == f->code.n) f->lines.v[f->lines.n - 1] = l;
    else VPUSH(f->lines, l);
  }
  const BcOpInfo *in = &bc_ops[op];
  int pops = in->pops == -1 ? (int)n : in->pops == -2 ? 2 * (int)n : in->pops;
  f->depth -= pops;
  f->depth += in->pushes;
  if (f->depth > f->maxdepth) f->maxdepth = f->depth;
  put_u8(f, (uint8_t)op);
}
static void op0(Em *e, BcOp op) { op_start(e, op, 0); }
static void op32(Em *e, BcOp op, uint32_t a) { op_start(e, op, 0); put_u32(e->f, a); }
static void op16(Em *e, BcOp op, uint32_t a) { op_start(e, op, 0); put_u16(e->f, a); }
static void op_n(Em *e, BcOp op, uint32_t n) { op_start(e, op, n); put_u16(e->f, n); }

/* A forward jump: returns the operand's position, patched by jump_here. */
static uint32_t jump(Em *e, BcOp op) {
  op_start(e, op, 0);
  uint32_t at = e->f->code.n;
  put_u32(e->f, 0);
  return at;
}
static uint32_t jump_l(Em *e, BcOp op, uint32_t slot) {
  op_start(e, op, 0);
  put_u16(e->f, slot);
  uint32_t at = e->f->code.n;
  put_u32(e->f, 0);
  return at;
}
static void patch_to(Em *e, uint32_t at, uint32_t target) {
  int32_t rel = (int32_t)target - (int32_t)(at + 4);
  uint32_t u = (uint32_t)rel;
  uint8_t *c = e->f->code.v + at;
  c[0] = (uint8_t)u; c[1] = (uint8_t)(u >> 8); c[2] = (uint8_t)(u >> 16); c[3] = (uint8_t)(u >> 24);
}
static void jump_here(Em *e, uint32_t at) { patch_to(e, at, e->f->code.n); }
static void jump_back(Em *e, BcOp op, uint32_t target) {
  uint32_t at = jump(e, op);
  patch_to(e, at, target);
}

static void emit_const(Em *e, uint32_t k) { op32(e, OP_CONST, k); }

/* ---- functions ---------------------------------------------------------------------------- */

static uint32_t fn_reserve(Em *e) {
  BcFunc z = {0};
  VPUSH(e->funcs, z);
  return e->funcs.n - 1;
}

static FnBuf *fn_begin(Em *e, FnBuf *fb, uint32_t index, uint32_t nparams) {
  memset(fb, 0, sizeof *fb);
  if (e->spare.n) {
    FnSpare sp = e->spare.v[--e->spare.n];
    fb->code.v = sp.code.v;
    fb->code.cap = sp.code.cap;
    fb->lines.v = sp.lines.v;
    fb->lines.cap = sp.lines.cap;
  }
  fb->index = index;
  fb->nslots = nparams;
  FnBuf *saved = e->f;
  e->f = fb;
  return saved;
}

static void fn_end(Em *e, FnBuf *saved, uint32_t name, BcFnKind kind, uint32_t nparams,
                   uint32_t nenv, Span decl) {
  FnBuf *f = e->f;
  BcFunc *bf = &e->funcs.v[f->index];
  bf->name = name;
  bf->kind = (uint8_t)kind;
  bf->nparams = (uint16_t)nparams;
  if (f->nslots > BC_MAX_SLOTS || nenv > BC_MAX_SLOTS || f->maxdepth > (int)BC_MAX_SLOTS ||
      f->code.n > BC_MAX_CODE)
    e->toobig = true;
  bf->nslots = (uint16_t)f->nslots;
  bf->nenv = (uint16_t)nenv;
  bf->maxstack = (uint16_t)(f->maxdepth > 0 ? f->maxdepth : 0);
  bf->loc = loc_of(e, decl);
  bf->ncode = f->code.n;
  bf->code = arena_alloc(&e->m->arena, f->code.n ? f->code.n : 1);
  if (f->code.n) memcpy(bf->code, f->code.v, f->code.n);
  bf->nlines = f->lines.n;
  bf->lines = arena_calloc(&e->m->arena, f->lines.n ? f->lines.n : 1, sizeof *bf->lines);
  if (f->lines.n) memcpy(bf->lines, f->lines.v, f->lines.n * sizeof *bf->lines);
  FnSpare sp = {{f->code.v, 0, f->code.cap}, {f->lines.v, 0, f->lines.cap}};
  VPUSH(e->spare, sp);
  e->f = saved;
}

static uint32_t local_new(Em *e) { return e->f->nslots++; }
/* Locals are keyed by where their name is declared (Sym.span of the name's symbol), so a
 * loop variable is bound from its ForClause without the checker's binder table. */
static const void *span_key(Span sp) {
  return (const void *)(uintptr_t)((((uint64_t)sp.file << 32) | sp.start) + 1);
}
static void local_bind(Em *e, Span decl, uint32_t slot) {
  pmap_put(e->a, &e->f->locals, span_key(decl), (void *)(uintptr_t)(slot + 1));
}
static void at(Em *e, Span sp) { e->f->loc = loc_of(e, sp); }

/* ---- expressions -------------------------------------------------------------------------- */

static void emit_expr(Em *e, Expr *x);
static void emit_as(Em *e, Expr *x, const Type *to);
static const Value *conv_const(Em *e, const Value *v, const Type *t, int depth);
static uint32_t fn_of(Em *e, Sym *s);
static uint32_t rtype_of(Em *e, ResType *rt);
static uint32_t check_fn(Em *e, const Type *ref, uint32_t *check);

/* The constant value of [x] when the checker's constants decide it, else NULL. */
static const Value *fold(Em *e, Expr *x, int depth) {
  if (!x || depth > 64 || x->phase != PHASE_COMPILE || x->secret) return NULL;
  const Value *a, *b, *out = NULL;
  const char *fault;
  switch (x->kind) {
  case EX_INT: return cv_int(e->a, x->u.i);
  case EX_FLOAT: return cv_float(e->a, x->u.f);
  case EX_BOOL: return cv_bool(x->u.b);
  case EX_NULL: return cv_null();
  case EX_STRING:
    if (x->u.str.nparts == 0) return cv_string(e->a, "", 0);
    if (x->u.str.nparts == 1 && !x->u.str.parts[0].is_expr)
      return cv_string(e->a, x->u.str.parts[0].text, x->u.str.parts[0].len);
    return NULL;
  case EX_NAME: {
    Sym *s = x->u.name.sym;
    if (s && s->cval && s->phase == PHASE_COMPILE && !s->secret &&
        (s->kind == SYM_LET || s->kind == SYM_OUTPUT))
      return conv_const(e, s->cval, s->type, depth);
    return NULL;
  }
  case EX_UNARY:
    if (!(a = fold(e, x->u.unary.operand, depth + 1))) return NULL;
    return cv_unary(e->a, x->u.unary.op, a, &out, &fault) == CV_OK ? out : NULL;
  case EX_BINARY:
    if (!(a = fold(e, x->u.binary.lhs, depth + 1)) || !(b = fold(e, x->u.binary.rhs, depth + 1)))
      return NULL;
    return cv_binary(e->a, x->u.binary.op, a, b, &out, &fault) == CV_OK ? out : NULL;
  case EX_LIST: {
    uint32_t n = x->u.list.nitems;
    const Value **items = plat_xcalloc(n ? n : 1, sizeof *items);
    for (uint32_t i = 0; i < n; i++)
      if (!(items[i] = fold(e, x->u.list.items[i], depth + 1))) { free(items); return NULL; }
    out = cv_list(e->a, items, n);
    free(items);
    return out;
  }
  case EX_RECORD: {
    uint32_t n = x->u.record.nfields;
    ValField *fs = plat_xcalloc(n ? n : 1, sizeof *fs);
    for (uint32_t i = 0; i < n; i++) {
      const Field *fd = &x->u.record.fields[i];
      for (uint32_t j = 0; j < i; j++)
        if (x->u.record.fields[j].name.str == fd->name.str) { free(fs); return NULL; }
      if (!(fs[i].val = fold(e, fd->value, depth + 1))) { free(fs); return NULL; }
      fs[i].key = fd->name.str->s;
      fs[i].klen = fd->name.str->len;
    }
    out = cv_record(e->a, fs, n);
    free(fs);
    return out;
  }
  default: return NULL;
  }
}

static const Type *strip(const Type *t) {
  for (int i = 0; t && i < 64; i++) {
    const Type *b = ty_base(t);
    if (b && b->kind == TY_OPTIONAL) { t = b->u.elem; continue; }
    return b;
  }
  return t;
}

/* Push the value of name [s]. */
static void emit_name(Em *e, Sym *s) {
  void *v;
  if ((v = pmap_get(&e->f->locals, span_key(s->span)))) { op16(e, OP_GETL, (uint32_t)(uintptr_t)v - 1); return; }
  if (e->f->component && (v = pmap_get(&e->envmap, s))) {
    op16(e, OP_GETE, (uint32_t)(uintptr_t)v - 1);
    return;
  }
  if ((v = pmap_get(&e->globalmap, s))) { op32(e, OP_GETG, (uint32_t)(uintptr_t)v - 1); return; }
  if (s->cval) { emit_const(e, const_value(e, s->cval)); return; }
  /* not reachable for a checked program: a name with no slot */
  op0(e, OP_NULL);
}

/* Run-time checks of the refinements of [t] on the value on top of the stack. */
static void emit_refine(Em *e, const Type *t) {
  const Type *refs[8];
  uint32_t n = t ? ty_refinements(t, refs, 8) : 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t q;
    uint32_t fn = check_fn(e, refs[i], &q);
    op0(e, OP_DUP);
    op_start(e, OP_CALL, 1); put_u32(e->f, fn); put_u16(e->f, 1);
    op32(e, OP_CHECKR, q);
  }
}

static void emit_loop_vars(Em *e, ForClause *fc) {
  if (fc->var2.str) {
    uint32_t s2 = local_new(e), s1 = local_new(e);
    local_bind(e, fc->var2.span, s2);
    local_bind(e, fc->var1.span, s1);
    op16(e, OP_SETL, s2);
    op16(e, OP_SETL, s1);
  } else {
    /* one variable: the item of a list, the value of a map */
    uint32_t s1 = local_new(e);
    local_bind(e, fc->var1.span, s1);
    op16(e, OP_SETL, s1);
    op0(e, OP_POP);
  }
}

/* The head of a loop over a collection: the source (already evaluated, on the stack) goes
 * into a hidden local pair (SETLD when its dependencies matter), an accumulator opens, and
 * FORNEXT pushes each (key, value) into the loop variables.  loop_end closes it. */
typedef struct Loop { uint32_t coll, jprep, top, jnext; int d0; } Loop;

static Loop loop_begin(Em *e, ForClause *fc, BcOp store) {
  Loop l;
  l.coll = local_new(e);
  local_new(e);   /* coll + 1: the position */
  op16(e, store, l.coll);
  l.jprep = jump_l(e, OP_FORPREP, l.coll);
  l.d0 = e->f->depth;
  op0(e, OP_ACCNEW);
  l.top = e->f->code.n;
  l.jnext = jump_l(e, OP_FORNEXT, l.coll);
  e->f->depth += 2;
  if (e->f->depth > e->f->maxdepth) e->f->maxdepth = e->f->depth;
  emit_loop_vars(e, fc);
  return l;
}

/* After the body jumped back to l->top: close the accumulator into a list or map. */
static void loop_end(Em *e, const Loop *l, BcOp close) {
  jump_here(e, l->jnext);
  e->f->depth = l->d0;
  op0(e, close);
}

static void emit_comp(Em *e, Expr *x, bool map) {
  ForClause *fc = map ? &x->u.mcomp.f : &x->u.lcomp.f;
  Expr *filter = map ? x->u.mcomp.filter : x->u.lcomp.filter;
  emit_expr(e, fc->source);
  at(e, x->span);
  Loop l = loop_begin(e, fc, OP_SETL);
  uint32_t top = l.top, jprep = l.jprep;
  int d0 = l.d0;
  uint32_t junk = BC_NONE;
  if (filter) {
    emit_expr(e, filter);
    at(e, filter->span);
    junk = jump(e, OP_IFU);
    jump_back(e, OP_JF, top);
  }
  if (map) {
    emit_expr(e, x->u.mcomp.key);
    emit_expr(e, x->u.mcomp.value);
    at(e, x->span);
    op0(e, OP_ACCPUT);
  } else {
    emit_expr(e, x->u.lcomp.elem);
    at(e, x->span);
    op0(e, OP_ACCADD);
  }
  jump_back(e, OP_JMP, top);
  loop_end(e, &l, map ? OP_ACCMAP : OP_ACCLIST);
  uint32_t jend = BC_NONE;
  if (junk != BC_NONE) {
    jend = jump(e, OP_JMP);
    /* an unknown filter: the whole result is unknown */
    jump_here(e, junk);
    e->f->depth = d0 + 1;
    op0(e, map ? OP_ACCMAP : OP_ACCLIST);
    op0(e, OP_POP);
  }
  jump_here(e, jprep);
  if (jend != BC_NONE) jump_here(e, jend);
  e->f->depth = d0 + 1;
  if (e->f->depth > e->f->maxdepth) e->f->maxdepth = e->f->depth;
}

/* The type a field [name] of a record or map type [tb] requires, or NULL. */
static const Type *field_type(const Type *tb, const Str *name) {
  if (!tb) return NULL;
  if (tb->kind == TY_MAP) return tb->u.elem;
  const RecField *rf = tb->kind == TY_RECORD ? ty_field(tb, name) : NULL;
  return rf ? rf->type : NULL;
}

/* A record or map literal's fields; [as] (a record or map type, or NULL) is what the value
 * must be, so each field is emitted as its type requires (emit_as). */
static void emit_record(Em *e, Field *fields, uint32_t n, Span sp, const Type *as) {
  /* sort field indices by key bytes; duplicate keys (a map literal) fall back to MAP */
  uint32_t *ord = plat_xcalloc(n ? n : 1, sizeof *ord);
  for (uint32_t i = 0; i < n; i++) ord[i] = i;
  for (uint32_t i = 1; i < n; i++) {
    uint32_t x = ord[i], j = i;
    while (j > 0 && cmp_key(fields[ord[j - 1]].name.str->s, fields[ord[j - 1]].name.str->len,
                            fields[x].name.str->s, fields[x].name.str->len) > 0) {
      ord[j] = ord[j - 1];
      j--;
    }
    ord[j] = x;
  }
  bool dup = false;
  for (uint32_t i = 1; i < n; i++)
    if (fields[ord[i - 1]].name.str == fields[ord[i]].name.str) dup = true;
  if (n > 256) {
    /* a large literal goes through an accumulator: the operand stack stays shallow */
    op0(e, OP_ACCNEW);
    for (uint32_t i = 0; i < n; i++) {
      at(e, fields[i].span);
      emit_const(e, const_str(e, fields[i].name.str->s, fields[i].name.str->len));
      emit_as(e, fields[i].value, field_type(as, fields[i].name.str));
      op0(e, OP_ACCPUT);
    }
    at(e, sp);
    op0(e, OP_ACCMAP);
    free(ord);
    return;
  }
  if (dup) {
    for (uint32_t i = 0; i < n; i++) {
      at(e, fields[i].span);
      emit_const(e, const_str(e, fields[i].name.str->s, fields[i].name.str->len));
      emit_as(e, fields[i].value, field_type(as, fields[i].name.str));
    }
    at(e, sp);
    op_n(e, OP_MAP, n);
    free(ord);
    return;
  }
  uint32_t *keys = plat_xcalloc(n ? n : 1, sizeof *keys);
  for (uint32_t i = 0; i < n; i++) {
    Field *fd = &fields[ord[i]];
    keys[i] = str_idx(e, fd->name.str->s, fd->name.str->len);
    emit_as(e, fd->value, field_type(as, fd->name.str));
  }
  uint32_t k = const_strlist(e, keys, n);
  at(e, sp);
  op_start(e, OP_RECORD, n);
  put_u32(e->f, k);
  put_u16(e->f, n);
  free(keys);
  free(ord);
}

static void emit_member(Em *e, Expr *x) {
  Expr *obj = x->u.member.obj;
  const Str *name = x->u.member.name.str;
  if (obj->kind == EX_NAME && obj->u.name.sym &&
      (obj->u.name.sym->kind == SYM_IMPORT || obj->u.name.sym->kind == SYM_PROVIDER)) {
    Sym *t = obj->u.name.sym->target ? chk_lookup(obj->u.name.sym->target, name) : NULL;
    if (t) emit_name(e, t);
    else op0(e, OP_NULL);
    return;
  }
  emit_expr(e, obj);
  at(e, x->span);
  const Type *ot = strip(obj->ty);
  uint32_t s = str_idx(e, name->s, name->len);
  if (ot && ot->kind == TY_RESOURCE) {
    ResType *rt = ot->u.res;
    ResPart part;
    uint32_t idx;
    const RecField *f = ty_res_find(rt, name, &part, &idx);
    uint8_t mode = part == RP_INPUT ? RG_INPUT
                 : part == RP_MEMBER ? RG_MEMBER
                 : rt->is_component ? RG_COMP_OUTPUT : RG_OUTPUT;
    (void)f;
    op_start(e, OP_RESGET, 0);
    put_u32(e->f, s);
    put_u8(e->f, mode);
    return;
  }
  if (ot && ot->kind == TY_RECORD) {
    const RecField *f = ty_field(ot, name);
    const Value *dv = f && f->deflt ? fold(e, f->deflt, 0) : NULL;
    if (dv) {
      uint32_t k = const_value(e, dv);
      op_start(e, OP_GETFD, 0);
      put_u32(e->f, s);
      put_u32(e->f, k);
      return;
    }
  }
  op32(e, OP_GETF, s);
}

/* try(a, b, ...) and can(a): each argument a body function of no parameters whose locals
 * begin as a copy of the caller's (the VM copies them: docs/vm.md "try and can"), called
 * protected: `NULL; CALLB id 1; POP` arms, `CALL f 0` gives the value or the VM's failure
 * mark; then `CALLB id n`, right after the last CALL, picks the result. */
static void emit_protected_call(Em *e, Expr *x, BuiltinId id) {
  uint32_t n = x->u.call.nargs;
  for (uint32_t i = 0; i < n; i++) {
    Expr *arg = x->u.call.args[i];
    uint32_t idx = fn_reserve(e);
    FnBuf *caller = e->f;
    FnBuf fb;
    FnBuf *saved = fn_begin(e, &fb, idx, 0);
    fb.nslots = caller->nslots;       /* the caller's locals, then the argument's own */
    fb.locals = caller->locals;       /* shared: bindings made inside stay inside */
    fb.component = caller->component;
    at(e, arg->span);
    emit_as(e, arg, id == BI_try ? x->ty : NULL);
    op0(e, OP_RET);
    caller->locals = fb.locals;
    fn_end(e, saved, str_c(e, id == BI_try ? "try" : "can"), FK_BODY, 0, 0, arg->span);
    at(e, x->span);
    op0(e, OP_NULL);   /* so that the arming CALLB never follows a protected CALL */
    op_start(e, OP_CALLB, 1); put_u16(e->f, (uint32_t)id); put_u16(e->f, 1);
    op0(e, OP_POP);
    op_start(e, OP_CALL, 0); put_u32(e->f, idx); put_u16(e->f, 0);
  }
  at(e, x->span);
  op_start(e, OP_CALLB, n); put_u16(e->f, (uint32_t)id); put_u16(e->f, n);
}

static void emit_call(Em *e, Expr *x) {
  Expr *callee = x->u.call.callee;
  Sym *s = NULL;
  if (callee->kind == EX_NAME) s = callee->u.name.sym;
  else if (callee->kind == EX_MEMBER && callee->u.member.obj->kind == EX_NAME &&
           callee->u.member.obj->u.name.sym && callee->u.member.obj->u.name.sym->target)
    s = chk_lookup(callee->u.member.obj->u.name.sym->target, callee->u.member.name.str);
  uint32_t n = x->u.call.nargs;
  if (s && s->kind == SYM_BUILTIN && s->builtin &&
      (s->builtin->id == BI_try || s->builtin->id == BI_can)) {
    emit_protected_call(e, x, s->builtin->id);
    return;
  }
  if (s && s->kind == SYM_BUILTIN && s->builtin) {
    for (uint32_t i = 0; i < n; i++) emit_expr(e, x->u.call.args[i]);
    at(e, x->span);
    if (s->builtin->id == BI_jsondecode || s->builtin->id == BI_yamldecode) {
      /* the type the context expects, described for sl_conform: one more argument */
      const char *why = NULL;
      const char *desc = x->ty ? sl_type_desc(e->a, x->ty, &why) : NULL;
      if (desc) {
        emit_const(e, const_str(e, desc, (uint32_t)strlen(desc)));
        n++;
      }
    }
    op_start(e, OP_CALLB, n);
    put_u16(e->f, (uint32_t)s->builtin->id);
    put_u16(e->f, n);
    return;
  }
  if (s && s->kind == SYM_FN && s->decl) {
    Decl *d = s->decl;
    for (uint32_t i = 0; i < n; i++)
      emit_as(e, x->u.call.args[i], i < s->nparams && s->params[i] ? s->params[i]->type : NULL);
    for (uint32_t i = n; i < d->u.fn.nparams; i++) {
      const Value *dv = fold(e, d->u.fn.params[i].deflt, 0);
      if (dv) emit_const(e, const_value(e, dv));
      else if (d->u.fn.params[i].deflt) emit_expr(e, d->u.fn.params[i].deflt);
      else op0(e, OP_NULL);
    }
    uint32_t fn = fn_of(e, s);
    at(e, x->span);
    op_start(e, OP_CALL, d->u.fn.nparams);
    put_u32(e->f, fn);
    put_u16(e->f, d->u.fn.nparams);
    return;
  }
  op0(e, OP_NULL);
}

static void emit_expr(Em *e, Expr *x) {
  if (!x) { op0(e, OP_NULL); return; }
  const Value *cv = x->kind != EX_NAME || !x->u.name.sym || x->u.name.sym->kind != SYM_PARAM
                        ? fold(e, x, 0) : NULL;
  at(e, x->span);
  if (cv) { emit_const(e, const_value(e, cv)); return; }
  switch (x->kind) {
  case EX_ERROR: case EX_NULL: op0(e, OP_NULL); return;
  case EX_INT: emit_const(e, const_int(e, x->u.i)); return;
  case EX_FLOAT: { BcConst c = {.kind = BK_FLOAT}; c.u.f = x->u.f; emit_const(e, const_add(e, c)); return; }
  case EX_BOOL: op0(e, x->u.b ? OP_TRUE : OP_FALSE); return;
  case EX_STRING: {
    uint32_t n = x->u.str.nparts;
    for (uint32_t i = 0; i < n; i++) {
      StrPart *sp = &x->u.str.parts[i];
      if (sp->is_expr) emit_expr(e, sp->expr);
      else emit_const(e, const_str(e, sp->text, sp->len));
    }
    at(e, x->span);
    if (n != 1 || !x->u.str.parts[0].is_expr || !ty_is_stringish(x->u.str.parts[0].expr->ty))
      op_n(e, OP_STR, n);
    break;
  }
  case EX_NAME: emit_name(e, x->u.name.sym); return;
  case EX_LIST:
    if (x->u.list.nitems > 64) {
      /* long lists go through an accumulator: the operand stack stays shallow */
      op0(e, OP_ACCNEW);
      for (uint32_t i = 0; i < x->u.list.nitems; i++) {
        emit_expr(e, x->u.list.items[i]);
        op0(e, OP_ACCADD);
      }
      at(e, x->span);
      op0(e, OP_ACCLIST);
      break;
    }
    for (uint32_t i = 0; i < x->u.list.nitems; i++) emit_expr(e, x->u.list.items[i]);
    at(e, x->span);
    op_n(e, OP_LIST, x->u.list.nitems);
    break;
  case EX_RECORD: emit_record(e, x->u.record.fields, x->u.record.nfields, x->span, NULL); break;
  case EX_MEMBER: emit_member(e, x); break;
  case EX_INDEX:
    emit_expr(e, x->u.index.obj);
    emit_expr(e, x->u.index.index);
    at(e, x->span);
    op0(e, OP_INDEX);
    break;
  case EX_CALL: emit_call(e, x); break;
  case EX_UNARY:
    emit_expr(e, x->u.unary.operand);
    at(e, x->span);
    op0(e, x->u.unary.op == UN_NEG ? OP_NEG : OP_NOT);
    break;
  case EX_BINARY: {
    BinaryOp op = x->u.binary.op;
    if (op == BIN_AND || op == BIN_OR || op == BIN_COALESCE) {
      emit_expr(e, x->u.binary.lhs);
      at(e, x->u.binary.op_span);
      uint32_t ju = op == BIN_COALESCE ? BC_NONE : jump(e, OP_IFU);
      uint32_t jk = jump(e, op == BIN_AND ? OP_JFK : op == BIN_OR ? OP_JTK : OP_JNN);
      emit_expr(e, x->u.binary.rhs);
      jump_here(e, jk);
      if (ju != BC_NONE) jump_here(e, ju);
      break;
    }
    emit_expr(e, x->u.binary.lhs);
    emit_expr(e, x->u.binary.rhs);
    e->f->loc = loc_of(e, x->u.binary.op_span);
    static const BcOp ops[] = {
        [BIN_EQ] = OP_EQ, [BIN_NE] = OP_NE, [BIN_LT] = OP_LT, [BIN_LE] = OP_LE, [BIN_GT] = OP_GT,
        [BIN_GE] = OP_GE, [BIN_ADD] = OP_ADD, [BIN_SUB] = OP_SUB, [BIN_MUL] = OP_MUL,
        [BIN_DIV] = OP_DIV, [BIN_MOD] = OP_MOD};
    op0(e, ops[op]);
    break;
  }
  case EX_IF: {
    emit_expr(e, x->u.cond.cond);
    at(e, x->u.cond.cond->span);
    uint32_t ju = jump(e, OP_IFU);
    uint32_t jf = jump(e, OP_JF);
    emit_expr(e, x->u.cond.then);
    uint32_t jend = jump(e, OP_JMP);
    jump_here(e, jf);
    e->f->depth--;
    emit_expr(e, x->u.cond.els);
    jump_here(e, jend);
    jump_here(e, ju);
    break;
  }
  case EX_LIST_COMP: emit_comp(e, x, false); break;
  case EX_MAP_COMP: emit_comp(e, x, true); break;
  case EX_INSTANCE: op0(e, OP_NULL); return;   /* only as a test's let: emit_test */
  }
  if (x->secret) op0(e, OP_SECRET);
}

/* [x] where a value of type [to] is required: an int where a float is wanted becomes a
 * float (the one implicit conversion, docs/language.md §3), folded when constant, else
 * through tonumber.  Only the value itself converts; ints inside a list<float> stay ints. */
/* Constant [v] as type [t] requires: ints where a float is wanted become floats, inside
 * lists, maps and records too, and a record gets its type's constant defaults for the
 * fields it does not have (so the value is what a reader of any field sees). */
static const Value *conv_const(Em *e, const Value *v, const Type *t, int depth) {
  const Type *b = t ? ty_base(t) : NULL;
  if (b && b->kind == TY_OPTIONAL) b = ty_base(b->u.elem);
  if (!b || !v || depth > 64) return v;
  if (b->kind == TY_FLOAT && v->kind == V_INT) return cv_float(e->a, (double)v->u.i);
  if (b->kind == TY_LIST && v->kind == V_LIST) {
    const Value **items = arena_calloc(e->a, v->n ? v->n : 1, sizeof *items);
    for (uint32_t i = 0; i < v->n; i++) items[i] = conv_const(e, v->u.items[i], b->u.elem, depth + 1);
    return cv_list(e->a, items, v->n);
  }
  if ((b->kind == TY_MAP || b->kind == TY_RECORD) && v->kind == V_RECORD) {
    uint32_t extra = b->kind == TY_RECORD ? b->u.rec.nfields : 0;
    ValField *fs = arena_calloc(e->a, v->n + extra ? v->n + extra : 1, sizeof *fs);
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->n; i++) {
      const Type *ft = b->kind == TY_MAP ? b->u.elem : NULL;
      for (uint32_t j = 0; j < extra && !ft; j++)
        if (b->u.rec.fields[j].name->len == v->u.fields[i].klen &&
            memcmp(b->u.rec.fields[j].name->s, v->u.fields[i].key, v->u.fields[i].klen) == 0)
          ft = b->u.rec.fields[j].type;
      fs[n] = v->u.fields[i];
      fs[n++].val = conv_const(e, v->u.fields[i].val, ft, depth + 1);
    }
    for (uint32_t j = 0; j < extra; j++) {
      const RecField *rf = &b->u.rec.fields[j];
      if (cv_member(v, rf->name->s, rf->name->len) || !rf->deflt) continue;
      const Value *dv = fold(e, rf->deflt, 0);
      if (!dv) continue;
      fs[n++] = (ValField){rf->name->s, rf->name->len, conv_const(e, dv, rf->type, depth + 1)};
    }
    return cv_record(e->a, fs, n);
  }
  return v;
}

/* A record literal [x] as record or map type [tb]: each field as its type says, then the
 * record type's constant defaults for the fields not written. */
static void emit_record_as(Em *e, Expr *x, const Type *tb) {
  uint32_t n = x->u.record.nfields, extra = tb->kind == TY_RECORD ? tb->u.rec.nfields : 0;
  Field *fs = arena_calloc(e->a, n + extra ? n + extra : 1, sizeof *fs);
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++) fs[m++] = x->u.record.fields[i];
  for (uint32_t j = 0; j < extra; j++) {
    const RecField *rf = &tb->u.rec.fields[j];
    bool given = false;
    for (uint32_t i = 0; i < n && !given; i++) given = x->u.record.fields[i].name.str == rf->name;
    if (given || !rf->deflt || !fold(e, rf->deflt, 0)) continue;
    fs[m].name.str = rf->name;
    fs[m].name.span = x->span;
    fs[m].value = rf->deflt;
    fs[m++].span = x->span;
  }
  emit_record(e, fs, m, x->span, tb);
}

static void emit_as(Em *e, Expr *x, const Type *to) {
  const Type *tb = to ? ty_base(to) : NULL, *xb = x && x->ty ? ty_base(x->ty) : NULL;
  if (tb && tb->kind == TY_OPTIONAL) tb = ty_base(tb->u.elem);
  if (!tb || !xb) { emit_expr(e, x); return; }
  if (tb->kind == TY_LIST || tb->kind == TY_MAP || tb->kind == TY_RECORD) {
    /* a constant converted as a whole; a literal item by item (field by field, with the
       record type's defaults for fields not written) */
    const Value *cv = fold(e, x, 0);
    if (cv) { at(e, x->span); emit_const(e, const_value(e, conv_const(e, cv, to, 0))); return; }
    if (x->kind == EX_LIST && tb->kind == TY_LIST && x->u.list.nitems <= 64) {
      for (uint32_t i = 0; i < x->u.list.nitems; i++) emit_as(e, x->u.list.items[i], tb->u.elem);
      at(e, x->span);
      op_n(e, OP_LIST, x->u.list.nitems);
      if (x->secret) op0(e, OP_SECRET);   /* as emit_expr marks what the checker found secret */
      return;
    }
    if (x->kind == EX_RECORD && (tb->kind == TY_RECORD || tb->kind == TY_MAP)) {
      emit_record_as(e, x, tb);
      if (x->secret) op0(e, OP_SECRET);
      return;
    }
    emit_expr(e, x);
    return;
  }
  if (tb->kind != TY_FLOAT || xb->kind != TY_INT) { emit_expr(e, x); return; }
  const Value *cv = fold(e, x, 0);
  if (cv && cv->kind == V_INT) {
    at(e, x->span);
    emit_const(e, const_value(e, cv_float(e->a, (double)cv->u.i)));
    return;
  }
  emit_expr(e, x);
  at(e, x->span);
  op_start(e, OP_CALLB, 1);
  put_u16(e->f, (uint32_t)BI_tonumber);
  put_u16(e->f, 1);
}

/* ---- functions for fns and refinements ------------------------------------------------------ */

static uint32_t fn_of(Em *e, Sym *s) {
  void *v = pmap_get(&e->fnmap, s);
  if (v) return (uint32_t)(uintptr_t)v - 1;
  uint32_t idx = fn_reserve(e);
  pmap_put(e->a, &e->fnmap, s, (void *)(uintptr_t)(idx + 1));
  Decl *d = s->decl;
  FnBuf fb;
  FnBuf *saved = fn_begin(e, &fb, idx, d->u.fn.nparams);
  for (uint32_t i = 0; i < d->u.fn.nparams && i < s->nparams; i++) {
    local_bind(e, s->params[i]->span, i);
    const Type *pt = s->params[i]->type;
    const Type *refs[1];
    if (pt && ty_refinements(pt, refs, 1)) {
      at(e, d->u.fn.params[i].span);
      op16(e, OP_GETL, i);
      emit_refine(e, pt);
      op0(e, OP_POP);
    }
  }
  emit_expr(e, d->u.fn.body);
  const Type *ret = d->u.fn.ret ? d->u.fn.ret->ty : NULL;
  if (ret) emit_refine(e, ret);
  op0(e, OP_RET);
  fn_end(e, saved, str_c(e, arena_printf(e->a, "fn %s", s->name->s)), FK_FN, d->u.fn.nparams, 0, s->span);
  return idx;
}

static uint32_t check_fn(Em *e, const Type *ref, uint32_t *check) {
  void *v = pmap_get(&e->checkmap, ref);
  if (v) { *check = (uint32_t)(uintptr_t)pmap_get(&e->checkidx, ref) - 1; return (uint32_t)(uintptr_t)v - 1; }
  uint32_t idx = fn_reserve(e);
  pmap_put(e->a, &e->checkmap, ref, (void *)(uintptr_t)(idx + 1));
  BcCheck ck = {0};
  const char *tname = ty_show(&e->prog->types, ref->u.ref.base ? ref->u.ref.base : ref);
  ck.type = str_c(e, tname);
  const char *pred = ref->u.ref.pred ? span_text(e, ref->u.ref.pred->span) : "";
  ck.pred = str_c(e, pred);
  ck.loc = loc_of(e, ref->u.ref.span);
  VPUSH(e->checks, ck);
  *check = e->checks.n - 1;
  pmap_put(e->a, &e->checkidx, ref, (void *)(uintptr_t)(*check + 1));
  FnBuf fb;
  FnBuf *saved = fn_begin(e, &fb, idx, 1);
  if (ref->u.ref.self) local_bind(e, ref->u.ref.self->span, 0);
  emit_expr(e, ref->u.ref.pred);
  op0(e, OP_RET);
  fn_end(e, saved, str_c(e, arena_printf(e->a, "refinement %s", tname)), FK_CHECK, 1, 0, ref->u.ref.span);
  return idx;
}

/* ---- declaration order -------------------------------------------------------------------- */

typedef struct Scope {
  Module *mod;                /* top level of this module ... */
  Sym *comp;                  /* ... or the members of this component */
} Scope;

static void visit(Em *e, Sym *s, const Scope *sc);
static void walk_decl(Em *e, Decl *d, const Scope *sc);

static bool wanted(const Sym *s, const Scope *sc) {
  if (!s->decl) return false;
  if (s->kind != SYM_LET && s->kind != SYM_PARAM && s->kind != SYM_RESOURCE && s->kind != SYM_OUTPUT)
    return false;
  if (sc->comp) return s->owner == sc->comp;
  return !s->owner && s->module == sc->mod;
}

static void walk_expr(Em *e, Expr *x, const Scope *sc, int depth);

static void walk_sym(Em *e, Sym *s, const Scope *sc) {
  if (!s) return;
  if (wanted(s, sc)) { visit(e, s, sc); return; }
  /* through functions and components, to the declarations they read */
  if ((s->kind == SYM_FN || s->kind == SYM_COMPONENT) && s->decl) {
    const void *key = (const char *)s + (sc->comp ? 1 : 0);
    if (pmap_get(&e->state, key)) return;
    pmap_put(e->a, &e->state, key, (void *)(uintptr_t)3);
    if (s->kind == SYM_FN) walk_expr(e, s->decl->u.fn.body, sc, 0);
    else
      for (uint32_t i = 0; i < s->decl->u.comp.nmembers; i++) walk_decl(e, s->decl->u.comp.members[i], sc);
  }
}

typedef struct WalkCtx { Em *e; const Scope *sc; int depth; } WalkCtx;
static bool walk_child(Expr *child, void *ud) {
  WalkCtx *w = ud;
  walk_expr(w->e, child, w->sc, w->depth + 1);
  return false;
}

static void walk_expr(Em *e, Expr *x, const Scope *sc, int depth) {
  if (!x || depth > PARSE_MAX_DEPTH + 8) return;
  switch (x->kind) {
  case EX_NAME: walk_sym(e, x->u.name.sym, sc); return;
  case EX_MEMBER: {
    Expr *o = x->u.member.obj;
    if (o->kind == EX_NAME && o->u.name.sym && o->u.name.sym->target) {
      walk_sym(e, chk_lookup(o->u.name.sym->target, x->u.member.name.str), sc);
      return;
    }
    break;
  }
  case EX_INSTANCE:
    if (x->ty) { const Type *t = strip(x->ty); if (t && t->kind == TY_RESOURCE && t->u.res->decl) walk_sym(e, t->u.res->decl->sym, sc); }
    break;
  default: break;
  }
  WalkCtx w = {e, sc, depth};
  ast_each_child(x, walk_child, &w);
}

static ResType *res_type_of(Decl *d) {
  const Type *t = d->u.res.type ? strip(d->u.res.type->ty) : NULL;
  return t && t->kind == TY_RESOURCE ? t->u.res : NULL;
}

static void walk_decl(Em *e, Decl *d, const Scope *sc) {
  switch (d->kind) {
  case D_LET: case D_OUTPUT: walk_expr(e, d->u.let.value, sc, 0); break;
  case D_PARAM: break;
  case D_RESOURCE: {
    if (d->u.res.each) walk_expr(e, d->u.res.each->source, sc, 0);
    walk_expr(e, d->u.res.cond, sc, 0);
    for (uint32_t i = 0; i < d->u.res.nfields; i++) walk_expr(e, d->u.res.fields[i].value, sc, 0);
    for (uint32_t i = 0; i < d->ndecos; i++)
      for (uint32_t j = 0; j < d->decos[i].nargs; j++) walk_expr(e, d->decos[i].args[j], sc, 0);
    ResType *rt = res_type_of(d);
    if (rt && rt->is_component && rt->decl) walk_sym(e, rt->decl->sym, sc);
    break;
  }
  default: break;
  }
}

/* ---- declarations ------------------------------------------------------------------------- */

static void emit_store(Em *e, Sym *s, bool deps) {
  void *v;
  if (e->f->component && (v = pmap_get(&e->envmap, s)))
    op16(e, deps ? OP_SETED : OP_SETE, (uint32_t)(uintptr_t)v - 1);
  else if ((v = pmap_get(&e->globalmap, s)))
    op32(e, deps ? OP_SETGD : OP_SETG, (uint32_t)(uintptr_t)v - 1);
  else
    op0(e, OP_POP);
}

/* Fields of a body or instance: a map of the given inputs, each value checked against the
 * refinements of its input's type when the checker could not.  The type's constant
 * defaults for inputs not given are added here when there are few, so the VM finds the
 * inputs complete and builds the map once (a component of thousands of defaulted params
 * leaves them to the VM's merge instead, which costs nothing per param not given). */
typedef struct FieldEnt { const Str *key; Field *f; const Value *dv; } FieldEnt;

static int field_ent_cmp(const void *x, const void *y) {
  const FieldEnt *a = x, *b = y;
  int c = cmp_key(a->key->s, a->key->len, b->key->s, b->key->len);
  if (c) return c;
  return a->f && b->f ? (a->f < b->f ? -1 : a->f > b->f) : 0;
}

#define FILL_DEFAULTS_MAX 32

static void emit_fields(Em *e, Field *fields, uint32_t n, ResType *rt, Span sp) {
  uint32_t cap = n + (rt ? rt->ninputs : 0);
  FieldEnt *ents = plat_xcalloc(cap ? cap : 1, sizeof *ents);
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++) ents[m++] = (FieldEnt){fields[i].name.str, &fields[i], NULL};
  qsort(ents, m, sizeof *ents, field_ent_cmp);
  /* given twice: the checker reported it; keep the first */
  uint32_t k = 0;
  for (uint32_t i = 0; i < m; i++)
    if (!k || ents[k - 1].key != ents[i].key) ents[k++] = ents[i];
  m = k;
  if (rt) {
    uint32_t missing = 0, given = m;
    for (uint32_t i = 0; i < rt->ninputs && missing <= FILL_DEFAULTS_MAX; i++) {
      if (!rt->inputs[i].deflt) continue;
      FieldEnt key = {rt->inputs[i].name, NULL, NULL};
      if (bsearch(&key, ents, given, sizeof *ents, field_ent_cmp)) continue;
      const Value *dv = fold(e, rt->inputs[i].deflt, 0);
      if (!dv) continue;
      ents[m++] = (FieldEnt){rt->inputs[i].name, NULL, dv};
      missing++;
    }
    if (missing > FILL_DEFAULTS_MAX) m = given;
    else qsort(ents, m, sizeof *ents, field_ent_cmp);
  }
  uint32_t *keys = plat_xcalloc(m ? m : 1, sizeof *keys);
  bool big = m > 256;   /* through an accumulator, as in emit_record */
  /* A component instance's body keeps each param's value in a local of its own, right
   * after its loop variables and in key order, stored with what it read (SETLD): the VM
   * gives each param of the instance the dependencies of its own value (vm.c,
   * param_deps), not those of every param. */
  bool per_param = rt && rt->is_component && !big && e->f->nslots + m <= BC_MAX_SLOTS;
  uint32_t first = e->f->nslots;
  if (per_param) for (uint32_t i = 0; i < m; i++) local_new(e);
  if (big) op0(e, OP_ACCNEW);
  for (uint32_t i = 0; i < m; i++) {
    FieldEnt *fe = &ents[i];
    keys[i] = str_idx(e, fe->key->s, fe->key->len);
    if (per_param) op0(e, OP_DEPS);
    if (big) emit_const(e, const_str(e, fe->key->s, fe->key->len));
    if (!fe->f) {
      at(e, sp);
      emit_const(e, const_value(e, fe->dv));
    } else {
      ResPart part;
      uint32_t idx;
      const RecField *rf = rt ? ty_res_find(rt, fe->key, &part, &idx) : NULL;
      emit_as(e, fe->f->value, rf && part == RP_INPUT ? rf->type : NULL);
      if (rf && part == RP_INPUT && rf->type && !fold(e, fe->f->value, 0)) {
        at(e, fe->f->value->span);
        emit_refine(e, rf->type);
      }
    }
    if (per_param) op16(e, OP_SETLD, first + i);
    if (big) op0(e, OP_ACCPUT);
  }
  if (per_param) for (uint32_t i = 0; i < m; i++) op16(e, OP_GETL, first + i);
  at(e, sp);
  if (big) op0(e, OP_ACCMAP);
  else {
    uint32_t kc = const_strlist(e, keys, m);
    op_start(e, OP_RECORD, m);
    put_u32(e->f, kc);
    put_u16(e->f, m);
  }
  free(keys);
  free(ents);
}

static uint32_t emit_component(Em *e, ResType *rt);

static uint32_t rtype_of(Em *e, ResType *rt) {
  void *v = pmap_get(&e->rtmap, rt);
  if (v) return (uint32_t)(uintptr_t)v - 1;
  BcRType r = {0};
  r.name = str_c(e, rt->qual);
  r.provider = BC_NONE;
  r.fn = BC_NONE;
  r.params = BC_NONE;
  r.module = str_c(e, rt->module && rt->module->path ? rt->module->path : "");
  if (!rt->is_component && rt->module && rt->module->name) r.provider = str_c(e, rt->module->name->s);
  /* defaults: the inputs with a constant default, as a sorted map */
  ValField *fs = arena_calloc(e->a, rt->ninputs ? rt->ninputs : 1, sizeof *fs);
  uint32_t nf = 0;
  for (uint32_t i = 0; i < rt->ninputs; i++) {
    const Value *dv = rt->inputs[i].deflt ? fold(e, rt->inputs[i].deflt, 0) : NULL;
    if (dv) fs[nf++] = (ValField){rt->inputs[i].name->s, rt->inputs[i].name->len, dv};
  }
  r.defaults = nf ? const_value(e, cv_record(e->a, fs, nf)) : BC_NONE;
  if (rt->is_component) {
    uint32_t *names = plat_xcalloc(rt->ninputs ? rt->ninputs : 1, sizeof *names);
    for (uint32_t i = 0; i < rt->ninputs; i++) names[i] = str_idx(e, rt->inputs[i].name->s, rt->inputs[i].name->len);
    r.params = const_strlist(e, names, rt->ninputs);
    free(names);
  }
  VPUSH(e->rtypes, r);
  uint32_t idx = e->rtypes.n - 1;
  pmap_put(e->a, &e->rtmap, rt, (void *)(uintptr_t)(idx + 1));
  if (rt->is_component) {
    uint32_t fn = emit_component(e, rt);
    e->rtypes.v[idx].fn = fn;
  }
  return idx;
}

static bool deco_is(const Decorator *dc, const char *name) {
  return dc->name.str && strcmp(dc->name.str->s, name) == 0;
}

static uint32_t deco_names(Em *e, const Decorator *dc) {
  uint32_t *names = plat_xcalloc(dc->nargs ? dc->nargs : 1, sizeof *names);
  for (uint32_t i = 0; i < dc->nargs; i++) {
    const Expr *a = dc->args[i];
    const char *t = a->kind == EX_NAME && a->u.name.id.str ? a->u.name.id.str->s : span_text(e, a->span);
    names[i] = str_c(e, t);
  }
  uint32_t k = const_strlist(e, names, dc->nargs);
  free(names);
  return k;
}

static uint32_t resdecl_new(Em *e, const char *name, ResType *rt, uint32_t flags, Decl *d, Span sp,
                            const Module *mod) {
  BcResDecl r = {0};
  r.name = str_c(e, name);
  r.rtype = rtype_of(e, rt);
  r.flags = flags;
  r.ignore = BC_NONE;
  r.replace = BC_NONE;
  r.module = mod_str(e, mod);
  r.loc = loc_of(e, sp);
  for (uint32_t i = 0; d && i < d->ndecos; i++) {
    const Decorator *dc = &d->decos[i];
    if (deco_is(dc, "protect")) r.flags |= RD_PROTECT;
    else if (deco_is(dc, "create_before_destroy")) r.flags |= RD_CBD;
    else if (deco_is(dc, "ignore_changes")) r.ignore = deco_names(e, dc);
    else if (deco_is(dc, "replace_on_change")) r.replace = deco_names(e, dc);
  }
  VPUSH(e->resdecls, r);
  return e->resdecls.n - 1;
}

static void emit_depends(Em *e, Decl *d) {
  for (uint32_t i = 0; i < d->ndecos; i++) {
    const Decorator *dc = &d->decos[i];
    if (!deco_is(dc, "depends_on")) continue;
    for (uint32_t j = 0; j < dc->nargs; j++) emit_expr(e, dc->args[j]);
    at(e, dc->span);
    op_n(e, OP_LIST, dc->nargs);
    return;
  }
  op0(e, OP_NULL);
}

/* The body function of resource [d]: (loop variables) -> map of given inputs. */
static uint32_t emit_body(Em *e, Decl *d, ResType *rt, bool in_comp, uint32_t nvars, uint32_t name) {
  uint32_t idx = fn_reserve(e);
  FnBuf fb;
  FnBuf *saved = fn_begin(e, &fb, idx, nvars);
  fb.component = in_comp;
  if (nvars >= 1) local_bind(e, d->u.res.each->var1.span, 0);
  if (nvars >= 2) local_bind(e, d->u.res.each->var2.span, 1);
  at(e, d->u.res.body_span);
  emit_fields(e, d->u.res.fields, d->u.res.nfields, rt, d->u.res.body_span);
  op0(e, OP_RET);
  /* Named by the resource's name alone (its kind says it is a body): a string fewer per
     resource than "resource NAME" in a program of 100,000 of them. */
  fn_end(e, saved, name, FK_BODY,
         nvars, 0, d->span);
  return idx;
}

static void emit_resource(Em *e, Sym *s, Decl *d, bool in_comp) {
  ResType *rt = res_type_of(d);
  if (!rt) { op0(e, OP_NULL); emit_store(e, s, false); return; }
  uint32_t flags = (d->u.res.each ? RD_KEYED : 0) | (d->u.res.cond ? RD_COND : 0);
  uint32_t r = resdecl_new(e, d->name.str->s, rt, flags, d, d->name.span, s->module);
  ForClause *fc = d->u.res.each;
  uint32_t nvars = fc ? (fc->var2.str ? 2 : 1) : 0;
  uint32_t body = emit_body(e, d, rt, in_comp, nvars, e->resdecls.v[r].name);
  at(e, d->span);
  op0(e, OP_DEPS);
  if (fc) {
    emit_expr(e, fc->source);
    at(e, d->span);
    Loop l = loop_begin(e, fc, OP_SETLD);
    uint32_t coll = l.coll, top = l.top;
    uint32_t v1 = (uint32_t)(uintptr_t)pmap_get(&e->f->locals, span_key(fc->var1.span)) - 1;
    uint32_t v2 = fc->var2.str ? (uint32_t)(uintptr_t)pmap_get(&e->f->locals, span_key(fc->var2.span)) - 1 : 0;
    op0(e, OP_DEPS);
    op16(e, OP_GETL, coll);
    op0(e, OP_POP);
    uint32_t jskip = BC_NONE;
    if (d->u.res.cond) {
      emit_expr(e, d->u.res.cond);
      at(e, d->span);
      jskip = jump(e, OP_JF);
    }
    op16(e, OP_GETL, v1);        /* the key, for ACCPUT */
    op16(e, OP_GETL, v1);        /* the key, for MKRES */
    op16(e, OP_GETL, v1);
    if (nvars == 2) op16(e, OP_GETL, v2);
    op_start(e, OP_CALL, nvars); put_u32(e->f, body); put_u16(e->f, nvars);
    emit_depends(e, d);
    at(e, d->span);
    op32(e, OP_MKRES, r);
    op0(e, OP_ACCPUT);
    jump_back(e, OP_JMP, top);
    if (jskip != BC_NONE) {
      jump_here(e, jskip);
      op0(e, OP_DEPDROP);
      jump_back(e, OP_JMP, top);
    }
    loop_end(e, &l, OP_ACCMAP);
    jump_here(e, l.jprep);
    e->f->depth = l.d0 + 1;
  } else {
    uint32_t jskip = BC_NONE;
    if (d->u.res.cond) {
      emit_expr(e, d->u.res.cond);
      at(e, d->span);
      jskip = jump(e, OP_JF);
    }
    op0(e, OP_NULL);
    op_start(e, OP_CALL, 0); put_u32(e->f, body); put_u16(e->f, 0);
    emit_depends(e, d);
    at(e, d->span);
    op32(e, OP_MKRES, r);
    if (jskip != BC_NONE) {
      uint32_t jend = jump(e, OP_JMP);
      jump_here(e, jskip);
      e->f->depth--;
      op0(e, OP_DEPDROP);
      op0(e, OP_NULL);
      jump_here(e, jend);
    }
  }
  emit_store(e, s, false);
}

static void emit_decl(Em *e, Sym *s, bool in_comp) {
  Decl *d = s->decl;
  switch (d->kind) {
  case D_LET: case D_OUTPUT: {
    at(e, d->span);
    op0(e, OP_DEPS);
    const Type *t = d->u.let.type ? d->u.let.type->ty : NULL;
    emit_as(e, d->u.let.value, t);
    if (t && !fold(e, d->u.let.value, 0)) emit_refine(e, t);
    at(e, d->span);
    emit_store(e, s, true);
    break;
  }
  case D_PARAM: {
    if (in_comp) break;   /* a component's params arrive in its environment */
    BcParam bp = {0};
    bp.name = str_c(e, s->name->s);
    bp.global = (uint32_t)(uintptr_t)pmap_get(&e->globalmap, s) - 1;
    const Type *t = s->type ? ty_unalias(s->type) : TY_STRING_T;
    bp.secret = ty_is_secret(s->type);
    const Type *b = ty_base(t);
    if (b && b->kind == TY_OPTIONAL) { bp.optional = true; b = ty_base(b->u.elem); }
    bp.kind = !b ? PK_STRING
            : b->kind == TY_INT ? PK_INT
            : b->kind == TY_FLOAT ? PK_FLOAT
            : b->kind == TY_BOOL ? PK_BOOL
            : b->kind == TY_STRING || b->kind == TY_UNION ? PK_STRING : PK_JSON;
    bp.members = BC_NONE;
    if (b && b->kind == TY_UNION) {
      uint32_t *ms = plat_xcalloc(b->u.uni.nmembers ? b->u.uni.nmembers : 1, sizeof *ms);
      for (uint32_t i = 0; i < b->u.uni.nmembers; i++) ms[i] = str_idx(e, b->u.uni.members[i]->s, b->u.uni.members[i]->len);
      bp.members = const_strlist(e, ms, b->u.uni.nmembers);
      free(ms);
    }
    const Value *dv = d->u.param.deflt ? fold(e, d->u.param.deflt, 0) : NULL;
    if (dv && dv->kind == V_INT && bp.kind == PK_FLOAT) dv = cv_float(e->a, (double)dv->u.i);
    bp.deflt = dv ? const_value(e, dv) : BC_NONE;
    bp.type = str_c(e, s->type ? ty_show(&e->prog->types, s->type) : "string");
    bp.loc = loc_of(e, s->span);
    const char *why = NULL;
    const char *desc = s->type ? sl_type_desc(e->a, s->type, &why) : NULL;
    bp.desc = desc ? str_c(e, desc) : BC_NONE;
    VPUSH(e->params, bp);
    at(e, d->span);
    op32(e, OP_PARAM, e->params.n - 1);
    if (s->type) emit_refine(e, s->type);
    emit_store(e, s, false);
    break;
  }
  case D_RESOURCE: emit_resource(e, s, d, in_comp); break;
  default: break;
  }
}

static void visit(Em *e, Sym *s, const Scope *sc) {
  uintptr_t st = (uintptr_t)pmap_get(&e->state, s);
  if (st) return;   /* done, or in progress (a cycle the checker reported) */
  pmap_put(e->a, &e->state, s, (void *)(uintptr_t)1);
  walk_decl(e, s->decl, sc);
  pmap_put(e->a, &e->state, s, (void *)(uintptr_t)2);
  emit_decl(e, s, sc->comp != NULL);
}

/* A component's body: run per instance, its params already in environment slots
 * 0..nparams-1; returns [outputs map, members map, env slot of each output]. */
static uint32_t emit_component(Em *e, ResType *rt) {
  Decl *cd = rt->decl;
  Sym *cs = cd->sym;
  uint32_t idx = fn_reserve(e);
  uint32_t nenv = 0;
  for (uint32_t i = 0; i < rt->ninputs; i++)
    if (rt->inputs[i].sym) pmap_put(e->a, &e->envmap, rt->inputs[i].sym, (void *)(uintptr_t)(i + 1));
  nenv = rt->ninputs;
  for (uint32_t i = 0; i < cd->u.comp.nmembers; i++) {
    Decl *m = cd->u.comp.members[i];
    if ((m->kind == D_LET || m->kind == D_RESOURCE || m->kind == D_OUTPUT) && m->sym)
      pmap_put(e->a, &e->envmap, m->sym, (void *)(uintptr_t)(++nenv));
  }
  uint32_t outslot = nenv++;   /* the outputs map, with the dependencies of every output */
  uint32_t outslots = 0;       /* constant: the env slot of each output, in key order */
  FnBuf fb;
  FnBuf *saved = fn_begin(e, &fb, idx, 0);
  fb.component = true;
  for (uint32_t i = 0; i < rt->ninputs; i++) {
    const Type *refs[1];
    if (rt->inputs[i].type && ty_refinements(rt->inputs[i].type, refs, 1)) {
      at(e, rt->inputs[i].span);
      op16(e, OP_GETE, i);
      emit_refine(e, rt->inputs[i].type);
      op0(e, OP_POP);
    }
  }
  Scope sc = {cs ? cs->module : NULL, cs};
  for (uint32_t i = 0; i < cd->u.comp.nmembers; i++) {
    Decl *m = cd->u.comp.members[i];
    if (m->sym && wanted(m->sym, &sc)) visit(e, m->sym, &sc);
  }
  /* outputs, then members, each as a map sorted by name */
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 0) op0(e, OP_DEPS);
    DeclKind want = pass == 0 ? D_OUTPUT : D_RESOURCE;
    uint32_t n = 0;
    Decl **ds = plat_xcalloc(cd->u.comp.nmembers ? cd->u.comp.nmembers : 1, sizeof *ds);
    for (uint32_t i = 0; i < cd->u.comp.nmembers; i++)
      if (cd->u.comp.members[i]->kind == want && cd->u.comp.members[i]->sym) ds[n++] = cd->u.comp.members[i];
    for (uint32_t i = 1; i < n; i++) {
      Decl *x = ds[i];
      uint32_t j = i;
      while (j > 0 && cmp_key(ds[j - 1]->name.str->s, ds[j - 1]->name.str->len, x->name.str->s, x->name.str->len) > 0) {
        ds[j] = ds[j - 1];
        j--;
      }
      ds[j] = x;
    }
    uint32_t *keys = plat_xcalloc(n ? n : 1, sizeof *keys);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
      if (m && ds[i]->name.str == ds[i - 1]->name.str) continue;
      keys[m++] = str_idx(e, ds[i]->name.str->s, ds[i]->name.str->len);
      emit_name(e, ds[i]->sym);
    }
    uint32_t k = const_strlist(e, keys, m);
    at(e, cd->span);
    op_start(e, OP_RECORD, m); put_u32(e->f, k); put_u16(e->f, m);
    if (pass == 0) {
      op16(e, OP_SETED, outslot);
      op16(e, OP_GETE, outslot);
      /* where each output is, in the map's key order: a read of one output depends on
         what that output read, not on what every output read */
      const Value **slots = plat_xcalloc(m ? m : 1, sizeof *slots);
      for (uint32_t i = 0, j = 0; i < n; i++) {
        if (j && ds[i]->name.str == ds[i - 1]->name.str) continue;
        slots[j++] = cv_int(e->a, (int64_t)(uintptr_t)pmap_get(&e->envmap, ds[i]->sym) - 1);
      }
      outslots = const_value(e, cv_list(e->a, slots, m));
      free(slots);
    }
    free(keys);
    free(ds);
  }
  emit_const(e, outslots);
  op_n(e, OP_LIST, 3);
  op0(e, OP_RET);
  fn_end(e, saved, str_c(e, arena_printf(e->a, "component %s", rt->qual)), FK_COMPONENT, 0, nenv, cd->span);
  return idx;
}

/* ---- tests, policies, moved ----------------------------------------------------------------- */

static void emit_test(Em *e, Module *mod, Decl *d) {
  uint32_t idx = fn_reserve(e);
  FnBuf fb;
  FnBuf *saved = fn_begin(e, &fb, idx, 0);
  for (uint32_t i = 0; i < d->u.test.nstmts; i++) {
    Decl *st = d->u.test.stmts[i];
    at(e, st->span);
    if (st->kind == D_LET) {
      Expr *v = st->u.let.value;
      uint32_t slot = local_new(e);
      if (v && v->kind == EX_INSTANCE) {
        const Type *t = v->ty ? strip(v->ty) : NULL;
        if (t && t->kind == TY_RESOURCE) {
          ResType *rt = t->u.res;
          uint32_t r = resdecl_new(e, st->name.str->s, rt, RD_TEST, NULL, st->name.span, mod);
          op0(e, OP_DEPS);
          op0(e, OP_NULL);
          emit_fields(e, v->u.inst.fields, v->u.inst.nfields, rt, v->span);
          op0(e, OP_NULL);
          at(e, st->span);
          op32(e, OP_MKRES, r);
        } else op0(e, OP_NULL);
      } else emit_expr(e, v);
      op16(e, OP_SETL, slot);
      if (st->sym) local_bind(e, st->sym->span, slot);
      else local_bind(e, st->name.span, slot);
    } else if (st->kind == D_ASSERT) {
      emit_expr(e, st->u.assert_.cond);
      if (st->u.assert_.msg) emit_expr(e, st->u.assert_.msg);
      else op0(e, OP_NULL);
      at(e, st->span);
      op32(e, OP_ASSERT, str_c(e, span_text(e, st->u.assert_.cond->span)));
    }
  }
  op0(e, OP_NULL);
  op0(e, OP_RET);
  const char *title = span_text(e, d->u.test.title->span);
  fn_end(e, saved, str_c(e, arena_printf(e->a, "test %s", title)), FK_TEST, 0, 0, d->span);
  BcTest t = {0};
  const Value *tv = fold(e, d->u.test.title, 0);
  t.title = tv && tv->kind == V_STRING ? str_idx(e, tv->u.s, tv->n) : str_c(e, title);
  t.fn = idx;
  t.module = mod_str(e, mod);
  t.loc = loc_of(e, d->span);
  VPUSH(e->tests, t);
}

static uint32_t rule_fn(Em *e, Decl *d, Expr *x, bool msg, const char *what) {
  uint32_t idx = fn_reserve(e);
  FnBuf fb;
  FnBuf *saved = fn_begin(e, &fb, idx, 1);
  local_bind(e, d->u.policy.var.span, 0);
  if (msg && x && x->kind == EX_STRING) {
    /* the message's parts, each redacted on its own when secret */
    for (uint32_t i = 0; i < x->u.str.nparts; i++) {
      StrPart *sp = &x->u.str.parts[i];
      if (sp->is_expr) { emit_expr(e, sp->expr); at(e, sp->span); op_n(e, OP_STR, 1); }
      else emit_const(e, const_str(e, sp->text, sp->len));
    }
    at(e, x->span);
    op_n(e, OP_LIST, x->u.str.nparts);
  } else {
    emit_expr(e, x);
    if (msg) { at(e, x ? x->span : d->span); op_n(e, OP_LIST, 1); }
  }
  op0(e, OP_RET);
  fn_end(e, saved, str_c(e, what), FK_RULE, 1, 0, x ? x->span : d->span);
  return idx;
}

static void emit_policy(Em *e, Decl *d) {
  const Type *t = d->u.policy.type ? strip(d->u.policy.type->ty) : NULL;
  if (!t || t->kind != TY_RESOURCE) return;
  BcPolicy p = {0};
  const Value *tv = fold(e, d->u.policy.title, 0);
  const char *title = tv && tv->kind == V_STRING ? tv->u.s : span_text(e, d->u.policy.title->span);
  p.title = str_c(e, title);
  p.rtype = rtype_of(e, t->u.res);
  p.loc = loc_of(e, d->span);
  p.nrules = d->u.policy.nrules;
  p.rules = arena_calloc(&e->m->arena, p.nrules ? p.nrules : 1, sizeof *p.rules);
  for (uint32_t i = 0; i < p.nrules; i++) {
    PolicyRule *r = &d->u.policy.rules[i];
    p.rules[i].kind = (uint8_t)r->kind;
    p.rules[i].cond = rule_fn(e, d, r->cond, false, arena_printf(e->a, "policy %s", title));
    p.rules[i].msg = rule_fn(e, d, r->msg, true, arena_printf(e->a, "policy %s", title));
    p.rules[i].loc = loc_of(e, r->span);
  }
  VPUSH(e->policies, p);
}

/* An address written in `moved`: name, .member and ["key"] steps. */
static void addr_text(Em *e, const Expr *x, char **buf, size_t *len, FILE *f, int depth) {
  if (!x || depth > 64) return;
  switch (x->kind) {
  case EX_NAME: fputs(x->u.name.id.str ? x->u.name.id.str->s : "?", f); break;
  case EX_MEMBER:
    addr_text(e, x->u.member.obj, buf, len, f, depth + 1);
    fprintf(f, ".%s", x->u.member.name.str ? x->u.member.name.str->s : "?");
    break;
  case EX_INDEX: {
    addr_text(e, x->u.index.obj, buf, len, f, depth + 1);
    const Expr *k = x->u.index.index;
    fputs("[\"", f);
    if (k->kind == EX_STRING && k->u.str.nparts == 1 && !k->u.str.parts[0].is_expr) {
      for (uint32_t i = 0; i < k->u.str.parts[0].len; i++) {
        char c = k->u.str.parts[0].text[i];
        if (c == '"' || c == '\\') fputc('\\', f);
        fputc(c, f);
      }
    }
    fputs("\"]", f);
    break;
  }
  default: fputs(span_text(e, x->span), f); break;
  }
}

static uint32_t moved_addr(Em *e, const Expr *x) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return str_c(e, "");
  addr_text(e, x, &buf, &len, f, 0);
  fclose(f);
  uint32_t s = str_idx(e, buf, (uint32_t)len);
  free(buf);
  return s;
}

/* ---- the module ------------------------------------------------------------------------------ */

/* Call [fn] on every declaration of every module (providers' schemas excepted), modules
 * dependencies first, files and declarations in order. */
static void each_decl(Em *e, void (*fn)(Em *e, Module *mod, Decl *d)) {
  for (uint32_t mi = 0; mi < e->prog->nmods; mi++) {
    Module *mod = e->prog->mods[mi];
    if (mod->provider) continue;
    for (uint32_t fi = 0; fi < mod->nfiles; fi++)
      for (uint32_t di = 0; di < mod->files[fi]->ndecls; di++) fn(e, mod, mod->files[fi]->decls[di]);
  }
}

/* A global slot for every top-level let, param, resource and output. */
static void add_global(Em *e, Module *mod, Decl *d) {
  Sym *s = d->sym;
  if (!s || s->owner || pmap_get(&e->globalmap, s)) return;
  uint8_t kind;
  switch (d->kind) {
  case D_LET: kind = GK_LET; break;
  case D_PARAM: kind = GK_PARAM; break;
  case D_RESOURCE: kind = GK_RESOURCE; break;
  case D_OUTPUT: kind = GK_OUTPUT; break;
  default: return;
  }
  BcGlobal g = {str_c(e, s->name->s), mod_str(e, mod), kind, mod->root,
                loc_of(e, s->span)};
  VPUSH(e->globals, g);
  pmap_put(e->a, &e->globalmap, s, (void *)(uintptr_t)e->globals.n);
}

static void visit_top(Em *e, Module *mod, Decl *d) {
  Scope sc = {mod, NULL};
  if (d->sym && wanted(d->sym, &sc)) visit(e, d->sym, &sc);
}

static void add_other(Em *e, Module *mod, Decl *d) {
  if (d->kind == D_POLICY) emit_policy(e, d);
  else if (d->kind == D_TEST) emit_test(e, mod, d);
  else if (d->kind == D_MOVED && mod->root) {
    BcMoved mv = {moved_addr(e, d->u.moved.from), moved_addr(e, d->u.moved.to), loc_of(e, d->span)};
    VPUSH(e->moved, mv);
  }
}

#define FINISH(field, vec) do { \
    m->n##field = e.vec.n; \
    m->field = arena_calloc(&m->arena, e.vec.n ? e.vec.n : 1, sizeof *m->field); \
    if (e.vec.n) memcpy(m->field, e.vec.v, e.vec.n * sizeof *m->field); \
    free(e.vec.v); \
  } while (0)

/* The root outputs in name order (the table's contract), in O(n log n): a program may have
 * 100,000 of them. */
typedef struct OutKey {
  const char *s;
  uint32_t len;
  BcOutput o;
} OutKey;

static int outkey_cmp(const void *a, const void *b) {
  const OutKey *x = a, *y = b;
  return cmp_key(x->s, x->len, y->s, y->len);
}

static void sort_outputs(Em *e) {
  uint32_t n = e->outputs.n;
  if (n < 2)
    return;
  OutKey *k = plat_xmalloc((size_t)n * sizeof *k);
  for (uint32_t i = 0; i < n; i++) {
    BcOutput o = e->outputs.v[i];
    k[i] = (OutKey){ e->strs.v[o.name].s, e->strs.v[o.name].len, o };
  }
  qsort(k, n, sizeof *k, outkey_cmp);
  for (uint32_t i = 0; i < n; i++)
    e->outputs.v[i] = k[i].o;
  free(k);
}

BcModule *emit_program(Plat *p) {
  Program *prog = p->prog;
  if (!prog) return NULL;
  Em e = {0};
  e.p = p;
  e.prog = prog;
  e.m = bc_new();
  e.a = &p->arena;
  BcModule *m = e.m;
  uint8_t hash[PB_HASH_LEN];
  pb_hash_sourcemap(&p->sources, hash);
  pb_hash_hex(hash, m->source_hash);

  each_decl(&e, add_global);

  uint32_t mainfn = fn_reserve(&e);
  FnBuf fb;
  fn_begin(&e, &fb, mainfn, 0);
  each_decl(&e, visit_top);
  op0(&e, OP_NULL);
  op0(&e, OP_RET);
  fn_end(&e, NULL, str_c(&e, "main"), FK_MAIN, 0, 0, (Span){SPAN_NO_FILE, 0, 0});
  m->main = mainfn;

  /* root outputs, sorted by name */
  for (uint32_t i = 0; i < e.globals.n; i++)
    if (e.globals.v[i].kind == GK_OUTPUT && e.globals.v[i].root) {
      BcOutput o = {e.globals.v[i].name, i};
      VPUSH(e.outputs, o);
    }
  sort_outputs(&e);

  each_decl(&e, add_other);

  FINISH(strs, strs);
  FINISH(consts, consts);
  FINISH(locs, locs);
  FINISH(funcs, funcs);
  FINISH(globals, globals);
  FINISH(params, params);
  FINISH(checks, checks);
  FINISH(rtypes, rtypes);
  FINISH(resdecls, resdecls);
  FINISH(policies, policies);
  FINISH(tests, tests);
  FINISH(moved, moved);
  FINISH(outputs, outputs);
  free(e.stab);
  free(e.ctab);
  free(e.ltab);
  for (uint32_t i = 0; i < e.spare.n; i++) {
    free(e.spare.v[i].code.v);
    free(e.spare.v[i].lines.v);
  }
  free(e.spare.v);
  free(e.lstab);
  if (e.toobig) {
    diag_add(&p->diags, DIAG_E0101, (Span){SPAN_NO_FILE, 0, 0},
             "the program is too large to compile: a function exceeds the bytecode limits");
    bc_free(m);
    return NULL;
  }
  return m;
}
