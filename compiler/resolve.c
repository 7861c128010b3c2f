/* Name resolution (docs/language.md §6–§8): symbols for every declaration, scopes (module,
 * component body, fn params, comprehension and keyed-copy variables, test lets, policy
 * variables, refinement `self`), the binding of every EX_NAME, and the declaration graph
 * whose strongly connected components are the cycles (E0205, E0313) and whose order is the
 * checking order.  Types and meaning are check.c's: this pass only finds what names are. */
#include "compiler/checker.h"

#include <stdlib.h>
#include <string.h>

#define NO_NODE UINT32_MAX

/* ---- symbol tables and pointer maps ------------------------------------------------- */
void symtab_init(SymTab *t, Arena *a, uint32_t cap) {
  uint32_t c = 8;
  while (c < cap * 2) c *= 2;
  t->cap = c;
  t->count = 0;
  t->slots = arena_calloc(a, c, sizeof *t->slots);
  t->names = arena_calloc(a, c, sizeof *t->names);
}

static uint32_t ptr_hash(const void *p) {
  uintptr_t x = (uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (uint32_t)x;
}

Sym *symtab_get(const SymTab *t, const Str *name) {
  if (!t->cap || !name) return NULL;
  uint32_t j = name->hash & (t->cap - 1);
  for (const Str *n; (n = t->names[j]); j = (j + 1) & (t->cap - 1))
    if (n == name) return t->slots[j];
  return NULL;
}

Sym *symtab_put(SymTab *t, Arena *a, Sym *s) {
  if (!t->cap) symtab_init(t, a, 8);
  if ((t->count + 1) * 4 > t->cap * 3) {
    uint32_t ncap = t->cap * 2;
    Sym **ns = arena_calloc(a, ncap, sizeof *ns);
    const Str **nn = arena_calloc(a, ncap, sizeof *nn);
    for (uint32_t i = 0; i < t->cap; i++) {
      if (!t->names[i]) continue;
      uint32_t j = t->names[i]->hash & (ncap - 1);
      while (nn[j]) j = (j + 1) & (ncap - 1);
      ns[j] = t->slots[i];
      nn[j] = t->names[i];
    }
    t->slots = ns;
    t->names = nn;
    t->cap = ncap;
  }
  /* one probe both finds a clash and the free slot */
  uint32_t j = s->name->hash & (t->cap - 1);
  for (const Str *n; (n = t->names[j]); j = (j + 1) & (t->cap - 1))
    if (n == s->name) return t->slots[j];
  t->slots[j] = s;
  t->names[j] = s->name;
  t->count++;
  return NULL;
}

Sym *chk_lookup(const Module *m, const Str *name) { return symtab_get(&m->scope, name); }

void pmap_put(Arena *a, PtrMap *m, const void *key, void *val) {
  if ((m->count + 1) * 2 > m->cap) {
    uint32_t ncap = m->cap ? m->cap * 2 : 64;
    PtrEnt *ne = arena_calloc(a, ncap, sizeof *ne);
    for (uint32_t i = 0; i < m->cap; i++) {
      if (!m->e[i].key) continue;
      uint32_t j = ptr_hash(m->e[i].key) & (ncap - 1);
      while (ne[j].key) j = (j + 1) & (ncap - 1);
      ne[j] = m->e[i];
    }
    m->e = ne;
    m->cap = ncap;
  }
  uint32_t j = ptr_hash(key) & (m->cap - 1);
  while (m->e[j].key && m->e[j].key != key) j = (j + 1) & (m->cap - 1);
  if (!m->e[j].key) m->count++;
  m->e[j].key = key;
  m->e[j].val = val;
}

void *pmap_get(const PtrMap *m, const void *key) {
  if (!m->cap) return NULL;
  uint32_t j = ptr_hash(key) & (m->cap - 1);
  for (; m->e[j].key; j = (j + 1) & (m->cap - 1))
    if (m->e[j].key == key) return m->e[j].val;
  return NULL;
}

/* ---- helpers -------------------------------------------------------------------------- */

const char *res_sym_name(Checker *c, const Sym *s) {
  if (s->owner) return arena_printf(c->arena, "%s.%s", s->owner->name->s, s->name->s);
  return s->name->s;
}

static Sym *new_sym(Checker *c, SymKind kind, Ident id, Decl *d) {
  Sym *s = arena_alloc(c->arena, sizeof *s);
  s->kind = kind;
  s->name = id.str;
  s->span = id.span;
  s->decl = d;
  s->type = TY_ERROR_T;
  s->phase = PHASE_PLAN;
  s->module = c->mod;
  s->node = NO_NODE;
  return s;
}

static void add_node(Checker *c, Sym *s) {
  if (c->nnodes == c->capnodes) {
    c->capnodes = c->capnodes ? c->capnodes * 2 : 256;
    c->nodes = plat_xrealloc(c->nodes, c->capnodes * sizeof *c->nodes);
  }
  s->node = c->nnodes;
  c->nodes[c->nnodes++] = s;
}

static void add_edge(Checker *c, uint32_t from, uint32_t to, Span at) {
  if (c->nedges == c->capedges) {
    c->capedges = c->capedges ? c->capedges * 2 : 1024;
    c->edges = plat_xrealloc(c->edges, c->capedges * sizeof *c->edges);
  }
  c->edges[c->nedges++] = (Edge){from, to, at};
}

static void add_other(Checker *c, Decl *d) {
  if (c->nothers == c->capothers) {
    c->capothers = c->capothers ? c->capothers * 2 : 16;
    c->others = plat_xrealloc(c->others, c->capothers * sizeof *c->others);
  }
  c->others[c->nothers++] = d;
}

static void keep_local(Checker *c, Sym *s) {
  if (c->nlocsyms == c->caplocsyms) {
    c->caplocsyms = c->caplocsyms ? c->caplocsyms * 2 : 64;
    c->locsyms = plat_xrealloc(c->locsyms, c->caplocsyms * sizeof *c->locsyms);
  }
  c->locsyms[c->nlocsyms++] = s;
}

/* A reference to [s] at [at] from the declaration being walked. */
static void note_use(Checker *c, Sym *s, Span at) {
  if (s != c->cur) s->uses++;
  if (c->cur && s->node != NO_NODE && s->module == c->mod) add_edge(c, c->cur->node, s->node, at);
}

/* The innermost local named [name] (its index + 1), or 0: one hash probe, however many
 * locals a test or a function declares. */
static uint32_t local_index(const Checker *c, const Str *name) {
  if (!c->nlocals) return 0;
  return (uint32_t)(uintptr_t)pmap_get(&c->local_top, name);
}

/* ---- "did you mean" ----------------------------------------------------------------- */
/* Suggestions cost an edit distance per candidate; a file with thousands of typos in a
 * module of a million names must not go quadratic, so the total work is capped. */
#define SUGGEST_BUDGET 2000000u

typedef struct Cands { const char **v; uint32_t n, cap; } Cands;

static void cand_add(Cands *cs, const char *s) {
  if (cs->n == cs->cap) {
    cs->cap = cs->cap ? cs->cap * 2 : 64;
    cs->v = plat_xrealloc(cs->v, cs->cap * sizeof *cs->v);
  }
  cs->v[cs->n++] = s;
}

enum { WANT_VALUE = 1, WANT_TYPE = 2, WANT_FN = 4, WANT_ANY = 8 };

static bool sym_wanted(const Sym *s, int want) {
  if (want & WANT_ANY) return true;
  switch (s->kind) {
  case SYM_TYPE: case SYM_PRIMTYPE: case SYM_COMPONENT: case SYM_RESTYPE:
    return want & WANT_TYPE;
  case SYM_FN: case SYM_BUILTIN: return want & WANT_FN;
  case SYM_PROVIDER: case SYM_IMPORT: return (want & WANT_TYPE) || (want & WANT_VALUE);
  default: return want & WANT_VALUE;
  }
}

/* Only names whose length is within diag_suggest's largest distance can be suggested. */
static bool near_len(const Str *a, const Str *b) {
  return a->len <= b->len + 3 && b->len <= a->len + 3;
}

static void cand_tab(Cands *cs, const SymTab *t, int want, const Str *name) {
  for (uint32_t i = 0; i < t->cap; i++)
    if (t->slots[i] && near_len(t->slots[i]->name, name) && sym_wanted(t->slots[i], want))
      cand_add(cs, t->slots[i]->name->s);
}

/* Charge [cost] symbols looked at to the program's budget; false when it is spent. */
static bool afford(Checker *c, uint64_t cost) {
  if (c->prog->nsuggest + cost > SUGGEST_BUDGET) return false;
  c->prog->nsuggest += (uint32_t)cost;
  return true;
}

static const char *suggest(const Str *name, Cands *cs) {
  const char *r = diag_suggest(name->s, cs->v, cs->n);
  free(cs->v);
  return r;
}

const char *res_suggest_tab(Checker *c, const Str *name, const SymTab *t) {
  if (!name || !t || !afford(c, (uint64_t)t->count + 1)) return NULL;
  Cands cs = {0};
  cand_tab(&cs, t, WANT_ANY, name);
  return suggest(name, &cs);
}

static const char *suggest_want(Checker *c, const Str *name, Sym *comp, int want) {
  uint64_t cost = (uint64_t)c->nlocals + c->mod->scope.count + c->prog->universe.count + 1;
  if (comp && comp->members) cost += comp->members->count;
  if (!name || !afford(c, cost)) return NULL;
  Cands cs = {0};
  if (want & WANT_VALUE)
    for (uint32_t i = 0; i < c->nlocals; i++)
      if (near_len(c->locals[i].name, name)) cand_add(&cs, c->locals[i].name->s);
  if (comp && comp->members) cand_tab(&cs, comp->members, want, name);
  cand_tab(&cs, &c->mod->scope, want, name);
  cand_tab(&cs, &c->prog->universe, want, name);
  const char *best = suggest(name, &cs);
  /* the suggested declaration was most likely meant to be used here: do not also call it
   * unused (W0001) while the typo stands */
  if (best) {
    const Str *bs = intern_cstr(c->strs, best);
    Sym *s = NULL;
    uint32_t li = local_index(c, bs);
    if (li) s = c->locals[li - 1].sym;
    if (!s && comp && comp->members) s = symtab_get(comp->members, bs);
    if (!s) s = symtab_get(&c->mod->scope, bs);
    if (s) s->uses++;
  }
  return best;
}

const char *res_suggest(Checker *c, const Str *name, Sym *comp, bool fns, bool types) {
  return suggest_want(c, name, comp, (fns ? WANT_FN : WANT_VALUE) | (types ? WANT_TYPE : 0));
}

/* ---- declaring ------------------------------------------------------------------------- */
static bool is_importish(const Sym *s) { return s->kind == SYM_PROVIDER || s->kind == SYM_IMPORT; }

/* `File` for `local.File`, `fqdn` for `net.fqdn`: [name] as declared by a provider or an
 * imported module that this module uses (and exports: a provider's resource types, a
 * module's lets, types, functions and components), of a kind in [want], qualified; the
 * first in byte order when several have it, NULL when none does.  The provider or import
 * it names counts as used, so the slip does not also make it W0002. */
static const char *qualified_suggestion(Checker *c, const Str *name, int want) {
  /* the modules this one can qualify with: its imports and the providers it uses */
  uint32_t nimp = c->mod->nimports, nprov = c->prog->nproviders;
  if (!name || !afford(c, (uint64_t)nimp + nprov + 1)) return NULL;
  Sym *best = NULL;
  const char *bestq = NULL;
  for (uint32_t i = 0; i < nimp + nprov; i++) {
    const Str *alias;
    Module *target;
    if (i < nimp) {
      Decl *id = c->mod->imports[i].decl;
      alias = id ? id->u.import.alias.str : NULL;
      target = c->mod->imports[i].mod;
    } else {
      target = c->prog->providers[i - nimp];
      alias = target->name;
    }
    Sym *m = alias && target ? symtab_get(&c->mod->scope, alias) : NULL;
    if (!m || !is_importish(m) || m->target != target) continue;
    Sym *d = symtab_get(&target->scope, name);
    bool exported = d && (m->kind == SYM_PROVIDER
                          ? d->kind == SYM_RESTYPE
                          : d->kind == SYM_LET || d->kind == SYM_TYPE || d->kind == SYM_FN ||
                            d->kind == SYM_COMPONENT);
    if (!exported || !sym_wanted(d, want)) continue;
    const char *q = arena_printf(c->arena, "%s.%s", m->name->s, name->s);
    if (!bestq || strcmp(q, bestq) < 0) { best = m; bestq = q; }
  }
  if (best) best->uses++;
  return bestq;
}

/* Put [s] in [tab]; on a clash report E0201 (E0504 between imports/providers) and keep the
 * first.  Returns whether [s] went in. */
static bool declare(Checker *c, SymTab *tab, Sym *s) {
  Sym *old = symtab_put(tab, c->arena, s);
  if (!old) return true;
  /* both sides of a clash: the E0201 is what to fix, not which one is unused */
  s->duplicate = old->duplicate = true;
  Diag *d;
  if (is_importish(old) && is_importish(s)) {
    if (old->kind == SYM_PROVIDER && s->kind == SYM_PROVIDER) {
      d = diag_add(c->diags, DIAG_E0504, s->span, "provider '%s' is used twice", s->name->s);
      diag_label(c->diags, d, s->span, "used again here");
      diag_label(c->diags, d, old->span, "first used here");
      diag_help(c->diags, d, "remove this `use`: one per module is enough");
    } else {
      d = diag_add(c->diags, DIAG_E0504, s->span, "the name '%s' is imported twice", s->name->s);
      diag_label(c->diags, d, s->span, "'%s' names this %s too", s->name->s,
                 s->kind == SYM_PROVIDER ? "provider" : "import");
      diag_label(c->diags, d, old->span, "'%s' first names this %s", s->name->s,
                 old->kind == SYM_PROVIDER ? "provider" : "import");
      diag_help(c->diags, d, "write `as` with another name for the import");
    }
  } else {
    d = diag_add(c->diags, DIAG_E0201, s->span, "'%s' is declared twice", s->name->s);
    diag_label(c->diags, d, s->span, "'%s' redeclared here", s->name->s);
    diag_label(c->diags, d, old->span, "first declared here as a %s", chk_kind_word(old));
    diag_help(c->diags, d, "rename one of them");
  }
  return false;
}

static ModImport *import_of(Checker *c, Decl *d) {
  for (uint32_t i = 0; i < c->mod->nimports; i++)
    if (c->mod->imports[i].decl == d) return &c->mod->imports[i];
  return NULL;
}

static void declare_provider(Checker *c, Decl *d, SymTab *tab) {
  Ident id = d->u.use.provider.str ? d->u.use.provider : d->name;
  if (!id.str) return;
  Sym *s = new_sym(c, SYM_PROVIDER, id, d);
  d->sym = s;
  s->is_root = c->mod->root;
  s->target = mod_provider(c->prog, id.str);
  if (!s->target) {
    uint32_t n;
    const char *const *names = mod_provider_names(c->prog, &n);
    Diag *dg = diag_add(c->diags, DIAG_E0202, id.span, "unknown provider '%s'", id.str->s);
    diag_label(c->diags, dg, id.span, "no schema for this provider");
    const char *best = diag_suggest(id.str->s, names, n);
    if (best) {
      diag_help(c->diags, dg, "did you mean '%s'?", best);
      diag_fix(c->diags, dg, id.span, best, arena_printf(c->arena, "replace with '%s'", best));
    }
    if (n) {
      size_t len = 0;
      for (uint32_t i = 0; i < n; i++) len += strlen(names[i]) + 2;
      char *list = arena_alloc(c->arena, len + 1);
      for (uint32_t i = 0; i < n; i++) {
        if (i) strcat(list, ", ");
        strcat(list, names[i]);
      }
      diag_note(c->diags, dg, "available providers: %s", list);
    }
    s->type = TY_ERROR_T;
  } else {
    s->type = s->target->type;
  }
  s->state = SYMST_DONE;
  declare(c, tab, s);
}

static void declare_member(Checker *c, Sym *comp, Decl *m);

static void declare_decl(Checker *c, Decl *d) {
  Module *m = c->mod;
  SymKind k;
  switch (d->kind) {
  case D_USE: declare_provider(c, d, &m->scope); return;
  case D_IMPORT: {
    if (!d->u.import.alias.str) return;
    Sym *s = new_sym(c, SYM_IMPORT, d->u.import.alias, d);
    d->sym = s;
    ModImport *mi = import_of(c, d);
    s->target = mi ? mi->mod : NULL;
    s->type = s->target ? s->target->type : TY_ERROR_T;
    s->state = SYMST_DONE;
    declare(c, &m->scope, s);
    return;
  }
  case D_POLICY: case D_TEST: case D_MOVED: add_other(c, d); return;
  case D_PARAM: k = SYM_PARAM; break;
  case D_LET: k = SYM_LET; break;
  case D_TYPE: k = SYM_TYPE; break;
  case D_FN: k = SYM_FN; break;
  case D_RESOURCE: k = SYM_RESOURCE; break;
  case D_COMPONENT: k = SYM_COMPONENT; break;
  case D_OUTPUT: k = SYM_OUTPUT; break;
  case D_SCHEMA: k = SYM_RESTYPE; break;
  default: return;     /* D_ERROR, and D_ASSERT which the parser keeps inside tests */
  }
  if (!d->name.str) return;
  Sym *s = new_sym(c, k, d->name, d);
  s->is_root = m->root;
  d->sym = s;
  add_node(c, s);
  declare(c, k == SYM_OUTPUT ? &m->outputs : &m->scope, s);
  if (k == SYM_COMPONENT) {
    s->members = arena_alloc(c->arena, sizeof *s->members);
    s->outputs = arena_alloc(c->arena, sizeof *s->outputs);
    symtab_init(s->members, c->arena, d->u.comp.nmembers);
    symtab_init(s->outputs, c->arena, 4);
    for (uint32_t i = 0; i < d->u.comp.nmembers; i++)
      if (d->u.comp.members[i]) declare_member(c, s, d->u.comp.members[i]);
  }
}

static void declare_member(Checker *c, Sym *comp, Decl *d) {
  SymKind k;
  switch (d->kind) {
  case D_PARAM: k = SYM_PARAM; break;
  case D_LET: k = SYM_LET; break;
  case D_RESOURCE: k = SYM_RESOURCE; break;
  case D_OUTPUT: k = SYM_OUTPUT; break;
  default: return;     /* the parser reported anything else (E0102) */
  }
  if (!d->name.str) return;
  Sym *s = new_sym(c, k, d->name, d);
  s->owner = comp;
  d->sym = s;
  add_node(c, s);
  declare(c, k == SYM_OUTPUT ? comp->outputs : comp->members, s);
}

void res_declare(Checker *c) {
  Module *m = c->mod;
  uint32_t total = 0;
  for (uint32_t f = 0; f < m->nfiles; f++) if (m->files[f]) total += m->files[f]->ndecls;
  symtab_init(&m->scope, c->arena, total);
  symtab_init(&m->outputs, c->arena, 8);
  for (uint32_t f = 0; f < m->nfiles; f++) {
    AstFile *af = m->files[f];
    if (!af) continue;
    for (uint32_t i = 0; i < af->ndecls; i++)
      if (af->decls[i]) declare_decl(c, af->decls[i]);
  }
}

/* ---- scopes ---------------------------------------------------------------------------- */
static Sym *lookup_value(Checker *c, const Str *name) {
  uint32_t li = local_index(c, name);
  if (li) return c->locals[li - 1].sym;
  Sym *s;
  if (c->comp && (s = symtab_get(c->comp->members, name))) return s;
  if ((s = symtab_get(&c->mod->scope, name))) return s;
  return symtab_get(&c->prog->universe, name);
}

static void push_local(Checker *c, const Str *name, Sym *s) {
  if (c->nlocals == c->caplocals) {
    c->caplocals = c->caplocals ? c->caplocals * 2 : 32;
    c->locals = plat_xrealloc(c->locals, c->caplocals * sizeof *c->locals);
    c->local_prev = plat_xrealloc(c->local_prev, c->caplocals * sizeof *c->local_prev);
  }
  c->local_prev[c->nlocals] = local_index(c, name);
  c->locals[c->nlocals++] = (Local){name, s};
  pmap_put(c->arena, &c->local_top, name, (void *)(uintptr_t)c->nlocals);
}

/* Leave the scopes opened since [mark] (a value of c->nlocals). */
static void pop_locals(Checker *c, uint32_t mark) {
  while (c->nlocals > mark) {
    c->nlocals--;
    pmap_put(c->arena, &c->local_top, c->locals[c->nlocals].name,
             (void *)(uintptr_t)c->local_prev[c->nlocals]);
  }
}

/* W0004 when [s] hides a name of an enclosing scope (built-ins excepted). */
static void check_shadow(Checker *c, Sym *s) {
  if (!s->name || s->name->s[0] == '_') return;
  Sym *outer = lookup_value(c, s->name);
  if (!outer || outer == s || outer->kind == SYM_BUILTIN || outer->kind == SYM_PRIMTYPE ||
      outer->kind == SYM_SELF)
    return;
  Diag *d = diag_add(c->diags, DIAG_W0004, s->span, "'%s' shadows the %s '%s'", s->name->s,
                     chk_kind_word(outer), res_sym_name(c, outer));
  diag_label(c->diags, d, s->span, "this %s hides it", chk_kind_word(s));
  diag_label(c->diags, d, outer->span, "'%s' is declared here", outer->name->s);
  diag_help(c->diags, d, "rename one of them");
}

/* A new local symbol for binder [id]; [key] maps the AST binder to it for check.c.
 * [dup]: [id] repeats a name of the same scope (E0201 reported): it is not a shadow, and
 * the first one, which it hides, is not reported unused either. */
static Sym *bind_local_dup(Checker *c, SymKind k, Ident id, const void *key, uint8_t phase,
                           bool dup) {
  if (!id.str) return NULL;
  Sym *s = new_sym(c, k, id, NULL);
  s->phase = phase;
  s->state = SYMST_DONE;
  if (key) pmap_put(c->arena, &c->binders, key, s);
  if (dup) {
    Sym *first = lookup_value(c, id.str);
    if (first) first->duplicate = true;
    s->duplicate = true;
  } else {
    check_shadow(c, s);
  }
  push_local(c, id.str, s);
  keep_local(c, s);
  return s;
}

static Sym *bind_local(Checker *c, SymKind k, Ident id, const void *key, uint8_t phase) {
  return bind_local_dup(c, k, id, key, phase, false);
}

/* ---- walking ----------------------------------------------------------------------------- */
static void res_expr(Checker *c, Expr *e);
static void res_type(Checker *c, TypeExpr *te, const Str *param_name);

static void undefined(Checker *c, Expr *e, bool call) {
  const Str *name = e->u.name.id.str;
  Span sp = e->u.name.id.span;
  if (name == c->s_self) {
    Diag *d = diag_add(c->diags, DIAG_E0200, sp, "'self' is not defined here");
    diag_label(c->diags, d, sp, "not in a `where` predicate");
    diag_help(c->diags, d, "'self' names the value a refinement tests: `int where self > 0`");
    return;
  }
  Diag *d = diag_add(c->diags, call ? DIAG_E0210 : DIAG_E0200, sp,
                     call ? "unknown function '%s'" : "undefined name '%s'", name->s);
  diag_label(c->diags, d, sp, call ? "no function of this name" : "not found in this scope");
  Sym *out = c->comp ? symtab_get(c->comp->outputs, name) : NULL;
  if (!out) out = symtab_get(&c->mod->outputs, name);
  if (out && !call) {
    diag_note(c->diags, d, "'%s' is an output: outputs are read by the users of a module or "
              "component, not inside it", name->s);
    return;
  }
  /* the exact name in an imported module beats a near one in scope */
  const char *best = qualified_suggestion(c, name, call ? WANT_FN : WANT_VALUE);
  if (!best) best = suggest_want(c, name, c->comp, call ? WANT_FN : WANT_VALUE);
  if (best) {
    diag_help(c->diags, d, "did you mean '%s'?", best);
    diag_fix(c->diags, d, sp, best, arena_printf(c->arena, "replace with '%s'", best));
  }
}

static void res_name(Checker *c, Expr *e, bool call) {
  const Str *name = e->u.name.id.str;
  if (!name) return;
  Sym *s = lookup_value(c, name);
  if (!s) { undefined(c, e, call); return; }
  e->u.name.sym = s;
  note_use(c, s, e->u.name.id.span);
}

static void res_for(Checker *c, ForClause *f, uint8_t phase, SymKind k) {
  bind_local(c, k, f->var1, &f->var1, phase);
  if (f->var2.str) {
    bool dup = f->var1.str == f->var2.str;
    if (dup) {
      Diag *d = diag_add(c->diags, DIAG_E0201, f->var2.span, "'%s' is declared twice",
                         f->var2.str->s);
      diag_label(c->diags, d, f->var2.span, "'%s' redeclared here", f->var2.str->s);
      diag_label(c->diags, d, f->var1.span, "first declared here");
      diag_help(c->diags, d, "the first variable is the index or key, the second the value: "
                "name them differently");
    }
    bind_local_dup(c, k, f->var2, &f->var2, phase, dup);
  }
}

static void res_expr(Checker *c, Expr *e) {
  if (!e || c->depth > PARSE_MAX_DEPTH * 4) return;
  c->depth++;
  switch (e->kind) {
  case EX_ERROR: case EX_INT: case EX_FLOAT: case EX_BOOL: case EX_NULL: break;
  case EX_STRING:
    for (uint32_t i = 0; i < e->u.str.nparts; i++)
      if (e->u.str.parts[i].is_expr) res_expr(c, e->u.str.parts[i].expr);
    break;
  case EX_NAME: res_name(c, e, false); break;
  case EX_LIST:
    for (uint32_t i = 0; i < e->u.list.nitems; i++) res_expr(c, e->u.list.items[i]);
    break;
  case EX_RECORD:
    for (uint32_t i = 0; i < e->u.record.nfields; i++) res_expr(c, e->u.record.fields[i].value);
    break;
  case EX_MEMBER: res_expr(c, e->u.member.obj); break;
  case EX_INDEX: res_expr(c, e->u.index.obj); res_expr(c, e->u.index.index); break;
  case EX_CALL:
    if (e->u.call.callee && e->u.call.callee->kind == EX_NAME) res_name(c, e->u.call.callee, true);
    else res_expr(c, e->u.call.callee);
    for (uint32_t i = 0; i < e->u.call.nargs; i++) res_expr(c, e->u.call.args[i]);
    break;
  case EX_UNARY: res_expr(c, e->u.unary.operand); break;
  case EX_BINARY: res_expr(c, e->u.binary.lhs); res_expr(c, e->u.binary.rhs); break;
  case EX_IF:
    res_expr(c, e->u.cond.cond);
    res_expr(c, e->u.cond.then);
    res_expr(c, e->u.cond.els);
    break;
  case EX_LIST_COMP: {
    res_expr(c, e->u.lcomp.f.source);
    uint32_t mark = c->nlocals;
    res_for(c, &e->u.lcomp.f, PHASE_COMPILE, SYM_VAR);
    res_expr(c, e->u.lcomp.filter);
    res_expr(c, e->u.lcomp.elem);
    pop_locals(c, mark);
    break;
  }
  case EX_MAP_COMP: {
    res_expr(c, e->u.mcomp.f.source);
    uint32_t mark = c->nlocals;
    res_for(c, &e->u.mcomp.f, PHASE_COMPILE, SYM_VAR);
    res_expr(c, e->u.mcomp.filter);
    res_expr(c, e->u.mcomp.key);
    res_expr(c, e->u.mcomp.value);
    pop_locals(c, mark);
    break;
  }
  case EX_INSTANCE:
    res_type(c, e->u.inst.type, NULL);
    for (uint32_t i = 0; i < e->u.inst.nfields; i++) res_expr(c, e->u.inst.fields[i].value);
    break;
  }
  c->depth--;
}

/* A refinement predicate: `self` (and, for a param, its own name) is the tested value. */
static void res_pred(Checker *c, Expr *pred, const void *key, const Str *param_name, Span at) {
  uint32_t mark = c->nlocals;
  Ident id = {c->s_self, at};
  Sym *self = new_sym(c, SYM_SELF, id, NULL);
  self->state = SYMST_DONE;
  self->phase = PHASE_COMPILE;
  pmap_put(c->arena, &c->binders, key, self);
  push_local(c, c->s_self, self);
  if (param_name) push_local(c, param_name, self);
  /* the predicate's reads of the param itself are not uses */
  res_expr(c, pred);
  pop_locals(c, mark);
}

static void res_type(Checker *c, TypeExpr *te, const Str *param_name) {
  if (!te || c->depth > PARSE_MAX_DEPTH * 4) return;
  c->depth++;
  switch (te->kind) {
  case TE_ERROR: break;
  case TE_NAME: {
    Sym *s = res_type_name(c, te, false);
    if (s && s->module == c->mod && s->node != NO_NODE) note_use(c, s, te->span);
    /* `local.File`, `net.Port`: the provider or import is used (W0002) */
    if (te->u.name.nparts > 1 && te->u.name.parts[0].str) {
      Sym *q = symtab_get(&c->mod->scope, te->u.name.parts[0].str);
      if (q && is_importish(q)) q->uses++;
    }
    break;
  }
  case TE_LIST: case TE_MAP: case TE_OPTIONAL: case TE_SECRET:
    res_type(c, te->u.elem, te->kind == TE_SECRET ? param_name : NULL);
    break;
  case TE_RECORD:
    for (uint32_t i = 0; i < te->u.record.nfields; i++) {
      res_type(c, te->u.record.fields[i].type, NULL);
      res_expr(c, te->u.record.fields[i].deflt);
    }
    break;
  case TE_UNION: break;
  case TE_REFINED:
    res_type(c, te->u.refined.base, NULL);
    res_pred(c, te->u.refined.pred, te, param_name, te->span);
    break;
  }
  c->depth--;
}

static bool known_provider(Checker *c, const Str *name) {
  uint32_t n;
  const char *const *names = mod_provider_names(c->prog, &n);
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(names[i], name->s) == 0) return true;
  return false;
}

