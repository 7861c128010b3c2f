/* The checker's working state, shared by resolve.c (names, scopes, the declaration graph,
 * unused-name warnings) and check.c (types, phases, secrets).  Internal to the compiler:
 * other folders read the results through check.h.  One Checker checks one module. */
#ifndef PLAT_CHECKER_H
#define PLAT_CHECKER_H

#include "compiler/builtins.h"
#include "compiler/check.h"
#include "compiler/consteval.h"

/* Pointer -> pointer map in the arena: binders (ForClause vars, fn params, refinement
 * `self`) to the symbols the resolver made for them. */
typedef struct PtrMap {
  const void **keys;
  void **vals;
  uint32_t cap, count;
} PtrMap;
void pmap_put(Arena *a, PtrMap *m, const void *key, void *val);
void *pmap_get(const PtrMap *m, const void *key);

typedef struct Local { const Str *name; Sym *sym; } Local;

/* A reference from one declaration to another: a dependency edge. */
typedef struct Edge { uint32_t from, to; Span span; } Edge;

/* An `if x != null` narrowing in force while checking a branch. */
typedef struct Narrow { Sym *sym; const Type *type; } Narrow;

typedef struct Checker {
  Program *prog;
  Plat *plat;
  Arena *arena;
  DiagList *diags;
  TypeCtx *tc;
  Interner *strs;
  SourceMap *sources;
  Module *mod;
  /* declaration graph (malloc'd, freed after the module) */
  Sym **nodes; uint32_t nnodes, capnodes;
  Edge *edges; uint32_t nedges, capedges;
  /* declarations that are not nodes, checked after all nodes */
  Decl **others; uint32_t nothers, capothers;
  PtrMap binders;
  /* resolver scope state */
  Local *locals; uint32_t nlocals, caplocals;
  Sym *comp;              /* the component whose body is being walked, or NULL */
  Sym *cur;               /* the node whose references become edges, or NULL */
  uint32_t depth;         /* recursion guard */
  /* checker state */
  Narrow *narrows; uint32_t nnarrows, capnarrows;
  uint8_t fn_phase;       /* while checking a fn body: latest phase read from outside */
  bool fn_secret;
  Sym *in_fn;             /* the fn whose body is being checked */
  Sym **locsyms; uint32_t nlocsyms, caplocsyms;   /* every local made, for W0001/W0003 */
  const Str *s_self, *s_protect, *s_create_before_destroy, *s_depends_on,
            *s_ignore_changes, *s_replace_on_change;
} Checker;

/* resolve.c */
void res_declare(Checker *c);       /* symbols for every declaration; E0201, E0202, E0504 */
void res_resolve(Checker *c);       /* bind every name; E0200, E0210, W0004; edges */
/* Order the nodes so dependencies come first; reports cycles (E0205, E0313).  Returns a
 * malloc'd array of c->nnodes symbols. */
Sym **res_order(Checker *c);
void res_unused(Checker *c);        /* W0001, W0002, W0003 after checking */
/* Resolve the type name [te] (TE_NAME) in the module (types are never local).  Reports
 * E0204/E0203/E0503/E0202 when [report]; returns NULL when not found. */
Sym *res_type_name(Checker *c, TypeExpr *te, bool report);
/* "did you mean" for [name] among the value names visible from the module top level and
 * [comp], plus built-ins when [fns]; NULL if nothing is close (or the budget is spent). */
const char *res_suggest(Checker *c, const Str *name, Sym *comp, bool fns, bool types);
const char *res_suggest_tab(Checker *c, const Str *name, const SymTab *t);
/* Name of a symbol for messages: "x", or "Service.x" for component members. */
const char *res_sym_name(Checker *c, const Sym *s);

/* module.c: the schema module of provider [name], loaded and checked on first use;
 * NULL if there is no such provider (not diagnosed: the caller knows the span). */
Module *mod_provider(Program *prog, const Str *name);
/* Every provider name available (embedded and on PLAT_SCHEMA_PATH), sorted; sets *n. */
const char *const *mod_provider_names(Program *prog, uint32_t *n);

/* check.c */
void chk_node(Checker *c, Sym *s);  /* type one declaration whose dependencies are done */
void chk_other(Checker *c, Decl *d);/* tests, policies, moved */

#endif
