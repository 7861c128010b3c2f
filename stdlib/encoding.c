/* Encoding: base64encode/decode, base64gzip (zlib), textencodebase64/textdecodebase64
 * (iconv, IANA names), urlencode/urldecode (Go's QueryEscape), jsonencode (canonical JSON
 * with Go's HTML-safe escapes, as Terraform), jsondecode (jansson), csvdecode (RFC 4180 as
 * Go's encoding/csv reads it), yamlencode/yamldecode (libyaml).  jsondecode and yamldecode
 * are typed by their context: the compiler passes the expected type as a descriptor
 * (stdlib/conform.h) and the decoded value is converted to it here. */
#include <errno.h>
#include <iconv.h>
#include <jansson.h>
#include <string.h>
#include <yaml.h>
#include <zlib.h>

#include "stdlib/bytes.h"
#include "stdlib/conform.h"
#include "stdlib/stdlib.h"

/* ---- Base64 ---------------------------------------------------------------------------- */
Val sl_base64encode(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  SBuf b;
  sb_init(&b, rt);
  sl_b64_encode(&b, args[0].as.s->s, args[0].as.s->len);
  return sb_val(&b, true);
}

Val sl_base64decode(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  size_t len;
  char *p = sl_b64_decode(rt, args[0].as.s->s, args[0].as.s->len, &len);
  if (!p) rt_error(rt, "base64decode: failed to decode base64 data %s", sl_show_arg(rt, args[0], 40));
  /* Terraform's words; the bytes themselves are never shown */
  return val_str_checked(rt, p, len, "base64decode: the result of decoding the provided string");
}

Val sl_base64gzip(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VStr *s = args[0].as.s;
  z_stream z = {0};
  /* windowBits 15 + 16: a gzip header and trailer, as Go's compress/gzip writes */
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    rt_error(rt, "base64gzip: cannot start compressing");
  uLong cap = deflateBound(&z, s->len) + 32;
  unsigned char *out = rt_alloc(rt, cap);
  z.next_in = (Bytef *)s->s;
  z.avail_in = s->len;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  int rc = deflate(&z, Z_FINISH);
  size_t len = cap - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) rt_error(rt, "base64gzip: compression failed");
  SBuf b;
  sb_init(&b, rt);
  sl_b64_encode(&b, out, len);
  return sb_val(&b, true);
}

/* ---- character encodings ----------------------------------------------------------------- */
/* Convert [n] bytes from [from] to [to] with iconv; NULL and *bad set on a character that
 * has no representation (or invalid input). */
static char *convert(Rt *rt, const char *fn, const char *enc, const char *to, const char *from,
                     const char *s, size_t n, size_t *outlen) {
  iconv_t cd = iconv_open(to, from);
  if (cd == (iconv_t)-1)
    rt_error(rt, "%s: \"%s\" is not a supported IANA encoding name or alias", fn, enc);
  /* UTF-7 writes up to 5 bytes for one input byte ("~" is "+AH4-"): room for that */
  size_t cap = n * 6 + 16, left = cap;
  char *out = rt_alloc(rt, cap + 1), *op = out;
  char *ip = (char *)s;
  size_t ileft = n;
  size_t r = iconv(cd, &ip, &ileft, &op, &left);
  if (r != (size_t)-1) r = iconv(cd, NULL, NULL, &op, &left);
  int e = errno;
  iconv_close(cd);
  /* iconv counts characters it replaced in a lossy way as "irreversible": refuse those too */
  if (r == (size_t)-1 || r > 0) {
    if (r == (size_t)-1 && e == E2BIG) rt_error(rt, "%s: the text grows too much in %s", fn, enc);
    return NULL;
  }
  *outlen = cap - left;
  out[*outlen] = 0;
  return out;
}

/* IANA names as Go's ianaindex knows them, mapped to what glibc's iconv calls them where
 * they differ; anything else is passed to iconv as written. */
