/* Unit tests of the lexer (lexer.re) through lex_next: every token kind and its exact
 * span, keywords and identifiers (UTF-8 ones too), integers and floats at their limits and
 * one past them, malformed numbers, string escapes and bad escapes, interpolation nesting
 * up to the limit and past it, multi-line strings and their dedent, comments recorded in
 * order, invalid UTF-8 and NUL bytes wherever they are, stray characters, the error limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/compiler.h"
#include "compiler/lexer.h"
#include "compiler/grammar.h"

/* ---- helpers --------------------------------------------------------------------------- */

#define MAXTOK 4096

typedef struct Lexed {
  Plat *p;
  Lexer lx;
  int kinds[MAXTOK];
  Span spans[MAXTOK];
  PPSTYPE vals[MAXTOK];
  int n;
} Lexed;

static Lexed *lex_n(const char *src, size_t len) {
  Lexed *r = calloc(1, sizeof *r);
  r->p = plat_new();
  uint32_t file = source_add(&r->p->sources, "t.plat", src, len);
  ParseInput in = {.arena = &r->p->arena, .strs = &r->p->strs, .diags = &r->p->diags,
                   .sources = &r->p->sources, .file = file};
  lex_init(&r->lx, &in);
  for (;;) {
    assert_true(r->n < MAXTOK);
    int k = lex_next(&r->lx, &r->vals[r->n], &r->spans[r->n]);
    r->kinds[r->n++] = k;
    if (k == T_END) break;
  }
  return r;
}

static Lexed *lex(const char *src) { return lex_n(src, strlen(src)); }

static void done(Lexed *r) {
  lex_free(&r->lx);
  plat_free(r->p);
  free(r);
}

static uint32_t count(const Lexed *r, DiagCode code) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < r->p->diags.n; i++) n += r->p->diags.items[i]->code == code;
  return n;
}

static const Diag *diag_at(const Lexed *r, uint32_t i) {
  assert_true(i < r->p->diags.n);
  return r->p->diags.items[i];
}

static void print_diags(const Lexed *r) {
  for (uint32_t i = 0; i < r->p->diags.n; i++) {
    const Diag *d = r->p->diags.items[i];
    fprintf(stderr, "  [%s] %u-%u %s\n", diag_code_name(d->code), d->span.start, d->span.end, d->msg);
  }
}

static void no_errors(const Lexed *r) {
  if (r->p->diags.n) print_diags(r);
  assert_int_equal(r->p->diags.n, 0);
}

/* Exactly one diagnostic, of [code], at [start, end). */
static void one_error(const char *src, DiagCode code, uint32_t start, uint32_t end) {
  Lexed *r = lex(src);
  if (r->p->diags.n != 1) print_diags(r);
  assert_int_equal(r->p->diags.n, 1);
  const Diag *d = diag_at(r, 0);
  assert_string_equal(diag_code_name(d->code), diag_code_name(code));
  assert_int_equal(d->span.start, start);
  assert_int_equal(d->span.end, end);
  done(r);
}

/* The decoded value of the one string literal [src] (via the parser's string assembly). */
static char *string_value(const char *src) {
  Plat *p = plat_new();
  char *text = malloc(strlen(src) + 16);
  sprintf(text, "let x = %s", src);
  uint32_t file = source_add(&p->sources, "t.plat", text, strlen(text));
  ParseInput in = {.arena = &p->arena, .strs = &p->strs, .diags = &p->diags,
                   .sources = &p->sources, .file = file};
  AstFile *f = parse_file(&in);
  if (p->diags.n) fprintf(stderr, "unexpected: %s\n", p->diags.items[0]->msg);
  assert_int_equal(p->diags.n, 0);
  assert_int_equal(f->ndecls, 1);
  Expr *e = f->decls[0]->u.let.value;
  assert_int_equal(e->kind, EX_STRING);
  size_t n = 0;
  for (uint32_t i = 0; i < e->u.str.nparts; i++) n += e->u.str.parts[i].is_expr ? 3 : e->u.str.parts[i].len;
  char *out = calloc(1, n + 1), *o = out;
  for (uint32_t i = 0; i < e->u.str.nparts; i++) {
    if (e->u.str.parts[i].is_expr) { memcpy(o, "${}", 3); o += 3; continue; }
    memcpy(o, e->u.str.parts[i].text, e->u.str.parts[i].len);
    o += e->u.str.parts[i].len;
  }
  plat_free(p);
  free(text);
  return out;
}

