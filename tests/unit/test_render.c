/* Unit tests for compiler/render.c and compiler/explain.c: hand-made Diags over a source,
 * rendered into memory in every format and compared exactly (text, gcc) or parsed and
 * inspected (json, sarif).  Covers carets under tabs, multi-byte and wide characters,
 * labels, notes, help, multi-line spans, no-file diagnostics, colour, UTF-16 columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "compiler/compiler.h"

/* ---- helpers --------------------------------------------------------------------------- */

static Plat *with_source(const char *path, const char *text, uint32_t *file) {
  Plat *p = plat_new();
  *file = source_add(&p->sources, path, text, strlen(text));
  return p;
}

/* Span of the [nth] (0-based) occurrence of [needle] in file [f]. */
static Span find(Plat *p, uint32_t f, const char *needle, int nth) {
  const char *text = source_file(&p->sources, f)->text, *at = text;
  for (;;) {
    at = strstr(at, needle);
    assert_non_null(at);
    if (nth-- == 0) break;
    at++;
  }
  uint32_t s = (uint32_t)(at - text);
  return span_make(f, s, s + (uint32_t)strlen(needle));
}

/* noinline: GCC otherwise mistakes the memstream buffer for a dangling local */
__attribute__((noinline)) static char *render(Plat *p, PlatFormat fmt, bool color) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  assert_non_null(m);
  plat_render(p, m, fmt, color);
  fclose(m);
  return buf;
}

static void expect_render(Plat *p, PlatFormat fmt, bool color, const char *want) {
  char *got = render(p, fmt, color);
  if (strcmp(got, want) != 0) {
    print_error("--- expected ---\n%s--- got ---\n%s---\n", want, got);
    free(got);
    fail();
  }
  free(got);
}

static json_t *render_json(Plat *p, PlatFormat fmt) {
  char *out = render(p, fmt, false);
  json_error_t err;
  json_t *j = json_loads(out, 0, &err);
  if (!j) print_error("invalid JSON: %s at line %d\n%s\n", err.text, err.line, out);
  free(out);
  assert_non_null(j);
  return j;
}

static json_int_t jint(json_t *o, const char *path) {
  /* "a.b.c" with objects only */
  char buf[128];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *k = strtok(buf, "."); k; k = strtok(NULL, ".")) {
    o = json_object_get(o, k);
    assert_non_null(o);
  }
  assert_true(json_is_integer(o));
  return json_integer_value(o);
}

static const char *jstrv(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  assert_true(json_is_string(v));
  return json_string_value(v);
}

/* ---- text ------------------------------------------------------------------------------ */

static void test_text_primary_label_and_help(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("main.plat", "use local\nlet owner = \"me\"\nlet x = ownr\n", &f);
  Diag *d = diag_add(&p->diags, DIAG_E0200, find(p, f, "ownr", 0), "undefined name 'ownr'");
  diag_label(&p->diags, d, d->span, "not found in this scope");
  diag_help(&p->diags, d, "did you mean 'owner'?");
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0200]: undefined name 'ownr'\n"
                " --> main.plat:3:9\n"
                "  |\n"
                "3 | let x = ownr\n"
                "  |         ^^^^ not found in this scope\n"
                "  |\n"
                "  = help: did you mean 'owner'?\n"
                "\n");
  const char *s = plat_summary(p);
  assert_non_null(s);
  assert_string_equal(s, "1 error");
  plat_free(p);
}

static void test_text_tabs_and_multibyte(void **state) {
  (void)state;
  uint32_t f;
  /* a tab is 4 columns; é is one column in two bytes; 日 is two columns in three bytes */
  Plat *p = with_source("t.plat", "let s =\t\"é日\" + zz\n", &f);
  Diag *d = diag_add(&p->diags, DIAG_E0200, find(p, f, "zz", 0), "undefined name 'zz'");
  diag_label(&p->diags, d, find(p, f, "\"é日\"", 0), "a string");
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0200]: undefined name 'zz'\n"
                " --> t.plat:1:16\n"  /* code points: the tab counts one */
                "  |\n"
                "1 | let s =    \"é日\" + zz\n"
                "  |            -----   ^^\n"
                "  |            |\n"
                "  |            a string\n"
                "\n");
  plat_free(p);
}

