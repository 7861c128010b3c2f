/* Completion and signature help over the query index (lsp/query.h).  The context comes
 * from the AST where the code parsed (which declaration, body, field or scope holds the
 * cursor) and from the text just before the cursor where it did not (`local.` half typed,
 * a call's open parenthesis), because completion mostly runs on code that is not finished.
 * Candidates are filtered by the word typed so far and sorted; the client re-filters. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compiler/builtins.h"
#include "lsp/query_int.h"

#define MAX_ITEMS LSP_MAX_COMPLETIONS

typedef struct CList {
  LspCompletion *v;
  uint32_t n, cap;
  const char **seen;          /* labels given, open addressing (an inner name hides) */
  uint32_t seencap;
  Arena *a;
  const char *prefix;         /* the word typed so far ("" for none) */
  size_t plen;
} CList;

static bool ident_char(unsigned char ch) {
  return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || ch >= 0x80;
}

/* The characters of [prefix] appear in [label] in order, case-insensitively. */
static bool matches(const CList *cl, const char *label) {
  const char *q = cl->prefix;
  for (size_t i = 0; i < cl->plen; i++) {
    char c = (char)(q[i] >= 'A' && q[i] <= 'Z' ? q[i] + 32 : q[i]);
    for (;; label++) {
      if (!*label) return false;
      char d = (char)(*label >= 'A' && *label <= 'Z' ? *label + 32 : *label);
      if (d == c) { label++; break; }
    }
  }
  return true;
}

static LspCompletion *cadd(CList *cl, const char *label, int kind, const char *detail) {
  if (!label || cl->n >= MAX_ITEMS || !matches(cl, label)) return NULL;
  if (!cl->seencap) {
    cl->seencap = 4096;                /* > 2 * MAX_ITEMS: never full */
    cl->seen = arena_calloc(cl->a, cl->seencap, sizeof *cl->seen);
  }
  uint32_t j = intern_hash(label, strlen(label)) & (cl->seencap - 1);
  for (; cl->seen[j]; j = (j + 1) & (cl->seencap - 1))
    if (strcmp(cl->seen[j], label) == 0) return NULL;
  cl->seen[j] = label;
  if (cl->n == cl->cap) {
    uint32_t ncap = cl->cap ? cl->cap * 2 : 32;
    cl->v = arena_grow(cl->a, cl->v, cl->cap, ncap, sizeof *cl->v);
    cl->cap = ncap;
  }
  LspCompletion *c = &cl->v[cl->n++];
  *c = (LspCompletion){label, kind, detail, NULL, NULL, false, NULL};
  return c;
}

static int item_cmp(const void *x, const void *y) {
  const LspCompletion *a = x, *b = y;
  int c = strcmp(a->sort ? a->sort : a->label, b->sort ? b->sort : b->label);
  return c ? c : strcmp(a->label, b->label);
}

/* ---- what names are ------------------------------------------------------------------------------ */
static int sym_ck(const Sym *s) {
  switch (s->kind) {
  case SYM_FN: case SYM_BUILTIN: return LSP_CK_FUNCTION;
  case SYM_TYPE: case SYM_PRIMTYPE: return LSP_CK_TYPE_PARAMETER;
  case SYM_COMPONENT: return LSP_CK_CLASS;
  case SYM_RESTYPE: return LSP_CK_STRUCT;
  case SYM_PROVIDER: case SYM_IMPORT: return LSP_CK_MODULE;
  case SYM_PARAM: return LSP_CK_CONSTANT;
  case SYM_RESOURCE: return LSP_CK_VALUE;
  default: return LSP_CK_VARIABLE;
  }
}

static const char *sym_detail(const LspIndex *ix, const Sym *s, Arena *a) {
  switch (s->kind) {
  case SYM_BUILTIN: return s->builtin ? s->builtin->sig : NULL;
  case SYM_FN: return lsp_fn_sig(ix, s, a);
  case SYM_PROVIDER: return "provider";
  case SYM_IMPORT: return s->target && s->target->path ? arena_printf(a, "module %s", s->target->path) : "module";
  case SYM_COMPONENT: return "component";
  case SYM_RESTYPE: return s->res ? arena_printf(a, "resource type %s", s->res->qual) : "resource type";
  case SYM_PRIMTYPE: return "built-in type";
  case SYM_TYPE: return s->type ? arena_printf(a, "type = %s", lsp_type_text(ix, ty_unalias(s->type))) : NULL;
  default: return s->type ? lsp_type_text(ix, s->type) : NULL;
  }
}

/* A built-in or user function: `name(${1:a}, ${2:b})` with its required parameters. */
static void add_fn(CList *cl, const LspIndex *ix, const Sym *s) {
  LspCompletion *c = cadd(cl, s->name->s, LSP_CK_FUNCTION, sym_detail(ix, s, cl->a));
  if (!c) return;
  const char *snip = arena_printf(cl->a, "%s(", s->name->s);
  uint32_t k = 0;
  if (s->kind == SYM_BUILTIN && s->builtin) {
    for (uint32_t i = 0; i < s->builtin->nparams; i++)
      if (!s->builtin->params[i].optional)
        snip = arena_printf(cl->a, "%s%s${%u:%s}", snip, k ? ", " : "", k + 1, s->builtin->params[i].name), k++;
    c->doc = "Built-in function (docs/language.md §11).";
  } else if (s->decl && s->decl->kind == D_FN) {
    for (uint32_t i = 0; i < s->decl->u.fn.nparams; i++) {
      FnParam *p = &s->decl->u.fn.params[i];
      if (!p->deflt && p->name.str)
        snip = arena_printf(cl->a, "%s%s${%u:%s}", snip, k ? ", " : "", k + 1, p->name.str->s), k++;
    }
    c->doc = s->decl->doc;
  }
  c->insert = arena_printf(cl->a, "%s)$0", snip);
  c->snippet = true;
}

