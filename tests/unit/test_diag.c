/* Unit tests of diagnostics as values (compiler/diag.h): adding with labels, notes, help
 * and fixes; the max_errors cut-off with exactly one E0105; deterministic sorting; the code
 * table (names, slugs, severities, parsing); and diag_suggest's picks and refusals.
 * Rendering is render.c's business and is tested through the golden files. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/diag.h"

static Arena arena;
static DiagList dl;

static int setup(void **state) {
  (void)state;
  arena_init(&arena);
  diag_init(&dl, &arena);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  diag_free(&dl);
  arena_free(&arena);
  return 0;
}

static void test_add_formats_and_counts(void **state) {
  (void)state;
  assert_int_equal(dl.n, 0);
  Diag *d = diag_add(&dl, DIAG_E0200, span_make(0, 10, 14), "undefined name '%s'", "ownr");
  assert_non_null(d);
  assert_int_equal(d->code, DIAG_E0200);
  assert_int_equal(d->sev, SEV_ERROR);
  assert_int_equal(d->span.file, 0);
  assert_int_equal(d->span.start, 10);
  assert_int_equal(d->span.end, 14);
  assert_string_equal(d->msg, "undefined name 'ownr'");
  assert_int_equal(d->nlabels, 0);
  assert_int_equal(d->nnotes, 0);
  assert_null(d->help);
  assert_int_equal(d->nfixes, 0);
  Diag *w = diag_add(&dl, DIAG_W0001, span_make(0, 0, 3), "'%s' is never used", "x");
  assert_int_equal(w->sev, SEV_WARNING);
  assert_int_equal(dl.n, 2);
  assert_ptr_equal(dl.items[0], d);
  assert_ptr_equal(dl.items[1], w);
  assert_int_equal(dl.nerrors, 1);
  assert_int_equal(dl.nwarnings, 1);
  /* The message is copied: a format argument that changes later does not change it. */
  char buf[] = "abc";
  Diag *e = diag_add(&dl, DIAG_E0201, span_make(1, 0, 1), "%s", buf);
  buf[0] = 'X';
  assert_string_equal(e->msg, "abc");
}

static void test_many_diags_grow_the_list(void **state) {
  (void)state;
  for (uint32_t i = 0; i < 1000; i++) diag_add(&dl, DIAG_E0300, span_make(0, i, i + 1), "n%u", i);
  assert_int_equal(dl.n, 1000);
  assert_int_equal(dl.nerrors, 1000);   /* max_errors 0: unlimited */
  for (uint32_t i = 0; i < 1000; i++) assert_int_equal(dl.items[i]->span.start, i);
}

static void test_labels_notes_help_fixes(void **state) {
  (void)state;
  Diag *d = diag_add(&dl, DIAG_E0201, span_make(0, 20, 25), "name 'x' declared twice");
  diag_label(&dl, d, span_make(0, 20, 25), "redeclared %s", "here");
  diag_label(&dl, d, span_make(0, 2, 7), "first declared here");
  diag_label(&dl, d, span_make(0, 30, 31), NULL);
  assert_int_equal(d->nlabels, 3);
  assert_string_equal(d->labels[0].msg, "redeclared here");
  assert_int_equal(d->labels[1].span.start, 2);
  assert_string_equal(d->labels[1].msg, "first declared here");
  assert_null(d->labels[2].msg);
  assert_int_equal(d->labels[2].span.end, 31);

  diag_note(&dl, d, "note %d", 1);
  diag_note(&dl, d, "note %d", 2);
  assert_int_equal(d->nnotes, 2);
  assert_string_equal(d->notes[0], "note 1");
  assert_string_equal(d->notes[1], "note 2");

  diag_help(&dl, d, "did you mean '%s'?", "y");
  assert_string_equal(d->help, "did you mean 'y'?");
  diag_help(&dl, d, "rename it");      /* one help line: the last one wins */
  assert_string_equal(d->help, "rename it");

  char text[] = "owner";
  diag_fix(&dl, d, span_make(0, 20, 25), text, "Rename to 'owner'");
  diag_fix(&dl, d, span_make(0, 40, 40), "\n  path = \"\"", NULL);
  text[0] = 'X';                       /* fix text is copied */
  assert_int_equal(d->nfixes, 2);
  assert_string_equal(d->fixes[0].text, "owner");
  assert_string_equal(d->fixes[0].title, "Rename to 'owner'");
  assert_int_equal(d->fixes[0].span.start, 20);
  assert_string_equal(d->fixes[1].text, "\n  path = \"\"");
  assert_null(d->fixes[1].title);
  assert_int_equal(dl.n, 1);
}