static void test_text_two_labels_hang_below(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("t.plat", "let v = aa + bb + cc\n", &f);
  Diag *d = diag_add(&p->diags, DIAG_E0301, find(p, f, "cc", 0), "bad operands");
  diag_label(&p->diags, d, find(p, f, "aa", 0), "first");
  diag_label(&p->diags, d, find(p, f, "bb", 0), "second");
  diag_label(&p->diags, d, d->span, "third");
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0301]: bad operands\n"
                " --> t.plat:1:19\n"
                "  |\n"
                "1 | let v = aa + bb + cc\n"
                "  |         --   --   ^^ third\n"
                "  |         |    |\n"
                "  |         |    second\n"
                "  |         first\n"
                "\n");
  plat_free(p);
}

static void test_text_nearby_lines_and_far_label(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("t.plat",
                        "let a = 1\n"       /* 1 */
                        "let b = 2\n"       /* 2 */
                        "let a = 3\n"       /* 3 */
                        "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"
                        "let a = 4\n",      /* 19 */
                        &f);
  Diag *d = diag_add(&p->diags, DIAG_E0201, find(p, f, "a", 1), "'a' is declared twice");
  diag_label(&p->diags, d, find(p, f, "a", 0), "first declared here");
  diag_note(&p->diags, d, "names are unique in a module");
  /* line 1 and 3: the line between is shown */
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0201]: 'a' is declared twice\n"
                " --> t.plat:3:5\n"
                "  |\n"
                "1 | let a = 1\n"
                "  |     - first declared here\n"
                "2 | let b = 2\n"
                "3 | let a = 3\n"
                "  |     ^\n"
                "  |\n"
                "  = note: names are unique in a module\n"
                "\n");
  plat_free(p);

  p = with_source("t.plat",
                  "let a = 1\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\nlet a = 4\n", &f);
  d = diag_add(&p->diags, DIAG_E0201, find(p, f, "a", 1), "'a' is declared twice");
  diag_label(&p->diags, d, d->span, "declared again");
  diag_label(&p->diags, d, find(p, f, "a", 0), "first declared here");
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0201]: 'a' is declared twice\n"
                "  --> t.plat:19:5\n"
                "   |\n"
                "19 | let a = 4\n"
                "   |     ^ declared again\n"
                "   |\n"
                "  ::: t.plat:1:5\n"
                "   |\n"
                " 1 | let a = 1\n"
                "   |     - first declared here\n"
                "\n");
  plat_free(p);
}

static void test_text_gap_is_elided(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("t.plat", "let a = 1\n\n\n\nlet a = 2\n", &f);
  Diag *d = diag_add(&p->diags, DIAG_E0201, find(p, f, "a", 1), "dup");
  diag_label(&p->diags, d, find(p, f, "a", 0), NULL);
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0201]: dup\n"
                " --> t.plat:5:5\n"
                "  |\n"
                "1 | let a = 1\n"
                "  |     -\n"
                "...\n"
                "5 | let a = 2\n"
                "  |     ^\n"
                "\n");
  plat_free(p);
}

static void test_text_other_file(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("a.plat", "let x = 1\n", &f);
  uint32_t g = source_add(&p->sources, "lib/b.plat", "let x = 2\n", 10);
  Diag *d = diag_add(&p->diags, DIAG_E0201, find(p, g, "x", 0), "dup");
  diag_label(&p->diags, d, find(p, f, "x", 0), "first here");
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0201]: dup\n"
                " --> lib/b.plat:1:5\n"
                "  |\n"
                "1 | let x = 2\n"
                "  |     ^\n"
                "  |\n"
                " ::: a.plat:1:5\n"
                "  |\n"
                "1 | let x = 1\n"
                "  |     - first here\n"
                "\n");
  plat_free(p);
}

static void test_text_multiline_span(void **state) {
  (void)state;
  uint32_t f;
  const char *src = "resource r: local.File {\n  path = \"a\"\n}\n";
  Plat *p = with_source("t.plat", src, &f);
  Diag *d = diag_add(&p->diags, DIAG_E0207, span_make(f, 0, (uint32_t)strlen(src) - 1),
                     "missing required property 'content'");
  diag_label(&p->diags, d, d->span, "this resource");
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0207]: missing required property 'content'\n"
                " --> t.plat:1:1\n"
                "  |\n"
                "1 | resource r: local.File {\n"
                "  | ^^^^^^^^^^^^^^^^^^^^^^^^ this resource\n"
                "...\n"
                "\n");
  plat_free(p);
}