static void add_sym(CList *cl, const LspIndex *ix, const Sym *s) {
  if (!s || !s->name) return;
  if (s->kind == SYM_FN || s->kind == SYM_BUILTIN) { add_fn(cl, ix, s); return; }
  LspCompletion *c = cadd(cl, s->name->s, sym_ck(s), sym_detail(ix, s, cl->a));
  if (c && s->decl) c->doc = s->decl->doc;
}

/* The symbols of [t] that [want] accepts, in name order. */
static void add_tab(CList *cl, const LspIndex *ix, const SymTab *t, bool (*want)(const Sym *)) {
  if (!t || !t->cap) return;
  uint32_t n;
  Sym *const *v = lsp_sorted_syms((LspIndex *)ix, t, &n);
  if (!cl->plen) {
    for (uint32_t i = 0; i < n && cl->n < MAX_ITEMS; i++)
      if (!want || want(v[i])) add_sym(cl, ix, v[i]);
    return;
  }
  /* a candidate starts with the typed word's first character (either case): the names
   * starting with a byte are one run of the sorted array, found by binary search, so a
   * module of 10,000 names costs a few probes, not a scan */
  unsigned char c0 = (unsigned char)cl->prefix[0];
  unsigned char firsts[2] = {c0, c0};
  if (c0 >= 'a' && c0 <= 'z') firsts[1] = (unsigned char)(c0 - 32);
  else if (c0 >= 'A' && c0 <= 'Z') firsts[1] = (unsigned char)(c0 + 32);
  for (int k = 0; k < (firsts[1] != firsts[0] ? 2 : 1); k++) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if ((unsigned char)v[mid]->name->s[0] < firsts[k]) lo = mid + 1;
      else hi = mid;
    }
    for (uint32_t i = lo; i < n && (unsigned char)v[i]->name->s[0] == firsts[k] && cl->n < MAX_ITEMS; i++)
      if (!want || want(v[i])) add_sym(cl, ix, v[i]);
  }
}

static bool is_value(const Sym *s) {
  switch (s->kind) {
  case SYM_TYPE: case SYM_PRIMTYPE: case SYM_COMPONENT: case SYM_RESTYPE: return false;
  default: return true;
  }
}
static bool is_type(const Sym *s) {
  return s->kind == SYM_TYPE || s->kind == SYM_PRIMTYPE || s->kind == SYM_COMPONENT ||
         s->kind == SYM_PROVIDER || s->kind == SYM_IMPORT;
}
static bool is_restype(const Sym *s) { return s->kind == SYM_RESTYPE; }
static bool is_export(const Sym *s) {
  return s->kind == SYM_LET || s->kind == SYM_TYPE || s->kind == SYM_FN || s->kind == SYM_COMPONENT;
}

/* ---- members after `x.` -------------------------------------------------------------------------- */
static void add_recfield(CList *cl, const LspIndex *ix, const RecField *f, int kind, const char *note) {
  LspCompletion *c = cadd(cl, f->name->s, kind, lsp_type_text(ix, f->type));
  if (!c) return;
  c->doc = f->doc ? (note ? arena_printf(cl->a, "%s\n\n%s", note, f->doc) : f->doc) : note;
  if (!c->doc && f->sym && f->sym->decl) c->doc = f->sym->decl->doc;
}

static void add_members_of_type(CList *cl, const LspIndex *ix, const Type *t) {
  if (!t) return;
  const Type *b = ty_base(t);
  if (b->kind == TY_OPTIONAL) b = ty_base(b->u.elem);
  if (b->kind == TY_RESOURCE) {
    const ResType *rt = b->u.res;
    for (uint32_t i = 0; i < rt->noutputs; i++)
      add_recfield(cl, ix, &rt->outputs[i], LSP_CK_FIELD,
                   rt->is_component ? "Output." : "Output: known only after deploy.");
    for (uint32_t i = 0; i < rt->ninputs; i++) add_recfield(cl, ix, &rt->inputs[i], LSP_CK_PROPERTY, NULL);
    for (uint32_t i = 0; i < rt->nmembers; i++) add_recfield(cl, ix, &rt->members[i], LSP_CK_VALUE, "Resource.");
  } else if (b->kind == TY_RECORD) {
    for (uint32_t i = 0; i < b->u.rec.nfields; i++) add_recfield(cl, ix, &b->u.rec.fields[i], LSP_CK_FIELD, NULL);
  }
}

static void add_members_of_sym(CList *cl, const LspIndex *ix, const Sym *s) {
  if (!s) return;
  if (s->kind == SYM_PROVIDER && s->target) add_tab(cl, ix, &s->target->scope, is_restype);
  else if (s->kind == SYM_IMPORT && s->target) add_tab(cl, ix, &s->target->scope, is_export);
  else add_members_of_type(cl, ix, s->type);
}

/* ---- where the cursor is ------------------------------------------------------------------------ */
static bool within(Span s, uint32_t off) { return s.start <= off && off <= s.end; }
static bool inside(Span s, uint32_t off) { return s.start < off && off < s.end; }

/* The top-level declaration holding [off] in [af] (declarations are in source order). */
static Decl *decl_at(AstFile *af, uint32_t off) {
  uint32_t lo = 0, hi = af->ndecls;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (af->decls[mid] && af->decls[mid]->span.end < off) lo = mid + 1;
    else hi = mid;
  }
  for (uint32_t i = lo; i < af->ndecls && i < lo + 2; i++)
    if (af->decls[i] && within(af->decls[i]->span, off)) return af->decls[i];
  return NULL;
}