Sym *res_type_name(Checker *c, TypeExpr *te, bool report) {
  if (te->kind != TE_NAME || te->u.name.nparts == 0) return NULL;
  Ident *parts = te->u.name.parts;
  uint32_t n = te->u.name.nparts;
  if (!parts[0].str) return NULL;
  Sym *s = symtab_get(&c->mod->scope, parts[0].str);
  if (!s) s = symtab_get(&c->prog->universe, parts[0].str);
  if (s && report && (is_importish(s) || s->module != c->mod)) s->uses++;
  if (n == 1) {
    if (!s && report) {
      Diag *d = diag_add(c->diags, DIAG_E0204, parts[0].span, "unknown type '%s'", parts[0].str->s);
      diag_label(c->diags, d, parts[0].span, "no type of this name");
      const char *best = qualified_suggestion(c, parts[0].str, WANT_TYPE);
      if (!best) best = suggest_want(c, parts[0].str, NULL, WANT_TYPE);
      if (best) {
        diag_help(c->diags, d, "did you mean '%s'?", best);
        diag_fix(c->diags, d, parts[0].span, best, arena_printf(c->arena, "replace with '%s'", best));
      }
    }
    return s;
  }
  if (!s) {
    if (!report) return NULL;
    Span whole = span_join(parts[0].span, parts[n - 1].span);
    if (known_provider(c, parts[0].str)) {
      Diag *d = diag_add(c->diags, DIAG_E0202, parts[0].span,
                         "provider '%s' is not in scope", parts[0].str->s);
      diag_label(c->diags, d, parts[0].span, "not brought in by `use`");
      diag_help(c->diags, d, "add `use %s` at the top of the file", parts[0].str->s);
      diag_fix(c->diags, d, span_make(parts[0].span.file, 0, 0),
               arena_printf(c->arena, "use %s\n", parts[0].str->s),
               arena_printf(c->arena, "add `use %s`", parts[0].str->s));
    } else {
      Diag *d = diag_add(c->diags, DIAG_E0204, whole, "unknown type '%s.%s'", parts[0].str->s,
                         parts[1].str ? parts[1].str->s : "");
      diag_label(c->diags, d, parts[0].span, "no provider or import named '%s'", parts[0].str->s);
      const char *best = suggest_want(c, parts[0].str, NULL, WANT_TYPE);
      if (best) {
        diag_help(c->diags, d, "did you mean '%s'?", best);
        diag_fix(c->diags, d, parts[0].span, best, arena_printf(c->arena, "replace with '%s'", best));
      }
    }
    return NULL;
  }
  if (!is_importish(s)) {
    if (report) {
      Diag *d = diag_add(c->diags, DIAG_E0314, parts[0].span,
                         "'%s' is a %s, not a provider or module", parts[0].str->s,
                         chk_kind_word(s));
      diag_label(c->diags, d, parts[0].span, "a qualified type starts with a provider or an import");
    }
    return NULL;
  }
  if (!s->target || !parts[1].str) return NULL;   /* its failure was reported */
  if (n > 2) {
    if (report) {
      Span rest = span_join(parts[2].span, parts[n - 1].span);
      Diag *d = diag_add(c->diags, DIAG_E0204, rest, "unknown type '%s.%s.%s'", parts[0].str->s,
                         parts[1].str->s, parts[2].str ? parts[2].str->s : "");
      diag_label(c->diags, d, rest, "types are named by at most two parts");
    }
    return NULL;
  }
  Sym *m = symtab_get(&s->target->scope, parts[1].str);
  if (m) return m;
  if (!report) return NULL;
  Diag *d;
  if (s->kind == SYM_PROVIDER) {
    d = diag_add(c->diags, DIAG_E0203, parts[1].span, "unknown resource type '%s.%s'",
                 parts[0].str->s, parts[1].str->s);
    diag_label(c->diags, d, parts[1].span, "provider '%s' has no such resource type", parts[0].str->s);
  } else {
    d = diag_add(c->diags, DIAG_E0503, parts[1].span, "module '%s' has no declaration '%s'",
                 parts[0].str->s, parts[1].str->s);
    diag_label(c->diags, d, parts[1].span, "not declared in %s", s->target->path);
  }
  const char *best = res_suggest_tab(c, parts[1].str, &s->target->scope);
  if (best) {
    diag_help(c->diags, d, "did you mean '%s'?", best);
    diag_fix(c->diags, d, parts[1].span, best, arena_printf(c->arena, "replace with '%s'", best));
  }
  return NULL;
}

