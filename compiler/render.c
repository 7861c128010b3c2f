/* Rendering diagnostics at the edge: text (rustc-like, source snippets with carets), gcc
 * one-liners for editors' problem matchers, versioned JSON and SARIF 2.1.0 for code
 * scanning.  Reads p->diags and p->sources and only sorts the list; never decides what is
 * an error.  Columns: text, gcc and JSON count code points; SARIF counts UTF-16 code units,
 * its default.  docs/cli.md documents every format; docs/diagnostics.md explains codes. */
#include "compiler/compiler.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAB_WIDTH 4       /* a tab in a snippet is this many spaces, so carets line up */
#define NEAR_LINES 8      /* labels this close to the primary share its snippet */
#define MAX_LINE_COLS 200 /* longer source lines are cut around the annotations */
#define SARIF_MAX_RESULTS 25000 /* GitHub code scanning rejects runs with more results */

/* Where the reference lives online: SARIF rule help links and the tool's home page. */
#define PLAT_HOME_URL "https://github.com/plat-lang/platc"
#define PLAT_DIAG_DOC_URL PLAT_HOME_URL "/blob/main/docs/diagnostics.md"

/* ---- text cleaning ---------------------------------------------------------------------
 * Source lines and messages are untrusted: control bytes, invalid UTF-8 and invisible
 * bidi controls would corrupt a terminal or hide text ("Trojan source"), so each code
 * point is mapped to what we print and how many columns it takes. */

