/* The fast JSON reader (see jsonr.h).  Recursive descent over the buffer, bounded at
 * jansson's own depth limit; every rule mirrors jansson 2.14's load.c for valid input
 * (whitespace, literals, numbers, escapes, surrogate pairs, UTF-8), and everything
 * else returns NULL for jansson to judge. */
#include "deploy/jsonr.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/arena.h"
#include "deploy/util.h"

#define JR_MAX_DEPTH 2048   /* jansson's JSON_PARSER_MAX_DEPTH */

typedef JrReader Reader;

static void skip_ws(Reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static int hex4(const unsigned char *s) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int c = s[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return -1;
    v = v * 16 + d;
  }
  return v;
}

static char *tmp_room(Reader *r, size_t n) {
  if (n > r->tmpcap) {
    r->tmpcap = n < 256 ? 256 : n * 2;
    r->tmp = plat_xrealloc(r->tmp, r->tmpcap);
  }
  return r->tmp;
}

/* A string at r->p (just past the opening quote): its bytes in *s and *len (into the buffer
 * when it has no escapes, else into r->tmp).  False to give up. */
static bool read_string(Reader *r, const char **s, size_t *len) {
  const unsigned char *start = r->p, *q = r->p;
  bool escaped = false;
  while (q < r->end && *q != '"') {
    if (*q == '\\') {
      if (r->end - q < 2)
        return false;
      escaped = true;
      q += 2;
    } else if (*q < 0x20) {
      return false;
    } else if (*q < 0x80) {
      q++;
    } else {
      size_t k = dp_utf8_len(q, (size_t)(r->end - q));
      if (!k)
        return false;
      q += k;
    }
  }
  if (q >= r->end)
    return false;
  r->p = q + 1;
  if (!escaped) {
    *s = (const char *)start;
    *len = (size_t)(q - start);
    return true;
  }
  /* Escapes never make a string longer. */
  char *o = tmp_room(r, (size_t)(q - start) + 1), *o0 = o;
  for (const unsigned char *c = start; c < q;) {
    if (*c != '\\') {
      *o++ = (char)*c++;
      continue;
    }
    c++;
    switch (*c++) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '/': *o++ = '/'; break;
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u': {
      if (q - c < 4)
        return false;
      int32_t v = hex4(c);
      c += 4;
      if (v < 0)
        return false;
      if (v >= 0xD800 && v <= 0xDBFF) {
        if (q - c < 6 || c[0] != '\\' || c[1] != 'u')
          return false;
        int lo = hex4(c + 2);
        if (lo < 0xDC00 || lo > 0xDFFF)
          return false;
        c += 6;
        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
      } else if ((v >= 0xDC00 && v <= 0xDFFF) || v == 0) {
        return false;   /* a lone low surrogate; NUL (jansson wants JSON_ALLOW_NUL) */
      }
      if (v < 0x80) {
        *o++ = (char)v;
      } else if (v < 0x800) {
        *o++ = (char)(0xC0 | (v >> 6));
        *o++ = (char)(0x80 | (v & 0x3F));
      } else if (v < 0x10000) {
        *o++ = (char)(0xE0 | (v >> 12));
        *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
        *o++ = (char)(0x80 | (v & 0x3F));
      } else {
        *o++ = (char)(0xF0 | (v >> 18));
        *o++ = (char)(0x80 | ((v >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
        *o++ = (char)(0x80 | (v & 0x3F));
      }
      break;
    }
    default:
      return false;
    }
  }
  *s = r->tmp;
  *len = (size_t)(o - o0);
  return true;
}

/* A number as jansson's lexer reads it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static json_t *read_number(Reader *r) {
  const unsigned char *s = r->p, *q = s;
  if (q < r->end && *q == '-')
    q++;
  if (q >= r->end || !(*q >= '0' && *q <= '9'))
    return NULL;
  if (*q == '0') {
    q++;
    if (q < r->end && *q >= '0' && *q <= '9')
      return NULL;
  } else {
    while (q < r->end && *q >= '0' && *q <= '9')
      q++;
  }
  bool real = false;
  if (q < r->end && *q == '.') {
    real = true;
    q++;
    if (q >= r->end || !(*q >= '0' && *q <= '9'))
      return NULL;
    while (q < r->end && *q >= '0' && *q <= '9')
      q++;
  }
  if (q < r->end && (*q == 'e' || *q == 'E')) {
    real = true;
    q++;
    if (q < r->end && (*q == '+' || *q == '-'))
      q++;
    if (q >= r->end || !(*q >= '0' && *q <= '9'))
      return NULL;
    while (q < r->end && *q >= '0' && *q <= '9')
      q++;
  }
  size_t n = (size_t)(q - s);
  if (n > 64)
    return NULL;
  char buf[72];
  memcpy(buf, s, n);
  buf[n] = '\0';
  r->p = q;
  char *end;
  errno = 0;
  if (!real) {
    long long v = strtoll(buf, &end, 10);
    if (errno || *end)
      return NULL;   /* out of range: jansson says so */
    return json_integer((json_int_t)v);
  }
  double d = strtod(buf, &end);
  if (*end || !isfinite(d) || (errno == ERANGE && d != 0))
    return NULL;
  return json_real(d);
}

