/* The dispatch table from BuiltinId to implementation, built from stdlib/builtins.def so
 * that a built-in the checker knows can never be missing here. */
#include "stdlib/stdlib.h"

static const SlFn fns[BI__COUNT] = {
#define BUILTIN(name, sig, flags) [BI_##name] = sl_##name,
#include "stdlib/builtins.def"
#undef BUILTIN
};

SlFn sl_fn(BuiltinId id) {
  return (unsigned)id < BI__COUNT ? fns[id] : NULL;
}