static void res_decorators(Checker *c, Decl *d) {
  for (uint32_t i = 0; i < d->ndecos; i++) {
    Decorator *dc = &d->decos[i];
    /* only depends_on takes expressions; ignore_changes and replace_on_change name
     * properties of the resource, checked by check.c */
    if (dc->name.str == c->s_depends_on)
      for (uint32_t j = 0; j < dc->nargs; j++) res_expr(c, dc->args[j]);
  }
}

static void res_decl(Checker *c, Decl *d);

static void res_members(Checker *c, Decl *d) {
  Sym *comp = d->sym, *saved = c->comp;
  c->comp = comp;
  for (uint32_t i = 0; i < d->u.comp.nmembers; i++) {
    Decl *m = d->u.comp.members[i];
    if (!m || !m->sym) continue;
    /* a member hiding a module-level name (outputs have their own namespace) */
    if (m->sym->kind != SYM_OUTPUT) {
      Sym *outer = symtab_get(&c->mod->scope, m->sym->name);
      if (outer && m->sym->name->s[0] != '_') {
        Diag *dg = diag_add(c->diags, DIAG_W0004, m->sym->span, "'%s' shadows the %s '%s'",
                            m->sym->name->s, chk_kind_word(outer), outer->name->s);
        diag_label(c->diags, dg, m->sym->span, "this %s hides it inside '%s'",
                   chk_kind_word(m->sym), comp->name->s);
        diag_label(c->diags, dg, outer->span, "'%s' is declared here", outer->name->s);
        diag_help(c->diags, dg, "rename one of them");
      }
    }
    c->cur = m->sym;
    res_decl(c, m);
    /* the component is checked after all of its members */
    add_edge(c, comp->node, m->sym->node, m->sym->span);
  }
  c->comp = saved;
}

