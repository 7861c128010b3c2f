/* format and formatlist: Terraform's printf-like verbs (%v %#v %t %b %d %o %x %X %e %E %f
 * %g %G %s %q, flags "+- 0#", width, precision, %[n] argument indexes, %%), with its
 * conversions (a numeric string formats with %d, a number with %s) and its error messages.
 * Numbers print as Terraform prints them (%v of 1000000 is "1e+06", %s of 2.0 is "2"),
 * which is not how Plat's interpolation prints floats; widths count grapheme clusters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdlib/stdlib.h"
#include "stdlib/text.h"

/* Width and precision past this are refused, so a typo cannot allocate gigabytes. */
#define FMT_MAX_WIDTH 10000
/* Nesting of lists and maps that %v prints as JSON. */
#define FMT_MAX_DEPTH 512

typedef struct Verb {
  const char *raw;       /* the verb's text in the spec, for messages */
  uint32_t rawlen, offset;
  uint32_t argnum;       /* 1-based */
  char mode;
  bool zero, sharp, plus, minus, space;
  int width, prec;       /* -1: not given */
} Verb;

typedef struct Fmt {
  Rt *rt;
  const char *fn;        /* "format" or "formatlist", for messages */
  const char *prefix;    /* "" or "error on format iteration N: " */
} Fmt;

#define RAW(v) (int)(v)->rawlen, (v)->raw

_Noreturn static void verr(const Fmt *f, const Verb *v, const char *what) {
  rt_error(f->rt, "%s: %sunsupported value for \"%.*s\" at %u: %s", f->fn, f->prefix, RAW(v),
           v->offset, what);
}

/* ---- numbers as Go prints them ------------------------------------------------------- */
/* The shortest decimal digits of |x| that read back exactly: x = 0.DIGITS * 10^dp. */
typedef struct Digits { char d[32]; int nd, dp; bool neg; } Digits;

static void shortest(Val v, Digits *out) {
  memset(out, 0, sizeof *out);
  char buf[48];
  if (v.tag == VT_INT) {
    snprintf(buf, sizeof buf, "%lld", (long long)v.as.i);
    const char *p = buf;
    if (*p == '-') { out->neg = true; p++; }
    int len = (int)strlen(p);
    if (len == 1 && p[0] == '0') return;            /* zero: no digits */
    out->dp = len;
    while (len > 1 && p[len - 1] == '0') len--;
    memcpy(out->d, p, (size_t)len);
    out->nd = len;
    return;
  }
  double x = v.as.f;
  if (x == 0) { out->neg = signbit(x) != 0; return; }
  out->neg = x < 0;
  x = fabs(x);
  for (int prec = 0; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*e", prec, x);
    if (strtod(buf, NULL) == x) break;
  }
  /* buf is "D.DDDDe+XX" */
  char *e = strchr(buf, 'e');
  int exp = atoi(e + 1);
  int nd = 0;
  for (char *p = buf; p < e; p++)
    if (*p != '.') out->d[nd++] = *p;
  while (nd > 1 && out->d[nd - 1] == '0') nd--;
  out->nd = nd;
  out->dp = exp + 1;
}

/* 'f' with the shortest digits (Go's Text('f', -1)): positional, no exponent. */
static void add_f(SBuf *b, const Digits *d) {
  if (d->neg && d->nd) sb_addc(b, '-');
  if (d->nd == 0) { sb_addc(b, '0'); return; }
  if (d->dp <= 0) {
    sb_adds(b, "0.");
    for (int i = 0; i < -d->dp; i++) sb_addc(b, '0');
    sb_add(b, d->d, (size_t)d->nd);
  } else if (d->dp >= d->nd) {
    sb_add(b, d->d, (size_t)d->nd);
    for (int i = d->nd; i < d->dp; i++) sb_addc(b, '0');
  } else {
    sb_add(b, d->d, (size_t)d->dp);
    sb_addc(b, '.');
    sb_add(b, d->d + d->dp, (size_t)(d->nd - d->dp));
  }
}

/* 'g' with the shortest digits (Go's Text('g', -1)): %e when the exponent is below -4 or
 * at least 6 (Go's rule for the shortest form), else positional. */
