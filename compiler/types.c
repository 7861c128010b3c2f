/* Types: construction, hash-consing, assignability and printing (see types.h).
 * Scopes, expressions and diagnostics are the checker's (check.c); this file only answers
 * questions about types.  Every recursive function here is bounded by Type.depth, which
 * the checker keeps under TY_MAX_DEPTH. */
#include "compiler/types.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRIM(name, k) const Type name = {.kind = k, .depth = 1, .hash = (uint32_t)(k) * 2654435761u}
PRIM(ty_error_, TY_ERROR);
PRIM(ty_nothing_, TY_NOTHING);
PRIM(ty_null_, TY_NULL);
PRIM(ty_bool_, TY_BOOL);
PRIM(ty_int_, TY_INT);
PRIM(ty_float_, TY_FLOAT);
PRIM(ty_string_, TY_STRING);
#undef PRIM

void ty_init(TypeCtx *tc, Arena *arena, SourceMap *sources) {
  memset(tc, 0, sizeof *tc);
  tc->arena = arena;
  tc->sources = sources;
  tc->cap = 256;
  tc->slots = arena_calloc(arena, tc->cap, sizeof *tc->slots);
}

static uint16_t depth_of(const Type *elem) {
  return (uint16_t)(elem->depth < UINT16_MAX - 1 ? elem->depth + 1 : UINT16_MAX - 1);
}

/* ---- hash-consing of the one-element constructors -------------------------------- */
static uint32_t cons_hash(TypeKind k, const Type *elem) {
  uintptr_t p = (uintptr_t)elem;
  uint32_t h = (uint32_t)(p ^ (p >> 32)) * 2654435761u;
  return h ^ ((uint32_t)k * 0x9E3779B9u);
}

static void cons_rehash(TypeCtx *tc) {
  uint32_t ncap = tc->cap * 2;
  Type **ns = arena_calloc(tc->arena, ncap, sizeof *ns);
  for (uint32_t i = 0; i < tc->cap; i++) {
    Type *t = tc->slots[i];
    if (!t) continue;
    uint32_t j = t->hash & (ncap - 1);
    while (ns[j]) j = (j + 1) & (ncap - 1);
    ns[j] = t;
  }
  tc->slots = ns;
  tc->cap = ncap;
}

static const Type *cons(TypeCtx *tc, TypeKind k, const Type *elem) {
  uint32_t h = cons_hash(k, elem);
  uint32_t j = h & (tc->cap - 1);
  for (Type *t; (t = tc->slots[j]); j = (j + 1) & (tc->cap - 1))
    if (t->hash == h && t->kind == k && t->u.elem == elem) return t;
  Type *t = arena_alloc(tc->arena, sizeof *t);
  t->kind = k;
  t->hash = h;
  t->depth = depth_of(elem);
  t->u.elem = elem;
  tc->slots[j] = t;
  if (++tc->count * 4 > tc->cap * 3) cons_rehash(tc);
  return t;
}

const Type *ty_list(TypeCtx *tc, const Type *elem) {
  if (elem->kind == TY_ERROR) return elem;
  return cons(tc, TY_LIST, elem);
}

const Type *ty_map(TypeCtx *tc, const Type *elem) {
  if (elem->kind == TY_ERROR) return elem;
  return cons(tc, TY_MAP, elem);
}

const Type *ty_optional(TypeCtx *tc, const Type *elem) {
  const Type *u = ty_unalias(elem);
  if (u->kind == TY_ERROR || u->kind == TY_NULL || u->kind == TY_OPTIONAL) return elem;
  return cons(tc, TY_OPTIONAL, elem);
}

const Type *ty_secret(TypeCtx *tc, const Type *elem) {
  if (elem->kind == TY_ERROR || elem->kind == TY_SECRET) return elem;
  return cons(tc, TY_SECRET, elem);
}

static Type *new_type(TypeCtx *tc, TypeKind k) {
  Type *t = arena_alloc(tc->arena, sizeof *t);
  t->kind = k;
  t->depth = 1;
  return t;
}

/* ---- name indexes: records, unions and resource types with many names -------------- */
/* Below this many names a linear scan is faster than hashing. */
#define INDEX_MIN 16

static uint32_t text_hash(const char *s, uint32_t len) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static uint32_t index_cap(uint32_t n) {
  uint32_t cap = 32;
  while (cap < n * 2) cap *= 2;
  return cap;
}

