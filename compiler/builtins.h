/* The built-in functions as the checker sees them: names, typed signatures and how to
 * type a call (stdlib/builtins.def is the table).  Generic signatures use type variables
 * (T, U, number) bound by the arguments.  The implementations belong to the VM; the
 * constant folder (consteval.c) evaluates a few of them at compile time. */
#ifndef PLAT_BUILTINS_H
#define PLAT_BUILTINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/types.h"

typedef enum BuiltinId {
#define BUILTIN(name, sig, flags) BI_##name,
#include "stdlib/builtins.def"
#undef BUILTIN
  BI__COUNT
} BuiltinId;

enum { BF_PURE = 0, BF_PLAN = 1, BF_SENSITIVE = 2, BF_NONSENSITIVE = 4 };

typedef struct BiPat BiPat;     /* a parameter or result type pattern (builtins.c) */

#define BI_MAX_PARAMS 4
typedef struct BiParam {
  const char *name;
  const BiPat *pat;
  const char *text;      /* the type as written ("list<T>"), for messages */
  bool optional;
} BiParam;

typedef struct Builtin {
  BuiltinId id;
  const char *name;
  const char *sig;       /* as in builtins.def: "startswith(s: string, prefix: string): bool" */
  int flags;             /* BF_* */
  BiParam params[BI_MAX_PARAMS];
  uint32_t nparams;
  uint32_t min_args;     /* required parameters (a variadic one counts once unless optional) */
  bool variadic;         /* the last parameter repeats */
  const BiPat *ret;
  bool ret_expected;     /* the result is `any`: the type the call's context expects
                            (jsondecode, yamldecode; docs/language.md §11) */
  bool hooked;           /* the result mentions `Match`: typed by bi_type_hook */
} Builtin;

/* The built-in [id], or the one named [name] ([len] bytes); NULL if none. */
const Builtin *bi_get(BuiltinId id);
const Builtin *bi_find(const char *name, size_t len);
/* All names, in table order (for "did you mean"); sets *n. */
const char *const *bi_names(uint32_t *n);

/* The type of argument [i] of a call of [b] when its parameter has one fixed type (no
 * type variable, `any`, `number` or alternatives), else NULL. */
const Type *bi_param_type(TypeCtx *tc, const Builtin *b, uint32_t i);

/* Type a call of [b] with [nargs] argument types [args].  Returns the result type; on a
 * mismatch returns NULL and sets *bad to the index of the first argument that does not
 * fit and *want to what its parameter accepts ("list<T>"), as arena text.  The argument
 * count must already be right (min_args <= nargs, and nargs <= nparams unless variadic). */
const Type *bi_type_call(TypeCtx *tc, const Builtin *b, const Type *const *args,
                         uint32_t nargs, uint32_t *bad, const char **want);

struct Value;            /* compiler/consteval.h */
struct Interner;         /* compiler/source.h */

/* The result type of a call of a hooked built-in ([b]->hooked: regex, regexall), whose
 * shape depends on the value of its constant first argument, the pattern: `Match` is
 * string (no capture group), list<string?> (unnamed groups) or a record of string? fields
 * named after the groups (stdlib/regex.h).  [vals] are the arguments' constant values
 * (NULL where not constant); [strs] interns the field names.  Returns NULL with *msg set
 * (arena text) when the pattern is not a constant or is not a valid pattern; *bad is then
 * the argument to point at. */
const Type *bi_type_hook(TypeCtx *tc, struct Interner *strs, const Builtin *b,
                         const struct Value *const *vals, uint32_t n, uint32_t *bad,
                         const char **msg);

#endif
