/* The language server's loop: read ahead on the input, dispatch each message through the
 * method table (whose entries also make up the capabilities initialize advertises), keep
 * the documents in step, and check folder modules once input has been idle a few ms
 * (a burst of edits is one check), publishing their diagnostics.  Every malformed or
 * unexpected message gets a JSON-RPC error and the loop goes on.  Features live in
 * format.c, tokens.c, symbols.c, workspace.c and lspq's features.c. */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "compiler/check.h"
#include "lsp/docs.h"
#include "lsp/query.h"

#define READ_AHEAD 1024          /* messages parsed ahead of the one being handled */
#define DEFAULT_DEBOUNCE_MS 4

uint64_t lsp_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

json_t *lsp_fail(LspError *err, int code, const char *fmt, ...) {
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return NULL;
}

const char *lsp_jstr(json_t *obj, const char *key) {
  json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- output ---------------------------------------------------------------------------- */
static void send(LspServer *s, json_t *msg) {
  if (s->opt.log) {
    char *t = json_dumps(msg, JSON_COMPACT);
    if (t) fprintf(s->opt.log, "<- %s\n", t), fflush(s->opt.log);
    free(t);
  }
  if (!rpc_write(s->opt.out_fd, msg)) s->exiting = true;   /* nobody is listening */
  json_decref(msg);
}

static void send_result(LspServer *s, json_t *id, json_t *result) {
  json_t *m = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(),
                        "result", result ? result : json_null());
  send(s, m);
}

static void send_error(LspServer *s, json_t *id, int code, const char *msg) {
  json_t *m = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(),
                        "error", "code", code, "message", msg);
  send(s, m);
}