static json_t *read_value(Reader *r, int depth);

/* Objects and arrays take their separators from jr_key and jr_item (below), which count
 * r->depth down at the closing bracket: counted up here to match. */
static json_t *read_object(Reader *r, int depth) {
  json_t *o = json_object();
  r->depth++;
  for (bool first = true;; first = false) {
    const char *k;
    size_t klen;
    int more = jr_key(r, first, &k, &klen);
    if (more == 0)
      return o;
    if (more < 0 || memchr(k, '\0', klen))
      break;
    /* The key's bytes may sit in r->tmp, which the value reuses: keep a copy. */
    char kbuf[128];
    char *key = klen < sizeof kbuf ? kbuf : plat_xmalloc(klen + 1);
    memcpy(key, k, klen);
    key[klen] = '\0';
    json_t *v = json_object_getn(o, key, klen) ? NULL : read_value(r, depth + 1);
    if (v)
      json_object_setn_new_nocheck(o, key, klen, v);
    if (key != kbuf)
      free(key);
    if (!v)
      break;
  }
  json_decref(o);
  return NULL;
}

static json_t *read_array(Reader *r, int depth) {
  json_t *a = json_array();
  r->depth++;
  for (bool first = true;; first = false) {
    int more = jr_item(r, first);
    if (more == 0)
      return a;
    json_t *v = more > 0 ? read_value(r, depth + 1) : NULL;
    if (!v || json_array_append_new(a, v) != 0)
      break;
  }
  json_decref(a);
  return NULL;
}

static bool literal(Reader *r, const char *word, size_t n) {
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
    return false;
  r->p += n;
  return true;
}

static json_t *read_value(Reader *r, int depth) {
  if (depth > JR_MAX_DEPTH)
    return NULL;
  skip_ws(r);
  if (r->p >= r->end)
    return NULL;
  switch (*r->p) {
  case '{': r->p++; return read_object(r, depth);
  case '[': r->p++; return read_array(r, depth);
  case '"': {
    r->p++;
    const char *s;
    size_t len;
    if (!read_string(r, &s, &len))
      return NULL;
    return json_stringn_nocheck(s, len);   /* UTF-8 checked above */
  }
  case 't': return literal(r, "true", 4) ? json_true() : NULL;
  case 'f': return literal(r, "false", 5) ? json_false() : NULL;
  case 'n': return literal(r, "null", 4) ? json_null() : NULL;
  default: return read_number(r);
  }
}

json_t *jr_parse(const char *buf, size_t len) {
  Reader r = { (const unsigned char *)buf, (const unsigned char *)buf + len, NULL, 0, 0 };
  skip_ws(&r);
  json_t *v = NULL;
  if (r.p < r.end && (*r.p == '{' || *r.p == '['))
    v = read_value(&r, 1);
  skip_ws(&r);
  if (v && r.p != r.end) {
    json_decref(v);
    v = NULL;
  }
  free(r.tmp);
  return v;
}

/* ---- one token at a time ------------------------------------------------------------ */
void jr_open(JrReader *r, const char *buf, size_t len) {
  memset(r, 0, sizeof *r);
  r->p = (const unsigned char *)buf;
  r->end = r->p + len;
}

void jr_close(JrReader *r) {
  free(r->tmp);
  r->tmp = NULL;
}

static bool punct(Reader *r, unsigned char c) {
  skip_ws(r);
  if (r->p >= r->end || *r->p != c)
    return false;
  r->p++;
  return true;
}

bool jr_object(JrReader *r) { return ++r->depth <= JR_MAX_DEPTH && punct(r, '{'); }
bool jr_array(JrReader *r) { return ++r->depth <= JR_MAX_DEPTH && punct(r, '['); }

int jr_key(JrReader *r, bool first, const char **key, size_t *klen) {
  skip_ws(r);
  if (r->p < r->end && *r->p == '}') {
    /* the end ("{"a":1,}" fails below: a ',' must be followed by a key) */
    r->p++;
    r->depth--;
    return 0;
  }
  if (!first && !punct(r, ','))
    return -1;
  return punct(r, '"') && read_string(r, key, klen) && punct(r, ':') ? 1 : -1;
}

int jr_item(JrReader *r, bool first) {
  skip_ws(r);
  if (r->p < r->end && *r->p == ']') {
    r->p++;
    r->depth--;
    return 0;
  }
  return first || punct(r, ',') ? 1 : -1;
}

bool jr_string(JrReader *r, const char **s, size_t *len) {
  return punct(r, '"') && read_string(r, s, len);
}

bool jr_int(JrReader *r, long long *v) {
  skip_ws(r);
  json_t *n = read_number(r);
  bool ok = json_is_integer(n);
  if (ok)
    *v = (long long)json_integer_value(n);
  json_decref(n);
  return ok;
}

json_t *jr_value(JrReader *r) {
  return read_value(r, r->depth + 1);
}

bool jr_done(JrReader *r) {
  skip_ws(r);
  return r->p == r->end;
}
