/* Unit tests of sources, spans and strings (compiler/source.h): line and column (CRLF,
 * UTF-8 columns, invalid bytes, a last line without newline, empty files), source_line,
 * source_read on files and refusals, UTF-8 decode/encode/check edge cases (overlongs,
 * surrogates, past U+10FFFF, truncated sequences) and the interner (identity, growth past
 * several rehashes, embedded NULs). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "compiler/source.h"

/* ---- line and column ---------------------------------------------------------------- */

static SourceMap sm;

static int setup_sm(void **state) {
  (void)state;
  source_init(&sm);
  return 0;
}

static int teardown_sm(void **state) {
  (void)state;
  source_free(&sm);
  return 0;
}

static uint32_t add(const char *text) { return source_add(&sm, "t.plat", text, strlen(text)); }

#define assert_lc(file, off, l, c, bc)                        \
  do {                                                        \
    LineCol lc_ = source_linecol(&sm, (file), (off));         \
    assert_int_equal(lc_.line, (l));                          \
    assert_int_equal(lc_.col, (c));                           \
    assert_int_equal(lc_.byte_col, (bc));                     \
  } while (0)

static void test_add_copies_and_terminates(void **state) {
  (void)state;
  char buf[] = "let x = 1";
  uint32_t id = source_add(&sm, "a/b.plat", buf, 5);
  buf[0] = 'X';   /* the map holds its own copy */
  const SourceFile *f = source_file(&sm, id);
  assert_non_null(f);
  assert_string_equal(f->path, "a/b.plat");
  assert_int_equal(f->len, 5);
  assert_memory_equal(f->text, "let x", 5);
  assert_int_equal(f->text[5], 0);   /* the lexer's sentinel */
  assert_false(f->builtin);
  assert_null(source_file(&sm, id + 1));
  assert_null(source_file(&sm, UINT32_MAX));
}

static void test_many_files_keep_ids(void **state) {
  (void)state;
  char name[32];
  for (uint32_t i = 0; i < 100; i++) {
    snprintf(name, sizeof name, "f%u.plat", i);
    assert_int_equal(source_add(&sm, name, name, strlen(name)), i);
  }
  for (uint32_t i = 0; i < 100; i++) {
    snprintf(name, sizeof name, "f%u.plat", i);
    const SourceFile *f = source_file(&sm, i);
    assert_string_equal(f->path, name);
    assert_memory_equal(f->text, name, strlen(name));
  }
}

static void test_linecol_ascii(void **state) {
  (void)state;
  uint32_t f = add("ab\ncd\n\nef");
  assert_lc(f, 0, 1, 1, 1);
  assert_lc(f, 1, 1, 2, 2);
  assert_lc(f, 2, 1, 3, 3);   /* the newline belongs to its line */
  assert_lc(f, 3, 2, 1, 1);
  assert_lc(f, 5, 2, 3, 3);
  assert_lc(f, 6, 3, 1, 1);   /* the empty line */
  assert_lc(f, 7, 4, 1, 1);
  assert_lc(f, 8, 4, 2, 2);
  assert_lc(f, 9, 4, 3, 3);   /* end of file, last line without newline */
  assert_lc(f, 1000, 4, 3, 3); /* past the end clamps to the end */
}

static void test_linecol_crlf(void **state) {
  (void)state;
  uint32_t f = add("a\r\nbc\r\n");
  assert_lc(f, 0, 1, 1, 1);
  assert_lc(f, 1, 1, 2, 2);   /* the CR */
  assert_lc(f, 3, 2, 1, 1);
  assert_lc(f, 4, 2, 2, 2);
  assert_lc(f, 7, 3, 1, 1);   /* after the final newline: an empty last line */
  uint32_t len;
  const char *l = source_line(&sm, f, 1, &len);
  assert_int_equal(len, 1);   /* CR stripped */
  assert_memory_equal(l, "a", 1);
  l = source_line(&sm, f, 2, &len);
  assert_int_equal(len, 2);
  assert_memory_equal(l, "bc", 2);
  l = source_line(&sm, f, 3, &len);
  assert_non_null(l);
  assert_int_equal(len, 0);
  assert_null(source_line(&sm, f, 4, &len));
  assert_null(source_line(&sm, f, 0, &len));
}

