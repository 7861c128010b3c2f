/* For the stdlib tests that read files (test_stdlib_files.c, test_stdlib_hash.c): a fresh
 * temporary folder per test, made the runtime's module folder (rt->base_dir), files put
 * into it, and removed afterwards.  Header-only, after tests/unit/stdlib_harness.h. */
#ifndef PLAT_TEST_STDLIB_TMPDIR_H
#define PLAT_TEST_STDLIB_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/tmpdir.h"

static char T_dir[64];

/* Write [n] bytes as the file [rel] of the folder. */
static inline void t_put(const char *rel, const void *bytes, size_t n) {
  char p[256];
  snprintf(p, sizeof p, "%s/%s", T_dir, rel);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, n, f), n);
  fclose(f);
}

/* Make the folder [rel] of the folder. */
static inline void t_mkdir(const char *rel) {
  char p[256];
  snprintf(p, sizeof p, "%s/%s", T_dir, rel);
  assert_int_equal(mkdir(p, 0755), 0);
}

/* [fmt] with the folder's path for its one %s (static buffer: use before the next call). */
static inline const char *t_in_dir(const char *fmt) {
  static char buf[512];
  snprintf(buf, sizeof buf, fmt, T_dir);
  return buf;
}

static inline int t_dir_setup(void **state) {
  t_setup(state);
  if (!tmpdir_make(T_dir, sizeof T_dir, "plat-stdlib")) return -1;
  T_rt.base_dir = T_dir;
  return 0;
}

static inline int t_dir_teardown(void **state) {
  if (!tmpdir_remove(T_dir)) return -1;
  return t_teardown(state);
}

#endif
