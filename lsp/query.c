/* The query index: every identifier occurrence of a checked program, with what it names
 * (a symbol or a property) and where that is declared, sorted by place and by declaration,
 * so definition, references, highlight, rename and hover are binary searches.  Built once
 * per check from the AST the checker annotated (Expr.ty, EX_NAME's sym, Decl.sym, the
 * ResTypes' fields); it changes nothing in the program.  Completion and signature help are
 * in complete.c; JSON is features.c's. */
#include "lsp/query.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/builtins.h"
#include "compiler/checker.h"   /* mod_provider_names: every provider a `use` could name */
#include "lsp/query_int.h"

/* ---- building ------------------------------------------------------------------------------ */
typedef struct Walk {
  LspIndex *ix;
  Module *mod;
  uint32_t depth;
} Walk;

/* Deep enough for any tree the parser accepts (PARSE_MAX_DEPTH), bounded for the rest. */
#define WALK_MAX_DEPTH 2048

static void add_occ(Walk *w, Span at, Span def, const Sym *sym, const RecField *f,
                    const ResType *owner, LspRole role, const Expr *e) {
  if (at.file == SPAN_NO_FILE || at.end <= at.start) return;
  LspIndex *ix = w->ix;
  if (ix->nocc == ix->capocc) {
    ix->capocc = ix->capocc ? ix->capocc * 2 : 1024;
    ix->occs = plat_xrealloc(ix->occs, ix->capocc * sizeof *ix->occs);
  }
  LspOcc *o = &ix->occs[ix->nocc++];
  *o = (LspOcc){at, def, sym, f, owner, e ? e->ty : NULL, (uint8_t)role,
                e ? e->phase : 0, e ? e->secret : false};
}

static void add_sym(Walk *w, Span at, const Sym *s, LspRole role, const Expr *e) {
  if (s) add_occ(w, at, s->span, s, NULL, NULL, role, e);
}

static void add_field(Walk *w, Span at, const RecField *f, const ResType *owner, LspRole role,
                      const Expr *e) {
  if (!f) return;
  /* a component's param, output or nested resource: the symbol too, so the uses inside
   * the component (EX_NAMEs) and through instances are one set */
  add_occ(w, at, f->span, f->sym, f, owner, role, e);
}

static void add_hint(Walk *w, uint32_t file, uint32_t off, const Type *ty, const char *label) {
  LspIndex *ix = w->ix;
  if (ix->nhints == ix->caphints) {
    ix->caphints = ix->caphints ? ix->caphints * 2 : 256;
    ix->hints = plat_xrealloc(ix->hints, ix->caphints * sizeof *ix->hints);
  }
  ix->hints[ix->nhints++] = (QHint){file, off, ty, label};
}

static void add_call(Walk *w, Expr *e) {
  LspIndex *ix = w->ix;
  if (ix->ncalls == ix->capcalls) {
    ix->capcalls = ix->capcalls ? ix->capcalls * 2 : 256;
    ix->calls = plat_xrealloc(ix->calls, ix->capcalls * sizeof *ix->calls);
  }
  ix->calls[ix->ncalls++] = e;
}

/* The resource type or record type a value of type [t] has members of. */
static const Type *member_base(const Type *t) {
  if (!t) return NULL;
  const Type *b = ty_base(t);
  if (b->kind == TY_OPTIONAL) b = ty_base(b->u.elem);
  return b;
}

const RecField *lsp_member_field(const Type *objty, const Str *name, const ResType **owner) {
  const Type *b = member_base(objty);
  *owner = NULL;
  if (!b || !name) return NULL;
  if (b->kind == TY_RESOURCE) {
    ResPart part;
    uint32_t idx;
    *owner = b->u.res;
    return ty_res_find(b->u.res, name, &part, &idx);
  }
  if (b->kind == TY_RECORD) return ty_field(b, name);
  return NULL;
}

static void w_expr(Walk *w, Expr *e);

static void w_type(Walk *w, TypeExpr *te) {
  if (!te || w->depth > WALK_MAX_DEPTH) return;
  w->depth++;
  switch (te->kind) {
  case TE_ERROR: case TE_UNION: break;
  case TE_NAME: {
    Ident *parts = te->u.name.parts;
    if (!te->u.name.nparts || !parts[0].str) break;
    Sym *s = symtab_get(&w->mod->scope, parts[0].str);
    if (!s) s = symtab_get(&w->ix->prog->universe, parts[0].str);
    if (!s) break;
    add_sym(w, parts[0].span, s, LSP_ROLE_READ, NULL);
    if (te->u.name.nparts > 1 && (s->kind == SYM_PROVIDER || s->kind == SYM_IMPORT) &&
        s->target && parts[1].str)
      add_sym(w, parts[1].span, symtab_get(&s->target->scope, parts[1].str), LSP_ROLE_READ, NULL);
    break;
  }
  case TE_LIST: case TE_MAP: case TE_OPTIONAL: case TE_SECRET: w_type(w, te->u.elem); break;
  case TE_RECORD: {
    const Type *b = te->ty ? ty_base(te->ty) : NULL;
    for (uint32_t i = 0; i < te->u.record.nfields; i++) {
      TypeField *tf = &te->u.record.fields[i];
      if (b && b->kind == TY_RECORD && tf->name.str) {
        const RecField *f = ty_field(b, tf->name.str);
        if (f && f->span.start == tf->name.span.start && f->span.file == tf->name.span.file)
          add_field(w, tf->name.span, f, NULL, LSP_ROLE_DECL, NULL);
      }
      w_type(w, tf->type);
      w_expr(w, tf->deflt);
    }
    break;
  }
  case TE_REFINED: w_type(w, te->u.refined.base); w_expr(w, te->u.refined.pred); break;
  }
  w->depth--;
}

/* The checker keeps a local's symbol only in the uses that name it, so a variable nobody
 * reads has none: make a stand-in (kind, type, phase) that lsp_index_new attaches to its
 * declaration when no use gave it the real one, so hover has something to say. */
static void add_local(Walk *w, Ident id, SymKind kind, const Type *ty, const Expr *src) {
  if (!id.str || id.span.file == SPAN_NO_FILE) return;
  add_occ(w, id.span, id.span, NULL, NULL, NULL, LSP_ROLE_DECL, NULL);
  LspIndex *ix = w->ix;
  Sym *s = arena_calloc(&ix->arena, 1, sizeof *s);
  s->kind = kind;
  s->name = id.str;
  s->span = id.span;
  s->type = ty;
  s->phase = src ? src->phase : PHASE_COMPILE;
  s->secret = src && src->secret;
  s->module = w->mod;
  s->node = UINT32_MAX;
  if (ix->nlocals == ix->caplocals) {
    ix->caplocals = ix->caplocals ? ix->caplocals * 2 : 64;
    ix->locals = plat_xrealloc(ix->locals, ix->caplocals * sizeof *ix->locals);
  }
  ix->locals[ix->nlocals++] = s;
}

/* `for a in xs` / `for a, b in xs`: as chk_iter types them (a list gives the index and the
 * element, a map the key and the value). */