/* The declaration [off] is in, also when the parser ended it early because the code after
 * it is unfinished (`let x = a + |`): the one before, unless a line starting in column 0
 * comes between (then the cursor starts a new declaration). */
static Decl *decl_around(AstFile *af, const char *text, uint32_t off) {
  Decl *d = decl_at(af, off);
  if (d) return d;
  Decl *prev = NULL;
  for (uint32_t i = 0; i < af->ndecls; i++)   /* declarations are in source order */
    if (af->decls[i] && af->decls[i]->span.start < off) prev = af->decls[i];
  if (!prev) return NULL;
  for (uint32_t i = prev->span.end; i < off; i++)
    if (text[i] == '\n' && i + 1 <= off && (i + 1 == off || (text[i + 1] != ' ' && text[i + 1] != '\t' &&
                                                           text[i + 1] != '\n' && text[i + 1] != '\r')))
      return NULL;
  return prev;
}

/* Scope state while descending to the cursor: the locals whose scope holds it. */
typedef struct Scope {
  const Ident *ids[256];
  uint32_t n;
  const Type *expect;         /* the type expected at the cursor, when known */
} Scope;

static void push_id(Scope *sc, const Ident *id) {
  if (id->str && sc->n < 256) sc->ids[sc->n++] = id;
}

static void scope_expr(Scope *sc, const Expr *e, uint32_t off, int depth);

static void scope_fields(Scope *sc, const Field *fs, uint32_t n, uint32_t off, const ResType *rt,
                         const Type *rec, int depth) {
  for (uint32_t i = 0; i < n; i++) {
    const Field *f = &fs[i];
    if (!f->value || !within(f->value->span, off)) continue;
    const RecField *rf = NULL;
    if (rt && f->name.str) {
      ResPart part;
      uint32_t idx;
      rf = ty_res_find(rt, f->name.str, &part, &idx);
    } else if (rec && f->name.str) {
      rf = ty_field(rec, f->name.str);
    }
    if (rf) sc->expect = rf->type;
    scope_expr(sc, f->value, off, depth + 1);
  }
}

typedef struct ScopeWalk { Scope *sc; uint32_t off; int depth; } ScopeWalk;
static bool scope_child(Expr *child, void *ud) {
  ScopeWalk *w = ud;
  scope_expr(w->sc, child, w->off, w->depth + 1);
  return false;
}

static void scope_expr(Scope *sc, const Expr *e, uint32_t off, int depth) {
  if (!e || depth > 2048 || !within(e->span, off)) return;
  switch (e->kind) {
  case EX_RECORD: {
    const Type *b = e->ty ? ty_base(e->ty) : NULL;
    scope_fields(sc, e->u.record.fields, e->u.record.nfields, off, NULL,
                 b && b->kind == TY_RECORD ? b : NULL, depth);
    break;
  }
  case EX_LIST_COMP:
    scope_expr(sc, e->u.lcomp.f.source, off, depth + 1);
    if (!within(e->u.lcomp.f.source ? e->u.lcomp.f.source->span : e->span, off) || !e->u.lcomp.f.source) {
      push_id(sc, &e->u.lcomp.f.var1);
      push_id(sc, &e->u.lcomp.f.var2);
    }
    scope_expr(sc, e->u.lcomp.filter, off, depth + 1);
    scope_expr(sc, e->u.lcomp.elem, off, depth + 1);
    break;
  case EX_MAP_COMP:
    scope_expr(sc, e->u.mcomp.f.source, off, depth + 1);
    if (!e->u.mcomp.f.source || !within(e->u.mcomp.f.source->span, off)) {
      push_id(sc, &e->u.mcomp.f.var1);
      push_id(sc, &e->u.mcomp.f.var2);
    }
    scope_expr(sc, e->u.mcomp.filter, off, depth + 1);
    scope_expr(sc, e->u.mcomp.key, off, depth + 1);
    scope_expr(sc, e->u.mcomp.value, off, depth + 1);
    break;
  case EX_INSTANCE: {
    const Type *b = e->u.inst.type && e->u.inst.type->ty ? ty_base(e->u.inst.type->ty) : NULL;
    scope_fields(sc, e->u.inst.fields, e->u.inst.nfields, off,
                 b && b->kind == TY_RESOURCE ? b->u.res : NULL, NULL, depth);
    break;
  }
  default: {
    /* strings, lists, members, indexes, calls, operators, if: their child expressions */
    ScopeWalk w = {sc, off, depth};
    ast_each_child(e, scope_child, &w);
    break;
  }
  }
}

/* A body `{ ... }` of a resource or instance that holds the cursor. */
typedef struct Body {
  const ResType *rt;
  const Field *fields;
  uint32_t nfields;
  Span span;
} Body;

