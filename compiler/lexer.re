/* Edit this file; the C is generated (re2c, into build/gen/compiler/lexer.c).
 * The Plat lexer (docs/language.md §1): turns a whole file, held in memory with a NUL
 * sentinel, into tokens for grammar.y.  It records every comment, validates UTF-8, decodes
 * numbers and reports lexical errors (E0001-E0010) itself, then keeps going.  Strings are
 * scanned in conditions (str, mstr) with a stack of open ${ } interpolations; their pieces
 * are decoded and dedented by lex_string_expr once the parser has the whole literal. */
#include "compiler/lexer.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/grammar.h"

/*!types:re2c*/

/* Keyword texts, in the order of their token numbers (T_USE .. T_SELF in grammar.y). */
static const char *const keyword_text[] = {
    "use", "import", "as", "param", "let", "type", "fn", "resource", "component", "output",
    "policy", "for", "in", "if", "then", "else", "test", "assert", "deny", "warn", "moved",
    "where", "secret", "true", "false", "null", "self",
};
#define NKEYWORDS (sizeof keyword_text / sizeof keyword_text[0])
_Static_assert(T_SELF - T_USE + 1 == NKEYWORDS, "keyword tokens must be contiguous");

static uint32_t off(const Lexer *lx, const char *p) { return (uint32_t)(p - lx->src); }

void lex_init(Lexer *lx, const ParseInput *in) {
  memset(lx, 0, sizeof *lx);
  const SourceFile *sf = source_file(in->sources, in->file);
  const char *text = sf && sf->text ? sf->text : "";
  uint32_t len = sf && sf->text ? sf->len : 0;
  lx->src = text;
  lx->cur = text;
  lx->lim = text + len;
  lx->file = in->file;
  lx->arena = in->arena;
  lx->strs = in->strs;
  lx->diags = in->diags;
  lx->cond = yyccode;
  for (size_t i = 0; i < NKEYWORDS; i++) lx->kw[i] = intern_cstr(in->strs, keyword_text[i]);
  /* Size the name table for the file once (about one new name per 128 bytes in large
     programs) instead of doubling it step by step while lexing. */
  intern_reserve(in->strs, len / 128);
  /* A UTF-8 byte order mark is not part of the program. */
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) lx->cur += 3;
}

void lex_free(Lexer *lx) {
  free(lx->comments);
  lx->comments = NULL;
  lx->ncomments = lx->capcomments = 0;
}

void lex_stop(Lexer *lx) { lx->stopped = true; }

Diag *lex_error(Lexer *lx, DiagCode code, uint32_t start, uint32_t end, const char *fmt, ...) {
  /* A syntax error at the token that had a lexical error is usually its consequence (a
     skipped character, a broken number), so the parser stays quiet about it; a bad escape
     leaves its string token whole, so a syntax error there is a mistake of its own. */
  if (code != DIAG_E0004) lx->err_here = true;
  memset(&lx->sink, 0, sizeof lx->sink);
  if (lx->stopped) return &lx->sink;
  Span sp = span_make(lx->file, start, end);
  if (lx->nerrors >= PARSE_MAX_ERRORS) {
    diag_add(lx->diags, DIAG_E0105, sp, "too many errors in this file (limit is %d); stopping here",
             PARSE_MAX_ERRORS);
    lx->stopped = true;
    return &lx->sink;
  }
  lx->nerrors++;
  va_list ap;
  va_start(ap, fmt);
  char buf[512];
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return diag_add(lx->diags, code, sp, "%s", buf);
}

/* ---- comments, UTF-8 and NUL checks ------------------------------------------------- */

static void add_comment(Lexer *lx, CommentKind kind, uint32_t start, uint32_t end) {
  if (lx->ncomments == lx->capcomments) {
    lx->capcomments = lx->capcomments ? lx->capcomments * 2 : 64;
    lx->comments = plat_xrealloc(lx->comments, lx->capcomments * sizeof *lx->comments);
  }
  Comment *c = &lx->comments[lx->ncomments++];
  c->kind = kind;
  c->span = span_make(lx->file, start, end);
}

/* The run of bytes at [p] that are not valid UTF-8 (at least one byte): its length. */
static uint32_t bad_run(const Lexer *lx, const char *p) {
  const char *q = p;
  int n;
  while (q < lx->lim && (unsigned char)*q >= 0x80 &&
         utf8_decode(q, (size_t)(lx->lim - q), &n) < 0)
    q++;
  return q > p ? (uint32_t)(q - p) : 1;
}

static void report_bad_utf8(Lexer *lx, const char *p, uint32_t n) {
  const unsigned char *u = (const unsigned char *)p;
  if (n == 1)
    lex_error(lx, DIAG_E0001, off(lx, p), off(lx, p) + 1, "invalid UTF-8 byte 0x%02X", u[0]);
  else
    lex_error(lx, DIAG_E0001, off(lx, p), off(lx, p) + n,
              "invalid UTF-8: %u bytes starting with 0x%02X", n, u[0]);
}

static uint32_t nul_run(const Lexer *lx, const char *p) {
  const char *q = p;
  while (q < lx->lim && *q == 0) q++;
  return q > p ? (uint32_t)(q - p) : 1;
}

static void report_nul(Lexer *lx, const char *p, uint32_t n) {
  Diag *d = lex_error(lx, DIAG_E0010, off(lx, p), off(lx, p) + n, "NUL byte in source");
  diag_help(lx->diags, d, "a .plat file is UTF-8 text; is this a binary file?");
}

