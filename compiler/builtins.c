/* Built-in function signatures: parses the signature strings of stdlib/builtins.def once
 * into type patterns, and types calls by matching argument types against them, binding
 * the variables T, U and number as it goes.  No evaluation here (see consteval.c). */
#include "compiler/builtins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/consteval.h"
#include "compiler/source.h"
#include "stdlib/regex.h"

typedef enum PatKind {
  P_ANY, P_STRING, P_INT, P_FLOAT, P_BOOL, P_NUMBER, P_T, P_U,
  P_LIST, P_MAP, P_OPT, P_SECRET, P_ALT,
  P_MATCH,               /* Match: a regex match, typed from the pattern (bi_type_hook) */
} PatKind;

struct BiPat {
  PatKind k;
  const BiPat *a, *b;    /* element (a), or alternatives (a | b) */
};

static const struct { const char *name, *sig; int flags; } defs[BI__COUNT] = {
#define PURE BF_PURE
#define PLAN BF_PLAN
#define SENSITIVE BF_SENSITIVE
#define NONSENSITIVE BF_NONSENSITIVE
#define BUILTIN(name, sig, flags) {#name, sig, flags},
#include "stdlib/builtins.def"
#undef BUILTIN
#undef PURE
#undef PLAN
#undef SENSITIVE
#undef NONSENSITIVE
};

static Builtin table[BI__COUNT];
static const char *names[BI__COUNT];
static BiPat pool[1024];
static uint32_t npool;
static char textpool[8192];
static size_t ntext;
static bool inited;

/* ---- signature parser (input is our own table: a bad one is a programming error) ----- */
typedef struct SigP { const char *s; const char *sig; } SigP;

static void sig_fail(const SigP *p) {
  fprintf(stderr, "platc: bad built-in signature: %s\n", p->sig);
  abort();
}

static void skip_ws(SigP *p) { while (*p->s == ' ') p->s++; }

static bool accept(SigP *p, const char *tok) {
  skip_ws(p);
  size_t n = strlen(tok);
  if (strncmp(p->s, tok, n) != 0) return false;
  p->s += n;
  return true;
}

static void expect(SigP *p, const char *tok) { if (!accept(p, tok)) sig_fail(p); }

static size_t ident(SigP *p, const char **start) {
  skip_ws(p);
  *start = p->s;
  while ((*p->s >= 'a' && *p->s <= 'z') || (*p->s >= 'A' && *p->s <= 'Z') ||
         (*p->s >= '0' && *p->s <= '9') || *p->s == '_')
    p->s++;
  return (size_t)(p->s - *start);
}

static BiPat *new_pat(const SigP *p, PatKind k) {
  if (npool == sizeof pool / sizeof pool[0]) sig_fail(p);
  BiPat *r = &pool[npool++];
  r->k = k;
  return r;
}

static const BiPat *pat_alt(SigP *p);

static const BiPat *pat_prim(SigP *p) {
  const char *w;
  size_t n = ident(p, &w);
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(w, lit, n) == 0)
  if (IS("secret")) { BiPat *r = new_pat(p, P_SECRET); r->a = pat_prim(p); return r; }
  if (IS("list") || IS("map")) {
    BiPat *r = new_pat(p, IS("list") ? P_LIST : P_MAP);
    expect(p, "<");
    r->a = pat_alt(p);
    expect(p, ">");
    return r;
  }
  PatKind k = IS("any") ? P_ANY : IS("string") ? P_STRING : IS("int") ? P_INT
            : IS("float") ? P_FLOAT : IS("bool") ? P_BOOL : IS("number") ? P_NUMBER
            : IS("T") ? P_T : IS("U") ? P_U : IS("Match") ? P_MATCH : (PatKind)-1;
#undef IS
  if ((int)k < 0) sig_fail(p);
  return new_pat(p, k);
}

static const BiPat *pat_post(SigP *p) {
  const BiPat *e = pat_prim(p);
  skip_ws(p);
  if (p->s[0] == '?') {
    p->s++;
    BiPat *r = new_pat(p, P_OPT);
    r->a = e;
    return r;
  }
  return e;
}

static const BiPat *pat_alt(SigP *p) {
  const BiPat *l = pat_post(p);
  if (!accept(p, "|")) return l;
  BiPat *r = new_pat(p, P_ALT);
  r->a = l;
  r->b = pat_alt(p);
  return r;
}

