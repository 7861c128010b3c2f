/* The source hash a .platb carries (docs/bytecode.md, "Source hash"): SHA-256 over the
 * program's source files, so a module can say which sources it was built from, `platc
 * graph` can print it, and a loader can tell when the sources next to a .platb changed. */
#ifndef PLAT_SRCHASH_H
#define PLAT_SRCHASH_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/source.h"

#define PB_HASH_LEN 32

/* One source file as hashed: its path as the program names it and its bytes. */
typedef struct PbSource {
  const char *path;
  const char *text;
  size_t len;
} PbSource;

/* SHA-256 of [n] sources ([srcs] may be reordered: they are hashed sorted by path bytes)
 * into [out]: "platc source hash 1\0", then per file its path length (u32 LE), path, text
 * length (u64 LE) and text.  Paths are part of the hash because they are part of the
 * program's output (locations, module names). */
void pb_hash_sources(PbSource *srcs, uint32_t n, uint8_t out[PB_HASH_LEN]);
/* The hash of every file of [sm] except those embedded in platc (built-in schemas: they
 * come with the platc that runs the module, not with the program). */
void pb_hash_sourcemap(const SourceMap *sm, uint8_t out[PB_HASH_LEN]);
/* Lowercase hex of [h] into [out] (65 bytes with the NUL). */
void pb_hash_hex(const uint8_t h[PB_HASH_LEN], char out[2 * PB_HASH_LEN + 1]);

#endif