static bool find_body(const Decl *d, uint32_t off, Body *b, Scope *sc, int depth) {
  if (!d || depth > 8) return false;
  switch (d->kind) {
  case D_RESOURCE: {
    const TypeExpr *te = d->u.res.type;
    const Type *t = te && te->ty ? ty_base(te->ty) : NULL;
    if (d->u.res.each && (!d->u.res.each->source || !within(d->u.res.each->source->span, off))) {
      push_id(sc, &d->u.res.each->var1);
      push_id(sc, &d->u.res.each->var2);
    }
    if (inside(d->u.res.body_span, off)) {
      *b = (Body){t && t->kind == TY_RESOURCE ? t->u.res : NULL, d->u.res.fields, d->u.res.nfields,
                  d->u.res.body_span};
      return true;
    }
    return false;
  }
  case D_LET: {
    const Expr *v = d->u.let.value;
    if (v && v->kind == EX_INSTANCE && within(v->span, off)) {
      const TypeExpr *te = v->u.inst.type;
      const Type *t = te && te->ty ? ty_base(te->ty) : NULL;
      if (te && off <= te->span.end) return false;
      *b = (Body){t && t->kind == TY_RESOURCE ? t->u.res : NULL, v->u.inst.fields, v->u.inst.nfields,
                  span_make(v->span.file, te ? te->span.end : v->span.start, v->span.end)};
      return true;
    }
    return false;
  }
  case D_COMPONENT:
    for (uint32_t i = 0; i < d->u.comp.nmembers; i++)
      if (d->u.comp.members[i] && within(d->u.comp.members[i]->span, off))
        return find_body(d->u.comp.members[i], off, b, sc, depth + 1);
    return false;
  case D_TEST:
    for (uint32_t i = 0; i < d->u.test.nstmts; i++)
      if (d->u.test.stmts[i] && within(d->u.test.stmts[i]->span, off))
        return find_body(d->u.test.stmts[i], off, b, sc, depth + 1);
    return false;
  default: return false;
  }
}

/* Locals and the expected type for an expression at [off] inside [d]. */
static void scope_decl(Scope *sc, const Decl *d, uint32_t off, int depth) {
  if (!d || depth > 8) return;
  switch (d->kind) {
  case D_PARAM:
    if (d->u.param.deflt && within(d->u.param.deflt->span, off)) {
      sc->expect = d->u.param.type ? d->u.param.type->ty : NULL;
      scope_expr(sc, d->u.param.deflt, off, 0);
    }
    break;
  case D_LET: case D_OUTPUT:
    if (d->u.let.type && d->u.let.type->ty) sc->expect = d->u.let.type->ty;
    scope_expr(sc, d->u.let.value, off, 0);
    break;
  case D_FN:
    for (uint32_t i = 0; i < d->u.fn.nparams; i++) push_id(sc, &d->u.fn.params[i].name);
    scope_expr(sc, d->u.fn.body, off, 0);
    break;
  case D_RESOURCE: {
    const TypeExpr *te = d->u.res.type;
    const Type *t = te && te->ty ? ty_base(te->ty) : NULL;
    if (d->u.res.each && (!d->u.res.each->source || !within(d->u.res.each->source->span, off))) {
      push_id(sc, &d->u.res.each->var1);
      push_id(sc, &d->u.res.each->var2);
    }
    scope_expr(sc, d->u.res.cond, off, 0);
    scope_fields(sc, d->u.res.fields, d->u.res.nfields, off, t && t->kind == TY_RESOURCE ? t->u.res : NULL,
                 NULL, 0);
    break;
  }
  case D_COMPONENT:
    for (uint32_t i = 0; i < d->u.comp.nmembers; i++)
      if (d->u.comp.members[i] && within(d->u.comp.members[i]->span, off))
        scope_decl(sc, d->u.comp.members[i], off, depth + 1);
    break;
  case D_POLICY:
    push_id(sc, &d->u.policy.var);
    for (uint32_t i = 0; i < d->u.policy.nrules; i++) {
      scope_expr(sc, d->u.policy.rules[i].cond, off, 0);
      scope_expr(sc, d->u.policy.rules[i].msg, off, 0);
    }
    break;
  case D_TEST:
    for (uint32_t i = 0; i < d->u.test.nstmts; i++) {
      const Decl *s = d->u.test.stmts[i];
      if (!s) continue;
      if (within(s->span, off)) { scope_decl(sc, s, off, depth + 1); break; }
      if (s->kind == D_LET && s->span.end < off) push_id(sc, &s->name);
    }
    break;
  default: break;
  }
}

/* The last non-blank byte before [off], or 0. */
static char prev_char(const char *text, uint32_t off, uint32_t *at) {
  while (off > 0) {
    char c = text[--off];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      if (at) *at = off;
      return c;
    }
  }
  return 0;
}

/* The identifier ending at [end] (exclusive) in [text]: its start. */
static uint32_t ident_start(const char *text, uint32_t end) {
  while (end > 0 && ident_char((unsigned char)text[end - 1])) end--;
  return end;
}

/* The identifier before [at] on its line, blanks between: its end (and start in *start). */
static uint32_t word_before(const char *text, uint32_t at, uint32_t *start) {
  while (at > 0 && (text[at - 1] == ' ' || text[at - 1] == '\t')) at--;
  *start = ident_start(text, at);
  return at;
}

static const char *const decl_keywords[] = {
  "component", "fn", "import", "let", "moved", "output", "param", "policy", "resource", "test",
  "type", "use",
};
static const char *const member_keywords[] = { "let", "output", "param", "resource" };
static const char *const test_keywords[] = { "assert", "let" };
static const char *const expr_keywords[] = { "else", "false", "for", "if", "in", "null", "then", "true" };

static void add_keywords(CList *cl, const char *const *kw, size_t n) {
  for (size_t i = 0; i < n; i++) {
    LspCompletion *c = cadd(cl, kw[i], LSP_CK_KEYWORD, "keyword");
    if (c) c->sort = arena_printf(cl->a, "9_%s", kw[i]);   /* after names */
  }
}

static void add_union(CList *cl, const Type *expect, bool in_string) {
  if (!expect) return;
  const Type *b = ty_base(expect);
  if (b->kind == TY_OPTIONAL) b = ty_base(b->u.elem);
  if (b->kind != TY_UNION) return;
  for (uint32_t i = 0; i < b->u.uni.nmembers; i++) {
    const char *m = b->u.uni.members[i]->s;
    const char *label = in_string ? m : arena_printf(cl->a, "\"%s\"", m);
    LspCompletion *c = cadd(cl, label, LSP_CK_ENUM_MEMBER, "union member");
    if (c) c->sort = arena_printf(cl->a, "0_%04u", i);
  }
}

