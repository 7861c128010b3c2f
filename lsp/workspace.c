/* The workspace: file URIs <-> paths, the workspace folders (multi-root: initialize's
 * workspaceFolders or rootUri, then didChangeWorkspaceFolders), files changed on disk
 * (didChangeWatchedFiles re-checks the modules that read them), the list of modules under
 * the folders (workspace symbols), and embedded schemas materialised for editors to open. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lsp/docs.h"

/* ---- URIs ------------------------------------------------------------------------------ */
static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char *lsp_uri_to_path(const char *uri) {
  if (strncmp(uri, "file://", 7) != 0) return NULL;
  const char *p = uri + 7;
  /* file://localhost/x and file:///x; another authority is not a local path */
  if (strncmp(p, "localhost/", 10) == 0) p += 9;
  if (*p != '/') return NULL;
  size_t n = strlen(p);
  char *out = plat_xmalloc(n + 1), *o = out;
  for (; *p && *p != '?' && *p != '#'; p++) {
    if (*p == '%') {
      int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;
      if (hi < 0 || lo < 0) { *o++ = '%'; continue; }
      char c = (char)(hi * 16 + lo);
      if (c == 0) { free(out); return NULL; }
      *o++ = c;
      p += 2;
    } else {
      *o++ = *p;
    }
  }
  *o = 0;
  /* VS Code on Windows sends /c%3A/...: not our platform, leave it as it is */
  return out;
}

char *lsp_path_to_uri(const char *path) {
  char *abs = NULL;
  if (path[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) {
      abs = plat_xmalloc(strlen(cwd) + strlen(path) + 2);
      strcpy(abs, cwd);
      strcat(abs, "/");
      strcat(abs, path[0] == '.' && path[1] == '/' ? path + 2 : path);
      path = abs;
    }
  }
  /* "a/./b" and "a/x/../b" (an import of "../lib") name what an editor calls "a/b" */
  char *norm = plat_xmalloc(strlen(path) + 2), *w = norm;
  for (const char *r = path; *r && path[0] == '/';) {
    const char *seg = r;
    while (*r && *r != '/') r++;
    size_t sl = (size_t)(r - seg);
    if (*r == '/') r++;
    if (seg == path && sl == 0) continue;                     /* the leading '/' */
    if (sl == 0 || (sl == 1 && seg[0] == '.')) continue;      /* "//" and "/./" */
    if (sl == 2 && seg[0] == '.' && seg[1] == '.' && w > norm) {
      while (w > norm && *--w != '/') {}
      continue;
    }
    *w++ = '/';
    memcpy(w, seg, sl);
    w += sl;
  }
  if (path[0] != '/') w = stpcpy(norm, path);   /* no cwd: as it is */
  else if (w == norm) *w++ = '/';
  *w = 0;
  path = norm;
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(path);
  char *out = plat_xmalloc(7 + n * 3 + 1), *o = out;
  memcpy(o, "file://", 7);
  o += 7;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    /* RFC 3986 unreserved and '/', as VS Code writes them (it encodes ':' too) */
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/') {
      *o++ = (char)*p;
    } else {
      *o++ = '%';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 15];
    }
  }
  *o = 0;
  free(norm);
  free(abs);
  return out;
}

void lsp_free_strings(char **v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* ---- embedded files ------------------------------------------------------------------------ */
static bool mkdirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    bool ok = mkdir(path, 0755) == 0 || errno == EEXIST;
    *p = '/';
    if (!ok) return false;
  }
  return mkdir(path, 0755) == 0 || errno == EEXIST;
}