static void notify(LspServer *s, const char *method, json_t *params) {
  send(s, json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", method, "params", params));
}

/* ---- method table --------------------------------------------------------------------------- */
void lsp_register(LspServer *s, const char *method, LspHandler fn, const char *capability,
                  const char *capability_json) {
  LspMethod *m = NULL;
  for (uint32_t i = 0; i < s->nmethods; i++)
    if (strcmp(s->methods[i].name, method) == 0) m = &s->methods[i];
  if (m) {
    free(m->capability);
    free(m->capability_json);
  } else {
    if (s->nmethods == s->capmethods) {
      s->capmethods = s->capmethods ? s->capmethods * 2 : 32;
      s->methods = plat_xrealloc(s->methods, s->capmethods * sizeof *s->methods);
    }
    m = &s->methods[s->nmethods++];
    m->name = plat_xstrdup(method);
  }
  m->fn = fn;
  m->capability = capability ? plat_xstrdup(capability) : NULL;
  m->capability_json = capability_json ? plat_xstrdup(capability_json) : NULL;
}

static const LspMethod *find_method(LspServer *s, const char *name) {
  for (uint32_t i = 0; i < s->nmethods; i++)
    if (strcmp(s->methods[i].name, name) == 0) return &s->methods[i];
  return NULL;
}

/* ServerCapabilities from the table: a method is advertised if and only if it is there. */
static json_t *capabilities(LspServer *s) {
  json_t *caps = json_object();
  json_object_set_new(caps, "positionEncoding", json_string("utf-16"));
  for (uint32_t i = 0; i < s->nmethods; i++) {
    const LspMethod *m = &s->methods[i];
    if (!m->capability) continue;
    json_t *v = m->capability_json ? json_loads(m->capability_json, JSON_DECODE_ANY, NULL) : json_true();
    if (!v) v = json_true();
    json_t *old = json_object_get(caps, m->capability);
    if (old && json_is_object(old) && json_is_object(v)) {
      json_object_update_recursive(old, v);
      json_decref(v);
    } else {
      json_object_set_new(caps, m->capability, v);
    }
  }
  return caps;
}

/* ---- documents -------------------------------------------------------------------------------- */
LspDoc *lsp_doc_find(LspServer *s, const char *uri) {
  for (uint32_t i = 0; i < s->ndocs; i++)
    if (strcmp(s->docs[i]->uri, uri) == 0) return s->docs[i];
  return NULL;
}

LspDoc *lsp_param_doc(LspServer *s, json_t *params, LspError *err) {
  json_t *td = json_is_object(params) ? json_object_get(params, "textDocument") : NULL;
  const char *uri = lsp_jstr(td, "uri");
  if (!uri) return (LspDoc *)lsp_fail(err, LSP_ERR_INVALID_PARAMS, "missing textDocument.uri");
  LspDoc *d = lsp_doc_find(s, uri);
  if (!d) return (LspDoc *)lsp_fail(err, LSP_ERR_REQUEST_FAILED, "document not open: %s", uri);
  return d;
}

/* A non-negative integer member that fits in 32 bits. */
static bool get_u32(json_t *obj, const char *key, uint32_t *out) {
  json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
  if (!json_is_integer(v)) return false;
  json_int_t i = json_integer_value(v);
  if (i < 0) return false;
  *out = i > (json_int_t)UINT32_MAX ? UINT32_MAX : (uint32_t)i;
  return true;
}

static bool get_pos(json_t *pos, uint32_t *line, uint32_t *ch) {
  return get_u32(pos, "line", line) && get_u32(pos, "character", ch);
}

bool lsp_param_offset(LspDoc *doc, json_t *params, uint32_t *offset, LspError *err) {
  uint32_t line, ch;
  if (!get_pos(json_is_object(params) ? json_object_get(params, "position") : NULL, &line, &ch)) {
    lsp_fail(err, LSP_ERR_INVALID_PARAMS, "missing or malformed position");
    return false;
  }
  *offset = lsp_offset_at(doc->text, doc->len, &doc->lines, line, ch);
  return true;
}

bool lsp_range_offsets(LspDoc *doc, json_t *range, uint32_t *start, uint32_t *end, LspError *err) {
  uint32_t sl, sc, el, ec;
  if (!json_is_object(range) || !get_pos(json_object_get(range, "start"), &sl, &sc) ||
      !get_pos(json_object_get(range, "end"), &el, &ec)) {
    lsp_fail(err, LSP_ERR_INVALID_PARAMS, "missing or malformed range");
    return false;
  }
  *start = lsp_offset_at(doc->text, doc->len, &doc->lines, sl, sc);
  *end = lsp_offset_at(doc->text, doc->len, &doc->lines, el, ec);
  if (*end < *start) *end = *start;
  return true;
}

/* A position on the first line of a file read from disk that opens with a byte-order mark:
 * editors do not count the mark (it is not part of the document they show), so neither do
 * we.  Open buffers are what the client sent and are counted as they are. */
static void skip_bom(uint32_t off, uint32_t line, uint32_t *ch) {
  if (line == 0) *ch = off < 3 ? 0 : *ch - 1;   /* U+FEFF is one UTF-16 unit */
}

static json_t *range_json_bom(const char *text, size_t len, const LspLines *l, uint32_t start,
                              uint32_t end, bool bom) {
  uint32_t sl, sc, el, ec;
  lsp_position_at(text, len, l, start, &sl, &sc);
  lsp_position_at(text, len, l, end, &el, &ec);
  if (bom) skip_bom(start, sl, &sc), skip_bom(end, el, &ec);
  return json_pack("{s:{s:i, s:i}, s:{s:i, s:i}}", "start", "line", (json_int_t)sl, "character",
                   (json_int_t)sc, "end", "line", (json_int_t)el, "character", (json_int_t)ec);
}

static json_t *range_json(const char *text, size_t len, const LspLines *l, uint32_t start, uint32_t end) {
  return range_json_bom(text, len, l, start, end, false);
}

json_t *lsp_doc_range(LspDoc *doc, uint32_t start, uint32_t end) {
  return range_json(doc->text, doc->len, &doc->lines, start, end);
}

/* ---- spans of a checked Plat -------------------------------------------------------------------- */
static LspModule *module_of_plat(LspServer *s, Plat *p) {
  for (uint32_t i = 0; i < s->nmods; i++)
    if (s->mods[i]->plat == p) return s->mods[i];
  return NULL;
}

/* The line table of source [file] of [m]'s Plat, built on first use. */
static LspLines *module_lines(LspModule *m, uint32_t file) {
  Plat *p = m->plat;
  if (m->nflines < p->sources.nfiles) {
    m->flines = plat_xrealloc(m->flines, p->sources.nfiles * sizeof *m->flines);
    memset(m->flines + m->nflines, 0, (p->sources.nfiles - m->nflines) * sizeof *m->flines);
    m->nflines = p->sources.nfiles;
  }
  LspLines *l = &m->flines[file];
  const SourceFile *f = source_file(&p->sources, file);
  if (!l->starts) lsp_lines_build(l, f->text, f->len);
  return l;
}

json_t *lsp_span_range(LspServer *s, Plat *p, Span span) {
  if (span.file == SPAN_NO_FILE || span.file >= p->sources.nfiles)
    return range_json("", 0, &(LspLines){(uint32_t[]){0}, 1}, 0, 0);
  const SourceFile *f = source_file(&p->sources, span.file);
  LspModule *m = module_of_plat(s, p);
  bool bom = f->len >= 3 && memcmp(f->text, "\xEF\xBB\xBF", 3) == 0;
  for (uint32_t i = 0; bom && i < s->ndocs; i++)
    if (s->docs[i]->path && strcmp(s->docs[i]->path, f->path) == 0) bom = false;
  if (!m) {
    LspLines l = {0};
    lsp_lines_build(&l, f->text, f->len);
    json_t *r = range_json_bom(f->text, f->len, &l, span.start, span.end, bom);
    lsp_lines_free(&l);
    return r;
  }
  return range_json_bom(f->text, f->len, module_lines(m, span.file), span.start, span.end, bom);
}

char *lsp_file_uri(LspServer *s, Plat *p, uint32_t file) {
  const SourceFile *f = source_file(&p->sources, file);
  if (f->builtin) {
    char *u = lsp_builtin_uri(s, f->path);
    if (u) return u;
  }
  LspModule *m = module_of_plat(s, p);
  if (m && m->single) return plat_xstrdup(m->dir);
  return lsp_path_to_uri(f->path);
}

json_t *lsp_span_location(LspServer *s, Plat *p, Span span) {
  if (span.file == SPAN_NO_FILE || span.file >= p->sources.nfiles) return NULL;
  char *uri = lsp_file_uri(s, p, span.file);
  json_t *loc = json_pack("{s:s, s:o}", "uri", uri, "range", lsp_span_range(s, p, span));
  free(uri);
  return loc;
}

AstFile *lsp_ast_file(Plat *p, uint32_t file) {
  Program *prog = p->prog;
  if (!prog) return NULL;
  for (uint32_t i = 0; i < prog->nmods; i++)
    for (uint32_t k = 0; k < prog->mods[i]->nfiles; k++)
      if (prog->mods[i]->files[k]->file == file) return prog->mods[i]->files[k];
  for (uint32_t i = 0; i < prog->nroots; i++)   /* a root not yet in mods (an error) */
    for (uint32_t k = 0; k < prog->roots[i]->nfiles; k++)
      if (prog->roots[i]->files[k]->file == file) return prog->roots[i]->files[k];
  return NULL;
}

/* ---- modules and checks --------------------------------------------------------------------- */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return plat_xstrdup(".");
  if (slash == path) return plat_xstrdup("/");
  size_t n = (size_t)(slash - path);
  char *d = plat_xmalloc(n + 1);
  memcpy(d, path, n);
  d[n] = 0;
  return d;
}

