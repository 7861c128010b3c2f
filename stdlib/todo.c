/* Built-ins the checker knows whose implementation has not landed yet: each raises a clear
 * runtime error.  An engineer implementing one deletes its line here.  This file goes away
 * when it is empty. */
#include "stdlib/stdlib.h"

#define TODO(name) \
  Val sl_##name(Rt *rt, const Val *args, uint32_t n) { \
    (void)args; (void)n; \
    rt_error(rt, "built-in '%s' is not implemented yet", #name); \
  }

TODO(base64decode)
TODO(base64encode)
TODO(jsonencode)
TODO(urlencode)
TODO(yamlencode)
TODO(base64sha256)
TODO(base64sha512)
TODO(md5)
TODO(sha1)
TODO(sha256)
TODO(sha512)
TODO(uuid)
TODO(uuidv5)
TODO(basename)
TODO(dirname)
TODO(file)
TODO(fileexists)
TODO(formatdate)
TODO(timeadd)
TODO(timestamp)
TODO(cidrhost)
TODO(cidrnetmask)
TODO(cidrsubnet)
TODO(cidrsubnets)