static void test_linecol_utf8_columns(void **state) {
  (void)state;
  /* é is 2 bytes, € 3, 😀 4: columns count code points, byte_col counts bytes. */
  uint32_t f = add("x\n\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z");
  assert_lc(f, 2, 2, 1, 1);
  assert_lc(f, 4, 2, 2, 3);
  assert_lc(f, 7, 2, 3, 6);
  assert_lc(f, 11, 2, 4, 10);
  assert_lc(f, 12, 2, 5, 11);
}

static void test_linecol_invalid_bytes_count_one_each(void **state) {
  (void)state;
  uint32_t f = add("\xFF\xFE\xC3(z");   /* two bad bytes, a truncated 2-byte lead, then ASCII */
  assert_lc(f, 1, 1, 2, 2);
  assert_lc(f, 2, 1, 3, 3);
  assert_lc(f, 3, 1, 4, 4);
  assert_lc(f, 4, 1, 5, 5);
}

static void test_empty_file(void **state) {
  (void)state;
  uint32_t f = source_add(&sm, "empty.plat", NULL, 0);
  const SourceFile *sf = source_file(&sm, f);
  assert_int_equal(sf->len, 0);
  assert_int_equal(sf->text[0], 0);
  assert_lc(f, 0, 1, 1, 1);
  assert_lc(f, 5, 1, 1, 1);
  uint32_t len = 99;
  const char *l = source_line(&sm, f, 1, &len);
  assert_non_null(l);
  assert_int_equal(len, 0);
  assert_int_equal(source_line_start(&sm, f, 1), 0);
  assert_int_equal(source_line_start(&sm, f, 2), 0);
}

static void test_line_start(void **state) {
  (void)state;
  uint32_t f = add("one\ntwo\nthree");
  assert_int_equal(source_line_start(&sm, f, 1), 0);
  assert_int_equal(source_line_start(&sm, f, 2), 4);
  assert_int_equal(source_line_start(&sm, f, 3), 8);
  assert_int_equal(source_line_start(&sm, f, 4), 13);   /* past the last line: the end */
  uint32_t len;
  const char *l = source_line(&sm, f, 3, &len);
  assert_int_equal(len, 5);
  assert_memory_equal(l, "three", 5);
  /* Unknown files do not crash. */
  assert_null(source_line(&sm, 77, 1, &len));
  LineCol lc = source_linecol(&sm, 77, 3);
  assert_int_equal(lc.line, 1);
  assert_int_equal(lc.col, 1);
}

static void test_linecol_many_lines(void **state) {
  (void)state;
  /* 10,000 lines of "line N": binary search must find each one. */
  size_t cap = 200000, len = 0;
  char *buf = malloc(cap);
  uint32_t starts[10000];
  for (uint32_t i = 0; i < 10000; i++) {
    starts[i] = (uint32_t)len;
    len += (size_t)snprintf(buf + len, cap - len, "line %u\n", i + 1);
  }
  uint32_t f = source_add(&sm, "big.plat", buf, len);
  free(buf);
  for (uint32_t i = 0; i < 10000; i += 7) {
    assert_lc(f, starts[i], i + 1, 1, 1);
    assert_lc(f, starts[i] + 3, i + 1, 4, 4);
  }
}

/* Asked in any order (the line hint goes forward from the last answer, or searches),
 * on an ASCII file and on one with multi-byte characters, every offset gets the line
 * and column a plain count from the start gives. */
static void test_linecol_any_order(void **state) {
  (void)state;
  const char *texts[] = {
    "a\nbb\n\nccc dd\n  e\nlast",
    "\xEF\xBB\xBFx\n\xC3\xA9t\xC3\xA9 \xE2\x82\xAC\n\n\xF0\x9F\x98\x80 z\n",
  };
  for (size_t t = 0; t < 2; t++) {
    uint32_t len = (uint32_t)strlen(texts[t]);
    uint32_t f = source_add(&sm, t ? "u.plat" : "a.plat", texts[t], len);
    unsigned seed = 99;
    for (int k = 0; k < 4000; k++) {
      seed = seed * 1103515245u + 12345u;
      uint32_t off = k < 2 * (int)len ? (uint32_t)(k % 2 ? len - (uint32_t)k / 2 : (uint32_t)k / 2)
                                      : (seed >> 8) % (len + 1);
      if (off > len) off = len;
      /* character boundaries after the byte-order mark (inside a character, bytes count
         one each: test_linecol_invalid_bytes_count_one_each) */
      if ((t == 1 && off < 3) || ((unsigned char)texts[t][off] & 0xC0) == 0x80) continue;
      /* the count from the start */
      uint32_t line = 1, start = 0;
      for (uint32_t i = 0; i < off; i++)
        if (texts[t][i] == '\n') { line++; start = i + 1; }
      if (line == 1 && t == 1 && off >= 3) start = 3;   /* the byte-order mark */
      uint32_t col = 1;
      for (uint32_t i = start; i < off; i++)
        col += ((unsigned char)texts[t][i] & 0xC0) != 0x80;
      LineCol lc = source_linecol(&sm, f, off);
      if (lc.line != line || lc.col != col)
        fail_msg("file %zu offset %u: got %u:%u, want %u:%u", t, off, lc.line, lc.col, line, col);
    }
  }
}