static void test_text_no_file_and_multiline_note(void **state) {
  (void)state;
  Plat *p = plat_new();
  diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0), "cannot read 'nope': No such file");
  expect_render(p, PLAT_FMT_TEXT, false, "error[E0505]: cannot read 'nope': No such file\n\n");
  plat_free(p);

  p = plat_new();
  Diag *d = diag_add(&p->diags, DIAG_E0500, span_make(SPAN_NO_FILE, 0, 0), "import cycle");
  diag_note(&p->diags, d, "a imports b\nb imports a");
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0500]: import cycle\n"
                "  = note: a imports b\n"
                "          b imports a\n"
                "\n");
  plat_free(p);
}

static void test_text_point_at_end_of_file(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("t.plat", "component C {\n", &f);
  Diag *d = diag_add(&p->diags, DIAG_E0100, span_make(f, 14, 14), "unexpected end of file");
  diag_label(&p->diags, d, d->span, "expected '}'");
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0100]: unexpected end of file\n"
                " --> t.plat:1:14\n"
                "  |\n"
                "1 | component C {\n"
                "  |              ^ expected '}'\n"
                "\n");
  plat_free(p);
}

static void test_text_control_characters_are_neutralised(void **state) {
  (void)state;
  uint32_t f;
  /* an ESC in the source and in a message must not reach the terminal */
  Plat *p = with_source("t.plat", "let a = \x1b[31m\n", &f);
  Diag *d = diag_add(&p->diags, DIAG_E0002, span_make(f, 8, 9), "unexpected character '\x1b'");
  (void)d;
  char *out = render(p, PLAT_FMT_TEXT, false);
  assert_null(strchr(out, '\x1b'));
  assert_non_null(strstr(out, "1 | let a = \xe2\x90\x9b[31m\n"));  /* U+241B */
  assert_non_null(strstr(out, "  |         ^\n"));
  free(out);
  out = render(p, PLAT_FMT_GCC, false);
  assert_null(strchr(out, '\x1b'));
  free(out);
  plat_free(p);
}

static void test_text_invalid_utf8_and_wide(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("t.plat", "x \xff 本本 y\n", &f);
  diag_add(&p->diags, DIAG_E0200, find(p, f, "y", 0), "undefined name 'y'");
  expect_render(p, PLAT_FMT_TEXT, false,
                "error[E0200]: undefined name 'y'\n"
                " --> t.plat:1:8\n"
                "  |\n"
                "1 | x \xef\xbf\xbd 本本 y\n"
                "  |          ^\n"
                "\n");
  plat_free(p);
}

static void test_text_colour(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("t.plat", "let x = y\n", &f);
  Diag *d = diag_add(&p->diags, DIAG_E0200, find(p, f, "y", 0), "undefined name 'y'");
  diag_label(&p->diags, d, d->span, "here");
  diag_add(&p->diags, DIAG_W0001, find(p, f, "x", 0), "'x' is never used");
  char *out = render(p, PLAT_FMT_TEXT, true);
  assert_non_null(strstr(out, "\033[1;31merror[E0200]\033[0m\033[1m: undefined name 'y'\033[0m\n"));
  assert_non_null(strstr(out, "\033[1;33mwarning[W0001]\033[0m"));
  assert_non_null(strstr(out, "\033[1;34m1 |\033[0m let x = y\n"));
  assert_non_null(strstr(out, "\033[1;31m^\033[0m \033[1;31mhere\033[0m"));
  free(out);
  out = render(p, PLAT_FMT_TEXT, false);
  assert_null(strchr(out, '\033'));
  free(out);
  plat_free(p);
}

static void test_text_sorted_and_summary(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("t.plat", "let a = b\nlet c = d\n", &f);
  diag_add(&p->diags, DIAG_E0200, find(p, f, "d", 0), "undefined name 'd'");
  diag_add(&p->diags, DIAG_W0001, find(p, f, "a", 0), "'a' is never used");
  diag_add(&p->diags, DIAG_E0200, find(p, f, "b", 0), "undefined name 'b'");
  char *out = render(p, PLAT_FMT_GCC, false);
  assert_string_equal(out,
                      "t.plat:1:5: warning: 'a' is never used [W0001]\n"
                      "t.plat:1:9: error: undefined name 'b' [E0200]\n"
                      "t.plat:2:9: error: undefined name 'd' [E0200]\n");
  free(out);
  assert_string_equal(plat_summary(p), "2 errors, 1 warning");
  plat_free(p);
  p = plat_new();
  assert_null(plat_summary(p));
  plat_free(p);
}