static const char *keep_text(const SigP *p, const char *s, size_t n) {
  if (ntext + n + 1 > sizeof textpool) sig_fail(p);
  char *t = textpool + ntext;
  memcpy(t, s, n);
  t[n] = 0;
  ntext += n + 1;
  return t;
}

static void parse_sig(Builtin *b) {
  SigP p = {b->sig, b->sig};
  const char *w;
  ident(&p, &w);
  expect(&p, "(");
  if (!accept(&p, ")")) {
    for (;;) {
      if (b->nparams == BI_MAX_PARAMS || b->variadic) sig_fail(&p);
      BiParam *bp = &b->params[b->nparams++];
      size_t n = ident(&p, &w);
      bp->name = keep_text(&p, w, n);
      bp->optional = accept(&p, "?");
      expect(&p, ":");
      skip_ws(&p);
      const char *ts = p.s;
      bp->pat = pat_alt(&p);
      bp->text = keep_text(&p, ts, (size_t)(p.s - ts));
      if (accept(&p, "...")) b->variadic = true;
      if (!bp->optional) b->min_args = b->nparams;
      if (accept(&p, ")")) break;
      expect(&p, ",");
    }
  }
  expect(&p, ":");
  b->ret = pat_alt(&p);
  for (const BiPat *r = b->ret; r; r = r->a) b->hooked |= r->k == P_MATCH;
  b->ret_expected = b->ret->k == P_ANY;
  skip_ws(&p);
  if (*p.s) sig_fail(&p);
}

static void init(void) {
  if (inited) return;
  for (int i = 0; i < BI__COUNT; i++) {
    Builtin *b = &table[i];
    b->id = (BuiltinId)i;
    b->name = defs[i].name;
    b->sig = defs[i].sig;
    b->flags = defs[i].flags;
    names[i] = b->name;
    parse_sig(b);
  }
  inited = true;
}

const Builtin *bi_get(BuiltinId id) {
  init();
  return id < BI__COUNT ? &table[id] : NULL;
}

const Builtin *bi_find(const char *name, size_t len) {
  init();
  for (int i = 0; i < BI__COUNT; i++)
    if (strlen(table[i].name) == len && memcmp(table[i].name, name, len) == 0) return &table[i];
  return NULL;
}

const char *const *bi_names(uint32_t *n) {
  init();
  *n = BI__COUNT;
  return names;
}

/* ---- typing a call -------------------------------------------------------------------- */
typedef struct Bind { const Type *t, *u, *n, *m; } Bind;

static bool bind_var(TypeCtx *tc, const Type **slot, const Type *arg) {
  /* secret is tracked on expressions, not in type variables */
  while (arg->kind == TY_SECRET) arg = arg->u.elem;
  if (!*slot) { *slot = arg; return true; }
  const Type *j = ty_join(tc, *slot, arg);
  if (!j) return false;
  *slot = j;
  return true;
}

static bool match(TypeCtx *tc, const BiPat *p, const Type *arg, Bind *b) {
  const Type *base = ty_base(arg);
  if (base->kind == TY_ERROR) return true;
  switch (p->k) {
  case P_ANY: return base->kind != TY_FN && base->kind != TY_MODULE;
  case P_STRING: return ty_assignable(arg, TY_STRING_T);
  case P_INT: return ty_assignable(arg, TY_INT_T);
  case P_FLOAT: return ty_assignable(arg, TY_FLOAT_T);
  case P_BOOL: return ty_assignable(arg, TY_BOOL_T);
  case P_NUMBER:
    if (base->kind == TY_NOTHING) return true;
    return ty_is_numeric(base) && bind_var(tc, &b->n, base);
  case P_T: return base->kind == TY_NOTHING || bind_var(tc, &b->t, arg);
  case P_U: return base->kind == TY_NOTHING || bind_var(tc, &b->u, arg);
  case P_LIST:
    if (base->kind == TY_NOTHING) return true;
    return base->kind == TY_LIST && match(tc, p->a, base->u.elem, b);
  case P_MAP:
    if (base->kind == TY_NOTHING) return true;
    if (base->kind == TY_MAP) return match(tc, p->a, base->u.elem, b);
    if (base->kind == TY_RECORD) {
      for (uint32_t i = 0; i < base->u.rec.nfields; i++)
        if (!match(tc, p->a, base->u.rec.fields[i].type, b)) return false;
      return true;
    }
    return false;
  case P_OPT:
    if (base->kind == TY_NULL) return true;
    if (base->kind == TY_OPTIONAL) return match(tc, p->a, base->u.elem, b);
    return match(tc, p->a, arg, b);
  case P_SECRET: return match(tc, p->a, arg, b);
  case P_ALT: {
    Bind save = *b;
    if (match(tc, p->a, arg, b)) return true;
    *b = save;
    return match(tc, p->b, arg, b);
  }
  case P_MATCH: return false;   /* results only */
  }
  return false;
}