LspModule *lsp_module_at(LspServer *s, const char *dir, bool make) {
  for (uint32_t i = 0; i < s->nmods; i++)
    if (strcmp(s->mods[i]->dir, dir) == 0) return s->mods[i];
  if (!make) return NULL;
  if (s->nmods == s->capmods) {
    s->capmods = s->capmods ? s->capmods * 2 : 8;
    s->mods = plat_xrealloc(s->mods, s->capmods * sizeof *s->mods);
  }
  LspModule *m = plat_xcalloc(1, sizeof *m);
  m->dir = plat_xstrdup(dir);
  m->dirty = true;
  m->due = lsp_now_ms();
  s->mods[s->nmods++] = m;
  return m;
}

LspModule *lsp_module_for(LspServer *s, LspDoc *doc) {
  if (doc->mod) return doc->mod;
  if (doc->path) {
    char *dir = dir_of(doc->path);
    doc->mod = lsp_module_at(s, dir, true);
    free(dir);
  } else {
    doc->mod = lsp_module_at(s, doc->uri, true);
    doc->mod->single = true;
  }
  return doc->mod;
}

void lsp_module_touch(LspServer *s, LspModule *m, uint32_t delay_ms) {
  (void)s;
  m->dirty = true;
  m->due = lsp_now_ms() + delay_ms;
}

LspIndex *lsp_plat_index(LspServer *s, Plat *p) {
  LspModule *m = p ? module_of_plat(s, p) : NULL;
  if (!m) return NULL;
  if (!m->ix) m->ix = lsp_index_new(p);
  return m->ix;
}

static void drop_plat(LspModule *m) {
  lsp_index_free(m->ix);
  m->ix = NULL;
  for (uint32_t i = 0; i < m->nflines; i++) lsp_lines_free(&m->flines[i]);
  free(m->flines);
  m->flines = NULL;
  m->nflines = 0;
  plat_free(m->plat);
  m->plat = NULL;
}

static void free_module(LspModule *m) {
  drop_plat(m);
  lsp_free_strings(m->published, m->npublished);
  free(m->dir);
  free(m);
}

static bool module_has_docs(LspServer *s, LspModule *m) {
  for (uint32_t i = 0; i < s->ndocs; i++)
    if (s->docs[i]->mod == m) return true;
  return false;
}

/* Does the last check of [m] read [path]? */
static bool plat_reads(Plat *p, const char *path) {
  for (uint32_t i = 0; p && i < p->sources.nfiles; i++)
    if (!p->sources.files[i].builtin && strcmp(p->sources.files[i].path, path) == 0) return true;
  return false;
}

void lsp_touch_path(LspServer *s, const char *path, uint32_t delay_ms) {
  char *dir = dir_of(path);
  for (uint32_t i = 0; i < s->nmods; i++) {
    LspModule *m = s->mods[i];
    if (m->single) continue;
    if (strcmp(m->dir, dir) == 0 || plat_reads(m->plat, path)) lsp_module_touch(s, m, delay_ms);
  }
  free(dir);
}

static const char *severity_tag(Severity sev) {
  return sev == SEV_ERROR ? "error" : sev == SEV_WARNING ? "warning" : "note";
}

#define DIAG_DOC_URL "https://github.com/plat-lang/platc/blob/main/docs/diagnostics.md"

