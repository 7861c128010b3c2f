/* The query methods of the language server: hover, definition, references, document
 * highlight, prepareRename/rename, completion, signature help, workspace symbols, inlay
 * hints, code actions and the `platc.explain` command.  Each handler reads its params,
 * asks lsp/query.h over the document's checked Plat and turns bytes into LSP positions
 * through lsp/lsp.h.  The query index is the module's (lsp_plat_index): built once per
 * check, right after it when the server is idle, and freed with the check. */
#include <stdlib.h>
#include <string.h>

#include "lsp/docs.h"
#include "lsp/lsp.h"
#include "lsp/query.h"

/* The document, its Plat, file id, index and (when [need_pos]) the byte offset of
 * params.position.  False with [err] set. */
typedef struct Ctx {
  LspDoc *doc;
  Plat *p;
  uint32_t file;
  LspIndex *ix;
  uint32_t off;
} Ctx;

static bool ctx_get(LspServer *s, json_t *params, bool need_pos, Ctx *c, LspError *err) {
  c->doc = lsp_param_doc(s, params, err);
  if (!c->doc) return false;
  if (need_pos && !lsp_param_offset(c->doc, params, &c->off, err)) return false;
  c->p = lsp_doc_plat(s, c->doc, &c->file);
  if (!c->p || c->file == UINT32_MAX) {
    c->ix = NULL;
    return true;             /* nothing checked: empty answers */
  }
  c->ix = lsp_plat_index(s, c->p);
  return true;
}

static json_t *markdown(const char *text) {
  return json_pack("{s:s, s:s}", "kind", "markdown", "value", text);
}

/* ---- hover, definition, references, highlight ---------------------------------------------------- */
static json_t *h_hover(LspServer *s, json_t *params, LspError *err) {
  Ctx c;
  if (!ctx_get(s, params, true, &c, err)) return NULL;
  if (!c.ix) return json_null();
  Arena a;
  arena_init(&a);
  Span r;
  const char *text = lsp_q_hover(c.ix, c.file, c.off, &a, &r);
  json_t *out = text ? json_pack("{s:o, s:o}", "contents", markdown(text), "range",
                                 lsp_span_range(s, c.p, r))
                     : json_null();
  arena_free(&a);
  return out;
}

static json_t *h_definition(LspServer *s, json_t *params, LspError *err) {
  Ctx c;
  if (!ctx_get(s, params, true, &c, err)) return NULL;
  if (!c.ix) return json_null();
  Span d;
  if (!lsp_q_definition(c.ix, c.file, c.off, &d)) return json_null();
  json_t *loc = lsp_span_location(s, c.p, d);
  return loc ? loc : json_null();
}

static json_t *h_references(LspServer *s, json_t *params, LspError *err) {
  Ctx c;
  if (!ctx_get(s, params, true, &c, err)) return NULL;
  json_t *out = json_array();
  if (!c.ix) return out;
  json_t *inc = json_object_get(json_object_get(params, "context"), "includeDeclaration");
  Arena a;
  arena_init(&a);
  uint32_t n;
  const LspOcc **r = lsp_q_references(c.ix, c.file, c.off, json_is_true(inc), &a, &n);
  for (uint32_t i = 0; i < n; i++) {
    json_t *loc = lsp_span_location(s, c.p, r[i]->at);
    if (loc) json_array_append_new(out, loc);
  }
  arena_free(&a);
  return out;
}

static json_t *h_highlight(LspServer *s, json_t *params, LspError *err) {
  Ctx c;
  if (!ctx_get(s, params, true, &c, err)) return NULL;
  json_t *out = json_array();
  if (!c.ix) return out;
  Arena a;
  arena_init(&a);
  uint32_t n;
  const LspOcc **r = lsp_q_references(c.ix, c.file, c.off, true, &a, &n);
  for (uint32_t i = 0; i < n; i++) {
    if (r[i]->at.file != c.file) continue;
    /* DocumentHighlightKind: 2 read, 3 write (a declaration or a property given a value) */
    int kind = r[i]->role == LSP_ROLE_READ ? 2 : 3;
    json_array_append_new(out, json_pack("{s:o, s:i}", "range", lsp_span_range(s, c.p, r[i]->at),
                                         "kind", kind));
  }
  arena_free(&a);
  return out;
}