static void test_text_long_line_is_cut(void **state) {
  (void)state;
  uint32_t f;
  char src[1200];
  memset(src, 'a', 1000);
  memcpy(src + 500, " zz ", 4);
  strcpy(src + 1000, "\n");
  Plat *p = with_source("t.plat", src, &f);
  diag_add(&p->diags, DIAG_E0200, find(p, f, "zz", 0), "undefined name 'zz'");
  char *out = render(p, PLAT_FMT_TEXT, false);
  /* the line is shown around the span, cut on both sides, and the caret still lines up */
  const char *line = strstr(out, "1 | ...");
  assert_non_null(line);
  const char *eol = strchr(line, '\n');
  assert_true(eol - line < 260);
  const char *zz = strstr(line, " zz ");
  assert_non_null(zz);
  const char *caret = strstr(eol, "^^");
  assert_non_null(caret);
  assert_int_equal(zz + 1 - line, caret - (eol + 1));
  free(out);
  plat_free(p);
}

/* ---- gcc ------------------------------------------------------------------------------- */

static void test_gcc(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("dir/t.plat", "let x = 1\nlet x = 2\n", &f);
  Diag *d = diag_add(&p->diags, DIAG_E0201, find(p, f, "x", 1), "'x' is declared twice");
  diag_label(&p->diags, d, find(p, f, "x", 0), "first declared here");
  diag_note(&p->diags, d, "a note\non two lines");
  diag_help(&p->diags, d, "rename one");
  diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0), "cannot read 'q'");
  expect_render(p, PLAT_FMT_GCC, false,
                "dir/t.plat:2:5: error: 'x' is declared twice [E0201]\n"
                "dir/t.plat:1:5: note: first declared here\n"
                "dir/t.plat:2:5: note: a note on two lines\n"
                "dir/t.plat:2:5: help: rename one\n"
                "platc: error: cannot read 'q' [E0505]\n");
  plat_free(p);
}

/* ---- json ------------------------------------------------------------------------------ */