/* One Diagnostic as LSP 3.17 has it. */
static json_t *diag_json(LspServer *s, Plat *p, const Diag *d, Span at) {
  json_t *j = json_object();
  json_object_set_new(j, "range", lsp_span_range(s, p, at));
  json_object_set_new(j, "severity", json_integer(d->sev == SEV_ERROR ? 1 : d->sev == SEV_WARNING ? 2 : 3));
  const char *code = diag_code_name(d->code);
  json_object_set_new(j, "code", json_string(code));
  char href[sizeof DIAG_DOC_URL + 16], lower[16];
  size_t k = 0;
  for (; code[k] && k < sizeof lower - 1; k++) lower[k] = (char)(code[k] | 0x20);
  lower[k] = 0;
  snprintf(href, sizeof href, "%s#%s", DIAG_DOC_URL, lower);
  json_object_set_new(j, "codeDescription", json_pack("{s:s}", "href", href));
  json_object_set_new(j, "source", json_string("platc"));
  /* the message, then what the text renderer prints below the carets */
  size_t cap = strlen(d->msg) + 1, len = 0;
  for (uint32_t i = 0; i < d->nnotes; i++) cap += strlen(d->notes[i]) + 8;
  for (uint32_t i = 0; i < d->nlabels; i++)
    if (d->labels[i].span.file == SPAN_NO_FILE && d->labels[i].msg) cap += strlen(d->labels[i].msg) + 8;
  if (d->help) cap += strlen(d->help) + 8;
  char *msg = plat_xmalloc(cap);
  len += (size_t)snprintf(msg, cap, "%s", d->msg);
  for (uint32_t i = 0; i < d->nlabels; i++)
    if (d->labels[i].span.file == SPAN_NO_FILE && d->labels[i].msg)
      len += (size_t)snprintf(msg + len, cap - len, "\nnote: %s", d->labels[i].msg);
  for (uint32_t i = 0; i < d->nnotes; i++)
    len += (size_t)snprintf(msg + len, cap - len, "\nnote: %s", d->notes[i]);
  if (d->help) snprintf(msg + len, cap - len, "\nhelp: %s", d->help);
  json_object_set_new(j, "message", json_string(msg));
  free(msg);
  json_t *rel = json_array();
  for (uint32_t i = 0; i < d->nlabels; i++) {
    const DiagLabel *lb = &d->labels[i];
    if (lb->span.file == SPAN_NO_FILE) continue;
    if (lb->span.file == d->span.file && lb->span.start == d->span.start && lb->span.end == d->span.end)
      continue;   /* the primary span's own text */
    json_t *loc = lsp_span_location(s, p, lb->span);
    if (!loc) continue;
    json_array_append_new(rel, json_pack("{s:o, s:s}", "location", loc, "message",
                                         lb->msg ? lb->msg : severity_tag(d->sev)));
  }
  if (json_array_size(rel)) json_object_set_new(j, "relatedInformation", rel);
  else json_decref(rel);
  /* unused names are greyed out by editors */
  if (d->code == DIAG_W0001 || d->code == DIAG_W0002 || d->code == DIAG_W0003)
    json_object_set_new(j, "tags", json_pack("[i]", 1));
  return j;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void publish(LspServer *s, LspModule *m, const char *uri, json_t *diags) {
  json_t *params = json_pack("{s:s, s:o}", "uri", uri, "diagnostics", diags);
  LspDoc *d = lsp_doc_find(s, uri);
  if (d) json_object_set_new(params, "version", json_integer(d->version));
  (void)m;
  notify(s, "textDocument/publishDiagnostics", params);
}

/* Is the folder of [path] a module some open document is checked in (so that module's own
 * check publishes the file's diagnostics)? */
static bool owned_elsewhere(LspServer *s, LspModule *m, const char *path) {
  char *dir = dir_of(path);
  LspModule *o = lsp_module_at(s, dir, false);
  free(dir);
  return o && o != m && module_has_docs(s, o);
}

/* Publish the diagnostics of [m]'s check: for its own files and the files of the modules it
 * imports that no open document's module owns (an error in a closed imported file shows
 * while a file importing it is open), those that had some last time (now cleared), and its
 * open documents (so a fixed buffer is cleared at once).  A diagnostic without a file (a
 * folder that cannot be read) goes on the first of its files that is open, else on the
 * first open document checked in [m]. */
static void publish_module(LspServer *s, LspModule *m) {
  Plat *p = m->plat;
  Program *prog = p->prog;
  Module *root = prog && prog->nroots ? prog->roots[0] : NULL;
  uint32_t cap = 1, nf = 0;
  for (uint32_t i = 0; prog && i < prog->nmods; i++)
    if (!prog->mods[i]->provider) cap += prog->mods[i]->nfiles;
  if (root) cap += root->nfiles;
  uint32_t *files = plat_xcalloc(cap, sizeof *files);
  char **uris = plat_xcalloc(cap, sizeof *uris);
  json_t **lists = plat_xcalloc(cap, sizeof *lists);
  /* the root's files first (the no-file target is looked for among them), then imports' */
  for (uint32_t r = 0; root && r < root->nfiles; r++)
    if (root->files[r]) files[nf++] = root->files[r]->file;
  for (uint32_t i = 0; prog && i < prog->nmods; i++) {
    Module *md = prog->mods[i];
    if (md == root || md->provider) continue;
    for (uint32_t k = 0; k < md->nfiles; k++) {
      if (!md->files[k]) continue;
      const SourceFile *sf = source_file(&p->sources, md->files[k]->file);
      if (sf->builtin || owned_elsewhere(s, m, sf->path)) continue;
      bool dup = false;
      for (uint32_t j = 0; j < nf && !dup; j++) dup = files[j] == md->files[k]->file;
      if (!dup) files[nf++] = md->files[k]->file;
    }
  }
  for (uint32_t i = 0; i < nf; i++) {
    lists[i] = json_array();
    uris[i] = lsp_file_uri(s, p, files[i]);
  }
  uint32_t nroot = root ? root->nfiles : 0;
  /* where a diagnostic without a file goes: an open file of the root, else [m]'s first
     open document (index nf: it may not be one of the module's files, a .txt buffer) */
  uint32_t nofile = UINT32_MAX;
  for (uint32_t i = 0; i < nf && i < nroot && nofile == UINT32_MAX; i++)
    if (lsp_doc_find(s, uris[i])) nofile = i;
  LspDoc *nofile_doc = NULL;
  json_t *nofile_list = json_array();
  if (nofile == UINT32_MAX)
    for (uint32_t i = 0; i < s->ndocs && !nofile_doc; i++)
      if (s->docs[i]->mod == m) nofile_doc = s->docs[i];
  for (uint32_t k = 0; k < p->diags.n; k++) {
    const Diag *d = p->diags.items[k];
    if (d->span.file == SPAN_NO_FILE) {
      if (nofile != UINT32_MAX)
        json_array_append_new(lists[nofile], diag_json(s, p, d, span_make(files[nofile], 0, 0)));
      else if (nofile_doc)
        json_array_append_new(nofile_list, diag_json(s, p, d, d->span));
      continue;
    }
    for (uint32_t i = 0; i < nf; i++)
      if (d->span.file == files[i]) {
        json_array_append_new(lists[i], diag_json(s, p, d, d->span));
        break;
      }
  }
  char **now = plat_xcalloc(nf + 2, sizeof *now);
  uint32_t nnow = 0;
  for (uint32_t i = 0; i < nf; i++) {
    bool had = m->published &&
               bsearch(&uris[i], m->published, m->npublished, sizeof *m->published, cmp_str);
    LspDoc *d = lsp_doc_find(s, uris[i]);
    bool nonempty = json_array_size(lists[i]) > 0;
    if (nonempty) now[nnow++] = plat_xstrdup(uris[i]);
    if (nonempty || had || (d && d->mod == m)) publish(s, m, uris[i], json_incref(lists[i]));
  }
  /* files that had diagnostics and are no longer in the check (deleted, renamed, an import
     removed or now owned by its own open module) */
  for (uint32_t k = 0; k < m->npublished; k++) {
    bool still = false;
    for (uint32_t i = 0; i < nf && !still; i++) still = strcmp(uris[i], m->published[k]) == 0;
    if (!still && !(nofile_doc && json_array_size(nofile_list) &&
                    strcmp(m->published[k], nofile_doc->uri) == 0))
      publish(s, m, m->published[k], json_array());
  }
  /* an open document that is not part of the module (not a .plat file): the diagnostics
     without a file if it is their target, else say it is clean */
  for (uint32_t i = 0; i < s->ndocs; i++) {
    LspDoc *d = s->docs[i];
    if (d->mod != m) continue;
    bool in = false;
    for (uint32_t k = 0; k < nf && !in; k++) in = strcmp(uris[k], d->uri) == 0;
    if (in) continue;
    if (d == nofile_doc && json_array_size(nofile_list)) {
      publish(s, m, d->uri, json_incref(nofile_list));
      now[nnow++] = plat_xstrdup(d->uri);
    } else if (!m->single) {
      publish(s, m, d->uri, json_array());
    }
  }
  json_decref(nofile_list);
  qsort(now, nnow, sizeof *now, cmp_str);
  lsp_free_strings(m->published, m->npublished);
  m->published = now;
  m->npublished = nnow;
  for (uint32_t i = 0; i < nf; i++) {
    json_decref(lists[i]);
    free(uris[i]);
  }
  free(lists);
  free(uris);
  free(files);
}

/* Check [m] if it is dirty, without publishing its diagnostics; true when it checked. */
static bool module_check_quiet(LspServer *s, LspModule *m) {
  if (!m->dirty && m->plat) return false;
  drop_plat(m);
  Plat *p = plat_new();
  LspDoc *single = NULL;
  for (uint32_t i = 0; i < s->ndocs; i++) {
    LspDoc *d = s->docs[i];
    if (d->path) plat_overlay(p, d->path, d->text, d->len);
    if (m->single && d->mod == m) single = d;
  }
  struct stat st;
  if (!m->single && (stat(m->dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
    /* a new buffer in a folder not on disk: check the first of its buffers alone */
    for (uint32_t i = 0; i < s->ndocs && !single; i++)
      if (s->docs[i]->mod == m) single = s->docs[i];
    if (single) plat_check_source(p, single->path, single->text, single->len);
  } else if (m->single) {
    if (single) plat_check_source(p, single->uri, single->text, single->len);
  } else {
    const char *paths[1] = {m->dir};
    plat_check_paths(p, paths, 1);
  }
  diag_sort(&p->diags);
  m->plat = p;
  m->dirty = false;
  s->checks++;
  return true;
}

void lsp_module_check(LspServer *s, LspModule *m) {
  if (module_check_quiet(s, m)) publish_module(s, m);
}

Plat *lsp_doc_plat(LspServer *s, LspDoc *doc, uint32_t *file) {
  LspModule *m = lsp_module_for(s, doc);
  lsp_module_check(s, m);
  *file = UINT32_MAX;
  Plat *p = m->plat;
  if (!p) return NULL;
  const char *name = doc->path ? doc->path : doc->uri;
  for (uint32_t i = 0; i < p->sources.nfiles; i++)
    if (!p->sources.files[i].builtin && strcmp(p->sources.files[i].path, name) == 0) {
      *file = i;
      break;
    }
  return p;
}

Plat *lsp_folder_plat(LspServer *s, const char *dir) {
  LspModule *m = lsp_module_at(s, dir, true);
  lsp_module_check(s, m);
  return m->plat;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */
static json_t *h_initialize(LspServer *s, json_t *params, LspError *err) {
  if (s->initialized) return lsp_fail(err, LSP_ERR_INVALID_REQUEST, "initialize was already received");
  if (params && !json_is_object(params))
    return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "initialize params must be an object");
  s->initialized = true;
  s->init_params = json_incref(params ? params : json_object());
  lsp_workspace_init(s, s->init_params);
  return json_pack("{s:o, s:{s:s, s:s}}", "capabilities", capabilities(s), "serverInfo", "name",
                   "platc", "version", PLAT_VERSION);
}

static json_t *h_initialized(LspServer *s, json_t *params, LspError *err) {
  (void)params, (void)err;
  /* ask the client to tell us about .plat files changed on disk, when it can */
  json_t *caps = json_object_get(s->init_params, "capabilities");
  json_t *ws = json_is_object(caps) ? json_object_get(caps, "workspace") : NULL;
  json_t *w = json_is_object(ws) ? json_object_get(ws, "didChangeWatchedFiles") : NULL;
  if (json_is_object(w) && json_is_true(json_object_get(w, "dynamicRegistration"))) {
    send(s, json_pack("{s:s, s:s, s:s, s:{s:[{s:s, s:s, s:{s:[{s:s}]}}]}}", "jsonrpc", "2.0",
                      "id", "platc-watch", "method", "client/registerCapability", "params",
                      "registrations", "id", "platc-watch", "method",
                      "workspace/didChangeWatchedFiles", "registerOptions", "watchers",
                      "globPattern", "**/*.plat"));
  }
  return json_null();
}

static json_t *h_shutdown(LspServer *s, json_t *params, LspError *err) {
  (void)params, (void)err;
  s->shutdown = true;
  return json_null();
}

static json_t *h_exit(LspServer *s, json_t *params, LspError *err) {
  (void)params, (void)err;
  s->exiting = true;
  return json_null();
}

/* Cancellation happens in the loop (a request still queued is answered -32800); one that
 * has been answered already needs nothing. */
static json_t *h_cancel(LspServer *s, json_t *params, LspError *err) {
  (void)s, (void)params, (void)err;
  return json_null();
}

/* ---- text synchronisation ------------------------------------------------------------------- */
static void doc_changed(LspServer *s, LspDoc *d, uint32_t delay) {
  LspModule *m = lsp_module_for(s, d);
  lsp_module_touch(s, m, delay);
  /* modules that import this file see the buffer too */
  if (d->path) lsp_touch_path(s, d->path, delay);
}

static json_t *h_did_open(LspServer *s, json_t *params, LspError *err) {
  json_t *td = json_is_object(params) ? json_object_get(params, "textDocument") : NULL;
  const char *uri = lsp_jstr(td, "uri");
  json_t *text = json_is_object(td) ? json_object_get(td, "text") : NULL;
  if (!uri || !json_is_string(text))
    return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "didOpen needs textDocument.uri and text");
  json_t *ver = json_object_get(td, "version");
  int64_t version = json_is_integer(ver) ? json_integer_value(ver) : 0;
  LspDoc *d = lsp_doc_find(s, uri);
  if (d) {   /* opened twice: the spec forbids it; take the new text */
    if (!lsp_doc_set(d, json_string_value(text), json_string_length(text)))
      return lsp_fail(err, LSP_ERR_REQUEST_FAILED, "document too large");
    d->version = version;
  } else {
    if (json_string_length(text) > LSP_MAX_DOCUMENT)
      return lsp_fail(err, LSP_ERR_REQUEST_FAILED, "document too large");
    d = lsp_doc_new(uri, json_string_value(text), json_string_length(text), version);
    if (s->ndocs == s->capdocs) {
      s->capdocs = s->capdocs ? s->capdocs * 2 : 16;
      s->docs = plat_xrealloc(s->docs, s->capdocs * sizeof *s->docs);
    }
    s->docs[s->ndocs++] = d;
  }
  doc_changed(s, d, 0);
  return json_null();
}

static json_t *h_did_change(LspServer *s, json_t *params, LspError *err) {
  LspDoc *d = lsp_param_doc(s, params, err);
  if (!d) return NULL;
  json_t *changes = json_object_get(params, "contentChanges");
  if (!json_is_array(changes)) return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "missing contentChanges");
  size_t i;
  json_t *c;
  json_array_foreach(changes, i, c) {
    json_t *text = json_is_object(c) ? json_object_get(c, "text") : NULL;
    if (!json_is_string(text)) return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "change %zu has no text", i);
    json_t *range = json_object_get(c, "range");
    bool ok;
    if (range) {
      uint32_t sl, sc, el, ec;
      if (!json_is_object(range) || !get_pos(json_object_get(range, "start"), &sl, &sc) ||
          !get_pos(json_object_get(range, "end"), &el, &ec))
        return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "change %zu has a malformed range", i);
      ok = lsp_doc_edit(d, sl, sc, el, ec, json_string_value(text), json_string_length(text));
    } else {
      ok = lsp_doc_set(d, json_string_value(text), json_string_length(text));
    }
    if (!ok) return lsp_fail(err, LSP_ERR_REQUEST_FAILED, "document would exceed %zu bytes", LSP_MAX_DOCUMENT);
  }
  json_t *ver = json_object_get(json_object_get(params, "textDocument"), "version");
  if (json_is_integer(ver)) d->version = json_integer_value(ver);
  doc_changed(s, d, s->opt.debounce_ms);
  return json_null();
}