static void w_for(Walk *w, ForClause *f) {
  const Type *src = f->source && f->source->ty ? ty_base(f->source->ty) : NULL;
  const Type *elem = src && (src->kind == TY_LIST || src->kind == TY_MAP) ? src->u.elem : NULL;
  if (src && src->kind == TY_RECORD && src->u.rec.nfields) {   /* a record of one value type */
    elem = src->u.rec.fields[0].type;
    for (uint32_t i = 1; elem && i < src->u.rec.nfields; i++)
      if (src->u.rec.fields[i].type != elem) elem = NULL;
  }
  const Type *first = elem;
  if (f->var2.str)   /* a record iterated as a map is keyed by strings too */
    first = !src ? NULL : src->kind == TY_LIST ? TY_INT_T
          : src->kind == TY_MAP || src->kind == TY_RECORD ? TY_STRING_T : NULL;
  add_local(w, f->var1, SYM_VAR, first, f->source);
  if (f->var2.str) add_local(w, f->var2, SYM_VAR, elem, f->source);
}

/* `name = value` fields of a body or literal checked against [rt] (inputs) or the record
 * type [rec]. */
static void w_fields(Walk *w, Field *fs, uint32_t n, const ResType *rt, const Type *rec) {
  for (uint32_t i = 0; i < n; i++) {
    Field *f = &fs[i];
    if (f->name.str) {   /* a quoted key ("a" = 1) names the field too: rename rewrites it */
      const RecField *rf = NULL;
      if (rt) {
        ResPart part;
        uint32_t idx;
        rf = ty_res_find(rt, f->name.str, &part, &idx);
        if (rf && part != RP_INPUT) rf = NULL;
      } else if (rec) {
        rf = ty_field(rec, f->name.str);
      }
      if (rf) {
        bool own = rf->span.file == f->name.span.file && rf->span.start == f->name.span.start;
        add_field(w, f->name.span, rf, rt, own ? LSP_ROLE_DECL : LSP_ROLE_WRITE, f->value);
      }
    }
    w_expr(w, f->value);
  }
}

static const ResType *res_of(const TypeExpr *te) {
  const Type *b = te && te->ty ? ty_base(te->ty) : NULL;
  return b && b->kind == TY_RESOURCE ? b->u.res : NULL;
}

static bool w_child(Expr *child, void *w) {
  w_expr(w, child);
  return false;
}

static void w_expr(Walk *w, Expr *e) {
  if (!e || w->depth > WALK_MAX_DEPTH) return;
  w->depth++;
  switch (e->kind) {
  case EX_NAME: add_sym(w, e->u.name.id.span, e->u.name.sym, LSP_ROLE_READ, e); break;
  case EX_RECORD: {
    const Type *b = member_base(e->ty);
    w_fields(w, e->u.record.fields, e->u.record.nfields, NULL,
             b && b->kind == TY_RECORD ? b : NULL);
    break;
  }
  case EX_MEMBER: {
    Expr *obj = e->u.member.obj;
    w_expr(w, obj);
    const Str *name = e->u.member.name.str;
    if (!obj || !name) break;
    if (obj->kind == EX_NAME && obj->u.name.sym &&
        (obj->u.name.sym->kind == SYM_IMPORT || obj->u.name.sym->kind == SYM_PROVIDER)) {
      Module *t = obj->u.name.sym->target;
      if (t) add_sym(w, e->u.member.name.span, symtab_get(&t->scope, name), LSP_ROLE_READ, e);
      break;
    }
    const ResType *owner;
    const RecField *f = lsp_member_field(obj->ty, name, &owner);
    add_field(w, e->u.member.name.span, f, owner, LSP_ROLE_READ, e);
    break;
  }
  case EX_CALL:
    add_call(w, e);
    ast_each_child(e, w_child, w);
    break;
  case EX_LIST_COMP:
    w_expr(w, e->u.lcomp.f.source);
    w_for(w, &e->u.lcomp.f);
    w_expr(w, e->u.lcomp.filter);
    w_expr(w, e->u.lcomp.elem);
    break;
  case EX_MAP_COMP:
    w_expr(w, e->u.mcomp.f.source);
    w_for(w, &e->u.mcomp.f);
    w_expr(w, e->u.mcomp.filter);
    w_expr(w, e->u.mcomp.key);
    w_expr(w, e->u.mcomp.value);
    break;
  case EX_INSTANCE:
    w_type(w, e->u.inst.type);
    w_fields(w, e->u.inst.fields, e->u.inst.nfields, res_of(e->u.inst.type), NULL);
    break;
  default:
    /* strings, lists, indexes, unary and binary operators, if: their child expressions */
    ast_each_child(e, w_child, w);
    break;
  }
  w->depth--;
}

/* @depends_on(a, b["k"]) reads resources; @ignore_changes(p) and @replace_on_change(p)
 * name properties of the resource's type [rt], which the resolver leaves unbound. */
static void w_decorator(Walk *w, Decorator *dc, const ResType *rt) {
  const char *n = dc->name.str ? dc->name.str->s : "";
  bool props = strcmp(n, "ignore_changes") == 0 || strcmp(n, "replace_on_change") == 0;
  for (uint32_t j = 0; j < dc->nargs; j++) {
    Expr *a = dc->args[j];
    if (props && rt && a && a->kind == EX_NAME && a->u.name.id.str) {
      ResPart part;
      uint32_t idx;
      const RecField *f = ty_res_find(rt, a->u.name.id.str, &part, &idx);
      if (f && part == RP_INPUT) add_field(w, a->u.name.id.span, f, rt, LSP_ROLE_READ, NULL);
      continue;
    }
    w_expr(w, a);
  }
}

/* A `let` or `output` without a written type gets its inferred type as a hint. */
static void hint_type(Walk *w, Decl *d, TypeExpr *written) {
  if (written || !d->sym || !d->name.str || !d->sym->type || ty_is_error(d->sym->type)) return;
  add_hint(w, d->name.span.file, d->name.span.end, d->sym->type, NULL);
}

