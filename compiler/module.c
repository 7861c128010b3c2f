/* Module loading: turns the paths given to `platc check` into parsed modules.  A folder is
 * one module of all its *.plat files (sorted by name); a file is a one-file module.
 * This first version only reads and parses; imports, providers and checking come next.
 * Reading never prints: unreadable paths are E0505, folders without .plat files E0502. */
#include "compiler/compiler.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool has_plat_ext(const char *name) {
  size_t n = strlen(name);
  return n > 5 && strcmp(name + n - 5, ".plat") == 0;
}

/* "dir" + "name" -> "dir/name" (no doubled slash), malloc'd. */
static char *path_join(const char *dir, const char *name) {
  size_t dl = strlen(dir), nl = strlen(name);
  bool slash = dl > 0 && dir[dl - 1] == '/';
  char *s = plat_xmalloc(dl + nl + 2);
  memcpy(s, dir, dl);
  if (!slash) s[dl++] = '/';
  memcpy(s + dl, name, nl + 1);
  return s;
}

/* Read and parse one file; E0505 if it cannot be read. */
static bool load_file(Plat *p, const char *path) {
  uint32_t id = source_read(&p->sources, path);
  if (id == UINT32_MAX) {
    diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0), "cannot read '%s': %s",
             path, strerror(errno));
    return false;
  }
  plat_parse(p, id);
  return true;
}

/* Every *.plat in [dir], sorted by name.  Returns the number loaded, -1 if unreadable. */
static int load_dir(Plat *p, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0), "cannot read '%s': %s",
             dir, strerror(errno));
    return -1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.' || !has_plat_ext(e->d_name)) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      names = plat_xrealloc(names, cap * sizeof *names);
    }
    names[n++] = plat_xstrdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_cstr);
  int loaded = 0;
  for (size_t i = 0; i < n; i++) {
    char *full = path_join(dir, names[i]);
    struct stat st;
    /* a folder named x.plat is not a source file */
    if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) { free(full); free(names[i]); continue; }
    if (load_file(p, full)) loaded++;
    free(full);
    free(names[i]);
  }
  free(names);
  if (n == 0)
    diag_add(&p->diags, DIAG_E0502, span_make(SPAN_NO_FILE, 0, 0),
             "folder '%s' has no .plat files", dir);
  return loaded;
}

bool plat_check_paths(Plat *p, const char *const *paths, uint32_t n) {
  uint32_t loaded = 0;
  for (uint32_t i = 0; i < n; i++) {
    struct stat st;
    if (stat(paths[i], &st) != 0) {
      diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0), "cannot read '%s': %s",
               paths[i], strerror(errno));
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      int k = load_dir(p, paths[i]);
      if (k > 0) loaded += (uint32_t)k;
    } else if (load_file(p, paths[i])) {
      loaded++;
    }
  }
  return loaded > 0 || n == 0;
}

bool plat_check_source(Plat *p, const char *path, const char *text, size_t len) {
  if (len > SOURCE_MAX_BYTES) {
    diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0),
             "cannot read '%s': file too large (limit is %zu bytes)", path, (size_t)SOURCE_MAX_BYTES);
    return false;
  }
  uint32_t id = source_add(&p->sources, path, text, len);
  plat_parse(p, id);
  return true;
}