static void test_json(void **state) {
  (void)state;
  uint32_t f;
  Plat *p = with_source("t.plat", "let é = ownr\n", &f);
  Diag *d = diag_add(&p->diags, DIAG_E0200, find(p, f, "ownr", 0), "undefined name 'ownr' \xff");
  diag_label(&p->diags, d, d->span, "not found");
  diag_label(&p->diags, d, find(p, f, "é", 0), "other");
  diag_note(&p->diags, d, "n1");
  diag_help(&p->diags, d, "did you mean 'owner'?");
  diag_fix(&p->diags, d, d->span, "owner", "rename to 'owner'");
  diag_add(&p->diags, DIAG_W0001, find(p, f, "é", 0), "'é' is never used");
  diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0), "cannot read 'q'");

  json_t *j = render_json(p, PLAT_FMT_JSON);
  assert_int_equal(jint(j, "version"), 1);
  assert_int_equal(jint(j, "summary.errors"), 2);
  assert_int_equal(jint(j, "summary.warnings"), 1);
  json_t *ds = json_object_get(j, "diagnostics");
  assert_int_equal(json_array_size(ds), 3);
  json_t *w = json_array_get(ds, 0), *e = json_array_get(ds, 1), *io = json_array_get(ds, 2);
  assert_string_equal(jstrv(w, "severity"), "warning");
  assert_string_equal(jstrv(w, "code"), "W0001");
  assert_string_equal(jstrv(e, "severity"), "error");
  assert_string_equal(jstrv(e, "code"), "E0200");
  assert_string_equal(jstrv(e, "name"), "undefined-name");
  assert_string_equal(jstrv(e, "message"), "undefined name 'ownr' \xef\xbf\xbd");  /* U+FFFD */
  assert_string_equal(jstrv(e, "file"), "t.plat");
  assert_int_equal(jint(e, "range.start.line"), 1);
  assert_int_equal(jint(e, "range.start.column"), 9);   /* code points: é is one */
  assert_int_equal(jint(e, "range.start.offset"), 9);   /* bytes */
  assert_int_equal(jint(e, "range.end.column"), 13);
  assert_int_equal(jint(e, "range.end.offset"), 13);
  assert_string_equal(jstrv(e, "label"), "not found");
  json_t *labels = json_object_get(e, "labels");
  assert_int_equal(json_array_size(labels), 1);
  assert_string_equal(jstrv(json_array_get(labels, 0), "message"), "other");
  assert_int_equal(jint(json_array_get(labels, 0), "range.start.column"), 5);
  assert_string_equal(json_string_value(json_array_get(json_object_get(e, "notes"), 0)), "n1");
  assert_string_equal(jstrv(e, "help"), "did you mean 'owner'?");
  json_t *fx = json_array_get(json_object_get(e, "fixes"), 0);
  assert_string_equal(jstrv(fx, "text"), "owner");
  assert_string_equal(jstrv(fx, "title"), "rename to 'owner'");
  assert_int_equal(jint(fx, "range.start.offset"), 9);
  assert_true(json_is_null(json_object_get(io, "file")));
  assert_true(json_is_null(json_object_get(io, "range")));
  assert_true(json_is_null(json_object_get(w, "help")));
  json_decref(j);

  /* deterministic: the same diagnostics render to the same bytes */
  char *a = render(p, PLAT_FMT_JSON, false), *b = render(p, PLAT_FMT_JSON, false);
  assert_string_equal(a, b);
  /* streamed: a header line, one line per diagnostic, the summary line */
  int lines = 0;
  for (const char *q = a; *q; q++) lines += *q == '\n';
  assert_int_equal(lines, 3 + 2);
  assert_true(strncmp(a, "{\"version\":1,\"diagnostics\":[\n{\"severity\":\"warning\"", 48) == 0);
  free(a);
  free(b);
  plat_free(p);

  p = plat_new();
  j = render_json(p, PLAT_FMT_JSON);
  assert_int_equal(json_array_size(json_object_get(j, "diagnostics")), 0);
  assert_int_equal(jint(j, "summary.errors"), 0);
  json_decref(j);
  plat_free(p);
}

/* ---- sarif ----------------------------------------------------------------------------- */