static bool in_ranges(uint32_t c, const uint32_t (*r)[2], size_t n) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (c < r[mid][0]) hi = mid;
    else if (c > r[mid][1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/* Combining marks: they take no column of their own. */
static const uint32_t zero_width[][2] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF}, {0x05C1, 0x05C2},
    {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A}, {0x064B, 0x065F}, {0x0670, 0x0670},
    {0x06D6, 0x06DC}, {0x06DF, 0x06E4}, {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x0900, 0x0902},
    {0x093A, 0x093A}, {0x093C, 0x093C}, {0x0941, 0x0948}, {0x094D, 0x094D}, {0x0951, 0x0957},
    {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
    {0x20D0, 0x20FF}, {0x302A, 0x302D}, {0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
    {0xE0100, 0xE01EF},
};
/* East Asian wide and fullwidth, and emoji presented as wide: two columns. */
static const uint32_t wide[][2] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
    {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
    {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x3029},
    {0x302E, 0x303E},   {0x3041, 0x3098},   {0x309B, 0x33FF},   {0x3400, 0x4DBF},
    {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},
    {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},
    {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4}, {0x17000, 0x18AFF}, {0x1B000, 0x1B2FF},
    {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A},
    {0x1F200, 0x1F251}, {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB},
    {0x1F90C, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};
/* Invisible format characters that can make text read differently than it parses. */
static const uint32_t invisible[][2] = {
    {0x00AD, 0x00AD}, {0x061C, 0x061C}, {0x200B, 0x200F}, {0x2028, 0x202E},
    {0x2060, 0x2064}, {0x2066, 0x2069}, {0xFEFF, 0xFEFF},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One glyph of [s] (at most [len] bytes): sets *n to the bytes consumed, fills [out] (room
 * for TAB_WIDTH or 4 bytes) with what to print, *outlen its length; returns its columns. */
static int glyph(const char *s, size_t len, int *n, char *out, int *outlen) {
  unsigned char b = (unsigned char)s[0];
  if (b == '\t') {
    *n = 1;
    memset(out, ' ', TAB_WIDTH);
    *outlen = TAB_WIDTH;
    return TAB_WIDTH;
  }
  if (b < 0x20 || b == 0x7F) {  /* control picture: U+2400 + b, U+2421 for DEL */
    *n = 1;
    *outlen = utf8_encode(b == 0x7F ? 0x2421u : 0x2400u + b, out);
    return 1;
  }
  if (b < 0x80) {
    *n = 1;
    out[0] = (char)b;
    *outlen = 1;
    return 1;
  }
  int32_t cp = utf8_decode(s, len, n);
  if (cp < 0 || cp < 0xA0 || in_ranges((uint32_t)cp, invisible, NELEM(invisible))) {
    if (cp < 0) *n = 1;
    *outlen = utf8_encode(0xFFFD, out);
    return 1;
  }
  memcpy(out, s, (size_t)*n);
  *outlen = *n;
  if (in_ranges((uint32_t)cp, zero_width, NELEM(zero_width))) return 0;
  return in_ranges((uint32_t)cp, wide, NELEM(wide)) ? 2 : 1;
}

/* Columns taken by the first [len] bytes of [s]. */
static uint32_t text_width(const char *s, size_t len) {
  uint32_t w = 0;
  char out[8];
  for (size_t i = 0; i < len;) {
    int n, ol;
    w += (uint32_t)glyph(s + i, len - i, &n, out, &ol);
    i += (size_t)n;
  }
  return w;
}

/* Print [s] cleaned.  A newline becomes [nl] (NULL: a space), so multi-line notes stay
 * indented under their `= note:` and gcc lines stay one line each. */
static void put_clean(FILE *out, const char *s, const char *nl) {
  if (!s) return;
  size_t len = strlen(s);
  char buf[8];
  for (size_t i = 0; i < len;) {
    if (s[i] == '\n') {
      fputs(nl ? nl : " ", out);
      i++;
      continue;
    }
    if (s[i] == '\t') { fputc(' ', out); i++; continue; }
    int n, ol;
    glyph(s + i, len - i, &n, buf, &ol);
    fwrite(buf, 1, (size_t)ol, out);
    i += (size_t)n;
  }
}

/* ---- spans ------------------------------------------------------------------------- */

static const SourceFile *span_source(Plat *p, Span s) {
  return s.file == SPAN_NO_FILE ? NULL : source_file(&p->sources, s.file);
}

/* Clamp a span to its file; a point at the very end of a file that ends in a newline is
 * moved onto that newline, so the caret sits after the last text, not on a phantom line. */
static Span span_norm(Plat *p, Span s) {
  const SourceFile *f = span_source(p, s);
  if (!f) return s;
  if (s.start > f->len) s.start = f->len;
  if (s.end > f->len) s.end = f->len;
  if (s.end < s.start) s.end = s.start;
  if (s.start == s.end && s.start == f->len && f->len > 0 && f->text[f->len - 1] == '\n')
    s.start = s.end = f->len - 1;
  return s;
}

static bool span_eq(Span a, Span b) {
  return a.file == b.file && a.start == b.start && a.end == b.end;
}

static const char *sev_name(Severity s) {
  return s == SEV_ERROR ? "error" : s == SEV_WARNING ? "warning" : "note";
}

/* The text of the label on the primary span itself (diag.h), or NULL. */
static const char *primary_label(const Diag *d) {
  for (uint32_t i = 0; i < d->nlabels; i++)
    if (span_eq(d->labels[i].span, d->span)) return d->labels[i].msg;
  return NULL;
}

/* Is label [i] drawn as a secondary span (rather than as the primary's text)? */
static bool is_secondary(const Diag *d, uint32_t i) {
  if (!span_eq(d->labels[i].span, d->span)) return true;
  for (uint32_t k = 0; k < i; k++)
    if (span_eq(d->labels[k].span, d->span)) return true;  /* a second one: draw it */
  return false;
}

/* ---- text -------------------------------------------------------------------------- */

typedef struct Style {
  const char *error, *warning, *note, *help, *gutter, *secondary, *bold, *reset;
} Style;
static const Style plain = {"", "", "", "", "", "", "", ""};
static const Style ansi = {"\033[1;31m", "\033[1;33m", "\033[1;32m", "\033[1;36m",
                           "\033[1;34m", "\033[1;34m", "\033[1m",    "\033[0m"};

static const char *sev_color(const Style *st, Severity s) {
  return s == SEV_ERROR ? st->error : s == SEV_WARNING ? st->warning : st->note;
}

/* One underlined span on one source line. */
typedef struct Annot {
  uint32_t file, line;    /* line is 1-based */
  uint32_t dstart, dend;  /* display columns on that line, 0-based, end exclusive */
  uint32_t offset;        /* byte offset of the span start, for ordering and ::: */
  bool primary, multiline;
  const char *msg;
  int group;              /* the snippet it is drawn in */
} Annot;

typedef struct TextCtx {
  Plat *p;
  FILE *out;
  const Style *st;
  Severity sev;
  int width;              /* digits of the largest line number shown */
  uint32_t cut;           /* display columns cut from the left of the current line */
} TextCtx;

/* Line [line] of [file] as shown: a byte-order mark opening the file is not part of the
 * text (the lexer skips it, editors hide it), so it is neither printed nor counted.
 * Sets *len, and *start to the byte offset where the shown text begins. */
static const char *shown_line(Plat *p, uint32_t file, uint32_t line, uint32_t *len,
                              uint32_t *start) {
  const char *text = source_line(&p->sources, file, line, len);
  *start = source_line_start(&p->sources, file, line);
  if (text && line == 1 && *len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
    text += 3;
    *len -= 3;
    *start += 3;
  }
  return text;
}

static Annot make_annot(Plat *p, Span s, bool primary, const char *msg) {
  Annot a = {0};
  s = span_norm(p, s);
  a.file = s.file;
  a.primary = primary;
  a.msg = msg && *msg ? msg : NULL;
  a.offset = s.start;
  LineCol lc = source_linecol(&p->sources, s.file, s.start);
  a.line = lc.line;
  uint32_t ls = 0, llen = 0;
  const char *text = shown_line(p, s.file, lc.line, &llen, &ls);
  if (!text) { text = ""; llen = 0; }
  uint32_t bs = s.start > ls ? s.start - ls : 0, be = s.end > ls ? s.end - ls : 0;
  if (bs > llen) bs = llen;
  if (be > llen) {  /* runs past this line: carets to its end, then `...` */
    uint32_t last = s.end > s.start ? s.end - 1 : s.end;
    a.multiline = source_linecol(&p->sources, s.file, last).line > lc.line;
    be = llen;
  }
  a.dstart = text_width(text, bs);
  a.dend = text_width(text, be);
  if (a.dend <= a.dstart) a.dend = a.dstart + 1;
  return a;
}

static void gutter(TextCtx *c, const char *lineno) {
  fprintf(c->out, "%s%*s |%s", c->st->gutter, c->width, lineno ? lineno : "", c->st->reset);
}

/* A source line: gutter, then the text cleaned (tabs expanded), cut to MAX_LINE_COLS around
 * [c->cut]. */
static void put_source_line(TextCtx *c, uint32_t file, uint32_t line) {
  char num[16];
  snprintf(num, sizeof num, "%u", line);
  gutter(c, num);
  uint32_t len = 0, start = 0;
  const char *text = shown_line(c->p, file, line, &len, &start);
  if (!text || len == 0) { fputc('\n', c->out); return; }
  fputc(' ', c->out);
  if (c->cut) fputs("...", c->out);
  uint32_t col = 0;
  char buf[8];
  for (uint32_t i = 0; i < len;) {
    int n, ol;
    int w = glyph(text + i, len - i, &n, buf, &ol);
    if (col >= c->cut && col + (uint32_t)w <= c->cut + MAX_LINE_COLS) fwrite(buf, 1, (size_t)ol, c->out);
    if (col + (uint32_t)w > c->cut + MAX_LINE_COLS) { fputs("...", c->out); break; }
    col += (uint32_t)w;
    i += (uint32_t)n;
  }
  fputc('\n', c->out);
}

static const char *annot_color(TextCtx *c, const Annot *a) {
  return a->primary ? sev_color(c->st, c->sev) : c->st->secondary;
}

/* Column of [a] on screen after the gutter, given the left cut ("..." takes 3). */
static uint32_t screen_col(TextCtx *c, uint32_t dcol) {
  if (!c->cut) return dcol;
  return dcol >= c->cut ? dcol - c->cut + 3 : 0;
}

/* The rows under one source line: the underline (^ primary, - secondary), the rightmost
 * label inline when nothing else extends past its start, the others hung below on bars:
 *     |     ---  ^^^ inline
 *     |     |
 *     |     other
 */
static void put_annot_rows(TextCtx *c, Annot **as, int n) {
  uint32_t width = 0;
  for (int i = 0; i < n; i++) {
    uint32_t e = screen_col(c, as[i]->dend);
    if (e > width) width = e;
  }
  if (width > MAX_LINE_COLS + 8) width = MAX_LINE_COLS + 8;
  char *kind = plat_xcalloc(width + 1, 1);
  /* Widest first, so a span nested in another (an argument inside the call underlined as
   * primary) stays visible over it; between equal widths the primary is drawn last and
   * wins.  Insertion sort of indices: a handful of annotations at most. */
  int *order = plat_xmalloc((size_t)n * sizeof *order);
  for (int i = 0; i < n; i++) {
    int j = i;
    for (; j > 0; j--) {
      const Annot *a = as[order[j - 1]], *b = as[i];
      uint32_t wa = a->dend - a->dstart, wb = b->dend - b->dstart;
      if (wa > wb || (wa == wb && (!a->primary || b->primary))) break;
      order[j] = order[j - 1];
    }
    order[j] = i;
  }
  for (int o = 0; o < n; o++) {
    const Annot *a = as[order[o]];
    uint32_t s = screen_col(c, a->dstart), e = screen_col(c, a->dend);
    if (e > width) e = width;
    if (e <= s && s < width) e = s + 1;
    for (uint32_t k = s; k < e; k++) kind[k] = a->primary ? '^' : '-';
  }
  free(order);
  /* which label goes inline: the one starting rightmost, if nothing reaches past it */
  int inl = -1;
  for (int i = 0; i < n; i++)
    if (inl < 0 || as[i]->dstart > as[inl]->dstart ||
        (as[i]->dstart == as[inl]->dstart && as[i]->primary))
      inl = i;
  for (int i = 0; i < n && inl >= 0; i++)
    if (i != inl && as[i]->dend > as[inl]->dstart) inl = -1;
  if (inl >= 0 && !as[inl]->msg) inl = -1;

  gutter(c, NULL);
  fputc(' ', c->out);
  for (uint32_t k = 0; k < width;) {
    uint32_t j = k;
    while (j < width && kind[j] == kind[k]) j++;
    if (kind[k]) {
      fputs(kind[k] == '^' ? sev_color(c->st, c->sev) : c->st->secondary, c->out);
      for (uint32_t q = k; q < j; q++) fputc(kind[k], c->out);
      fputs(c->st->reset, c->out);
    } else {
      for (uint32_t q = k; q < j; q++) fputc(' ', c->out);
    }
    k = j;
  }
  if (inl >= 0) {
    fprintf(c->out, " %s", annot_color(c, as[inl]));
    put_clean(c->out, as[inl]->msg, NULL);
    fputs(c->st->reset, c->out);
  }
  fputc('\n', c->out);
  free(kind);

  /* the others, ordered by start column, hung below */
  Annot **below = plat_xmalloc((size_t)n * sizeof *below);
  int nb = 0;
  for (int i = 0; i < n; i++)
    if (i != inl && as[i]->msg) below[nb++] = as[i];
  for (int i = 1; i < nb; i++)  /* insertion sort: a handful at most */
    for (int j = i; j > 0 && below[j]->dstart < below[j - 1]->dstart; j--) {
      Annot *t = below[j]; below[j] = below[j - 1]; below[j - 1] = t;
    }
  for (int row = nb; row >= 0 && nb > 0; row--) {
    /* row nb: bars for all; row r < nb: bars for 0..r-1, message of r */
    gutter(c, NULL);
    fputc(' ', c->out);
    uint32_t col = 0;
    int bars = row == nb ? nb : row;
    for (int i = 0; i < bars; i++) {
      uint32_t at = screen_col(c, below[i]->dstart);
      if (at < col) continue;
      for (; col < at; col++) fputc(' ', c->out);
      fprintf(c->out, "%s|%s", annot_color(c, below[i]), c->st->reset);
      col++;
    }
    if (row < nb) {
      uint32_t at = screen_col(c, below[row]->dstart);
      for (; col < at; col++) fputc(' ', c->out);
      fputs(annot_color(c, below[row]), c->out);
      put_clean(c->out, below[row]->msg, NULL);
      fputs(c->st->reset, c->out);
    }
    fputc('\n', c->out);
  }
  free(below);
}

static int annot_cmp(const void *x, const void *y) {
  const Annot *a = x, *b = y;
  if (a->file != b->file) return a->file < b->file ? -1 : 1;
  if (a->offset != b->offset) return a->offset < b->offset ? -1 : 1;
  return a->dend < b->dend ? -1 : a->dend > b->dend;
}

/* One snippet: every annotated line of group [g], in order, with the lines in between
 * shown when there is one, `...` when there are more. */
static void put_group(TextCtx *c, Annot *as, int n, int g) {
  Annot **line_as = plat_xmalloc((size_t)n * sizeof *line_as);
  uint32_t prev = 0, file = 0;
  bool elided = false;
  for (int i = 0; i < n;) {
    if (as[i].group != g) { i++; continue; }
    uint32_t line = as[i].line;
    file = as[i].file;
    int k = 0;
    for (int j = 0; j < n; j++)
      if (as[j].group == g && as[j].line == line) line_as[k++] = &as[j];
    if (prev && !elided) {
      if (line == prev + 2) put_source_line(c, file, prev + 1);
      else if (line > prev + 2) fprintf(c->out, "...\n");
    }
    /* a line far wider than the terminal is cut to a window around its annotations */
    uint32_t lo = UINT32_MAX, hi = 0;
    for (int j = 0; j < k; j++) {
      if (line_as[j]->dstart < lo) lo = line_as[j]->dstart;
      if (line_as[j]->dend > hi) hi = line_as[j]->dend;
    }
    c->cut = hi > MAX_LINE_COLS && lo > 40 ? lo - 20 : 0;
    put_source_line(c, file, line);
    put_annot_rows(c, line_as, k);
    c->cut = 0;
    elided = false;
    for (int j = 0; j < k; j++)
      if (line_as[j]->multiline) elided = true;
    if (elided) fprintf(c->out, "...\n");
    prev = line;
    while (i < n && (as[i].group != g || as[i].line <= line)) i++;
  }
  free(line_as);
}

static void put_location(TextCtx *c, const char *arrow, uint32_t file, uint32_t offset) {
  const SourceFile *f = source_file(&c->p->sources, file);
  LineCol lc = source_linecol(&c->p->sources, file, offset);
  fprintf(c->out, "%*s%s%s%s ", c->width, "", c->st->gutter, arrow, c->st->reset);
  put_clean(c->out, f->path, NULL);
  fprintf(c->out, ":%u:%u\n", lc.line, lc.col);
}

static void render_text_diag(Plat *p, FILE *out, const Diag *d, const Style *st) {
  TextCtx c = {p, out, st, d->sev, 1, 0};
  fprintf(out, "%s%s[%s]%s%s: ", sev_color(st, d->sev), sev_name(d->sev), diag_code_name(d->code),
          st->reset, st->bold);
  put_clean(out, d->msg, NULL);
  fprintf(out, "%s\n", st->reset);

  /* annotations: the primary first, then secondary labels by position */
  Annot *as = plat_xmalloc(((size_t)d->nlabels + 1) * sizeof *as);
  int n = 0;
  bool has_primary = span_source(p, d->span) != NULL;
  if (has_primary) as[n++] = make_annot(p, d->span, true, primary_label(d));
  const char **nofile = plat_xmalloc(((size_t)d->nlabels + 1) * sizeof *nofile);
  int nnofile = 0;
  for (uint32_t i = 0; i < d->nlabels; i++) {
    if (!is_secondary(d, i) && has_primary) continue;
    if (!span_source(p, d->labels[i].span)) {
      if (d->labels[i].msg && *d->labels[i].msg) nofile[nnofile++] = d->labels[i].msg;
      continue;
    }
    as[n++] = make_annot(p, d->labels[i].span, false, d->labels[i].msg);
  }
  int first = has_primary ? 1 : 0;
  qsort(as + first, (size_t)(n - first), sizeof *as, annot_cmp);

  /* snippets: labels near the primary (or near a snippet already made) join it */
  typedef struct { uint32_t file, lo, hi; } Group;
  Group *gs = plat_xmalloc(((size_t)n + 1) * sizeof *gs);
  int ng = 0;
  for (int i = 0; i < n; i++) {
    int g = -1;
    for (int k = 0; k < ng && g < 0; k++)
      if (gs[k].file == as[i].file && as[i].line + NEAR_LINES >= gs[k].lo &&
          as[i].line <= gs[k].hi + NEAR_LINES)
        g = k;
    if (g < 0) { g = ng++; gs[g].file = as[i].file; gs[g].lo = gs[g].hi = as[i].line; }
    if (as[i].line < gs[g].lo) gs[g].lo = as[i].line;
    if (as[i].line > gs[g].hi) gs[g].hi = as[i].line;
    as[i].group = g;
  }
  uint32_t maxline = 0;
  for (int i = 0; i < n; i++)
    if (as[i].line > maxline) maxline = as[i].line;
  for (uint32_t m = maxline; m >= 10; m /= 10) c.width++;

  /* order inside a snippet is by line; the primary snippet comes first */
  Annot *sorted = plat_xmalloc(((size_t)n + 1) * sizeof *sorted);
  memcpy(sorted, as, (size_t)n * sizeof *as);
  qsort(sorted, (size_t)n, sizeof *sorted, annot_cmp);
  for (int g = 0; g < ng; g++) {
    /* the snippet's heading names its first span: the primary for group 0 */
    const Annot *head = NULL;
    for (int i = 0; i < n && !head; i++)
      if (as[i].group == g) head = &as[i];
    if (g == 0 && has_primary) {
      put_location(&c, "-->", head->file, head->offset);
    } else {
      if (g > 0) { gutter(&c, NULL); fputc('\n', out); }
      put_location(&c, ":::", head->file, head->offset);
    }
    gutter(&c, NULL);
    fputc('\n', out);
    put_group(&c, sorted, n, g);
  }

  /* notes, no-file labels and help, as `= note:` lines under the snippet */
  if (d->nnotes || d->help || nnofile) {
    if (n) { gutter(&c, NULL); fputc('\n', out); }
    char *indent = plat_xmalloc((size_t)c.width + 16);
    for (int k = 0; k < 2; k++) {
      const char *word = k == 0 ? "note" : "help";
      const char *color = k == 0 ? st->note : st->help;
      int cnt = k == 0 ? (int)d->nnotes + nnofile : d->help != NULL;
      /* continuation lines of a multi-line note line up after "= note: " */
      snprintf(indent, (size_t)c.width + 16, "\n%*s   %*s", c.width, "", (int)strlen(word) + 2, "");
      for (int i = 0; i < cnt; i++) {
        const char *text = k == 1 ? d->help : i < nnofile ? nofile[i] : d->notes[i - nnofile];
        fprintf(out, "%*s %s=%s %s%s:%s ", c.width, "", st->gutter, st->reset, color, word, st->reset);
        put_clean(out, text, indent);
        fputc('\n', out);
      }
    }
    free(indent);
  }
  fputc('\n', out);
  free(sorted);
  free(gs);
  free(nofile);
  free(as);
}

/* ---- gcc --------------------------------------------------------------------------- */

static void gcc_loc(Plat *p, FILE *out, Span s) {
  const SourceFile *f = span_source(p, s);
  if (!f) { fputs("platc: ", out); return; }
  s = span_norm(p, s);
  LineCol lc = source_linecol(&p->sources, s.file, s.start);
  put_clean(out, f->path, NULL);
  fprintf(out, ":%u:%u: ", lc.line, lc.col);
}

static void render_gcc_diag(Plat *p, FILE *out, const Diag *d) {
  gcc_loc(p, out, d->span);
  fprintf(out, "%s: ", sev_name(d->sev));
  put_clean(out, d->msg, NULL);
  fprintf(out, " [%s]\n", diag_code_name(d->code));
  for (uint32_t i = 0; i < d->nlabels; i++) {
    if (!d->labels[i].msg || !*d->labels[i].msg) continue;
    gcc_loc(p, out, span_source(p, d->labels[i].span) ? d->labels[i].span : d->span);
    fputs("note: ", out);
    put_clean(out, d->labels[i].msg, NULL);
    fputc('\n', out);
  }
  for (uint32_t i = 0; i < d->nnotes; i++) {
    gcc_loc(p, out, d->span);
    fputs("note: ", out);
    put_clean(out, d->notes[i], NULL);
    fputc('\n', out);
  }
  if (d->help) {
    gcc_loc(p, out, d->span);
    fputs("help: ", out);
    put_clean(out, d->help, NULL);
    fputc('\n', out);
  }
}

/* ---- JSON helpers ------------------------------------------------------------------ */

/* A JSON string of [s], with invalid UTF-8 replaced (jansson refuses it). */
static json_t *jstr(const char *s) {
  if (!s) return json_null();
  size_t len = strlen(s);
  if (utf8_check(s, len) == len) return json_stringn(s, len);
  char *buf = plat_xmalloc(len * 3 + 1);
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    int n;
    if (utf8_decode(s + i, len - i, &n) < 0) {
      o += (size_t)utf8_encode(0xFFFD, buf + o);
      i++;
    } else {
      memcpy(buf + o, s + i, (size_t)n);
      o += (size_t)n;
      i += (size_t)n;
    }
  }
  json_t *j = json_stringn(buf, o);
  free(buf);
  return j;
}

static json_t *jpos(Plat *p, uint32_t file, uint32_t offset) {
  LineCol lc = source_linecol(&p->sources, file, offset);
  json_t *o = json_object();
  json_object_set_new(o, "line", json_integer(lc.line));
  json_object_set_new(o, "column", json_integer(lc.col));
  json_object_set_new(o, "offset", json_integer(offset));
  return o;
}

static json_t *jrange(Plat *p, Span s) {
  if (!span_source(p, s)) return json_null();
  s = span_norm(p, s);
  json_t *o = json_object();
  json_object_set_new(o, "start", jpos(p, s.file, s.start));
  json_object_set_new(o, "end", jpos(p, s.file, s.end));
  return o;
}

static json_t *jfile(Plat *p, Span s) {
  const SourceFile *f = span_source(p, s);
  return f ? jstr(f->path) : json_null();
}

/* Documents are streamed: a fixed header, then one compact element per line, then the
 * tail, so memory stays that of one diagnostic however many there are, and each
 * diagnostic is one line for grep.  [j] is consumed. */
static void jput(FILE *out, json_t *j) {
  json_dumpf(j, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(j);
}

/* The separator before element [i] of a streamed array. */
static void jsep(FILE *out, uint32_t i) { fputs(i ? ",\n" : "\n", out); }

/* ---- json -------------------------------------------------------------------------- */

static json_t *json_diag(Plat *p, const Diag *d) {
  json_t *o = json_object();
  json_object_set_new(o, "severity", json_string(sev_name(d->sev)));
  json_object_set_new(o, "code", json_string(diag_code_name(d->code)));
  json_object_set_new(o, "name", json_string(diag_code_slug(d->code)));
  json_object_set_new(o, "message", jstr(d->msg));
  json_object_set_new(o, "file", jfile(p, d->span));
  json_object_set_new(o, "range", jrange(p, d->span));
  json_object_set_new(o, "label", jstr(primary_label(d)));
  json_t *labels = json_array();
  for (uint32_t i = 0; i < d->nlabels; i++) {
    if (!is_secondary(d, i)) continue;
    json_t *l = json_object();
    json_object_set_new(l, "file", jfile(p, d->labels[i].span));
    json_object_set_new(l, "range", jrange(p, d->labels[i].span));
    json_object_set_new(l, "message", jstr(d->labels[i].msg));
    json_array_append_new(labels, l);
  }
  json_object_set_new(o, "labels", labels);
  json_t *notes = json_array();
  for (uint32_t i = 0; i < d->nnotes; i++) json_array_append_new(notes, jstr(d->notes[i]));
  json_object_set_new(o, "notes", notes);
  json_object_set_new(o, "help", jstr(d->help));
  json_t *fixes = json_array();
  for (uint32_t i = 0; i < d->nfixes; i++) {
    json_t *f = json_object();
    json_object_set_new(f, "file", jfile(p, d->fixes[i].span));
    json_object_set_new(f, "range", jrange(p, d->fixes[i].span));
    json_object_set_new(f, "text", jstr(d->fixes[i].text));
    json_object_set_new(f, "title", jstr(d->fixes[i].title));
    json_array_append_new(fixes, f);
  }
  json_object_set_new(o, "fixes", fixes);
  return o;
}

static void render_json(Plat *p, FILE *out) {
  fputs("{\"version\":1,\"diagnostics\":[", out);
  for (uint32_t i = 0; i < p->diags.n; i++) {
    jsep(out, i);
    jput(out, json_diag(p, p->diags.items[i]));
  }
  fputs(p->diags.n ? "\n]," : "],", out);
  json_t *sum = json_object();
  json_object_set_new(sum, "errors", json_integer(p->diags.nerrors));
  json_object_set_new(sum, "warnings", json_integer(p->diags.nwarnings));
  fputs("\"summary\":", out);
  jput(out, sum);
  fputs("}\n", out);
}

/* ---- sarif ------------------------------------------------------------------------- */

/* 1-based column of byte [offset] in UTF-16 code units, SARIF's default columnKind. */
static uint32_t utf16_col(Plat *p, uint32_t file, uint32_t offset) {
  LineCol lc = source_linecol(&p->sources, file, offset);
  const SourceFile *f = source_file(&p->sources, file);
  uint32_t i = source_line_start(&p->sources, file, lc.line), col = 1;
  while (i < offset) {
    int n;
    int32_t cp = utf8_decode(f->text + i, offset - i, &n);
    col += cp >= 0x10000 ? 2 : 1;
    i += (uint32_t)n;
  }
  return col;
}

/* A relative URI for [path]: leading "./" dropped, an absolute path under the working
 * directory made relative, anything else a file:// URI; bytes outside the URI's unreserved
 * set are percent-encoded.  Sets *relative. */
static char *path_uri(const char *path, bool *relative) {
  char cwd[4096];
  *relative = true;
  while (path[0] == '.' && path[1] == '/') {
    path += 2;
    while (*path == '/') path++;
  }
  if (path[0] == '/') {
    size_t cl;
    if (getcwd(cwd, sizeof cwd) && (cl = strlen(cwd)) > 0 && strncmp(path, cwd, cl) == 0 &&
        path[cl] == '/')
      path += cl + 1;
    else
      *relative = false;
  }
  size_t len = strlen(path);
  char *u = plat_xmalloc(len * 3 + 8), *o = u;
  if (!*relative) { memcpy(o, "file://", 7); o += 7; }
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)path[i];
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
        strchr("-._~/", ch))
      *o++ = (char)ch;
    else
      o += sprintf(o, "%%%02X", ch);
  }
  *o = 0;
  return u;
}

static json_t *sarif_phys(Plat *p, Span s) {
  const SourceFile *f = span_source(p, s);
  s = span_norm(p, s);
  bool rel;
  char *uri = path_uri(f->path, &rel);
  json_t *art = json_object();
  json_object_set_new(art, "uri", jstr(uri));
  if (rel) json_object_set_new(art, "uriBaseId", json_string("%SRCROOT%"));
  free(uri);
  LineCol a = source_linecol(&p->sources, s.file, s.start);
  LineCol b = source_linecol(&p->sources, s.file, s.end);
  json_t *region = json_object();
  json_object_set_new(region, "startLine", json_integer(a.line));
  json_object_set_new(region, "startColumn", json_integer(utf16_col(p, s.file, s.start)));
  json_object_set_new(region, "endLine", json_integer(b.line));
  json_object_set_new(region, "endColumn", json_integer(utf16_col(p, s.file, s.end)));
  json_t *phys = json_object();
  json_object_set_new(phys, "artifactLocation", art);
  json_object_set_new(phys, "region", region);
  return phys;
}

/* A SARIF location usable by code scanning: a file of the user's tree (not an embedded
 * provider schema, which has no file in the repository). */
static bool sarif_locatable(Plat *p, Span s) {
  const SourceFile *f = span_source(p, s);
  return f && !f->builtin;
}

/* The first paragraph of a code's explanation, after its heading. */
static json_t *doc_first_paragraph(const char *sec, size_t len) {
  const char *end = sec + len;
  const char *s = memchr(sec, '\n', len);
  if (!s) return NULL;
  while (s < end && (*s == '\n' || *s == ' ')) s++;
  const char *e = s;
  while (e < end && !(e + 1 < end && e[0] == '\n' && e[1] == '\n')) e++;
  if (e == s) return NULL;
  char *t = plat_xmalloc((size_t)(e - s) + 1);
  size_t o = 0;
  for (const char *q = s; q < e; q++) t[o++] = *q == '\n' ? ' ' : *q;
  t[o] = 0;
  json_t *j = jstr(t);
  free(t);
  return j;
}

static json_t *text_obj(json_t *text) {
  json_t *o = json_object();
  json_object_set_new(o, "text", text);
  return o;
}

static json_t *sarif_rules(void) {
  json_t *rules = json_array();
  for (int i = 0; i < DIAG__COUNT; i++) {
    DiagCode code = (DiagCode)i;
    char lower[16], uri[sizeof PLAT_DIAG_DOC_URL + 24];
    const char *name = diag_code_name(code);
    size_t k = 0;
    for (; name[k] && k < sizeof lower - 1; k++) lower[k] = (char)(name[k] | 0x20);
    lower[k] = 0;
    snprintf(uri, sizeof uri, "%s#%s", PLAT_DIAG_DOC_URL, lower);
    json_t *r = json_object();
    json_object_set_new(r, "id", json_string(name));
    json_object_set_new(r, "name", json_string(diag_code_slug(code)));
    json_object_set_new(r, "shortDescription", text_obj(json_string(diag_code_summary(code))));
    size_t len;
    const char *sec = plat_explain(code, &len);
    json_t *full = sec ? doc_first_paragraph(sec, len) : NULL;
    json_object_set_new(r, "fullDescription",
                        text_obj(full ? full : json_string(diag_code_summary(code))));
    if (sec) {
      json_t *help = json_object();
      json_object_set_new(help, "text", json_stringn(sec, len));
      json_object_set_new(help, "markdown", json_stringn(sec, len));
      json_object_set_new(r, "help", help);
    }
    json_object_set_new(r, "helpUri", json_string(uri));
    json_t *cfg = json_object();
    json_object_set_new(cfg, "level", json_string(sev_name(diag_code_severity(code))));
    json_object_set_new(r, "defaultConfiguration", cfg);
    json_array_append_new(rules, r);
  }
  return rules;
}

/* A fingerprint that survives edits elsewhere in the file: SHA-256 of code, file, message
 * and how many identical results came before this one. */
static json_t *sarif_fingerprint(const char *code, const char *uri, const char *msg,
                                 uint32_t ordinal) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  char ord[16];
  snprintf(ord, sizeof ord, "%u", ordinal);
  const char *parts[] = {code, uri, msg, ord};
  if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
    for (size_t i = 0; i < NELEM(parts); i++) EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]) + 1);
    EVP_DigestFinal_ex(ctx, md, &mdlen);
  }
  EVP_MD_CTX_free(ctx);
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  for (unsigned i = 0; i < mdlen; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  hex[2 * mdlen] = 0;
  json_t *o = json_object();
  json_object_set_new(o, "platcFingerprint/v1", json_string(hex));
  return o;
}

