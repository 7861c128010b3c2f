/* libplat's front end, the one header other folders (cli/, lsp/, vm/, tests) include.
 * A Plat is one compilation: its arena (AST, types, symbols, diagnostics), its sources,
 * its interned strings and its diagnostics.  Load and check with plat_check_paths; render
 * diagnostics with plat_render; format with plat_format.  Nothing here prints unless asked. */
#ifndef PLAT_COMPILER_H
#define PLAT_COMPILER_H

#include <stdbool.h>
#include <stdio.h>

#include "compiler/arena.h"
#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/parse.h"
#include "compiler/source.h"

struct Program;   /* compiler/check.h: the checked modules */

typedef struct Plat {
  Arena arena;
  SourceMap sources;
  Interner strs;
  DiagList diags;
  struct Program *prog;      /* set by plat_check_paths */
  struct PlatOverlay *overlays;   /* plat_overlay: unsaved buffers, in the arena */
  uint32_t noverlays;
} Plat;

/* A fresh compilation; free with plat_free. */
Plat *plat_new(void);
void plat_free(Plat *p);

/* Read, parse, resolve and type-check the program at [paths] ([n] files or folders; a
 * folder is one module of all its .plat files, a file is a one-file module; several paths
 * are checked as separate root modules).  Imports are followed.  All problems go to
 * p->diags; returns false on I/O errors that leave nothing to check (those are diagnosed
 * too, as E0505 with the path).  The checked program is p->prog. */
bool plat_check_paths(Plat *p, const char *const *paths, uint32_t n);

/* Check in-memory text as plat_check_paths checks a file on disk: [len] bytes at [text]
 * (copied; may hold any bytes) become a one-file root module named [path], which is what
 * diagnostics show; imports resolve relative to [path]'s folder.  For the fuzzer and the
 * LSP (unsaved buffers).  Returns false only if nothing could be checked. */
bool plat_check_source(Plat *p, const char *path, const char *text, size_t len);

/* An unsaved buffer read instead of the file at [path] (the LSP's open documents). */
typedef struct PlatOverlay {
  const char *path;          /* as the loader forms it: a folder's path + "/" + name */
  const char *text;          /* borrowed */
  size_t len;
} PlatOverlay;
/* Before plat_check_paths: read [path] from [len] bytes at [text] instead of from disk,
 * wherever the loader reads it (a root folder or an imported module's folder; a path in a
 * folder that has no such file on disk joins that folder's module).  [path] is copied;
 * [text] is borrowed and must outlive the check.  Overlaying a path twice keeps the last. */
void plat_overlay(Plat *p, const char *path, const char *text, size_t len);

/* Parse one source already in p->sources, for the formatter, the LSP and the fuzzer. */
AstFile *plat_parse(Plat *p, uint32_t file);

typedef enum PlatFormat { PLAT_FMT_TEXT, PLAT_FMT_GCC, PLAT_FMT_JSON, PLAT_FMT_SARIF } PlatFormat;
/* Write p->diags (sorted) to [out] in [fmt]; [color] adds ANSI colour to the text form.
 * Text: rustc-like, with the source line and carets.  gcc: file:line:col: error: msg [E0200].
 * json: one array.  sarif: SARIF 2.1.0 as GitHub code scanning reads it. */
void plat_render(Plat *p, FILE *out, PlatFormat fmt, bool color);
/* A one-line summary ("2 errors, 1 warning") or NULL when there are no diagnostics. */
const char *plat_summary(Plat *p);

/* Canonical formatting of source [file] (already in p->sources).  Returns malloc'd text
 * (caller frees) and sets *len; NULL if the file has syntax errors (they are in p->diags),
 * because reformatting a broken file could lose text. Idempotent; keeps every comment. */
char *plat_format(Plat *p, uint32_t file, size_t *len);

/* The explanation of [code] from docs/diagnostics.md (embedded), or NULL. */
const char *plat_explain(DiagCode code, size_t *len);

/* Files embedded in the binary at build time (scripts/embed.sh). */
typedef struct PlatEmbedded {
  const char *name;          /* path as in the source tree, e.g. "providers/schemas/local.plat" */
  const char *data;
  size_t len;
} PlatEmbedded;
extern const PlatEmbedded plat_embedded[];
extern const size_t plat_nembedded;
/* Look up an embedded file by path; NULL if absent. */
const PlatEmbedded *plat_embedded_find(const char *name);

#endif