static void w_decl(Walk *w, Decl *d) {
  if (!d || w->depth > WALK_MAX_DEPTH) return;
  w->depth++;
  Sym *s = d->sym;
  switch (d->kind) {
  case D_ERROR: break;
  case D_USE: {
    Ident id = d->u.use.provider.str ? d->u.use.provider : d->name;
    if (s) add_sym(w, id.span, s, LSP_ROLE_DECL, NULL);
    break;
  }
  case D_IMPORT:
    if (s) add_sym(w, d->u.import.alias.span, s, LSP_ROLE_DECL, NULL);
    break;
  case D_PARAM:
    if (s) add_sym(w, d->name.span, s, LSP_ROLE_DECL, NULL);
    w_type(w, d->u.param.type);
    w_expr(w, d->u.param.deflt);
    w_expr(w, d->u.param.where);
    break;
  case D_LET: case D_OUTPUT:
    if (s) add_sym(w, d->name.span, s, LSP_ROLE_DECL, NULL);
    w_type(w, d->u.let.type);
    w_expr(w, d->u.let.value);
    hint_type(w, d, d->u.let.type);
    break;
  case D_TYPE:
    if (s) add_sym(w, d->name.span, s, LSP_ROLE_DECL, NULL);
    w_type(w, d->u.alias.type);
    break;
  case D_FN:
    if (s) add_sym(w, d->name.span, s, LSP_ROLE_DECL, NULL);
    for (uint32_t i = 0; i < d->u.fn.nparams; i++) {
      FnParam *p = &d->u.fn.params[i];
      Sym *ps = s && i < s->nparams ? s->params[i] : NULL;
      if (ps && ps->span.start == p->name.span.start) add_sym(w, p->name.span, ps, LSP_ROLE_DECL, NULL);
      else if (p->name.str) add_occ(w, p->name.span, p->name.span, NULL, NULL, NULL, LSP_ROLE_DECL, NULL);
      w_type(w, p->type);
      w_expr(w, p->deflt);
    }
    w_type(w, d->u.fn.ret);
    w_expr(w, d->u.fn.body);
    break;
  case D_RESOURCE:
    if (s) add_sym(w, d->name.span, s, LSP_ROLE_DECL, NULL);
    for (uint32_t i = 0; i < d->ndecos; i++) w_decorator(w, &d->decos[i], res_of(d->u.res.type));
    w_type(w, d->u.res.type);
    if (d->u.res.each) {
      w_expr(w, d->u.res.each->source);
      w_for(w, d->u.res.each);
    }
    w_expr(w, d->u.res.cond);
    w_fields(w, d->u.res.fields, d->u.res.nfields, res_of(d->u.res.type), NULL);
    break;
  case D_COMPONENT:
    if (s) add_sym(w, d->name.span, s, LSP_ROLE_DECL, NULL);
    for (uint32_t i = 0; i < d->u.comp.nmembers; i++) w_decl(w, d->u.comp.members[i]);
    break;
  case D_POLICY:
    w_expr(w, d->u.policy.title);
    if (s && d->u.policy.var.str) add_sym(w, d->u.policy.var.span, s, LSP_ROLE_DECL, NULL);
    else add_local(w, d->u.policy.var, SYM_POLICYVAR,
                   d->u.policy.type && d->u.policy.type->ty ? d->u.policy.type->ty : NULL, NULL);
    w_type(w, d->u.policy.type);
    for (uint32_t i = 0; i < d->u.policy.nrules; i++) {
      w_expr(w, d->u.policy.rules[i].cond);
      w_expr(w, d->u.policy.rules[i].msg);
    }
    break;
  case D_TEST:
    w_expr(w, d->u.test.title);
    for (uint32_t i = 0; i < d->u.test.nstmts; i++) w_decl(w, d->u.test.stmts[i]);
    break;
  case D_MOVED: w_expr(w, d->u.moved.from); w_expr(w, d->u.moved.to); break;
  case D_SCHEMA:
    if (s) add_sym(w, d->name.span, s, LSP_ROLE_DECL, NULL);
    for (uint32_t i = 0; i < d->u.schema.nfields; i++) {
      TypeField *tf = &d->u.schema.fields[i];
      if (s && s->res && tf->name.str) {
        ResPart part;
        uint32_t idx;
        const RecField *f = ty_res_find(s->res, tf->name.str, &part, &idx);
        if (f && f->span.start == tf->name.span.start)
          add_field(w, tf->name.span, f, s->res, LSP_ROLE_DECL, NULL);
      }
      w_type(w, tf->type);
      w_expr(w, tf->deflt);
    }
    break;
  case D_ASSERT: w_expr(w, d->u.assert_.cond); w_expr(w, d->u.assert_.msg); break;
  }
  w->depth--;
}

static int span_cmp(Span a, Span b) {
  if (a.file != b.file) return a.file < b.file ? -1 : 1;
  if (a.start != b.start) return a.start < b.start ? -1 : 1;
  if (a.end != b.end) return a.end < b.end ? -1 : 1;
  return 0;
}

static int occ_cmp(const void *x, const void *y) {
  const LspOcc *a = x, *b = y;
  int c = span_cmp(a->at, b->at);
  if (c) return c;
  return a->role < b->role ? -1 : a->role > b->role;   /* the declaration first */
}

/* Same target: the same declaring identifier, or for built-ins the same symbol. */
static int target_cmp(const LspOcc *a, const LspOcc *b) {
  if (a->def.file == SPAN_NO_FILE || b->def.file == SPAN_NO_FILE) {
    if (a->def.file != b->def.file) return a->def.file < b->def.file ? -1 : 1;
    uintptr_t pa = (uintptr_t)a->sym, pb = (uintptr_t)b->sym;
    return pa < pb ? -1 : pa > pb;
  }
  return span_cmp(a->def, b->def);
}

static const LspOcc *sort_base;
static int bydef_cmp(const void *x, const void *y) {
  const LspOcc *a = &sort_base[*(const uint32_t *)x], *b = &sort_base[*(const uint32_t *)y];
  int c = target_cmp(a, b);
  return c ? c : span_cmp(a->at, b->at);
}

static int hint_cmp(const void *x, const void *y) {
  const QHint *a = x, *b = y;
  if (a->file != b->file) return a->file < b->file ? -1 : 1;
  return a->off < b->off ? -1 : a->off > b->off;
}

static int call_cmp(const void *x, const void *y) {
  const Expr *a = *(Expr *const *)x, *b = *(Expr *const *)y;
  return span_cmp(a->span, b->span);
}

LspIndex *lsp_index_new(Plat *p) {
  LspIndex *ix = plat_xcalloc(1, sizeof *ix);
  ix->plat = p;
  ix->prog = p->prog;
  arena_init(&ix->arena);
  if (!ix->prog) return ix;
  Walk w = {ix, NULL, 0};
  for (uint32_t m = 0; m < ix->prog->nmods; m++) {
    w.mod = ix->prog->mods[m];
    for (uint32_t f = 0; f < w.mod->nfiles; f++) {
      AstFile *af = w.mod->files[f];
      if (!af) continue;
      for (uint32_t i = 0; i < af->ndecls; i++) w_decl(&w, af->decls[i]);
    }
  }
  if (ix->nocc) qsort(ix->occs, ix->nocc, sizeof *ix->occs, occ_cmp);
  /* one occurrence per identifier (the first: a declaration before a read) */
  uint32_t k = 0;
  for (uint32_t i = 0; i < ix->nocc; i++)
    if (!k || span_cmp(ix->occs[k - 1].at, ix->occs[i].at) != 0) ix->occs[k++] = ix->occs[i];
  ix->nocc = k;
  ix->bydef = plat_xmalloc((ix->nocc ? ix->nocc : 1) * sizeof *ix->bydef);
  for (uint32_t i = 0; i < ix->nocc; i++) ix->bydef[i] = i;
  sort_base = ix->occs;
  if (ix->nocc) qsort(ix->bydef, ix->nocc, sizeof *ix->bydef, bydef_cmp);
  sort_base = NULL;
  /* a local's own name knows its symbol only through its uses: share it */
  for (uint32_t i = 0; i < ix->nocc;) {
    uint32_t j = i;
    const Sym *s = NULL;
    while (j < ix->nocc && target_cmp(&ix->occs[ix->bydef[i]], &ix->occs[ix->bydef[j]]) == 0) {
      if (!s) s = ix->occs[ix->bydef[j]].sym;
      j++;
    }
    for (uint32_t t = i; s && t < j; t++) {
      LspOcc *o = &ix->occs[ix->bydef[t]];
      if (!o->sym && !o->field) o->sym = s;
    }
    i = j;
  }
  /* a variable no use names: its stand-in symbol */
  for (uint32_t i = 0; i < ix->nlocals; i++) {
    Sym *s = ix->locals[i];
    LspOcc *o = (LspOcc *)lsp_occ_at(ix, s->span.file, s->span.start);
    if (o && !o->sym && !o->field && span_cmp(o->at, s->span) == 0) o->sym = s;
  }
  if (ix->nhints) qsort(ix->hints, ix->nhints, sizeof *ix->hints, hint_cmp);
  if (ix->ncalls) qsort(ix->calls, ix->ncalls, sizeof *ix->calls, call_cmp);
  return ix;
}