char *lsp_builtin_uri(LspServer *s, const char *embedded_name) {
  /* the loader shows embedded files as "<platc>/providers/..." (module.c) */
  if (strncmp(embedded_name, "<platc>/", 8) == 0) embedded_name += 8;
  const PlatEmbedded *e = plat_embedded_find(embedded_name);
  if (!e) return NULL;
  if (!s->cache_dir) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    const char *base = xdg && *xdg ? xdg : home && *home ? home : "/tmp";
    const char *mid = xdg && *xdg ? "" : "/.cache";
    size_t n = strlen(base) + strlen(mid) + 64;
    s->cache_dir = plat_xmalloc(n);
    snprintf(s->cache_dir, n, "%s%s/platc/%s", base, mid, PLAT_VERSION);
  }
  size_t n = strlen(s->cache_dir) + strlen(embedded_name) + 2;
  char *path = plat_xmalloc(n);
  snprintf(path, n, "%s/%s", s->cache_dir, embedded_name);
  /* write once per version (same bytes every time), read-only so nobody edits a copy */
  struct stat st;
  if (stat(path, &st) != 0 || (size_t)st.st_size != e->len) {
    char *dir = plat_xstrdup(path);
    *strrchr(dir, '/') = 0;
    bool ok = mkdirs(dir);
    free(dir);
    if (ok) {
      char *tmp = plat_xmalloc(n + 16);
      snprintf(tmp, n + 16, "%s.%ld", path, (long)getpid());
      FILE *f = fopen(tmp, "wb");
      ok = f && fwrite(e->data, 1, e->len, f) == e->len;
      if (f && fclose(f) != 0) ok = false;
      ok = ok && chmod(tmp, 0444) == 0 && rename(tmp, path) == 0;
      if (!ok) unlink(tmp);
      free(tmp);
    }
    if (!ok) { free(path); return NULL; }
  }
  char *uri = lsp_path_to_uri(path);
  free(path);
  return uri;
}

/* ---- folders ------------------------------------------------------------------------------- */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_folder(LspServer *s, const char *uri) {
  char *path = lsp_uri_to_path(uri);
  if (!path) return;
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') path[--n] = 0;
  for (uint32_t i = 0; i < s->nfolders; i++)
    if (strcmp(s->folders[i], path) == 0) { free(path); return; }
  s->folders = plat_xrealloc(s->folders, (s->nfolders + 1) * sizeof *s->folders);
  s->folders[s->nfolders++] = path;
  qsort(s->folders, s->nfolders, sizeof *s->folders, cmp_str);
}

static void remove_folder(LspServer *s, const char *uri) {
  char *path = lsp_uri_to_path(uri);
  if (!path) return;
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') path[--n] = 0;
  for (uint32_t i = 0; i < s->nfolders; i++)
    if (strcmp(s->folders[i], path) == 0) {
      free(s->folders[i]);
      memmove(s->folders + i, s->folders + i + 1, (s->nfolders - i - 1) * sizeof *s->folders);
      s->nfolders--;
      break;
    }
  free(path);
}

void lsp_workspace_init(LspServer *s, json_t *params) {
  json_t *wf = json_object_get(params, "workspaceFolders");
  if (json_is_array(wf)) {
    size_t i;
    json_t *f;
    json_array_foreach(wf, i, f) {
      const char *uri = lsp_jstr(f, "uri");
      if (uri) add_folder(s, uri);
    }
  }
  const char *root = lsp_jstr(params, "rootUri");
  if (!s->nfolders && root) add_folder(s, root);
  const char *rpath = lsp_jstr(params, "rootPath");
  if (!s->nfolders && rpath) {
    char *uri = lsp_path_to_uri(rpath);
    add_folder(s, uri);
    free(uri);
  }
}

const char *const *lsp_workspace_folders(LspServer *s, uint32_t *n) {
  *n = s->nfolders;
  return (const char *const *)s->folders;
}

/* Limits on the walk for lsp_workspace_modules: a home folder opened by mistake must not
 * stall the server. */
#define WALK_MAX_DEPTH 8
#define WALK_MAX_DIRS 20000

typedef struct Walk {
  char **out; uint32_t n, cap;
  uint32_t seen;
} Walk;

