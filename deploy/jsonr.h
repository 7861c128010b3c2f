/* A fast JSON reader for state files: the same jansson tree json_loadb(buf, len,
 * JSON_REJECT_DUPLICATES) builds, about twice as fast (one pass over the buffer, strings
 * without escapes copied once, no token buffers), for the well-formed files platc
 * writes.  It gives up on anything it is not sure jansson reads the same way — any
 * error, a duplicate key, an integer out of range, nesting past 2,048 — and returns
 * NULL: the caller then parses with jansson, which says exactly what is wrong.  So it
 * never accepts what jansson refuses, nor reads anything differently. */
#ifndef PLAT_JSONR_H
#define PLAT_JSONR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The object or array [buf] holds ([len] bytes), or NULL (see above). */
json_t *jr_parse(const char *buf, size_t len);

/* The same reader, one token at a time, for a caller that builds its own structures
 * (state files: 100,000 resources' envelopes need no jansson objects).  Every function
 * returns false when the input is not what it expects or not certain to be read as
 * jansson reads it; the caller then gives up and uses jr_parse / jansson.  Strings handed
 * out stay valid until the next call. */
typedef struct JrReader {
  const unsigned char *p, *end;
  char *tmp;                 /* an unescaped string */
  size_t tmpcap;
  int depth;
} JrReader;

void jr_open(JrReader *r, const char *buf, size_t len);
void jr_close(JrReader *r);
/* '{' / '[' opening an object or array. */
bool jr_object(JrReader *r);
bool jr_array(JrReader *r);
/* The next key of the object being read, its ':' taken, in *key and *klen: 1; 0 at the
 * object's '}'; -1 when neither.  [first]: the first call for this object. */
int jr_key(JrReader *r, bool first, const char **key, size_t *klen);
/* 1 when another item of the array being read follows; 0 at its ']'; -1 when neither. */
int jr_item(JrReader *r, bool first);
/* A string value (UTF-8, may hold NUL bytes: check), an integer, any value as jansson. */
bool jr_string(JrReader *r, const char **s, size_t *len);
bool jr_int(JrReader *r, long long *v);
json_t *jr_value(JrReader *r);
/* Nothing but whitespace is left. */
bool jr_done(JrReader *r);

#endif
