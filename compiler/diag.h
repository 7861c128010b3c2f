/* Diagnostics as values.  The compiler never prints: every pass adds Diags to the DiagList
 * of its compilation; renderers (text, gcc, json, sarif; the LSP) sit at the edge.
 * A Diag has a severity, a stable code (docs/diagnostics.md), a primary span and message,
 * secondary labelled spans, notes, one help line and machine-applicable fixes. */
#ifndef PLAT_DIAG_H
#define PLAT_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler/arena.h"
#include "compiler/source.h"

typedef enum DiagCode {
#define DIAG(code, sev, slug, summary) DIAG_##code,
#include "compiler/diag_codes.def"
#undef DIAG
  DIAG__COUNT
} DiagCode;

typedef enum Severity { SEV_ERROR, SEV_WARNING, SEV_NOTE } Severity;

/* A label whose span equals the Diag's primary span is the primary span's own text:
 * renderers print it after the primary carets (`^^^^ not found in this scope`) instead of
 * as a secondary span.  Labels with SPAN_NO_FILE render as notes. */
typedef struct DiagLabel {
  Span span;
  const char *msg;      /* may be NULL */
} DiagLabel;

/* A replacement of [span] by [text]: "did you mean", add missing properties, ... */
typedef struct DiagFix {
  Span span;
  const char *text;
  const char *title;    /* for an editor's code action */
} DiagFix;

typedef struct Diag {
  Severity sev;
  DiagCode code;
  Span span;
  const char *msg;
  DiagLabel *labels; uint32_t nlabels;
  const char **notes; uint32_t nnotes;
  const char *help;     /* may be NULL */
  DiagFix *fixes; uint32_t nfixes;
} Diag;

typedef struct DiagList {
  Arena *arena;         /* where Diags and their strings live */
  Diag **items; uint32_t n, cap;
  uint32_t nerrors, nwarnings;
  uint32_t max_errors;  /* 0: unlimited; else further errors are dropped after one E0105 */
  Diag dropped;         /* what diag_add returns past the limit, so callers can still
                           attach to it; per list, so compilations never share it */
} DiagList;

void diag_init(DiagList *dl, Arena *arena);
void diag_free(DiagList *dl);     /* frees the index; Diags live in the arena */

/* Add a diagnostic of [code] at [span]; its severity comes from the code table.
 * Returns the Diag so callers can attach labels, notes, help and fixes. */
Diag *diag_add(DiagList *dl, DiagCode code, Span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_label(DiagList *dl, Diag *d, Span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_note(DiagList *dl, Diag *d, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_help(DiagList *dl, Diag *d, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_fix(DiagList *dl, Diag *d, Span span, const char *text, const char *title);

/* Sort by file, offset, code, message and end offset, so output is deterministic whatever
 * the pass order; diagnostics equal in all of those keep their insertion order. */
void diag_sort(DiagList *dl);

/* Code table queries. */
const char *diag_code_name(DiagCode code);       /* "E0200" */
const char *diag_code_slug(DiagCode code);       /* "undefined-name" */
const char *diag_code_summary(DiagCode code);
Severity diag_code_severity(DiagCode code);
/* Parse "E0200" (case-insensitive); returns false if no such code. */
bool diag_code_parse(const char *name, DiagCode *out);

/* "Did you mean": the candidate closest to [name] by edit distance, or NULL if none is
 * close enough to be a plausible typo.  [cands] has [n] entries. */
const char *diag_suggest(const char *name, const char *const *cands, uint32_t n);

#endif
