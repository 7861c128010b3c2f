/* Built-ins the checker knows whose implementation has not landed yet: each raises a clear
 * runtime error.  An engineer implementing one deletes its line here.  This file goes away
 * when it is empty. */
#include "stdlib/stdlib.h"

#define TODO(name) \
  Val sl_##name(Rt *rt, const Val *args, uint32_t n) { \
    (void)args; (void)n; \
    rt_error(rt, "built-in '%s' is not implemented yet", #name); \
  }