static int symname_cmp(const void *x, const void *y) {
  const Sym *a = *(Sym *const *)x, *b = *(Sym *const *)y;
  return strcmp(a->name->s, b->name->s);
}

Sym *const *lsp_sorted_syms(LspIndex *ix, const SymTab *t, uint32_t *n) {
  for (uint32_t i = 0; i < ix->nsorted; i++)
    if (ix->sorted[i].tab == t) {
      *n = ix->sorted[i].n;
      return ix->sorted[i].syms;
    }
  Sym **v = arena_calloc(&ix->arena, t->count + 1, sizeof *v);
  uint32_t k = 0;
  for (uint32_t i = 0; i < t->cap; i++)
    if (t->slots[i] && t->slots[i]->name && k < t->count) v[k++] = t->slots[i];
  if (k) qsort(v, k, sizeof *v, symname_cmp);
  ix->sorted = plat_xrealloc(ix->sorted, (ix->nsorted + 1) * sizeof *ix->sorted);
  ix->sorted[ix->nsorted++] = (QSorted){t, v, k};
  *n = k;
  return v;
}

void lsp_index_free(LspIndex *ix) {
  if (!ix) return;
  free(ix->sorted);
  free(ix->locals);
  free(ix->occs);
  free(ix->bydef);
  free(ix->hints);
  free(ix->calls);
  arena_free(&ix->arena);
  free(ix);
}

Plat *lsp_index_plat(const LspIndex *ix) { return ix->plat; }

/* ---- lookups ------------------------------------------------------------------------------------ */
/* The first occurrence at or after [file]:[off] by start. */
static uint32_t occ_lower(const LspIndex *ix, uint32_t file, uint32_t off) {
  uint32_t lo = 0, hi = ix->nocc;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const Span *s = &ix->occs[mid].at;
    if (s->file < file || (s->file == file && s->start < off)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const LspOcc *lsp_occ_at(const LspIndex *ix, uint32_t file, uint32_t off) {
  uint32_t i = occ_lower(ix, file, off);
  if (i < ix->nocc && ix->occs[i].at.file == file && ix->occs[i].at.start == off) return &ix->occs[i];
  if (i > 0 && ix->occs[i - 1].at.file == file && ix->occs[i - 1].at.end >= off)
    return &ix->occs[i - 1];
  return NULL;
}

/* The range [*lo, *hi) of bydef holding [o]'s target. */
static void target_range(const LspIndex *ix, const LspOcc *o, uint32_t *lo_out, uint32_t *hi_out) {
  uint32_t lo = 0, hi = ix->nocc;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (target_cmp(&ix->occs[ix->bydef[mid]], o) < 0) lo = mid + 1;
    else hi = mid;
  }
  uint32_t end = lo;
  while (end < ix->nocc && target_cmp(&ix->occs[ix->bydef[end]], o) == 0) end++;
  *lo_out = lo;
  *hi_out = end;
}

const QHint *lsp_hints_from(const LspIndex *ix, uint32_t file, uint32_t off, uint32_t *i_out) {
  uint32_t lo = 0, hi = ix->nhints;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const QHint *h = &ix->hints[mid];
    if (h->file < file || (h->file == file && h->off < off)) lo = mid + 1;
    else hi = mid;
  }
  *i_out = lo;
  return lo < ix->nhints ? &ix->hints[lo] : NULL;
}

Module *lsp_module_of_file(const LspIndex *ix, uint32_t file, AstFile **af_out) {
  const Program *prog = ix->prog;
  for (uint32_t m = 0; prog && m < prog->nmods; m++)
    for (uint32_t f = 0; f < prog->mods[m]->nfiles; f++) {
      AstFile *af = prog->mods[m]->files[f];
      if (af && af->file == file) {
        if (af_out) *af_out = af;
        return prog->mods[m];
      }
    }
  return NULL;
}

/* ---- definition and references ----------------------------------------------------------------- */
static bool module_start(const Module *m, Span *out) {
  if (!m || !m->nfiles || !m->files[0]) return false;
  *out = span_make(m->files[0]->file, 0, 0);
  return true;
}

bool lsp_q_definition(const LspIndex *ix, uint32_t file, uint32_t off, Span *out) {
  const LspOcc *o = lsp_occ_at(ix, file, off);
  if (!o) {
    /* the path of an import: its module */
    Module *m = lsp_module_of_file(ix, file, NULL);
    for (uint32_t i = 0; m && i < m->nimports; i++) {
      Decl *d = m->imports[i].decl;
      if (d && d->u.import.path && d->u.import.path->span.file == file &&
          d->u.import.path->span.start <= off && off <= d->u.import.path->span.end)
        return module_start(m->imports[i].mod, out);
    }
    return false;
  }
  const Sym *s = o->sym;
  /* on a `use` or `import` itself (or a provider, whose name has no declaration in
   * source): the module it brings */
  if (s && !o->field && (s->kind == SYM_PROVIDER || s->kind == SYM_IMPORT) &&
      (o->role == LSP_ROLE_DECL || s->kind == SYM_PROVIDER))
    return module_start(s->target, out);
  if (o->def.file == SPAN_NO_FILE) return false;
  *out = o->def;
  return true;
}

const LspOcc **lsp_q_references(const LspIndex *ix, uint32_t file, uint32_t off, bool with_decl,
                                Arena *a, uint32_t *n) {
  *n = 0;
  const LspOcc *o = lsp_occ_at(ix, file, off);
  if (!o) return NULL;
  uint32_t lo, hi;
  target_range(ix, o, &lo, &hi);
  const LspOcc **out = arena_calloc(a, hi - lo + 1, sizeof *out);
  for (uint32_t i = lo; i < hi; i++) {
    const LspOcc *r = &ix->occs[ix->bydef[i]];
    bool is_decl = r->role == LSP_ROLE_DECL && span_cmp(r->at, r->def) == 0;
    if (is_decl && !with_decl) continue;
    out[(*n)++] = r;
  }
  return out;
}

/* ---- rename -------------------------------------------------------------------------------------- */
static const char *const keywords[] = {
  "as", "assert", "component", "deny", "else", "false", "fn", "for", "if", "import", "in",
  "let", "moved", "null", "output", "param", "policy", "resource", "secret", "self", "test",
  "then", "true", "type", "use", "warn", "where",
};

bool lsp_is_keyword(const char *s, size_t len) {
  for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
    if (strlen(keywords[i]) == len && memcmp(keywords[i], s, len) == 0) return true;
  return false;
}