/* Check the text of a comment: UTF-8 and no NUL. */
static void check_text(Lexer *lx, const char *p, const char *end) {
  while (p < end) {
    unsigned char c = (unsigned char)*p;
    if (c == 0) {
      uint32_t n = nul_run(lx, p);
      report_nul(lx, p, n);
      p += n;
    } else if (c >= 0x80) {
      int n;
      if (utf8_decode(p, (size_t)(lx->lim - p), &n) >= 0) {
        p += n;
      } else {
        uint32_t m = bad_run(lx, p);
        report_bad_utf8(lx, p, m);
        p += m;
      }
    } else {
      p++;
    }
  }
}

static void line_comment(Lexer *lx, CommentKind kind) {
  const char *end = lx->cur;
  if (end > lx->tok && end[-1] == '\r') end--;
  check_text(lx, lx->tok, end);
  add_comment(lx, kind, off(lx, lx->tok), off(lx, end));
}

/* slash-star ... star-slash, not nested.  Unterminated: E0005 at the opening marker. */
static void block_comment(Lexer *lx) {
  const char *p = lx->cur;
  for (;;) {
    if (p >= lx->lim) {
      Diag *d = lex_error(lx, DIAG_E0005, off(lx, lx->tok), off(lx, lx->tok) + 2,
                          "unterminated block comment");
      diag_label(lx->diags, d, d->span, "this comment is never closed");
      diag_help(lx->diags, d, "close it with '*/' (block comments do not nest)");
      check_text(lx, lx->tok + 2, lx->lim);
      add_comment(lx, COMMENT_BLOCK, off(lx, lx->tok), off(lx, lx->lim));
      lx->cur = lx->lim;
      return;
    }
    if (p[0] == '*' && p[1] == '/') break;   /* p[1] is at most the sentinel */
    p++;
  }
  check_text(lx, lx->tok + 2, p);
  lx->cur = p + 2;
  add_comment(lx, COMMENT_BLOCK, off(lx, lx->tok), off(lx, lx->cur));
}

/* ---- brackets and interpolation ------------------------------------------------------- */

/* Open a bracket; past PARSE_MAX_DEPTH it is E0101 and the lexer stops (the parser then
 * sees the end of the file and stays quiet), so no later pass can recurse too deep. */
static void open_bracket(Lexer *lx, char kind, uint32_t at, uint32_t len) {
  if (lx->depth >= PARSE_MAX_DEPTH) {
    Diag *d = lex_error(lx, DIAG_E0101, at, at + len, "nesting too deep (limit is %d)",
                        PARSE_MAX_DEPTH);
    diag_label(lx->diags, d, d->span, "this is level %d", PARSE_MAX_DEPTH + 1);
    lx->stopped = true;
    return;
  }
  lx->open[lx->depth] = at;
  lx->open_kind[lx->depth] = kind;
  lx->depth++;
}

static void close_bracket(Lexer *lx) {
  if (lx->depth > 0) lx->depth--;
}

/* ---- numbers ----------------------------------------------------------------------------- */

/* Why a number-like lexeme is malformed, for E0007's help. */
static const char *malformed_why(const char *s, uint32_t n) {
  bool hex = n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  if (hex && n == 2) return "a hexadecimal literal needs digits after '0x'";
  for (uint32_t i = 0; i < n; i++) {
    if (s[i] != '_') continue;
    if (i + 1 == n || s[i + 1] == '_' || s[i + 1] == '.' || (i > 0 && s[i - 1] == '.'))
      return "'_' may only stand between two digits";
    if (hex && i == 2) return "'_' may only stand between two digits";
  }
  if (!hex && n >= 2 && s[0] == '0' && s[1] >= '0' && s[1] <= '9')
    return "leading zeros are not allowed (write a plain decimal, or 0x for hexadecimal)";
  for (uint32_t i = 0; i < n; i++) {
    if (s[i] == '.' && (i + 1 == n || s[i + 1] < '0' || s[i + 1] > '9'))
      return "a float needs digits after the decimal point (write 1.0, not 1.)";
    if (s[i] == '.' && i + 1 < n) {
      for (uint32_t j = i + 1; j < n; j++)
        if (s[j] == '.') return "a number has at most one decimal point";
    }
  }
  if (!hex) {
    for (uint32_t i = 1; i < n; i++) {
      if (s[i] != 'e' && s[i] != 'E') continue;
      uint32_t j = i + 1;
      if (j < n && (s[j] == '+' || s[j] == '-')) j++;
      if (j == n || s[j] < '0' || s[j] > '9') return "an exponent needs digits (write 1e9 or 2.5e-3)";
    }
  }
  return "a number is decimal (1_000, 2.5, 1e9) or hexadecimal (0xFF); letters may not follow it";
}

static int number_error(Lexer *lx, union PPSTYPE *val) {
  /* `2.5e-` and `1e+x`: the sign belongs to the broken exponent (not for hex: 0xe-1) */
  bool hex = lx->cur - lx->tok >= 2 && lx->tok[1] != '.' && (lx->tok[1] == 'x' || lx->tok[1] == 'X');
  if (!hex && (lx->cur[-1] == 'e' || lx->cur[-1] == 'E') && (*lx->cur == '+' || *lx->cur == '-')) {
    lx->cur++;
    while (lx->cur < lx->lim && ((*lx->cur >= '0' && *lx->cur <= '9') || *lx->cur == '_' ||
                                 (*lx->cur >= 'a' && *lx->cur <= 'z') ||
                                 (*lx->cur >= 'A' && *lx->cur <= 'Z') || *lx->cur == '.'))
      lx->cur++;
  }
  uint32_t n = (uint32_t)(lx->cur - lx->tok);
  Diag *d = lex_error(lx, DIAG_E0007, off(lx, lx->tok), off(lx, lx->cur),
                      "malformed number '%.*s'", n > 64 ? 64 : (int)n, lx->tok);
  diag_help(lx->diags, d, "%s", malformed_why(lx->tok, n));
  memset(&val->num, 0, sizeof val->num);
  val->num.bad = true;
  return T_INT;
}