static void walk(Walk *w, const char *dir, int depth) {
  if (depth > WALK_MAX_DEPTH || w->seen++ > WALK_MAX_DIRS) return;
  DIR *d = opendir(dir);
  if (!d) return;
  bool has_plat = false;
  char **subs = NULL;
  uint32_t nsubs = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    size_t nl = strlen(e->d_name);
    char *full = plat_xmalloc(strlen(dir) + nl + 2);
    sprintf(full, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(full, &st) != 0) { free(full); continue; }   /* no symlink loops */
    if (S_ISDIR(st.st_mode) && strcmp(e->d_name, "build") != 0 && strcmp(e->d_name, "node_modules") != 0) {
      subs = plat_xrealloc(subs, (nsubs + 1) * sizeof *subs);
      subs[nsubs++] = full;
      continue;
    }
    if (S_ISREG(st.st_mode) && nl > 5 && strcmp(e->d_name + nl - 5, ".plat") == 0) has_plat = true;
    free(full);
  }
  closedir(d);
  if (has_plat) {
    if (w->n == w->cap) {
      w->cap = w->cap ? w->cap * 2 : 16;
      w->out = plat_xrealloc(w->out, w->cap * sizeof *w->out);
    }
    w->out[w->n++] = plat_xstrdup(dir);
  }
  for (uint32_t i = 0; i < nsubs; i++) {
    walk(w, subs[i], depth + 1);
    free(subs[i]);
  }
  free(subs);
}

char **lsp_workspace_modules(LspServer *s, uint32_t *n) {
  Walk w = {0};
  for (uint32_t i = 0; i < s->nfolders; i++) walk(&w, s->folders[i], 0);
  if (w.n) qsort(w.out, w.n, sizeof *w.out, cmp_str);
  /* nested workspace folders list a module twice */
  uint32_t k = 0;
  for (uint32_t i = 0; i < w.n; i++) {
    if (k && strcmp(w.out[k - 1], w.out[i]) == 0) { free(w.out[i]); continue; }
    w.out[k++] = w.out[i];
  }
  *n = k;
  return w.out;
}

/* ---- notifications ---------------------------------------------------------------------------- */
static json_t *h_did_change_folders(LspServer *s, json_t *params, LspError *err) {
  json_t *ev = json_is_object(params) ? json_object_get(params, "event") : NULL;
  if (!json_is_object(ev)) return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "missing event");
  size_t i;
  json_t *f;
  json_t *removed = json_object_get(ev, "removed"), *added = json_object_get(ev, "added");
  if (json_is_array(removed)) json_array_foreach(removed, i, f) {
      const char *uri = lsp_jstr(f, "uri");
      if (uri) remove_folder(s, uri);
    }
  if (json_is_array(added)) json_array_foreach(added, i, f) {
      const char *uri = lsp_jstr(f, "uri");
      if (uri) add_folder(s, uri);
    }
  return json_null();
}

static json_t *h_did_change_watched(LspServer *s, json_t *params, LspError *err) {
  json_t *changes = json_is_object(params) ? json_object_get(params, "changes") : NULL;
  if (!json_is_array(changes)) return lsp_fail(err, LSP_ERR_INVALID_PARAMS, "missing changes");
  size_t i;
  json_t *c;
  json_array_foreach(changes, i, c) {
    const char *uri = lsp_jstr(c, "uri");
    char *path = uri ? lsp_uri_to_path(uri) : NULL;
    if (!path) continue;
    /* an open buffer wins over the disk, but modules reading the file from disk (and the
       folder's file list, for a created or deleted file) must be checked again */
    lsp_touch_path(s, path, s->opt.debounce_ms);
    free(path);
  }
  return json_null();
}

/* platc/workspaceFolders: the folders the server believes in, for tests. */
static json_t *h_folders(LspServer *s, json_t *params, LspError *err) {
  (void)params, (void)err;
  json_t *a = json_array();
  for (uint32_t i = 0; i < s->nfolders; i++) json_array_append_new(a, json_string(s->folders[i]));
  uint32_t n;
  char **mods = lsp_workspace_modules(s, &n);
  json_t *m = json_array();
  for (uint32_t i = 0; i < n; i++) json_array_append_new(m, json_string(mods[i]));
  lsp_free_strings(mods, n);
  return json_pack("{s:o, s:o}", "folders", a, "modules", m);
}

void lsp_workspace_register(LspServer *s) {
  lsp_register(s, "workspace/didChangeWorkspaceFolders", h_did_change_folders, "workspace",
               "{\"workspaceFolders\":{\"supported\":true,\"changeNotifications\":true}}");
  lsp_register(s, "workspace/didChangeWatchedFiles", h_did_change_watched, NULL, NULL);
  lsp_register(s, "platc/workspaceFolders", h_folders, NULL, NULL);
}