static void check_string(const char *src, const char *want) {
  char *got = string_value(src);
  assert_string_equal(got, want);
  free(got);
}

/* ---- tokens ---------------------------------------------------------------------------- */

static void test_every_token(void **state) {
  (void)state;
  const char *src = "{ } [ ] ( ) , . : = => ? ?? | @ + - * / % ! == != < <= > >= && ||";
  static const int want[] = {
      T_LBRACE, T_RBRACE, T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN, T_COMMA, T_DOT, T_COLON,
      T_ASSIGN, T_ARROW, T_QUESTION, T_COALESCE, T_PIPE, T_AT, T_PLUS, T_MINUS, T_STAR,
      T_SLASH, T_PERCENT, T_BANG, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_ANDAND, T_OROR, T_END};
  Lexed *r = lex(src);
  no_errors(r);
  assert_int_equal(r->n, (int)(sizeof want / sizeof *want));
  uint32_t at = 0;
  for (int i = 0; i < r->n; i++) {
    assert_int_equal(r->kinds[i], want[i]);
    if (want[i] == T_END) break;
    while (src[at] == ' ') at++;
    uint32_t end = at;
    while (src[end] && src[end] != ' ') end++;
    assert_int_equal(r->spans[i].start, at);   /* spans are exact byte offsets */
    assert_int_equal(r->spans[i].end, end);
    at = end;
  }
  assert_int_equal(r->spans[r->n - 1].start, strlen(src));
  done(r);
}

static void test_keywords(void **state) {
  (void)state;
  const char *src = "use import as param let type fn resource component output policy for in if "
                    "then else test assert deny warn moved where secret true false null self";
  Lexed *r = lex(src);
  no_errors(r);
  assert_int_equal(r->n, 28);
  for (int i = 0; i < 27; i++) {
    assert_int_equal(r->kinds[i], T_USE + i);
    /* keywords carry their text, so they can be used as property names */
    assert_int_equal(r->vals[i].id.str->len, r->spans[i].end - r->spans[i].start);
    assert_memory_equal(r->vals[i].id.str->s, src + r->spans[i].start, r->vals[i].id.str->len);
  }
  done(r);
}

static void test_identifiers(void **state) {
  (void)state;
  Lexed *r = lex("types _x x1 resourceful \xC3\xA9t\xC3\xA9 \xE5\x90\x8D\xE5\x89\x8D a\xF0\x9F\x98\x80 In");
  no_errors(r);
  const char *want[] = {"types", "_x", "x1", "resourceful", "\xC3\xA9t\xC3\xA9",
                        "\xE5\x90\x8D\xE5\x89\x8D", "a\xF0\x9F\x98\x80", "In"};
  assert_int_equal(r->n, 9);
  for (int i = 0; i < 8; i++) {
    assert_int_equal(r->kinds[i], T_IDENT);
    assert_string_equal(r->vals[i].id.str->s, want[i]);
  }
  /* interned: the same text is the same pointer */
  Lexed *s = lex("abc abc");
  assert_ptr_equal(s->vals[0].id.str, s->vals[1].id.str);
  done(s);
  done(r);
}