const char *const *lsp_keywords(uint32_t *n) {
  *n = (uint32_t)(sizeof keywords / sizeof *keywords);
  return keywords;
}

static bool ident_byte(unsigned char ch, bool first) {
  return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch >= 0x80 ||
         (!first && ch >= '0' && ch <= '9');
}

bool lsp_is_ident(const char *s, size_t len) {
  if (!len || utf8_check(s, len) != len) return false;
  for (size_t i = 0; i < len; i++)
    if (!ident_byte((unsigned char)s[i], i == 0)) return false;
  return true;
}

/* The word around [off] in [file]'s text (identifier bytes), for messages. */
static Span word_at(const LspIndex *ix, uint32_t file, uint32_t off) {
  const SourceFile *sf = source_file(&ix->plat->sources, file);
  if (!sf || off > sf->len) return span_make(file, off, off);
  uint32_t s = off, e = off;
  while (s > 0 && ident_byte((unsigned char)sf->text[s - 1], false)) s--;
  while (e < sf->len && ident_byte((unsigned char)sf->text[e], false)) e++;
  return span_make(file, s, e);
}

static bool in_builtin_source(const LspIndex *ix, Span sp) {
  const SourceFile *sf = source_file(&ix->plat->sources, sp.file);
  return sf && sf->builtin;
}

static bool in_provider(const LspIndex *ix, Span sp) {
  if (sp.file == SPAN_NO_FILE) return false;
  Module *m = lsp_module_of_file(ix, sp.file, NULL);
  return (m && m->provider) || in_builtin_source(ix, sp);
}

/* Is [sp] a quoted field key ("a-b" = 1) rather than a bare name? */
static bool quoted_at(const LspIndex *ix, Span sp) {
  const SourceFile *sf = source_file(&ix->plat->sources, sp.file);
  return sf && sp.end <= sf->len && sp.end - sp.start >= 2 && sf->text[sp.start] == '"';
}

/* Why the target of [o] cannot be renamed, or NULL. */
static const char *no_rename(const LspIndex *ix, const LspOcc *o, Arena *a) {
  const Sym *s = o->sym;
  if (o->field) {
    if (o->owner && !o->owner->is_component && in_provider(ix, o->def))
      return arena_printf(a, "'%s' is a property of %s, declared by the provider's schema: it "
                          "cannot be renamed", o->field->name->s, o->owner->qual);
    return NULL;
  }
  if (!s) return "nothing to rename here";
  switch (s->kind) {
  case SYM_BUILTIN:
    return arena_printf(a, "'%s' is a built-in function: it cannot be renamed", s->name->s);
  case SYM_PRIMTYPE:
    return arena_printf(a, "'%s' is a built-in type: it cannot be renamed", s->name->s);
  case SYM_PROVIDER:
    return arena_printf(a, "'%s' is a provider's name, fixed by its schema: it cannot be renamed",
                        s->name->s);
  case SYM_RESTYPE: {
    const char *q = s->res ? s->res->qual : s->name->s;
    return arena_printf(a, "'%s' is a resource type of a provider's schema: it cannot be renamed", q);
  }
  case SYM_SELF: return "'self' is a keyword: it cannot be renamed";
  default: break;
  }
  if (in_provider(ix, o->def))
    return arena_printf(a, "'%s' is declared by a provider's schema: it cannot be renamed", s->name->s);
  return NULL;
}

bool lsp_q_prepare_rename(const LspIndex *ix, uint32_t file, uint32_t off, Span *range,
                          Arena *a, const char **err) {
  const LspOcc *o = lsp_occ_at(ix, file, off);
  if (!o) {
    Span w = word_at(ix, file, off);
    const SourceFile *sf = source_file(&ix->plat->sources, file);
    if (sf && w.end > w.start && lsp_is_keyword(sf->text + w.start, w.end - w.start))
      *err = arena_printf(a, "'%.*s' is a keyword: it cannot be renamed", (int)(w.end - w.start),
                          sf->text + w.start);
    else
      *err = "nothing to rename here: put the cursor on a name";
    return false;
  }
  const char *why = no_rename(ix, o, a);
  if (why) {
    *err = why;
    return false;
  }
  *range = o->at;
  if (quoted_at(ix, o->at)) range->start++, range->end--;   /* the key inside its quotes */
  return true;
}

/* Is [name] already declared where the target of [o] lives? */
static const char *clash(const LspIndex *ix, const LspOcc *o, const Str *name, Arena *a) {
  const Sym *s = o->sym;
  if (o->field && !(s && s->owner)) {
    /* a record field: its type's other fields */
    const RecField *f = o->field;
    if (f->name == name) return NULL;
    if (o->owner) {
      ResPart part;
      uint32_t idx;
      if (ty_res_find(o->owner, name, &part, &idx))
        return arena_printf(a, "%s already has a member '%s'", o->owner->qual, name->s);
    }
    return NULL;
  }
  if (!s || s->name == name) return NULL;
  (void)ix;
  switch (s->kind) {
  case SYM_PARAM: case SYM_LET: case SYM_TYPE: case SYM_FN: case SYM_RESOURCE:
  case SYM_COMPONENT: case SYM_IMPORT: case SYM_OUTPUT: {
    const SymTab *tab;
    if (s->owner) tab = s->kind == SYM_OUTPUT ? s->owner->outputs : s->owner->members;
    else tab = s->kind == SYM_OUTPUT ? &s->module->outputs : &s->module->scope;
    if (tab && symtab_get(tab, name))
      return arena_printf(a, "'%s' is already declared %s", name->s,
                          s->owner ? arena_printf(a, "in component %s", s->owner->name->s)
                                   : "in this module");
    return NULL;
  }
  default: return NULL;
  }
}

static int edit_cmp(const void *x, const void *y) {
  return span_cmp(((const LspEdit *)x)->span, ((const LspEdit *)y)->span);
}

LspEdit *lsp_q_rename(const LspIndex *ix, uint32_t file, uint32_t off, const char *name,
                      Arena *a, uint32_t *n, const char **err) {
  *n = 0;
  Span range;
  if (!lsp_q_prepare_rename(ix, file, off, &range, a, err)) return NULL;
  size_t len = strlen(name);
  if (!lsp_is_ident(name, len)) {
    *err = arena_printf(a, "'%s' is not a valid name: a letter or '_', then letters, digits "
                        "and '_'", name);
    return NULL;
  }
  if (lsp_is_keyword(name, len)) {
    *err = arena_printf(a, "'%s' is a keyword: choose another name", name);
    return NULL;
  }
  const LspOcc *o = lsp_occ_at(ix, file, off);
  const char *c = clash(ix, o, intern(&ix->plat->strs, name, len), a);
  if (c) {
    *err = c;
    return NULL;
  }
  uint32_t nr;
  const LspOcc **refs = lsp_q_references(ix, file, off, true, a, &nr);
  LspEdit *edits = arena_calloc(a, nr + 1, sizeof *edits);
  const char *text = arena_strdup(a, name), *qtext = arena_printf(a, "\"%s\"", name);
  for (uint32_t i = 0; i < nr; i++) {
    if (in_builtin_source(ix, refs[i]->at)) continue;
    /* a quoted key stays quoted (its escapes, if any, go with the old name) */
    edits[(*n)++] = (LspEdit){refs[i]->at, quoted_at(ix, refs[i]->at) ? qtext : text};
  }
  if (*n) qsort(edits, *n, sizeof *edits, edit_cmp);
  return edits;
}