static json_t *h_did_close(LspServer *s, json_t *params, LspError *err) {
  LspDoc *d = lsp_param_doc(s, params, err);
  if (!d) return NULL;
  LspModule *m = lsp_module_for(s, d);
  for (uint32_t i = 0; i < s->ndocs; i++)
    if (s->docs[i] == d) {
      s->docs[i] = s->docs[--s->ndocs];
      break;
    }
  /* the file on disk stands in for the buffer again */
  if (d->path) lsp_touch_path(s, d->path, 0);
  if (!module_has_docs(s, m)) {
    /* nobody looks at this module now: clear what it published and forget it */
    bool cleared = false;
    for (uint32_t k = 0; k < m->npublished; k++) {
      publish(s, m, m->published[k], json_array());
      cleared = cleared || strcmp(m->published[k], d->uri) == 0;
    }
    if (!cleared) publish(s, m, d->uri, json_array());
    for (uint32_t i = 0; i < s->nmods; i++)
      if (s->mods[i] == m) {
        s->mods[i] = s->mods[--s->nmods];
        break;
      }
    free_module(m);
  }
  lsp_doc_free(d);
  return json_null();
}

static json_t *h_did_save(LspServer *s, json_t *params, LspError *err) {
  LspDoc *d = lsp_param_doc(s, params, err);
  if (!d) return NULL;
  /* the buffer is what is checked already; other modules reading the file from disk
     now see the saved text */
  if (d->path) lsp_touch_path(s, d->path, s->opt.debounce_ms);
  return json_null();
}