/* ---- rename ------------------------------------------------------------------------------------------ */
static json_t *h_prepare_rename(LspServer *s, json_t *params, LspError *err) {
  Ctx c;
  if (!ctx_get(s, params, true, &c, err)) return NULL;
  if (!c.ix) return lsp_fail(err, LSP_ERR_REQUEST_FAILED, "the file could not be checked");
  Arena a;
  arena_init(&a);
  Span r;
  const char *why = NULL;
  json_t *out = NULL;
  if (lsp_q_prepare_rename(c.ix, c.file, c.off, &r, &a, &why)) {
    const SourceFile *sf = source_file(&c.p->sources, r.file);
    out = json_pack("{s:o, s:s%}", "range", lsp_span_range(s, c.p, r), "placeholder",
                    sf->text + r.start, (size_t)(r.end - r.start));
  } else {
    lsp_fail(err, LSP_ERR_REQUEST_FAILED, "%s", why);
  }
  arena_free(&a);
  return out;
}

/* Does the client take WorkspaceEdit.documentChanges (versioned edits)? */
static bool wants_document_changes(LspServer *s) {
  json_t *we = json_object_get(json_object_get(json_object_get(s->init_params, "capabilities"),
                                               "workspace"), "workspaceEdit");
  return json_is_true(json_object_get(we, "documentChanges"));
}

/* A WorkspaceEdit of [n] edits sorted by file: {documentChanges: [{textDocument: {uri,
 * version}, edits}]} when the client takes them (the version of an open document, else
 * null), else {changes: {uri: [TextEdit]}}. */
static json_t *workspace_edit(LspServer *s, Plat *p, const LspEdit *e, uint32_t n) {
  bool versioned = wants_document_changes(s);
  json_t *changes = versioned ? json_array() : json_object();
  json_t *list = NULL;
  char *last = NULL;
  for (uint32_t i = 0; i < n; i++) {
    char *uri = NULL;
    const SourceFile *sf = source_file(&p->sources, e[i].span.file);
    if (sf && sf->builtin) continue;          /* never edit platc's own files */
    uri = lsp_file_uri(s, p, e[i].span.file);
    if (!uri) continue;
    if (!last || strcmp(last, uri) != 0) {
      list = json_array();
      if (versioned) {
        LspDoc *d = lsp_doc_find(s, uri);
        json_array_append_new(changes, json_pack("{s:{s:s, s:o}, s:o}", "textDocument", "uri", uri,
                                                 "version", d ? json_integer(d->version) : json_null(),
                                                 "edits", list));
      } else {
        json_object_set_new(changes, uri, list);
      }
      free(last);
      last = uri;
    } else {
      free(uri);
    }
    json_array_append_new(list, json_pack("{s:o, s:s}", "range", lsp_span_range(s, p, e[i].span),
                                          "newText", e[i].text));
  }
  free(last);
  return json_pack("{s:o}", versioned ? "documentChanges" : "changes", changes);
}

static json_t *h_rename(LspServer *s, json_t *params, LspError *err) {
  Ctx c;
  if (!ctx_get(s, params, true, &c, err)) return NULL;
  const char *name = lsp_jstr(params, "newName");
  if (!name) return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "rename needs a string newName");
  if (!c.ix) return lsp_fail(err, LSP_ERR_REQUEST_FAILED, "the file could not be checked");
  Arena a;
  arena_init(&a);
  uint32_t n;
  const char *why = NULL;
  LspEdit *e = lsp_q_rename(c.ix, c.file, c.off, name, &a, &n, &why);
  json_t *out = e ? workspace_edit(s, c.p, e, n) : lsp_fail(err, LSP_ERR_REQUEST_FAILED, "%s", why);
  arena_free(&a);
  return out;
}

