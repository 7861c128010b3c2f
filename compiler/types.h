/* Plat types as the checker sees them (docs/language.md §3).  Types live in the
 * compilation's arena; primitives are singletons and list/map/optional/secret types are
 * hash-consed, so those compare by pointer.  Records, unions, aliases and refinements are
 * compared structurally by ty_equal/ty_assignable.  This file knows nothing of scopes or
 * expressions beyond keeping a pointer to a refinement's predicate. */
#ifndef PLAT_TYPES_H
#define PLAT_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/arena.h"
#include "compiler/ast.h"
#include "compiler/source.h"

/* When a value is known (§4).  An expression's phase is the latest of its operands'. */
typedef enum Phase {
  PHASE_COMPILE = 0,   /* a constant */
  PHASE_PLAN = 1,      /* known when the plan is made: params, inputs from plan values */
  PHASE_DEPLOY = 2,    /* known only after a provider created a resource */
} Phase;

typedef enum TypeKind {
  TY_ERROR,       /* already diagnosed: assignable to and from everything, silences cascades */
  TY_NOTHING,     /* the element type of `[]`: assignable to everything, never inferred */
  TY_NULL, TY_BOOL, TY_INT, TY_FLOAT, TY_STRING,
  TY_LIST,        /* list<T> */
  TY_MAP,         /* map<T>, string keys */
  TY_RECORD,      /* { f: T, g: U = default } */
  TY_OPTIONAL,    /* T? */
  TY_UNION,       /* "a" | "b" */
  TY_SECRET,      /* secret T */
  TY_ALIAS,       /* type Name = T: kept so messages say `Tier`, not its expansion */
  TY_REFINED,     /* T where pred */
  TY_RESOURCE,    /* a resource type: provider schema or component */
  TY_MODULE,      /* an imported module or a provider (only as the left of `.`) */
  TY_FN,          /* a function's signature (functions are not values) */
} TypeKind;

typedef struct Type Type;
struct Module;
struct Sym;

/* A record field, a resource input or output, a component param or output. */
typedef struct RecField {
  const Str *name;
  const Type *type;
  Expr *deflt;           /* NULL when required (or for outputs) */
  bool has_default;      /* also true for fields whose default is not an expression */
  const char *doc;       /* /// text or NULL */
  Span span;             /* where the field is declared (SPAN_NO_FILE for built-ins) */
  struct Sym *sym;       /* component params/outputs/resources: their symbol; else NULL */
} RecField;

/* A resource type: a provider schema `resource File { ... }` or a component. */
typedef struct ResType {
  const Str *name;       /* File, Service */
  const char *qual;      /* "local.File", "Service", "net.Service": as users write it */
  bool is_component;
  RecField *inputs; uint32_t ninputs;     /* schema inputs / component params */
  RecField *outputs; uint32_t noutputs;   /* schema outputs / component outputs */
  RecField *members; uint32_t nmembers;   /* components: nested resources (s.cfg) */
  Decl *decl;            /* D_SCHEMA or D_COMPONENT */
  struct Module *module; /* where it is declared */
  const Type *type;      /* the TY_RESOURCE of this ResType */
  uint32_t *idx; uint32_t idxcap;         /* name index over all three lists (ty_res_index) */
  uint32_t nrequired;    /* inputs without a default (ty_res_index) */
} ResType;

/* Which list of a ResType a name was found in. */
typedef enum ResPart { RP_INPUT, RP_OUTPUT, RP_MEMBER } ResPart;

/* One parameter of a function signature. */
typedef struct FnParamT {
  const Str *name;
  const Type *type;      /* NULL in built-ins means "any value" */
  bool optional;         /* may be omitted (has a default) */
} FnParamT;

struct Builtin;          /* compiler/builtins.h */

/* Deeper types (through aliases: `type A = list<B>`, `type B = list<C>`, ...) are refused
 * by the checker (E0101), so every recursive function here is bounded. */
#define TY_MAX_DEPTH 200
/* Types share parts (an inferred record holding another twice), so a type of depth 40 can
 * stand for 2^40 nodes: every walk over types stops after this many steps, answering
 * conservatively (not equal, not assignable, no join), and printing stops at a length. */
#define TY_MAX_STEPS 100000u
#define TY_SHOW_MAX 400

struct Type {
  TypeKind kind;
  uint16_t depth;        /* 1 for leaves; containers add one */
  uint32_t hash;         /* for hash-consing */
  union {
    const Type *elem;                                        /* LIST MAP OPTIONAL SECRET */
    struct {                                                 /* RECORD */
      RecField *fields; uint32_t nfields;
      uint32_t *idx; uint32_t idxcap;  /* name -> field + 1, for records of many fields */
      uint32_t nrequired;              /* fields without a default */
    } rec;
    struct {                                                 /* UNION, in written order */
      const Str **members; uint32_t nmembers;
      uint32_t *idx; uint32_t idxcap;  /* text hash -> member + 1, for long unions */
    } uni;
    struct {                                                 /* ALIAS */
      const Str *name; const Type *target; struct Sym *sym;
      const Type *flat;                /* the first type below that is not an alias */
    } alias;
    struct { const Type *base; Expr *pred; struct Sym *self; Span span; } ref;  /* REFINED */
    ResType *res;                                            /* RESOURCE */
    struct { struct Module *mod; const Str *name; } mod;     /* MODULE */
    struct {
      FnParamT *params; uint32_t nparams;
      bool variadic;                   /* the last param repeats */
      const Type *ret;                 /* NULL for built-ins typed by a hook */
      const struct Builtin *builtin;   /* NULL for user functions */
      const Str *name;
      const char *sig;                 /* built-ins: the signature as documented */
    } fn;                                                    /* FN */
  } u;
};