/* ---- hover -------------------------------------------------------------------------------------- */
static const char *phase_text(uint8_t ph) {
  switch (ph) {
  case PHASE_COMPILE: return "known at compile time";
  case PHASE_PLAN: return "known at plan time";
  default: return "known only after deploy";
  }
}

const char *lsp_type_text(const LspIndex *ix, const Type *t) {
  if (!t) return "?";
  return ty_show(&ix->prog->types, t);
}

/* Source text of [sp] when short and on one line, else NULL. */
const char *lsp_src(const LspIndex *ix, Span sp, uint32_t max, Arena *a) {
  const SourceFile *sf = source_file(&ix->plat->sources, sp.file);
  if (!sf || sp.end > sf->len || sp.end < sp.start || sp.end - sp.start > max) return NULL;
  if (memchr(sf->text + sp.start, '\n', sp.end - sp.start)) return NULL;
  return arena_strndup(a, sf->text + sp.start, sp.end - sp.start);
}

/* The signature of a user function: "fn name(a: int, b: string = "x"): string". */
const char *lsp_fn_sig(const LspIndex *ix, const Sym *s, Arena *a) {
  Decl *d = s->decl;
  const Type *ft = s->type ? ty_unalias(s->type) : NULL;
  size_t cap = 256;
  char *buf = arena_alloc(a, cap);
  size_t len = 0;
#define PUT(...) do { \
    const char *piece_ = arena_printf(a, __VA_ARGS__); \
    size_t pl_ = strlen(piece_); \
    if (len + pl_ + 1 > cap) { buf = arena_grow(a, buf, cap, (len + pl_ + 1) * 2, 1); cap = (len + pl_ + 1) * 2; } \
    memcpy(buf + len, piece_, pl_ + 1); len += pl_; \
  } while (0)
  PUT("%s(", s->name->s);
  uint32_t np = d && d->kind == D_FN ? d->u.fn.nparams : 0;
  for (uint32_t i = 0; i < np; i++) {
    FnParam *p = &d->u.fn.params[i];
    const Type *pt = i < s->nparams && s->params[i] ? s->params[i]->type : NULL;
    const char *dv = p->deflt ? lsp_src(ix, p->deflt->span, 40, a) : NULL;
    PUT("%s%s: %s%s%s", i ? ", " : "", p->name.str ? p->name.str->s : "?",
        pt ? lsp_type_text(ix, pt) : "?", p->deflt ? " = " : "", p->deflt ? (dv ? dv : "...") : "");
  }
  const Type *ret = ft && ft->kind == TY_FN ? ft->u.fn.ret : NULL;
  PUT("): %s", ret ? lsp_type_text(ix, ret) : "?");
#undef PUT
  return buf;
}

static const char *restype_props(const LspIndex *ix, const ResType *rt, Arena *a) {
  const char *out = "";
  for (uint32_t i = 0; i < rt->ninputs; i++) {
    const RecField *f = &rt->inputs[i];
    out = arena_printf(a, "%s\n- `%s: %s`%s", out, f->name->s, lsp_type_text(ix, f->type),
                       f->has_default ? "" : " (required)");
  }
  for (uint32_t i = 0; i < rt->noutputs; i++) {
    const RecField *f = &rt->outputs[i];
    out = arena_printf(a, "%s\n- `%s: %s` (output%s)", out, f->name->s, lsp_type_text(ix, f->type),
                       rt->is_component ? "" : ", known after deploy");
  }
  return out;
}

static const char *sym_hover(const LspIndex *ix, const Sym *s, Arena *a) {
  const char *name = s->name ? s->name->s : "?";
  const char *full = s->owner ? arena_printf(a, "%s.%s", s->owner->name->s, name) : name;
  const char *ty = lsp_type_text(ix, s->type);
  const char *head = name, *body = "";
  bool value = true;
  switch (s->kind) {
  case SYM_PARAM: {
    const char *dv = s->decl && s->decl->u.param.deflt
                     ? lsp_src(ix, s->decl->u.param.deflt->span, 60, a) : NULL;
    head = arena_printf(a, "param %s: %s%s%s", full, ty, dv ? " = " : "", dv ? dv : "");
    break;
  }
  case SYM_LET: case SYM_TESTLET: head = arena_printf(a, "let %s: %s", full, ty); break;
  case SYM_OUTPUT: head = arena_printf(a, "output %s: %s", full, ty); break;
  case SYM_TYPE: {
    const Type *t = s->type ? ty_unalias(s->type) : NULL;
    head = arena_printf(a, "type %s = %s", name, t ? lsp_type_text(ix, t) : "?");
    value = false;
    break;
  }
  case SYM_FN: head = arena_printf(a, "fn %s", lsp_fn_sig(ix, s, a)); value = false; break;
  case SYM_RESOURCE: {
    const char *tw = s->decl && s->decl->u.res.type ? lsp_src(ix, s->decl->u.res.type->span, 80, a) : NULL;
    head = arena_printf(a, "resource %s: %s", full, tw ? tw : ty);
    if (s->decl && s->decl->u.res.each) body = "Keyed copies: a map from key to resource.\n\n";
    break;
  }
  case SYM_COMPONENT:
    head = arena_printf(a, "component %s", name);
    if (s->res) body = arena_printf(a, "Params and outputs:%s\n\n", restype_props(ix, s->res, a));
    value = false;
    break;
  case SYM_PROVIDER: {
    head = arena_printf(a, "use %s", name);
    const char *types = "";
    if (s->target)
      for (uint32_t f = 0; f < s->target->nfiles; f++)
        for (uint32_t i = 0; s->target->files[f] && i < s->target->files[f]->ndecls; i++) {
          Decl *d = s->target->files[f]->decls[i];
          if (d && d->kind == D_SCHEMA && d->name.str)
            types = arena_printf(a, "%s%s`%s.%s`", types, *types ? ", " : "", name, d->name.str->s);
        }
    body = arena_printf(a, "Provider `%s`: resource types %s.\n\n", name, *types ? types : "(none)");
    value = false;
    break;
  }
  case SYM_IMPORT:
    head = arena_printf(a, "import as %s", name);
    body = arena_printf(a, "Module `%s`.\n\n", s->target && s->target->path ? s->target->path : "?");
    value = false;
    break;
  case SYM_RESTYPE: {
    const char *q = s->res ? s->res->qual : name;
    head = arena_printf(a, "resource type %s", q);
    if (s->res) body = arena_printf(a, "Properties:%s\n\n", restype_props(ix, s->res, a));
    value = false;
    break;
  }
  case SYM_FNPARAM: head = arena_printf(a, "(parameter) %s: %s", name, ty); break;
  case SYM_VAR: head = arena_printf(a, "(loop variable) %s: %s", name, ty); break;
  case SYM_POLICYVAR: head = arena_printf(a, "(policy variable) %s: %s", name, ty); break;
  case SYM_SELF: head = arena_printf(a, "(refined value) %s: %s", name, ty); break;
  case SYM_BUILTIN: {
    const Builtin *b = s->builtin;
    head = b ? b->sig : name;
    body = "Built-in function";
    if (b && (b->flags & BF_PLAN)) body = arena_printf(a, "%s; reads the world, known at plan time", body);
    if (b && (b->flags & BF_SENSITIVE)) body = arena_printf(a, "%s; its result is secret", body);
    if (b && (b->flags & BF_NONSENSITIVE)) body = arena_printf(a, "%s; removes the secret mark", body);
    body = arena_printf(a, "%s (docs/language.md §11).\n\n", body);
    value = false;
    break;
  }
  case SYM_PRIMTYPE: head = arena_printf(a, "type %s", name); body = "Built-in type.\n\n"; value = false; break;
  }
  const char *out = arena_printf(a, "```plat\n%s\n```\n\n%s", head, body);
  if (value) {
    out = arena_printf(a, "%sPhase: %s.", out, phase_text(s->kind == SYM_RESOURCE ? PHASE_PLAN : s->phase));
    if (s->secret || (s->type && ty_is_secret(s->type)))
      out = arena_printf(a, "%s **Secret**: redacted in every output, log and plan.", out);
    out = arena_printf(a, "%s\n\n", out);
  }
  const char *doc = s->decl ? s->decl->doc : NULL;
  if (doc) out = arena_printf(a, "%s---\n\n%s\n", out, doc);
  return out;
}