/* ---- completion and signature help --------------------------------------------------------------------- */
static json_t *h_completion(LspServer *s, json_t *params, LspError *err) {
  Ctx c;
  if (!ctx_get(s, params, true, &c, err)) return NULL;
  json_t *items = json_array();
  json_t *out = json_pack("{s:b, s:o}", "isIncomplete", 0, "items", items);
  if (!c.ix) return out;
  Arena a;
  arena_init(&a);
  uint32_t n, ws;
  LspCompletion *v = lsp_q_complete(c.ix, c.file, c.off, &a, &n, &ws);
  if (n >= LSP_MAX_COMPLETIONS) json_object_set_new(out, "isIncomplete", json_true());
  json_t *word = lsp_span_range(s, c.p, span_make(c.file, ws, c.off));
  for (uint32_t i = 0; i < n; i++) {
    const LspCompletion *it = &v[i];
    json_t *j = json_pack("{s:s, s:i}", "label", it->label, "kind", it->kind);
    if (it->detail) json_object_set_new(j, "detail", json_string(it->detail));
    if (it->doc) json_object_set_new(j, "documentation", markdown(it->doc));
    if (it->sort) json_object_set_new(j, "sortText", json_string(it->sort));
    /* replace the word typed so far */
    json_object_set_new(j, "textEdit", json_pack("{s:O, s:s}", "range", word, "newText",
                                                 it->insert ? it->insert : it->label));
    json_object_set_new(j, "insertTextFormat", json_integer(it->snippet ? 2 : 1));
    json_array_append_new(items, j);
  }
  json_decref(word);
  arena_free(&a);
  return out;
}

/* UTF-16 code units in the first [bytes] bytes of [s]. */
static uint32_t utf16_len(const char *s, uint32_t bytes) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < bytes;) {
    int len;
    int32_t cp = utf8_decode(s + i, bytes - i, &len);
    if (cp < 0 || len <= 0) { n++; i++; continue; }
    n += cp >= 0x10000 ? 2 : 1;
    i += (uint32_t)len;
  }
  return n;
}

static json_t *h_signature(LspServer *s, json_t *params, LspError *err) {
  Ctx c;
  if (!ctx_get(s, params, true, &c, err)) return NULL;
  if (!c.ix) return json_null();
  Arena a;
  arena_init(&a);
  LspSignature sig;
  json_t *out = json_null();
  if (lsp_q_signature(c.ix, c.file, c.off, &a, &sig)) {
    json_t *ps = json_array();
    for (uint32_t i = 0; i < sig.nparams; i++)
      json_array_append_new(ps, json_pack("{s:[i,i]}", "label", (int)utf16_len(sig.label, sig.pstart[i]),
                                          (int)utf16_len(sig.label, sig.pend[i])));
    json_t *one = json_pack("{s:s, s:o}", "label", sig.label, "parameters", ps);
    if (sig.doc) json_object_set_new(one, "documentation", markdown(sig.doc));
    json_decref(out);
    out = json_pack("{s:[o], s:i, s:i}", "signatures", one, "activeSignature", 0,
                    "activeParameter", (int)sig.active);
  }
  arena_free(&a);
  return out;
}

/* ---- workspace symbols ------------------------------------------------------------------------------ */
#define MAX_SYMBOLS 500

