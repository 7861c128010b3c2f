/* Documents: the editor's buffers as the server sees them, kept in step by incremental
 * edits, and the conversions between LSP positions (line, UTF-16 code unit) and byte
 * offsets.  Buffers may hold any bytes: a byte of invalid UTF-8 is one code unit, as an
 * editor that shows it as U+FFFD counts it.  Checking is elsewhere (server.c). */
#include "lsp/docs.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/source.h"

/* ---- lines ---------------------------------------------------------------------------- */
void lsp_lines_build(LspLines *l, const char *text, size_t len) {
  uint32_t cap = l->starts ? l->n : 0, n = 0;
  /* count first, so the table is sized once */
  uint32_t need = 1;
  for (size_t i = 0; i < len; i++) {
    if (text[i] == '\n') need++;
    else if (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n')) need++;
  }
  if (!l->starts || cap < need) {
    free(l->starts);
    l->starts = plat_xmalloc((size_t)need * sizeof *l->starts);
  }
  l->starts[n++] = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n')))
      l->starts[n++] = (uint32_t)(i + 1);
  }
  l->n = n;
}

void lsp_lines_free(LspLines *l) {
  free(l->starts);
  l->starts = NULL;
  l->n = 0;
}

/* The end of line [line]'s content: before its \n, \r\n or \r. */
static uint32_t line_end(const char *text, size_t len, const LspLines *l, uint32_t line) {
  uint32_t start = l->starts[line];
  uint32_t end = line + 1 < l->n ? l->starts[line + 1] : (uint32_t)len;
  if (end > start && text[end - 1] == '\n') end--;
  if (end > start && text[end - 1] == '\r') end--;
  return end;
}

/* One code point at [p] (at most [left] bytes): its length in bytes and in UTF-16 units. */
static int step(const char *p, size_t left, uint32_t *units) {
  unsigned char c = (unsigned char)*p;
  if (c < 0x80) { *units = 1; return 1; }
  int n;
  int32_t cp = utf8_decode(p, left, &n);
  if (cp < 0 || n < 1) { *units = 1; return 1; }
  *units = cp >= 0x10000 ? 2 : 1;
  return n;
}

uint32_t lsp_offset_at(const char *text, size_t len, const LspLines *l, uint32_t line,
                       uint32_t character) {
  if (line >= l->n) return (uint32_t)len;
  uint32_t off = l->starts[line], end = line_end(text, len, l, line), units = 0;
  while (off < end && units < character) {
    uint32_t u;
    int n = step(text + off, end - off, &u);
    if (units + u > character) break;   /* inside a surrogate pair */
    units += u;
    off += (uint32_t)n;
  }
  return off;
}

void lsp_position_at(const char *text, size_t len, const LspLines *l, uint32_t offset,
                     uint32_t *line, uint32_t *character) {
  if (offset > len) offset = (uint32_t)len;
  uint32_t lo = 0, hi = l->n - 1;
  while (lo < hi) {          /* the last line starting at or before offset */
    uint32_t mid = lo + (hi - lo + 1) / 2;
    if (l->starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  uint32_t off = l->starts[lo], end = line_end(text, len, l, lo), units = 0;
  if (offset < end) end = offset;
  while (off < end) {
    uint32_t u;
    int n = step(text + off, len - off, &u);
    if (off + (uint32_t)n > end) break;   /* inside a code point: count from its start */
    units += u;
    off += (uint32_t)n;
  }
  *line = lo;
  *character = units;
}

/* ---- documents ------------------------------------------------------------------------ */
LspDoc *lsp_doc_new(const char *uri, const char *text, size_t len, int64_t version) {
  LspDoc *d = plat_xcalloc(1, sizeof *d);
  d->uri = plat_xstrdup(uri);
  d->path = lsp_uri_to_path(uri);
  d->version = version;
  if (!lsp_doc_set(d, text, len)) lsp_doc_set(d, "", 0);
  return d;
}

void lsp_doc_free(LspDoc *d) {
  if (!d) return;
  free(d->uri);
  free(d->path);
  free(d->text);
  lsp_lines_free(&d->lines);
  free(d);
}

static void reserve(LspDoc *d, size_t need) {
  if (need + 1 <= d->cap && d->text) return;
  size_t cap = d->cap ? d->cap : 256;
  while (cap < need + 1) cap *= 2;
  d->text = plat_xrealloc(d->text, cap);
  d->cap = cap;
}

bool lsp_doc_set(LspDoc *d, const char *text, size_t len) {
  if (len > LSP_MAX_DOCUMENT) return false;
  reserve(d, len);
  memcpy(d->text, text, len);
  d->text[len] = 0;
  d->len = len;
  /* a buffer shrunk by far gives its memory back */
  if (d->cap > 4096 && d->cap / 4 > len + 1) {
    d->text = plat_xrealloc(d->text, len + 1);
    d->cap = len + 1;
  }
  lsp_lines_build(&d->lines, d->text, d->len);
  return true;
}

bool lsp_doc_edit(LspDoc *d, uint32_t sl, uint32_t sc, uint32_t el, uint32_t ec,
                  const char *text, size_t len) {
  uint32_t s = lsp_offset_at(d->text, d->len, &d->lines, sl, sc);
  uint32_t e = lsp_offset_at(d->text, d->len, &d->lines, el, ec);
  if (e < s) e = s;
  size_t nlen = d->len - (e - s) + len;
  if (len > LSP_MAX_DOCUMENT || nlen > LSP_MAX_DOCUMENT) return false;
  reserve(d, nlen);
  memmove(d->text + s + len, d->text + e, d->len - e);
  memcpy(d->text + s, text, len);
  d->len = nlen;
  d->text[nlen] = 0;
  lsp_lines_build(&d->lines, d->text, d->len);
  return true;
}