static const char *field_hover(const LspIndex *ix, const LspOcc *o, Arena *a) {
  const RecField *f = o->field;
  const ResType *rt = o->owner;
  const char *ty = lsp_type_text(ix, f->type);
  const char *head, *body = "";
  if (rt) {
    ResPart part = RP_INPUT;
    uint32_t idx;
    ty_res_find(rt, f->name, &part, &idx);
    const char *what = rt->is_component
                       ? (part == RP_INPUT ? "param" : part == RP_OUTPUT ? "output" : "resource")
                       : (part == RP_INPUT ? "property" : "output");
    head = arena_printf(a, "(%s) %s.%s: %s", what, rt->qual, f->name->s, ty);
    if (part == RP_INPUT) {
      const char *dv = f->deflt ? lsp_src(ix, f->deflt->span, 60, a) : NULL;
      body = f->has_default ? (dv ? arena_printf(a, "Optional, default `%s`.", dv) : "Optional.")
                            : "Required.";
    } else if (part == RP_OUTPUT && !rt->is_component) {
      body = "Set by the provider: known only after deploy.";
    }
  } else {
    head = arena_printf(a, "(field) %s: %s", f->name->s, ty);
    if (f->has_default) body = "Optional.";
  }
  const char *out = arena_printf(a, "```plat\n%s\n```\n\n%s", head, body);
  if (o->role == LSP_ROLE_READ && o->ty) {
    out = arena_printf(a, "%s%sPhase here: %s.", out, *body ? " " : "", phase_text(o->phase));
    if (o->secret) out = arena_printf(a, "%s **Secret**.", out);
  }
  out = arena_printf(a, "%s\n\n", out);
  if (f->doc) out = arena_printf(a, "%s---\n\n%s\n", out, f->doc);
  else if (f->sym && f->sym->decl && f->sym->decl->doc)
    out = arena_printf(a, "%s---\n\n%s\n", out, f->sym->decl->doc);
  return out;
}

const char *lsp_q_hover(const LspIndex *ix, uint32_t file, uint32_t off, Arena *a, Span *range) {
  const LspOcc *o = lsp_occ_at(ix, file, off);
  if (!o) return NULL;
  *range = o->at;
  if (o->field) return field_hover(ix, o, a);
  if (o->sym) return sym_hover(ix, o->sym, a);
  return NULL;
}

/* ---- workspace symbols ---------------------------------------------------------------------------- */
static bool fuzzy(const char *q, const char *name) {
  for (; *q; q++) {
    char c = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
    for (;; name++) {
      if (!*name) return false;
      char d = (char)(*name >= 'A' && *name <= 'Z' ? *name + 32 : *name);
      if (d == c) { name++; break; }
    }
  }
  return true;
}

int lsp_sym_kind(const Sym *s) {
  switch (s->kind) {
  case SYM_PARAM: return LSP_SK_PROPERTY;
  case SYM_LET: case SYM_TESTLET: return LSP_SK_VARIABLE;
  case SYM_TYPE: return LSP_SK_TYPE_PARAMETER;
  case SYM_FN: return LSP_SK_FUNCTION;
  case SYM_RESOURCE: return LSP_SK_OBJECT;
  case SYM_COMPONENT: return LSP_SK_CLASS;
  case SYM_OUTPUT: return LSP_SK_EVENT;
  case SYM_PROVIDER: case SYM_IMPORT: return LSP_SK_MODULE;
  case SYM_RESTYPE: return LSP_SK_STRUCT;
  default: return LSP_SK_VARIABLE;
  }
}

typedef struct SymVec { LspSymbol *v; uint32_t n, cap; } SymVec;

static void sv_add(SymVec *sv, const char *name, int kind, const char *container, Span sp) {
  if (sv->n == sv->cap) {
    sv->cap = sv->cap ? sv->cap * 2 : 64;
    sv->v = plat_xrealloc(sv->v, sv->cap * sizeof *sv->v);
  }
  sv->v[sv->n++] = (LspSymbol){name, kind, container, sp};
}

static int sym_cmp(const void *x, const void *y) {
  const LspSymbol *a = x, *b = y;
  int c = strcmp(a->name, b->name);
  return c ? c : span_cmp(a->span, b->span);
}

LspSymbol *lsp_q_workspace_symbols(const LspIndex *ix, const char *query, uint32_t max,
                                   Arena *a, uint32_t *n) {
  SymVec sv = {0};
  const Program *prog = ix->prog;
  for (uint32_t m = 0; prog && m < prog->nmods; m++) {
    const Module *mod = prog->mods[m];
    if (mod->provider) continue;
    for (uint32_t f = 0; f < mod->nfiles; f++) {
      AstFile *af = mod->files[f];
      for (uint32_t i = 0; af && i < af->ndecls; i++) {
        Decl *d = af->decls[i];
        if (!d || !d->sym || !d->name.str || d->kind == D_USE || d->kind == D_IMPORT) continue;
        if (fuzzy(query, d->name.str->s))
          sv_add(&sv, d->name.str->s, lsp_sym_kind(d->sym), NULL, d->name.span);
        if (d->kind != D_COMPONENT) continue;
        for (uint32_t j = 0; j < d->u.comp.nmembers; j++) {
          Decl *md = d->u.comp.members[j];
          if (md && md->sym && md->name.str && fuzzy(query, md->name.str->s))
            sv_add(&sv, md->name.str->s, lsp_sym_kind(md->sym), d->name.str->s, md->name.span);
        }
      }
    }
  }
  if (sv.n) qsort(sv.v, sv.n, sizeof *sv.v, sym_cmp);
  *n = sv.n < max ? sv.n : max;
  LspSymbol *out = arena_calloc(a, *n + 1, sizeof *out);
  if (*n) memcpy(out, sv.v, *n * sizeof *out);
  free(sv.v);
  return out;
}