/* platc/documentText: the server's copy of a buffer, for tests (documented in docs/lsp.md). */
static json_t *h_document_text(LspServer *s, json_t *params, LspError *err) {
  LspDoc *d = lsp_param_doc(s, params, err);
  if (!d) return NULL;
  return json_pack("{s:s%, s:I, s:I, s:I, s:b}", "text", d->text, d->len, "version",
                   (json_int_t)d->version, "lines", (json_int_t)d->lines.n, "checks",
                   (json_int_t)s->checks, "indexed", d->mod && d->mod->ix && !d->mod->dirty);
}

/* ---- the loop ----------------------------------------------------------------------------------- */
static void register_core(LspServer *s) {
  lsp_register(s, "initialize", h_initialize, NULL, NULL);
  lsp_register(s, "initialized", h_initialized, NULL, NULL);
  lsp_register(s, "shutdown", h_shutdown, NULL, NULL);
  lsp_register(s, "exit", h_exit, NULL, NULL);
  lsp_register(s, "$/cancelRequest", h_cancel, NULL, NULL);
  lsp_register(s, "textDocument/didOpen", h_did_open, "textDocumentSync",
               "{\"openClose\":true,\"change\":2}");
  lsp_register(s, "textDocument/didChange", h_did_change, "textDocumentSync", "{\"change\":2}");
  lsp_register(s, "textDocument/didClose", h_did_close, "textDocumentSync", "{\"openClose\":true}");
  lsp_register(s, "textDocument/didSave", h_did_save, "textDocumentSync",
               "{\"save\":{\"includeText\":false}}");
  lsp_register(s, "platc/documentText", h_document_text, NULL, NULL);
}