/* Open addressing: slot holds position + 1; [hash_of] gives each position's hash. */
static void index_put(uint32_t *idx, uint32_t cap, uint32_t hash, uint32_t pos) {
  uint32_t j = hash & (cap - 1);
  while (idx[j]) j = (j + 1) & (cap - 1);
  idx[j] = pos + 1;
}

const Type *ty_record(TypeCtx *tc, const RecField *fields, uint32_t n) {
  Type *t = new_type(tc, TY_RECORD);
  RecField *fs = n ? arena_calloc(tc->arena, n, sizeof *fs) : NULL;
  if (n) memcpy(fs, fields, n * sizeof *fs);
  t->u.rec.fields = fs;
  t->u.rec.nfields = n;
  for (uint32_t i = 0; i < n; i++) {
    uint16_t d = depth_of(fs[i].type);
    if (d > t->depth) t->depth = d;
    if (!fs[i].has_default) t->u.rec.nrequired++;
  }
  if (n > INDEX_MIN) {
    t->u.rec.idxcap = index_cap(n);
    t->u.rec.idx = arena_calloc(tc->arena, t->u.rec.idxcap, sizeof *t->u.rec.idx);
    for (uint32_t i = 0; i < n; i++)
      if (fs[i].name && !ty_field(t, fs[i].name))   /* the first of duplicates wins */
        index_put(t->u.rec.idx, t->u.rec.idxcap, fs[i].name->hash, i);
  }
  return t;
}

const Type *ty_union(TypeCtx *tc, const Str *const *members, uint32_t n) {
  Type *t = new_type(tc, TY_UNION);
  const Str **ms = n ? arena_calloc(tc->arena, n, sizeof *ms) : NULL;
  if (n) memcpy(ms, members, n * sizeof *ms);
  t->u.uni.members = ms;
  t->u.uni.nmembers = n;
  if (n > INDEX_MIN) {
    t->u.uni.idxcap = index_cap(n);
    t->u.uni.idx = arena_calloc(tc->arena, t->u.uni.idxcap, sizeof *t->u.uni.idx);
    for (uint32_t i = 0; i < n; i++)
      index_put(t->u.uni.idx, t->u.uni.idxcap, text_hash(ms[i]->s, ms[i]->len), i);
  }
  return t;
}

void ty_res_index(TypeCtx *tc, ResType *rt) {
  uint32_t n = rt->ninputs + rt->noutputs + rt->nmembers;
  rt->nrequired = 0;
  for (uint32_t i = 0; i < rt->ninputs; i++)
    if (!rt->inputs[i].has_default) rt->nrequired++;
  rt->idx = NULL;
  rt->idxcap = 0;
  if (n <= INDEX_MIN) return;
  rt->idxcap = index_cap(n);
  rt->idx = arena_calloc(tc->arena, rt->idxcap, sizeof *rt->idx);
  /* positions: inputs, then outputs, then members; earlier lists win on a clash */
  for (uint32_t pos = 0; pos < n; pos++) {
    const RecField *f = pos < rt->ninputs ? &rt->inputs[pos]
                      : pos < rt->ninputs + rt->noutputs ? &rt->outputs[pos - rt->ninputs]
                      : &rt->members[pos - rt->ninputs - rt->noutputs];
    if (f->name) index_put(rt->idx, rt->idxcap, f->name->hash, pos);
  }
}

const RecField *ty_res_find(const ResType *rt, const Str *name, ResPart *part, uint32_t *index) {
  if (!name) return NULL;
  if (rt->idx) {
    uint32_t best = UINT32_MAX;
    for (uint32_t j = name->hash & (rt->idxcap - 1); rt->idx[j]; j = (j + 1) & (rt->idxcap - 1)) {
      uint32_t pos = rt->idx[j] - 1;
      const RecField *f = pos < rt->ninputs ? &rt->inputs[pos]
                        : pos < rt->ninputs + rt->noutputs ? &rt->outputs[pos - rt->ninputs]
                        : &rt->members[pos - rt->ninputs - rt->noutputs];
      if (f->name == name && pos < best) best = pos;
    }
    if (best == UINT32_MAX) return NULL;
    if (best < rt->ninputs) { *part = RP_INPUT; *index = best; return &rt->inputs[best]; }
    best -= rt->ninputs;
    if (best < rt->noutputs) { *part = RP_OUTPUT; *index = best; return &rt->outputs[best]; }
    best -= rt->noutputs;
    *part = RP_MEMBER;
    *index = best;
    return &rt->members[best];
  }
  for (uint32_t i = 0; i < rt->ninputs; i++)
    if (rt->inputs[i].name == name) { *part = RP_INPUT; *index = i; return &rt->inputs[i]; }
  for (uint32_t i = 0; i < rt->noutputs; i++)
    if (rt->outputs[i].name == name) { *part = RP_OUTPUT; *index = i; return &rt->outputs[i]; }
  for (uint32_t i = 0; i < rt->nmembers; i++)
    if (rt->members[i].name == name) { *part = RP_MEMBER; *index = i; return &rt->members[i]; }
  return NULL;
}

