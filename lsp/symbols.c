/* textDocument/documentSymbol (hierarchical: components hold their members, resources
 * their properties, types their fields) and textDocument/foldingRange (declarations and
 * bodies over several lines, runs of line comments, block comments, the run of `use` and
 * `import` lines).  Both come from a parse of the buffer alone, so they work while the
 * module has type errors, and, with the parser's recovery, with syntax errors too. */
#include <stdlib.h>
#include <string.h>

#include "lsp/docs.h"

/* LSP SymbolKind numbers. */
enum {
  SK_MODULE = 2, SK_NAMESPACE = 3, SK_PACKAGE = 4, SK_CLASS = 5, SK_METHOD = 6, SK_PROPERTY = 7,
  SK_FIELD = 8, SK_INTERFACE = 11, SK_FUNCTION = 12, SK_VARIABLE = 13, SK_CONSTANT = 14,
  SK_OBJECT = 19, SK_EVENT = 24, SK_OPERATOR = 25,
};

/* The buffer parsed on its own, in a fresh Plat the caller frees. */
static AstFile *parse_doc(LspDoc *doc, Plat **out) {
  Plat *p = plat_new();
  uint32_t id = source_add(&p->sources, doc->path ? doc->path : doc->uri, doc->text, doc->len);
  *out = p;
  return plat_parse(p, id);
}

/* The source text of [sp] in [doc], with runs of blanks and line breaks made one space and
 * cut at 80 bytes: a detail line. */
static json_t *span_text(LspDoc *doc, Span sp) {
  if (sp.file == SPAN_NO_FILE || sp.end <= sp.start || sp.end > doc->len) return NULL;
  char buf[84];
  size_t n = 0;
  bool space = false;
  for (uint32_t i = sp.start; i < sp.end && n < 80; i++) {
    char c = doc->text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') { space = true; continue; }
    if (space && n) buf[n++] = ' ';
    space = false;
    buf[n++] = c;
  }
  n = utf8_check(buf, n);   /* a code point cut at 80 bytes (or a bad byte) ends it */
  return json_stringn(buf, n);
}

static json_t *symbol(LspDoc *doc, const char *name, size_t nlen, int kind, Span full, Span sel,
                      json_t *detail) {
  if (sel.start < full.start || sel.end > full.end) sel = full;
  json_t *j = json_object();
  json_t *nm = nlen ? json_stringn(name, nlen) : NULL;
  json_object_set_new(j, "name", nm ? nm : json_string("(unnamed)"));
  if (detail) json_object_set_new(j, "detail", detail);
  json_object_set_new(j, "kind", json_integer(kind));
  json_object_set_new(j, "range", lsp_doc_range(doc, full.start, full.end));
  json_object_set_new(j, "selectionRange", lsp_doc_range(doc, sel.start, sel.end));
  return j;
}

static json_t *ident_symbol(LspDoc *doc, Ident id, int kind, Span full, json_t *detail) {
  if (!id.str) {
    json_decref(detail);
    return NULL;
  }
  return symbol(doc, id.str->s, id.str->len, kind, full, id.span, detail);
}

static void add_child(json_t *parent, json_t *child) {
  if (!child) return;
  json_t *kids = json_object_get(parent, "children");
  if (!kids) {
    kids = json_array();
    json_object_set_new(parent, "children", kids);
  }
  json_array_append_new(kids, child);
}

/* A title (policy "..." / test "..."): the literal's text without quotes. */
static json_t *title_symbol(LspDoc *doc, const char *word, const Expr *title, int kind, Span full) {
  char name[128];
  const char *t = "";
  uint32_t tl = 0;
  if (title && title->kind == EX_STRING && title->u.str.nparts == 1 && !title->u.str.parts[0].is_expr) {
    t = title->u.str.parts[0].text;
    tl = title->u.str.parts[0].len;
  }
  if (tl > 100) tl = 100;
  while (tl > 0 && ((unsigned char)t[tl] & 0xC0) == 0x80) tl--;   /* cut at a boundary */
  int n = snprintf(name, sizeof name, "%s \"%.*s\"", word, (int)tl, t);
  Span sel = title ? title->span : full;
  json_t *j = symbol(doc, name, (size_t)n, kind, full, sel, NULL);
  return j;
}

static json_t *decl_symbol(LspDoc *doc, const Decl *d);

static Span decl_full(const Decl *d) {
  Span full = d->span;
  if (d->ndecos && d->decos[0].span.start < full.start) full.start = d->decos[0].span.start;
  return full;
}