/* Properties of [b]'s type not given yet, required ones first. */
static void add_properties(CList *cl, const LspIndex *ix, const Body *b, uint32_t off) {
  const ResType *rt = b->rt;
  if (!rt) return;
  for (uint32_t i = 0; i < rt->ninputs; i++) {
    const RecField *f = &rt->inputs[i];
    bool given = false;
    for (uint32_t j = 0; j < b->nfields && !given; j++)
      given = b->fields[j].name.str == f->name && !within(b->fields[j].name.span, off);
    if (given) continue;
    LspCompletion *c = cadd(cl, f->name->s, LSP_CK_PROPERTY, lsp_type_text(ix, f->type));
    if (!c) continue;
    const char *dv = f->deflt ? lsp_src(ix, f->deflt->span, 60, cl->a) : NULL;
    const char *req = f->has_default ? (dv ? arena_printf(cl->a, "Optional, default `%s`.", dv) : "Optional.")
                                     : "Required.";
    const char *doc = f->doc ? f->doc : f->sym && f->sym->decl ? f->sym->decl->doc : NULL;
    c->doc = doc ? arena_printf(cl->a, "%s\n\n%s", req, doc) : req;
    c->sort = arena_printf(cl->a, "%c_%04u", f->has_default ? '1' : '0', i);
    c->insert = arena_printf(cl->a, "%s = $0", f->name->s);
    c->snippet = true;
    c->detail = arena_printf(cl->a, "%s%s", lsp_type_text(ix, f->type), f->has_default ? "" : " (required)");
  }
}

/* The names a value expression at [off] can use: locals, the component's members, the
 * module's names, providers and imports, built-ins; then the expression keywords. */
static void add_scope(CList *cl, const LspIndex *ix, const Module *m, const Decl *d, const Scope *sc,
                      uint32_t file) {
  for (uint32_t i = sc->n; i-- > 0;) {
    const LspOcc *o = lsp_occ_at(ix, file, sc->ids[i]->span.start);
    if (o && o->sym) add_sym(cl, ix, o->sym);
    else cadd(cl, sc->ids[i]->str->s, LSP_CK_VARIABLE, NULL);
  }
  if (d && d->kind == D_COMPONENT && d->sym) add_tab(cl, ix, d->sym->members, is_value);
  if (m) add_tab(cl, ix, &m->scope, is_value);
  add_tab(cl, ix, &ix->prog->universe, is_value);
  add_keywords(cl, expr_keywords, sizeof expr_keywords / sizeof *expr_keywords);
}

/* Types for a type position: built-in, the module's aliases and components, providers and
 * imports to qualify with, and the resource types of the providers used. */
static void add_types(CList *cl, const LspIndex *ix, const Module *m, bool resources) {
  if (m) add_tab(cl, ix, &m->scope, is_type);
  add_tab(cl, ix, &ix->prog->universe, is_type);
  cadd(cl, "list", LSP_CK_TYPE_PARAMETER, "list<T>");
  cadd(cl, "map", LSP_CK_TYPE_PARAMETER, "map<T>");
  if (!m || !resources) return;
  for (uint32_t i = 0; i < m->scope.cap; i++) {
    const Sym *s = m->scope.slots[i];
    if (!s || s->kind != SYM_PROVIDER || !s->target) continue;
    const SymTab *t = &s->target->scope;
    for (uint32_t j = 0; j < t->cap; j++)
      if (t->slots[j] && t->slots[j]->kind == SYM_RESTYPE && t->slots[j]->res) {
        LspCompletion *c = cadd(cl, t->slots[j]->res->qual, LSP_CK_STRUCT, "resource type");
        if (c && t->slots[j]->decl) c->doc = t->slots[j]->decl->doc;
      }
  }
}

/* The parameters of an unparsed `fn name(a: T, b: U) ...` whose text holds [ws]: the
 * declaration starts at the last line before [ws] that starts in column 0. */
static void text_params(CList *cl, const char *text, uint32_t ws) {
  uint32_t s = ws;
  for (;;) {
    while (s > 0 && text[s - 1] != '\n') s--;
    if (s == 0 || (text[s] != ' ' && text[s] != '\t' && text[s] != '\n' && text[s] != '\r')) break;
    s--;
  }
  if (strncmp(text + s, "fn ", 3) != 0) return;
  const char *p = memchr(text + s, '(', ws - s);
  if (!p) return;
  uint32_t i = (uint32_t)(p - text) + 1, depth = 1;
  while (i < ws && depth) {
    char c = text[i];
    if (c == '(' || c == '<' || c == '{' || c == '[') depth++;
    else if (c == ')' || c == '>' || c == '}' || c == ']') depth--;
    else if (depth == 1 && ident_char((unsigned char)c) && !ident_char((unsigned char)text[i - 1])) {
      uint32_t e = i;
      while (e < ws && ident_char((unsigned char)text[e])) e++;
      uint32_t k = e;
      while (k < ws && text[k] == ' ') k++;
      if (k < ws && text[k] == ':')
        cadd(cl, arena_strndup(cl->a, text + i, e - i), LSP_CK_VARIABLE, "parameter");
      i = e;
      continue;
    }
    i++;
  }
}

/* After `@`: the lifecycle decorators (docs/language.md §6.9), those taking arguments as
 * snippets. */
