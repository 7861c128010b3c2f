/* Shared by the tests of providers/ (tests/unit/test_provider_*.c): a fresh project folder
 * per test under $TMPDIR, removed afterwards; a registry over it; one-line helpers to
 * run an operation; and a fake clock that records the waits between retries instead of
 * sleeping.  Header-only: each test file is its own binary. */
#ifndef PLAT_TEST_PROVIDER_FIXTURE_H
#define PLAT_TEST_PROVIDER_FIXTURE_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/provider.h"
#include "tests/unit/tmpdir.h"

/* rm -rf of a test's own folder (links are removed, never followed). */
static inline void rm_rf(const char *path) { (void)tmpdir_remove(path); }

/* A new empty folder, its real path (malloc'd). */
static inline char *make_root(void) {
  const char *tmp = getenv("TMPDIR");
  char tmpl[PATH_MAX];
  snprintf(tmpl, sizeof tmpl, "%s/plat-prov.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(tmpl)) return NULL;
  return realpath(tmpl, NULL);
}

/* "<root>/<rel>" in a static buffer (one at a time). */
static inline const char *at(const char *root, const char *rel) {
  static char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s/%s", root, rel);
  return buf;
}

static inline void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

/* The whole file (malloc'd, NUL-terminated) or NULL. */
static inline char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t r;
  while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (n + 1 == cap) buf = realloc(buf, cap *= 2);
  }
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Entries in a folder, "." and ".." aside; -1 if it cannot be read. */
static inline int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

/* A clock whose sleeps return at once and are written down. */
typedef struct FakeClock {
  int64_t now;
  int64_t sleeps[64];
  int nsleeps;
} FakeClock;

static inline int64_t fake_now(void *ctx) { return ((FakeClock *)ctx)->now; }

static inline void fake_sleep(void *ctx, int64_t ms) {
  FakeClock *c = ctx;
  if (c->nsleeps < 64) c->sleeps[c->nsleeps++] = ms;
  c->now += ms;
}

/* The JSON of [v] as a string, compact and sorted (malloc'd). */
static inline char *dump(const json_t *v) {
  return v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : strdup("NULL");
}

/* Run [op] with the common fields; inputs etc. are borrowed. */
static inline ProvStatus run_op(Provider *p, ProvOp op, const char *type, const char *id,
                         json_t *inputs, json_t *outputs, json_t *new_inputs, ProvRes *res) {
  ProvReq q = {.type = type, .address = "test.res", .id = id, .inputs = inputs,
               .outputs = outputs, .new_inputs = new_inputs};
  return prov_call(p, op, &q, res);
}

/* The string value of [key] in [obj], or "" */
static inline const char *sget(const json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? s : "";
}

/* cmocka setup and teardown of one built-in provider over a fresh project folder. */
typedef struct ProvFix {
  char *root;
  ProvRegistry *reg;
  Provider *p;
} ProvFix;

static inline int prov_fix_setup(void **state, const char *name) {
  ProvFix *f = calloc(1, sizeof *f);
  f->root = make_root();
  ProvConfig cfg = {.project_root = f->root, .search_path = ""};
  f->reg = prov_registry_new(&cfg);
  char *err = NULL;
  f->p = prov_open(f->reg, name, NULL, &err);
  if (!f->p) fprintf(stderr, "%s\n", err);
  free(err);
  *state = f;
  return f->p ? 0 : -1;
}

static inline int prov_fix_teardown(void **state) {
  ProvFix *f = *state;
  prov_registry_free(f->reg);
  rm_rf(f->root);
  free(f->root);
  free(f);
  return 0;
}

#endif