/* The type context: the hash-cons table, in the arena like everything else. One per Program. */
typedef struct TypeCtx {
  Arena *arena;
  SourceMap *sources;    /* for printing defaults and predicates as written */
  Type **slots; uint32_t cap, count;
} TypeCtx;

extern const Type ty_error_, ty_nothing_, ty_null_, ty_bool_, ty_int_, ty_float_, ty_string_;
#define TY_ERROR_T (&ty_error_)
#define TY_NOTHING_T (&ty_nothing_)
#define TY_NULL_T (&ty_null_)
#define TY_BOOL_T (&ty_bool_)
#define TY_INT_T (&ty_int_)
#define TY_FLOAT_T (&ty_float_)
#define TY_STRING_T (&ty_string_)

/* Types and the table live in [arena]; [sources] is only read, to print defaults. */
void ty_init(TypeCtx *tc, Arena *arena, SourceMap *sources);

/* Constructors.  list/map/optional/secret are hash-consed (same elem -> same pointer);
 * ty_optional(T?) is T?, ty_optional(null) is null; ty_secret(secret T) is secret T;
 * an error element gives the error type back, so errors never nest. */
const Type *ty_list(TypeCtx *tc, const Type *elem);
const Type *ty_map(TypeCtx *tc, const Type *elem);
const Type *ty_optional(TypeCtx *tc, const Type *elem);
const Type *ty_secret(TypeCtx *tc, const Type *elem);
/* [fields] is copied; field order is kept for messages. */
const Type *ty_record(TypeCtx *tc, const RecField *fields, uint32_t n);
/* [members] is copied; duplicates are the caller's business. */
const Type *ty_union(TypeCtx *tc, const Str *const *members, uint32_t n);
const Type *ty_alias(TypeCtx *tc, const Str *name, const Type *target, struct Sym *sym);
const Type *ty_refined(TypeCtx *tc, const Type *base, Expr *pred, struct Sym *self, Span span);
const Type *ty_resource(TypeCtx *tc, ResType *rt);
const Type *ty_module(TypeCtx *tc, struct Module *mod, const Str *name);
/* A function signature; [params] is copied.  [ret] NULL: typed by a built-in's hook. */
const Type *ty_fn(TypeCtx *tc, const Str *name, const FnParamT *params, uint32_t n,
                  bool variadic, const Type *ret);

/* Views.  ty_base strips aliases, refinements and secret (what operators look at);
 * ty_unalias strips only aliases; ty_strip_secret strips aliases and one `secret`. */
const Type *ty_base(const Type *t);
const Type *ty_unalias(const Type *t);
bool ty_is_secret(const Type *t);         /* `secret T`, through aliases and refinements */
bool ty_contains_secret(const Type *t);   /* secret anywhere inside (list<secret string>) */
bool ty_is_error(const Type *t);          /* the error type, through aliases */
bool ty_contains_nothing(const Type *t);  /* list<nothing>: an uninferred `[]` */
bool ty_is_numeric(const Type *t);        /* int or float */
bool ty_is_stringish(const Type *t);      /* string or a union of string literals */
const RecField *ty_field(const Type *rec, const Str *name);   /* RECORD only, else NULL */
/* Index [rt]'s inputs, outputs and members by name once they are all filled in, so that
 * ty_res_find is O(1) however many params a component has.  Call again after a change. */
void ty_res_index(TypeCtx *tc, ResType *rt);
/* The input, output or member of [rt] named [name] (its list in *part, position in *index),
 * or NULL.  Inputs win over outputs, outputs over members. */
const RecField *ty_res_find(const ResType *rt, const Str *name, ResPart *part, uint32_t *index);
/* The refinements on the way from [t] to its base, outermost first (at most [max]). */
uint32_t ty_refinements(const Type *t, const Type **out, uint32_t max);
bool ty_union_has(const Type *uni, const char *s, uint32_t len);

/* Structural equality (aliases and refinements see through; secret counts). */
bool ty_equal(const Type *a, const Type *b);
/* May a value of type [from] be used where [to] is expected?  int -> float widens;
 * T and null -> T?; union -> string; list/map covariant; records need every required
 * field and no unknown one; records -> map<T> when every field is a T.  Refinements are
 * not checked here (constants are checked by the checker).  Secret is ignored: taint is
 * tracked on expressions. */
bool ty_assignable(const Type *from, const Type *to);
/* The smallest type both [a] and [b] convert to (int+float -> float, T+null -> T?), or
 * NULL when there is none.  Used for list elements and if/else branches. */
const Type *ty_join(TypeCtx *tc, const Type *a, const Type *b);

/* The type as a user writes it: `list<string>`, `{ host: string, port: int }`,
 * `"web" | "worker"`, `Tier`, `local.File`, `string?`.  Returns arena text. */
const char *ty_show(TypeCtx *tc, const Type *t);

#endif