static void add_g(SBuf *b, const Digits *d, char e) {
  int exp = d->dp - 1;
  if (d->nd == 0 || (exp >= -4 && exp < 6)) { add_f(b, d); return; }
  if (d->neg) sb_addc(b, '-');
  sb_addc(b, d->d[0]);
  if (d->nd > 1) { sb_addc(b, '.'); sb_add(b, d->d + 1, (size_t)(d->nd - 1)); }
  sb_addf(b, "%c%c%02d", e, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

/* ---- conversions, as Terraform's convert package does them ------------------------- */
static Val to_number(const Fmt *f, const Verb *v, Val a) {
  if (a.tag == VT_INT || a.tag == VT_FLOAT) return a;
  if (a.tag == VT_STR) {
    Val out;
    if (sl_parse_number(f->rt, sl_s(a), sl_len(a), &out)) return out;
    verr(f, v, "a number is required");
  }
  verr(f, v, "number required");
}

static void to_string(const Fmt *f, const Verb *v, Val a, SBuf *b) {
  Digits d;
  switch (a.tag) {
  case VT_STR: sb_add(b, sl_s(a), sl_len(a)); return;
  case VT_BOOL: sb_adds(b, a.as.b ? "true" : "false"); return;
  case VT_INT: case VT_FLOAT: shortest(a, &d); add_f(b, &d); return;
  default: verr(f, v, "string required");
  }
}

/* ---- JSON as Terraform's %#v writes it ------------------------------------------- */
/* A JSON string as Go's encoding/json writes one: <, >, & and U+2028/9 escaped too. */
static void json_str(SBuf *b, const char *s, uint32_t len) {
  sb_addc(b, '"');
  for (uint32_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': sb_adds(b, "\\\""); continue;
    case '\\': sb_adds(b, "\\\\"); continue;
    case '\n': sb_adds(b, "\\n"); continue;
    case '\r': sb_adds(b, "\\r"); continue;
    case '\t': sb_adds(b, "\\t"); continue;
    case '\b': sb_adds(b, "\\b"); continue;
    case '\f': sb_adds(b, "\\f"); continue;
    case '<': case '>': case '&': sb_addf(b, "\\u%04x", c); continue;
    default: break;
    }
    if (c < 0x20) { sb_addf(b, "\\u%04x", c); continue; }
    if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
        ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
      sb_addf(b, "\\u%04x", 0x2000 + ((unsigned char)s[i + 2] - 0x80));
      i += 2;
      continue;
    }
    sb_addc(b, (char)c);
  }
  sb_addc(b, '"');
}

static void json(const Fmt *f, const Verb *v, SBuf *b, Val a, int depth) {
  if (depth > FMT_MAX_DEPTH) verr(f, v, "the value is nested too deeply");
  Digits d;
  switch (a.tag) {
  case VT_NULL: sb_adds(b, "null"); return;
  case VT_BOOL: sb_adds(b, a.as.b ? "true" : "false"); return;
  case VT_INT: case VT_FLOAT: shortest(a, &d); add_f(b, &d); return;
  case VT_STR: json_str(b, sl_s(a), sl_len(a)); return;
  case VT_LIST:
    sb_addc(b, '[');
    for (uint32_t i = 0; i < a.as.l->n; i++) {
      if (i) sb_addc(b, ',');
      json(f, v, b, a.as.l->items[i], depth + 1);
    }
    sb_addc(b, ']');
    return;
  case VT_MAP:
    sb_addc(b, '{');
    for (uint32_t i = 0; i < a.as.m->n; i++) {
      if (i) sb_addc(b, ',');
      json_str(b, a.as.m->e[i].key->s, a.as.m->e[i].key->len);
      sb_addc(b, ':');
      json(f, v, b, a.as.m->e[i].val, depth + 1);
    }
    sb_addc(b, '}');
    return;
  default: verr(f, v, "a resource cannot be formatted; format one of its properties");
  }
}

/* ---- padding ---------------------------------------------------------------------------- */
/* Terraform's formatPadWidth: pad [text] to the width in grapheme clusters, with zeros
 * when the 0 flag is given, on the right with the - flag. */
