/* The language server's contract: the server and document types, position conversion
 * (LSP line + UTF-16 character <-> byte offset <-> Span), "the checked Plat for this
 * document", URI <-> path, and the method table handlers register in.  server.c owns the
 * loop (framing, dispatch, debounced diagnostics); features.c (lspq) registers the query
 * methods through lsp_register.  All JSON is jansson; handlers never print. */
#ifndef PLAT_LSP_H
#define PLAT_LSP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/compiler.h"

/* JSON-RPC and LSP error codes. */
enum {
  LSP_ERR_PARSE = -32700,
  LSP_ERR_INVALID_REQUEST = -32600,
  LSP_ERR_METHOD_NOT_FOUND = -32601,
  LSP_ERR_INVALID_PARAMS = -32602,
  LSP_ERR_INTERNAL = -32603,
  LSP_ERR_NOT_INITIALIZED = -32002,
  LSP_ERR_REQUEST_FAILED = -32803,
  LSP_ERR_CANCELLED = -32800,
  LSP_ERR_CONTENT_MODIFIED = -32801,
};

typedef struct LspServer LspServer;
typedef struct LspModule LspModule;

/* What a handler fills in when it fails: a JSON-RPC error code and a message. */
typedef struct LspError {
  int code;
  char msg[256];
} LspError;

/* Set [err] (code and printf message) and return NULL, so a handler can
 * `return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "...")`. */
