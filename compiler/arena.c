/* Arena allocator: see arena.h.  Blocks grow geometrically; a request larger than a block
 * gets a block of its own.  PLAT_TRACK_ARENA makes each allocation its own malloc. */
#include "compiler/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock {
  ArenaBlock *next;
  size_t size, used;
  max_align_t data[];
};

#define ARENA_MIN_BLOCK ((size_t)64 * 1024)
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

char *plat_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = plat_xmalloc(n);
  memcpy(d, s, n);
  return d;
}

void arena_init(Arena *a) {
  a->head = NULL;
  a->used = 0;
}

void arena_free(Arena *a) {
  ArenaBlock *b = a->head;
  while (b) {
    ArenaBlock *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->used = 0;
}

void *arena_alloc(Arena *a, size_t size) {
  if (size > SIZE_MAX - ARENA_ALIGN) oom(size);
  size_t rounded = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
  a->used += rounded;
#ifdef PLAT_TRACK_ARENA
  ArenaBlock *t = plat_xmalloc(sizeof(ArenaBlock) + (size ? size : 1));
  t->size = t->used = size;
  t->next = a->head;
  a->head = t;
  memset(t->data, 0, size);
  return t->data;
#else
  ArenaBlock *b = a->head;
  if (!b || b->size - b->used < rounded) {
    size_t want = rounded > ARENA_MIN_BLOCK ? rounded : ARENA_MIN_BLOCK;
    if (b && b->size * 2 > want && b->size < ((size_t)16 << 20)) want = b->size * 2;
    ArenaBlock *nb = plat_xmalloc(sizeof(ArenaBlock) + want);
    nb->size = want;
    nb->used = 0;
    /* A big one-off request goes behind the current block so its free space survives. */
    if (b && rounded > ARENA_MIN_BLOCK && b->size - b->used >= ARENA_MIN_BLOCK / 4) {
      nb->next = b->next;
      b->next = nb;
    } else {
      nb->next = b;
      a->head = nb;
    }
    b = nb;
  }
  void *p = (char *)b->data + b->used;
  b->used += rounded;
  memset(p, 0, size);
  return p;
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
  if (len == SIZE_MAX) oom(len);
  char *d = arena_alloc(a, len + 1);
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