/* Decimal or hexadecimal digits with '_' separators, already validated by the regex. */
static int integer(Lexer *lx, union PPSTYPE *val, int base) {
  const char *p = lx->tok + (base == 16 ? 2 : 0);
  uint64_t v = 0;
  bool over = false;
  const uint64_t limit = (uint64_t)INT64_MAX + 1;   /* 9223372036854775808, the -min */
  for (; p < lx->cur; p++) {
    if (*p == '_') continue;
    unsigned d = (unsigned)(*p >= 'a' ? *p - 'a' + 10 : *p >= 'A' ? *p - 'A' + 10 : *p - '0');
    if (v > (limit - d) / (uint64_t)base) { over = true; break; }
    v = v * (uint64_t)base + d;
  }
  memset(&val->num, 0, sizeof val->num);
  if (over) {
    Diag *d = lex_error(lx, DIAG_E0006, off(lx, lx->tok), off(lx, lx->cur),
                        "integer literal out of range");
    diag_label(lx->diags, d, d->span, "does not fit in a 64-bit signed integer");
    diag_help(lx->diags, d, "the largest int is 9223372036854775807; use a float (1e19) "
                            "or a string for larger values");
    val->num.bad = true;
    return T_INT;
  }
  if (v == limit) {
    val->num.i = INT64_MIN;
    val->num.min = true;   /* valid only directly under a unary minus: the parser decides */
  } else {
    val->num.i = (int64_t)v;
  }
  return T_INT;
}

static int floating(Lexer *lx, union PPSTYPE *val) {
  size_t n = (size_t)(lx->cur - lx->tok);
  char small[128];
  char *buf = n < sizeof small ? small : plat_xmalloc(n + 1);
  size_t k = 0;
  for (const char *p = lx->tok; p < lx->cur; p++)
    if (*p != '_') buf[k++] = *p;
  buf[k] = 0;
  /* strtod reads the decimal point of the current locale: parse in the C locale, in case
     a program embedding libplat (an editor) has called setlocale */
  static locale_t c_locale;
  if (!c_locale) c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
  errno = 0;
  double f = strtod(buf, NULL);
  if (old) uselocale(old);
  if (buf != small) free(buf);
  memset(&val->num, 0, sizeof val->num);
  if (isinf(f)) {
    Diag *d = lex_error(lx, DIAG_E0008, off(lx, lx->tok), off(lx, lx->cur),
                        "float literal out of range");
    diag_label(lx->diags, d, d->span, "larger than the largest double (about 1.8e308)");
    val->num.bad = true;
    return T_FLOAT;
  }
  val->num.f = f;   /* an underflow to 0 or a subnormal is accepted, as in C */
  return T_FLOAT;
}

/* ---- strings ------------------------------------------------------------------------------ */

static void begin_string(Lexer *lx, bool multi) {
  lx->str_quote = lx->tok_start = off(lx, lx->tok);
  lx->seg_start = off(lx, lx->cur);
  lx->str_head = true;
  lx->str_flags = multi ? LS_MULTI : 0;
  lx->cond = multi ? yycmstr : yycstr;
}

/* End of the line holding [at], for E0003's span. */
static uint32_t line_end(const Lexer *lx, uint32_t at) {
  const char *p = lx->src + at;
  while (p < lx->lim && *p != '\n' && *p != '\r') p++;
  return off(lx, p);
}

static void unterminated(Lexer *lx) {
  bool multi = lx->str_flags & LS_MULTI;
  Diag *d = lex_error(lx, DIAG_E0003, lx->str_quote, line_end(lx, lx->str_quote),
                      "unterminated string");
  diag_label(lx->diags, d, d->span, multi ? "this \"\"\" string is never closed"
                                          : "this string is never closed");
  if (multi)
    diag_help(lx->diags, d, "close it with \"\"\" on a line of its own");
  else
    diag_help(lx->diags, d, "close it with '\"' on the same line; for several lines use \"\"\"");
}

/* Finish the literal piece that ends at [text_end]; the token ends at the cursor.  With
 * [interp], a ${ starts: push an interpolation frame. */
static int string_piece(Lexer *lx, union PPSTYPE *val, Span *loc, const char *text_end,
                        bool interp) {
  LexStr *s = &val->str;
  s->text = lx->src + lx->seg_start;
  s->start = lx->seg_start;
  s->end = off(lx, text_end);
  s->len = s->end - s->start;
  s->flags = lx->str_flags;
  *loc = span_make(lx->file, lx->tok_start, off(lx, lx->cur));
  lx->cond = yyccode;
  if (!interp) return lx->str_head ? T_STRING : T_STR_TAIL;
  int kind = lx->str_head ? T_STR_HEAD : T_STR_MID;
  uint32_t at = off(lx, text_end);
  if (lx->ninterp >= PARSE_MAX_INTERP_DEPTH) {
    Diag *d = lex_error(lx, DIAG_E0009, at, at + 2,
                        "string interpolation nested too deeply (limit is %d)",
                        PARSE_MAX_INTERP_DEPTH);
    diag_help(lx->diags, d, "bind the inner string to a `let` and interpolate that");
    lx->stopped = true;
    return kind;
  }
  open_bracket(lx, '$', at, 2);
  InterpFrame *f = &lx->interp[lx->ninterp++];
  f->braces = 0;
  f->quote = lx->str_quote;
  f->multi = (lx->str_flags & LS_MULTI) != 0;
  return kind;
}