static void test_max_errors_cutoff(void **state) {
  (void)state;
  dl.max_errors = 3;
  for (uint32_t i = 0; i < 10; i++) {
    Diag *d = diag_add(&dl, DIAG_E0100, span_make(0, i * 10, i * 10 + 1), "error %u", i);
    /* Callers can always attach to what diag_add returns, kept or dropped. */
    assert_non_null(d);
    diag_label(&dl, d, span_make(0, 0, 1), "label");
    diag_note(&dl, d, "note");
    diag_help(&dl, d, "help");
    diag_fix(&dl, d, span_make(0, 0, 1), "x", "fix");
  }
  /* Three errors, then exactly one E0105 at the first dropped error, then nothing. */
  assert_int_equal(dl.n, 4);
  for (uint32_t i = 0; i < 3; i++) {
    assert_int_equal(dl.items[i]->code, DIAG_E0100);
    assert_int_equal(dl.items[i]->nlabels, 1);
  }
  Diag *cut = dl.items[3];
  assert_int_equal(cut->code, DIAG_E0105);
  assert_int_equal(cut->sev, SEV_ERROR);
  assert_int_equal(cut->span.start, 30);
  assert_non_null(strstr(cut->msg, "3"));   /* names the limit */
  assert_int_equal(cut->nlabels, 0);        /* the dropped error's label went nowhere */
  assert_true(dl.nerrors >= 4);             /* the run is still a failure */
  /* Warnings are not errors: they still get through after the cut-off. */
  Diag *w = diag_add(&dl, DIAG_W0001, span_make(0, 5, 6), "unused");
  assert_int_equal(dl.n, 5);
  assert_ptr_equal(dl.items[4], w);
  assert_int_equal(dl.nwarnings, 1);
  /* More errors still produce no second E0105. */
  diag_add(&dl, DIAG_E0300, span_make(0, 1, 2), "late");
  assert_int_equal(dl.n, 5);
  uint32_t cuts = 0;
  for (uint32_t i = 0; i < dl.n; i++) cuts += dl.items[i]->code == DIAG_E0105;
  assert_int_equal(cuts, 1);
}

static void test_max_errors_one(void **state) {
  (void)state;
  dl.max_errors = 1;
  diag_add(&dl, DIAG_E0001, span_make(0, 0, 1), "first");
  diag_add(&dl, DIAG_E0002, span_make(0, 1, 2), "second");
  assert_int_equal(dl.n, 2);
  assert_int_equal(dl.items[0]->code, DIAG_E0001);
  assert_int_equal(dl.items[1]->code, DIAG_E0105);
}

/* A fixed permutation of diagnostics, added in two different orders, must sort the same. */
typedef struct Spec { uint32_t file, start, end; DiagCode code; const char *msg; } Spec;
static const Spec specs[] = {
    {1, 5, 6, DIAG_E0300, "b"},     {0, 50, 55, DIAG_E0200, "x"},   {0, 5, 9, DIAG_W0001, "w"},
    {0, 5, 9, DIAG_E0200, "b"},     {0, 5, 9, DIAG_E0200, "a"},     {SPAN_NO_FILE, 0, 0, DIAG_E0505, "io"},
    {0, 0, 1, DIAG_E0001, "utf8"},  {1, 0, 1, DIAG_E0100, "syn"},   {0, 5, 7, DIAG_E0200, "a"},
};
enum { NSPECS = sizeof specs / sizeof specs[0] };
/* The expected order, as indexes into specs. */
static const int sorted_order[NSPECS] = {6, 8, 4, 3, 2, 1, 7, 0, 5};

static void add_spec(DiagList *l, const Spec *s) {
  diag_add(l, s->code, span_make(s->file, s->start, s->end), "%s", s->msg);
}