static void add_decorators(CList *cl) {
  static const struct { const char *name, *insert, *doc; } decos[] = {
    {"create_before_destroy", NULL, "When replacing, create the new one before deleting the old."},
    {"depends_on", "depends_on(${1:resource})", "Extra dependency edges: wait for these resources."},
    {"ignore_changes", "ignore_changes(${1:property})", "Do not update when these properties change."},
    {"protect", NULL, "Refuse to destroy or replace the resource."},
    {"replace_on_change", "replace_on_change(${1:property})",
     "Replace instead of updating in place when these properties change."},
  };
  for (size_t i = 0; i < sizeof decos / sizeof *decos; i++) {
    LspCompletion *c = cadd(cl, decos[i].name, LSP_CK_FUNCTION, "decorator");
    if (!c) continue;
    c->doc = decos[i].doc;
    if (decos[i].insert) c->insert = decos[i].insert, c->snippet = true;
  }
}

/* Inside `import "...`: the folders next to [file] (under the part of the path typed
 * before the current segment), each a module when it holds .plat files.  Hidden folders,
 * build/ and node_modules/ are left out; at most MAX_ITEMS, sorted by the caller. */
static bool add_import_paths(CList *cl, const char *path, const char *text, uint32_t ws) {
  uint32_t q = ws;
  while (q > 0 && text[q - 1] != '"' && text[q - 1] != '\n') q--;
  if (q == 0 || text[q - 1] != '"') return false;
  uint32_t ls = q - 1;
  while (ls > 0 && text[ls - 1] != '\n') ls--;
  /* the line up to the quote must be `import` (indentation and spaces allowed) */
  uint32_t i = ls;
  while (i < q - 1 && (text[i] == ' ' || text[i] == '\t')) i++;
  if (q - 1 - i < 6 || memcmp(text + i, "import", 6) != 0) return false;
  for (i += 6; i < q - 1; i++)
    if (text[i] != ' ' && text[i] != '\t') return false;
  const char *slash = strrchr(path, '/');
  const char *typed = arena_strndup(cl->a, text + q, ws - q);   /* "lib/" of "lib/ne" */
  if (strstr(typed, "\"")) return false;
  const char *dir = arena_printf(cl->a, "%.*s/%s", slash ? (int)(slash - path) : 1,
                                 slash ? path : ".", typed);
  DIR *dp = opendir(dir);
  if (!dp) return true;
  struct dirent *de;
  uint32_t seen = 0;
  while ((de = readdir(dp)) && seen < 4 * MAX_ITEMS) {
    seen++;
    const char *nm = de->d_name;
    if (nm[0] == '.' || strcmp(nm, "build") == 0 || strcmp(nm, "node_modules") == 0) continue;
    const char *sub = arena_printf(cl->a, "%s/%s", dir, nm);
    struct stat st;
    if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    bool module = false;
    DIR *sd = opendir(sub);
    struct dirent *se;
    for (uint32_t k = 0; sd && !module && k < 4096 && (se = readdir(sd)); k++) {
      size_t l = strlen(se->d_name);
      module = l > 5 && strcmp(se->d_name + l - 5, ".plat") == 0;
    }
    if (sd) closedir(sd);
    LspCompletion *c = cadd(cl, arena_strdup(cl->a, nm), LSP_CK_MODULE, module ? "module" : "folder");
    if (c) c->sort = arena_printf(cl->a, "%d_%s", module ? 0 : 1, nm);   /* modules first */
  }
  closedir(dp);
  return true;
}

static bool open_paren(const char *text, uint32_t from, uint32_t off, uint32_t *paren, uint32_t *commas);

/* The function (user or built-in) whose call's parentheses hold [off], and in *arg the
 * argument the cursor is in (the commas before it); NULL when not in a call's arguments.
 * Read from the text, so it works while the call does not parse yet. */
static const Sym *call_at(const LspIndex *ix, const SourceFile *sf, Module *m, Decl *d, uint32_t off,
                          uint32_t *arg) {
  /* scan from the declaration's start, or from the last line that starts a declaration */
  uint32_t from = d && d->span.start <= off ? d->span.start : 0;
  if (!d)
    for (uint32_t i = off; i > 0; i--)
      if (sf->text[i - 1] == '\n' && i < sf->len && ident_char((unsigned char)sf->text[i])) { from = i; break; }
  uint32_t paren, commas;
  if (!open_paren(sf->text, from, off, &paren, &commas)) return NULL;
  uint32_t ns, ne = word_before(sf->text, paren, &ns);
  if (ne == ns) return NULL;
  const Str *name = intern(&ix->plat->strs, sf->text + ns, ne - ns);
  const Sym *s = NULL;
  if (ns > 0 && sf->text[ns - 1] == '.' && m) {
    uint32_t ms = ident_start(sf->text, ns - 1);
    const Sym *mod = symtab_get(&m->scope, intern(&ix->plat->strs, sf->text + ms, ns - 1 - ms));
    if (mod && mod->kind == SYM_IMPORT && mod->target) s = symtab_get(&mod->target->scope, name);
  } else {
    if (m) s = symtab_get(&m->scope, name);
    if (!s || (s->kind != SYM_FN && s->kind != SYM_BUILTIN)) s = symtab_get(&ix->prog->universe, name);
  }
  if (!s || (s->kind != SYM_FN && s->kind != SYM_BUILTIN)) return NULL;
  *arg = commas;
  return s;
}

/* The type of the user function's parameter the cursor is an argument for, or NULL. */
static const Type *arg_expect(const LspIndex *ix, const SourceFile *sf, Module *m, Decl *d, uint32_t off) {
  uint32_t k;
  const Sym *f = call_at(ix, sf, m, d, off, &k);
  if (!f || f->kind != SYM_FN || k >= f->nparams || !f->params[k]) return NULL;
  const Type *t = f->params[k]->type;
  return t && !ty_is_error(t) ? t : NULL;
}