/* A '}' that closes a ${ }: resume the string after it. */
static void resume_string(Lexer *lx) {
  InterpFrame *f = &lx->interp[--lx->ninterp];
  close_bracket(lx);
  lx->str_quote = f->quote;
  lx->tok_start = off(lx, lx->tok);
  lx->seg_start = off(lx, lx->cur);
  lx->str_head = false;
  lx->str_flags = f->multi ? LS_MULTI : 0;
  lx->cond = f->multi ? yycmstr : yycstr;
}

static void unicode_escape(Lexer *lx) {
  uint32_t cp = 0, ndig = 0;
  for (const char *p = lx->tok + 3; *p != '}'; p++, ndig++) {
    unsigned d = (unsigned)(*p >= 'a' ? *p - 'a' + 10 : *p >= 'A' ? *p - 'A' + 10 : *p - '0');
    if (ndig < 8) cp = cp * 16 + d;
  }
  const char *why = NULL;
  if (ndig > 6) why = "at most 6 hex digits";
  else if (cp == 0) why = "NUL is not allowed in strings";
  else if (cp >= 0xD800 && cp <= 0xDFFF) why = "a surrogate is not a Unicode scalar value";
  else if (cp > 0x10FFFF) why = "beyond U+10FFFF, the last code point";
  if (why) {
    uint32_t n = (uint32_t)(lx->cur - lx->tok);
    Diag *d = lex_error(lx, DIAG_E0004, off(lx, lx->tok), off(lx, lx->cur),
                        "invalid unicode escape '%.*s'", n > 20 ? 20 : (int)n, lx->tok);
    diag_label(lx->diags, d, d->span, "%s", why);
  }
}

static void bad_escape(Lexer *lx) {
  uint32_t n = (uint32_t)(lx->cur - lx->tok);
  Diag *d;
  if (n == 1) {
    d = lex_error(lx, DIAG_E0004, off(lx, lx->tok), off(lx, lx->cur),
                  "'\\' at the end of a line or before a control character");
  } else if (lx->tok[1] == 'u') {
    d = lex_error(lx, DIAG_E0004, off(lx, lx->tok), off(lx, lx->cur),
                  "invalid unicode escape '%.*s'", n > 20 ? 20 : (int)n, lx->tok);
    diag_help(lx->diags, d, "write \\u{1F600}: 1 to 6 hex digits in braces");
    return;
  } else {
    d = lex_error(lx, DIAG_E0004, off(lx, lx->tok), off(lx, lx->cur),
                  "unknown escape sequence '%.*s'", (int)n, lx->tok);
  }
  diag_help(lx->diags, d, "the escapes are \\n \\t \\r \\\\ \\\" \\$ and \\u{...}; "
                          "write '\\\\' for a backslash");
}

/* ---- stray characters ------------------------------------------------------------------ */

static void stray(Lexer *lx) {
  unsigned char c = (unsigned char)*lx->tok;
  uint32_t at = off(lx, lx->tok);
  Diag *d;
  if (c < 0x20 || c == 0x7F)
    d = lex_error(lx, DIAG_E0002, at, at + 1, "unexpected character U+%04X", c);
  else
    d = lex_error(lx, DIAG_E0002, at, at + 1, "unexpected character '%c'", c);
  switch (c) {
  case ';': diag_help(lx->diags, d, "Plat has no statement terminators; remove the ';'"); break;
  case '&': diag_help(lx->diags, d, "did you mean '&&'?"); break;
  case '#': diag_help(lx->diags, d, "comments start with '//'"); break;
  case '\'': diag_help(lx->diags, d, "strings are written in double quotes: \"text\""); break;
  case '$': diag_help(lx->diags, d, "'${ ... }' interpolates only inside a string"); break;
  default: break;
  }
}

/* 'text' as YAML, Python and shells write it: one mistake over the whole literal, which
 * becomes an error node (like a malformed number) so the word inside is not read as names
 * and its uses are not type errors. */
static int single_quoted(Lexer *lx, union PPSTYPE *val) {
  uint32_t at = off(lx, lx->tok), n = (uint32_t)(lx->cur - lx->tok);
  Diag *d = lex_error(lx, DIAG_E0002, at, at + n, "unexpected character '''");
  diag_label(lx->diags, d, span_make(lx->file, at, at + n), "a string in single quotes");
  bool plain = n - 2 <= 60 && !memchr(lx->tok + 1, '"', n - 2) && !memchr(lx->tok + 1, '\\', n - 2) &&
               !memchr(lx->tok + 1, '$', n - 2);
  if (plain)
    diag_help(lx->diags, d, "write it in double quotes: \"%.*s\"", (int)(n - 2), lx->tok + 1);
  else
    diag_help(lx->diags, d, "strings are written in double quotes: \"text\"");
  memset(&val->num, 0, sizeof val->num);
  val->num.bad = true;
  return T_INT;
}

/* Invisible and bidirectional-control characters are valid UTF-8 but have no place in a
 * name: two names that look the same would differ, or text would read in another order
 * than it runs ("Trojan Source", CVE-2021-42574).  One E0002 per identifier. */
static bool invisible_cp(int32_t c) {
  return c == 0xAD || c == 0x34F || c == 0x61C || c == 0x180E || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF ||
         (c >= 0xFE00 && c <= 0xFE0F);
}

static void invisible_in_ident(Lexer *lx, const char *p, const char *end) {
  for (const char *q = p; q < end;) {
    int n;
    int32_t c = utf8_decode(q, (size_t)(end - q), &n);
    if (c >= 0 && invisible_cp(c)) {
      Diag *d = lex_error(lx, DIAG_E0002, off(lx, q), off(lx, q + n),
                          "invisible character U+%04X in a name", (unsigned)c);
      diag_help(lx->diags, d, "remove it: invisible and direction-changing characters make a "
                              "name look like another one");
      return;
    }
    q += n;
  }
}