const Type *ty_alias(TypeCtx *tc, const Str *name, const Type *target, struct Sym *sym) {
  Type *t = new_type(tc, TY_ALIAS);
  t->u.alias.name = name;
  t->u.alias.target = target;
  t->u.alias.flat = target->kind == TY_ALIAS ? target->u.alias.flat : target;
  t->u.alias.sym = sym;
  t->depth = target->depth;      /* a name adds no nesting; `flat` makes chains free */
  return t;
}

const Type *ty_refined(TypeCtx *tc, const Type *base, Expr *pred, struct Sym *self, Span span) {
  if (base->kind == TY_ERROR) return base;
  Type *t = new_type(tc, TY_REFINED);
  t->u.ref.base = base;
  t->u.ref.pred = pred;
  t->u.ref.self = self;
  t->u.ref.span = span;
  t->depth = depth_of(base);
  return t;
}

const Type *ty_resource(TypeCtx *tc, ResType *rt) {
  if (rt->type) return rt->type;
  Type *t = new_type(tc, TY_RESOURCE);
  t->u.res = rt;
  rt->type = t;
  return t;
}

const Type *ty_module(TypeCtx *tc, struct Module *mod, const Str *name) {
  Type *t = new_type(tc, TY_MODULE);
  t->u.mod.mod = mod;
  t->u.mod.name = name;
  return t;
}

const Type *ty_fn(TypeCtx *tc, const Str *name, const FnParamT *params, uint32_t n,
                  bool variadic, const Type *ret) {
  Type *t = new_type(tc, TY_FN);
  FnParamT *ps = n ? arena_calloc(tc->arena, n, sizeof *ps) : NULL;
  if (n) memcpy(ps, params, n * sizeof *ps);
  t->u.fn.params = ps;
  t->u.fn.nparams = n;
  t->u.fn.variadic = variadic;
  t->u.fn.ret = ret;
  t->u.fn.name = name;
  return t;
}

/* ---- views ------------------------------------------------------------------------- */
const Type *ty_unalias(const Type *t) {
  return t->kind == TY_ALIAS ? t->u.alias.flat : t;
}

const Type *ty_base(const Type *t) {
  for (;;) {
    if (t->kind == TY_ALIAS) t = t->u.alias.flat;
    else if (t->kind == TY_REFINED) t = t->u.ref.base;
    else if (t->kind == TY_SECRET) t = t->u.elem;
    else return t;
  }
}

bool ty_is_secret(const Type *t) {
  for (;;) {
    if (t->kind == TY_ALIAS) t = t->u.alias.flat;
    else if (t->kind == TY_REFINED) t = t->u.ref.base;
    else return t->kind == TY_SECRET;
  }
}

static bool contains_secret(const Type *t, int depth, uint32_t *steps) {
  if (depth > TY_MAX_DEPTH || ++*steps > TY_MAX_STEPS) return false;
  t = ty_unalias(t);
  switch (t->kind) {
  case TY_SECRET: return true;
  case TY_REFINED: return contains_secret(t->u.ref.base, depth + 1, steps);
  case TY_LIST: case TY_MAP: case TY_OPTIONAL: return contains_secret(t->u.elem, depth + 1, steps);
  case TY_RECORD:
    for (uint32_t i = 0; i < t->u.rec.nfields; i++)
      if (contains_secret(t->u.rec.fields[i].type, depth + 1, steps)) return true;
    return false;
  default: return false;
  }
}
bool ty_contains_secret(const Type *t) { uint32_t steps = 0; return contains_secret(t, 0, &steps); }