/* Is [id] a local bound since [mark] (an earlier parameter, an earlier `let` of the same
 * test)?  If so, report E0201 with [help] and say so. */
static bool local_dup(Checker *c, Ident id, uint32_t mark, const char *help) {
  uint32_t li = local_index(c, id.str);
  if (li <= mark) return false;
  Diag *dg = diag_add(c->diags, DIAG_E0201, id.span, "'%s' is declared twice", id.str->s);
  diag_label(c->diags, dg, id.span, "'%s' redeclared here", id.str->s);
  diag_label(c->diags, dg, c->locals[li - 1].sym->span, "first declared here");
  diag_help(c->diags, dg, "%s", help);
  return true;
}

static void res_decl(Checker *c, Decl *d) {
  uint32_t mark = c->nlocals;
  switch (d->kind) {
  case D_PARAM:
    res_type(c, d->u.param.type, d->name.str);
    res_expr(c, d->u.param.deflt);
    if (d->u.param.where)
      res_pred(c, d->u.param.where, &d->u.param.where, d->name.str, d->u.param.where->span);
    break;
  case D_LET: case D_OUTPUT:
    res_type(c, d->u.let.type, NULL);
    res_expr(c, d->u.let.value);
    break;
  case D_TYPE: res_type(c, d->u.alias.type, NULL); break;
  case D_FN: {
    Sym *fn = d->sym;
    for (uint32_t i = 0; i < d->u.fn.nparams; i++) {
      res_type(c, d->u.fn.params[i].type, NULL);
      res_expr(c, d->u.fn.params[i].deflt);
    }
    res_type(c, d->u.fn.ret, NULL);
    if (fn) {
      fn->params = arena_calloc(c->arena, d->u.fn.nparams ? d->u.fn.nparams : 1, sizeof *fn->params);
      fn->nparams = d->u.fn.nparams;
    }
    for (uint32_t i = 0; i < d->u.fn.nparams; i++) {
      FnParam *fp = &d->u.fn.params[i];
      /* a local of this name bound since [mark] is an earlier parameter */
      bool dup = fp->name.str && local_dup(c, fp->name, mark, "rename one of the parameters");
      Sym *ps = bind_local_dup(c, SYM_FNPARAM, fp->name, fp, PHASE_COMPILE, dup);
      if (fn) fn->params[i] = ps;
    }
    res_expr(c, d->u.fn.body);
    break;
  }
  case D_RESOURCE:
    res_decorators(c, d);
    res_type(c, d->u.res.type, NULL);
    if (d->u.res.each) {
      res_expr(c, d->u.res.each->source);
      res_for(c, d->u.res.each, PHASE_PLAN, SYM_VAR);
    }
    res_expr(c, d->u.res.cond);
    for (uint32_t i = 0; i < d->u.res.nfields; i++) res_expr(c, d->u.res.fields[i].value);
    break;
  case D_COMPONENT: res_members(c, d); break;
  case D_SCHEMA:
    for (uint32_t i = 0; i < d->u.schema.nfields; i++) {
      res_type(c, d->u.schema.fields[i].type, NULL);
      res_expr(c, d->u.schema.fields[i].deflt);
    }
    break;
  case D_POLICY: {
    res_expr(c, d->u.policy.title);
    res_type(c, d->u.policy.type, NULL);
    Sym *v = bind_local(c, SYM_POLICYVAR, d->u.policy.var, NULL, PHASE_PLAN);
    d->sym = v;
    for (uint32_t i = 0; i < d->u.policy.nrules; i++) {
      res_expr(c, d->u.policy.rules[i].cond);
      res_expr(c, d->u.policy.rules[i].msg);
    }
    break;
  }
  case D_TEST:
    res_expr(c, d->u.test.title);
    for (uint32_t i = 0; i < d->u.test.nstmts; i++) {
      Decl *st = d->u.test.stmts[i];
      if (!st) continue;
      if (st->kind == D_ASSERT) {
        res_expr(c, st->u.assert_.cond);
        res_expr(c, st->u.assert_.msg);
      } else if (st->kind == D_LET) {
        res_type(c, st->u.let.type, NULL);
        res_expr(c, st->u.let.value);
        if (!st->name.str) continue;
        bool dup = local_dup(c, st->name, mark, "rename one of them");
        Sym *s = bind_local_dup(c, SYM_TESTLET, st->name, NULL, PHASE_PLAN, dup);
        if (s) { s->decl = st; s->state = SYMST_NEW; }
        st->sym = s;
      }
    }
    break;
  case D_MOVED: res_expr(c, d->u.moved.to); break;   /* `from` names what no longer exists */
  default: break;
  }
  pop_locals(c, mark);
}

