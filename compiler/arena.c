/* Arena allocator: see arena.h.  Blocks grow geometrically; a request larger than a block
 * gets a block of its own.  Blocks are fresh anonymous mappings, which the kernel hands
 * out zeroed, so allocations are not cleared one by one; a large block's pages are
 * faulted in a megabyte at a time, in one call, as the arena reaches them (a page fault
 * per 4 KiB was a quarter of the time of checking a large file).  Under AddressSanitizer
 * blocks come from calloc instead, so overruns past a block are still caught;
 * PLAT_TRACK_ARENA makes each allocation its own malloc. */
#include "compiler/arena.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>


struct ArenaBlock {
  ArenaBlock *next;
  size_t size, used;    /* bytes after the header (DATA), bytes of them handed out */
  size_t ready;         /* bytes after the header known to be faulted in (or all of
                           them): the bump limit, so the fast path has one comparison */
};

/* The block header, padded so that data (right after it) is aligned for any type. */
#define ARENA_HEADER ((sizeof(ArenaBlock) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1))
#define DATA(b) ((char *)(b) + ARENA_HEADER)

/* Blocks, header included, are powers of two from 64 KiB to 16 MiB. */
#define ARENA_MIN_BLOCK ((size_t)64 * 1024)
#define ARENA_MAX_BLOCK ((size_t)16 << 20)
/* Blocks this large are prefaulted POPULATE bytes at a time. */
#define ARENA_PREFAULT ((size_t)2 << 20)
#define ARENA_POPULATE ((size_t)1 << 20)
/* The alignment of max_align_t (16 on x86-64), not its size (32): rounding every AST
 * node up to 32 bytes would waste a third of the arena. */
#define ARENA_ALIGN (_Alignof(max_align_t))

static void oom(size_t size) {
  fprintf(stderr, "platc: out of memory (allocating %zu bytes)\n", size);
  abort();
}

void *plat_xmalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p) oom(size);
  return p;
}

void *plat_xrealloc(void *p, size_t size) {
  void *q = realloc(p, size ? size : 1);
  if (!q) oom(size);
  return q;
}

void *plat_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) oom(n * size);
  return p;
}

void *plat_xzalloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) oom(SIZE_MAX);
  size_t bytes = n && size ? n * size : 1;
  void *p = plat_xmalloc(bytes);
  memset(p, 0, bytes);
  return p;
}

char *plat_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = plat_xmalloc(n);
  memcpy(d, s, n);
  return d;
}

void plat_buf_put(PlatBuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    b->s = plat_xrealloc(b->s, cap);
    b->cap = cap;
  }
  if (n) memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = 0;
}

void plat_buf_puts(PlatBuf *b, const char *s) { plat_buf_put(b, s, strlen(s)); }

void arena_init(Arena *a) {
  a->head = NULL;
  a->used = 0;
}

#ifndef PLAT_TRACK_ARENA
/* A zeroed block of [total] bytes, header included. */
static ArenaBlock *block_new(size_t total) {
#ifdef PLAT_ASAN
  ArenaBlock *b = plat_xcalloc(1, total);
#else
  void *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) oom(total);
  ArenaBlock *b = m;
#endif
  b->size = total - ARENA_HEADER;
  b->used = 0;
  b->ready = b->size;
  return b;
}

/* Make [b]'s bytes up to [need] ready: fault in the next megabytes of a large block in
 * one madvise instead of a trap per page.  Where MADV_POPULATE_WRITE is missing (Linux
 * before 5.14) the pages simply fault in as they are touched. */
static void block_prefault(ArenaBlock *b, size_t need) {
  size_t from = b->ready, to = from;
  while (to < need) to += ARENA_POPULATE;
  if (to > b->size) to = b->size;
  b->ready = to;
#if defined(MADV_POPULATE_WRITE) && !defined(PLAT_ASAN)
  /* from the page holding [from]: a mapping's data starts one header past a page */
  uintptr_t start = ((uintptr_t)DATA(b) + from) & ~(uintptr_t)4095;
  uintptr_t end = (uintptr_t)DATA(b) + to;
  (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);   /* advice only */
#endif
}
#endif

static void block_free(ArenaBlock *b) {
#if defined(PLAT_ASAN) || defined(PLAT_TRACK_ARENA)
  free(b);
#else
  munmap(b, b->size + ARENA_HEADER);
#endif
}

void arena_free(Arena *a) {
  ArenaBlock *b = a->head;
  while (b) {
    ArenaBlock *next = b->next;
    block_free(b);
    b = next;
  }
  a->head = NULL;
  a->used = 0;
}