static void test_integers(void **state) {
  (void)state;
  Lexed *r = lex("0 42 1_000_000 0x2A 0xff_FF 9223372036854775807 0x7FFF_FFFF_FFFF_FFFF "
                 "9223372036854775808 0x8000000000000000");
  no_errors(r);
  int64_t want[] = {0, 42, 1000000, 42, 65535, INT64_MAX, INT64_MAX};
  for (int i = 0; i < 7; i++) {
    assert_int_equal(r->kinds[i], T_INT);
    assert_true(r->vals[i].num.i == want[i]);
    assert_false(r->vals[i].num.min);
  }
  /* 2^63 is left to the parser: valid only under a unary minus */
  assert_true(r->vals[7].num.min);
  assert_true(r->vals[8].num.min);
  done(r);

  one_error("9223372036854775809", DIAG_E0006, 0, 19);
  one_error("x = 0x1_0000_0000_0000_0000", DIAG_E0006, 4, 27);
  one_error("99999999999999999999999999999", DIAG_E0006, 0, 29);
}

static void test_floats(void **state) {
  (void)state;
  Lexed *r = lex("1.5 1e9 2.5e-3 1_000.5 0.0 1E+2 1.7976931348623157e308 1e-400");
  no_errors(r);
  double want[] = {1.5, 1e9, 2.5e-3, 1000.5, 0.0, 100.0, 1.7976931348623157e308, 0.0};
  for (int i = 0; i < 8; i++) {
    assert_int_equal(r->kinds[i], T_FLOAT);
    assert_true(r->vals[i].num.f == want[i]);
  }
  done(r);
  one_error("1.8e308", DIAG_E0008, 0, 7);
  one_error("  1e999", DIAG_E0008, 2, 7);
}

static void test_malformed_numbers(void **state) {
  (void)state;
  const char *bad[] = {"0x", "1__0", "1_", "1e", "1.", "08", "1e+", "12abc", "0x_1", "1._5",
                       "1.5.6", "00.5", "0xg"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    Lexed *r = lex(bad[i]);
    if (count(r, DIAG_E0007) != 1) fprintf(stderr, "%s:\n", bad[i]), print_diags(r);
    assert_int_equal(count(r, DIAG_E0007), 1);
    /* one token for the whole lexeme, then '+' for "1e+" only */
    assert_int_equal(r->kinds[0], T_INT);
    assert_int_equal(diag_at(r, 0)->span.start, 0);
    done(r);
  }
  one_error("x 1__0 y", DIAG_E0007, 2, 6);
  /* a member access after an index is not a malformed number */
  Lexed *r = lex("a[1].b");
  no_errors(r);
  done(r);
}

/* ---- strings ---------------------------------------------------------------------------- */

static void test_plain_string_is_one_token(void **state) {
  (void)state;
  Lexed *r = lex("\"hello, world\" \"\"");
  no_errors(r);
  assert_int_equal(r->kinds[0], T_STRING);
  assert_int_equal(r->spans[0].start, 0);
  assert_int_equal(r->spans[0].end, 14);
  assert_int_equal(r->vals[0].str.start, 1);
  assert_int_equal(r->vals[0].str.end, 13);
  assert_int_equal(r->kinds[1], T_STRING);
  assert_int_equal(r->vals[1].str.len, 0);
  assert_int_equal(r->kinds[2], T_END);
  done(r);
}