/* The pattern with its variables replaced; NULL when it has an unbound variable and
 * [strict] (for messages), else unbound variables become `nothing`. */
static const Type *inst(TypeCtx *tc, const BiPat *p, const Bind *b, bool strict) {
  const Type *e;
  switch (p->k) {
  case P_ANY: return strict ? NULL : TY_ERROR_T;
  case P_STRING: return TY_STRING_T;
  case P_INT: return TY_INT_T;
  case P_FLOAT: return TY_FLOAT_T;
  case P_BOOL: return TY_BOOL_T;
  case P_NUMBER: return b->n ? b->n : strict ? NULL : TY_INT_T;
  case P_T: return b->t ? b->t : strict ? NULL : TY_NOTHING_T;
  case P_U: return b->u ? b->u : strict ? NULL : TY_NOTHING_T;
  case P_LIST: case P_MAP: case P_OPT: case P_SECRET:
    if (!(e = inst(tc, p->a, b, strict))) return NULL;
    return p->k == P_LIST ? ty_list(tc, e) : p->k == P_MAP ? ty_map(tc, e)
         : p->k == P_OPT ? ty_optional(tc, e) : ty_secret(tc, e);
  case P_ALT: return NULL;
  case P_MATCH: return b->m ? b->m : strict ? NULL : TY_ERROR_T;
  }
  return NULL;
}

const Type *bi_param_type(TypeCtx *tc, const Builtin *b, uint32_t i) {
  if (!b->nparams) return NULL;
  const BiParam *bp = &b->params[i < b->nparams ? i : b->nparams - 1];
  Bind none = {0};
  return inst(tc, bp->pat, &none, true);
}

const Type *bi_type_call(TypeCtx *tc, const Builtin *b, const Type *const *args,
                         uint32_t nargs, uint32_t *bad, const char **want) {
  Bind bind = {0};
  for (uint32_t i = 0; i < nargs; i++) {
    uint32_t pi = i < b->nparams ? i : b->nparams - 1;
    const BiParam *bp = &b->params[pi];
    if (!match(tc, bp->pat, args[i], &bind)) {
      *bad = i;
      const Type *w = inst(tc, bp->pat, &bind, true);
      *want = w ? ty_show(tc, w) : bp->text;
      return NULL;
    }
  }
  return inst(tc, b->ret, &bind, false);
}

/* regex/regexall: the pattern must be a constant, so its capture groups give the type
 * (docs/stdlib.md "Regular expressions"; E0317 otherwise). */
const Type *bi_type_hook(TypeCtx *tc, Interner *strs, const Builtin *b,
                         const Value *const *vals, uint32_t n, uint32_t *bad,
                         const char **msg) {
  *bad = 0;
  const Value *pat = n > 0 ? vals[0] : NULL;
  if (!pat || pat->kind != V_STRING) {
    *msg = arena_printf(tc->arena, "the pattern of %s must be a constant string, so that the "
                        "type of its result is known", b->name);
    return NULL;
  }
  SlReShape shape;
  const char *err = NULL;
  if (!sl_regex_shape(tc->arena, pat->u.s, pat->n, &shape, &err)) {
    *msg = arena_printf(tc->arena, "%s: %s", b->name, err);
    return NULL;
  }
  Bind bind = {0};
  const Type *group = ty_optional(tc, TY_STRING_T);
  if (shape.kind == SL_RE_WHOLE) bind.m = TY_STRING_T;
  else if (shape.kind == SL_RE_LIST) bind.m = ty_list(tc, group);
  else {
    RecField *fs = arena_alloc(tc->arena, shape.ngroups * sizeof *fs);
    for (uint32_t i = 0; i < shape.ngroups; i++) {
      fs[i].name = intern_cstr(strs, shape.names[i]);
      fs[i].type = group;
      fs[i].span = span_make(SPAN_NO_FILE, 0, 0);
    }
    bind.m = ty_record(tc, fs, shape.ngroups);
  }
  return inst(tc, b->ret, &bind, false);
}
