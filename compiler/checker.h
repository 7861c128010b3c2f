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
/* Open addressing; a key and its value side by side, so a lookup reads one cache line
 * (the emitter's maps of 100,000 symbols missed the cache twice per lookup). */
typedef struct PtrEnt {
  const void *key;
  void *val;
} PtrEnt;
typedef struct PtrMap {
  PtrEnt *e;
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
  PtrMap titles[2];       /* interned policy [0] and test [1] titles -> their first Decl */
  /* resolver scope state */
  Local *locals; uint32_t nlocals, caplocals;
  uint32_t *local_prev;   /* per local: 1 + index of the one of its name it hides, or 0 */
  PtrMap local_top;       /* name -> 1 + index of its innermost local (0: none in scope) */
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
  uint64_t folded;        /* bytes of constant values made by folding (check_expr.c caps it) */
  Span *syntax; uint32_t nsyntax;   /* lexical and syntax errors, sorted (arena; check_expr.c) */
  bool syntax_scanned;
} Checker;

/* module.c: a Checker for module [m] of [prog], its working state empty. */
void chk_checker_init(Checker *c, Program *prog, Module *m);

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
/* An instance `Service { ... }` ([e] is EX_INSTANCE): its fields checked against the
 * component's params like a resource body; [as] (a test let, or NULL) gets the given
 * fields for later member reads.  Sets e's type to the component's. */
void chk_instance(Checker *c, Expr *e, Sym *as);

/* check_expr.c: expressions and types (docs/language.md §3-§5, §9) */

/* Where a value goes, for messages ("property 'path' of local.File"): the text is made
 * only when a diagnostic needs it, so checking a million fields formats nothing. */
typedef struct Dest {
  const char *fmt;       /* printf format taking [name] then [owner]; NULL: say nothing */
  const char *name;
  const char *owner;
  Span type_span;        /* the written type, labelled "expected because of this"; file
                            SPAN_NO_FILE when there is none to show */
  bool named;            /* [name] is what a `where` predicate calls the value (a param) */
} Dest;

/* What a body or record literal is checked against (chk_fields). */
typedef struct FieldSpec {
  const Type *rec;       /* a record type (fields by ty_field), or NULL */
  ResType *rt;           /* a resource type or component (its inputs), or NULL */
  const char *owner;     /* for messages: "local.File", "Service", "Endpoint" */
  Span body;             /* the braces, where a fix inserts missing fields */
  Span at;               /* where missing fields are reported */
} FieldSpec;

/* The Type written as [te] (NULL: the error type), diagnosed once: the result is kept in
 * te->ty, so calling again reports nothing new. */
const Type *chk_type(Checker *c, TypeExpr *te);
/* Type [e]: fills e->ty, e->phase and e->secret everywhere inside it and returns its
 * constant value, or NULL when it has none.  [expect] (or NULL) is the type the caller
 * will require with chk_assign: it is pushed into literals (`[]`, `{...}`, branches), which
 * then report their own mismatches at the precise place. */
const Value *chk_expr(Checker *c, Expr *e, const Type *expect);
/* Report (E0300, E0303, E0304, E0307) unless [e], whose constant value is [cv], may be
 * used where a [to] is required.  Returns whether it may. */
bool chk_assign(Checker *c, Expr *e, const Value *cv, const Type *to, const Dest *dest);
/* Check [fields] against [spec]: unknown (E0206, with "did you mean" and a fix), given
 * twice (E0208), missing (E0207, or E0603 for component params, listing all with a fix
 * that inserts them), values assigned to the field types; for component params also
 * secrets (E0403) and deploy-time values where the component needs plan-time ones.
 * Returns the fields given, sorted by input (arena; *ngiven of them, the first of
 * repeats only), with their constant values, and sets [phase] and [secret] to the latest
 * phase and taint of the values.  Work and memory are proportional to [nfields], plus a
 * scan of the type's fields only when some are missing. */
Given *chk_fields(Checker *c, Field *fields, uint32_t nfields, const FieldSpec *spec,
                  uint32_t *ngiven, uint8_t *phase, bool *secret);
/* The field given for input [input] of [g] ([n] entries, sorted), or NULL (the default). */
const Given *chk_given(const Given *g, uint32_t n, uint32_t input);
/* The refinement `base where pred` ([self] is the predicate's value): E0312 unless pred is
 * a bool, E0405 unless it uses only constants; returns [base] itself when reported. */
const Type *chk_refine(Checker *c, const Type *base, Expr *pred, Sym *self, Span span);
/* chk_expr then chk_assign. */
const Value *chk_value(Checker *c, Expr *e, const Type *to, const Dest *dest);
/* A condition: E0302 unless a bool; W0005 when [warn] and it is a constant. */
const Value *chk_cond(Checker *c, Expr *e, const char *what, bool warn);
/* [e]'s type, for a declaration without a written type; E0308 (naming "[kw] '[name]'")
 * when it has none (`null`, `[]`). */
const Type *chk_infer(Checker *c, Expr *e, const char *kw, const char *name);
/* Give every node of [e] still without a type the error type (parts never checked). */
void chk_untyped(Checker *c, Expr *e);
/* Check the refinement [ref] (a TY_REFINED) on the constant [cv] of [e]: E0304 when its
 * predicate is false.  Returns false when reported. */
bool chk_refinement(Checker *c, Expr *e, const Value *cv, const Type *ref, const Dest *dest,
                    const char *tname);
/* Notes that explain why [e] is [secret] (true) or at least [phase] (secret false): the
 * innermost value responsible, "`seed.hex` is known only after 'seed' is deployed". */
void chk_explain(Checker *c, Diag *d, Expr *e, bool secret, uint8_t phase);
/* Iterate [f] over [src] (already checked): binds its variables' types; E0310, E0307.
 * [keyed]: a keyed copy (string keys, E0311).  Returns false when reported. */
bool chk_iter(Checker *c, ForClause *f, Expr *src, bool keyed);
/* Mark the component params and lets [e] depends on as needed at plan time for [code]
 * (E0400/E0401/E0402) at [use], for reports at instantiation. */
void chk_plan_use(Checker *c, Expr *e, DiagCode code, Span use);
/* Source text of [sp] if short and on one line, else NULL (for messages). */
const char *chk_src(Checker *c, Span sp, uint32_t max);
const char *chk_kind_word(const Sym *s);
/* "Did you mean" among [cands] ([n]), within the program's budget of suggestion work
 * (as res_suggest), so a file of typos against huge types stays linear. */
const char *chk_suggest(Checker *c, const char *name, const char *const *cands, uint32_t n);
/* An array for [n] candidates, or NULL when the budget would not allow the search. */
const char **chk_cands(Checker *c, uint32_t n);
/* [t] as a message shows it after "this is": "an int", "a list<string>", "{ a: int }". */
const char *chk_a_type(Checker *c, const Type *t);

#endif
