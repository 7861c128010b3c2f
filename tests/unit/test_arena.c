/* Unit tests of the arena (compiler/arena.h): alignment, zeroing, growth across blocks,
 * big one-off blocks that must not waste the current block, strndup (unpadded) and
 * printf, arena_grow, arena_merge and PtrVec.  They go through the header only; under
 * SAN=1 AddressSanitizer also checks that every byte handed out is really ours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/arena.h"

static int is_aligned(const void *p) {
  return ((uintptr_t)p % _Alignof(max_align_t)) == 0;
}

static int all_zero(const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++)
    if (c[i]) return 0;
  return 1;
}

static void test_empty_arena(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  assert_null(a.head);
  assert_int_equal(a.used, 0);
  arena_free(&a);           /* freeing an unused arena is fine */
  arena_free(&a);           /* and idempotent */
  assert_null(a.head);
}

static void test_alignment_every_size(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  for (size_t size = 0; size < 300; size++) {
    unsigned char *p = arena_alloc(&a, size);
    assert_non_null(p);
    assert_true(is_aligned(p));
    assert_true(all_zero(p, size));
    memset(p, 0xAB, size);  /* dirty it: the next allocation must still come back zeroed */
  }
  arena_free(&a);
}

static void test_allocations_do_not_overlap(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  enum { N = 5000 };
  static unsigned char *ptrs[N];
  static size_t sizes[N];
  for (size_t i = 0; i < N; i++) {
    sizes[i] = (i * 37) % 211 + 1;
    ptrs[i] = arena_alloc(&a, sizes[i]);
    memset(ptrs[i], (int)(i & 0xFF), sizes[i]);
  }
  /* Every allocation still holds its own fill: nothing overlapped or was recycled. */
  for (size_t i = 0; i < N; i++)
    for (size_t k = 0; k < sizes[i]; k++) assert_int_equal(ptrs[i][k], i & 0xFF);
  arena_free(&a);
}

static void test_used_counts_rounded_bytes(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  const size_t al = _Alignof(max_align_t);
  arena_alloc(&a, 1);
  assert_int_equal(a.used, al);
  arena_alloc(&a, al + 1);
  assert_int_equal(a.used, 3 * al);
  arena_free(&a);
  assert_int_equal(a.used, 0);
}

static void test_growth_past_many_blocks(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  /* 40 MB in 1 KB pieces: many blocks, geometric growth capped at 16 MB. */
  size_t total = 0;
  char *first = arena_alloc(&a, 1024);
  memcpy(first, "first", 6);
  while (total < ((size_t)40 << 20)) {
    char *p = arena_alloc(&a, 1024);
    assert_true(is_aligned(p));
    assert_true(all_zero(p, 1024));
    p[0] = 'x';
    p[1023] = 'y';
    total += 1024;
  }
  assert_string_equal(first, "first");
  assert_true(a.used >= total);
  arena_free(&a);
}

static void test_big_block(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  char *small1 = arena_alloc(&a, 16);
  /* Larger than any default block: gets a block of its own. */
  size_t big = (size_t)3 << 20;
  unsigned char *b = arena_alloc(&a, big);
  assert_true(is_aligned(b));
  assert_true(all_zero(b, big));
  memset(b, 0xCD, big);
  /* The current block's free space survives the big request: the next small allocation
   * comes from the same block as small1, right after it (not so when tracking). */
  char *small2 = arena_alloc(&a, 16);
  assert_true(all_zero(small2, 16));
#ifndef PLAT_TRACK_ARENA
  assert_true(small2 > small1 && small2 - small1 <= 2 * (ptrdiff_t)_Alignof(max_align_t));
#else
  (void)small1;
#endif
  assert_int_equal(b[0], 0xCD);
  assert_int_equal(b[big - 1], 0xCD);
  arena_free(&a);
}

static void test_zero_size_allocations(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  void *p = arena_alloc(&a, 0);
  assert_non_null(p);
  assert_true(is_aligned(p));
  char *q = arena_alloc(&a, 8);   /* a real allocation after an empty one still works */
  assert_true(all_zero(q, 8));
  arena_free(&a);
}

static void test_arena_calloc_zeroes(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  uint64_t *v = arena_calloc(&a, 1000, sizeof *v);
  assert_true(all_zero(v, 1000 * sizeof *v));
  v[999] = 7;
  assert_int_equal(v[999], 7);
  void *z = arena_calloc(&a, 0, 8);
  assert_non_null(z);
  arena_free(&a);
}

static void test_grow_copies_and_zeroes(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  int *v = arena_grow(&a, NULL, 0, 4, sizeof *v);
  assert_true(all_zero(v, 4 * sizeof *v));
  for (int i = 0; i < 4; i++) v[i] = i + 1;
  int *w = arena_grow(&a, v, 4, 100, sizeof *w);
  assert_ptr_not_equal(v, w);
  for (int i = 0; i < 4; i++) assert_int_equal(w[i], i + 1);
  assert_true(all_zero(w + 4, 96 * sizeof *w));
  /* Shrinking copies only what fits. */
  int *s = arena_grow(&a, w, 100, 2, sizeof *s);
  assert_int_equal(s[0], 1);
  assert_int_equal(s[1], 2);
  arena_free(&a);
}