/* ---- reading files ------------------------------------------------------------------ */

static void test_read_file(void **state) {
  (void)state;
  char path[] = "/tmp/plat_test_source_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char text[] = "use local\n\0tail";   /* an embedded NUL survives the read */
  assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
  close(fd);
  uint32_t id = source_read(&sm, path);
  unlink(path);
  assert_int_not_equal(id, UINT32_MAX);
  const SourceFile *f = source_file(&sm, id);
  assert_int_equal(f->len, sizeof text - 1);
  assert_memory_equal(f->text, text, sizeof text - 1);
  assert_string_equal(f->path, path);
}

static void test_read_refusals(void **state) {
  (void)state;
  errno = 0;
  assert_int_equal(source_read(&sm, "/nonexistent/dir/x.plat"), UINT32_MAX);
  assert_int_equal(errno, ENOENT);
  errno = 0;
  assert_int_equal(source_read(&sm, "/tmp"), UINT32_MAX);
  assert_int_equal(errno, EISDIR);
  assert_int_equal(sm.nfiles, 0);   /* nothing added on failure */
}

static void test_read_refuses_oversized_file(void **state) {
  (void)state;
  /* A sparse file one byte past the limit: refused up front with EFBIG, without reading
   * (or allocating) a gigabyte. */
  char path[] = "/tmp/plat_test_source_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (off_t)SOURCE_MAX_BYTES + 1), 0);
  close(fd);
  errno = 0;
  uint32_t id = source_read(&sm, path);
  unlink(path);
  assert_int_equal(id, UINT32_MAX);
  assert_int_equal(errno, EFBIG);
  assert_int_equal(sm.nfiles, 0);
}

static void test_read_empty_file(void **state) {
  (void)state;
  char path[] = "/tmp/plat_test_source_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  uint32_t id = source_read(&sm, path);
  unlink(path);
  assert_int_not_equal(id, UINT32_MAX);
  assert_int_equal(source_file(&sm, id)->len, 0);
  assert_int_equal(source_file(&sm, id)->text[0], 0);
}

/* ---- UTF-8 -------------------------------------------------------------------------- */

static int32_t dec(const char *s, size_t len, int *n) { return utf8_decode(s, len, n); }

static void test_utf8_decode_valid(void **state) {
  (void)state;
  int n;
  assert_int_equal(dec("A", 1, &n), 'A');
  assert_int_equal(n, 1);
  assert_int_equal(dec("\x7F", 1, &n), 0x7F);
  assert_int_equal(dec("\xC2\x80", 2, &n), 0x80);        /* smallest 2-byte */
  assert_int_equal(n, 2);
  assert_int_equal(dec("\xDF\xBF", 2, &n), 0x7FF);
  assert_int_equal(dec("\xE0\xA0\x80", 3, &n), 0x800);   /* smallest 3-byte */
  assert_int_equal(n, 3);
  assert_int_equal(dec("\xED\x9F\xBF", 3, &n), 0xD7FF);  /* just below the surrogates */
  assert_int_equal(dec("\xEE\x80\x80", 3, &n), 0xE000);  /* just above them */
  assert_int_equal(dec("\xEF\xBF\xBF", 3, &n), 0xFFFF);
  assert_int_equal(dec("\xF0\x90\x80\x80", 4, &n), 0x10000);
  assert_int_equal(n, 4);
  assert_int_equal(dec("\xF4\x8F\xBF\xBF", 4, &n), 0x10FFFF);  /* the last scalar value */
  /* Extra bytes after the sequence are not consumed. */
  assert_int_equal(dec("\xC3\xA9xyz", 5, &n), 0xE9);
  assert_int_equal(n, 2);
  /* NUL is a valid code point: rejecting it is the lexer's business (E0010). */
  assert_int_equal(dec("\0", 1, &n), 0);
  assert_int_equal(n, 1);
}