/* message.text: the message, then its notes and help, as the alert's body. */
static json_t *sarif_message(const Diag *d) {
  size_t len = strlen(d->msg) + 1;
  for (uint32_t i = 0; i < d->nnotes; i++) len += strlen(d->notes[i]) + 8;
  if (d->help) len += strlen(d->help) + 8;
  char *s = plat_xmalloc(len), *o = s;
  o += sprintf(o, "%s", d->msg);
  for (uint32_t i = 0; i < d->nnotes; i++) o += sprintf(o, "\nnote: %s", d->notes[i]);
  if (d->help) sprintf(o, "\nhelp: %s", d->help);
  json_t *j = text_obj(jstr(s));
  free(s);
  return j;
}

/* For fingerprints: the ordinal of each diagnostic among those with the same code, file
 * and message, by sorting keys (a scan per diagnostic would be quadratic). */
typedef struct OrdKey {
  const Diag *d;
  uint32_t i;
} OrdKey;

static int ord_cmp(const void *a, const void *b) {
  const OrdKey *x = a, *y = b;
  if (x->d->code != y->d->code) return x->d->code < y->d->code ? -1 : 1;
  if (x->d->span.file != y->d->span.file) return x->d->span.file < y->d->span.file ? -1 : 1;
  int c = strcmp(x->d->msg, y->d->msg);
  if (c) return c;
  return x->i < y->i ? -1 : x->i > y->i;
}