static const char *iconv_name(const char *enc) {
  static const struct { const char *iana, *glibc; } alias[] = {
    {"UTF-16", "UTF-16BE"},   /* Go's UTF-16 without BOM handling writes big-endian */
    {"US-ASCII", "ASCII"},
  };
  for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
    if (strcasecmp(enc, alias[i].iana) == 0) return alias[i].glibc;
  return enc;
}

Val sl_textencodebase64(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *enc = args[1].as.s->s;
  size_t len;
  char *p = convert(rt, "textencodebase64", enc, iconv_name(enc), "UTF-8", args[0].as.s->s,
                    args[0].as.s->len, &len);
  if (!p)
    rt_error(rt, "textencodebase64: the given string contains characters that cannot be "
             "represented in %s", enc);
  SBuf b;
  sb_init(&b, rt);
  sl_b64_encode(&b, p, len);
  return sb_val(&b, true);
}

Val sl_textdecodebase64(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *enc = args[1].as.s->s;
  size_t blen, len;
  char *bytes = sl_b64_decode(rt, args[0].as.s->s, args[0].as.s->len, &blen);
  if (!bytes)
    rt_error(rt, "textdecodebase64: the given value is not valid base64: %s",
             sl_show_arg(rt, args[0], 40));
  char *p = convert(rt, "textdecodebase64", enc, "UTF-8", iconv_name(enc), bytes, blen, &len);
  if (!p) rt_error(rt, "textdecodebase64: the given value is not valid %s text", enc);
  return val_str_checked(rt, p, len, "textdecodebase64: the decoded text");
}

/* ---- URLs ---------------------------------------------------------------------------------- */
Val sl_urlencode(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  static const char hx[] = "0123456789ABCDEF";
  const VStr *s = args[0].as.s;
  SBuf b;
  sb_init(&b, rt);
  for (uint32_t i = 0; i < s->len; i++) {
    unsigned char c = (unsigned char)s->s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      sb_addc(&b, (char)c);
    } else if (c == ' ') {
      sb_addc(&b, '+');
    } else {
      char q[3] = {'%', hx[c >> 4], hx[c & 15]};
      sb_add(&b, q, 3);
    }
  }
  return sb_val(&b, true);
}

Val sl_urldecode(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VStr *s = args[0].as.s;
  SBuf b;
  sb_init(&b, rt);
  for (uint32_t i = 0; i < s->len; i++) {
    char c = s->s[i];
    if (c == '+') {
      sb_addc(&b, ' ');
    } else if (c == '%') {
      int hi = i + 1 < s->len ? sl_hexdigit(s->s[i + 1]) : -1;
      int lo = i + 2 < s->len ? sl_hexdigit(s->s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        if (val_is_secret(args[0])) rt_error(rt, "urldecode: invalid URL escape");
        rt_error(rt, "urldecode: invalid URL escape \"%.*s\"", (int)(s->len - i < 3 ? s->len - i : 3),
                 s->s + i);
      }
      sb_addc(&b, (char)(hi << 4 | lo));
      i += 2;
    } else {
      sb_addc(&b, c);
    }
  }
  return val_str_checked(rt, b.p ? b.p : "", b.len, "urldecode: the decoded text");
}

/* ---- JSON ------------------------------------------------------------------------------ */
Val sl_jsonencode(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  SBuf j, b;
  sb_init(&j, rt);
  val_write_json(&j, args[0]);
  /* Go's encoder (and so Terraform's) escapes <, > and & for HTML, and U+2028/U+2029 for
   * JavaScript; those bytes only occur inside strings in JSON, so this rewrite is safe */
  sb_init(&b, rt);
  uint32_t run = 0;
  for (uint32_t i = 0; i < j.len; i++) {
    unsigned char c = (unsigned char)j.p[i];
    const char *esc = c == '<' ? "\\u003c" : c == '>' ? "\\u003e" : c == '&' ? "\\u0026" : NULL;
    if (c == 0xE2 && i + 2 < j.len && (unsigned char)j.p[i + 1] == 0x80 &&
        ((unsigned char)j.p[i + 2] == 0xA8 || (unsigned char)j.p[i + 2] == 0xA9))
      esc = (unsigned char)j.p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
    if (!esc) continue;
    sb_add(&b, j.p + run, i - run);
    sb_adds(&b, esc);
    if (c == 0xE2) i += 2;
    run = i + 1;
  }
  sb_add(&b, j.p + run, j.len - run);
  return sb_val(&b, true);
}