bool ty_is_error(const Type *t) { return ty_base(t)->kind == TY_ERROR; }

static bool contains_nothing(const Type *t, int depth, uint32_t *steps) {
  if (depth > TY_MAX_DEPTH || ++*steps > TY_MAX_STEPS) return false;
  t = ty_base(t);
  switch (t->kind) {
  case TY_NOTHING: return true;
  case TY_LIST: case TY_MAP: case TY_OPTIONAL: return contains_nothing(t->u.elem, depth + 1, steps);
  case TY_RECORD:
    for (uint32_t i = 0; i < t->u.rec.nfields; i++)
      if (contains_nothing(t->u.rec.fields[i].type, depth + 1, steps)) return true;
    return false;
  default: return false;
  }
}
bool ty_contains_nothing(const Type *t) { uint32_t steps = 0; return contains_nothing(t, 0, &steps); }

bool ty_is_numeric(const Type *t) {
  t = ty_base(t);
  return t->kind == TY_INT || t->kind == TY_FLOAT;
}

bool ty_is_stringish(const Type *t) {
  t = ty_base(t);
  return t->kind == TY_STRING || t->kind == TY_UNION;
}

const RecField *ty_field(const Type *rec, const Str *name) {
  rec = ty_base(rec);
  if (rec->kind != TY_RECORD || !name) return NULL;
  if (rec->u.rec.idx) {
    uint32_t cap = rec->u.rec.idxcap;
    for (uint32_t j = name->hash & (cap - 1); rec->u.rec.idx[j]; j = (j + 1) & (cap - 1)) {
      const RecField *f = &rec->u.rec.fields[rec->u.rec.idx[j] - 1];
      if (f->name == name) return f;
    }
    return NULL;
  }
  for (uint32_t i = 0; i < rec->u.rec.nfields; i++)
    if (rec->u.rec.fields[i].name == name) return &rec->u.rec.fields[i];
  return NULL;
}

uint32_t ty_refinements(const Type *t, const Type **out, uint32_t max) {
  uint32_t n = 0;
  for (;;) {
    if (t->kind == TY_ALIAS) t = t->u.alias.flat;
    else if (t->kind == TY_SECRET) t = t->u.elem;
    else if (t->kind == TY_REFINED) {
      if (n < max) out[n++] = t;
      t = t->u.ref.base;
    } else return n;
  }
}

bool ty_union_has(const Type *uni, const char *s, uint32_t len) {
  uni = ty_base(uni);
  if (uni->kind != TY_UNION) return false;
  if (uni->u.uni.idx) {
    uint32_t cap = uni->u.uni.idxcap;
    for (uint32_t j = text_hash(s, len) & (cap - 1); uni->u.uni.idx[j]; j = (j + 1) & (cap - 1)) {
      const Str *m = uni->u.uni.members[uni->u.uni.idx[j] - 1];
      if (m->len == len && memcmp(m->s, s, len) == 0) return true;
    }
    return false;
  }
  for (uint32_t i = 0; i < uni->u.uni.nmembers; i++) {
    const Str *m = uni->u.uni.members[i];
    if (m->len == len && memcmp(m->s, s, len) == 0) return true;
  }
  return false;
}

/* ---- equality and assignability ------------------------------------------------------ */
static bool union_subset(const Type *a, const Type *b) {
  for (uint32_t i = 0; i < a->u.uni.nmembers; i++)
    if (!ty_union_has(b, a->u.uni.members[i]->s, a->u.uni.members[i]->len)) return false;
  return true;
}

