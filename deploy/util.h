/* Small helpers the deploy engine's files share: formatted messages, sorted strings and
 * object keys (every list the engine prints or stores is sorted, for determinism), and a
 * resource type's name inside its provider. */
#ifndef PLAT_DEPLOY_UTIL_H
#define PLAT_DEPLOY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A malloc'd printf. */
char *dp_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* printf into [err] ([errlen] bytes; nothing when [err] is NULL). */
void dp_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sort [n] strings by bytes. */
void dp_sort_strs(char **v, size_t n);
void dp_sort_cstrs(const char **v, size_t n);
/* The keys of object [o], sorted (malloc'd array, borrowed strings); *n gets the count. */
const char **dp_sorted_keys(const json_t *o, size_t *n);
/* The length of the valid UTF-8 sequence at [s] (at most [n] >= 1 bytes), 0 if it is
 * not one: the checks of jansson's utf8_check_first/utf8_check_full (no overlong forms,
 * no surrogates, nothing past U+10FFFF), so the JSON reader and writer agree with it. */
size_t dp_utf8_len(const unsigned char *s, size_t n);
/* Is [s] among the [n] sorted strings [v]?  (A binary search.) */
bool dp_in_sorted(char *const *v, uint32_t n, const char *s);
/* Is the string [s] an element of JSON array [arr]? */
bool dp_json_has_str(const json_t *arr, const char *s);
/* "File" for type "local.File" of provider "local". */
const char *dp_short_type(const char *type, const char *provider);

#endif
