/* The server's state, private to lsp/: the document store (open buffers with incremental
 * edits), the folder modules they are checked in, and the method table.  lsp.h is the
 * public face of it; the per-feature files (format.c, tokens.c, symbols.c, workspace.c)
 * include this header to reach the store.  Nothing here speaks JSON-RPC. */
#ifndef PLAT_LSP_DOCS_H
#define PLAT_LSP_DOCS_H

#include "lsp/jsonrpc.h"
#include "lsp/lsp.h"

/* A document over this size is refused (an edit that would pass it is not applied). */
#define LSP_MAX_DOCUMENT ((size_t)256 << 20)

/* A folder module: the open documents of one folder are checked together, with every open
 * buffer overlaid (plat_overlay), exactly as `platc check DIR` would check them saved. */
struct LspModule {
  char *dir;               /* the folder's path; for a non-file URI, the URI itself */
  bool single;             /* not a folder: one document checked alone (untitled:) */
  Plat *plat;              /* the last check, or NULL */
  bool dirty;              /* a document of it (or a file it reads) changed since */
  uint64_t due;            /* when dirty: check at this time (ms, monotonic) */
  char **published;        /* URIs last published with a non-empty list (sorted) */
  uint32_t npublished;
  LspLines *flines;        /* line tables of plat's sources, by file id, built on use */
  uint32_t nflines;
  struct LspIndex *ix;     /* the query index of plat (lsp/query.h), built right after the
                              check when no input waits, else by the first query */
};

typedef struct LspMethod {
  char *name;
  LspHandler fn;
  char *capability;        /* ServerCapabilities key, or NULL */
  char *capability_json;   /* its value, or NULL for true */
} LspMethod;

struct LspServer {
  LspOptions opt;
  RpcReader rd;
  bool initialized;        /* answered initialize */
  bool shutdown;           /* got shutdown */
  bool exiting;            /* got exit (or input ended) */
  json_t *init_params;     /* what the client sent to initialize */
  LspDoc **docs; uint32_t ndocs, capdocs;
  LspModule **mods; uint32_t nmods, capmods;
  LspMethod *methods; uint32_t nmethods, capmethods;
  char **folders; uint32_t nfolders;   /* workspace folders, sorted */
  json_t **queue; uint32_t nqueue, capqueue;   /* parsed messages read ahead */
  size_t *qsizes;          /* their body sizes */
  size_t queued_bytes;     /* and the sum, bounded by opt.max_message */
  char *cache_dir;         /* where embedded files are materialised, or NULL */
  uint64_t checks;         /* folder checks run (for the debug request and the bench) */
};

/* ---- documents (docs.c) -------------------------------------------------------------- */
LspDoc *lsp_doc_new(const char *uri, const char *text, size_t len, int64_t version);
void lsp_doc_free(LspDoc *d);
/* Replace bytes between LSP positions (sl, sc) and (el, ec) by [len] bytes at [text]
 * (positions clamp as lsp_offset_at says; an end before the start is the start).  Returns
 * false, leaving the document unchanged, if the result would exceed LSP_MAX_DOCUMENT. */
bool lsp_doc_edit(LspDoc *d, uint32_t sl, uint32_t sc, uint32_t el, uint32_t ec,
                  const char *text, size_t len);
/* Replace the whole text. Same failure as lsp_doc_edit. */
bool lsp_doc_set(LspDoc *d, const char *text, size_t len);

/* ---- modules and checks (server.c) -------------------------------------------------------- */
/* The module [doc] is checked in (made on first use). */
LspModule *lsp_module_for(LspServer *s, LspDoc *doc);
LspModule *lsp_module_at(LspServer *s, const char *dir, bool make);
/* Mark [m] to be checked [delay_ms] from now (sooner if already due sooner). */
void lsp_module_touch(LspServer *s, LspModule *m, uint32_t delay_ms);
/* Check [m] now if it is dirty or was never checked; publishes its diagnostics. */
void lsp_module_check(LspServer *s, LspModule *m);
/* Mark dirty every module whose last check read [path] or whose folder holds it. */
void lsp_touch_path(LspServer *s, const char *path, uint32_t delay_ms);
uint64_t lsp_now_ms(void);

/* ---- features of the core (one file each) -------------------------------------------------- */
void lsp_format_register(LspServer *s);      /* format.c: formatting, rangeFormatting */
void lsp_tokens_register(LspServer *s);      /* tokens.c: semanticTokens full and range */
void lsp_symbols_register(LspServer *s);     /* symbols.c: documentSymbol, foldingRange */
void lsp_workspace_register(LspServer *s);   /* workspace.c: folders, watched files */
/* workspace.c: set the folders from initialize's params (rootUri / workspaceFolders). */
void lsp_workspace_init(LspServer *s, json_t *params);

/* The query index of [p] (a Plat of one of the server's modules), built now if it is not
 * already; freed with the Plat.  NULL only for a Plat the server does not hold. */
struct LspIndex *lsp_plat_index(LspServer *s, Plat *p);

/* The AstFile of source [file] in [p]'s checked program, or NULL. */
AstFile *lsp_ast_file(Plat *p, uint32_t file);
/* A string member of an object, or NULL. */
const char *lsp_jstr(json_t *obj, const char *key);

#endif