static json_t *h_workspace_symbol(LspServer *s, json_t *params, LspError *err) {
  const char *q = lsp_jstr(params, "query");
  if (!q) return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "workspace/symbol needs a string query");
  /* every folder module of the workspace, and the modules of open documents */
  uint32_t nd = 0;
  char **dirs = lsp_workspace_modules(s, &nd);
  Plat **plats = calloc((size_t)nd + s->ndocs + 1, sizeof *plats);
  uint32_t np = 0;
  for (uint32_t i = 0; i < nd; i++) {
    Plat *p = lsp_folder_plat(s, dirs[i]);
    if (p) plats[np++] = p;
  }
  for (uint32_t i = 0; i < s->ndocs; i++) {
    uint32_t f;
    Plat *p = lsp_doc_plat(s, s->docs[i], &f);
    bool seen = false;
    for (uint32_t k = 0; k < np && !seen; k++) seen = plats[k] == p;
    if (p && !seen) plats[np++] = p;
  }
  lsp_free_strings(dirs, nd);
  json_t *out = json_array();
  json_t *seen = json_object();     /* "uri:line:col" of symbols already given */
  Arena a;
  arena_init(&a);
  for (uint32_t i = 0; i < np && json_array_size(out) < MAX_SYMBOLS; i++) {
    uint32_t n;
    LspIndex *ix = lsp_plat_index(s, plats[i]);
    if (!ix) continue;
    LspSymbol *v = lsp_q_workspace_symbols(ix, q, MAX_SYMBOLS, &a, &n);
    for (uint32_t k = 0; k < n && json_array_size(out) < MAX_SYMBOLS; k++) {
      json_t *loc = lsp_span_location(s, plats[i], v[k].span);
      if (!loc) continue;
      char *key = json_dumps(loc, JSON_COMPACT | JSON_SORT_KEYS);
      if (json_object_get(seen, key)) {
        free(key);
        json_decref(loc);
        continue;
      }
      json_object_set_new(seen, key, json_true());
      free(key);
      json_t *j = json_pack("{s:s, s:i, s:o}", "name", v[k].name, "kind", v[k].kind, "location", loc);
      if (v[k].container) json_object_set_new(j, "containerName", json_string(v[k].container));
      json_array_append_new(out, j);
    }
  }
  arena_free(&a);
  json_decref(seen);
  free(plats);
  return out;
}

/* ---- inlay hints ------------------------------------------------------------------------------------ */
static json_t *h_inlay(LspServer *s, json_t *params, LspError *err) {
  Ctx c;
  if (!ctx_get(s, params, false, &c, err)) return NULL;
  uint32_t start, end;
  if (!lsp_range_offsets(c.doc, json_object_get(params, "range"), &start, &end, err)) return NULL;
  json_t *out = json_array();
  if (!c.ix) return out;
  Arena a;
  arena_init(&a);
  uint32_t n;
  LspHint *h = lsp_q_inlay_hints(c.ix, c.file, start, end, &a, &n);
  for (uint32_t i = 0; i < n; i++) {
    json_t *range = lsp_span_range(s, c.p, span_make(c.file, h[i].off, h[i].off));
    json_t *pos = json_incref(json_object_get(range, "start"));
    json_decref(range);
    json_t *j = json_pack("{s:o, s:s, s:i}", "position", pos, "label", h[i].label, "kind", h[i].kind);
    json_object_set_new(j, h[i].kind == 2 ? "paddingRight" : "paddingLeft", json_false());
    if (h[i].kind == 2) json_object_set_new(j, "paddingRight", json_true());
    json_array_append_new(out, j);
  }
  arena_free(&a);
  return out;
}

/* ---- code actions and the explain command ---------------------------------------------------------------- */
static json_t *diag_json(LspServer *s, Plat *p, const Diag *d) {
  return json_pack("{s:o, s:i, s:s, s:s, s:s}", "range", lsp_span_range(s, p, d->span), "severity",
                   d->sev == SEV_ERROR ? 1 : d->sev == SEV_WARNING ? 2 : 3, "code",
                   diag_code_name(d->code), "source", "platc", "message", d->msg);
}