static uint32_t *sarif_ordinals(Plat *p) {
  uint32_t n = p->diags.n;
  OrdKey *keys = plat_xmalloc(((size_t)n + 1) * sizeof *keys);
  uint32_t *ord = plat_xmalloc(((size_t)n + 1) * sizeof *ord);
  for (uint32_t i = 0; i < n; i++) keys[i] = (OrdKey){p->diags.items[i], i};
  qsort(keys, n, sizeof *keys, ord_cmp);
  for (uint32_t k = 0; k < n; k++) {
    bool same = k > 0 && keys[k - 1].d->code == keys[k].d->code &&
                keys[k - 1].d->span.file == keys[k].d->span.file &&
                strcmp(keys[k - 1].d->msg, keys[k].d->msg) == 0;
    ord[keys[k].i] = same ? ord[keys[k - 1].i] + 1 : 0;
  }
  free(keys);
  return ord;
}

static void render_sarif(Plat *p, FILE *out) {
  json_t *driver = json_object();
  json_object_set_new(driver, "name", json_string("platc"));
  json_object_set_new(driver, "version", json_string(PLAT_VERSION));
  json_object_set_new(driver, "semanticVersion", json_string(PLAT_VERSION));
  json_object_set_new(driver, "informationUri", json_string(PLAT_HOME_URL));
  json_object_set_new(driver, "rules", sarif_rules());
  json_t *tool = json_object();
  json_object_set_new(tool, "driver", driver);
  fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
        "\"runs\":[{\"tool\":", out);
  jput(out, tool);
  fputs(",\"columnKind\":\"utf16CodeUnits\",\"results\":[", out);

  json_t *notifications = json_array();
  uint32_t nresults = 0, total = 0, dropped = 0;
  uint32_t *ordinals = sarif_ordinals(p);
  bool io_ok = true;
  for (uint32_t i = 0; i < p->diags.n; i++) total += sarif_locatable(p, p->diags.items[i]->span);
  /* Code scanning rejects a run of more than SARIF_MAX_RESULTS results; past that, errors
   * go first (pass 0) and the rest fill what is left (pass 1), and a notification says
   * how many were left out. */
  bool over = total > SARIF_MAX_RESULTS;
  for (int pass = 0; pass < (over ? 2 : 1); pass++)
  for (uint32_t i = 0; i < p->diags.n; i++) {
    const Diag *d = p->diags.items[i];
    bool locatable = sarif_locatable(p, d->span);
    if (pass == 1 && (!locatable || d->sev == SEV_ERROR)) continue;
    if (over && pass == 0 && locatable && d->sev != SEV_ERROR) continue;
    if (locatable && nresults == SARIF_MAX_RESULTS) { dropped++; continue; }
    const char *level = d->sev == SEV_ERROR ? "error" : d->sev == SEV_WARNING ? "warning" : "note";
    json_t *rule = json_object();
    json_object_set_new(rule, "id", json_string(diag_code_name(d->code)));
    json_object_set_new(rule, "index", json_integer(d->code));
    if (!locatable) {
      /* no place in the tree (an unreadable path, an empty folder): a tool notification,
       * since code scanning drops results without a location */
      if (d->code == DIAG_E0505) io_ok = false;
      json_t *nt = json_object();
      json_object_set_new(nt, "level", json_string(level));
      json_object_set_new(nt, "message", sarif_message(d));
      json_object_set_new(nt, "associatedRule", rule);
      json_array_append_new(notifications, nt);
      continue;
    }
    json_decref(rule);
    json_t *r = json_object();
    json_object_set_new(r, "ruleId", json_string(diag_code_name(d->code)));
    json_object_set_new(r, "ruleIndex", json_integer(d->code));
    json_object_set_new(r, "level", json_string(level));
    json_object_set_new(r, "message", sarif_message(d));
    json_t *loc = json_object();
    json_object_set_new(loc, "physicalLocation", sarif_phys(p, d->span));
    json_t *locs = json_array();
    json_array_append_new(locs, loc);
    json_object_set_new(r, "locations", locs);
    json_t *rel = json_array();
    for (uint32_t k = 0; k < d->nlabels; k++) {
      if (!is_secondary(d, k) || !sarif_locatable(p, d->labels[k].span)) continue;
      json_t *l = json_object();
      json_object_set_new(l, "id", json_integer(json_array_size(rel) + 1));
      json_object_set_new(l, "physicalLocation", sarif_phys(p, d->labels[k].span));
      if (d->labels[k].msg) json_object_set_new(l, "message", text_obj(jstr(d->labels[k].msg)));
      json_array_append_new(rel, l);
    }
    if (json_array_size(rel)) json_object_set_new(r, "relatedLocations", rel);
    else json_decref(rel);
    bool isrel;
    char *uri = path_uri(span_source(p, d->span)->path, &isrel);
    json_object_set_new(r, "partialFingerprints",
                        sarif_fingerprint(diag_code_name(d->code), uri, d->msg, ordinals[i]));
    free(uri);
    json_t *fixes = json_array();
    for (uint32_t k = 0; k < d->nfixes; k++) {
      const DiagFix *fx = &d->fixes[k];
      if (!sarif_locatable(p, fx->span)) continue;
      json_t *phys = sarif_phys(p, fx->span);
      json_t *rep = json_object();
      json_object_set(rep, "deletedRegion", json_object_get(phys, "region"));
      json_t *ins = json_object();
      json_object_set_new(ins, "text", jstr(fx->text));
      json_object_set_new(rep, "insertedContent", ins);
      json_t *reps = json_array();
      json_array_append_new(reps, rep);
      json_t *change = json_object();
      json_object_set(change, "artifactLocation", json_object_get(phys, "artifactLocation"));
      json_object_set_new(change, "replacements", reps);
      json_decref(phys);
      json_t *changes = json_array();
      json_array_append_new(changes, change);
      json_t *fix = json_object();
      json_object_set_new(fix, "description", text_obj(jstr(fx->title ? fx->title : fx->text)));
      json_object_set_new(fix, "artifactChanges", changes);
      json_array_append_new(fixes, fix);
    }
    if (json_array_size(fixes)) json_object_set_new(r, "fixes", fixes);
    else json_decref(fixes);
    jsep(out, nresults++);
    jput(out, r);
  }
  fputs(nresults ? "\n]," : "],", out);

  free(ordinals);
  if (dropped) {
    json_t *nt = json_object();
    json_object_set_new(nt, "level", json_string("warning"));
    json_object_set_new(nt, "message", text_obj(json_sprintf(
        "%u more results were left out: code scanning accepts at most %u per run", dropped,
        (unsigned)SARIF_MAX_RESULTS)));
    json_array_append_new(notifications, nt);
  }
  json_t *inv = json_object();
  json_object_set_new(inv, "executionSuccessful", json_boolean(io_ok));
  if (json_array_size(notifications))
    json_object_set_new(inv, "toolExecutionNotifications", notifications);
  else
    json_decref(notifications);
  json_t *invs = json_array();
  json_array_append_new(invs, inv);
  fputs("\"invocations\":", out);
  jput(out, invs);
  fputs("}]}\n", out);
}

/* ---- entry points ------------------------------------------------------------------ */

void plat_render(Plat *p, FILE *out, PlatFormat fmt, bool color) {
  diag_sort(&p->diags);
  switch (fmt) {
  case PLAT_FMT_JSON: render_json(p, out); return;
  case PLAT_FMT_SARIF: render_sarif(p, out); return;
  case PLAT_FMT_GCC:
    for (uint32_t i = 0; i < p->diags.n; i++) render_gcc_diag(p, out, p->diags.items[i]);
    return;
  case PLAT_FMT_TEXT:
    for (uint32_t i = 0; i < p->diags.n; i++)
      render_text_diag(p, out, p->diags.items[i], color ? &ansi : &plain);
    return;
  }
}

const char *plat_summary(Plat *p) {
  uint32_t e = p->diags.nerrors, w = p->diags.nwarnings;
  if (!e && !w) return NULL;
  if (e && w)
    return arena_printf(&p->arena, "%u error%s, %u warning%s", e, e == 1 ? "" : "s", w,
                        w == 1 ? "" : "s");
  if (e) return arena_printf(&p->arena, "%u error%s", e, e == 1 ? "" : "s");
  return arena_printf(&p->arena, "%u warning%s", w, w == 1 ? "" : "s");
}
