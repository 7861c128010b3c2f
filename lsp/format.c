/* textDocument/formatting and rangeFormatting: the formatter of `platc fmt` (plat_format)
 * over the buffer, answered as the smallest edit that turns the buffer into its canonical
 * form.  Range formatting formats the top-level declarations the range touches (with the
 * comments directly above them), as a file of their own.  A buffer with syntax errors is
 * not formatted (the formatter refuses, to never lose text): the error says where. */
#include <stdlib.h>
#include <string.h>

#include "lsp/docs.h"

/* Format [len] bytes at [text] as a file named [name]: malloc'd canonical text, or NULL with
 * [err] set to the first syntax error. */
static char *format_text(const char *name, const char *text, size_t len, size_t *outlen, LspError *err) {
  Plat *p = plat_new();
  uint32_t id = source_add(&p->sources, name, text, len);
  char *out = plat_format(p, id, outlen);
  if (!out) {
    diag_sort(&p->diags);
    const Diag *d = p->diags.n ? p->diags.items[0] : NULL;
    if (d && d->span.file != SPAN_NO_FILE) {
      LineCol lc = source_linecol(&p->sources, d->span.file, d->span.start);
      lsp_fail(err, LSP_ERR_REQUEST_FAILED, "cannot format: the file has syntax errors (%u:%u: %s)",
               lc.line, lc.col, d->msg);
    } else {
      lsp_fail(err, LSP_ERR_REQUEST_FAILED, "cannot format: the file has syntax errors");
    }
  }
  plat_free(p);
  return out;
}

/* The edits (a JSON array, maybe empty) that replace [doc]'s bytes [from, to) by [len]
 * bytes at [text]: one edit over what differs, its ends on code point boundaries. */
static json_t *diff_edit(LspDoc *doc, uint32_t from, uint32_t to, const char *text, size_t len) {
  const char *old = doc->text + from;
  size_t olen = to - from, pre = 0, suf = 0;
  while (pre < olen && pre < len && old[pre] == text[pre]) pre++;
  while (pre > 0 && ((unsigned char)old[pre] & 0xC0) == 0x80) pre--;
  while (suf < olen - pre && suf < len - pre && old[olen - 1 - suf] == text[len - 1 - suf]) suf++;
  while (suf > 0 && ((unsigned char)old[olen - suf] & 0xC0) == 0x80) suf--;
  json_t *edits = json_array();
  if (pre == olen && pre == len) return edits;
  json_t *range = lsp_doc_range(doc, from + (uint32_t)pre, to - (uint32_t)suf);
  json_array_append_new(edits, json_pack("{s:o, s:s%}", "range", range, "newText", text + pre,
                                         len - pre - suf));
  return edits;
}

static const char *doc_name(LspDoc *doc) { return doc->path ? doc->path : doc->uri; }

static json_t *h_formatting(LspServer *s, json_t *params, LspError *err) {
  LspDoc *doc = lsp_param_doc(s, params, err);
  if (!doc) return NULL;
  size_t len;
  char *out = format_text(doc_name(doc), doc->text, doc->len, &len, err);
  if (!out) return NULL;
  json_t *edits = diff_edit(doc, 0, (uint32_t)doc->len, out, len);
  free(out);
  return edits;
}

/* Start of the line holding [off]. */
static uint32_t line_start(const char *t, uint32_t off) {
  while (off > 0 && t[off - 1] != '\n' && t[off - 1] != '\r') off--;
  return off;
}

/* Is the line starting at [off] a comment line (after blanks)? */
static bool comment_line(const char *t, size_t len, uint32_t off) {
  while (off < len && (t[off] == ' ' || t[off] == '\t')) off++;
  return off + 1 < len && t[off] == '/' && (t[off + 1] == '/' || t[off + 1] == '*');
}

static json_t *h_range_formatting(LspServer *s, json_t *params, LspError *err) {
  LspDoc *doc = lsp_param_doc(s, params, err);
  if (!doc) return NULL;
  uint32_t rs, re;
  if (!lsp_range_offsets(doc, json_object_get(params, "range"), &rs, &re, err)) return NULL;
  /* the whole buffer must parse: a declaration's extent is only known then */
  Plat *p = plat_new();
  uint32_t id = source_add(&p->sources, doc_name(doc), doc->text, doc->len);
  AstFile *f = plat_parse(p, id);
  if (p->diags.nerrors) {
    plat_free(p);
    size_t ignored;
    char *out = format_text(doc_name(doc), doc->text, doc->len, &ignored, err);
    free(out);
    if (!out) return NULL;
    return lsp_fail(err, LSP_ERR_REQUEST_FAILED, "cannot format: the file has syntax errors");
  }
  uint32_t from = UINT32_MAX, to = 0;
  for (uint32_t i = 0; i < f->ndecls; i++) {
    const Decl *d = f->decls[i];
    uint32_t a = d->span.start, b = d->span.end;
    if (d->ndecos && d->decos[0].span.start < a) a = d->decos[0].span.start;
    bool hit = rs == re ? (a <= rs && rs <= b) : (a < re && rs < b);
    if (!hit) continue;
    if (a < from) from = a;
    if (b > to) to = b;
  }
  plat_free(p);
  if (from == UINT32_MAX) return json_array();
  /* whole lines, with the comments directly above the first declaration */
  from = line_start(doc->text, from);
  while (from > 0) {
    uint32_t brk = from - 1;   /* the line break ending the line above */
    if (brk > 0 && doc->text[brk] == '\n' && doc->text[brk - 1] == '\r') brk--;
    uint32_t prev = line_start(doc->text, brk);
    if (!comment_line(doc->text, doc->len, prev)) break;
    from = prev;
  }
  while (to < doc->len && doc->text[to] != '\n' && doc->text[to] != '\r') to++;
  size_t len;
  char *out = format_text(doc_name(doc), doc->text + from, to - from, &len, err);
  if (!out) return NULL;
  while (len > 0 && out[len - 1] == '\n') len--;   /* the line break after it stays */
  json_t *edits = diff_edit(doc, from, to, out, len);
  free(out);
  return edits;
}

void lsp_format_register(LspServer *s) {
  lsp_register(s, "textDocument/formatting", h_formatting, "documentFormattingProvider", NULL);
  lsp_register(s, "textDocument/rangeFormatting", h_range_formatting,
               "documentRangeFormattingProvider", NULL);
}