static void test_utf8_decode_invalid(void **state) {
  (void)state;
  int n = 42;
  static const struct { const char *s; size_t len; const char *why; } bad[] = {
      {"", 0, "empty"},
      {"\x80", 1, "lone continuation"},
      {"\xBF", 1, "lone continuation"},
      {"\xC0\x80", 2, "overlong NUL"},
      {"\xC1\xBF", 2, "overlong 2-byte"},
      {"\xE0\x80\x80", 3, "overlong 3-byte"},
      {"\xE0\x9F\xBF", 3, "overlong 3-byte (U+07FF)"},
      {"\xF0\x80\x80\x80", 4, "overlong 4-byte"},
      {"\xF0\x8F\xBF\xBF", 4, "overlong 4-byte (U+FFFF)"},
      {"\xED\xA0\x80", 3, "surrogate U+D800"},
      {"\xED\xBF\xBF", 3, "surrogate U+DFFF"},
      {"\xF4\x90\x80\x80", 4, "U+110000"},
      {"\xF5\x80\x80\x80", 4, "lead F5"},
      {"\xF8\x88\x80\x80\x80", 5, "5-byte form"},
      {"\xFE", 1, "FE"},
      {"\xFF", 1, "FF"},
      {"\xC3", 1, "truncated 2-byte"},
      {"\xE2\x82", 2, "truncated 3-byte"},
      {"\xF0\x9F\x98", 3, "truncated 4-byte"},
      {"\xC3(", 2, "bad continuation"},
      {"\xE2\x28\xA1", 3, "bad second byte"},
      {"\xE2\x82\x28", 3, "bad third byte"},
      {"\xF0\x9F\x98\xC0", 4, "bad fourth byte"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    n = 42;
    int32_t cp = utf8_decode(bad[i].s, bad[i].len, &n);
    if (cp != -1) fail_msg("decoded %s as U+%04X", bad[i].why, (unsigned)cp);
    if (n != 1) fail_msg("%s: invalid sequence must advance by one byte, got %d", bad[i].why, n);
  }
  /* A valid sequence cut by [len] is truncated even if the bytes follow in memory. */
  assert_int_equal(utf8_decode("\xE2\x82\xAC", 2, &n), -1);
}

static void test_utf8_check(void **state) {
  (void)state;
  assert_int_equal(utf8_check("", 0), 0);
  assert_int_equal(utf8_check("plain ascii", 11), 11);
  const char ok[] = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  assert_int_equal(utf8_check(ok, sizeof ok - 1), sizeof ok - 1);
  assert_int_equal(utf8_check("ab\xFF" "cd", 5), 2);
  assert_int_equal(utf8_check("ab\xED\xA0\x80", 5), 2);   /* surrogate */
  assert_int_equal(utf8_check("\xC0\xAF", 2), 0);         /* overlong '/' */
  assert_int_equal(utf8_check("abc\xE2\x82", 5), 3);      /* truncated at the end */
  assert_int_equal(utf8_check("a\0b", 3), 3);             /* NUL is valid UTF-8 */
}

static void test_utf8_encode(void **state) {
  (void)state;
  char out[4];
  assert_int_equal(utf8_encode('A', out), 1);
  assert_int_equal(out[0], 'A');
  assert_int_equal(utf8_encode(0xE9, out), 2);
  assert_memory_equal(out, "\xC3\xA9", 2);
  assert_int_equal(utf8_encode(0x7FF, out), 2);
  assert_int_equal(utf8_encode(0x800, out), 3);
  assert_int_equal(utf8_encode(0x20AC, out), 3);
  assert_memory_equal(out, "\xE2\x82\xAC", 3);
  assert_int_equal(utf8_encode(0xFFFF, out), 3);
  assert_int_equal(utf8_encode(0x1F600, out), 4);
  assert_memory_equal(out, "\xF0\x9F\x98\x80", 4);
  assert_int_equal(utf8_encode(0x10FFFF, out), 4);
  assert_int_equal(utf8_encode(0xD800, out), 0);
  assert_int_equal(utf8_encode(0xDFFF, out), 0);
  assert_int_equal(utf8_encode(0x110000, out), 0);
  assert_int_equal(utf8_encode(0xFFFFFFFFu, out), 0);
}

static void test_utf8_round_trip(void **state) {
  (void)state;
  char out[4];
  for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
    int len = utf8_encode(cp, out);
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      if (len != 0) fail_msg("encoded surrogate U+%04X", (unsigned)cp);
      continue;
    }
    int n;
    int32_t back = utf8_decode(out, (size_t)len, &n);
    if (back != (int32_t)cp || n != len)
      fail_msg("U+%04X: encoded %d bytes, decoded U+%04X in %d", (unsigned)cp, len, (unsigned)back, n);
    if (utf8_check(out, (size_t)len) != (size_t)len) fail_msg("U+%04X fails utf8_check", (unsigned)cp);
  }
}

