/* The lexer's interface, shared by lexer.re (the re2c scanner) and grammar.y (the Bison
 * parser that pulls tokens from it).  The lexer is reentrant: all its state is a Lexer
 * struct, so the LSP can lex many documents at once.  It reports lexical errors (E00xx)
 * itself and keeps going; the parser never sees a bad byte.  Strings are returned in
 * pieces (see LexStr) and assembled into an EX_STRING by lex_string_expr. */
#ifndef PLAT_LEXER_H
#define PLAT_LEXER_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/parse.h"

/* A piece of a string literal.  A plain string without interpolation is one STRING token;
 * "a${x}b${y}c" is STR_HEAD("a") expr STR_MID("b") expr STR_TAIL("c").  The text is the raw
 * source between the delimiters (escapes not yet applied) unless LS_DECODED is set. */
enum { LS_MULTI = 1, LS_DECODED = 2, LS_ESCAPES = 4 };
typedef struct LexStr {
  const char *text;     /* raw source text of the literal piece, or decoded text */
  uint32_t len;
  uint32_t start, end;  /* source offsets of the literal piece (without delimiters) */
  uint8_t flags;        /* LS_* */
} LexStr;

/* An INT or FLOAT token's value.  [min] marks 9223372036854775808, which is only valid
 * directly under a unary minus (the parser decides); [bad] a literal already reported. */
typedef struct LexNum {
  int64_t i;
  double f;
  bool min;
  bool bad;             /* E0006/E0007/E0008 reported: the parser makes an EX_ERROR */
} LexNum;

typedef struct InterpFrame {
  uint32_t braces;      /* '{' opened inside this ${ } and not yet closed */
  uint32_t quote;       /* offset of the string's opening quote (for E0003) */
  bool multi;           /* the string is a """ string */
} InterpFrame;

typedef struct Lexer {
  const char *src;      /* start of the text */
  const char *cur, *mark, *tok, *lim, *ctx;  /* re2c registers; *lim is the NUL sentinel */
  uint32_t file;
  int cond;             /* re2c condition: code or string body */
  Arena *arena;
  Interner *strs;
  DiagList *diags;

  InterpFrame interp[PARSE_MAX_INTERP_DEPTH];
  uint32_t ninterp;
  uint32_t str_quote;   /* opening quote of the string being scanned */

  /* Open brackets ( [ { ${ by offset, for the nesting limit and "unclosed '{'" labels. */
  uint32_t open[PARSE_MAX_DEPTH + 1];
  char open_kind[PARSE_MAX_DEPTH + 1];
  uint32_t depth;

  Comment *comments;    /* malloc'd while lexing; copied into the arena at the end */
  uint32_t ncomments, capcomments;

  const Str *kw[32];    /* interned keyword texts, so keywords used as names cost nothing */
  const Str *recent[1024];  /* identifiers seen lately, by hash: most lookups end here */
  /* Texts of plain string literals seen lately, by hash: "CNAME" written on every resource
     is stored once (StrPart texts are read-only, so they can be shared). */
  struct { const char *text; uint32_t len; } strs_seen[256];

  /* The string being scanned (condition str/mstr). */
  uint32_t seg_start;   /* first byte of the current literal piece */
  uint32_t tok_start;   /* the opening quote, or the '}' that closed an interpolation */
  bool str_head;        /* the piece began at the opening quote */
  uint8_t str_flags;    /* LS_* seen so far */

  uint32_t nerrors;     /* lexical and syntax errors of this file (PARSE_MAX_ERRORS) */
  bool err_here;        /* a lexical error was reported while scanning the last token */
  bool stopped;         /* after a fatal error: only end of file from now on, no more errors */
  bool closing;         /* at the end after a syntax error: return closers for open brackets */
  Diag sink;            /* what lex_error returns once errors are no longer reported */
  int last;             /* kind of the last token returned (the parser's lookahead) */
  uint32_t last_start, last_end;
  uint32_t last_base;   /* bracket depth before the last token, if it opened a group */
  int prev;             /* and of the token before it */
  uint32_t prev_start, prev_end;
  int prev2;            /* and of the one before that (messages look back two tokens) */
} Lexer;

union PPSTYPE;

/* Prepare [lx] to scan file [file] of [in->sources].  Reports nothing yet. */
void lex_init(Lexer *lx, const ParseInput *in);
/* Free what lex_init allocated outside the arena (the comment buffer). */
void lex_free(Lexer *lx);
/* The next token: its kind (a token number of grammar.h) with its value in [val] and its
 * span in [loc].  Lexical errors are reported to the DiagList and skipped; at the end (or
 * after a fatal error) it returns end of file forever. */
int lex_next(Lexer *lx, union PPSTYPE *val, Span *loc);
/* lex_next for the parser in error recovery: when [recovering] and the previous token was
 * an opener ( [ { or a string's ${ that the parser has just discarded, the whole group up
 * to its matching closer is skipped first, so its insides are not parsed out of context. */
int lex_next_rec(Lexer *lx, union PPSTYPE *val, Span *loc, bool recovering);
/* Stop scanning: every later lex_next returns end of file. */
void lex_stop(Lexer *lx);

/* Report an error of [code] at [start,end), counted against the file's limit of
 * PARSE_MAX_ERRORS: the error past the limit becomes one E0105 and stops the lexer.  Never
 * NULL: once errors are no longer reported, returns a scratch Diag that is not listed. */
Diag *lex_error(Lexer *lx, DiagCode code, uint32_t start, uint32_t end, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Build an EX_STRING from a string's pieces: [nsegs] literal pieces interleaved with
 * [nsegs]-1 interpolated expressions [exprs].  Applies escapes and, for a multi-line
 * string, drops the first newline and strips the common indentation.  [span] covers the
 * whole literal. */
Expr *lex_string_expr(Lexer *lx, const LexStr *segs, uint32_t nsegs, Expr **exprs, Span span);

#endif