static json_t *decl_symbol(LspDoc *doc, const Decl *d) {
  Span full = decl_full(d);
  json_t *j = NULL;
  switch (d->kind) {
  case D_USE: j = ident_symbol(doc, d->name, SK_PACKAGE, full, json_string("use")); break;
  case D_IMPORT:
    j = ident_symbol(doc, d->u.import.alias.str ? d->u.import.alias : d->name, SK_MODULE, full,
                     d->u.import.path ? span_text(doc, d->u.import.path->span) : NULL);
    break;
  case D_PARAM:
    j = ident_symbol(doc, d->name, SK_VARIABLE, full,
                     d->u.param.type ? span_text(doc, d->u.param.type->span) : json_string("param"));
    break;
  case D_LET:
    j = ident_symbol(doc, d->name, SK_CONSTANT, full,
                     d->u.let.type ? span_text(doc, d->u.let.type->span) : NULL);
    break;
  case D_OUTPUT:
    j = ident_symbol(doc, d->name, SK_FIELD, full,
                     d->u.let.type ? span_text(doc, d->u.let.type->span) : json_string("output"));
    break;
  case D_TYPE:
    j = ident_symbol(doc, d->name, SK_INTERFACE, full,
                     d->u.alias.type ? span_text(doc, d->u.alias.type->span) : NULL);
    if (j && d->u.alias.type && d->u.alias.type->kind == TE_RECORD)
      for (uint32_t i = 0; i < d->u.alias.type->u.record.nfields; i++) {
        const TypeField *f = &d->u.alias.type->u.record.fields[i];
        add_child(j, ident_symbol(doc, f->name, SK_FIELD, f->span, f->type ? span_text(doc, f->type->span) : NULL));
      }
    break;
  case D_FN:
    j = ident_symbol(doc, d->name, SK_FUNCTION, full,
                     d->u.fn.ret ? span_text(doc, d->u.fn.ret->span) : NULL);
    break;
  case D_RESOURCE:
    j = ident_symbol(doc, d->name, SK_OBJECT, full,
                     d->u.res.type ? span_text(doc, d->u.res.type->span) : NULL);
    for (uint32_t i = 0; j && i < d->u.res.nfields; i++) {
      const Field *f = &d->u.res.fields[i];
      add_child(j, ident_symbol(doc, f->name, SK_PROPERTY, f->span, NULL));
    }
    break;
  case D_COMPONENT:
    j = ident_symbol(doc, d->name, SK_CLASS, full, json_string("component"));
    for (uint32_t i = 0; j && i < d->u.comp.nmembers; i++)
      if (d->u.comp.members[i]) add_child(j, decl_symbol(doc, d->u.comp.members[i]));
    break;
  case D_POLICY:
    j = title_symbol(doc, "policy", d->u.policy.title, SK_EVENT, full);
    break;
  case D_TEST:
    j = title_symbol(doc, "test", d->u.test.title, SK_METHOD, full);
    break;
  case D_MOVED:
    j = symbol(doc, "moved", 5, SK_OPERATOR, full, full,
               d->u.moved.from && d->u.moved.to
                   ? span_text(doc, span_join(d->u.moved.from->span, d->u.moved.to->span)) : NULL);
    break;
  case D_SCHEMA:
    j = ident_symbol(doc, d->name, SK_CLASS, full, json_string("resource type"));
    for (uint32_t i = 0; j && i < d->u.schema.nfields; i++) {
      const TypeField *f = &d->u.schema.fields[i];
      add_child(j, ident_symbol(doc, f->name, SK_PROPERTY, f->span, f->type ? span_text(doc, f->type->span) : NULL));
    }
    break;
  default: break;
  }
  return j;
}

static json_t *h_document_symbol(LspServer *s, json_t *params, LspError *err) {
  LspDoc *doc = lsp_param_doc(s, params, err);
  if (!doc) return NULL;
  Plat *p;
  AstFile *f = parse_doc(doc, &p);
  json_t *out = json_array();
  for (uint32_t i = 0; i < f->ndecls; i++) {
    json_t *j = f->decls[i] ? decl_symbol(doc, f->decls[i]) : NULL;
    if (j) json_array_append_new(out, j);
  }
  plat_free(p);
  return out;
}

/* ---- folding ---------------------------------------------------------------------------- */
typedef struct Folds {
  json_t *arr;
  LspDoc *doc;
} Folds;

static uint32_t line_of(LspDoc *doc, uint32_t off) {
  uint32_t l, c;
  lsp_position_at(doc->text, doc->len, &doc->lines, off, &l, &c);
  return l;
}