void arena_merge(Arena *dst, Arena *src) {
  if (!src->head) return;
  ArenaBlock *tail = src->head;
  while (tail->next) tail = tail->next;
  tail->next = dst->head;
  dst->head = src->head;
  dst->used += src->used;
  src->head = NULL;
  src->used = 0;
}

#ifndef PLAT_TRACK_ARENA
/* The slow path of bump: a block where [size] bytes fit at an offset aligned to [align],
 * by prefaulting more of the current block or by making a new one. */
static ArenaBlock *refill(Arena *a, size_t size, size_t align) {
  ArenaBlock *b = a->head;
  size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
  if (b && at <= b->size && b->size - at >= size) {
    block_prefault(b, at + size);
    return b;
  }
  /* the next power of two after the current block (capped), or a block of its own, in
     whole pages, for a request too big for that */
  size_t total = ARENA_MIN_BLOCK;
  while (b && total <= b->size + ARENA_HEADER && total < ARENA_MAX_BLOCK) total *= 2;
  bool own = size > total - ARENA_HEADER;
  if (own) {
    if (size > SIZE_MAX - ARENA_HEADER - 4096) oom(size);
    total = (size + ARENA_HEADER + 4095) & ~(size_t)4095;
  }
  ArenaBlock *nb = block_new(total);
  /* A big one-off request goes behind the current block so its free space survives. */
  if (b && size > ARENA_MIN_BLOCK && b->size - b->used >= ARENA_MIN_BLOCK / 4) {
    nb->next = b->next;
    b->next = nb;
  } else {
    nb->next = b;
    a->head = nb;
  }
  /* Prefaulted for writing, a block of its own too: a hash table's probes read it before
     writing, and read-first zero pages are copied on the first write with a TLB flush
     across CPUs (plat_xzalloc). */
  if (total >= ARENA_PREFAULT) {
    nb->ready = 0;
    block_prefault(nb, size);
  }
  return nb;
}

/* [size] bytes at an offset aligned to [align] (a power of two, at most ARENA_ALIGN). */
static inline void *bump(Arena *a, size_t size, size_t align) {
  ArenaBlock *b = a->head;
  size_t at = 0;
  if (b) at = (b->used + align - 1) & ~(align - 1);
  if (!b || at > b->ready || b->ready - at < size) {
    b = refill(a, size, align);
    at = (b->used + align - 1) & ~(align - 1);
  }
  b->used = at + size;
  return DATA(b) + at;   /* zero: blocks are zeroed when made and never reused */
}
#endif

void *arena_alloc(Arena *a, size_t size) {
  if (size > SIZE_MAX - ARENA_ALIGN) oom(size);
  size_t rounded = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
  a->used += rounded;
#ifdef PLAT_TRACK_ARENA
  ArenaBlock *t = plat_xmalloc(ARENA_HEADER + (size ? size : 1));
  t->size = t->used = t->ready = size;
  t->next = a->head;
  a->head = t;
  memset(DATA(t), 0, size);
  return DATA(t);
#else
  return bump(a, rounded, ARENA_ALIGN);
#endif
}

void *arena_calloc(Arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) oom(SIZE_MAX);
  return arena_alloc(a, n * size);
}

void *arena_grow(Arena *a, void *old, size_t oldn, size_t newn, size_t size) {
  void *p = arena_calloc(a, newn, size);
  if (old && oldn) memcpy(p, old, (oldn < newn ? oldn : newn) * size);
  return p;
}

char *arena_strndup(Arena *a, const char *s, size_t len) {
  if (len >= SIZE_MAX - ARENA_ALIGN) oom(len);
#ifdef PLAT_TRACK_ARENA
  char *d = arena_alloc(a, len + 1);
#else
  /* byte-aligned: a text needs no padding (900,000 short literals in a large program) */
  a->used += len + 1;
  char *d = bump(a, len + 1, 1);
#endif
  if (len) memcpy(d, s, len);
  d[len] = 0;
  return d;
}

char *arena_strdup(Arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_printf(Arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  char *d = arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(d, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return d;
}

void ptrvec_push(Arena *a, PtrVec *v, void *item) {
  if (v->n == v->cap) {
    uint32_t ncap = v->cap ? v->cap * 2 : 4;
    v->items = arena_grow(a, v->items, v->n, ncap, sizeof(void *));
    v->cap = ncap;
  }
  v->items[v->n++] = item;
}
