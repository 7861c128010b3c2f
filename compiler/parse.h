/* Parsing one .plat file: the re2c lexer (lexer.re) feeding the Bison parser (grammar.y).
 * Both are reentrant (state passed in, no globals) because the LSP parses many documents. */
#ifndef PLAT_PARSE_H
#define PLAT_PARSE_H

#include "compiler/ast.h"
#include "compiler/diag.h"

/* Limits, named in the errors that enforce them.  Nesting counts brackets, braces,
 * parentheses, ${ } and operator chains, so every recursive pass over the AST is safe. */
#define PARSE_MAX_DEPTH 256
#define PARSE_MAX_INTERP_DEPTH 32
#define PARSE_MAX_ERRORS 50      /* syntax errors reported per file before E0105 */

typedef struct ParseInput {
  Arena *arena;          /* AST and decoded strings live here */
  Interner *strs;        /* identifiers are interned here */
  DiagList *diags;       /* syntax and lexical errors go here */
  SourceMap *sources;
  uint32_t file;         /* the SourceMap id of the text to parse */
  bool schema;           /* a provider schema file: `resource Name { field: T }` allowed */
} ParseInput;

/* Parse the whole file.  Always returns an AstFile (possibly with D_ERROR/EX_ERROR nodes
 * where it recovered); errors are in [in->diags].  Never crashes on any input bytes. */
AstFile *parse_file(const ParseInput *in);

#endif
