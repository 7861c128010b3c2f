/* Typed decoding: jsondecode and yamldecode give the type their context expects
 * (docs/language.md §11).  The compiler describes that type with sl_type_desc and passes
 * the description as one extra, last argument of the call (a string constant in the
 * pool), so the call runs as sl_jsondecode(rt, {text, desc}, 2); the built-in decodes and
 * then converts the value with sl_conform, failing with the path of the first mismatch.
 *
 * A descriptor is JSON text (readable in `platc disasm`, parsed once per call by jansson):
 *   "string" "int" "float" "bool" "null" "any"
 *   ["list", D]  ["map", D]  ["optional", D]  ["secret", D]
 *   ["enum", "web", "worker"]                         a union of string literals
 *   ["record", ["port", D], ["tls", D, true], ...]    fields; a third item is the default
 * Aliases are described by what they stand for; a refinement by its base type (its
 * predicate is not evaluated here: the VM checks refinements of non-constant values). */
#ifndef PLAT_STDLIB_CONFORM_H
#define PLAT_STDLIB_CONFORM_H

#include <stdbool.h>

#include "compiler/arena.h"
#include "compiler/types.h"
#include "vm/value.h"

/* Decoded values deeper than this are refused (recursion stays bounded). */
#define SL_DECODE_MAX_DEPTH 1000
/* sl_conform visits at most this many values: aliases in YAML share values, so a small
 * text can stand for an enormous tree. */
#define SL_CONFORM_MAX_STEPS 2000000u

/* The descriptor of [t] as NUL-terminated arena text; NULL when a decoded value can never
 * have that type (a resource, a function, ...), with *why saying why in words that fit
 * "cannot decode into <type>: <why>".  Defaults of record fields must be literals or
 * constant names, else NULL too. */
const char *sl_type_desc(Arena *a, const Type *t, const char **why);

/* [v] converted to the type described by [desc]: int <-> float where exact, missing
 * optional fields null, missing defaulted fields their default, keys not in a record
 * dropped, `secret` parts marked.  An rt_error "[fn]: at .a[2].b: expected int, found
 * string \"80\"" on the first mismatch; [secret]: the text was secret, so no value is
 * quoted.  A malformed [desc] is an rt_error too (a .platb may be hostile). */
Val sl_conform(Rt *rt, const char *fn, Val v, const char *desc, bool secret);

/* A jansson value as a Plat value (objects become maps); strings are checked UTF-8. */
struct json_t;
Val sl_json_value(Rt *rt, const char *fn, struct json_t *j, int depth);

/* Raise rt->errmsg again (after cleaning up what an rt_protect call left behind). */
_Noreturn void sl_rethrow(Rt *rt);

#endif
