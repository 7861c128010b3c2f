/* The .platb module file: write a bytecode module (vm/program.h) to bytes, load bytes back
 * into a module and verify it before anything can run it, and print one readably.  The
 * format and what the verifier guarantees are in docs/bytecode.md.  A .platb is untrusted
 * input: a truncated, corrupted or hostile file is refused with one message naming the
 * file and what is wrong; nothing here asserts on input, crashes or allocates more than
 * the file can back. */
#ifndef PLAT_PLATB_H
#define PLAT_PLATB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler/source.h"
#include "vm/pbio.h"
#include "vm/program.h"
#include "vm/value.h"

/* The 8 bytes every .platb starts with. */
#define PB_MAGIC "\x89PLATB\r\n"
#define PB_MAGIC_LEN 8
/* Bytes of the fixed header: magic, version, flags, source hash. */
#define PB_HEADER_LEN 48
/* Files larger than this are refused before reading. */
#define PB_MAX_FILE ((size_t)1 << 30)
/* Constants nest (a list of lists) at most this deep: the runtime's values do too. */
#define PB_MAX_CONST_DEPTH 2048
/* Accumulators and dependency marks open at once in one function. */
#define PB_MAX_MARKS 4096

/* [m] as .platb bytes: malloc'd (caller frees), *len set.  Deterministic: the same module
 * gives the same bytes.  Writes whatever [m] holds (verify it first if it may be bad). */
uint8_t *pb_write(const BcModule *m, size_t *len);

/* Parse [len] bytes at [data] into a new module and verify it (pb_verify).  On success
 * returns the module (free with bc_free); on failure returns NULL with [err] set to one
 * line naming [name] ("app.platb: corrupt: jump target 912 outside function 'main' (312
 * bytes)").  Never reads outside [data], never allocates more than a small multiple of
 * [len]. */
BcModule *pb_load(const uint8_t *data, size_t len, const char *name, char err[PB_ERRMAX]);

/* Read the file at [path] and pb_load it ([path] names it in messages); an unreadable or
 * too large file is an error too ("app.platb: cannot read: No such file or directory"). */
BcModule *pb_read_file(const char *path, char err[PB_ERRMAX]);

/* Check every invariant docs/bytecode.md lists ("What the verifier guarantees") on [m]:
 * true, or false with [err] set as pb_load sets it.  pb_load calls it; tests call it on
 * what the compiler emits. */
bool pb_verify(const BcModule *m, const char *name, char err[PB_ERRMAX]);

/* Set m->source_hash and m->sources from the non-embedded files of [sm] (vm/srchash.h),
 * adding path strings to m as needed.  For modules fresh from emit_program. */
void pb_stamp(BcModule *m, const SourceMap *sm);

/* Does the module's recorded source list still hash to its source_hash?  Reads each file
 * at its recorded path: 1 when they match, 0 when they all exist and differ (a stale
 * module), -1 when there is nothing to compare (no hash or list, or a file is missing). */
int pb_sources_match(const BcModule *m);

/* Print [m] readably to [out] (docs/bytecode.md, "Disassembly"): tables, then each
 * function's instructions with decoded operands, each group of instructions under the
 * source line it comes from when that file can be read.  [m] must be verified. */
void pb_disasm(const BcModule *m, FILE *out);

/* Do [args] ([n]) fit the signature of built-in [id] (a BuiltinId) deeply — every list
 * item and map value too, generics (T, U, any) taking anything?  False with [why] set
 * ("endswith: argument 1 (s) is a null, which does not fit string").  The VM calls it
 * before every built-in: the stdlib trusts argument tags, which the checker guarantees
 * for compiled sources but nothing guarantees for a .platb (vm/argcheck.c). */
bool pb_args_fit(int id, const Val *args, uint32_t n, char *why, size_t whylen);

#endif