static void add_padded(const Verb *v, SBuf *b, const char *text, uint32_t len) {
  uint32_t have = v->width > 0 ? sl_grapheme_count(text, len) : 0;
  uint32_t pad = v->width > 0 && have < (uint32_t)v->width ? (uint32_t)v->width - have : 0;
  if (v->minus) sb_add(b, text, len);
  for (uint32_t i = 0; i < pad; i++) sb_addc(b, v->zero ? '0' : ' ');
  if (!v->minus) sb_add(b, text, len);
}

/* Go's big.Int Format: [left pad][sign][prefix][zero pad][digits][right pad]. */
static void add_integer(const Fmt *f, const Verb *v, SBuf *b, Val num) {
  uint64_t mag;
  bool neg;
  if (num.tag == VT_INT) {
    neg = num.as.i < 0;
    mag = neg ? (uint64_t)0 - (uint64_t)num.as.i : (uint64_t)num.as.i;
  } else {
    double x = num.as.f;
    if (x != floor(x)) verr(f, v, "an integer is required");
    if (!(fabs(x) < 18446744073709551616.0)) verr(f, v, "the integer is too large to format");
    neg = x < 0;
    mag = (uint64_t)fabs(x);
  }
  int base = v->mode == 'b' ? 2 : v->mode == 'o' ? 8 : v->mode == 'd' ? 10 : 16;
  const char *dig = v->mode == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  char digits[72];
  int nd = 0;
  do { digits[nd++] = dig[mag % (uint64_t)base]; mag /= (uint64_t)base; } while (mag);
  const char *sign = neg ? "-" : v->plus ? "+" : v->space ? " " : "";
  const char *prefix = "";
  if (v->sharp)
    prefix = v->mode == 'b' ? "0b" : v->mode == 'o' ? "0" : v->mode == 'x' ? "0x" : v->mode == 'X' ? "0X" : "";
  int zeros = 0, left = 0, right = 0;
  if (v->prec >= 0) {
    if (nd < v->prec) zeros = v->prec - nd;
    else if (nd == 1 && digits[0] == '0' && v->prec == 0) return;   /* Go prints nothing */
  }
  int length = (int)strlen(sign) + (int)strlen(prefix) + zeros + nd;
  if (v->width >= 0 && length < v->width) {
    int d = v->width - length;
    if (v->minus) right = d;
    else if (v->zero && v->prec < 0) zeros = d;
    else left = d;
  }
  for (int i = 0; i < left; i++) sb_addc(b, ' ');
  sb_adds(b, sign);
  sb_adds(b, prefix);
  for (int i = 0; i < zeros; i++) sb_addc(b, '0');
  while (nd > 0) sb_addc(b, digits[--nd]);
  for (int i = 0; i < right; i++) sb_addc(b, ' ');
}

/* Go's big.Float Format for %e %E %f %g %G: precision 6 unless given (shortest for %g),
 * then sign and padding ('0' pads with zeros after the sign and wins over '-'). */
static void add_float(const Fmt *f, const Verb *v, SBuf *b, Val num) {
  (void)f;
  double x = sl_num(num);
  SBuf body;
  sb_init(&body, b->rt);
  bool neg = signbit(x) != 0;
  double ax = fabs(x);
  if ((v->mode == 'g' || v->mode == 'G') && v->prec < 0) {
    Digits d;
    shortest(num, &d);
    d.neg = false;
    add_g(&body, &d, v->mode == 'G' ? 'E' : 'e');
  } else {
    char spec[8] = {'%', '.', '*', v->mode, 0};
    sb_addf(&body, spec, v->prec < 0 ? 6 : v->prec, ax);
  }
  const char *sign = neg ? "-" : v->plus ? "+" : v->space ? " " : "";
  int len = (int)strlen(sign) + (int)body.len;
  int pad = v->width > len ? v->width - len : 0;
  if (v->zero) {
    sb_adds(b, sign);
    for (int i = 0; i < pad; i++) sb_addc(b, '0');
    sb_add(b, body.p, body.len);
  } else if (v->minus) {
    sb_adds(b, sign);
    sb_add(b, body.p, body.len);
    for (int i = 0; i < pad; i++) sb_addc(b, ' ');
  } else {
    for (int i = 0; i < pad; i++) sb_addc(b, ' ');
    sb_adds(b, sign);
    sb_add(b, body.p, body.len);
  }
}