LspCompletion *lsp_q_complete(const LspIndex *ix, uint32_t file, uint32_t off, Arena *a,
                              uint32_t *n, uint32_t *word_start) {
  *n = 0;
  const SourceFile *sf = source_file(&ix->plat->sources, file);
  if (!sf || !ix->prog) { *word_start = off; return NULL; }
  if (off > sf->len) off = sf->len;
  const char *text = sf->text;
  uint32_t ws = ident_start(text, off);
  *word_start = ws;
  CList cl = {NULL, 0, 0, NULL, 0, a, arena_strndup(a, text + ws, off - ws), off - ws};
  AstFile *af = NULL;
  Module *m = lsp_module_of_file(ix, file, &af);

  /* after `x.`: the members of x */
  if (ws > 0 && text[ws - 1] == '.') {
    uint32_t oe = ws - 1, os = ident_start(text, oe);
    const LspOcc *o = oe > os ? lsp_occ_at(ix, file, os) : NULL;
    if (o && o->at.end == oe) {
      if (o->field) add_members_of_type(&cl, ix, o->ty ? o->ty : o->field->type);
      else if (o->sym && (o->sym->kind == SYM_PROVIDER || o->sym->kind == SYM_IMPORT || !o->ty))
        add_members_of_sym(&cl, ix, o->sym);
      else add_members_of_type(&cl, ix, o->ty);
    } else if (oe > os && m) {
      const Str *name = intern(&ix->plat->strs, text + os, oe - os);
      Sym *s = symtab_get(&m->scope, name);
      add_members_of_sym(&cl, ix, s);
    }
    goto done;
  }
  /* after `@`: a decorator */
  if (ws > 0 && text[ws - 1] == '@') {
    add_decorators(&cl);
    goto done;
  }
  /* in the path of an `import "...` */
  if (!sf->builtin && add_import_paths(&cl, sf->path, text, ws)) goto done;
  Decl *d = af ? decl_around(af, text, off) : NULL;
  bool in_string = ws > 0 && text[ws - 1] == '"';
  uint32_t pc_at = 0;
  char pc = prev_char(text, ws, &pc_at);
  if (!d) {
    /* the start of a line in column 0: what can start a declaration */
    uint32_t ls = ws;
    while (ls > 0 && text[ls - 1] != '\n') ls--;
    if (ls == ws) {
      add_keywords(&cl, decl_keywords, sizeof decl_keywords / sizeof *decl_keywords);
      goto done;
    }
    /* a declaration the parser could not read: a type after `:`, else an expression
     * with a function's parameters, read from the text */
    if (pc == ':' || pc == '<') {
      add_types(&cl, ix, m, true);
      goto done;
    }
    Scope sc = {.n = 0};
    text_params(&cl, text, ws);
    add_scope(&cl, ix, m, NULL, &sc, file);
    goto done;
  }
  if (ws == d->span.start) {
    add_keywords(&cl, decl_keywords, sizeof decl_keywords / sizeof *decl_keywords);
    goto done;
  }
  /* a type position: after `:` (not in a rule or assert's message) or `<` */
  if ((pc == ':' || pc == '<') && !in_string && d->kind != D_POLICY && d->kind != D_TEST) {
    bool in_body = false;
    Body b;
    Scope sc0 = {.n = 0};
    if (find_body(d, off, &b, &sc0, 0)) in_body = true;
    if (!in_body) {
      add_types(&cl, ix, m, d->kind == D_RESOURCE || d->kind == D_COMPONENT);
      goto done;
    }
  }
  Scope sc = {.n = 0};
  Body body;
  if (find_body(d, off, &body, &sc, 0)) {
    /* in a body: a property name unless the cursor is in a field's value */
    bool in_value = false;
    for (uint32_t i = 0; i < body.nfields; i++) {
      const Field *f = &body.fields[i];
      if (f->value && within(f->value->span, off) && !within(f->name.span, off)) in_value = true;
    }
    /* `name = |` with nothing after the `=` yet */
    if (!in_value && pc == '=') in_value = true;
    if (!in_value) {
      add_properties(&cl, ix, &body, off);
      goto done;
    }
    scope_decl(&sc, d, off, 0);
    if (!sc.expect && pc == '=' && body.rt) {
      /* the field being typed: the name before the `=` */
      uint32_t ns, ne = word_before(text, pc_at, &ns);
      if (ne > ns) {
        ResPart part;
        uint32_t idx;
        const RecField *f = ty_res_find(body.rt, intern(&ix->plat->strs, text + ns, ne - ns), &part, &idx);
        if (f) sc.expect = f->type;
      }
    }
    /* an argument of a call in the value: its parameter's type */
    const Type *at = arg_expect(ix, sf, m, d, off);
    if (at) sc.expect = at;
    add_union(&cl, sc.expect, in_string);
    if (!in_string) add_scope(&cl, ix, m, d, &sc, file);
    goto done;
  }
  if (d->kind == D_COMPONENT && inside(d->u.comp.body_span, off)) {
    bool in_member = false;
    for (uint32_t i = 0; i < d->u.comp.nmembers; i++)
      if (d->u.comp.members[i] && within(d->u.comp.members[i]->span, off) &&
          !(ws == d->u.comp.members[i]->span.start)) in_member = true;
    if (!in_member) {
      add_keywords(&cl, member_keywords, sizeof member_keywords / sizeof *member_keywords);
      goto done;
    }
  }
  if (d->kind == D_TEST) {
    bool in_stmt = false;
    for (uint32_t i = 0; i < d->u.test.nstmts; i++)
      if (d->u.test.stmts[i] && within(d->u.test.stmts[i]->span, off) && ws != d->u.test.stmts[i]->span.start)
        in_stmt = true;
    if (!in_stmt) add_keywords(&cl, test_keywords, sizeof test_keywords / sizeof *test_keywords);
  }
  scope_decl(&sc, d, off, 0);
  if (sc.expect && ty_is_error(sc.expect)) sc.expect = NULL;
  if (!sc.expect && pc == '=' && m) {
    /* `let t: Tier = |` that did not parse: the type named before the `=` */
    uint32_t ns, cat, ne = word_before(text, pc_at, &ns);
    if (ne > ns && prev_char(text, ns, &cat) == ':') {
      const Sym *ts = symtab_get(&m->scope, intern(&ix->plat->strs, text + ns, ne - ns));
      if (ts && ts->kind == SYM_TYPE) sc.expect = ts->type;
    }
  }
  const Type *at = arg_expect(ix, sf, m, d, off);
  if (at) sc.expect = at;
  add_union(&cl, sc.expect, in_string);
  if (!in_string) add_scope(&cl, ix, m, d, &sc, file);
done:
  if (cl.n) qsort(cl.v, cl.n, sizeof *cl.v, item_cmp);
  *n = cl.n;
  return cl.v;
}