/* ---- interner ----------------------------------------------------------------------- */

static void test_intern_identity(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  Interner in;
  intern_init(&in, &a);
  const Str *x = intern_cstr(&in, "owner");
  const Str *y = intern(&in, "owner_x", 5);
  const Str *z = intern_cstr(&in, "Owner");
  assert_ptr_equal(x, y);
  assert_ptr_not_equal(x, z);
  assert_int_equal(x->len, 5);
  assert_string_equal(x->s, "owner");
  const Str *e1 = intern(&in, NULL, 0);   /* no bytes: NULL is allowed */
  const Str *e2 = intern_cstr(&in, "");
  assert_ptr_equal(e1, e2);
  assert_int_equal(e1->len, 0);
  assert_string_equal(e1->s, "");
  /* Embedded NUL: "a\0b" and "a" are different strings. */
  const Str *n1 = intern(&in, "a\0b", 3);
  const Str *n2 = intern(&in, "a", 1);
  assert_ptr_not_equal(n1, n2);
  assert_int_equal(n1->len, 3);
  assert_ptr_equal(n1, intern(&in, "a\0b", 3));
  assert_int_equal(in.count, 5);
  intern_free(&in);
  arena_free(&a);
}

static void test_intern_growth(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  Interner in;
  intern_init(&in, &a);
  enum { N = 50000 };   /* several rehashes past the initial table */
  static const Str *got[N];
  char buf[32];
  for (int i = 0; i < N; i++) {
    int len = snprintf(buf, sizeof buf, "name%d", i);
    got[i] = intern(&in, buf, (size_t)len);
    assert_int_equal(got[i]->len, (uint32_t)len);
  }
  assert_int_equal(in.count, N);
  assert_true(in.cap > N);
  assert_true(in.count * 4 <= in.cap * 3);   /* load factor kept */
  for (int i = 0; i < N; i++) {
    int len = snprintf(buf, sizeof buf, "name%d", i);
    const Str *again = intern(&in, buf, (size_t)len);
    if (again != got[i]) fail_msg("'%s' interned twice after rehash", buf);
    assert_string_equal(again->s, buf);
  }
  assert_int_equal(in.count, N);
  intern_free(&in);
  arena_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_add_copies_and_terminates, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_many_files_keep_ids, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_linecol_ascii, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_linecol_crlf, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_linecol_utf8_columns, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_linecol_invalid_bytes_count_one_each, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_empty_file, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_line_start, setup_sm, teardown_sm),
    cmocka_unit_test_setup_teardown(test_linecol_any_order, setup_sm, teardown_sm),
    cmocka_unit_test_setup_teardown(test_linecol_many_lines, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_read_file, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_read_refusals, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_read_empty_file, setup_sm, teardown_sm),
      cmocka_unit_test_setup_teardown(test_read_refuses_oversized_file, setup_sm, teardown_sm),
      cmocka_unit_test(test_utf8_decode_valid),
      cmocka_unit_test(test_utf8_decode_invalid),
      cmocka_unit_test(test_utf8_check),
      cmocka_unit_test(test_utf8_encode),
      cmocka_unit_test(test_utf8_round_trip),
      cmocka_unit_test(test_intern_identity),
      cmocka_unit_test(test_intern_growth),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