/* ---- the scanner ----------------------------------------------------------------------- */

/* Intern an identifier through a small cache of recent ones: names repeat within a few
 * lines (a resource and its references, property names), and the cache is in L1 while the
 * interner's table of a large program is not. */
static const Str *ident_str(Lexer *lx, const char *s, size_t n) {
  uint32_t h = intern_hash(s, n);   /* computed once, for the cache and the interner */
  const Str **slot = &lx->recent[h & (sizeof lx->recent / sizeof *lx->recent - 1)];
  const Str *c = *slot;
  if (c && c->hash == h && c->len == n && memcmp(c->s, s, n) == 0) return c;
  c = intern_hashed(lx->strs, s, n, h);
  *slot = c;
  return c;
}

#define TOKEN(k) do { *loc = span_make(lx->file, off(lx, lx->tok), off(lx, lx->cur)); return (k); } while (0)

static int keyword(Lexer *lx, union PPSTYPE *val, Span *loc, int kind) {
  *loc = span_make(lx->file, off(lx, lx->tok), off(lx, lx->cur));
  val->id.str = lx->kw[kind - T_USE];
  val->id.span = *loc;
  return kind;
}

static int scan(Lexer *lx, union PPSTYPE *val, Span *loc) {
  for (;;) {
    lx->tok = lx->cur;
    /*!re2c
      re2c:api:style = free-form;
      re2c:define:YYCTYPE = "unsigned char";
      re2c:define:YYCURSOR = "lx->cur";
      re2c:define:YYMARKER = "lx->mark";
      re2c:define:YYCTXMARKER = "lx->ctx";
      re2c:define:YYLIMIT = "lx->lim";
      re2c:define:YYGETCONDITION = "lx->cond";
      re2c:define:YYSETCONDITION = "lx->cond = @@;";
      re2c:yyfill:enable = 0;
      re2c:eof = 0;

      u8c   = [\x80-\xBF];
      u8    = [\xC2-\xDF] u8c
            | "\xE0" [\xA0-\xBF] u8c | [\xE1-\xEC\xEE\xEF] u8c u8c | "\xED" [\x80-\x9F] u8c
            | "\xF0" [\x90-\xBF] u8c u8c | [\xF1-\xF3] u8c u8c u8c | "\xF4" [\x80-\x8F] u8c u8c;
      letter = [a-zA-Z_] | u8;
      ident  = letter (letter | [0-9])*;
      dec    = "0" | [1-9] ("_"? [0-9])*;
      digits = [0-9] ("_"? [0-9])*;
      hex    = "0" [xX] [0-9a-fA-F] ("_"? [0-9a-fA-F])*;
      exp    = [eE] [+-]? digits;
      float  = dec "." digits exp? | dec exp;
      hexd   = [0-9a-fA-F];

      <code> [ \t\r\n]+            { continue; }
      <code> "////" [^\n]*         { line_comment(lx, COMMENT_LINE); continue; }
      <code> "///" [^\n]*          { line_comment(lx, COMMENT_DOC); continue; }
      <code> "//" [^\n]*           { line_comment(lx, COMMENT_LINE); continue; }
      <code> "/*"                  { block_comment(lx); continue; }

      <code> "use"       { return keyword(lx, val, loc, T_USE); }
      <code> "import"    { return keyword(lx, val, loc, T_IMPORT); }
      <code> "as"        { return keyword(lx, val, loc, T_AS); }
      <code> "param"     { return keyword(lx, val, loc, T_PARAM); }
      <code> "let"       { return keyword(lx, val, loc, T_LET); }
      <code> "type"      { return keyword(lx, val, loc, T_TYPE); }
      <code> "fn"        { return keyword(lx, val, loc, T_FN); }
      <code> "resource"  { return keyword(lx, val, loc, T_RESOURCE); }
      <code> "component" { return keyword(lx, val, loc, T_COMPONENT); }
      <code> "output"    { return keyword(lx, val, loc, T_OUTPUT); }
      <code> "policy"    { return keyword(lx, val, loc, T_POLICY); }
      <code> "for"       { return keyword(lx, val, loc, T_FOR); }
      <code> "in"        { return keyword(lx, val, loc, T_IN); }
      <code> "if"        { return keyword(lx, val, loc, T_IF); }
      <code> "then"      { return keyword(lx, val, loc, T_THEN); }
      <code> "else"      { return keyword(lx, val, loc, T_ELSE); }
      <code> "test"      { return keyword(lx, val, loc, T_TEST); }
      <code> "assert"    { return keyword(lx, val, loc, T_ASSERT); }
      <code> "deny"      { return keyword(lx, val, loc, T_DENY); }
      <code> "warn"      { return keyword(lx, val, loc, T_WARN); }
      <code> "moved"     { return keyword(lx, val, loc, T_MOVED); }
      <code> "where"     { return keyword(lx, val, loc, T_WHERE); }
      <code> "secret"    { return keyword(lx, val, loc, T_SECRET); }
      <code> "true"      { return keyword(lx, val, loc, T_TRUE); }
      <code> "false"     { return keyword(lx, val, loc, T_FALSE); }
      <code> "null"      { return keyword(lx, val, loc, T_NULL); }
      <code> "self"      { return keyword(lx, val, loc, T_SELF); }

      <code> [a-zA-Z_] [a-zA-Z_0-9]* {
        *loc = span_make(lx->file, off(lx, lx->tok), off(lx, lx->cur));
        val->id.str = ident_str(lx, lx->tok, (size_t)(lx->cur - lx->tok));
        val->id.span = *loc;
        return T_IDENT;
      }
      <code> ident {
        /* a name with non-ASCII letters (the ASCII rule above wins on equal length) */
        invisible_in_ident(lx, lx->tok, lx->cur);
        *loc = span_make(lx->file, off(lx, lx->tok), off(lx, lx->cur));
        val->id.str = ident_str(lx, lx->tok, (size_t)(lx->cur - lx->tok));
        val->id.span = *loc;
        return T_IDENT;
      }
      <code> ident (letter | [0-9] | [\x80-\xFF])+ {
        /* invalid UTF-8 inside an identifier: report it, keep the identifier whole so that
           its uses still match it */
        check_text(lx, lx->tok, lx->cur);
        *loc = span_make(lx->file, off(lx, lx->tok), off(lx, lx->cur));
        val->id.str = intern(lx->strs, lx->tok, (size_t)(lx->cur - lx->tok));
        val->id.span = *loc;
        return T_IDENT;
      }

      <code> dec     { int k = integer(lx, val, 10); TOKEN(k); }
      <code> hex     { int k = integer(lx, val, 16); TOKEN(k); }
      <code> float   { int k = floating(lx, val); TOKEN(k); }
      <code> [0-9] ([0-9a-zA-Z_.] | u8)* { int k = number_error(lx, val); TOKEN(k); }

      <code> "{"  { open_bracket(lx, '{', off(lx, lx->tok), 1);
                    if (lx->ninterp) lx->interp[lx->ninterp - 1].braces++;
                    TOKEN(T_LBRACE); }
      <code> "}"  { if (lx->ninterp && lx->interp[lx->ninterp - 1].braces == 0) {
                      resume_string(lx);
                      continue;
                    }
                    if (lx->ninterp) lx->interp[lx->ninterp - 1].braces--;
                    close_bracket(lx);
                    TOKEN(T_RBRACE); }
      <code> "["  { open_bracket(lx, '[', off(lx, lx->tok), 1); TOKEN(T_LBRACK); }
      <code> "]"  { close_bracket(lx); TOKEN(T_RBRACK); }
      <code> "("  { open_bracket(lx, '(', off(lx, lx->tok), 1); TOKEN(T_LPAREN); }
      <code> ")"  { close_bracket(lx); TOKEN(T_RPAREN); }
      <code> ","  { TOKEN(T_COMMA); }
      <code> "."  { TOKEN(T_DOT); }
      <code> ":"  { TOKEN(T_COLON); }
      <code> "="  { TOKEN(T_ASSIGN); }
      <code> "=>" { TOKEN(T_ARROW); }
      <code> "?"  { TOKEN(T_QUESTION); }
      <code> "??" { TOKEN(T_COALESCE); }
      <code> "|"  { TOKEN(T_PIPE); }
      <code> "@"  { TOKEN(T_AT); }
      <code> "+"  { TOKEN(T_PLUS); }
      <code> "-"  { TOKEN(T_MINUS); }
      <code> "*"  { TOKEN(T_STAR); }
      <code> "/"  { TOKEN(T_SLASH); }
      <code> "%"  { TOKEN(T_PERCENT); }
      <code> "!"  { TOKEN(T_BANG); }
      <code> "==" { TOKEN(T_EQ); }
      <code> "!=" { TOKEN(T_NE); }
      <code> "<"  { TOKEN(T_LT); }
      <code> "<=" { TOKEN(T_LE); }
      <code> ">"  { TOKEN(T_GT); }
      <code> ">=" { TOKEN(T_GE); }
      <code> "&&" { TOKEN(T_ANDAND); }
      <code> "||" { TOKEN(T_OROR); }

      <code> "\"\"\"" { begin_string(lx, true); continue; }
      <code> "\""     { begin_string(lx, false); continue; }

      <code> $ {
        if (lx->closing && lx->depth > 0 && !lx->ninterp) {
          /* close what is open, innermost first, after the parser reported the end */
          char k = lx->open_kind[--lx->depth];
          TOKEN(k == '(' ? T_RPAREN : k == '[' ? T_RBRACK : T_RBRACE);
        }
        if (lx->ninterp) {
          /* inside ${ } of a string that never ends */
          lx->str_quote = lx->interp[lx->ninterp - 1].quote;
          lx->str_flags = lx->interp[lx->ninterp - 1].multi ? LS_MULTI : 0;
          unterminated(lx);
          lx->stopped = true;
        }
        TOKEN(T_END);
      }
      <code> [\x00]      { uint32_t n = nul_run(lx, lx->tok); report_nul(lx, lx->tok, n);
                           lx->cur = lx->tok + n; continue; }
      <code> [\x80-\xFF] { uint32_t n = bad_run(lx, lx->tok); report_bad_utf8(lx, lx->tok, n);
                           lx->cur = lx->tok + n; continue; }
      <code> "'" ([^'\r\n\x00\x80-\xFF] | u8)* "'" { int k = single_quoted(lx, val); TOKEN(k); }
      <code> "&"         { stray(lx); TOKEN(T_ANDAND); }   /* read as '&&' after the error */
      <code> *           { stray(lx); continue; }

      <str, mstr> [^"\\$\r\n\x00\x80-\xFF]+ { continue; }
      <str, mstr> u8+                 { continue; }
      <str, mstr> "$"                 { continue; }
      <str, mstr> "${"                { return string_piece(lx, val, loc, lx->tok, true); }
      <str, mstr> "\\" [ntr\\"$]      { lx->str_flags |= LS_ESCAPES; continue; }
      <str, mstr> "\\u{" hexd+ "}"    { lx->str_flags |= LS_ESCAPES; unicode_escape(lx); continue; }
      <str, mstr> "\\u" ("{" hexd*)?  { lx->str_flags |= LS_ESCAPES; bad_escape(lx); continue; }
      <str, mstr> "\\" ([\x20-\x7E] | u8) { lx->str_flags |= LS_ESCAPES; bad_escape(lx); continue; }
      <str, mstr> "\\"                { lx->str_flags |= LS_ESCAPES; bad_escape(lx); continue; }
      <str, mstr> [\x00]      { uint32_t n = nul_run(lx, lx->tok); report_nul(lx, lx->tok, n);
                                lx->cur = lx->tok + n; continue; }
      <str, mstr> [\x80-\xFF] { uint32_t n = bad_run(lx, lx->tok); report_bad_utf8(lx, lx->tok, n);
                                lx->cur = lx->tok + n; continue; }
      <str, mstr> $ {
        unterminated(lx);
        lx->stopped = true;
        return string_piece(lx, val, loc, lx->cur, false);
      }

      <str> "\""         { return string_piece(lx, val, loc, lx->tok, false); }
      <str> "\r"? "\n"   { unterminated(lx);
                           lx->cur = lx->tok;   /* the newline is whitespace again */
                           return string_piece(lx, val, loc, lx->tok, false); }
      <str> "\r"         { continue; }

      <mstr> "\"\"\""    { return string_piece(lx, val, loc, lx->tok, false); }
      <mstr> "\""        { continue; }
      <mstr> [\r\n]      { continue; }
    */
  }
}

/* Tokens that open a group the parser may discard whole.  A STR_MID is not one: it
 * continues a string whose start the parser has already taken, and its STR_TAIL is what
 * the parser's recovery waits for. */
static bool is_opener(int k) {
  return k == T_LBRACE || k == T_LBRACK || k == T_LPAREN || k == T_STR_HEAD;
}

static bool is_closer(int k) {
  return k == T_RBRACE || k == T_RBRACK || k == T_RPAREN || k == T_STR_TAIL;
}

int lex_next(Lexer *lx, union PPSTYPE *val, Span *loc) { return lex_next_rec(lx, val, loc, false); }

int lex_next_rec(Lexer *lx, union PPSTYPE *val, Span *loc, bool recovering) {
  lx->err_here = false;
  /* One loop, so that scan has one call site (and is inlined): when skipping a group,
     tokens are read up to its closer, and the token after it is the one returned. */
  bool skip = recovering && is_opener(lx->last), at_end = false;
  uint32_t base = lx->last_base;
  int k = T_END;
  for (;;) {
    if (lx->stopped) { at_end = true; break; }
    k = scan(lx, val, loc);
    if (!skip) break;
    if (k == T_END) { at_end = true; break; }
    if (lx->depth <= base && is_closer(k)) skip = false;
  }
  if (at_end) {
    uint32_t end = off(lx, lx->lim);
    *loc = span_make(lx->file, end, end);
    k = T_END;
  }
  if (is_opener(k)) lx->last_base = lx->depth ? lx->depth - 1 : 0;
  lx->prev2 = lx->prev;
  lx->prev = lx->last;
  lx->prev_start = lx->last_start;
  lx->prev_end = lx->last_end;
  lx->last = k;
  lx->last_start = loc->start;
  lx->last_end = loc->end;
  return k;
}

/* ---- assembling string literals ---------------------------------------------------------- */

/* Apply escapes to raw text [p, end) into [out]; returns the length.  Invalid escapes were
 * reported while scanning and are dropped here; so are NUL bytes.  [multi] turns CRLF
 * into LF.  At each line start (and at the start when [line_start]), up to [indent] bytes
 * of spaces and tabs are skipped: the dedent of multi-line strings. */
static uint32_t decode(const char *p, const char *end, char *out, bool multi, uint32_t indent,
                       bool line_start) {
  char *o = out;
  uint32_t skip = line_start ? indent : 0;
  while (p < end) {
    char c = *p;
    if (skip && (c == ' ' || c == '\t')) { skip--; p++; continue; }
    skip = 0;
    if (c == '\\' && p + 1 < end) {
      char e = p[1];
      p += 2;
      switch (e) {
      case 'n': *o++ = '\n'; break;
      case 't': *o++ = '\t'; break;
      case 'r': *o++ = '\r'; break;
      case '\\': *o++ = '\\'; break;
      case '"': *o++ = '"'; break;
      case '$': *o++ = '$'; break;
      case 'u':
        if (*p == '{') {
          uint32_t cp = 0, nd = 0;
          const char *q = p + 1;
          while (q < end && *q != '}' && nd < 9) {
            char h = *q;
            unsigned d = (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
            if (d > 15) break;
            cp = cp * 16 + d;
            nd++;
            q++;
          }
          if (q < end && *q == '}' && nd >= 1 && nd <= 6 && cp != 0) {
            int n = utf8_encode(cp, o);   /* 0 for surrogates and out of range: dropped */
            o += n;
            p = q + 1;
          }
        }
        break;
      default:
        /* an unknown escape: drop the backslash and the byte after it */
        break;
      }
      continue;
    }
    if (c == 0 || (c == '\\')) { p++; continue; }
    if (multi && c == '\r' && p + 1 < end && p[1] == '\n') { p++; continue; }
    *o++ = c;
    p++;
    if (c == '\n') skip = indent;
  }
  return (uint32_t)(o - out);
}

/* The layout of a multi-line string: the bytes to drop at the start of the first piece and
 * at the end of the last one, and the common indentation to strip from every line. */
typedef struct Dedent {
  uint32_t drop_head;   /* [ \t]*\r?\n after the opening quotes */
  uint32_t drop_tail;   /* the closing line's indentation, when the """ is alone on it */
  uint32_t indent;
} Dedent;

static bool is_ws(char c) { return c == ' ' || c == '\t'; }

static Dedent dedent_plan(const LexStr *segs, uint32_t nsegs) {
  Dedent d = {0, 0, 0};
  const LexStr *first = &segs[0], *last = &segs[nsegs - 1];
  uint32_t i = 0;
  while (i < first->len && is_ws(first->text[i])) i++;
  if (i < first->len && first->text[i] == '\r' && i + 1 < first->len && first->text[i + 1] == '\n')
    i++;
  if (i < first->len && first->text[i] == '\n') d.drop_head = i + 1;
  bool dropped = d.drop_head > 0;

  /* The closing line: after the last newline of the last piece, only spaces and tabs. */
  uint32_t lstart = nsegs == 1 ? d.drop_head : 0;
  uint32_t j = last->len;
  while (j > lstart && is_ws(last->text[j - 1])) j--;
  bool alone = false;
  if (j > lstart && last->text[j - 1] == '\n') alone = true;
  else if (j == lstart && nsegs == 1 && dropped) alone = true;   /* """\n   """ */
  uint32_t closing_ws = alone ? last->len - j : 0;
  if (alone) d.drop_tail = closing_ws;

  /* The smallest indentation of the lines that hold something. */
  uint32_t min = UINT32_MAX;
  bool at_start = true;
  uint32_t ws = 0;
  for (uint32_t s = 0; s < nsegs; s++) {
    const char *t = segs[s].text;
    uint32_t from = s == 0 ? d.drop_head : 0;
    uint32_t to = segs[s].len - (s == nsegs - 1 ? d.drop_tail : 0);
    if (s == 0 && nsegs == 1 && to < from) to = from;
    for (uint32_t k = from; k < to; k++) {
      char c = t[k];
      if (c == '\n') { at_start = true; ws = 0; continue; }
      if (at_start) {
        if (is_ws(c) || c == '\r') { if (c != '\r') ws++; continue; }
        if (ws < min) min = ws;
        at_start = false;
      }
    }
    if (s + 1 < nsegs && at_start) {   /* an interpolation holds something */
      if (ws < min) min = ws;
      at_start = false;
    }
  }
  if (alone && closing_ws < min) min = closing_ws;
  d.indent = min == UINT32_MAX ? 0 : min;
  return d;
}

/* The text of a plain literal piece (no escapes, one line): its bytes in the arena, or
 * the copy made for the same bytes lately.  NUL bytes (reported by the lexer) are
 * dropped; such a text is not shared. */
static const char *plain_text(Lexer *lx, const char *s, uint32_t len, uint32_t *n) {
  uint32_t h = intern_hash(s, len) & (sizeof lx->strs_seen / sizeof *lx->strs_seen - 1);
  if (lx->strs_seen[h].text && lx->strs_seen[h].len == len &&
      memcmp(lx->strs_seen[h].text, s, len) == 0) {
    *n = len;
    return lx->strs_seen[h].text;
  }
  char *text = arena_strndup(lx->arena, s, len);
  *n = len;
  if (memchr(text, 0, len)) {
    *n = decode(s, s + len, text, false, 0, false);
    text[*n] = 0;
    return text;
  }
  lx->strs_seen[h].text = text;
  lx->strs_seen[h].len = len;
  return text;
}

Expr *lex_string_expr(Lexer *lx, const LexStr *segs, uint32_t nsegs, Expr **exprs, Span span) {
  Expr *e = ast_expr(lx->arena, EX_STRING, span);
  bool multi = (segs[0].flags & LS_MULTI) != 0;
  e->u.str.multiline = multi;
  Dedent d = {0, 0, 0};
  if (multi) d = dedent_plan(segs, nsegs);
  /* One part per interpolation and per literal piece that is not empty (a piece whose
     escapes all turn out invalid wastes its part: that is an error anyway). */
  uint32_t cap = nsegs - 1;
  for (uint32_t s = 0; s < nsegs; s++) {
    uint32_t from = s == 0 ? d.drop_head : 0;
    uint32_t to = segs[s].len - (s == nsegs - 1 ? d.drop_tail : 0);
    cap += to > from;
  }
  StrPart *parts = cap ? arena_calloc(lx->arena, cap, sizeof *parts) : NULL;
  uint32_t np = 0;
  uint16_t depth = 0;
  bool line_start = true;
  for (uint32_t s = 0; s < nsegs; s++) {
    const LexStr *g = &segs[s];
    uint32_t from = s == 0 ? d.drop_head : 0;
    uint32_t to = g->len - (s == nsegs - 1 ? d.drop_tail : 0);
    if (to < from) to = from;
    uint32_t n = 0;
    const char *text = "";
    if (to == from) {
      /* nothing: an empty piece has no part */
    } else if (!multi && !(g->flags & LS_ESCAPES) && !(g->flags & LS_DECODED)) {
      text = plain_text(lx, g->text + from, to - from, &n);
    } else {
      char *t = arena_alloc(lx->arena, (size_t)(to - from) + 1);
      n = decode(g->text + from, g->text + to, t, multi, d.indent, multi && line_start);
      t[n] = 0;
      text = t;
    }
    if (multi && to > from) line_start = g->text[to - 1] == '\n';
    else if (multi && s > 0) line_start = false;
    if (n > 0) {
      StrPart *p = &parts[np++];
      p->text = text;
      p->len = n;
      p->span = span_make(lx->file, g->start, g->end);
    }
    if (s + 1 < nsegs) {
      StrPart *p = &parts[np++];
      p->is_expr = true;
      p->expr = exprs[s];
      p->text = "";
      p->span = span_make(lx->file, g->end, segs[s + 1].start);
      if (exprs[s] && exprs[s]->depth > depth) depth = exprs[s]->depth;
      line_start = false;
    }
  }
  e->u.str.parts = parts;
  e->u.str.nparts = np;
  e->depth = nsegs > 1 ? (uint16_t)(depth + 1) : 0;
  return e;
}
