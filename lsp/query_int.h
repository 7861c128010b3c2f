/* Internals shared by the query engine's two files (query.c: the index, definition,
 * references, rename, hover, symbols, hints, actions; complete.c: completion and signature
 * help).  Not for other folders: they use lsp/query.h. */
#ifndef PLAT_LSP_QUERY_INT_H
#define PLAT_LSP_QUERY_INT_H

#include "lsp/query.h"

/* A type hint to show after a name (a `let` without a written type). */
typedef struct QHint {
  uint32_t file, off;
  const Type *ty;
  const char *label;          /* unused yet: NULL */
} QHint;

struct LspIndex {
  Plat *plat;
  Program *prog;
  LspOcc *occs; uint32_t nocc, capocc;     /* sorted by (at.file, at.start) */
  uint32_t *bydef;                         /* occs indexes sorted by target, then place */
  QHint *hints; uint32_t nhints, caphints; /* sorted by (file, off) */
  Expr **calls; uint32_t ncalls, capcalls; /* every call, sorted by span */
  struct QSorted *sorted; uint32_t nsorted;/* symbol tables sorted by name, made on use */
  Sym **locals; uint32_t nlocals, caplocals;/* stand-in symbols of unused loop and policy
                                              variables (arena), attached after sorting */
  Arena arena;
};

/* A symbol table's symbols in name order (hash tables have none), kept by the index. */
typedef struct QSorted {
  const SymTab *tab;
  Sym **syms;
  uint32_t n;
} QSorted;

/* The symbols of [t] sorted by name, made once per index; *n set. */
Sym *const *lsp_sorted_syms(LspIndex *ix, const SymTab *t, uint32_t *n);

/* The field [name] of a value of type [objty] (a resource's input, output or member, or a
 * record's field), its resource type in *owner (NULL for records); NULL if none. */
const RecField *lsp_member_field(const Type *objty, const Str *name, const ResType **owner);
/* The module holding source [file] and its AstFile; NULL if none does. */
Module *lsp_module_of_file(const LspIndex *ix, uint32_t file, AstFile **af);
/* The first hint at or after [file]:[off] (its position in *i). */
const QHint *lsp_hints_from(const LspIndex *ix, uint32_t file, uint32_t off, uint32_t *i);
/* [t] as users write it (program arena text). */
const char *lsp_type_text(const LspIndex *ix, const Type *t);
/* Source text of [sp] when it is at most [max] bytes on one line (in [a]), else NULL. */
const char *lsp_src(const LspIndex *ix, Span sp, uint32_t max, Arena *a);
/* "name(a: int, b: string = "x"): string" for the user function [s]. */
const char *lsp_fn_sig(const LspIndex *ix, const Sym *s, Arena *a);
/* The reserved words, sorted. */
const char *const *lsp_keywords(uint32_t *n);
bool lsp_is_ident(const char *s, size_t len);
/* LSP SymbolKind of a declaration's symbol. */
int lsp_sym_kind(const Sym *s);
/* Parameter name of argument [i] in a call of [callee] (built-in or user fn), or NULL. */
const char *lsp_param_name(const Sym *callee, uint32_t i);
/* The function a call names (`f(...)`, `net.f(...)`), or NULL. */
const Sym *lsp_callee_sym(const Expr *call);

#endif
