/* Sources and spans.  A Span is {file, start, end} in bytes; line and column are computed
 * only when a person or the LSP needs them, from a line table built on first use.
 * Also the string interner: identifiers are interned so the checker compares pointers. */
#ifndef PLAT_SOURCE_H
#define PLAT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/arena.h"

typedef struct Span {
  uint32_t file;   /* index into the SourceMap; SPAN_NO_FILE for built-ins */
  uint32_t start;  /* byte offset of the first byte */
  uint32_t end;    /* byte offset one past the last byte */
} Span;

#define SPAN_NO_FILE UINT32_MAX
static inline Span span_make(uint32_t file, uint32_t start, uint32_t end) {
  Span s = {file, start, end};
  return s;
}
/* The smallest span covering [a] and [b] (same file). */
static inline Span span_join(Span a, Span b) {
  Span s = {a.file, a.start < b.start ? a.start : b.start, a.end > b.end ? a.end : b.end};
  return s;
}

/* Sources larger than this are refused: offsets are 32-bit. */
#define SOURCE_MAX_BYTES ((size_t)1 << 30)

typedef struct SourceFile {
  char *path;           /* as given or as found; owned */
  char *text;           /* owned, NUL-terminated (the lexer's sentinel) */
  uint32_t len;         /* bytes, not counting the NUL */
  uint32_t *lines;      /* byte offset of each line start, built lazily */
  uint32_t nlines;
  uint32_t line_hint;   /* the line source_linecol found last: callers mostly go forward */
  bool ascii;           /* no byte >= 0x80 (set with lines): a column is a subtraction */
  bool builtin;         /* embedded in the binary (provider schemas) */
} SourceFile;

typedef struct SourceMap {
  SourceFile *files;
  uint32_t nfiles, cap;
} SourceMap;

void source_init(SourceMap *sm);
void source_free(SourceMap *sm);
/* Add a copy of [len] bytes at [text] under [path]; returns the file id.  Text longer than
 * SOURCE_MAX_BYTES is truncated to empty and the caller is expected to have refused it. */
uint32_t source_add(SourceMap *sm, const char *path, const char *text, size_t len);
/* Read [path] from disk and add it.  Returns the id, or UINT32_MAX with errno set. */
uint32_t source_read(SourceMap *sm, const char *path);
const SourceFile *source_file(const SourceMap *sm, uint32_t file);

typedef struct LineCol {
  uint32_t line;    /* 1-based */
  uint32_t col;     /* 1-based, in Unicode code points (bytes of invalid UTF-8 count one each) */
  uint32_t byte_col;/* 1-based, in bytes */
} LineCol;
/* Line and column of byte [offset] in [file]; offsets past the end clamp to the end.  A
 * UTF-8 byte-order mark opening the file is not counted in line 1's columns. */
LineCol source_linecol(SourceMap *sm, uint32_t file, uint32_t offset);
/* The text of line [line] (1-based) without its newline: *len set. NULL if out of range. */
const char *source_line(SourceMap *sm, uint32_t file, uint32_t line, uint32_t *len);
/* Byte offset of the start of [line] (1-based). */
uint32_t source_line_start(SourceMap *sm, uint32_t file, uint32_t line);

/* ---- interned strings ------------------------------------------------------------- */
typedef struct Str {
  uint32_t len;
  uint32_t hash;    /* intern_hash of the text: never 0 */
  char s[];         /* NUL-terminated */
} Str;

/* Open addressing with linear probing.  hashes[i] is slots[i]->hash, or 0 for an empty
 * slot: a probe reads only that dense array until a hash matches, instead of following
 * each slot's pointer (a cache miss per probe in a table of 400,000 names). */
typedef struct Interner {
  Arena *arena;
  Str **slots;
  uint32_t cap, count;
  uint32_t *hashes;
} Interner;

void intern_init(Interner *in, Arena *arena);
void intern_free(Interner *in);   /* frees the table; the strings live in the arena */
/* The unique Str with the [len] bytes at [s] (any bytes, NUL included), added on first
 * use.  The pointer is stable for the arena's life: compare interned strings by it. */
const Str *intern(Interner *in, const char *s, size_t len);
const Str *intern_cstr(Interner *in, const char *s);
/* The hash of [len] bytes at [s] that Str.hash holds (never 0), and intern for a caller
 * that has computed it already (the lexer's cache of recent identifiers). */
uint32_t intern_hash(const char *s, size_t len);
const Str *intern_hashed(Interner *in, const char *s, size_t len, uint32_t hash);
/* Make room for [n] more strings without growing the table (a file about to be parsed
 * has roughly one distinct name per 100 bytes at most). */
void intern_reserve(Interner *in, size_t n);

/* Validate UTF-8 in [s, s+len): returns the offset of the first bad byte, or len. */
size_t utf8_check(const char *s, size_t len);
/* Decode one code point at [s] (at most [len] bytes); *n set to its length; -1 if invalid. */
int32_t utf8_decode(const char *s, size_t len, int *n);
/* Encode [cp] into [out] (4 bytes room); returns length, 0 if not a valid scalar value. */
int utf8_encode(uint32_t cp, char *out);

#endif
