/* Queries over a checked program for the language server: what is at a byte offset, where
 * it is declared, every use of it, hover text, completion candidates, signature help,
 * rename edits, workspace symbols, inlay hints and code actions.  Pure C over a Plat whose
 * check has run (plat_check_paths/plat_check_source): no JSON, no URIs, no UTF-16 — the
 * JSON handlers in lsp/features.c convert.  An index of every identifier occurrence is
 * built once per check (lsp_index_new), so each request is a binary search, not a scan. */
#ifndef PLAT_LSP_QUERY_H
#define PLAT_LSP_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/check.h"
#include "compiler/compiler.h"

/* How an occurrence uses what it names. */
typedef enum LspRole {
  LSP_ROLE_DECL,      /* the declaration's own name */
  LSP_ROLE_READ,      /* a reference */
  LSP_ROLE_WRITE,     /* a property or field given a value: `path = ...` in a body */
} LspRole;

/* One identifier in the program and what it names: a symbol (declaration, local, built-in,
 * provider, import) or a property (a resource input/output, a component member, a record
 * field). */
typedef struct LspOcc {
  Span at;                    /* the identifier as written */
  Span def;                   /* the identifier declaring what it names (file SPAN_NO_FILE:
                                 a built-in function or primitive type) */
  const Sym *sym;             /* what it names when a symbol, else NULL */
  const RecField *field;      /* what it names when a property or field, else NULL */
  const ResType *owner;       /* the resource type or component of [field], else NULL */
  const Type *ty;             /* the type of the expression there (reads), or NULL */
  uint8_t role;               /* LspRole */
  uint8_t phase;              /* of the expression there (reads), PHASE_* */
  bool secret;                /* of the expression there (reads) */
} LspOcc;

typedef struct LspIndex LspIndex;

/* Index every identifier occurrence of every module loaded in [p] (whose check has run).
 * [p] must outlive the index.  Free with lsp_index_free. */
LspIndex *lsp_index_new(Plat *p);
void lsp_index_free(LspIndex *ix);
/* The compilation an index is over. */
Plat *lsp_index_plat(const LspIndex *ix);

/* The occurrence whose identifier holds byte [off] of [file] (a cursor just after the
 * name counts too), or NULL. */
const LspOcc *lsp_occ_at(const LspIndex *ix, uint32_t file, uint32_t off);

/* The declaration of what is at [file]:[off]: the identifier that declares it, or for a
 * `use`/`import` the module's first file (offset 0).  False when there is nothing there
 * or it is a built-in (no source). */
bool lsp_q_definition(const LspIndex *ix, uint32_t file, uint32_t off, Span *out);

/* Every occurrence of what is at [file]:[off], in all loaded modules, sorted by file and
 * offset; the declaration included when [with_decl].  Returns an array in [a] and sets *n
 * (0 and NULL when nothing is there). */
const LspOcc **lsp_q_references(const LspIndex *ix, uint32_t file, uint32_t off, bool with_decl,
                                Arena *a, uint32_t *n);

/* A text edit: replace [span] by [text]. */
typedef struct LspEdit {
  Span span;
  const char *text;
} LspEdit;

/* Whether what is at [file]:[off] may be renamed: sets *range to the identifier.  Built-ins,
 * primitive types, provider names and provider schema types and properties and keywords
 * cannot; *err (arena text in [a]) then says why. */
bool lsp_q_prepare_rename(const LspIndex *ix, uint32_t file, uint32_t off, Span *range,
                          Arena *a, const char **err);
/* The edits renaming what is at [file]:[off] to [name] in every file (declaration and
 * every use, including the property uses of a component param or record field), sorted by
 * file and offset.  NULL with *err when refused (see lsp_q_prepare_rename; also a [name]
 * that is not an identifier, is a keyword, or is already declared in that scope). */
LspEdit *lsp_q_rename(const LspIndex *ix, uint32_t file, uint32_t off, const char *name,
                      Arena *a, uint32_t *n, const char **err);

/* Hover text (Markdown, in [a]) for [file]:[off] and the identifier it is about in *range;
 * NULL when there is nothing to say. */
const char *lsp_q_hover(const LspIndex *ix, uint32_t file, uint32_t off, Arena *a, Span *range);

/* Completion.  Kinds are LSP CompletionItemKind numbers. */
enum {
  LSP_CK_TEXT = 1, LSP_CK_FUNCTION = 3, LSP_CK_FIELD = 5, LSP_CK_VARIABLE = 6,
  LSP_CK_CLASS = 7, LSP_CK_MODULE = 9, LSP_CK_PROPERTY = 10, LSP_CK_VALUE = 12,
  LSP_CK_ENUM_MEMBER = 20, LSP_CK_KEYWORD = 14, LSP_CK_CONSTANT = 21, LSP_CK_STRUCT = 22,
  LSP_CK_TYPE_PARAMETER = 25,
};
/* At most this many candidates (the first in scope order: locals, then the component, the
 * module, built-ins); the client asks again as the word grows. */