static bool equal(const Type *a, const Type *b, int depth, uint32_t *steps) {
  if (a == b) return true;
  if (depth > TY_MAX_DEPTH || ++*steps > TY_MAX_STEPS) return false;
  /* secret is part of the type for equality; aliases and refinements are not */
  while (a->kind == TY_ALIAS || a->kind == TY_REFINED)
    a = a->kind == TY_ALIAS ? a->u.alias.flat : a->u.ref.base;
  while (b->kind == TY_ALIAS || b->kind == TY_REFINED)
    b = b->kind == TY_ALIAS ? b->u.alias.flat : b->u.ref.base;
  if (a == b) return true;
  if (a->kind != b->kind) return false;
  switch (a->kind) {
  case TY_LIST: case TY_MAP: case TY_OPTIONAL: case TY_SECRET:
    return equal(a->u.elem, b->u.elem, depth + 1, steps);
  case TY_RECORD:
    if (a->u.rec.nfields != b->u.rec.nfields) return false;
    for (uint32_t i = 0; i < a->u.rec.nfields; i++) {
      const RecField *fa = &a->u.rec.fields[i];
      const RecField *fb = ty_field(b, fa->name);
      if (!fb || fa->has_default != fb->has_default || !equal(fa->type, fb->type, depth + 1, steps))
        return false;
    }
    return true;
  case TY_UNION:
    return a->u.uni.nmembers == b->u.uni.nmembers && union_subset(a, b);
  case TY_RESOURCE: return a->u.res == b->u.res;
  case TY_MODULE: return a->u.mod.mod == b->u.mod.mod;
  case TY_FN: return false;
  default: return true;   /* primitives of the same kind */
  }
}
bool ty_equal(const Type *a, const Type *b) { uint32_t steps = 0; return equal(a, b, 0, &steps); }

static bool assignable(const Type *from, const Type *to, int depth, uint32_t *steps) {
  if (from == to) return true;
  if (depth > TY_MAX_DEPTH || ++*steps > TY_MAX_STEPS) return false;
  from = ty_base(from);
  to = ty_base(to);
  if (from == to) return true;
  if (from->kind == TY_ERROR || to->kind == TY_ERROR || from->kind == TY_NOTHING) return true;
  if (to->kind == TY_OPTIONAL) {
    if (from->kind == TY_NULL) return true;
    if (from->kind == TY_OPTIONAL) return assignable(from->u.elem, to->u.elem, depth + 1, steps);
    return assignable(from, to->u.elem, depth + 1, steps);
  }
  switch (to->kind) {
  case TY_FLOAT: return from->kind == TY_FLOAT || from->kind == TY_INT;
  case TY_INT: case TY_BOOL: case TY_NULL: return from->kind == to->kind;
  case TY_STRING: return from->kind == TY_STRING || from->kind == TY_UNION;
  case TY_UNION: return from->kind == TY_UNION && union_subset(from, to);
  case TY_LIST: return from->kind == TY_LIST && assignable(from->u.elem, to->u.elem, depth + 1, steps);
  case TY_MAP:
    if (from->kind == TY_MAP) return assignable(from->u.elem, to->u.elem, depth + 1, steps);
    if (from->kind == TY_RECORD) {
      for (uint32_t i = 0; i < from->u.rec.nfields; i++)
        if (!assignable(from->u.rec.fields[i].type, to->u.elem, depth + 1, steps)) return false;
      return true;
    }
    return false;
  case TY_RECORD: {
    if (from->kind != TY_RECORD) return false;
    for (uint32_t i = 0; i < from->u.rec.nfields; i++)
      if (!ty_field(to, from->u.rec.fields[i].name)) return false;
    for (uint32_t i = 0; i < to->u.rec.nfields; i++) {
      const RecField *tf = &to->u.rec.fields[i];
      const RecField *ff = ty_field(from, tf->name);
      if (!ff) {
        if (!tf->has_default) return false;
      } else if (!assignable(ff->type, tf->type, depth + 1, steps)) {
        return false;
      }
    }
    return true;
  }
  case TY_RESOURCE: return from->kind == TY_RESOURCE && from->u.res == to->u.res;
  default: return false;
  }
}
bool ty_assignable(const Type *from, const Type *to) { uint32_t steps = 0; return assignable(from, to, 0, &steps); }

