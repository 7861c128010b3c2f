/* The byte level of the .platb format (docs/bytecode.md, "File format"): a growable output
 * buffer and one bounds-checked reader that every byte of a loaded file goes through, as
 * Lua's lundump.c reads through loadByte/loadVarint.  Integers are unsigned LEB128 varints
 * in canonical (shortest) form; strings are a varint length and that many bytes.  The
 * reader never reads past its end and never trusts a length: a failure is sticky (later
 * reads return 0) and the first message wins.  Internal to vm/: platb.c and verify.c. */
#ifndef PLAT_PBIO_H
#define PLAT_PBIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- writing ------------------------------------------------------------------------ */
typedef struct PbBuf {
  uint8_t *p;            /* malloc'd */
  size_t len, cap;
} PbBuf;

void pbw_init(PbBuf *b);
void pbw_free(PbBuf *b);
void pbw_bytes(PbBuf *b, const void *s, size_t n);
void pbw_u8(PbBuf *b, uint8_t v);
/* An unsigned varint (1-10 bytes, shortest form). */
void pbw_uv(PbBuf *b, uint64_t v);
/* A signed integer, zigzag-encoded then written as a varint. */
void pbw_sv(PbBuf *b, int64_t v);
/* A double as its 8 IEEE-754 bytes, little-endian. */
void pbw_f64(PbBuf *b, double v);
/* A varint length then [n] bytes. */
void pbw_str(PbBuf *b, const char *s, size_t n);

/* ---- files ------------------------------------------------------------------------- */
/* The bytes of the regular file at [path] (malloc'd, NUL-terminated, *len set), or NULL
 * with errno set: a missing file, one over [max] bytes, or anything but a regular file
 * (opened without blocking, so a FIFO named by a hostile module cannot hang us). */
char *pb_slurp(const char *path, size_t max, size_t *len);

/* ---- reading ------------------------------------------------------------------------ */
#define PB_ERRMAX 512

typedef struct PbReader {
  const uint8_t *base;   /* the whole file */
  size_t pos, len;       /* read from [pos] up to [len] (a window's end, or the file's) */
  size_t total;          /* the whole file's length */
  const char *name;      /* the file's name for messages, e.g. "app.platb" */
  const char *what;      /* what is being read, for "truncated" messages ("the constant pool") */
  bool failed;
  char err[PB_ERRMAX];   /* "app.platb: corrupt: ...", the first failure's message */
} PbReader;

void pbr_init(PbReader *r, const char *name, const uint8_t *data, size_t len);
/* Record the first failure as "NAME: corrupt: MESSAGE" (later ones are ignored) and
 * return false, so that checks read `return pbr_fail(r, ...)`. */
bool pbr_fail(PbReader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with another kind than "corrupt" ("truncated", "not a .platb file", ...). */
bool pbr_failk(PbReader *r, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A reader [sub] over the next [n] bytes of [r] (which must have them), in the file's
 * coordinates: reading past its end fails in [sub] without touching [r]. */
void pbr_window(PbReader *sub, const PbReader *r, size_t n);
static inline size_t pbr_left(const PbReader *r) { return r->failed ? 0 : r->len - r->pos; }

uint8_t pbr_u8(PbReader *r);
/* Copy [n] bytes into [out]; false (and truncated) if fewer are left. */
bool pbr_bytes(PbReader *r, void *out, size_t n);
/* A varint no larger than [max] ([what] names it in the message when it is larger). */
uint64_t pbr_uv(PbReader *r, uint64_t max, const char *what);
/* A u32 count of items of at least [minsize] bytes each: refused when more than [max] or
 * when that many could not fit in the bytes left (so nothing is allocated that the file
 * cannot back). */
uint32_t pbr_count(PbReader *r, uint32_t max, size_t minsize, const char *what);
int64_t pbr_sv(PbReader *r);
double pbr_f64(PbReader *r);
/* A string: its bytes stay in the file ([*n] set); checked to be valid UTF-8 without NUL
 * bytes, at most [max] bytes long.  NULL on failure. */
const char *pbr_str(PbReader *r, uint32_t max, uint32_t *n, const char *what);

#endif