static void test_sarif(void **state) {
  (void)state;
  uint32_t f;
  /* 😀 is one code point, four bytes, two UTF-16 units */
  Plat *p = with_source("./src dir/t.plat", "let s = \"😀\" + zz\n", &f);
  Diag *d = diag_add(&p->diags, DIAG_E0200, find(p, f, "zz", 0), "undefined name 'zz'");
  diag_label(&p->diags, d, find(p, f, "\"😀\"", 0), "a string");
  diag_help(&p->diags, d, "declare it");
  diag_add(&p->diags, DIAG_W0001, find(p, f, "s", 0), "'s' is never used");
  diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0), "cannot read 'q'");

  json_t *j = render_json(p, PLAT_FMT_SARIF);
  assert_string_equal(jstrv(j, "version"), "2.1.0");
  assert_non_null(strstr(jstrv(j, "$schema"), "sarif"));
  json_t *run = json_array_get(json_object_get(j, "runs"), 0);
  assert_non_null(run);
  json_t *driver = json_object_get(json_object_get(run, "tool"), "driver");
  assert_string_equal(jstrv(driver, "name"), "platc");
  assert_string_equal(jstrv(driver, "version"), PLAT_VERSION);
  assert_non_null(strstr(jstrv(driver, "informationUri"), "https://"));
  json_t *rules = json_object_get(driver, "rules");
  assert_int_equal(json_array_size(rules), DIAG__COUNT);
  json_t *r200 = json_array_get(rules, DIAG_E0200);
  assert_string_equal(jstrv(r200, "id"), "E0200");
  assert_string_equal(jstrv(r200, "name"), "undefined-name");
  assert_string_equal(jstrv(json_object_get(r200, "shortDescription"), "text"), "undefined name");
  assert_true(json_is_string(json_object_get(json_object_get(r200, "fullDescription"), "text")));
  assert_non_null(strstr(jstrv(r200, "helpUri"), "diagnostics.md#e0200"));
  assert_string_equal(jstrv(json_object_get(r200, "defaultConfiguration"), "level"), "error");
  assert_string_equal(
      jstrv(json_object_get(json_array_get(rules, DIAG_W0001), "defaultConfiguration"), "level"),
      "warning");
  assert_string_equal(jstrv(run, "columnKind"), "utf16CodeUnits");

  json_t *results = json_object_get(run, "results");
  assert_int_equal(json_array_size(results), 2);  /* the no-file one is a notification */
  json_t *res = json_array_get(results, 1);
  assert_string_equal(jstrv(res, "ruleId"), "E0200");
  assert_int_equal(jint(res, "ruleIndex"), DIAG_E0200);
  assert_string_equal(jstrv(res, "level"), "error");
  assert_string_equal(jstrv(json_object_get(res, "message"), "text"),
                      "undefined name 'zz'\nhelp: declare it");
  json_t *phys = json_object_get(json_array_get(json_object_get(res, "locations"), 0), "physicalLocation");
  json_t *art = json_object_get(phys, "artifactLocation");
  assert_string_equal(jstrv(art, "uri"), "src%20dir/t.plat");
  assert_string_equal(jstrv(art, "uriBaseId"), "%SRCROOT%");
  json_t *region = json_object_get(phys, "region");
  assert_int_equal(jint(region, "startLine"), 1);
  assert_int_equal(jint(region, "startColumn"), 16);  /* 15 code points + 1 for 😀 */
  assert_int_equal(jint(region, "endLine"), 1);
  assert_int_equal(jint(region, "endColumn"), 18);
  json_t *rel = json_array_get(json_object_get(res, "relatedLocations"), 0);
  assert_non_null(rel);
  assert_string_equal(jstrv(json_object_get(rel, "message"), "text"), "a string");
  assert_int_equal(jint(rel, "physicalLocation.region.startColumn"), 9);
  assert_int_equal(jint(rel, "physicalLocation.region.endColumn"), 13);
  const char *fp = jstrv(json_object_get(res, "partialFingerprints"), "platcFingerprint/v1");
  assert_int_equal(strlen(fp), 64);
  json_t *w = json_array_get(results, 0);
  assert_string_equal(jstrv(w, "level"), "warning");
  assert_int_equal(jint(w, "ruleIndex"), DIAG_W0001);

  json_t *inv = json_array_get(json_object_get(run, "invocations"), 0);
  assert_true(json_is_false(json_object_get(inv, "executionSuccessful")));
  json_t *nt = json_array_get(json_object_get(inv, "toolExecutionNotifications"), 0);
  assert_string_equal(jstrv(json_object_get(nt, "associatedRule"), "id"), "E0505");
  json_decref(j);
  plat_free(p);
}

static void test_sarif_fingerprint_is_stable_across_lines(void **state) {
  (void)state;
  uint32_t f;
  const char *fps[2];
  json_t *js[2];
  const char *srcs[2] = {"let x = y\n", "\n\n// moved down\nlet x = y\n"};
  for (int i = 0; i < 2; i++) {
    Plat *p = with_source("t.plat", srcs[i], &f);
    diag_add(&p->diags, DIAG_E0200, find(p, f, "y", 0), "undefined name 'y'");
    js[i] = render_json(p, PLAT_FMT_SARIF);
    json_t *res = json_array_get(json_object_get(json_array_get(json_object_get(js[i], "runs"), 0), "results"), 0);
    fps[i] = jstrv(json_object_get(res, "partialFingerprints"), "platcFingerprint/v1");
    plat_free(p);
  }
  assert_string_equal(fps[0], fps[1]);
  char *alone = strdup(fps[0]);
  json_decref(js[0]);
  json_decref(js[1]);

  /* two identical results in one file still get distinct fingerprints */
  Plat *p = with_source("t.plat", "let x = y\nlet z = y\n", &f);
  diag_add(&p->diags, DIAG_E0200, find(p, f, "y", 1), "undefined name 'y'");
  diag_add(&p->diags, DIAG_E0200, find(p, f, "y", 0), "undefined name 'y'");
  json_t *j = render_json(p, PLAT_FMT_SARIF);
  json_t *results = json_object_get(json_array_get(json_object_get(j, "runs"), 0), "results");
  assert_int_equal(json_array_size(results), 2);
  const char *a = jstrv(json_object_get(json_array_get(results, 0), "partialFingerprints"), "platcFingerprint/v1");
  const char *b = jstrv(json_object_get(json_array_get(results, 1), "partialFingerprints"), "platcFingerprint/v1");
  assert_string_not_equal(a, b);
  /* the first in the file is ordinal 0: the same as when it is alone */
  assert_string_equal(a, alone);
  free(alone);
  json_decref(j);
  plat_free(p);
}

