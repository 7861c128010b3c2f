/* A fast JSON reader for state files: the same jansson tree json_loadb(buf, len,
 * JSON_REJECT_DUPLICATES) builds, about twice as fast (one pass over the buffer, strings
 * without escapes copied once, no token buffers), for the well-formed files platc
 * writes.  It gives up on anything it is not sure jansson reads the same way — any
 * error, a duplicate key, an integer out of range, nesting past 2,048 — and returns
 * NULL: the caller then parses with jansson, which says exactly what is wrong.  So it
 * never accepts what jansson refuses, nor reads anything differently. */
#ifndef PLAT_JSONR_H
#define PLAT_JSONR_H

#include <stddef.h>

#include <jansson.h>

/* The object or array [buf] holds ([len] bytes), or NULL (see above). */
json_t *jr_parse(const char *buf, size_t len);

#endif