/* ---- one verb ---------------------------------------------------------------------------- */
static void append_verb(const Fmt *f, Verb *v, SBuf *b, const Val *args, uint32_t nargs) {
  if (v->argnum > nargs)
    rt_error(f->rt, "%s: %snot enough arguments for \"%.*s\" at %u: need index %u but have %u total",
             f->fn, f->prefix, RAW(v), v->offset, v->argnum, nargs);
  Val a = args[v->argnum - 1];
  if (v->mode != 'v' && a.tag == VT_NULL) verr(f, v, "null value cannot be formatted");
  SBuf t;
  sb_init(&t, f->rt);
  switch (v->mode) {
  case 'v':
    if (!v->sharp && a.tag == VT_STR) { add_padded(v, b, sl_s(a), sl_len(a)); return; }
    if (!v->sharp && (a.tag == VT_INT || a.tag == VT_FLOAT)) {
      Digits d;
      shortest(a, &d);
      add_g(&t, &d, 'e');
    } else {
      json(f, v, &t, a, 0);
    }
    add_padded(v, b, t.p ? t.p : "", t.len);
    return;
  case 't':
    if (a.tag == VT_STR && sl_len(a) == 4 && memcmp(sl_s(a), "true", 4) == 0) a = val_bool(true);
    else if (a.tag == VT_STR && sl_len(a) == 5 && memcmp(sl_s(a), "false", 5) == 0) a = val_bool(false);
    else if (a.tag == VT_STR) verr(f, v, "a bool is required");
    else if (a.tag != VT_BOOL) verr(f, v, "bool required");
    sb_adds(b, a.as.b ? "true" : "false");
    return;
  case 'b': case 'd': case 'o': case 'x': case 'X':
    add_integer(f, v, b, to_number(f, v, a));
    return;
  case 'e': case 'E': case 'f': case 'g': case 'G':
    add_float(f, v, b, to_number(f, v, a));
    return;
  case 's': case 'q': {
    to_string(f, v, a, &t);
    const char *s = t.p ? t.p : "";
    uint32_t len = t.len;
    if (v->prec > 0) {   /* at most prec characters of the value */
      uint32_t i = 0;
      for (int k = 0; k < v->prec && i < len; k++) i += sl_grapheme_len(s, len, i);
      len = i;
    }
    if (v->mode == 's') { add_padded(v, b, s, len); return; }
    SBuf q;
    sb_init(&q, f->rt);
    json_str(&q, s, len);
    add_padded(v, b, q.p, q.len);
    return;
  }
  default:
    rt_error(f->rt, "%s: %sunsupported format verb '%c' in \"%.*s\" at offset %u", f->fn,
             f->prefix, v->mode, RAW(v), v->offset);
  }
}

/* A character of the spec in a message: 'x', or its code. */
static const char *char_text(char *buf, size_t cap, const char *s, uint32_t len, uint32_t i) {
  unsigned char c = (unsigned char)s[i];
  if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\') snprintf(buf, cap, "'%c'", c);
  else if (c < 0x80) snprintf(buf, cap, "'\\x%02x'", c);
  else {
    int32_t cp;
    uint32_t k = sl_utf8_next(s, len, i, &cp);
    snprintf(buf, cap, "'%.*s'", (int)k, s + i);
  }
  return buf;
}

/* The number at s[*i] ([1-9][0-9]* for widths and indexes, [0-9]* for precisions). */
static int read_num(const Fmt *f, const char *s, uint32_t len, uint32_t *i) {
  int64_t n = 0;
  uint32_t start = *i;
  while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
    n = n * 10 + (s[*i] - '0');
    if (n > FMT_MAX_WIDTH)
      rt_error(f->rt, "%s: %sthe number at offset %u is too large (the limit for widths, "
               "precisions and indexes is %d)", f->fn, f->prefix, start, FMT_MAX_WIDTH);
    (*i)++;
  }
  return (int)n;
}

