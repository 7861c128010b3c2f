/* Byte-level helpers shared by the encoding, hash and file built-ins (stdB's areas):
 * Base64 both ways, hex, naming an argument in a message without leaking a secret, and
 * reading a file relative to the calling module's folder with a size cap.  Nothing here
 * knows about a particular built-in; results are built in the run's arena. */
#ifndef PLAT_STDLIB_BYTES_H
#define PLAT_STDLIB_BYTES_H

#include <stdbool.h>
#include <stddef.h>

#include "vm/value.h"

/* Files larger than this are refused by file(), filebase64(), the file hashes and
 * templatefile(): a configuration never needs more, and a huge read would only exhaust
 * memory. */
#define SL_FILE_MAX (16u << 20)

/* Append the standard Base64 (RFC 4648, with padding) of [n] bytes at [p]. */
void sl_b64_encode(SBuf *b, const void *p, size_t n);
/* Decode standard Base64 as Go's StdEncoding does (padding required, CR and LF ignored):
 * returns the decoded bytes (NUL-terminated, in the arena) and their count in *len, or
 * NULL when [s] is not Base64. */
char *sl_b64_decode(Rt *rt, const char *s, size_t n, size_t *len);
/* [p], an arena array of [n] items of [size] bytes with room for *cap, with room for one
 * more: itself, or a copy twice as large (an rt_error past the memory limit). */
void *sl_grow(Rt *rt, void *p, uint32_t n, uint32_t *cap, size_t size);
/* The value of hex digit [c] (either case), or -1. */
int sl_hexdigit(char c);
/* Append [n] bytes as lowercase hex. */
void sl_hex(SBuf *b, const unsigned char *p, size_t n);

/* The argument [v] for an error message: a string quoted as Plat would write it, cut at
 * [max] bytes, or "(sensitive value)" when [v] is secret, so no message quotes a secret. */
const char *sl_show_arg(Rt *rt, Val v, uint32_t max);

/* [path] as the built-ins resolve it: "~" or "~/..." expanded to $HOME, and a relative
 * path joined to rt->base_dir (the calling module's folder; "." when unset).  Arena text. */
const char *sl_resolve_path(Rt *rt, const char *path);
/* The bytes of the regular file at [path] (resolved as above), NUL-terminated, length in
 * *len.  An rt_error prefixed with "[fn]: " when it does not exist, is not a regular file,
 * cannot be read, or is larger than SL_FILE_MAX; the message names the path unless it is
 * secret. */
char *sl_read_file(Rt *rt, const char *fn, Val path, size_t *len);

#endif