static bool same_id(json_t *a, json_t *b) {
  if (json_is_integer(a) && json_is_integer(b)) return json_integer_value(a) == json_integer_value(b);
  if (json_is_string(a) && json_is_string(b)) return json_equal(a, b);
  return false;
}

/* Is a $/cancelRequest for [id] waiting in the queue? */
static bool cancelled(LspServer *s, json_t *id) {
  for (uint32_t i = 0; i < s->nqueue; i++) {
    json_t *m = s->queue[i];
    if (json_is_object(m) && !json_object_get(m, "id") &&
        strcmp(lsp_jstr(m, "method") ? lsp_jstr(m, "method") : "", "$/cancelRequest") == 0) {
      json_t *p = json_object_get(m, "params");
      if (json_is_object(p) && same_id(json_object_get(p, "id"), id)) return true;
    }
  }
  return false;
}

static void handle(LspServer *s, json_t *msg) {
  if (!json_is_object(msg)) {
    send_error(s, NULL, LSP_ERR_INVALID_REQUEST,
               json_is_array(msg) ? "batches are not supported" : "a message must be a JSON object");
    return;
  }
  json_t *id = json_object_get(msg, "id");
  json_t *jm = json_object_get(msg, "method");
  if (id && !json_is_integer(id) && !json_is_string(id) && !json_is_null(id)) {
    send_error(s, NULL, LSP_ERR_INVALID_REQUEST, "id must be an integer or a string");
    return;
  }
  if (!jm) {
    /* a response to one of our requests (client/registerCapability), or junk */
    if (id && (json_object_get(msg, "result") || json_object_get(msg, "error"))) return;
    send_error(s, id, LSP_ERR_INVALID_REQUEST, "missing method");
    return;
  }
  if (!json_is_string(jm)) {
    send_error(s, id, LSP_ERR_INVALID_REQUEST, "method must be a string");
    return;
  }
  const char *jv = lsp_jstr(msg, "jsonrpc");
  if (!jv || strcmp(jv, "2.0") != 0) {
    if (id) send_error(s, id, LSP_ERR_INVALID_REQUEST, "jsonrpc must be \"2.0\"");
    return;
  }
  const char *method = json_string_value(jm);
  json_t *params = json_object_get(msg, "params");
  if (!s->initialized && strcmp(method, "initialize") != 0 && strcmp(method, "exit") != 0) {
    if (id) send_error(s, id, LSP_ERR_NOT_INITIALIZED, "server not initialized: send initialize first");
    return;
  }
  if (s->shutdown && id && strcmp(method, "exit") != 0) {
    send_error(s, id, LSP_ERR_INVALID_REQUEST, "server is shutting down: only exit is accepted");
    return;
  }
  if (id && cancelled(s, id)) {
    send_error(s, id, LSP_ERR_CANCELLED, "request cancelled");
    return;
  }
  const LspMethod *m = find_method(s, method);
  if (!m) {
    if (id) {
      char text[300];
      snprintf(text, sizeof text, "method not found: %.200s", method);
      send_error(s, id, LSP_ERR_METHOD_NOT_FOUND, text);
    }
    return;   /* unknown notifications ($/ or not) are ignored, as the spec says */
  }
  LspError err = {0, ""};
  json_t *result = m->fn(s, params, &err);
  if (!id) {
    json_decref(result);
    if (!result && s->opt.log) fprintf(s->opt.log, "!! %s: %s\n", method, err.msg);
    return;
  }
  if (result) {
    send_result(s, id, result);
  } else {
    if (!err.code) err.code = LSP_ERR_INTERNAL, snprintf(err.msg, sizeof err.msg, "%s failed", method);
    send_error(s, id, err.code, err.msg);
  }
}

/* Parse whatever complete messages are buffered into the queue; framing and JSON errors
 * are answered at once (they have no usable id). */