static const Type *join(TypeCtx *tc, const Type *a, const Type *b, int depth, uint32_t *steps) {
  if (depth > TY_MAX_DEPTH || ++*steps > TY_MAX_STEPS) return NULL;
  if (a == b || equal(a, b, depth, steps)) return a;
  if (ty_is_secret(a) || ty_is_secret(b)) {
    const Type *j = join(tc, ty_base(a), ty_base(b), depth + 1, steps);
    return j ? ty_secret(tc, j) : NULL;
  }
  const Type *ua = ty_base(a), *ub = ty_base(b);
  if (ua->kind == TY_ERROR || ub->kind == TY_NOTHING) return a;
  if (ub->kind == TY_ERROR || ua->kind == TY_NOTHING) return b;
  if (equal(ua, ub, depth, steps)) return ua;
  if (ua->kind == TY_NULL) return ty_optional(tc, b);
  if (ub->kind == TY_NULL) return ty_optional(tc, a);
  if (ua->kind == TY_OPTIONAL || ub->kind == TY_OPTIONAL) {
    const Type *ea = ua->kind == TY_OPTIONAL ? ua->u.elem : a;
    const Type *eb = ub->kind == TY_OPTIONAL ? ub->u.elem : b;
    const Type *j = join(tc, ea, eb, depth + 1, steps);
    return j ? ty_optional(tc, j) : NULL;
  }
  if (ty_is_numeric(ua) && ty_is_numeric(ub)) return TY_FLOAT_T;
  if (ty_is_stringish(ua) && ty_is_stringish(ub)) {
    if (ua->kind == TY_UNION && ub->kind == TY_UNION) {
      if (union_subset(ua, ub)) return b;
      if (union_subset(ub, ua)) return a;
    }
    return TY_STRING_T;
  }
  /* a record whose fields all meet the map's element type is a map of it (§3) */
  if ((ua->kind == TY_MAP && ub->kind == TY_RECORD) || (ua->kind == TY_RECORD && ub->kind == TY_MAP)) {
    const Type *m = ua->kind == TY_MAP ? ua : ub, *r = ua->kind == TY_MAP ? ub : ua;
    const Type *j = m->u.elem;
    for (uint32_t i = 0; i < r->u.rec.nfields && j; i++)
      j = join(tc, j, r->u.rec.fields[i].type, depth + 1, steps);
    return j ? ty_map(tc, j) : NULL;
  }
  if (ua->kind != ub->kind) return NULL;
  switch (ua->kind) {
  case TY_LIST: case TY_MAP: {
    const Type *j = join(tc, ua->u.elem, ub->u.elem, depth + 1, steps);
    if (!j) return NULL;
    return ua->kind == TY_LIST ? ty_list(tc, j) : ty_map(tc, j);
  }
  case TY_RECORD: {
    if (ua->u.rec.nfields != ub->u.rec.nfields) return NULL;
    RecField *fs = arena_calloc(tc->arena, ua->u.rec.nfields ? ua->u.rec.nfields : 1, sizeof *fs);
    for (uint32_t i = 0; i < ua->u.rec.nfields; i++) {
      const RecField *fb = ty_field(ub, ua->u.rec.fields[i].name);
      if (!fb) return NULL;
      fs[i] = ua->u.rec.fields[i];
      fs[i].type = join(tc, ua->u.rec.fields[i].type, fb->type, depth + 1, steps);
      if (!fs[i].type) return NULL;
    }
    return ty_record(tc, fs, ua->u.rec.nfields);
  }
  default: return NULL;
  }
}
const Type *ty_join(TypeCtx *tc, const Type *a, const Type *b) { uint32_t steps = 0; return join(tc, a, b, 0, &steps); }

/* ---- printing ------------------------------------------------------------------------ */
typedef PlatBuf Buf;
static void buf_put(Buf *b, const char *s, size_t n) { plat_buf_put(b, s, n); }
static void buf_puts(Buf *b, const char *s) { plat_buf_puts(b, s); }

/* The source text of [span] if it is short and on one line, else NULL. */
static const char *span_text(TypeCtx *tc, Span sp, size_t *len) {
  const SourceFile *f = tc->sources ? source_file(tc->sources, sp.file) : NULL;
  if (!f || sp.end > f->len || sp.end <= sp.start || sp.end - sp.start > 40) return NULL;
  if (memchr(f->text + sp.start, '\n', sp.end - sp.start)) return NULL;
  *len = sp.end - sp.start;
  return f->text + sp.start;
}