void res_resolve(Checker *c) {
  Module *m = c->mod;
  for (uint32_t f = 0; f < m->nfiles; f++) {
    AstFile *af = m->files[f];
    if (!af) continue;
    for (uint32_t i = 0; i < af->ndecls; i++) {
      Decl *d = af->decls[i];
      if (!d || d->kind == D_USE || d->kind == D_IMPORT || d->kind == D_ERROR) continue;
      c->cur = (d->sym && d->sym->node != NO_NODE) ? d->sym : NULL;
      c->comp = NULL;
      pop_locals(c, 0);
      res_decl(c, d);
    }
  }
  c->cur = NULL;
}

/* ---- ordering and cycles --------------------------------------------------------------- */
/* [prev_edge] (all UINT32_MAX) and [queue] are scratch arrays of c->nnodes entries, shared
 * by every report so that many small cycles cost their own size, not the module's;
 * prev_edge is left all UINT32_MAX again. */
static void report_cycle(Checker *c, const uint32_t *start, const uint32_t *adj,
                         const uint32_t *scc_of, uint32_t scc, uint32_t first,
                         uint32_t *prev_edge, uint32_t *queue) {
  /* BFS from [first] back to itself inside the component, for the shortest cycle */
  uint32_t qh = 0, qt = 0, closing = UINT32_MAX;
  queue[qt++] = first;
  while (qh < qt && closing == UINT32_MAX) {
    uint32_t v = queue[qh++];
    for (uint32_t k = start[v]; k < start[v + 1]; k++) {
      uint32_t w = c->edges[adj[k]].to;
      if (scc_of[w] != scc) continue;
      if (w == first) { closing = adj[k]; break; }
      if (prev_edge[w] != UINT32_MAX) continue;
      prev_edge[w] = adj[k];
      queue[qt++] = w;
    }
  }
  if (closing == UINT32_MAX) {
    for (uint32_t i = 1; i < qt; i++) prev_edge[queue[i]] = UINT32_MAX;
    return;
  }
  /* walk back from the closing edge's source to [first]; a long cycle keeps its last 64
   * edges and shows "..." for the others, right after [first] */
  uint32_t path[64], npath = 0;   /* edges, last to first */
  uint32_t len = 0;
  path[npath++] = closing;
  for (uint32_t v = c->edges[closing].from; v != first; v = c->edges[prev_edge[v]].from) {
    if (npath < 64) path[npath++] = prev_edge[v];
    len++;
  }
  len++;
  for (uint32_t i = 1; i < qt; i++) prev_edge[queue[i]] = UINT32_MAX;
  bool all_types = true;
  for (uint32_t i = 0; i < npath; i++)
    if (c->nodes[c->edges[path[i]].from]->kind != SYM_TYPE) all_types = false;
  /* text: first -> ... -> first */
  size_t cap = 64;
  for (uint32_t i = 0; i < npath; i++) cap += strlen(res_sym_name(c, c->nodes[c->edges[path[i]].to])) + 4;
  char *txt = arena_alloc(c->arena, cap + 8);
  strcpy(txt, res_sym_name(c, c->nodes[first]));
  if (len > npath) strcat(txt, " -> ...");
  for (uint32_t i = npath; i-- > 0;) {
    strcat(txt, " -> ");
    strcat(txt, res_sym_name(c, c->nodes[c->edges[path[i]].to]));
  }
  Sym *fs = c->nodes[first];
  Diag *d;
  if (all_types && len == 1)
    d = diag_add(c->diags, DIAG_E0313, fs->span, "type alias '%s' refers to itself", fs->name->s);
  else if (all_types)
    d = diag_add(c->diags, DIAG_E0313, fs->span, "type aliases refer to each other: %s", txt);
  else if (len == 1)
    d = diag_add(c->diags, DIAG_E0205, fs->span, "'%s' depends on itself", res_sym_name(c, fs));
  else
    d = diag_add(c->diags, DIAG_E0205, fs->span, "cycle between declarations: %s", txt);
  for (uint32_t i = npath; i-- > 0;) {
    const Edge *e = &c->edges[path[i]];
    diag_label(c->diags, d, e->span, "'%s' uses '%s' here", res_sym_name(c, c->nodes[e->from]),
               res_sym_name(c, c->nodes[e->to]));
  }
  if (all_types)
    diag_help(c->diags, d, "a type alias cannot contain itself; use a list or map of a "
              "record type declared separately, or break the chain");
  else if (fs->kind == SYM_RESOURCE)
    diag_help(c->diags, d, "resources in a cycle can never be created: remove one of the "
              "references");
  else if (fs->kind == SYM_FN)
    diag_help(c->diags, d, "functions cannot call themselves, directly or through others: "
              "Plat has no recursion, so every program terminates");
  else
    diag_help(c->diags, d, "a declaration cannot depend on its own value: break the cycle");
}