static void test_escapes(void **state) {
  (void)state;
  check_string("\"a\\nb\\tc\\rd\\\\e\\\"f\\$g\"", "a\nb\tc\rd\\e\"f$g");
  check_string("\"\\u{41}\\u{e9}\\u{20AC}\\u{1F600}\\u{10FFFF}\"",
               "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
  check_string("\"$ $a \\${x}\"", "$ $a ${x}");
  check_string("\"caf\xC3\xA9\"", "caf\xC3\xA9");
  /* bad escapes: E0004 with the span of the escape */
  one_error("\"a\\qb\"", DIAG_E0004, 2, 4);
  one_error("\"\\u{}\"", DIAG_E0004, 1, 4);
  one_error("\"\\u{110000}\"", DIAG_E0004, 1, 11);
  one_error("\"\\u{D800}\"", DIAG_E0004, 1, 9);
  one_error("\"\\u{0}\"", DIAG_E0004, 1, 6);
  one_error("\"\\u{1234567}\"", DIAG_E0004, 1, 12);
  one_error("\"\\u{41\"", DIAG_E0004, 1, 6);
  one_error("\"\\u41\"", DIAG_E0004, 1, 3);
  one_error("\"x\\\xC3\xA9\"", DIAG_E0004, 2, 5);
}

static void test_unterminated_string(void **state) {
  (void)state;
  /* E0003 spans the opening quote to the end of its line; the next line is lexed */
  Lexed *r = lex("let a = \"abc\nlet b = 1");
  assert_int_equal(r->p->diags.n, 1);
  assert_int_equal(diag_at(r, 0)->code, DIAG_E0003);
  assert_int_equal(diag_at(r, 0)->span.start, 8);
  assert_int_equal(diag_at(r, 0)->span.end, 12);
  int want[] = {T_LET, T_IDENT, T_ASSIGN, T_STRING, T_LET, T_IDENT, T_ASSIGN, T_INT, T_END};
  assert_int_equal(r->n, 9);
  for (int i = 0; i < 9; i++) assert_int_equal(r->kinds[i], want[i]);
  done(r);
  one_error("x = \"abc", DIAG_E0003, 4, 8);
  one_error("x = \"\"\"\nabc\n", DIAG_E0003, 4, 7);
  one_error("x = \"a${b}c\r\n", DIAG_E0003, 4, 11);
}

static void test_interpolation(void **state) {
  (void)state;
  Lexed *r = lex("\"a${b}c${ {x = 1}.x }d\"");
  no_errors(r);
  int want[] = {T_STR_HEAD, T_IDENT, T_STR_MID, T_LBRACE, T_IDENT, T_ASSIGN, T_INT,
                T_RBRACE, T_DOT, T_IDENT, T_STR_TAIL, T_END};
  assert_int_equal(r->n, 12);
  for (int i = 0; i < 12; i++) assert_int_equal(r->kinds[i], want[i]);
  /* the pieces: "a${  }c${  }d" */
  assert_int_equal(r->spans[0].start, 0);
  assert_int_equal(r->spans[0].end, 4);
  assert_int_equal(r->spans[2].start, 5);
  assert_int_equal(r->spans[2].end, 9);
  assert_int_equal(r->spans[10].start, 20);
  assert_int_equal(r->spans[10].end, 23);
  assert_int_equal(r->vals[2].str.len, 1);
  assert_memory_equal(r->vals[2].str.text, "c", 1);
  done(r);

  /* strings inside interpolations, nested: a ${ } inside a string inside a ${ } */
  r = lex("\"a${ f(\"b${c}\") }\"");
  no_errors(r);
  int want2[] = {T_STR_HEAD, T_IDENT, T_LPAREN, T_STR_HEAD, T_IDENT, T_STR_TAIL, T_RPAREN,
                 T_STR_TAIL, T_END};
  assert_int_equal(r->n, 9);
  for (int i = 0; i < 9; i++) assert_int_equal(r->kinds[i], want2[i]);
  done(r);
}

static char *nested_interp(int depth) {
  char *s = malloc((size_t)depth * 6 + 8), *o = s;
  for (int i = 0; i < depth; i++) { memcpy(o, "\"${", 3); o += 3; }
  *o++ = 'x';
  for (int i = 0; i < depth; i++) { memcpy(o, "}\"", 2); o += 2; }
  *o = 0;
  return s;
}

static void test_interpolation_depth(void **state) {
  (void)state;
  char *ok = nested_interp(PARSE_MAX_INTERP_DEPTH);
  Lexed *r = lex(ok);
  no_errors(r);
  done(r);
  char *bad = nested_interp(PARSE_MAX_INTERP_DEPTH + 1);
  r = lex(bad);
  assert_int_equal(r->p->diags.n, 1);
  assert_int_equal(diag_at(r, 0)->code, DIAG_E0009);
  /* at the 33rd "${" */
  assert_int_equal(diag_at(r, 0)->span.start, 3 * PARSE_MAX_INTERP_DEPTH + 1);
  assert_int_equal(r->kinds[r->n - 1], T_END);
  done(r);
  free(ok);
  free(bad);
}

static void test_multiline(void **state) {
  (void)state;
  check_string("\"\"\"\n    a\n      b\n    \"\"\"", "a\n  b\n");
  /* the closing line's indentation counts */
  check_string("\"\"\"\n    a\n  \"\"\"", "  a\n");
  /* blank lines do not count, and keep what is past the indentation */
  check_string("\"\"\"\n  a\n\n   \n  b\n  \"\"\"", "a\n\n \nb\n");
  /* CRLF becomes LF */
  check_string("\"\"\"\r\n  a\r\n  b\r\n  \"\"\"", "a\nb\n");
  /* the closing quotes after text: no final newline */
  check_string("\"\"\"\n  a\n  b\"\"\"", "a\nb");
  check_string("\"\"\"\n\"\"\"", "");
  check_string("\"\"\"abc\"\"\"", "abc");
  /* escapes are applied after the dedent: an escaped tab is not indentation */
  check_string("\"\"\"\n  \\ta\n  \"\"\"", "\ta\n");
  /* quotes inside, and interpolations at a line start */
  check_string("\"\"\"\n    say \"hi\"\n    ${x}!\n      ${y}\n    \"\"\"", "say \"hi\"\n${}!\n  ${}\n");
  /* tabs count as one column each */
  check_string("\"\"\"\n\t\ta\n\t\t\"\"\"", "a\n");
}

/* ---- comments ---------------------------------------------------------------------------- */

static void test_comments(void **state) {
  (void)state;
  const char *src = "// line\n/// doc\n//// not doc\nx /* block\n * two */ y // end";
  Lexed *r = lex(src);
  no_errors(r);
  assert_int_equal(r->n, 3);   /* x y END */
  assert_int_equal(r->lx.ncomments, 5);
  CommentKind kinds[] = {COMMENT_LINE, COMMENT_DOC, COMMENT_LINE, COMMENT_BLOCK, COMMENT_LINE};
  const char *texts[] = {"// line", "/// doc", "//// not doc", "/* block\n * two */", "// end"};
  for (int i = 0; i < 5; i++) {
    Comment c = r->lx.comments[i];
    assert_int_equal(c.kind, kinds[i]);
    assert_int_equal(c.span.end - c.span.start, strlen(texts[i]));
    assert_memory_equal(src + c.span.start, texts[i], strlen(texts[i]));
  }
  done(r);
  /* CR of a CRLF line is not part of the comment */
  r = lex("// a\r\nx");
  assert_int_equal(r->lx.comments[0].span.end, 4);
  done(r);
  one_error("x /* never closed\n\n", DIAG_E0005, 2, 4);
  /* comments are kept by parse_file too */
  Plat *p = plat_new();
  uint32_t file = source_add(&p->sources, "t.plat", src, strlen(src));
  ParseInput in = {.arena = &p->arena, .strs = &p->strs, .diags = &p->diags,
                   .sources = &p->sources, .file = file};
  AstFile *f = parse_file(&in);
  assert_int_equal(f->ncomments, 5);
  plat_free(p);
}

/* ---- bad bytes ---------------------------------------------------------------------------- */

static void test_utf8(void **state) {
  (void)state;
  one_error("x \xFF y", DIAG_E0001, 2, 3);
  one_error("x = \"a\xC3\x28\"", DIAG_E0001, 6, 7);
  one_error("// caf\xE9\n", DIAG_E0001, 6, 7);
  one_error("/* \xC0\xAF */", DIAG_E0001, 3, 5);          /* overlong: both bytes, once */
  one_error("x = \"\xED\xA0\x80\"", DIAG_E0001, 5, 8);     /* a surrogate */
  one_error("abc\xE2\x82", DIAG_E0001, 3, 5);              /* truncated at the end */
  Lexed *r = lex("\"\xF0\x9F\x98\x80\" // \xE2\x9C\x93");
  no_errors(r);
  done(r);
  /* a UTF-8 byte order mark is skipped */
  r = lex("\xEF\xBB\xBFuse local");
  no_errors(r);
  assert_int_equal(r->kinds[0], T_USE);
  assert_int_equal(r->spans[0].start, 3);
  done(r);
}

static void test_nul(void **state) {
  (void)state;
  Lexed *r = lex_n("x \0 y", 5);
  assert_int_equal(r->p->diags.n, 1);
  assert_int_equal(diag_at(r, 0)->code, DIAG_E0010);
  assert_int_equal(diag_at(r, 0)->span.start, 2);
  assert_int_equal(r->n, 3);   /* x y END: the NUL is skipped, the rest is lexed */
  done(r);
  r = lex_n("\"a\0b\" // c\0d\n z", 15);
  assert_int_equal(count(r, DIAG_E0010), 2);
  assert_int_equal(r->p->diags.n, 2);
  assert_int_equal(r->kinds[0], T_STRING);
  assert_int_equal(r->kinds[1], T_IDENT);
  done(r);
}

static void test_stray(void **state) {
  (void)state;
  Lexed *r = lex("a # b ; \x07 ~");
  assert_int_equal(count(r, DIAG_E0002), 4);
  assert_string_equal(diag_at(r, 0)->msg, "unexpected character '#'");
  assert_int_equal(diag_at(r, 0)->span.start, 2);
  assert_int_equal(diag_at(r, 0)->span.end, 3);
  assert_string_equal(diag_at(r, 1)->help, "Plat has no statement terminators; remove the ';'");
  assert_string_equal(diag_at(r, 2)->msg, "unexpected character U+0007");
  assert_int_equal(r->n, 3);   /* a b END: one bad character does not hide the rest */
  done(r);
}

static void test_error_limit(void **state) {
  (void)state;
  char src[200];
  memset(src, '#', 120);
  src[120] = 0;
  Lexed *r = lex(src);
  assert_int_equal(count(r, DIAG_E0002), PARSE_MAX_ERRORS);
  assert_int_equal(count(r, DIAG_E0105), 1);
  assert_int_equal(r->p->diags.n, PARSE_MAX_ERRORS + 1);
  done(r);
}

static void test_nesting_limit(void **state) {
  (void)state;
  char src[600];
  memset(src, '(', PARSE_MAX_DEPTH);
  src[PARSE_MAX_DEPTH] = 0;
  Lexed *r = lex(src);
  no_errors(r);
  done(r);
  memset(src, '[', PARSE_MAX_DEPTH + 1);
  src[PARSE_MAX_DEPTH + 1] = 0;
  r = lex(src);
  assert_int_equal(r->p->diags.n, 1);
  assert_int_equal(diag_at(r, 0)->code, DIAG_E0101);
  assert_int_equal(diag_at(r, 0)->span.start, PARSE_MAX_DEPTH);
  assert_string_equal(diag_at(r, 0)->msg, "nesting too deep (limit is 256)");
  done(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_token),
      cmocka_unit_test(test_keywords),
      cmocka_unit_test(test_identifiers),
      cmocka_unit_test(test_integers),
      cmocka_unit_test(test_floats),
      cmocka_unit_test(test_malformed_numbers),
      cmocka_unit_test(test_plain_string_is_one_token),
      cmocka_unit_test(test_escapes),
      cmocka_unit_test(test_unterminated_string),
      cmocka_unit_test(test_interpolation),
      cmocka_unit_test(test_interpolation_depth),
      cmocka_unit_test(test_multiline),
      cmocka_unit_test(test_comments),
      cmocka_unit_test(test_utf8),
      cmocka_unit_test(test_nul),
      cmocka_unit_test(test_stray),
      cmocka_unit_test(test_error_limit),
      cmocka_unit_test(test_nesting_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