json_t *lsp_fail(LspError *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Start offsets of the lines of a text: LSP lines end at \n, \r\n or \r. */
typedef struct LspLines {
  uint32_t *starts;      /* malloc'd; starts[0] == 0 */
  uint32_t n;            /* at least 1 */
} LspLines;

/* Build (or rebuild, reusing the array) the line table of [len] bytes at [text]. */
void lsp_lines_build(LspLines *l, const char *text, size_t len);
void lsp_lines_free(LspLines *l);

/* LSP position -> byte offset in [text].  [character] counts UTF-16 code units; a code
 * point of 4 UTF-8 bytes is 2 units, each byte of invalid UTF-8 is 1 unit.  Out-of-range
 * input clamps as the spec says: a line past the end gives the end of the text, a
 * character past the line's end gives the line's end (before its line break), and a
 * character inside a surrogate pair gives the start of that code point.  Never fails. */
uint32_t lsp_offset_at(const char *text, size_t len, const LspLines *l, uint32_t line,
                       uint32_t character);
/* Byte offset -> LSP position (inverse of lsp_offset_at on code point boundaries; an offset
 * inside a code point or a line break counts from the start of it; past the end clamps). */
void lsp_position_at(const char *text, size_t len, const LspLines *l, uint32_t offset,
                     uint32_t *line, uint32_t *character);

/* An open document (didOpen .. didClose).  The text is the editor's, any bytes. */
typedef struct LspDoc {
  char *uri;             /* as the client sent it */
  char *path;            /* the file path the URI names (malloc'd), e.g. /w/app/main.plat */
  char *text;            /* malloc'd, NUL-terminated, [len] bytes */
  size_t len, cap;
  int64_t version;
  LspLines lines;
  LspModule *mod;        /* the folder module it is checked in */
} LspDoc;

/* ---- documents -------------------------------------------------------------------------- */
/* The open document with [uri], or NULL. */
LspDoc *lsp_doc_find(LspServer *s, const char *uri);
/* The open document named by params.textDocument.uri; NULL with [err] set (invalid params
 * when the field is missing or not a string, request failed when it is not open). */
LspDoc *lsp_param_doc(LspServer *s, json_t *params, LspError *err);
/* params.position of [doc] as a byte offset; false with [err] set if missing or malformed. */
bool lsp_param_offset(LspDoc *doc, json_t *params, uint32_t *offset, LspError *err);
/* A "range" object {start, end} read from [range] into byte offsets of [doc]. */
bool lsp_range_offsets(LspDoc *doc, json_t *range, uint32_t *start, uint32_t *end, LspError *err);
/* LSP Range JSON (new reference) for bytes [start, end) of [doc]. */
json_t *lsp_doc_range(LspDoc *doc, uint32_t start, uint32_t end);

/* The checked compilation [doc] belongs to, up to date with every open buffer (a pending
 * debounced check runs now), and *file set to the doc's file id in it (UINT32_MAX if the
 * file failed to load: then use the diagnostics).  The Plat is owned by the server and stays
 * valid until the next document change or the end of the current request; never free it.
 * The document's module is its folder's module, checked with all open buffers overlaid.
 * NULL only if nothing could be checked. */
Plat *lsp_doc_plat(LspServer *s, LspDoc *doc, uint32_t *file);

/* ---- spans of a checked Plat ------------------------------------------------------------- */
/* The LSP Range (new reference) of [span] in [p] (UTF-16 columns computed from the Plat's
 * copy of that source, which is the open buffer's text when the file is open).  A span
 * with SPAN_NO_FILE gives 0:0-0:0.  A file read from disk (not open) that opens with a
 * UTF-8 byte-order mark has its first line's columns counted after the mark, as editors
 * show it. */
json_t *lsp_span_range(LspServer *s, Plat *p, Span span);
/* A Location {uri, range} (new reference) for [span], or NULL for SPAN_NO_FILE.  Embedded
 * files (provider schemas) get the URI lsp_builtin_uri gives them. */
json_t *lsp_span_location(LspServer *s, Plat *p, Span span);
/* The URI of source [file] of [p] (malloc'd; caller frees). */
char *lsp_file_uri(LspServer *s, Plat *p, uint32_t file);

/* ---- URIs --------------------------------------------------------------------------------- */
/* file:// URI -> path (malloc'd), percent-decoded; NULL if [uri] is not a file URI or decodes
 * to something that is not a path (a NUL byte). */
char *lsp_uri_to_path(const char *uri);
/* path -> file:// URI (malloc'd), percent-encoding what RFC 3986 requires.  A relative
 * path is made absolute against the current directory first; "." and ".." segments are
 * resolved lexically (an import of "../lib" gives the URI the editor has for that file). */
char *lsp_path_to_uri(const char *path);
/* Embedded files (providers/schemas/local.plat, also as the loader names it:
 * "<platc>/providers/schemas/local.plat") are materialised read-only under the
 * server's cache dir ($XDG_CACHE_HOME/platc/<version>/, else ~/.cache/...) so that every
 * editor can open them; returns that file's URI (malloc'd), or NULL if it cannot be written. */
char *lsp_builtin_uri(LspServer *s, const char *embedded_name);

/* ---- methods ------------------------------------------------------------------------------- */
/* A request handler returns the result (a new reference; json_null() for null) or NULL with
 * [err] set.  A notification handler's result is ignored (return json_null()).  [params] is
 * borrowed and may be NULL or any JSON type: validate it. */
typedef json_t *(*LspHandler)(LspServer *s, json_t *params, LspError *err);

/* Register [method].  [capability] is the ServerCapabilities key it makes true (e.g.
 * "hoverProvider"), or NULL; [capability_json] its value as JSON text (NULL for `true`).
 * Two methods naming the same capability with object values are merged (semantic tokens
 * full + range), so `initialize` advertises exactly the registered methods.  Call it from
 * lsp_features_register; registering a method twice replaces the first. */
void lsp_register(LspServer *s, const char *method, LspHandler fn, const char *capability,
                  const char *capability_json);

/* Defined in lsp/features.c: registers the query methods (hover, completion, ...).  Called
 * once by the server at start-up, after the core methods (so it may replace one). */
void lsp_features_register(LspServer *s);

/* ---- workspace ----------------------------------------------------------------------------- */
/* The workspace folders (paths) the client gave in initialize and didChangeWorkspaceFolders,
 * sorted; *n set.  Borrowed: valid until the next message. */
const char *const *lsp_workspace_folders(LspServer *s, uint32_t *n);
/* Every folder under the workspace folders that directly holds a .plat file (hidden folders
 * and build/ skipped, depth and count bounded), sorted; malloc'd array of malloc'd paths
 * (free with lsp_free_strings); *n set.  For workspace symbols. */
char **lsp_workspace_modules(LspServer *s, uint32_t *n);
void lsp_free_strings(char **v, uint32_t n);
/* The checked Plat of the folder module at [dir] (open buffers overlaid), checked now if it
 * is not already; owned by the server like lsp_doc_plat's. NULL if nothing could be checked. */
Plat *lsp_folder_plat(LspServer *s, const char *dir);

/* ---- the server ------------------------------------------------------------------------------ */
typedef struct LspOptions {
  int in_fd, out_fd;     /* stdio: 0 and 1 */
  uint32_t debounce_ms;  /* diagnostics run once input is idle this long (default 30) */
  FILE *log;             /* a trace of every message, or NULL (platc lsp --log FILE) */
  size_t max_message;    /* Content-Length cap (default LSP_MAX_MESSAGE) */
} LspOptions;

#define LSP_MAX_MESSAGE ((size_t)64 << 20)

/* Serve until `exit` or end of input.  Returns the process exit status: 0 after
 * shutdown then exit, 1 otherwise (the spec's rule). */
int lsp_serve(const LspOptions *opt);

#endif