#define LSP_MAX_COMPLETIONS 200
typedef struct LspCompletion {
  const char *label;
  int kind;                   /* LSP_CK_* */
  const char *detail;         /* the type or signature, or NULL */
  const char *doc;            /* Markdown, or NULL */
  const char *insert;         /* text to insert, or NULL for the label */
  bool snippet;               /* [insert] is an LSP snippet ($1, ${2:x}) */
  const char *sort;           /* sort key (required properties first), or NULL */
} LspCompletion;
/* Candidates at [file]:[off] given the file's current text: after `x.` the members of x
 * (resource types of a provider, exports of a module, properties and outputs of a resource
 * or component, record fields); inside a resource or instance body the properties not yet
 * given, required ones first, with their types; where a union type is expected its
 * members; in a type position the types in scope; else keywords valid there, names in
 * scope (locals, module, built-in functions with signatures and snippets).  Sorted; the
 * word being typed starts at *word_start (an offset <= off). */
LspCompletion *lsp_q_complete(const LspIndex *ix, uint32_t file, uint32_t off, Arena *a,
                              uint32_t *n, uint32_t *word_start);

/* Signature help inside the parentheses of a call at [file]:[off]. */
typedef struct LspSignature {
  const char *label;          /* "startswith(s: string, prefix: string): bool" */
  const char *doc;            /* Markdown or NULL */
  uint32_t nparams;
  uint32_t pstart[16], pend[16];   /* each parameter's byte range in [label] */
  uint32_t active;            /* the parameter the cursor is in */
} LspSignature;
bool lsp_q_signature(const LspIndex *ix, uint32_t file, uint32_t off, Arena *a, LspSignature *out);

/* LSP SymbolKind numbers used for declarations. */
enum {
  LSP_SK_MODULE = 2, LSP_SK_CLASS = 5, LSP_SK_PROPERTY = 7, LSP_SK_FIELD = 8,
  LSP_SK_FUNCTION = 12, LSP_SK_VARIABLE = 13, LSP_SK_CONSTANT = 14, LSP_SK_STRUCT = 23,
  LSP_SK_OBJECT = 19, LSP_SK_EVENT = 24, LSP_SK_TYPE_PARAMETER = 26,
};
typedef struct LspSymbol {
  const char *name;
  int kind;                   /* LSP_SK_* */
  const char *container;      /* the component, or NULL */
  Span span;                  /* the declaration's name */
} LspSymbol;
/* Top-level declarations and component members of every non-provider module whose name
 * contains the characters of [query] in order (case-insensitively; "" matches all),
 * sorted by name then place, at most [max]. */
LspSymbol *lsp_q_workspace_symbols(const LspIndex *ix, const char *query, uint32_t max,
                                   Arena *a, uint32_t *n);

/* Inlay hints in [file] bytes [start, end): the inferred type of each `let` and `output`
 * without a written type (": list<string>" after the name), and parameter names before
 * positional arguments of calls with two or more arguments ("prefix:"). */
typedef struct LspHint {
  uint32_t off;               /* byte offset the hint sits at */
  const char *label;
  int kind;                   /* 1 type, 2 parameter (LSP InlayHintKind) */
} LspHint;
LspHint *lsp_q_inlay_hints(const LspIndex *ix, uint32_t file, uint32_t start, uint32_t end,
                           Arena *a, uint32_t *n);

/* Code actions for [file] bytes [start, end): the machine-applicable fixes of the
 * diagnostics there ("replace with 'x'", "add the missing properties"), "add `use p`" for a
 * provider named but not used, and "explain E0207" for every diagnostic (command
 * `platc.explain`, argument the code). */
typedef struct LspAction {
  const char *title;
  const char *kind;           /* "quickfix" */
  const Diag *diag;           /* the diagnostic it fixes or explains */
  LspEdit *edits; uint32_t nedits;
  const char *command;        /* "platc.explain" or NULL */
  const char *arg;            /* the command's argument */
  bool preferred;
} LspAction;
LspAction *lsp_q_code_actions(const LspIndex *ix, uint32_t file, uint32_t start, uint32_t end,
                              Arena *a, uint32_t *n);

/* Whether [s] ([len] bytes) is a reserved word of Plat. */
bool lsp_is_keyword(const char *s, size_t len);

#endif