Sym **res_order(Checker *c) {
  uint32_t n = c->nnodes;
  Sym **order = plat_xmalloc((n ? n : 1) * sizeof *order);
  if (!n) return order;
  /* CSR adjacency, edges of each node in source order */
  uint32_t *start = plat_xcalloc(n + 1, sizeof *start);
  uint32_t *adj = plat_xmalloc((c->nedges ? c->nedges : 1) * sizeof *adj);
  for (uint32_t i = 0; i < c->nedges; i++) start[c->edges[i].from + 1]++;
  for (uint32_t i = 0; i < n; i++) start[i + 1] += start[i];
  uint32_t *fill = plat_xmalloc(n * sizeof *fill);
  memcpy(fill, start, n * sizeof *fill);
  for (uint32_t i = 0; i < c->nedges; i++) adj[fill[c->edges[i].from]++] = i;
  free(fill);

  /* Tarjan's algorithm without recursion: components come out dependencies first */
  uint32_t *index = plat_xmalloc(n * sizeof *index), *low = plat_xmalloc(n * sizeof *low);
  uint32_t *stack = plat_xmalloc(n * sizeof *stack), *scc_of = plat_xmalloc(n * sizeof *scc_of);
  uint32_t *cs_node = plat_xmalloc(n * sizeof *cs_node), *cs_edge = plat_xmalloc(n * sizeof *cs_edge);
  bool *on = plat_xcalloc(n, sizeof *on);
  uint32_t *prev_edge = plat_xmalloc(n * sizeof *prev_edge), *queue = plat_xmalloc(n * sizeof *queue);
  for (uint32_t i = 0; i < n; i++) prev_edge[i] = UINT32_MAX;
  for (uint32_t i = 0; i < n; i++) { index[i] = UINT32_MAX; scc_of[i] = UINT32_MAX; }
  uint32_t next = 0, sp = 0, nord = 0, nscc = 0;
  for (uint32_t root = 0; root < n; root++) {
    if (index[root] != UINT32_MAX) continue;
    uint32_t csp = 0;
    cs_node[csp] = root;
    cs_edge[csp++] = start[root];
    index[root] = low[root] = next++;
    stack[sp++] = root;
    on[root] = true;
    while (csp) {
      uint32_t v = cs_node[csp - 1];
      if (cs_edge[csp - 1] < start[v + 1]) {
        uint32_t w = c->edges[adj[cs_edge[csp - 1]++]].to;
        if (index[w] == UINT32_MAX) {
          index[w] = low[w] = next++;
          stack[sp++] = w;
          on[w] = true;
          cs_node[csp] = w;
          cs_edge[csp++] = start[w];
        } else if (on[w] && index[w] < low[v]) {
          low[v] = index[w];
        }
        continue;
      }
      csp--;
      if (csp && low[v] < low[cs_node[csp - 1]]) low[cs_node[csp - 1]] = low[v];
      if (low[v] != index[v]) continue;
      /* v roots a component: pop it */
      uint32_t first = v, size = 0, begin = nord;
      uint32_t w;
      do {
        w = stack[--sp];
        on[w] = false;
        scc_of[w] = nscc;
        order[nord++] = c->nodes[w];
        if (w < first) first = w;
        size++;
      } while (w != v);
      bool self_loop = false;
      if (size == 1)
        for (uint32_t k = start[v]; k < start[v + 1]; k++)
          if (c->edges[adj[k]].to == v) self_loop = true;
      if (size > 1 || self_loop) {
        for (uint32_t k = begin; k < nord; k++) order[k]->in_cycle = true;
        report_cycle(c, start, adj, scc_of, nscc, first, prev_edge, queue);
      }
      /* members of one component in declaration order, for stable output */
      for (uint32_t a = begin + 1; a < nord; a++)
        for (uint32_t b = a; b > begin && order[b - 1]->node > order[b]->node; b--) {
          Sym *t = order[b];
          order[b] = order[b - 1];
          order[b - 1] = t;
          if (b - begin > 64) break;   /* huge cycles: order within them does not matter */
        }
      nscc++;
    }
  }
  free(start); free(adj); free(index); free(low); free(stack); free(scc_of);
  free(cs_node); free(cs_edge); free(on); free(prev_edge); free(queue);
  return order;
}

