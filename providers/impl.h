/* Inside the provider layer: what provider.c shares with the implementations (local.c,
 * random.c, external.c).  Not for other folders: they include providers/provider.h only.
 * Each implementation has an `open` that makes its state from the project root and the
 * provider's configuration; provider.c finds it by name and drives it through its vtable. */
#ifndef PLAT_PROVIDERS_IMPL_H
#define PLAT_PROVIDERS_IMPL_H

#include "providers/provider.h"

/* Make the provider's state.  [root] is the project root (absolute), [config] a JSON
 * object or NULL (borrowed).  False with *err (malloc'd) on failure. */
typedef bool (*ProvOpenFn)(const char *name, const char *root, json_t *config,
                           const ProvVtable **vt, void **self, char **err);

bool prov_local_open(const char *name, const char *root, json_t *config,
                     const ProvVtable **vt, void **self, char **err);
bool prov_random_open(const char *name, const char *root, json_t *config,
                      const ProvVtable **vt, void **self, char **err);
/* [exe] is the executable's path (prov_find_executable); the process is started and
 * shaken hands with at once, within [start_timeout_ms]. */
bool prov_external_open(const char *name, const char *exe, const char *root, json_t *config,
                        int64_t start_timeout_ms, const ProvVtable **vt, void **self,
                        char **err);

/* Set res->status to [st] and res->message to the bare reason (printf-style); returns st. */
ProvStatus prov_fail(ProvRes *res, ProvStatus st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Append {"property": prop (or null), "message": ...} to the array [problems]. */
void prov_problem(json_t *problems, const char *prop, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fill res->diff/changed/replaces comparing [old] and [new] inputs: every property that
 * differs changes, and forces replacement unless it is in [in_place] (NULL-terminated). */
void prov_diff_inputs(const json_t *old, const json_t *new, const char *const *in_place,
                      ProvRes *res);
/* malloc'd printf; aborts on out of memory like the rest of libplat. */
char *prov_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The real monotonic clock in milliseconds. */
int64_t prov_now_ms(void);

#endif