/* ---- signature help -------------------------------------------------------------------------------- */
/* The innermost `(` still open at [off], scanning forward from [from]: its offset, and the
 * commas at its level before [off].  Strings, interpolations and comments are skipped. */
static bool open_paren(const char *text, uint32_t from, uint32_t off, uint32_t *paren, uint32_t *commas) {
  enum { MAXD = 256 };
  uint32_t pos[MAXD], com[MAXD];
  char kind[MAXD];
  uint32_t depth = 0;
  uint32_t strdepth = 0;      /* inside a string (1) or an interpolation in one (stack below) */
  uint32_t interp[MAXD];      /* bracket depth at which each ${ opened */
  uint32_t ninterp = 0;
  for (uint32_t i = from; i < off; i++) {
    char c = text[i];
    if (strdepth > ninterp) {          /* in string text */
      if (c == '\\') { i++; continue; }
      if (c == '"') { strdepth--; continue; }
      if (c == '$' && i + 1 < off && text[i + 1] == '{' && ninterp < MAXD) {
        interp[ninterp++] = depth;
        i++;
      }
      if (c == '\n') strdepth = ninterp;   /* an unterminated string ends at its line */
      continue;
    }
    if (c == '/' && i + 1 < off && text[i + 1] == '/') {
      while (i < off && text[i] != '\n') i++;
      continue;
    }
    if (c == '"') { strdepth++; continue; }
    if (c == '}' && ninterp && interp[ninterp - 1] == depth) { ninterp--; continue; }
    if (c == '(' || c == '[' || c == '{') {
      if (depth < MAXD) { pos[depth] = i; com[depth] = 0; kind[depth] = c; }
      depth++;
    } else if ((c == ')' || c == ']' || c == '}') && depth) {
      depth--;
    } else if (c == ',' && depth && depth <= MAXD) {
      com[depth - 1]++;
    }
  }
  for (uint32_t k = depth < MAXD ? depth : MAXD; k-- > 0;)
    if (kind[k] == '(') {
      *paren = pos[k];
      *commas = com[k];
      return true;
    } else if (kind[k] == '{') {
      return false;    /* a body or record between: not in the call's arguments */
    }
  return false;
}

/* Byte ranges of the parameters in a signature label "f(a: T, b: U...): R". */
static void param_ranges(LspSignature *sig) {
  const char *l = sig->label;
  const char *p = strchr(l, '(');
  sig->nparams = 0;
  if (!p || p[1] == ')') return;
  uint32_t start = (uint32_t)(p - l) + 1, depth = 0;
  for (uint32_t i = start; l[i]; i++) {
    char c = l[i];
    if (c == '<' || c == '(' || c == '{' || c == '[') depth++;
    else if ((c == '>' || c == '}' || c == ']') && depth) depth--;
    else if (c == ')' && depth) depth--;
    else if ((c == ',' || c == ')') && depth == 0) {
      if (sig->nparams < 16) {
        sig->pstart[sig->nparams] = start;
        sig->pend[sig->nparams] = i;
        sig->nparams++;
      }
      if (c == ')') return;
      start = i + 1;
      while (l[start] == ' ') start++, i++;
    }
  }
}

bool lsp_q_signature(const LspIndex *ix, uint32_t file, uint32_t off, Arena *a, LspSignature *out) {
  const SourceFile *sf = source_file(&ix->plat->sources, file);
  if (!sf || !ix->prog) return false;
  if (off > sf->len) off = sf->len;
  AstFile *af = NULL;
  Module *m = lsp_module_of_file(ix, file, &af);
  Decl *d = af ? decl_at(af, off) : NULL;
  uint32_t commas;
  const Sym *s = call_at(ix, sf, m, d, off, &commas);
  if (!s) return false;
  memset(out, 0, sizeof *out);
  if (s->kind == SYM_BUILTIN) {
    out->label = s->builtin ? s->builtin->sig : s->name->s;
    out->doc = "Built-in function (docs/language.md §11).";
  } else {
    out->label = lsp_fn_sig(ix, s, a);
    out->doc = s->decl ? s->decl->doc : NULL;
  }
  param_ranges(out);
  bool variadic = s->kind == SYM_BUILTIN && s->builtin && s->builtin->variadic;
  out->active = commas;
  if (out->nparams && out->active >= out->nparams)
    out->active = variadic ? out->nparams - 1 : out->nparams;   /* past the end: none */
  return true;
}