/* ---- unused names ---------------------------------------------------------------------- */
static bool quiet_name(const Sym *s) { return !s->name || s->name->s[0] == '_' || s->duplicate; }

static void unused(Checker *c, Sym *s, DiagCode code, const char *what) {
  Diag *d = diag_add(c->diags, code, s->span, "%s '%s' is never used", what, s->name->s);
  diag_label(c->diags, d, s->span, "declared here");
  if (code == DIAG_W0002)
    diag_help(c->diags, d, "remove the `%s`", s->kind == SYM_PROVIDER ? "use" : "import");
  else
    diag_help(c->diags, d, "remove it, or start its name with '_' to keep it");
}

/* Recovery after a syntax error drops text, so a name used only there would be called
 * unused for nothing: a module with lexical or syntax errors gets no unused warnings. */
static bool has_syntax_errors(Checker *c) {
  const DiagList *dl = c->diags;
  for (uint32_t i = 0; i < dl->n; i++) {
    const Diag *d = dl->items[i];
    if (d->code > DIAG_E0105 || d->sev != SEV_ERROR) continue;
    for (uint32_t f = 0; f < c->mod->nfiles; f++)
      if (c->mod->files[f] && c->mod->files[f]->file == d->span.file) return true;
  }
  return false;
}

void res_unused(Checker *c) {
  Module *m = c->mod;
  if (m->provider || has_syntax_errors(c)) return;
  for (uint32_t i = 0; i < c->nnodes; i++) {
    Sym *s = c->nodes[i];
    if (s->uses || quiet_name(s)) continue;
    /* a root module's declarations and every component's members; an imported module's
     * top level is its interface (§10) */
    bool local = s->owner != NULL;
    if (!local && !m->root) continue;
    if (s->kind == SYM_LET) unused(c, s, DIAG_W0001, "let");
    else if (s->kind == SYM_PARAM) unused(c, s, DIAG_W0001, "param");
    else if (s->kind == SYM_FN) unused(c, s, DIAG_W0001, "function");
    else if (s->kind == SYM_TYPE) unused(c, s, DIAG_W0001, "type");
    else if (s->kind == SYM_COMPONENT) unused(c, s, DIAG_W0001, "component");
  }
  for (uint32_t f = 0; f < m->nfiles; f++) {
    AstFile *af = m->files[f];
    if (!af) continue;
    for (uint32_t i = 0; i < af->ndecls; i++) {
      Decl *d = af->decls[i];
      if (!d || !d->sym || (d->kind != D_USE && d->kind != D_IMPORT)) continue;
      /* an empty module (E0502) is not worth a second complaint */
      if (!d->sym->uses && d->sym->target && !quiet_name(d->sym) &&
          (d->sym->target->nfiles || d->sym->target->provider))
        unused(c, d->sym, DIAG_W0002, d->kind == D_USE ? "provider" : "import");
    }
  }
  for (uint32_t i = 0; i < c->nlocsyms; i++) {
    Sym *s = c->locsyms[i];
    if (s->uses || quiet_name(s)) continue;
    if (s->kind == SYM_FNPARAM) unused(c, s, DIAG_W0003, "parameter");
    else if (s->kind == SYM_TESTLET) unused(c, s, DIAG_W0001, "let");
    else if (s->kind == SYM_VAR) unused(c, s, DIAG_W0001, "variable");
    else if (s->kind == SYM_POLICYVAR) unused(c, s, DIAG_W0001, "policy variable");
  }
}