static void read_ahead(LspServer *s) {
  /* bounded in count and in bytes, so a client that floods us costs at most one cap */
  while (s->nqueue < READ_AHEAD && s->queued_bytes < s->opt.max_message) {
    char *body;
    size_t len;
    char err[256];
    RpcStatus st = rpc_next(&s->rd, &body, &len, err, sizeof err);
    if (st == RPC_NONE) {
      if (rpc_fill(&s->rd, 0) == 0) return;
      continue;
    }
    if (st == RPC_ERROR) {
      send_error(s, NULL, LSP_ERR_INVALID_REQUEST, err);
      continue;
    }
    if (s->opt.log) fprintf(s->opt.log, "-> %.*s\n", (int)(len > 4096 ? 4096 : len), body);
    json_error_t je;
    json_t *msg = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    s->queued_bytes += msg ? len : 0;
    free(body);
    if (!msg) {
      char text[400];
      snprintf(text, sizeof text, "parse error: %s at byte %d", je.text, je.position);
      send_error(s, NULL, LSP_ERR_PARSE, text);
      continue;
    }
    if (s->nqueue == s->capqueue) {
      s->capqueue = s->capqueue ? s->capqueue * 2 : 64;
      s->queue = plat_xrealloc(s->queue, s->capqueue * sizeof *s->queue);
      s->qsizes = plat_xrealloc(s->qsizes, s->capqueue * sizeof *s->qsizes);
    }
    s->qsizes[s->nqueue] = len;
    s->queue[s->nqueue++] = msg;
  }
}

static json_t *pop(LspServer *s) {
  json_t *m = s->queue[0];
  s->queued_bytes -= s->qsizes[0];
  memmove(s->queue, s->queue + 1, (s->nqueue - 1) * sizeof *s->queue);
  memmove(s->qsizes, s->qsizes + 1, (s->nqueue - 1) * sizeof *s->qsizes);
  s->nqueue--;
  return m;
}

/* What the first query after a check would otherwise build, walking the whole program or
 * file: the query index and the line tables of the open documents' files. */
static void warm(LspServer *s, LspModule *m) {
  if (!m->plat) return;
  if (!m->ix) m->ix = lsp_index_new(m->plat);
  for (uint32_t i = 0; i < s->ndocs; i++) {
    if (s->docs[i]->mod != m) continue;
    uint32_t file;
    lsp_doc_plat(s, s->docs[i], &file);
    if (file != UINT32_MAX) module_lines(m, file);
  }
}

/* The dirty module due first, or NULL. */
static LspModule *next_due(LspServer *s) {
  LspModule *best = NULL;
  for (uint32_t i = 0; i < s->nmods; i++) {
    LspModule *m = s->mods[i];
    if (m->dirty && module_has_docs(s, m) && (!best || m->due < best->due)) best = m;
  }
  return best;
}

int lsp_serve(const LspOptions *opt) {
  signal(SIGPIPE, SIG_IGN);   /* a closed client is a write error, not a death */
  LspServer *s = plat_xcalloc(1, sizeof *s);
  s->opt = *opt;
  if (!s->opt.debounce_ms) s->opt.debounce_ms = DEFAULT_DEBOUNCE_MS;
  if (!s->opt.max_message) s->opt.max_message = LSP_MAX_MESSAGE;
  rpc_init(&s->rd, opt->in_fd, s->opt.max_message);
  register_core(s);
  lsp_workspace_register(s);
  lsp_format_register(s);
  lsp_tokens_register(s);
  lsp_symbols_register(s);
  lsp_features_register(s);
  while (!s->exiting) {
    read_ahead(s);
    if (s->nqueue) {
      json_t *m = pop(s);
      handle(s, m);
      json_decref(m);
      continue;
    }
    if (s->rd.eof) break;
    LspModule *due = next_due(s);
    uint64_t now = lsp_now_ms();
    if (due && due->due <= now) {
      bool checked = module_check_quiet(s, due);
      /* Index it before the diagnostics go out, unless more input is already here (a
         burst of edits would throw it away): a hover sent the moment the diagnostics
         arrive is then a lookup, not a wait for the index (18-28 ms on 50,000 lines), and
         the diagnostics come that much later (their target is ten times that). */
      read_ahead(s);
      if (!s->nqueue) warm(s, due);
      if (checked) publish_module(s, due);
      continue;
    }
    /* idle: index what a check left unindexed (input was waiting then), then wait for
       input, or until the next check is due */
    LspModule *cold = NULL;
    for (uint32_t i = 0; i < s->nmods && !cold; i++)
      if (s->mods[i]->plat && !s->mods[i]->dirty && !s->mods[i]->ix && module_has_docs(s, s->mods[i]))
        cold = s->mods[i];
    if (cold) {
      warm(s, cold);
      continue;
    }
    rpc_fill(&s->rd, due ? (int)(due->due - now) : -1);
  }
  int rc = s->shutdown ? 0 : 1;   /* exit (or end of input) after shutdown is success */
  for (uint32_t i = 0; i < s->nqueue; i++) json_decref(s->queue[i]);
  free(s->queue);
  free(s->qsizes);
  for (uint32_t i = 0; i < s->ndocs; i++) lsp_doc_free(s->docs[i]);
  free(s->docs);
  for (uint32_t i = 0; i < s->nmods; i++) free_module(s->mods[i]);
  free(s->mods);
  for (uint32_t i = 0; i < s->nmethods; i++) {
    free(s->methods[i].name);
    free(s->methods[i].capability);
    free(s->methods[i].capability_json);
  }
  free(s->methods);
  lsp_free_strings(s->folders, s->nfolders);
  free(s->cache_dir);
  json_decref(s->init_params);
  rpc_free(&s->rd);
  free(s);
  return rc;
}