static void test_sarif_result_limit(void **state) {
  (void)state;
  /* 25,010 results: code scanning takes 25,000, so the 10 errors (last in the file) are
   * kept, 10 warnings are left out, and a notification says so */
  enum { N = 25010, ERRORS = 10 };
  char *src = malloc((size_t)N * 8 + 1);
  for (int i = 0; i < N; i++) memcpy(src + (size_t)i * 8, "let a=b\n", 8);
  src[(size_t)N * 8] = 0;
  uint32_t f;
  Plat *p = with_source("t.plat", src, &f);
  free(src);
  for (uint32_t i = 0; i < N; i++) {
    Span sp = span_make(f, i * 8 + 6, i * 8 + 7);
    if (i >= N - ERRORS) diag_add(&p->diags, DIAG_E0200, sp, "undefined name 'b'");
    else diag_add(&p->diags, DIAG_W0001, sp, "'b' is never used");
  }
  json_t *j = render_json(p, PLAT_FMT_SARIF);
  json_t *run = json_array_get(json_object_get(j, "runs"), 0);
  json_t *results = json_object_get(run, "results");
  assert_int_equal(json_array_size(results), 25000);
  int errors = 0;
  for (size_t i = 0; i < json_array_size(results); i++)
    errors += strcmp(jstrv(json_array_get(results, i), "level"), "error") == 0;
  assert_int_equal(errors, ERRORS);
  json_t *nt = json_array_get(
      json_object_get(json_array_get(json_object_get(run, "invocations"), 0), "toolExecutionNotifications"), 0);
  assert_non_null(nt);
  assert_non_null(strstr(jstrv(json_object_get(nt, "message"), "text"), "10 more results were left out"));
  json_decref(j);
  plat_free(p);
}

/* ---- explain --------------------------------------------------------------------------- */

static void test_explain_every_code(void **state) {
  (void)state;
  for (int i = 0; i < DIAG__COUNT; i++) {
    DiagCode c = (DiagCode)i;
    size_t len;
    const char *t = plat_explain(c, &len);
    if (!t) print_error("no section for %s in docs/diagnostics.md\n", diag_code_name(c));
    assert_non_null(t);
    char head[160];
    snprintf(head, sizeof head, "## %s: %s\n", diag_code_name(c), diag_code_summary(c));
    if (len < strlen(head) || memcmp(t, head, strlen(head)) != 0)
      print_error("section of %s should start with '%s'\n", diag_code_name(c), head);
    assert_true(len > strlen(head) && memcmp(t, head, strlen(head)) == 0);
    /* the section is one code's: it does not run into the next one */
    for (size_t k = 0; k + 4 <= len; k++) assert_false(memcmp(t + k, "\n## ", 4) == 0);
    assert_true(t[len - 1] != '\n');
  }
  size_t len = 1;
  assert_null(plat_explain(DIAG__COUNT, &len));
  assert_int_equal(len, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_primary_label_and_help),
      cmocka_unit_test(test_text_tabs_and_multibyte),
      cmocka_unit_test(test_text_two_labels_hang_below),
      cmocka_unit_test(test_text_nearby_lines_and_far_label),
      cmocka_unit_test(test_text_gap_is_elided),
      cmocka_unit_test(test_text_other_file),
      cmocka_unit_test(test_text_multiline_span),
      cmocka_unit_test(test_text_no_file_and_multiline_note),
      cmocka_unit_test(test_text_point_at_end_of_file),
      cmocka_unit_test(test_text_control_characters_are_neutralised),
      cmocka_unit_test(test_text_invalid_utf8_and_wide),
      cmocka_unit_test(test_text_colour),
      cmocka_unit_test(test_text_sorted_and_summary),
      cmocka_unit_test(test_text_long_line_is_cut),
      cmocka_unit_test(test_gcc),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_sarif),
      cmocka_unit_test(test_sarif_fingerprint_is_stable_across_lines),
      cmocka_unit_test(test_sarif_result_limit),
      cmocka_unit_test(test_explain_every_code),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