static json_t *h_code_action(LspServer *s, json_t *params, LspError *err) {
  Ctx c;
  if (!ctx_get(s, params, false, &c, err)) return NULL;
  uint32_t start, end;
  if (!lsp_range_offsets(c.doc, json_object_get(params, "range"), &start, &end, err)) return NULL;
  json_t *out = json_array();
  if (!c.ix) return out;
  /* context.only: the kinds the client wants (we make only quickfixes) */
  json_t *only = json_object_get(json_object_get(params, "context"), "only");
  if (json_is_array(only)) {
    bool want = false;
    size_t i;
    json_t *k;
    json_array_foreach(only, i, k)
      if (json_is_string(k) && strncmp(json_string_value(k), "quickfix", 8) == 0) want = true;
    if (!want) return out;
  }
  Arena a;
  arena_init(&a);
  uint32_t n;
  LspAction *v = lsp_q_code_actions(c.ix, c.file, start, end, &a, &n);
  for (uint32_t i = 0; i < n; i++) {
    json_t *j = json_pack("{s:s, s:s, s:[o]}", "title", v[i].title, "kind", v[i].kind, "diagnostics",
                          diag_json(s, c.p, v[i].diag));
    if (v[i].nedits) json_object_set_new(j, "edit", workspace_edit(s, c.p, v[i].edits, v[i].nedits));
    if (v[i].command)
      json_object_set_new(j, "command", json_pack("{s:s, s:s, s:[s]}", "title", v[i].title, "command",
                                                  v[i].command, "arguments", v[i].arg));
    if (v[i].preferred) json_object_set_new(j, "isPreferred", json_true());
    json_array_append_new(out, j);
  }
  arena_free(&a);
  return out;
}

/* workspace/executeCommand platc.explain ["E0207"]: the explanation, as Markdown text, and
 * shown to the user through window/showDocument's cousin: the result is the text, which
 * the VS Code extension opens in a preview. */
static json_t *h_execute(LspServer *s, json_t *params, LspError *err) {
  (void)s;
  const char *cmd = lsp_jstr(params, "command");
  if (!cmd) return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "executeCommand needs a string command");
  if (strcmp(cmd, "platc.explain") != 0)
    return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "unknown command '%s'", cmd);
  json_t *args = json_object_get(params, "arguments");
  json_t *a0 = json_is_array(args) ? json_array_get(args, 0) : NULL;
  DiagCode code;
  if (!json_is_string(a0) || !diag_code_parse(json_string_value(a0), &code))
    return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "platc.explain needs a diagnostic code such as \"E0200\"");
  size_t len;
  const char *text = plat_explain(code, &len);
  if (!text) return lsp_fail(err, LSP_ERR_REQUEST_FAILED, "no explanation for %s", diag_code_name(code));
  return json_pack("{s:s, s:s%}", "code", diag_code_name(code), "markdown", text, len);
}

void lsp_features_register(LspServer *s) {
  lsp_register(s, "textDocument/hover", h_hover, "hoverProvider", NULL);
  lsp_register(s, "textDocument/definition", h_definition, "definitionProvider", NULL);
  lsp_register(s, "textDocument/references", h_references, "referencesProvider", NULL);
  lsp_register(s, "textDocument/documentHighlight", h_highlight, "documentHighlightProvider", NULL);
  lsp_register(s, "textDocument/prepareRename", h_prepare_rename, "renameProvider",
               "{\"prepareProvider\": true}");
  lsp_register(s, "textDocument/rename", h_rename, "renameProvider", "{\"prepareProvider\": true}");
  lsp_register(s, "textDocument/completion", h_completion, "completionProvider",
               "{\"triggerCharacters\": [\".\", \"\\\"\"]}");
  lsp_register(s, "textDocument/signatureHelp", h_signature, "signatureHelpProvider",
               "{\"triggerCharacters\": [\"(\", \",\"], \"retriggerCharacters\": [\",\"]}");
  lsp_register(s, "workspace/symbol", h_workspace_symbol, "workspaceSymbolProvider", NULL);
  lsp_register(s, "textDocument/inlayHint", h_inlay, "inlayHintProvider", NULL);
  lsp_register(s, "textDocument/codeAction", h_code_action, "codeActionProvider",
               "{\"codeActionKinds\": [\"quickfix\"]}");
  lsp_register(s, "workspace/executeCommand", h_execute, "executeCommandProvider",
               "{\"commands\": [\"platc.explain\"]}");
}
