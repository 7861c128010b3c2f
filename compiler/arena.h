/* Arena: bump allocation for everything one compilation owns (AST, types, symbols,
 * diagnostics), freed in one call.  The LSP drops a document's arena when a new version
 * arrives.  Build with -DPLAT_TRACK_ARENA and every allocation is a real malloc, so
 * AddressSanitizer sees overflows that a bump allocator would hide. */
#ifndef PLAT_ARENA_H
#define PLAT_ARENA_H

#include <stddef.h>
#include <stdint.h>

/* PLAT_ASAN: built with AddressSanitizer (gcc or clang).  Arenas poison what they have not
 * handed out, and the CLI frees everything before exiting so that leak checks see it. */
#if defined(__SANITIZE_ADDRESS__)
#define PLAT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLAT_ASAN 1
#endif
#endif

typedef struct ArenaBlock ArenaBlock;

typedef struct Arena {
  ArenaBlock *head;   /* newest block first */
  size_t used;        /* bytes handed out, for benchmarks and limits */
} Arena;

/* An empty arena; it allocates nothing until first use. */
void arena_init(Arena *a);
/* Free every block; [a] can be reused after. */
void arena_free(Arena *a);
/* Move every block of [src] into [dst]: what was allocated in [src] now lives as long as
 * [dst], and [dst] goes on allocating in [src]'s newest block.  [src] is left empty.  (A
 * parse builds its AST in a scratch arena, so that a parse it abandons can be freed.) */
void arena_merge(Arena *dst, Arena *src);
/* [size] bytes aligned for any type, zeroed.  Aborts on out-of-memory (there is no
 * sensible recovery inside a compiler pass); size arithmetic is overflow-checked. */
void *arena_alloc(Arena *a, size_t size);
/* [n] * [size] bytes, zeroed, with the multiplication checked. */
void *arena_calloc(Arena *a, size_t n, size_t size);
/* Grow an arena array: returns a copy of [old] ([oldn] elements) with room for [newn]. */
void *arena_grow(Arena *a, void *old, size_t oldn, size_t newn, size_t size);
/* A NUL-terminated copy of [len] bytes at [s]. */
char *arena_strndup(Arena *a, const char *s, size_t len);
char *arena_strdup(Arena *a, const char *s);
/* printf into the arena. */
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* malloc/realloc that abort with a message on failure: for the few places outside
 * arenas (file buffers, growable vectors), so callers never deal with NULL. */
void *plat_xmalloc(size_t size);
void *plat_xrealloc(void *p, size_t size);
void *plat_xcalloc(size_t n, size_t size);
/* plat_xcalloc for a hash table: its pages are written now.  A table is read before it
 * is written; fresh zero pages read first are mapped to the shared zero page and copied
 * on the first write, with a TLB flush across every CPU the process runs on. */
void *plat_xzalloc(size_t n, size_t size);
char *plat_xstrdup(const char *s);

/* A growable NUL-terminated text on the heap, for the printers that build one (ast dumps,
 * the formatter, type and value texts, templates); free(b.s) when done. */
typedef struct PlatBuf {
  char *s;
  size_t n, cap;
} PlatBuf;
void plat_buf_put(PlatBuf *b, const char *s, size_t n);
void plat_buf_puts(PlatBuf *b, const char *s);

/* A growable array of pointers in an arena, used by the parser to build lists. */
typedef struct PtrVec {
  void **items;
  uint32_t n, cap;
} PtrVec;
void ptrvec_push(Arena *a, PtrVec *v, void *item);

#endif