/* Format [spec] with [args] into a new string: Terraform's formatFSM. */
static Val format1(const Fmt *f, const char *s, uint32_t len, const Val *args, uint32_t nargs) {
  SBuf b;
  sb_init(&b, f->rt);
  char cbuf[16];
  uint32_t next = 1, highest = 0;
  for (uint32_t i = 0; i < len;) {
    if (s[i] != '%') {
      const char *pct = memchr(s + i, '%', len - i);
      uint32_t end = pct ? (uint32_t)(pct - s) : len;
      sb_add(&b, s + i, end - i);
      i = end;
      continue;
    }
    if (i + 1 < len && s[i + 1] == '%') { sb_addc(&b, '%'); i += 2; continue; }
    Verb v = {.raw = s + i, .offset = i, .argnum = next, .width = -1, .prec = -1};
    i++;
    for (; i < len; i++) {
      char c = s[i];
      if (c == '0') v.zero = true;
      else if (c == '#') v.sharp = true;
      else if (c == '-') v.minus = true;
      else if (c == '+') v.plus = true;
      else if (c == ' ') v.space = true;
      else break;
    }
    if (i < len && s[i] >= '1' && s[i] <= '9') v.width = read_num(f, s, len, &i);
    if (i < len && s[i] == '.') { i++; v.prec = read_num(f, s, len, &i); }
    if (i < len && s[i] == '[') {
      i++;
      if (i < len && !(s[i] >= '1' && s[i] <= '9')) goto bad_char;
      v.argnum = (uint32_t)read_num(f, s, len, &i);
      if (i < len && s[i] != ']') goto bad_char;
      if (i < len) i++;
    }
    if (i >= len)
      rt_error(f->rt, "%s: %sinvalid format string starting at offset %u", f->fn, f->prefix, len);
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) goto bad_char;
    v.mode = s[i++];
    v.rawlen = (uint32_t)(s + i - v.raw);
    if (v.argnum > highest) highest = v.argnum;
    append_verb(f, &v, &b, args, nargs);
    next = v.argnum + 1;
    continue;
  bad_char:
    rt_error(f->rt, "%s: %sunrecognized format character %s at offset %u", f->fn, f->prefix,
             char_text(cbuf, sizeof cbuf, s, len, i), i);
  }
  if (highest < nargs) {
    if (highest == 0)
      rt_error(f->rt, "%s: %stoo many arguments; no verbs in format string", f->fn, f->prefix);
    rt_error(f->rt, "%s: %stoo many arguments; only %u used by format string", f->fn, f->prefix,
             highest);
  }
  return sb_val(&b, true);
}

Val sl_format(Rt *rt, const Val *args, uint32_t n) {
  Fmt f = {rt, "format", ""};
  return format1(&f, sl_s(args[0]), sl_len(args[0]), args + 1, n - 1);
}

/* formatlist: lists among the values are iterated together (all of one length), the
 * other values repeat; no list at all gives a list of one string. */
Val sl_formatlist(Rt *rt, const Val *args, uint32_t n) {
  const Val *vals = args + 1;
  uint32_t nv = n - 1;
  int64_t iters = -1;
  uint32_t chooser = 0;
  for (uint32_t i = 0; i < nv; i++) {
    if (vals[i].tag != VT_LIST) continue;
    if (iters < 0) { iters = vals[i].as.l->n; chooser = i; continue; }
    if (vals[i].as.l->n != iters)
      rt_error(rt, "formatlist: argument %u has length %u, which is inconsistent with argument %u of length %lld",
               i + 1, vals[i].as.l->n, chooser + 1, (long long)iters);
  }
  if (iters < 0) iters = 1;
  VList *out = val_list_new(rt, (uint32_t)iters);
  Val *one = nv ? rt_alloc(rt, nv * sizeof *one) : NULL;
  for (uint32_t k = 0; k < (uint32_t)iters; k++) {
    for (uint32_t i = 0; i < nv; i++) one[i] = vals[i].tag == VT_LIST ? vals[i].as.l->items[k] : vals[i];
    char prefix[48];
    snprintf(prefix, sizeof prefix, "error on format iteration %u: ", k);
    Fmt f = {rt, "formatlist", prefix};
    out->items[k] = format1(&f, sl_s(args[0]), sl_len(args[0]), one, nv);
  }
  return val_list_done(out);
}