static void test_strndup(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  const char src[] = "hello, world";
  char *d = arena_strndup(&a, src, 5);
  assert_string_equal(d, "hello");
  assert_ptr_not_equal(d, src);
  char *e = arena_strndup(&a, src, 0);
  assert_string_equal(e, "");
  char *f = arena_strndup(&a, NULL, 0);   /* no bytes to copy: NULL is allowed */
  assert_string_equal(f, "");
  /* Embedded NUL: strndup copies bytes, not a C string. */
  char *g = arena_strndup(&a, "a\0b", 3);
  assert_int_equal(g[0], 'a');
  assert_int_equal(g[1], 0);
  assert_int_equal(g[2], 'b');
  assert_int_equal(g[3], 0);
  char *h = arena_strdup(&a, "plat");
  assert_string_equal(h, "plat");
  arena_free(&a);
}

static void test_printf(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  char *s = arena_printf(&a, "%s=%d (%c)", "limit", 256, 'x');
  assert_string_equal(s, "limit=256 (x)");
  char *e = arena_printf(&a, "%s", "");
  assert_string_equal(e, "");
  /* Longer than any small buffer a naive implementation might use. */
  char big[5000];
  memset(big, 'q', sizeof big - 1);
  big[sizeof big - 1] = 0;
  char *l = arena_printf(&a, "<%s>", big);
  assert_int_equal(strlen(l), sizeof big + 1);
  assert_int_equal(l[0], '<');
  assert_int_equal(l[sizeof big], '>');
  arena_free(&a);
}

static void test_ptrvec(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  PtrVec v = {0};
  static int vals[10000];
  for (int i = 0; i < 10000; i++) {
    vals[i] = i;
    ptrvec_push(&a, &v, &vals[i]);
    assert_int_equal(v.n, (uint32_t)i + 1);
    assert_true(v.cap >= v.n);
  }
  for (int i = 0; i < 10000; i++) assert_ptr_equal(v.items[i], &vals[i]);
  ptrvec_push(&a, &v, NULL);   /* NULL items are kept, not skipped */
  assert_int_equal(v.n, 10001);
  assert_null(v.items[10000]);
  arena_free(&a);
}

static void test_arena_reusable_after_free(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  for (int round = 0; round < 3; round++) {
    char *s = arena_strdup(&a, "again");
    assert_string_equal(s, "again");
    arena_alloc(&a, (size_t)1 << 20);
    arena_free(&a);
    assert_null(a.head);
    assert_int_equal(a.used, 0);
  }
}

static void test_xalloc(void **state) {
  (void)state;
  char *p = plat_xmalloc(0);     /* never NULL, even for 0 */
  assert_non_null(p);
  free(p);
  int *z = plat_xcalloc(16, sizeof *z);
  assert_true(all_zero(z, 16 * sizeof *z));
  z = plat_xrealloc(z, 1000 * sizeof *z);
  z[999] = 1;
  free(z);
  char *d = plat_xstrdup("dup");
  assert_string_equal(d, "dup");
  free(d);
}

/* Texts are packed without padding, and the next node is still aligned and zeroed. */
static void test_strings_unpadded_nodes_aligned(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  char *s1 = arena_strndup(&a, "abc", 3);
  char *s2 = arena_strndup(&a, "de", 2);
#ifndef PLAT_TRACK_ARENA
  assert_ptr_equal(s2, s1 + 4);   /* "abc\0" then "de\0", no padding between */
#endif
  void *n = arena_alloc(&a, 24);
  assert_true(is_aligned(n));
  assert_true(all_zero(n, 24));
  assert_string_equal(s1, "abc");
  assert_string_equal(s2, "de");
  arena_free(&a);
}

/* arena_merge: what src allocated lives on in dst, dst goes on allocating, src is empty
 * and reusable, and one arena_free of dst frees it all (ASan/LSan would see a leak). */
static void test_merge(void **state) {
  (void)state;
  Arena dst, src;
  arena_init(&dst);
  arena_init(&src);
  char *d1 = arena_strdup(&dst, "kept in dst");
  enum { N = 20000 };
  static char *ptrs[N];
  for (int i = 0; i < N; i++) ptrs[i] = arena_printf(&src, "item %d", i);  /* several blocks */
  size_t used = dst.used + src.used;
  arena_merge(&dst, &src);
  assert_null(src.head);
  assert_int_equal(src.used, 0);
  assert_int_equal(dst.used, used);
  char *d2 = arena_strdup(&dst, "after the merge");
  char buf[32];
  for (int i = 0; i < N; i++) {
    snprintf(buf, sizeof buf, "item %d", i);
    assert_string_equal(ptrs[i], buf);
  }
  assert_string_equal(d1, "kept in dst");
  assert_string_equal(d2, "after the merge");
  arena_merge(&dst, &src);   /* merging an empty arena changes nothing */
  assert_int_equal(dst.used, used + strlen("after the merge") + 1);
  char *s = arena_strdup(&src, "src again");
  assert_string_equal(s, "src again");
  arena_free(&src);
  arena_free(&dst);
  assert_null(dst.head);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_arena),
      cmocka_unit_test(test_alignment_every_size),
      cmocka_unit_test(test_allocations_do_not_overlap),
      cmocka_unit_test(test_used_counts_rounded_bytes),
      cmocka_unit_test(test_growth_past_many_blocks),
      cmocka_unit_test(test_big_block),
      cmocka_unit_test(test_zero_size_allocations),
      cmocka_unit_test(test_arena_calloc_zeroes),
      cmocka_unit_test(test_grow_copies_and_zeroes),
      cmocka_unit_test(test_strndup),
      cmocka_unit_test(test_printf),
      cmocka_unit_test(test_ptrvec),
      cmocka_unit_test(test_arena_reusable_after_free),
      cmocka_unit_test(test_xalloc),
      cmocka_unit_test(test_strings_unpadded_nodes_aligned),
      cmocka_unit_test(test_merge),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