static void check_sorted(const DiagList *l) {
  for (int i = 0; i < NSPECS; i++) {
    const Spec *s = &specs[sorted_order[i]];
    const Diag *d = l->items[i];
    if (d->span.file != s->file || d->span.start != s->start || d->span.end != s->end ||
        d->code != s->code || strcmp(d->msg, s->msg) != 0)
      fail_msg("position %d: got %s '%s' at %u:%u-%u, want %s '%s' at %u:%u-%u", i,
               diag_code_name(d->code), d->msg, d->span.file, d->span.start, d->span.end,
               diag_code_name(s->code), s->msg, s->file, s->start, s->end);
  }
}

static void test_sort_order(void **state) {
  (void)state;
  for (int i = 0; i < NSPECS; i++) add_spec(&dl, &specs[i]);
  diag_sort(&dl);
  check_sorted(&dl);
  diag_sort(&dl);            /* sorting a sorted list changes nothing */
  check_sorted(&dl);

  Arena a2;
  arena_init(&a2);
  DiagList other;
  diag_init(&other, &a2);
  for (int i = NSPECS - 1; i >= 0; i--) add_spec(&other, &specs[i]);
  diag_sort(&other);
  check_sorted(&other);
  diag_free(&other);
  arena_free(&a2);
}

static void test_sort_ties_keep_insertion_order(void **state) {
  (void)state;
  /* Same file, span, code and message: only the labels differ.  Whatever the sort
   * algorithm, insertion order decides, so output never flips between runs. */
  for (uint32_t i = 0; i < 200; i++) {
    Diag *d = diag_add(&dl, DIAG_E0300, span_make(0, 7 * (i % 3), 20), "same");
    diag_note(&dl, d, "%u", i);
  }
  diag_sort(&dl);
  uint32_t last_start = 0;
  int last_seq = -1;
  for (uint32_t i = 0; i < dl.n; i++) {
    const Diag *d = dl.items[i];
    int seq = atoi(d->notes[0]);
    if (d->span.start != last_start) last_seq = -1;
    assert_true(d->span.start >= last_start);
    if (seq <= last_seq) fail_msg("tie at offset %u out of insertion order: %d after %d", d->span.start, seq, last_seq);
    last_start = d->span.start;
    last_seq = seq;
  }
  /* Empty and single-element lists are fine. */
  Arena a2;
  arena_init(&a2);
  DiagList empty;
  diag_init(&empty, &a2);
  diag_sort(&empty);
  assert_int_equal(empty.n, 0);
  diag_free(&empty);
  arena_free(&a2);
}

