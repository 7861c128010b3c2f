/* The built-in functions' implementations, called by the VM.  Their names and typed
 * signatures are in stdlib/builtins.def (read by the checker, compiler/builtins.h); each
 * BUILTIN(name, ...) is implemented by `Val sl_<name>(Rt *, const Val *args, uint32_t n)`
 * in one of the stdlib/ files by area (strings.c, collections.c, numbers.c, ...).
 *
 * The calling convention:
 * - [args] are the [n] arguments given (optional ones left out are not passed; a variadic
 *   parameter contributes one argument per value), already checked against the signature
 *   by the checker, so an implementation may rely on their tags (int where the signature
 *   says int; for `number`, int or float).
 * - No argument is unknown, and marks are the VM's business: the VM returns an unknown
 *   without calling when any argument holds one, and marks the result secret when any
 *   argument holds a secret (sensitive/nonsensitive are the VM's own).
 * - Errors (a bad regex, an index out of range, a malformed JSON text, an unreadable file)
 *   are rt_error with a message that names the function and what is wrong, in Terraform's
 *   words where Terraform has them; never a crash, never a message that quotes a secret.
 * - Results are built in rt (vm/value.h); arguments are immutable and may be shared. */
#ifndef PLAT_STDLIB_H
#define PLAT_STDLIB_H

#include <stdint.h>

#include "compiler/builtins.h"
#include "vm/value.h"

typedef Val (*SlFn)(Rt *rt, const Val *args, uint32_t n);

#define BUILTIN(name, sig, flags) Val sl_##name(Rt *rt, const Val *args, uint32_t n);
#include "stdlib/builtins.def"
#undef BUILTIN

/* The implementation of built-in [id], or NULL when it has none (the VM then raises
 * "built-in 'x' is not implemented"; a unit test requires every one to exist). */
SlFn sl_fn(BuiltinId id);

#endif
