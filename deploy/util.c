/* Helpers shared by the deploy engine (see util.h). */
#include "deploy/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/arena.h"

char *dp_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = plat_xmalloc((size_t)(n < 0 ? 0 : n) + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
  va_end(ap);
  return s;
}

void dp_seterr(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void dp_sort_strs(char **v, size_t n) {
  if (n > 1)
    qsort(v, n, sizeof *v, cmp);
}

void dp_sort_cstrs(const char **v, size_t n) {
  if (n > 1)
    qsort(v, n, sizeof *v, cmp);
}

const char **dp_sorted_keys(const json_t *o, size_t *n) {
  const char **keys = plat_xcalloc(json_object_size(o) + 1, sizeof *keys);
  size_t k = 0;
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)o, key, v) keys[k++] = key;
  dp_sort_cstrs(keys, k);
  *n = k;
  return keys;
}

const char *dp_short_type(const char *type, const char *provider) {
  size_t n = strlen(provider);
  if (strncmp(type, provider, n) == 0 && type[n] == '.')
    return type + n + 1;
  const char *dot = strrchr(type, '.');
  return dot ? dot + 1 : type;
}

size_t dp_utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  uint32_t v;
  if (c < 0x80)
    return 1;
  if (c < 0xC2)
    return 0;
  if (c < 0xE0)
    len = 2, v = c & 0x1F;
  else if (c < 0xF0)
    len = 3, v = c & 0x0F;
  else if (c < 0xF5)
    len = 4, v = c & 0x07;
  else
    return 0;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    v = (v << 6) | (s[i] & 0x3F);
  }
  if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (len == 3 && v < 0x800) ||
      (len == 4 && v < 0x10000))
    return 0;
  return len;
}

bool dp_in_sorted(char *const *v, uint32_t n, const char *s) {
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = strcmp(v[mid], s);
    if (!c)
      return true;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

bool dp_json_has_str(const json_t *arr, const char *s) {
  size_t i;
  json_t *e;
  json_array_foreach((json_t *)arr, i, e)
    if (json_is_string(e) && strcmp(json_string_value(e), s) == 0)
      return true;
  return false;
}
