/* Unit tests of the language server's positions and documents (lsp/lsp.h, lsp/docs.h):
 * line tables for \n, \r\n and lone \r; UTF-16 columns for ASCII, 2- and 3-byte code points,
 * surrogate pairs and invalid UTF-8 bytes; clamping past the line, past the document and
 * inside a surrogate pair; and incremental edits (insert, delete, replace across lines,
 * reversed and out-of-range ranges, whole-text replacement, the size limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lsp/docs.h"

static uint32_t off(const char *t, uint32_t line, uint32_t ch) {
  LspLines l = {0};
  lsp_lines_build(&l, t, strlen(t));
  uint32_t o = lsp_offset_at(t, strlen(t), &l, line, ch);
  lsp_lines_free(&l);
  return o;
}

static void pos(const char *t, uint32_t offset, uint32_t want_line, uint32_t want_ch) {
  LspLines l = {0};
  lsp_lines_build(&l, t, strlen(t));
  uint32_t line, ch;
  lsp_position_at(t, strlen(t), &l, offset, &line, &ch);
  lsp_lines_free(&l);
  assert_int_equal(line, want_line);
  assert_int_equal(ch, want_ch);
}

static void test_lines(void **state) {
  (void)state;
  LspLines l = {0};
  const char *t = "a\nb\r\nc\rd";
  lsp_lines_build(&l, t, strlen(t));
  assert_int_equal(l.n, 4);
  assert_int_equal(l.starts[1], 2);
  assert_int_equal(l.starts[2], 5);
  assert_int_equal(l.starts[3], 7);
  lsp_lines_build(&l, "", 0);
  assert_int_equal(l.n, 1);
  lsp_lines_build(&l, "x\n", 2);
  assert_int_equal(l.n, 2);
  lsp_lines_free(&l);
}

static void test_utf16(void **state) {
  (void)state;
  /* "é" is 2 bytes/1 unit, "中" 3 bytes/1 unit, "😀" 4 bytes/2 units */
  const char *t = "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80x";
  assert_int_equal(off(t, 0, 0), 0);
  assert_int_equal(off(t, 0, 1), 2);
  assert_int_equal(off(t, 0, 2), 5);
  assert_int_equal(off(t, 0, 3), 5);    /* inside the surrogate pair: its start */
  assert_int_equal(off(t, 0, 4), 9);
  assert_int_equal(off(t, 0, 5), 10);
  assert_int_equal(off(t, 0, 99), 10);  /* past the line */
  pos(t, 2, 0, 1);
  pos(t, 5, 0, 2);
  pos(t, 7, 0, 2);                      /* inside a code point: its start */
  pos(t, 9, 0, 4);
  pos(t, 10, 0, 5);
  pos(t, 500, 0, 5);                    /* past the end */
  /* invalid bytes count one unit each */
  const char *bad = "\xff\xfe" "a\xc3";
  assert_int_equal(off(bad, 0, 1), 1);
  assert_int_equal(off(bad, 0, 2), 2);
  assert_int_equal(off(bad, 0, 3), 3);
  assert_int_equal(off(bad, 0, 4), 4);
  pos(bad, 4, 0, 4);
}

static void test_line_ends(void **state) {
  (void)state;
  const char *t = "ab\r\ncd\ref\n";
  assert_int_equal(off(t, 0, 5), 2);    /* before the \r\n */
  assert_int_equal(off(t, 1, 0), 4);
  assert_int_equal(off(t, 1, 9), 6);    /* before the lone \r */
  assert_int_equal(off(t, 2, 1), 8);
  assert_int_equal(off(t, 3, 0), 10);   /* the empty last line */
  assert_int_equal(off(t, 4, 0), 10);   /* past the document: its end */
  assert_int_equal(off(t, 4000000, 7), 10);
  pos(t, 3, 0, 2);                      /* between \r and \n: the line's end */
  pos(t, 4, 1, 0);
  pos(t, 7, 2, 0);
  pos(t, 10, 3, 0);
}

static void test_edits(void **state) {
  (void)state;
  LspDoc *d = lsp_doc_new("file:///w/a%20b.plat", "let x = 1\nlet y = 2\n", 20, 1);
  assert_string_equal(d->path, "/w/a b.plat");
  assert_true(lsp_doc_edit(d, 0, 4, 0, 5, "name", 4));                 /* replace */
  assert_string_equal(d->text, "let name = 1\nlet y = 2\n");
  assert_true(lsp_doc_edit(d, 0, 12, 1, 0, "", 0));                    /* join lines */
  assert_string_equal(d->text, "let name = 1let y = 2\n");
  assert_int_equal(d->lines.n, 2);
  assert_true(lsp_doc_edit(d, 0, 12, 0, 12, "\r\n\xf0\x9f\x98\x80\r", 7));   /* insert */
  assert_string_equal(d->text, "let name = 1\r\n\xf0\x9f\x98\x80\rlet y = 2\n");
  assert_int_equal(d->lines.n, 4);
  assert_true(lsp_doc_edit(d, 1, 2, 1, 1, "!", 1));                    /* reversed: at the end */
  assert_string_equal(d->text, "let name = 1\r\n\xf0\x9f\x98\x80!\rlet y = 2\n");
  assert_true(lsp_doc_edit(d, 1, 1, 1, 3, "", 0));                     /* from inside the pair */
  assert_string_equal(d->text, "let name = 1\r\n\rlet y = 2\n");
  assert_true(lsp_doc_edit(d, 90, 0, 99, 9, "end", 3));                /* past the end: appends */
  assert_string_equal(d->text, "let name = 1\r\n\rlet y = 2\nend");
  assert_true(lsp_doc_set(d, "", 0));
  assert_int_equal(d->len, 0);
  assert_int_equal(d->lines.n, 1);
  /* growing by many small edits, then a big one refused without a change */
  for (int i = 0; i < 10000; i++) assert_true(lsp_doc_edit(d, 0, 0, 0, 0, "ab\n", 3));
  assert_int_equal(d->len, 30000);
  assert_int_equal(d->lines.n, 10001);
  assert_false(lsp_doc_edit(d, 0, 0, 0, 0, "x", LSP_MAX_DOCUMENT));
  assert_int_equal(d->len, 30000);
  lsp_doc_free(d);
  LspDoc *u = lsp_doc_new("untitled:Untitled-1", "x", 1, 0);
  assert_null(u->path);
  lsp_doc_free(u);
}

static void test_uris(void **state) {
  (void)state;
  char *p = lsp_uri_to_path("file:///tmp/a%C3%A9%20b/x.plat");
  assert_string_equal(p, "/tmp/a\xc3\xa9 b/x.plat");
  char *u = lsp_path_to_uri(p);
  assert_string_equal(u, "file:///tmp/a%C3%A9%20b/x.plat");
  free(p);
  free(u);
  p = lsp_uri_to_path("file://localhost/etc/x");
  assert_string_equal(p, "/etc/x");
  free(p);
  assert_null(lsp_uri_to_path("file://host/x"));
  assert_null(lsp_uri_to_path("https://x/y"));
  assert_null(lsp_uri_to_path("file:///a%00b"));
  p = lsp_uri_to_path("file:///a%zz");   /* a stray % stays */
  assert_string_equal(p, "/a%zz");
  free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines),
      cmocka_unit_test(test_utf16),
      cmocka_unit_test(test_line_ends),
      cmocka_unit_test(test_edits),
      cmocka_unit_test(test_uris),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