/* jansson values are malloc'd: convert under rt_protect so an rt_error in the middle
 * (bad UTF-8, memory limit) still frees them. */
typedef struct JsonJob { json_t *doc; Val out; } JsonJob;

static void json_job(Rt *rt, void *ud) {
  JsonJob *job = ud;
  job->out = sl_json_value(rt, "jsondecode", job->doc, 0);
}

Val sl_jsondecode(Rt *rt, const Val *args, uint32_t n) {
  const VStr *s = args[0].as.s;
  json_error_t err;
  json_t *doc = json_loadb(s->s, s->len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
  if (!doc) {
    if (val_is_secret(args[0]))
      rt_error(rt, "jsondecode: invalid JSON at line %d, column %d", err.line, err.column);
    /* jansson names its own flag here: say what it means for a Plat string */
    if (strstr(err.text, "JSON_ALLOW_NUL"))
      rt_error(rt, "jsondecode: at line %d, column %d: a string holds \\u0000, which Plat "
               "strings cannot", err.line, err.column);
    rt_error(rt, "jsondecode: invalid JSON at line %d, column %d: %s", err.line, err.column, err.text);
  }
  JsonJob job = {doc, val_null()};
  int rc = rt_protect(rt, json_job, &job);
  json_decref(doc);
  if (rc != 0) sl_rethrow(rt);
  if (n < 2) return job.out;
  if (args[1].tag != VT_STR) rt_error(rt, "jsondecode: the type descriptor is malformed (a corrupt module?)");
  return sl_conform(rt, "jsondecode", job.out, args[1].as.s->s, val_is_secret(args[0]));
}

/* ---- CSV ------------------------------------------------------------------------------- */
/* One record of RFC 4180 text from *pos, as Go's encoding/csv reads it: CRLF is LF, quoted
 * fields may hold commas, quotes ("") and newlines, a quote inside an unquoted field is an
 * error.  Returns false at the end of the text; empty lines are skipped. */
typedef struct Csv {
  Rt *rt;
  const char *s;
  size_t n, pos;
  uint32_t line;      /* 1-based line of pos */
  bool secret;
} Csv;

_Noreturn static void csv_fail(Csv *c, uint32_t line, size_t col, const char *what) {
  rt_error(c->rt, "csvdecode: CSV parse error on line %u, column %zu: %s", line, col, what);
}

static bool csv_record(Csv *c, Val **fields, uint32_t *nf, uint32_t *cap) {
  /* skip empty lines */
  while (c->pos < c->n && (c->s[c->pos] == '\n' ||
                           (c->s[c->pos] == '\r' && c->pos + 1 < c->n && c->s[c->pos + 1] == '\n'))) {
    c->pos += c->s[c->pos] == '\r' ? 2 : 1;
    c->line++;
  }
  if (c->pos >= c->n) return false;
  *nf = 0;
  size_t line_start = c->pos;
  for (;;) {
    SBuf f;
    sb_init(&f, c->rt);
    uint32_t fline = c->line;
    size_t fcol = c->pos - line_start + 1;
    bool end_of_record = false;
    if (c->pos < c->n && c->s[c->pos] == '"') {
      c->pos++;
      for (;;) {
        if (c->pos >= c->n) csv_fail(c, fline, fcol, "extraneous or missing \" in quoted-field");
        char ch = c->s[c->pos];
        if (ch == '"') {
          if (c->pos + 1 < c->n && c->s[c->pos + 1] == '"') { sb_addc(&f, '"'); c->pos += 2; continue; }
          c->pos++;
          break;
        }
        if (ch == '\r' && c->pos + 1 < c->n && c->s[c->pos + 1] == '\n') { c->pos++; continue; }
        if (ch == '\n') { c->line++; line_start = c->pos + 1; }
        sb_addc(&f, ch);
        c->pos++;
      }
      /* after the closing quote: a comma, the end of the line, or the end of the text */
      if (c->pos < c->n && c->s[c->pos] != ',' && c->s[c->pos] != '\n' &&
          !(c->s[c->pos] == '\r' && c->pos + 1 < c->n && c->s[c->pos + 1] == '\n'))
        csv_fail(c, c->line, c->pos - line_start + 1, "extraneous or missing \" in quoted-field");
    } else {
      while (c->pos < c->n && c->s[c->pos] != ',' && c->s[c->pos] != '\n' &&
             !(c->s[c->pos] == '\r' && c->pos + 1 < c->n && c->s[c->pos + 1] == '\n')) {
        if (c->s[c->pos] == '"') csv_fail(c, c->line, c->pos - line_start + 1, "bare \" in non-quoted field");
        sb_addc(&f, c->s[c->pos++]);
      }
    }
    *fields = sl_grow(c->rt, *fields, *nf, cap, sizeof **fields);
    (*fields)[(*nf)++] = val_str_checked(c->rt, f.p ? f.p : "", f.len, "csvdecode: a field");
    if (c->pos >= c->n) end_of_record = true;
    else if (c->s[c->pos] == ',') c->pos++;
    else {
      c->pos += c->s[c->pos] == '\r' ? 2 : 1;
      c->line++;
      end_of_record = true;
    }
    if (end_of_record) return true;
  }
}

Val sl_csvdecode(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Csv c = {rt, args[0].as.s->s, args[0].as.s->len, 0, 1, val_is_secret(args[0])};
  Val *head = NULL, *row = NULL;
  uint32_t nh = 0, caph = 0, nr = 0, capr = 0;
  if (!csv_record(&c, &head, &nh, &caph)) rt_error(rt, "csvdecode: missing header line");
  for (uint32_t i = 0; i < nh; i++)
    for (uint32_t k = 0; k < i; k++)
      if (val_equal(head[i], head[k]))
        rt_error(rt, "csvdecode: duplicate column name %s", sl_show_arg(rt, head[i], 60));
  Val *rows = NULL;
  uint32_t nrows = 0, caprows = 0;
  for (;;) {
    uint32_t line = c.line;
    if (!csv_record(&c, &row, &nr, &capr)) break;
    if (nr != nh)
      rt_error(rt, "csvdecode: CSV parse error on line %u: wrong number of fields (%u, the header "
               "has %u)", line, nr, nh);
    MapBuilder mb;
    mb_init(&mb, rt, nh);
    for (uint32_t i = 0; i < nh; i++) mb_put(&mb, head[i].as.s, row[i]);
    rows = sl_grow(rt, rows, nrows, &caprows, sizeof *rows);
    rows[nrows++] = val_map_done(&mb);
  }
  return val_list_of(rt, rows, nrows);
}

/* ---- YAML out ---------------------------------------------------------------------------- */
static int yaml_out(void *ud, unsigned char *buf, size_t size) {
  sb_add(ud, (const char *)buf, size);
  return 1;
}

typedef struct YEmit { Rt *rt; yaml_emitter_t em; yaml_event_t ev; } YEmit;

static void emit_ev(YEmit *y) {
  if (!yaml_emitter_emit(&y->em, &y->ev))
    rt_error(y->rt, "yamlencode: %s", y->em.problem ? y->em.problem : "the YAML emitter failed");
}

static void emit_scalar(YEmit *y, const char *s, size_t n, yaml_scalar_style_t style) {
  yaml_scalar_event_initialize(&y->ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, style);
  emit_ev(y);
}

static void emit_string(YEmit *y, const VStr *s) {
  /* double quotes always (so "true" and "1" stay strings); a literal block for text with
   * newlines, as Terraform's encoder does */
  emit_scalar(y, s->s, s->len, memchr(s->s, '\n', s->len) ? YAML_LITERAL_SCALAR_STYLE
                                                         : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

static void emit_val(YEmit *y, Val v, int depth) {
  if (depth > SL_DECODE_MAX_DEPTH)
    rt_error(y->rt, "yamlencode: the value is nested more than %d levels deep", SL_DECODE_MAX_DEPTH);
  SBuf b;
  switch ((ValTag)v.tag) {
  case VT_NULL: emit_scalar(y, "null", 4, YAML_PLAIN_SCALAR_STYLE); return;
  case VT_BOOL: emit_scalar(y, v.as.b ? "true" : "false", v.as.b ? 4 : 5, YAML_PLAIN_SCALAR_STYLE); return;
  case VT_INT: case VT_FLOAT:
    sb_init(&b, y->rt);
    val_write_json(&b, v);
    emit_scalar(y, b.p, b.len, YAML_PLAIN_SCALAR_STYLE);
    return;
  case VT_STR: emit_string(y, v.as.s); return;
  case VT_LIST:
    yaml_sequence_start_event_initialize(&y->ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    emit_ev(y);
    for (uint32_t i = 0; i < v.as.l->n; i++) emit_val(y, v.as.l->items[i], depth + 1);
    yaml_sequence_end_event_initialize(&y->ev);
    emit_ev(y);
    return;
  case VT_MAP:
    yaml_mapping_start_event_initialize(&y->ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    emit_ev(y);
    for (uint32_t i = 0; i < v.as.m->n; i++) {
      emit_scalar(y, v.as.m->e[i].key->s, v.as.m->e[i].key->len, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
      emit_val(y, v.as.m->e[i].val, depth + 1);
    }
    yaml_mapping_end_event_initialize(&y->ev);
    emit_ev(y);
    return;
  case VT_RES: rt_error(y->rt, "yamlencode: a resource cannot be converted to YAML");
  case VT_UNKNOWN: rt_error(y->rt, "yamlencode: a value known only after deploy cannot be converted yet");
  }
}

typedef struct YamlOutJob { YEmit *y; Val v; } YamlOutJob;

static void yaml_out_job(Rt *rt, void *ud) {
  YamlOutJob *job = ud;
  YEmit *y = job->y;
  (void)rt;
  yaml_stream_start_event_initialize(&y->ev, YAML_UTF8_ENCODING);
  emit_ev(y);
  yaml_document_start_event_initialize(&y->ev, NULL, NULL, NULL, 1);
  emit_ev(y);
  emit_val(y, job->v, 0);
  yaml_document_end_event_initialize(&y->ev, 1);
  emit_ev(y);
  yaml_stream_end_event_initialize(&y->ev);
  emit_ev(y);
}

Val sl_yamlencode(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  SBuf b;
  sb_init(&b, rt);
  YEmit y = {.rt = rt};
  if (!yaml_emitter_initialize(&y.em)) rt_error(rt, "yamlencode: out of memory");
  yaml_emitter_set_output(&y.em, yaml_out, &b);
  yaml_emitter_set_unicode(&y.em, 1);
  yaml_emitter_set_width(&y.em, -1);
  YamlOutJob job = {&y, args[0]};
  int rc = rt_protect(rt, yaml_out_job, &job);
  yaml_emitter_delete(&y.em);
  if (rc != 0) sl_rethrow(rt);
  /* libyaml ends a document whose root is a plain scalar with "...": Terraform does not */
  if (b.len >= 5 && memcmp(b.p + b.len - 5, "\n...\n", 5) == 0) b.len -= 4;
  return sb_val(&b, false);
}

/* ---- YAML in --------------------------------------------------------------------------- */
/* Read from libyaml's events (not its document loader, which forgets whether a scalar had
 * an explicit tag).  An alias is the value its anchor named, shared, not copied, so a
 * "billion laughs" text costs no more than its length here. */
typedef struct Anchor { const char *name; Val val; } Anchor;

typedef struct YLoad {
  Rt *rt;
  yaml_parser_t *p;
  yaml_event_t ev;
  bool have_ev;         /* ev holds an event to delete */
  Anchor *anchors;
  uint32_t nanchors, capanchors;
  bool secret;
} YLoad;

_Noreturn static void yaml_fail(YLoad *y) {
  yaml_parser_t *p = y->p;
  if (y->secret) rt_error(y->rt, "yamldecode: invalid YAML on line %zu", p->problem_mark.line + 1);
  rt_error(y->rt, "yamldecode: invalid YAML on line %zu, column %zu: %s", p->problem_mark.line + 1,
           p->problem_mark.column + 1, p->problem ? p->problem : "syntax error");
}

static void yaml_next(YLoad *y) {
  if (y->have_ev) yaml_event_delete(&y->ev);
  y->have_ev = false;
  if (!yaml_parser_parse(y->p, &y->ev)) yaml_fail(y);
  y->have_ev = true;
}

static bool text_is(const char *s, size_t n, const char *a, const char *b, const char *c) {
  size_t k = strlen(a);
  return n == k && (!memcmp(s, a, k) || !memcmp(s, b, k) || !memcmp(s, c, k));
}

static bool all_of(const char *s, size_t n, const char *set) {
  if (!n) return false;
  for (size_t i = 0; i < n; i++)
    if (!strchr(set, s[i])) return false;
  return true;
}

/* An int in YAML 1.2 core syntax (decimal, 0x hex, 0o octal), or false. */
static bool yaml_int(YLoad *y, const char *s, size_t n, Val *out) {
  const char *p = s;
  size_t m = n;
  bool neg = false;
  if (m && (p[0] == '-' || p[0] == '+')) neg = p[0] == '-', p++, m--;
  unsigned base = 10;
  if (m > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
    if (neg || s[0] == '+') return false;
    base = p[1] == 'x' ? 16 : 8, p += 2, m -= 2;
  }
  if (!all_of(p, m, base == 16 ? "0123456789abcdefABCDEF" : base == 8 ? "01234567" : "0123456789"))
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < m; i++) {
    unsigned d = (unsigned)sl_hexdigit(p[i]);
    if (v > (UINT64_MAX - d) / base) v = UINT64_MAX;
    else v = v * base + d;
  }
  if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
    rt_error(y->rt, "yamldecode: the integer %s is out of range", y->secret ? "(sensitive value)" : s);
  *out = val_int(neg ? (int64_t)(0 - v) : (int64_t)v);
  return true;
}

static bool yaml_float(YLoad *y, const char *s, size_t n, Val *out) {
  if (text_is(s, n, ".inf", ".Inf", ".INF") || text_is(s, n, "+.inf", "+.Inf", "+.INF") ||
      text_is(s, n, "-.inf", "-.Inf", "-.INF") || text_is(s, n, ".nan", ".NaN", ".NAN"))
    rt_error(y->rt, "yamldecode: %s is not a finite number (Plat numbers are finite)",
             y->secret ? "a value" : s);
  if (!all_of(s, n, "0123456789.eE+-") || !strpbrk(s, "0123456789") || n > 400) return false;
  char *end;
  double f = strtod(s, &end);
  if (*end) return false;
  *out = val_float(y->rt, f);
  return true;
}

/* A scalar: quoted ones are strings; plain ones resolve by the YAML 1.2 core schema;
 * explicit tags !!str !!int !!float !!bool !!null are honoured, others refused. */
static Val yaml_scalar(YLoad *y) {
  const char *s = (const char *)y->ev.data.scalar.value;
  size_t n = y->ev.data.scalar.length;
  const char *tag = (const char *)y->ev.data.scalar.tag;
  if (tag && !strcmp(tag, "!")) tag = NULL;
  bool plain = y->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  Val v;
  if (!tag) {
    if (!plain) return val_str_checked(y->rt, s, n, "yamldecode: a string");
    if (n == 0 || (n == 1 && s[0] == '~') || text_is(s, n, "null", "Null", "NULL")) return val_null();
    if (text_is(s, n, "true", "True", "TRUE")) return val_bool(true);
    if (text_is(s, n, "false", "False", "FALSE")) return val_bool(false);
    if (yaml_int(y, s, n, &v) || yaml_float(y, s, n, &v)) return v;
    return val_str_checked(y->rt, s, n, "yamldecode: a string");
  }
  if (!strcmp(tag, YAML_STR_TAG)) return val_str_checked(y->rt, s, n, "yamldecode: a string");
  if (!strcmp(tag, YAML_NULL_TAG)) {
    if (n == 0 || (n == 1 && s[0] == '~') || text_is(s, n, "null", "Null", "NULL")) return val_null();
  } else if (!strcmp(tag, YAML_BOOL_TAG)) {
    if (text_is(s, n, "true", "True", "TRUE")) return val_bool(true);
    if (text_is(s, n, "false", "False", "FALSE")) return val_bool(false);
  } else if (!strcmp(tag, YAML_INT_TAG)) {
    if (yaml_int(y, s, n, &v)) return v;
  } else if (!strcmp(tag, YAML_FLOAT_TAG)) {
    if (yaml_int(y, s, n, &v)) return val_float(y->rt, (double)v.as.i);
    if (yaml_float(y, s, n, &v)) return v;
  } else {
    rt_error(y->rt, "yamldecode: unsupported tag %s (Plat reads !!str, !!int, !!float, !!bool "
             "and !!null)", tag);
  }
  rt_error(y->rt, "yamldecode: %s is not a valid %s", y->secret ? "a value" : s, tag + 18);
}

static void yaml_anchor(YLoad *y, const unsigned char *name, Val v) {
  if (!name) return;
  y->anchors = sl_grow(y->rt, y->anchors, y->nanchors, &y->capanchors, sizeof *y->anchors);
  size_t len = strlen((const char *)name);
  char *copy = rt_alloc(y->rt, len + 1);
  memcpy(copy, name, len + 1);
  y->anchors[y->nanchors++] = (Anchor){copy, v};
}

/* Put the entries of [m] (a map, or a list of maps, for a "<<" merge key) into [mb]. */
static void yaml_merge(YLoad *y, MapBuilder *mb, Val m) {
  if (m.tag == VT_LIST) {
    /* earlier maps in the list win: put them last, since the last of equal keys is kept */
    for (uint32_t i = m.as.l->n; i-- > 0;) {
      if (m.as.l->items[i].tag != VT_MAP) m = val_null();
      if (m.tag != VT_LIST) break;
      yaml_merge(y, mb, m.as.l->items[i]);
    }
    if (m.tag == VT_LIST) return;
  }
  if (m.tag != VT_MAP)
    rt_error(y->rt, "yamldecode: a merge key (<<) takes a mapping or a list of mappings");
  for (uint32_t i = 0; i < m.as.m->n; i++) mb_put(mb, m.as.m->e[i].key, m.as.m->e[i].val);
}

/* The value whose first event is y->ev. */
static Val yaml_value(YLoad *y, int depth) {
  if (depth > SL_DECODE_MAX_DEPTH)
    rt_error(y->rt, "yamldecode: the value is nested more than %d levels deep", SL_DECODE_MAX_DEPTH);
  Val v;
  switch (y->ev.type) {
  case YAML_ALIAS_EVENT: {
    const char *name = (const char *)y->ev.data.alias.anchor;
    for (uint32_t i = y->nanchors; i-- > 0;)
      if (!strcmp(y->anchors[i].name, name)) return y->anchors[i].val;
    rt_error(y->rt, "yamldecode: unknown anchor %s referenced", y->secret ? "(sensitive)" : name);
  }
  case YAML_SCALAR_EVENT: {
    v = yaml_scalar(y);
    yaml_anchor(y, y->ev.data.scalar.anchor, v);
    return v;
  }
  case YAML_SEQUENCE_START_EVENT: {
    const unsigned char *anchor = y->ev.data.sequence_start.anchor;
    char *aname = NULL;
    if (anchor) { size_t k = strlen((const char *)anchor); aname = rt_alloc(y->rt, k + 1); memcpy(aname, anchor, k + 1); }
    Val *items = NULL;
    uint32_t cnt = 0, cap = 0;
    for (;;) {
      yaml_next(y);
      if (y->ev.type == YAML_SEQUENCE_END_EVENT) break;
      Val item = yaml_value(y, depth + 1);
      items = sl_grow(y->rt, items, cnt, &cap, sizeof *items);
      items[cnt++] = item;
    }
    v = val_list_of(y->rt, items, cnt);
    yaml_anchor(y, (const unsigned char *)aname, v);
    return v;
  }
  case YAML_MAPPING_START_EVENT: {
    const unsigned char *anchor = y->ev.data.mapping_start.anchor;
    char *aname = NULL;
    if (anchor) { size_t k = strlen((const char *)anchor); aname = rt_alloc(y->rt, k + 1); memcpy(aname, anchor, k + 1); }
    MapBuilder own, all;
    mb_init(&own, y->rt, 8);
    mb_init(&all, y->rt, 8);
    uint32_t puts = 0;
    for (;;) {
      yaml_next(y);
      if (y->ev.type == YAML_MAPPING_END_EVENT) break;
      if (y->ev.type != YAML_SCALAR_EVENT)
        rt_error(y->rt, "yamldecode: a mapping key must be a scalar (Plat map keys are strings)");
      bool merge = y->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !y->ev.data.scalar.tag &&
                   y->ev.data.scalar.length == 2 && !memcmp(y->ev.data.scalar.value, "<<", 2);
      Val key = merge ? val_null()
                      : val_str_checked(y->rt, (const char *)y->ev.data.scalar.value,
                                        y->ev.data.scalar.length, "yamldecode: a key");
      yaml_anchor(y, y->ev.data.scalar.anchor, key);
      yaml_next(y);
      Val val = yaml_value(y, depth + 1);
      if (merge) {
        yaml_merge(y, &all, val);
      } else {
        mb_put(&own, key.as.s, val);
        puts++;
      }
    }
    Val ownv = val_map_done(&own);
    if (ownv.as.m->n != puts) rt_error(y->rt, "yamldecode: a mapping has a key twice");
    if (all.n) {
      /* the map's own keys win over merged ones */
      for (uint32_t i = 0; i < ownv.as.m->n; i++) mb_put(&all, ownv.as.m->e[i].key, ownv.as.m->e[i].val);
      v = val_map_done(&all);
    } else {
      v = ownv;
    }
    yaml_anchor(y, (const unsigned char *)aname, v);
    return v;
  }
  default:
    rt_error(y->rt, "yamldecode: unexpected YAML structure");
  }
}

typedef struct YamlInJob { YLoad *y; Val out; } YamlInJob;

static void yaml_in_job(Rt *rt, void *ud) {
  YamlInJob *job = ud;
  YLoad *y = job->y;
  (void)rt;
  yaml_next(y);                         /* stream start */
  yaml_next(y);
  if (y->ev.type == YAML_STREAM_END_EVENT) { job->out = val_null(); return; }
  yaml_next(y);                         /* past document start */
  job->out = yaml_value(y, 0);
  yaml_next(y);                         /* document end */
  yaml_next(y);
  if (y->ev.type != YAML_STREAM_END_EVENT)
    rt_error(rt, "yamldecode: unexpected extra content after the first document");
}

Val sl_yamldecode(Rt *rt, const Val *args, uint32_t n) {
  const VStr *s = args[0].as.s;
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) rt_error(rt, "yamldecode: out of memory");
  yaml_parser_set_input_string(&p, (const unsigned char *)s->s, s->len);
  YLoad y = {.rt = rt, .p = &p, .secret = val_is_secret(args[0])};
  YamlInJob job = {&y, val_null()};
  int rc = rt_protect(rt, yaml_in_job, &job);
  if (y.have_ev) yaml_event_delete(&y.ev);
  yaml_parser_delete(&p);
  if (rc != 0) sl_rethrow(rt);
  if (n < 2) return job.out;
  if (args[1].tag != VT_STR) rt_error(rt, "yamldecode: the type descriptor is malformed (a corrupt module?)");
  return sl_conform(rt, "yamldecode", job.out, args[1].as.s->s, val_is_secret(args[0]));
}