static void show(TypeCtx *tc, Buf *b, const Type *t, int depth, bool in_union_or_opt) {
  if (depth > TY_MAX_DEPTH || b->n > TY_SHOW_MAX) { buf_puts(b, "..."); return; }
  switch (t->kind) {
  case TY_ERROR: buf_puts(b, "{error}"); break;
  case TY_NOTHING: buf_puts(b, "unknown"); break;
  case TY_NULL: buf_puts(b, "null"); break;
  case TY_BOOL: buf_puts(b, "bool"); break;
  case TY_INT: buf_puts(b, "int"); break;
  case TY_FLOAT: buf_puts(b, "float"); break;
  case TY_STRING: buf_puts(b, "string"); break;
  case TY_LIST: case TY_MAP:
    buf_puts(b, t->kind == TY_LIST ? "list<" : "map<");
    show(tc, b, t->u.elem, depth + 1, false);
    buf_puts(b, ">");
    break;
  case TY_RECORD:
    if (t->u.rec.nfields == 0) { buf_puts(b, "{}"); break; }
    buf_puts(b, "{ ");
    for (uint32_t i = 0; i < t->u.rec.nfields && b->n <= TY_SHOW_MAX; i++) {
      const RecField *f = &t->u.rec.fields[i];
      if (i) buf_puts(b, ", ");
      buf_put(b, f->name->s, f->name->len);
      buf_puts(b, ": ");
      show(tc, b, f->type, depth + 1, false);
      if (f->has_default) {
        size_t n;
        const char *txt = f->deflt ? span_text(tc, f->deflt->span, &n) : NULL;
        buf_puts(b, " = ");
        if (txt) buf_put(b, txt, n); else buf_puts(b, "...");
      }
    }
    buf_puts(b, " }");
    break;
  case TY_OPTIONAL: {
    const Type *e = ty_unalias(t->u.elem);
    /* a union parenthesizes itself when [in_union_or_opt] */
    bool paren = e->kind == TY_REFINED || e->kind == TY_SECRET;
    if (t->u.elem->kind == TY_ALIAS) paren = false;
    if (paren) buf_puts(b, "(");
    show(tc, b, t->u.elem, depth + 1, true);
    if (paren) buf_puts(b, ")");
    buf_puts(b, "?");
    break;
  }
  case TY_UNION:
    if (in_union_or_opt && t->u.uni.nmembers > 1) buf_puts(b, "(");
    for (uint32_t i = 0; i < t->u.uni.nmembers && b->n <= TY_SHOW_MAX; i++) {
      if (i) buf_puts(b, " | ");
      buf_puts(b, "\"");
      buf_put(b, t->u.uni.members[i]->s, t->u.uni.members[i]->len);
      buf_puts(b, "\"");
    }
    if (in_union_or_opt && t->u.uni.nmembers > 1) buf_puts(b, ")");
    break;
  case TY_SECRET:
    buf_puts(b, "secret ");
    show(tc, b, t->u.elem, depth + 1, false);
    break;
  case TY_ALIAS: buf_put(b, t->u.alias.name->s, t->u.alias.name->len); break;
  case TY_REFINED: {
    show(tc, b, t->u.ref.base, depth + 1, false);
    size_t n;
    const char *txt = t->u.ref.pred ? span_text(tc, t->u.ref.pred->span, &n) : NULL;
    buf_puts(b, " where ");
    if (txt) buf_put(b, txt, n); else buf_puts(b, "...");
    break;
  }
  case TY_RESOURCE: buf_puts(b, t->u.res->qual); break;
  case TY_MODULE:
    buf_puts(b, "module ");
    if (t->u.mod.name) buf_put(b, t->u.mod.name->s, t->u.mod.name->len);
    break;
  case TY_FN:
    if (t->u.fn.sig) { buf_puts(b, t->u.fn.sig); break; }
    if (t->u.fn.name) buf_put(b, t->u.fn.name->s, t->u.fn.name->len);
    buf_puts(b, "(");
    for (uint32_t i = 0; i < t->u.fn.nparams; i++) {
      const FnParamT *p = &t->u.fn.params[i];
      if (i) buf_puts(b, ", ");
      buf_put(b, p->name->s, p->name->len);
      buf_puts(b, ": ");
      if (p->type) show(tc, b, p->type, depth + 1, false); else buf_puts(b, "any");
      if (p->optional) buf_puts(b, " = ...");
    }
    buf_puts(b, ")");
    if (t->u.fn.ret) {
      buf_puts(b, ": ");
      show(tc, b, t->u.fn.ret, depth + 1, false);
    }
    break;
  }
}

const char *ty_show(TypeCtx *tc, const Type *t) {
  Buf b = {0};
  show(tc, &b, t, 0, false);
  if (b.n > TY_SHOW_MAX + 3) {
    size_t n = TY_SHOW_MAX;
    while (n > 0 && ((unsigned char)b.s[n] & 0xC0) == 0x80) n--;   /* a whole UTF-8 char */
    b.n = n;
    buf_puts(&b, "...");
  }
  char *s = arena_strndup(tc->arena, b.s ? b.s : "", b.n);
  free(b.s);
  return s;
}