static void test_code_table(void **state) {
  (void)state;
  assert_true(DIAG__COUNT > 50);
  for (int i = 0; i < DIAG__COUNT; i++) {
    DiagCode c = (DiagCode)i;
    const char *name = diag_code_name(c);
    /* [EW] and four digits. */
    assert_int_equal(strlen(name), 5);
    assert_true(name[0] == 'E' || name[0] == 'W');
    for (int k = 1; k < 5; k++) assert_true(isdigit((unsigned char)name[k]));
    /* The letter matches the severity. */
    assert_int_equal(diag_code_severity(c), name[0] == 'E' ? SEV_ERROR : SEV_WARNING);
    /* Slugs are kebab-case; summaries are non-empty and have no trailing period. */
    const char *slug = diag_code_slug(c);
    assert_true(strlen(slug) > 0);
    for (const char *p = slug; *p; p++) assert_true(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-');
    const char *sum = diag_code_summary(c);
    assert_true(strlen(sum) > 0);
    assert_true(sum[strlen(sum) - 1] != '.');
    /* Round trip, any case. */
    DiagCode back = DIAG__COUNT;
    assert_true(diag_code_parse(name, &back));
    assert_int_equal(back, c);
    char lower[6];
    for (int k = 0; k < 6; k++) lower[k] = (char)tolower((unsigned char)name[k]);
    back = DIAG__COUNT;
    assert_true(diag_code_parse(lower, &back));
    assert_int_equal(back, c);
    /* Unique names and slugs; codes ascend within each letter (never renumbered). */
    for (int j = 0; j < i; j++) {
      if (strcmp(diag_code_name((DiagCode)j), name) == 0) fail_msg("duplicate code %s", name);
      if (strcmp(diag_code_slug((DiagCode)j), slug) == 0) fail_msg("duplicate slug %s", slug);
      if (diag_code_name((DiagCode)j)[0] == name[0] && strcmp(diag_code_name((DiagCode)j), name) > 0)
        fail_msg("%s listed after %s", name, diag_code_name((DiagCode)j));
    }
  }
  assert_string_equal(diag_code_name(DIAG_E0200), "E0200");
  assert_string_equal(diag_code_slug(DIAG_E0200), "undefined-name");
  assert_string_equal(diag_code_name(DIAG_E0105), "E0105");
  assert_int_equal(diag_code_severity(DIAG_W0001), SEV_WARNING);
  /* Out of range: a placeholder, never a crash. */
  assert_string_equal(diag_code_name(DIAG__COUNT), "E????");
  assert_string_equal(diag_code_slug(DIAG__COUNT), "");
  DiagCode out = DIAG_E0001;
  static const char *const bad[] = {"", "E", "E020", "E02000", "E9999", "X0200", "E0200 ", "0200", "undefined-name"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (diag_code_parse(bad[i], &out)) fail_msg("parsed '%s'", bad[i]);
  }
  assert_int_equal(out, DIAG_E0001);   /* untouched on failure */
}

static void test_suggest_picks(void **state) {
  (void)state;
  const char *const c1[] = {"name", "owner", "region"};
  assert_string_equal(diag_suggest("ownr", c1, 3), "owner");      /* deletion */
  assert_string_equal(diag_suggest("onwer", c1, 3), "owner");     /* transposition = 2 edits */
  assert_string_equal(diag_suggest("regoin", c1, 3), "region");
  assert_string_equal(diag_suggest("Owner", c1, 3), "owner");     /* case only */
  assert_string_equal(diag_suggest("nam", c1, 3), "name");
  const char *const c2[] = {"kitten", "sitting"};
  assert_string_equal(diag_suggest("sittin", c2, 2), "sitting");
  /* The closest wins, whatever the order. */
  const char *const c3[] = {"contents", "content", "context"};
  assert_string_equal(diag_suggest("contnt", c3, 3), "content");
  const char *const c3r[] = {"context", "content", "contents"};
  assert_string_equal(diag_suggest("contnt", c3r, 3), "content");
  /* Ties go to the alphabetically first candidate, so the choice is deterministic. */
  const char *const c4[] = {"pathb", "patha"};
  assert_string_equal(diag_suggest("pathx", c4, 2), "patha");
  const char *const c4r[] = {"patha", "pathb"};
  assert_string_equal(diag_suggest("pathx", c4r, 2), "patha");
  /* NULL candidates are skipped. */
  const char *const c5[] = {NULL, "owner", NULL};
  assert_string_equal(diag_suggest("ownr", c5, 3), "owner");
}

static void test_suggest_refusals(void **state) {
  (void)state;
  const char *const c1[] = {"name", "owner", "region"};
  assert_null(diag_suggest("xyzzy", c1, 3));        /* nothing close */
  assert_null(diag_suggest("owner", c1, 3));        /* the name itself is no suggestion */
  assert_null(diag_suggest("ownr", c1, 0));         /* no candidates */
  assert_null(diag_suggest("ownr", NULL, 0));
  const char *const c2[] = {"ab"};
  assert_null(diag_suggest("xy", c2, 1));           /* short names: at most one edit */
  const char *const c3[] = {"port"};
  assert_null(diag_suggest("pt", c3, 1));           /* two edits on a two-letter name */
  const char *const c4[] = {"replicas"};
  assert_null(diag_suggest("regions", c4, 1));      /* four edits on a long name */
  /* Very long names never match (and never overflow the row buffer). */
  char longa[200], longb[200];
  memset(longa, 'a', sizeof longa - 1);
  longa[sizeof longa - 1] = 0;
  memcpy(longb, longa, sizeof longb);
  longb[0] = 'b';
  const char *const c5[] = {longb};
  assert_null(diag_suggest(longa, c5, 1));
  const char *const c6[] = {"", NULL};
  assert_null(diag_suggest("abcdefgh", c6, 2));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_add_formats_and_counts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_diags_grow_the_list, setup, teardown),
      cmocka_unit_test_setup_teardown(test_labels_notes_help_fixes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_max_errors_cutoff, setup, teardown),
      cmocka_unit_test_setup_teardown(test_max_errors_one, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sort_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sort_ties_keep_insertion_order, setup, teardown),
      cmocka_unit_test(test_code_table),
      cmocka_unit_test(test_suggest_picks),
      cmocka_unit_test(test_suggest_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
