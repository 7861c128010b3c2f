/* A JSON writer for the deploy engine's files: state saves and journal entries.  It
 * writes exactly the bytes jansson's json_dumps writes with JSON_SORT_KEYS and either
 * JSON_INDENT(2) or JSON_COMPACT (the files stay what they were), but straight into one
 * growing buffer, without building a tree to dump or copying values, and with object
 * keys sorted once per object: a save of 100,000 resources spent most of its time
 * building, dumping and freeing that tree.  It does not parse. */
#ifndef PLAT_JSONW_H
#define PLAT_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct JsonW {
  char *p;
  size_t n, cap;
  bool compact;     /* JSON_COMPACT; else JSON_INDENT(2) */
  bool failed;      /* a string was not valid UTF-8 (json_dumps would fail too) */
} JsonW;

/* An empty writer; free its buffer with jw_free (or take jw->p). */
void jw_init(JsonW *w, bool compact);
void jw_free(JsonW *w);

/* Raw bytes, as they are. */
void jw_raw(JsonW *w, const char *s, size_t len);
/* A quoted, escaped string as jansson writes it (UTF-8 checked: w->failed if not). */
void jw_str(JsonW *w, const char *s, size_t len);
void jw_cstr(JsonW *w, const char *s);
void jw_int(JsonW *w, int64_t v);
/* [v] at nesting [depth] (0 for a top-level value): objects with sorted keys. */
void jw_value(JsonW *w, const json_t *v, int depth);

/* Object and array punctuation for writing a known shape by hand, member by member:
 * jw_open(w, '{'), then per member jw_key(w, depth + 1, first, "name") and its value at
 * depth + 1, then jw_close(w, '}', depth, empty).  Keys must be given in sorted order. */
void jw_open(JsonW *w, char bracket);
void jw_key(JsonW *w, int depth, bool first, const char *key);
void jw_item(JsonW *w, int depth, bool first);
void jw_close(JsonW *w, char bracket, int depth, bool empty);

#endif