/* A fold from the line of [start] to the line of [end]: only if they differ.  The last
 * line stays visible when it closes a body (`}` shows), as editors expect. */
static void fold(Folds *f, uint32_t start, uint32_t end, const char *kind, bool keep_last) {
  if (end > 0) end--;   /* spans end one past their last byte */
  uint32_t a = line_of(f->doc, start), b = line_of(f->doc, end);
  if (keep_last && b > a) b--;
  if (b <= a) return;
  json_t *j = json_pack("{s:i, s:i}", "startLine", (json_int_t)a, "endLine", (json_int_t)b);
  if (kind) json_object_set_new(j, "kind", json_string(kind));
  json_array_append_new(f->arr, j);
}

static void fold_decl(Folds *f, const Decl *d) {
  Span full = decl_full(d);
  switch (d->kind) {
  case D_COMPONENT:
    fold(f, full.start, d->u.comp.body_span.end, NULL, true);
    for (uint32_t i = 0; i < d->u.comp.nmembers; i++)
      if (d->u.comp.members[i]) fold_decl(f, d->u.comp.members[i]);
    break;
  case D_RESOURCE:
    fold(f, full.start, d->u.res.body_span.end > full.start ? d->u.res.body_span.end : full.end, NULL, true);
    break;
  case D_TEST:
    fold(f, full.start, full.end, NULL, true);
    break;
  default:
    /* a declaration over several lines (a long let, a record type, a policy) */
    fold(f, full.start, full.end, NULL,
         full.end > 0 && full.end <= f->doc->len && (f->doc->text[full.end - 1] == '}' ||
                                                     f->doc->text[full.end - 1] == ']'));
    break;
  }
}

static int cmp_fold(const void *a, const void *b) {
  json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
  json_int_t xs = json_integer_value(json_object_get(x, "startLine"));
  json_int_t ys = json_integer_value(json_object_get(y, "startLine"));
  if (xs != ys) return xs < ys ? -1 : 1;
  json_int_t xe = json_integer_value(json_object_get(x, "endLine"));
  json_int_t ye = json_integer_value(json_object_get(y, "endLine"));
  return xe < ye ? 1 : xe > ye ? -1 : 0;
}

static json_t *h_folding(LspServer *s, json_t *params, LspError *err) {
  LspDoc *doc = lsp_param_doc(s, params, err);
  if (!doc) return NULL;
  Plat *p;
  AstFile *af = parse_doc(doc, &p);
  Folds f = {json_array(), doc};
  /* the run of use/import lines at the top */
  uint32_t first = UINT32_MAX, last = 0;
  for (uint32_t i = 0; i < af->ndecls; i++) {
    const Decl *d = af->decls[i];
    if (!d) continue;
    if (d->kind == D_USE || d->kind == D_IMPORT) {
      if (first == UINT32_MAX) first = d->span.start;
      last = d->span.end;
    } else if (first != UINT32_MAX) {
      break;
    }
  }
  if (first != UINT32_MAX) fold(&f, first, last, "imports", false);
  for (uint32_t i = 0; i < af->ndecls; i++)
    if (af->decls[i]) fold_decl(&f, af->decls[i]);
  /* comments: a block comment over lines, and runs of line comments on consecutive lines */
  for (uint32_t i = 0; i < af->ncomments;) {
    const Comment *c = &af->comments[i];
    if (c->kind == COMMENT_BLOCK) {
      fold(&f, c->span.start, c->span.end, "comment", false);
      i++;
      continue;
    }
    uint32_t k = i + 1, line = line_of(doc, c->span.start);
    while (k < af->ncomments && af->comments[k].kind != COMMENT_BLOCK &&
           line_of(doc, af->comments[k].span.start) == line + (k - i))
      k++;
    if (k - i >= 2) fold(&f, c->span.start, af->comments[k - 1].span.end, "comment", false);
    i = k;
  }
  plat_free(p);
  /* sorted, so the answer does not depend on the order the passes found them */
  size_t n = json_array_size(f.arr);
  json_t **v = plat_xmalloc((n ? n : 1) * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = json_incref(json_array_get(f.arr, i));
  qsort(v, n, sizeof *v, cmp_fold);
  json_t *out = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(out, v[i]);
  free(v);
  json_decref(f.arr);
  return out;
}

void lsp_symbols_register(LspServer *s) {
  lsp_register(s, "textDocument/documentSymbol", h_document_symbol, "documentSymbolProvider", NULL);
  lsp_register(s, "textDocument/foldingRange", h_folding, "foldingRangeProvider", NULL);
}
