/* The deploy engine's JSON writer (see jsonw.h): jansson's output format, written
 * directly.  Every rule here mirrors jansson 2.14's dump.c: separators ": " / ":" , a
 * newline and two spaces per level, "{}" and "[]" for empty containers, keys sorted
 * bytewise (then shorter first), strings escaped only for '"', '\\' and control
 * characters (\uXXXX upper-case), other bytes as they are once UTF-8 is checked; reals
 * are left to jansson itself. tests/unit/test_state compares the two byte for byte. */
#include "deploy/jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/arena.h"
#include "deploy/util.h"

void jw_init(JsonW *w, bool compact) {
  memset(w, 0, sizeof *w);
  w->compact = compact;
}

void jw_free(JsonW *w) {
  free(w->p);
  w->p = NULL;
  w->n = w->cap = 0;
}

static char *room(JsonW *w, size_t len) {
  if (w->cap - w->n < len + 1) {
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->n < len + 1)
      cap *= 2;
    w->p = plat_xrealloc(w->p, cap);
    w->cap = cap;
  }
  return w->p + w->n;
}

void jw_raw(JsonW *w, const char *s, size_t len) {
  memcpy(room(w, len), s, len);
  w->n += len;
  w->p[w->n] = '\0';
}

void jw_str(JsonW *w, const char *s, size_t len) {
  /* At most 6 bytes per input byte, plus the quotes. */
  char *o = room(w, len * 6 + 2), *start = o;
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  *o++ = '"';
  while (p < end) {
    unsigned c = *p;
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      *o++ = (char)c;
      p++;
      continue;
    }
    if (c >= 0x80) {
      size_t k = dp_utf8_len(p, (size_t)(end - p));
      if (!k) {
        w->failed = true;
        k = 1;
      }
      memcpy(o, p, k);
      o += k;
      p += k;
      continue;
    }
    *o++ = '\\';
    switch (c) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    default: {
      static const char hex[] = "0123456789ABCDEF";
      *o++ = 'u';
      *o++ = '0';
      *o++ = '0';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    }
    }
    p++;
  }
  *o++ = '"';
  w->n += (size_t)(o - start);
  w->p[w->n] = '\0';
}

void jw_cstr(JsonW *w, const char *s) {
  jw_str(w, s, strlen(s));
}

void jw_int(JsonW *w, int64_t v) {
  char buf[24];
  int k = snprintf(buf, sizeof buf, "%lld", (long long)v);
  jw_raw(w, buf, (size_t)k);
}

/* A newline and two spaces per level (nothing when compact). */
static void indent(JsonW *w, int depth) {
  if (w->compact)
    return;
  size_t k = 1 + 2 * (size_t)depth;
  char *o = room(w, k);
  o[0] = '\n';
  memset(o + 1, ' ', k - 1);
  w->n += k;
  w->p[w->n] = '\0';
}

void jw_open(JsonW *w, char bracket) {
  jw_raw(w, &bracket, 1);
}

void jw_item(JsonW *w, int depth, bool first) {
  if (!first)
    jw_raw(w, ",", 1);
  indent(w, depth);
}

void jw_key(JsonW *w, int depth, bool first, const char *key) {
  jw_item(w, depth, first);
  jw_cstr(w, key);
  jw_raw(w, w->compact ? ":" : ": ", w->compact ? 1 : 2);
}

void jw_close(JsonW *w, char bracket, int depth, bool empty) {
  if (!empty)
    indent(w, depth);
  jw_raw(w, &bracket, 1);
}

typedef struct Key {
  const char *s;
  size_t len;
  json_t *v;
} Key;

static int key_cmp(const void *a, const void *b) {
  const Key *x = a, *y = b;
  size_t m = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->s, y->s, m);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Values the engine holds are at most 2,048 levels deep (jansson's parser and
   dv_to_json both stop there); this only bounds the recursion. */
#define JW_MAX_DEPTH 4096

void jw_value(JsonW *w, const json_t *v, int depth) {
  if (depth > JW_MAX_DEPTH) {
    w->failed = true;
    return;
  }
  switch (json_typeof(v)) {
  case JSON_NULL: jw_raw(w, "null", 4); return;
  case JSON_TRUE: jw_raw(w, "true", 4); return;
  case JSON_FALSE: jw_raw(w, "false", 5); return;
  case JSON_INTEGER: jw_int(w, (int64_t)json_integer_value(v)); return;
  case JSON_REAL: {
    char *s = json_dumps(v, JSON_ENCODE_ANY);
    if (!s) {
      w->failed = true;
      return;
    }
    jw_raw(w, s, strlen(s));
    free(s);
    return;
  }
  case JSON_STRING: jw_str(w, json_string_value(v), json_string_length(v)); return;
  case JSON_ARRAY: {
    size_t n = json_array_size(v);
    jw_open(w, '[');
    for (size_t i = 0; i < n; i++) {
      jw_item(w, depth + 1, i == 0);
      jw_value(w, json_array_get(v, i), depth + 1);
    }
    jw_close(w, ']', depth, n == 0);
    return;
  }
  case JSON_OBJECT: {
    size_t n = json_object_size(v);
    Key small[16];
    Key *keys = n <= 16 ? small : plat_xmalloc(n * sizeof *keys);
    size_t k = 0;
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach((json_t *)v, key, klen, val) {
      keys[k++] = (Key){ key, klen, val };
    }
    if (k > 1)
      qsort(keys, k, sizeof *keys, key_cmp);
    jw_open(w, '{');
    for (size_t i = 0; i < k; i++) {
      jw_item(w, depth + 1, i == 0);
      jw_str(w, keys[i].s, keys[i].len);
      jw_raw(w, w->compact ? ":" : ": ", w->compact ? 1 : 2);
      jw_value(w, keys[i].v, depth + 1);
    }
    jw_close(w, '}', depth, k == 0);
    if (keys != small)
      free(keys);
    return;
  }
  }
}
