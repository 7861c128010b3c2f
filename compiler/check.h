/* The checked program: modules, their symbols and the types of every expression, kept in
 * the compilation's arena for the compiler, the VM and the language server.
 * module.c loads modules (folders, imports, provider schemas) and calls chk_module on
 * each, dependencies first; resolve.c binds names and orders declarations; check.c types
 * them; consteval.c folds constants.  See docs/language.md §3–§8 for the rules. */
#ifndef PLAT_CHECK_H
#define PLAT_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/compiler.h"
#include "compiler/types.h"

struct Value;     /* compiler/consteval.h */
struct Builtin;   /* compiler/builtins.h */

typedef enum SymKind {
  /* declarations of a module or component */
  SYM_PARAM, SYM_LET, SYM_TYPE, SYM_FN, SYM_RESOURCE, SYM_COMPONENT, SYM_OUTPUT,
  SYM_PROVIDER,     /* use local: a provider's schema module */
  SYM_IMPORT,       /* import "..." as net */
  SYM_RESTYPE,      /* a provider schema's resource type (local.File) */
  /* locals */
  SYM_FNPARAM,      /* fn f(x: int) */
  SYM_VAR,          /* for x in ...: comprehension or keyed-copy variable */
  SYM_POLICYVAR,    /* policy "..." for f: local.File */
  SYM_SELF,         /* the value a refinement predicate tests (self, or the param's name) */
  SYM_TESTLET,      /* let inside a test */
  /* the universe */
  SYM_BUILTIN,      /* a built-in function */
  SYM_PRIMTYPE,     /* int, string, ... */
} SymKind;

/* A hash table of symbols keyed by interned name (pointer comparison), in the arena. */
typedef struct SymTab {
  struct Sym **slots;
  const struct Str **names;   /* slots[i]->name: probes read this, not each Sym */
  uint32_t cap, count;
} SymTab;

struct Module;

/* A field of a body or record literal that sets input (or record field) [input]; kept
 * sorted by [input] so that an instance's inputs are found by binary search, in memory
 * proportional to what was written (a component of 10,000 params costs nothing per
 * instance that gives two of them). */
typedef struct Given {
  uint32_t input;             /* index in ResType.inputs, or in the record type's fields */
  Field *field;
  const struct Value *cv;     /* its constant value, or NULL */
} Given;

/* What a name resolved to.  Every EX_NAME's u.name.sym and every named Decl's sym points
 * to one. */
typedef struct Sym {
  SymKind kind;
  const Str *name;
  Span span;                  /* the name where it is declared; SPAN_NO_FILE for built-ins */
  Decl *decl;                 /* the declaration (NULL for locals without one, built-ins) */
  const Type *type;           /* a value's type; for SYM_TYPE/RESTYPE/COMPONENT the type named */
  uint8_t phase;              /* PHASE_*: when the value is known */
  bool secret;                /* the value is secret (taint) */
  uint8_t state;              /* SYMST_*: checking progress */
  bool in_cycle;              /* part of a reported declaration cycle */
  bool duplicate;             /* in a name clash (E0201/E0504): never reported unused */
  bool is_root;               /* declared at the top of a root module */
  struct Module *module;      /* where declared */
  struct Sym *owner;          /* the component for component members, else NULL */
  uint32_t uses;              /* references from other declarations */
  uint32_t node;              /* declaration-graph node in its module, or UINT32_MAX */
  const struct Value *cval;   /* the constant value, when known at compile time */
  Expr *deploy_why;           /* for deploy-time lets/outputs: the expression that makes it so */
  /* kind-specific */
  struct Module *target;      /* SYM_PROVIDER, SYM_IMPORT: the module */
  ResType *res;               /* SYM_COMPONENT, SYM_RESTYPE: the resource type */
  SymTab *members;            /* SYM_COMPONENT: params, lets, resources */
  SymTab *outputs;            /* SYM_COMPONENT: outputs */
  struct Sym **params; uint32_t nparams;   /* SYM_FN: its parameters' symbols */
  const struct Builtin *builtin;           /* SYM_BUILTIN */
  uint8_t fn_phase;           /* SYM_FN: the latest phase its body reads from outside */
  bool fn_secret;             /* SYM_FN: its body reads a secret from outside */
  /* check.c: resources and component instances (SYM_RESOURCE, and test lets of a component) */
  struct Given *given;        /* the inputs of its ResType given a value, by input index */
  uint32_t ngiven;
  uint8_t args_phase;         /* the latest phase of those fields' values */
  /* check.c: a component's param or let used where a plan-known value is required, so a
   * deploy-time argument is reported where it is passed (E0400, E0401, E0402) */
  uint16_t plan_use;          /* DIAG_E0400/E0401/E0402 + 1, or 0 */
  Span plan_use_span;         /* the use */
} Sym;

enum { SYMST_NEW, SYMST_CHECKING, SYMST_DONE };

typedef enum ModState { MOD_LOADING, MOD_LOADED, MOD_CHECKED } ModState;

/* A module: all .plat files of one folder (or one file given on the command line), or a
 * provider's schema. */
typedef struct Module {
  const char *path;           /* as shown: the folder or file as given or joined */
  const char *real;           /* realpath: the cache key */
  const char *dir;            /* the folder its imports are relative to */
  AstFile **files; uint32_t nfiles;
  bool root;                  /* given on the command line */
  bool provider;              /* a provider schema (use local) */
  const Str *name;            /* provider name; NULL otherwise */
  ModState state;
  SymTab scope;               /* top-level names */
  SymTab outputs;             /* top-level outputs (their own namespace) */
  const Type *type;           /* TY_MODULE */
  struct ModImport *imports; uint32_t nimports;   /* what each D_IMPORT loaded */
} Module;

/* The module an `import` declaration loaded (NULL if it failed and was diagnosed). */
typedef struct ModImport {
  Decl *decl;
  Module *mod;
} ModImport;

typedef struct Program {
  Plat *plat;
  TypeCtx types;
  Module **mods; uint32_t nmods, capmods;   /* every loaded module, dependencies first */
  Module **roots; uint32_t nroots, caproots;
  Module **providers; uint32_t nproviders, capproviders;
  SymTab universe;            /* built-in functions and primitive types */
  uint32_t nsuggest;          /* "did you mean" searches done (capped, see resolve.c) */
  struct Loader *loader;      /* module.c's state: the module and provider caches */
} Program;

/* A fresh program in [p]'s arena, with the universe scope filled; sets p->prog. */
Program *chk_program_new(Plat *p);
/* Resolve and type-check [m], whose files are parsed and whose imports and providers are
 * already checked (module.c guarantees the order).  Diagnostics go to p->diags. */
void chk_module(Program *prog, Module *m);

/* Symbol tables (arena-backed; [a] is the arena). */
void symtab_init(SymTab *t, Arena *a, uint32_t cap);
Sym *symtab_get(const SymTab *t, const Str *name);
/* Insert [s]; returns the symbol already there with that name (and inserts nothing), or NULL. */
Sym *symtab_put(SymTab *t, Arena *a, Sym *s);

/* Look a name up in a module's top level; NULL if absent. */
Sym *chk_lookup(const Module *m, const Str *name);

#endif
