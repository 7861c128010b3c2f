/* Diagnostic list and code table: see diag.h.  Rendering lives in render.c. */
#include "compiler/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct CodeInfo {
  const char *name, *slug, *summary;
  Severity sev;
} CodeInfo;

static const CodeInfo code_table[DIAG__COUNT] = {
#define DIAG(code, sev, slug, summary) {#code, slug, summary, SEV_##sev},
#include "compiler/diag_codes.def"
#undef DIAG
};

const char *diag_code_name(DiagCode c) { return c < DIAG__COUNT ? code_table[c].name : "E????"; }
const char *diag_code_slug(DiagCode c) { return c < DIAG__COUNT ? code_table[c].slug : ""; }
const char *diag_code_summary(DiagCode c) { return c < DIAG__COUNT ? code_table[c].summary : ""; }
Severity diag_code_severity(DiagCode c) { return c < DIAG__COUNT ? code_table[c].sev : SEV_ERROR; }

bool diag_code_parse(const char *name, DiagCode *out) {
  for (int i = 0; i < DIAG__COUNT; i++)
    if (strcasecmp(name, code_table[i].name) == 0) { *out = (DiagCode)i; return true; }
  return false;
}

void diag_init(DiagList *dl, Arena *arena) {
  memset(dl, 0, sizeof *dl);
  dl->arena = arena;
}

void diag_free(DiagList *dl) {
  free(dl->items);
  dl->items = NULL;
  dl->n = dl->cap = 0;
}

static char *vfmt(Arena *a, const char *fmt, va_list ap) {
  va_list cp;
  va_copy(cp, ap);
  int n = vsnprintf(NULL, 0, fmt, cp);
  va_end(cp);
  if (n < 0) n = 0;
  char *s = arena_alloc(a, (size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}


Diag *diag_add(DiagList *dl, DiagCode code, Span span, const char *fmt, ...) {
  Severity sev = diag_code_severity(code);
  if (sev == SEV_ERROR && dl->max_errors && dl->nerrors >= dl->max_errors) {
    if (dl->nerrors == dl->max_errors) {
      /* Lift the limit for this one diagnostic, or the recursive call would drop it too. */
      uint32_t limit = dl->max_errors;
      dl->max_errors = 0;
      diag_add(dl, DIAG_E0105, span, "too many errors (limit is %u); stopping here", limit);
      dl->max_errors = limit;
    }
    memset(&dl->dropped, 0, sizeof dl->dropped);
    return &dl->dropped;
  }
  Diag *d = arena_alloc(dl->arena, sizeof *d);
  d->sev = sev;
  d->code = code;
  d->span = span;
  va_list ap;
  va_start(ap, fmt);
  d->msg = vfmt(dl->arena, fmt, ap);
  va_end(ap);
  if (dl->n == dl->cap) {
    dl->cap = dl->cap ? dl->cap * 2 : 16;
    dl->items = plat_xrealloc(dl->items, dl->cap * sizeof *dl->items);
  }
  dl->items[dl->n++] = d;
  if (sev == SEV_ERROR) dl->nerrors++;
  else if (sev == SEV_WARNING) dl->nwarnings++;
  return d;
}

void diag_label(DiagList *dl, Diag *d, Span span, const char *fmt, ...) {
  if (d == &dl->dropped) return;
  d->labels = arena_grow(dl->arena, d->labels, d->nlabels, d->nlabels + 1, sizeof *d->labels);
  DiagLabel *l = &d->labels[d->nlabels++];
  l->span = span;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    l->msg = vfmt(dl->arena, fmt, ap);
    va_end(ap);
  }
}

void diag_note(DiagList *dl, Diag *d, const char *fmt, ...) {
  if (d == &dl->dropped) return;
  d->notes = arena_grow(dl->arena, d->notes, d->nnotes, d->nnotes + 1, sizeof *d->notes);
  va_list ap;
  va_start(ap, fmt);
  d->notes[d->nnotes++] = vfmt(dl->arena, fmt, ap);
  va_end(ap);
}

void diag_help(DiagList *dl, Diag *d, const char *fmt, ...) {
  if (d == &dl->dropped) return;
  va_list ap;
  va_start(ap, fmt);
  d->help = vfmt(dl->arena, fmt, ap);
  va_end(ap);
}

void diag_fix(DiagList *dl, Diag *d, Span span, const char *text, const char *title) {
  if (d == &dl->dropped) return;
  d->fixes = arena_grow(dl->arena, d->fixes, d->nfixes, d->nfixes + 1, sizeof *d->fixes);
  DiagFix *f = &d->fixes[d->nfixes++];
  f->span = span;
  f->text = arena_strdup(dl->arena, text);
  f->title = title ? arena_strdup(dl->arena, title) : NULL;
}

/* Order: file, start offset, code, message, end offset; ties keep insertion order, so
 * the result never depends on the sort algorithm (qsort is not stable). */
typedef struct SortItem {
  Diag *d;
  uint32_t seq;
} SortItem;

static int diag_cmp(const void *a, const void *b) {
  const SortItem *p = a, *q = b;
  const Diag *x = p->d, *y = q->d;
  if (x->span.file != y->span.file) return x->span.file < y->span.file ? -1 : 1;
  if (x->span.start != y->span.start) return x->span.start < y->span.start ? -1 : 1;
  if (x->code != y->code) return x->code < y->code ? -1 : 1;
  int c = strcmp(x->msg, y->msg);
  if (c) return c;
  if (x->span.end != y->span.end) return x->span.end < y->span.end ? -1 : 1;
  return p->seq < q->seq ? -1 : p->seq > q->seq;
}

void diag_sort(DiagList *dl) {
  if (dl->n < 2) return;
  SortItem *tmp = plat_xmalloc(dl->n * sizeof *tmp);
  for (uint32_t i = 0; i < dl->n; i++) tmp[i] = (SortItem){dl->items[i], i};
  qsort(tmp, dl->n, sizeof *tmp, diag_cmp);
  for (uint32_t i = 0; i < dl->n; i++) dl->items[i] = tmp[i].d;
  free(tmp);
}

/* Damerau-free Levenshtein with a row buffer; names are short. */
static size_t edit_distance(const char *a, const char *b, size_t limit) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return limit + 1;
  size_t row[65];
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t prev = row[0], best = row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t cur = row[j];
      size_t sub = prev + (a[i - 1] != b[j - 1]);
      size_t v = row[j - 1] + 1 < cur + 1 ? row[j - 1] + 1 : cur + 1;
      row[j] = sub < v ? sub : v;
      prev = cur;
      if (row[j] < best) best = row[j];
    }
    if (best > limit) return limit + 1;
  }
  return row[lb];
}

const char *diag_suggest(const char *name, const char *const *cands, uint32_t n) {
  size_t len = strlen(name);
  size_t limit = len < 3 ? 1 : len < 6 ? 2 : 3;
  const char *best = NULL;
  size_t bestd = limit + 1;
  for (uint32_t i = 0; i < n; i++) {
    if (!cands[i] || strcmp(cands[i], name) == 0) continue;
    size_t d = strcasecmp(cands[i], name) == 0 ? 0 : edit_distance(name, cands[i], limit);
    if (d < bestd || (d == bestd && best && strcmp(cands[i], best) < 0)) { best = cands[i]; bestd = d; }
  }
  return bestd <= limit ? best : NULL;
}