/* ---- inlay hints ----------------------------------------------------------------------------------- */
static bool same_name_arg(const Expr *arg, const char *pname) {
  return arg && arg->kind == EX_NAME && arg->u.name.id.str && strcmp(arg->u.name.id.str->s, pname) == 0;
}

/* The parameter name of argument [i] of a call of [callee], or NULL. */
const char *lsp_param_name(const Sym *callee, uint32_t i) {
  if (!callee) return NULL;
  if (callee->kind == SYM_BUILTIN && callee->builtin) {
    const Builtin *b = callee->builtin;
    if (!b->nparams) return NULL;
    if (i >= b->nparams) return b->variadic ? b->params[b->nparams - 1].name : NULL;
    return b->params[i].name;
  }
  if (callee->kind == SYM_FN && callee->decl && callee->decl->kind == D_FN &&
      i < callee->decl->u.fn.nparams && callee->decl->u.fn.params[i].name.str)
    return callee->decl->u.fn.params[i].name.str->s;
  return NULL;
}

const Sym *lsp_callee_sym(const Expr *call) {
  const Expr *c = call->u.call.callee;
  if (!c) return NULL;
  if (c->kind == EX_NAME) return c->u.name.sym;
  if (c->kind == EX_MEMBER && c->u.member.obj && c->u.member.obj->kind == EX_NAME &&
      c->u.member.obj->u.name.sym && c->u.member.obj->u.name.sym->kind == SYM_IMPORT &&
      c->u.member.obj->u.name.sym->target && c->u.member.name.str)
    return symtab_get(&c->u.member.obj->u.name.sym->target->scope, c->u.member.name.str);
  return NULL;
}

static int lhint_cmp(const void *x, const void *y) {
  const LspHint *a = x, *b = y;
  if (a->off != b->off) return a->off < b->off ? -1 : 1;
  return a->kind - b->kind;
}

LspHint *lsp_q_inlay_hints(const LspIndex *ix, uint32_t file, uint32_t start, uint32_t end,
                           Arena *a, uint32_t *n) {
  *n = 0;
  uint32_t i;
  lsp_hints_from(ix, file, start, &i);
  uint32_t cap = 16;
  LspHint *out = arena_calloc(a, cap, sizeof *out);
#define PUSH(h) do { \
    if (*n == cap) { out = arena_grow(a, out, cap, cap * 2, sizeof *out); cap *= 2; } \
    out[(*n)++] = (h); } while (0)
  for (; i < ix->nhints && ix->hints[i].file == file && ix->hints[i].off <= end; i++) {
    const QHint *h = &ix->hints[i];
    PUSH(((LspHint){h->off, arena_printf(a, ": %s", lsp_type_text(ix, h->ty)), 1}));
  }
  /* parameter names: calls are sorted by start; those starting in range */
  uint32_t lo = 0, hi = ix->ncalls;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    Span s = ix->calls[mid]->span;
    if (s.file < file || (s.file == file && s.start < start)) lo = mid + 1;
    else hi = mid;
  }
  for (uint32_t c = lo; c < ix->ncalls && ix->calls[c]->span.file == file &&
                        ix->calls[c]->span.start < end; c++) {
    const Expr *call = ix->calls[c];
    if (call->u.call.nargs < 2) continue;
    const Sym *callee = lsp_callee_sym(call);
    for (uint32_t k = 0; k < call->u.call.nargs; k++) {
      const Expr *arg = call->u.call.args[k];
      const char *pn = lsp_param_name(callee, k);
      if (!arg || !pn || same_name_arg(arg, pn) || arg->span.start < start || arg->span.start > end)
        continue;
      PUSH(((LspHint){arg->span.start, arena_printf(a, "%s:", pn), 2}));
    }
  }
#undef PUSH
  if (*n) qsort(out, *n, sizeof *out, lhint_cmp);
  return out;
}

/* ---- code actions ---------------------------------------------------------------------------------- */
static bool overlaps(Span s, uint32_t file, uint32_t start, uint32_t end) {
  return s.file == file && s.start <= end && start <= s.end;
}

/* Where `use p` goes: after the file's last `use`, else at its start. */
static uint32_t use_insert_at(const LspIndex *ix, uint32_t file, const char **prefix) {
  AstFile *af = NULL;
  lsp_module_of_file(ix, file, &af);
  uint32_t at = 0;
  *prefix = "";
  for (uint32_t i = 0; af && i < af->ndecls; i++)
    if (af->decls[i] && af->decls[i]->kind == D_USE && af->decls[i]->span.end > at) {
      at = af->decls[i]->span.end;
      *prefix = "\n";
    }
  return at;
}

LspAction *lsp_q_code_actions(const LspIndex *ix, uint32_t file, uint32_t start, uint32_t end,
                              Arena *a, uint32_t *n) {
  *n = 0;
  const DiagList *dl = &ix->plat->diags;
  uint32_t cap = 8;
  LspAction *out = arena_calloc(a, cap, sizeof *out);
#define PUSH(act) do { \
    if (*n == cap) { out = arena_grow(a, out, cap, cap * 2, sizeof *out); cap *= 2; } \
    out[(*n)++] = (act); } while (0)
  uint32_t nprov = 0;
  const char *const *provs = ix->prog ? mod_provider_names(ix->prog, &nprov) : NULL;
  const SourceFile *sf = source_file(&ix->plat->sources, file);
  for (uint32_t i = 0; i < dl->n; i++) {
    const Diag *d = dl->items[i];
    if (!overlaps(d->span, file, start, end)) continue;
    for (uint32_t f = 0; f < d->nfixes; f++) {
      LspEdit *e = arena_alloc(a, sizeof *e);
      *e = (LspEdit){d->fixes[f].span, d->fixes[f].text};
      const char *title = d->fixes[f].title ? d->fixes[f].title : "apply the suggested fix";
      PUSH(((LspAction){title, "quickfix", d, e, 1, NULL, NULL, d->nfixes == 1}));
    }
    /* a provider named without `use`: add it */
    if ((d->code == DIAG_E0202 || d->code == DIAG_E0200) && sf && d->span.end <= sf->len) {
      const char *w = sf->text + d->span.start;
      uint32_t wl = d->span.end - d->span.start;
      for (uint32_t p = 0; p < nprov; p++) {
        if (strlen(provs[p]) != wl || memcmp(provs[p], w, wl) != 0) continue;
        const char *title = arena_printf(a, "add `use %s`", provs[p]);
        bool had = false;     /* the checker may have made this fix already */
        for (uint32_t f = 0; f < d->nfixes && !had; f++)
          had = d->fixes[f].title && strcmp(d->fixes[f].title, title) == 0;
        if (had) break;
        const char *prefix;
        uint32_t at = use_insert_at(ix, file, &prefix);
        LspEdit *e = arena_alloc(a, sizeof *e);
        *e = (LspEdit){span_make(file, at, at),
                       arena_printf(a, "%suse %s%s", prefix, provs[p], *prefix ? "" : "\n")};
        PUSH(((LspAction){title, "quickfix", d, e, 1, NULL, NULL, true}));
        break;
      }
    }
    const char *code = diag_code_name(d->code);
    PUSH(((LspAction){arena_printf(a, "explain %s", code), "quickfix", d, NULL, 0,
                      "platc.explain", code, false}));
  }
#undef PUSH
  return out;
}
