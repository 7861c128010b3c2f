/* The built-in `local` provider: files and directories under the project root
 * (providers/schemas/local.plat).  A File is written atomically (a temporary file in the
 * same folder, fsync, rename, fsync of the folder) and read back from the disk, so drift
 * and deletion show in refresh.  Paths stay inside the project root and out of its .plat/
 * folder, lexically and through symbolic links (docs/providers.md says why).  Nothing
 * here prints; the content of a file is never put in a message. */
#include "providers/impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/compiler.h"

#define LOCAL_MAX_READ (64u << 20)   /* a file read back into state: 64 MiB at most */

typedef struct Local {
  char *root;        /* the project root, as given (absolute) */
  char *real_root;   /* its realpath, for the symlink check */
} Local;

/* ---- paths --------------------------------------------------------------------------- */
/* [path] made relative to the root and normalised ("a/./b/../c" -> "a/c"), malloc'd; NULL
 * with *why when it is empty, leaves the root, or points into .plat/. */
static char *norm_path(const Local *L, const json_t *jpath, char **why) {
  if (!json_is_string(jpath)) {
    *why = prov_strdupf("path must be a string");
    return NULL;
  }
  const char *path = json_string_value(jpath);
  if (strlen(path) != json_string_length(jpath)) {
    *why = prov_strdupf("path holds a NUL byte");
    return NULL;
  }
  if (!*path) {
    *why = prov_strdupf("path is empty");
    return NULL;
  }
  if (strlen(path) >= PATH_MAX) {
    *why = prov_strdupf("path is longer than %d bytes", PATH_MAX - 1);
    return NULL;
  }
  const char *rel = path;
  if (path[0] == '/') {
    size_t rl = strlen(L->root);
    while (rl > 1 && L->root[rl - 1] == '/') rl--;
    if (strncmp(path, L->root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0')) {
      *why = prov_strdupf("path '%s' is outside the project folder %s; local resources "
                          "live inside it (use a relative path)", path, L->root);
      return NULL;
    }
    rel = path + rl;
  }
  /* components onto a stack; ".." pops, and popping past the root is refused */
  char *out = plat_xmalloc(strlen(rel) + 1);
  size_t k = 0;
  for (const char *c = rel; *c;) {
    while (*c == '/') c++;
    const char *e = c;
    while (*e && *e != '/') e++;
    size_t n = (size_t)(e - c);
    if (n == 0 || (n == 1 && c[0] == '.')) {
    } else if (n == 2 && c[0] == '.' && c[1] == '.') {
      if (k == 0) {
        free(out);
        *why = prov_strdupf("path '%s' climbs out of the project folder with '..'", path);
        return NULL;
      }
      while (k > 0 && out[k - 1] != '/') k--;
      if (k > 0) k--;
    } else {
      if (k) out[k++] = '/';
      memcpy(out + k, c, n);
      k += n;
    }
    c = e;
  }
  out[k] = '\0';
  if (k == 0) {
    free(out);
    *why = prov_strdupf("path '%s' is the project folder itself", path);
    return NULL;
  }
  if (strcmp(out, ".plat") == 0 || strncmp(out, ".plat/", 6) == 0) {
    free(out);
    *why = prov_strdupf("path '%s' is inside .plat/, which holds platc's state", path);
    return NULL;
  }
  return out;
}

static char *abs_path(const Local *L, const char *rel) {
  return prov_strdupf("%s/%s", L->root, rel);
}

/* Where the folder holding [abs] really is: 1 inside the project, 0 not there (ENOENT or
 * ENOTDIR), -1 with *why when it cannot be resolved or a symbolic link on the way leads
 * out of the project. */
static int parent_state(const Local *L, const char *abs, char **why) {
  char *dir = plat_xstrdup(abs);
  *strrchr(dir, '/') = '\0';
  char real[PATH_MAX];
  int st = 1;
  if (!realpath(dir, real)) {
    st = errno == ENOENT || errno == ENOTDIR ? 0 : -1;
    if (st < 0) *why = prov_strdupf("cannot resolve folder '%s': %s", dir, strerror(errno));
  } else {
    size_t rl = strlen(L->real_root);
    bool in = strcmp(L->real_root, "/") == 0 ||
              (strncmp(real, L->real_root, rl) == 0 && (real[rl] == '/' || real[rl] == '\0'));
    if (!in) {
      st = -1;
      *why = prov_strdupf("folder '%s' leads out of the project folder (to %s) through a "
                          "symbolic link", dir + strlen(L->root) + 1, real);
    }
  }
  free(dir);
  return st;
}

/* mkdir -p of the folders above [abs] below the root. */
static bool make_parents(const Local *L, const char *abs, char **why) {
  size_t rl = strlen(L->root);
  char *p = plat_xstrdup(abs);
  bool ok = true;
  for (char *s = p + rl + 1; ok && (s = strchr(s, '/')) != NULL; s++) {
    *s = '\0';
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
      *why = prov_strdupf("cannot create folder '%s': %s", p + rl + 1, strerror(errno));
      ok = false;
    }
    *s = '/';
  }
  free(p);
  return ok;
}

/* "0644" -> 0644; -1 if not 3 or 4 octal digits up to [max]. */
static long parse_mode(const json_t *j, long max) {
  if (!json_is_string(j)) return -1;
  const char *s = json_string_value(j);
  size_t n = strlen(s);
  if (n < 3 || n > 4 || n != json_string_length(j)) return -1;
  long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '7') return -1;
    v = v * 8 + (s[i] - '0');
  }
  return v <= max ? v : -1;
}

static json_t *mode_json(mode_t m) {
  char buf[8];
  snprintf(buf, sizeof buf, "%04o", (unsigned)(m & 07777));
  return json_string(buf);
}

/* ---- files ----------------------------------------------------------------------------- */
static bool write_all(int fd, const char *data, size_t len) {
  while (len) {
    ssize_t w = write(fd, data, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    len -= (size_t)w;
  }
  return true;
}

static void fsync_dir(const char *abs) {
  char *dir = plat_xstrdup(abs);
  *strrchr(dir, '/') = '\0';
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(dir);
}

/* The temporary file a write of [abs] goes through: one name per target path
 * (".platc-tmp-" and 16 hex digits of the SHA-256 of its file name, in the same folder),
 * so that what a killed write left is found again: the next write of the path replaces
 * it, and a read or delete of the path (how a run after a kill reconciles an operation
 * that did not end) removes it.  A random name would stay behind forever. */
static char *tmp_path(const char *abs) {
  const char *slash = strrchr(abs, '/');
  const char *base = slash ? slash + 1 : abs;
  char hex[65];
  prov_sha256_hex(base, strlen(base), hex);
  return prov_strdupf("%.*s/.platc-tmp-%.16s", (int)(slash ? slash - abs : 0), abs, hex);
}

/* Remove what an interrupted write of [abs] left (its parent is known to be a real folder
 * inside the project). */
static void drop_tmp(const char *abs) {
  char *t = tmp_path(abs);
  (void)unlink(t);
  free(t);
}

/* Write [len] bytes to [abs] atomically with [mode]: a reader sees the old file or the new
 * one, never half of it, and a crash leaves no partial file at [abs]. */
static bool write_atomic(const char *abs, const char *rel, const char *data, size_t len,
                         mode_t mode, char **why) {
  char *t = tmp_path(abs);
  (void)unlink(t);   /* left by a write that was killed */
  int fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    *why = prov_strdupf("cannot write '%s': %s", rel, strerror(errno));
    free(t);
    return false;
  }
  const char *step = NULL;
  if (!write_all(fd, data, len)) step = "write";
  else if (fchmod(fd, mode) != 0) step = "chmod";
  else if (fsync(fd) != 0) step = "fsync";
  int e = errno;
  if (close(fd) != 0 && !step) {
    step = "close";
    e = errno;
  }
  if (!step && rename(t, abs) != 0) {
    step = "rename";
    e = errno;
  }
  if (step) {
    unlink(t);
    *why = prov_strdupf("cannot write '%s' (%s): %s", rel, step, strerror(e));
    free(t);
    return false;
  }
  free(t);
  fsync_dir(abs);
  return true;
}

/* The file as it is: 1 with *content, *len and *st; 0 if it is not there (or not a
 * regular file: a path that became a folder or a link is not this resource any more);
 * -1 with *why on an error. */
static int read_file(const char *abs, const char *rel, char **content, size_t *len,
                     struct stat *st, char **why) {
  int fd = open(abs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return 0;
    *why = prov_strdupf("cannot read '%s': %s", rel, strerror(errno));
    return -1;
  }
  if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
    close(fd);
    return 0;
  }
  if ((uint64_t)st->st_size > LOCAL_MAX_READ) {
    close(fd);
    *why = prov_strdupf("cannot read '%s' back: it is larger than %u MiB", rel,
                        LOCAL_MAX_READ >> 20);
    return -1;
  }
  size_t cap = (size_t)st->st_size + 1, n = 0;
  char *buf = plat_xmalloc(cap);
  for (;;) {
    if (n == cap) {
      if (cap > LOCAL_MAX_READ) {
        free(buf);
        close(fd);
        *why = prov_strdupf("cannot read '%s' back: it grew past %u MiB", rel,
                            LOCAL_MAX_READ >> 20);
        return -1;
      }
      cap *= 2;
      buf = plat_xrealloc(buf, cap);
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      free(buf);
      close(fd);
      *why = prov_strdupf("cannot read '%s': %s", rel, strerror(e));
      return -1;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  *content = buf;
  *len = n;
  return 1;
}

static json_t *file_outputs(const char *data, size_t len) {
  char hex[65];
  prov_sha256_hex(data, len, hex);
  return json_pack("{s:I,s:s}", "size", (json_int_t)len, "sha256", hex);
}

/* ---- operations ------------------------------------------------------------------------ */
static void check_file(const Local *L, const ProvReq *req, bool dir, ProvRes *res) {
  res->problems = json_array();
  char *why = NULL;
  char *rel = norm_path(L, json_object_get(req->inputs, "path"), &why);
  if (!rel) prov_problem(res->problems, "path", "%s", why);
  free(why);
  free(rel);
  if (parse_mode(json_object_get(req->inputs, "mode"), dir ? 01777 : 0777) < 0)
    prov_problem(res->problems, "mode",
                 dir ? "mode must be 3 or 4 octal digits, at most 1777 (e.g. \"0755\")"
                     : "mode must be 3 or 4 octal digits, at most 0777 (e.g. \"0644\")");
  if (!dir && !json_is_string(json_object_get(req->inputs, "content")))
    prov_problem(res->problems, "content", "content must be a string");
}

/* The checked essentials of a request: relative path, absolute path, mode. */
static bool prepare(const Local *L, const json_t *in, bool dir, char **rel, char **abs,
                    mode_t *mode, ProvRes *res) {
  char *why = NULL;
  *rel = norm_path(L, json_object_get(in, "path"), &why);
  if (!*rel) {
    prov_fail(res, PROV_ERROR, "%s", why);
    free(why);
    return false;
  }
  long m = parse_mode(json_object_get(in, "mode"), dir ? 01777 : 0777);
  if (m < 0) {
    prov_fail(res, PROV_ERROR, "mode is not 3 or 4 octal digits");
    free(*rel);
    return false;
  }
  *mode = (mode_t)m;
  *abs = abs_path(L, *rel);
  return true;
}

static ProvStatus file_write(const Local *L, const json_t *in, ProvRes *res, bool set_id) {
  char *rel, *abs, *why = NULL;
  mode_t mode;
  if (!prepare(L, in, false, &rel, &abs, &mode, res)) return res->status;
  const json_t *content = json_object_get(in, "content");
  if (!json_is_string(content)) {
    free(rel);
    free(abs);
    return prov_fail(res, PROV_ERROR, "content must be a string");
  }
  const char *data = json_string_value(content);
  size_t len = json_string_length(content);
  if (!make_parents(L, abs, &why) || parent_state(L, abs, &why) <= 0 ||
      !write_atomic(abs, rel, data, len, mode, &why)) {
    prov_fail(res, PROV_ERROR, "%s", why);
  } else {
    res->outputs = file_outputs(data, len);
    if (set_id) res->id = plat_xstrdup(rel);
  }
  free(why);
  free(rel);
  free(abs);
  return res->status;
}

/* The relative path a read or delete is about: the `path` input, or else the id (which is
 * the path: import knows only the id).  NULL when neither makes a path, with res failed. */
static char *target(const Local *L, const ProvReq *req, ProvRes *res) {
  json_t *jp = json_object_get(req->inputs, "path");
  json_t *idp = jp ? NULL : json_string(req->id ? req->id : "");
  char *why = NULL;
  char *rel = norm_path(L, jp ? jp : idp, &why);
  json_decref(idp);
  if (!rel) {
    prov_fail(res, PROV_ERROR, "%s", why);
    free(why);
  }
  return rel;
}

static ProvStatus file_read(const Local *L, const ProvReq *req, ProvRes *res) {
  json_t *jp = json_object_get(req->inputs, "path");
  char *why = NULL;
  char *rel = target(L, req, res);
  if (!rel) return res->status;
  char *abs = abs_path(L, rel);
  char *data = NULL;
  size_t len = 0;
  struct stat st;
  int got = parent_state(L, abs, &why);
  if (got > 0) drop_tmp(abs);   /* debris of a write that was killed */
  if (got > 0) got = read_file(abs, rel, &data, &len, &st, &why);
  if (got < 0) {
    prov_fail(res, PROV_ERROR, "%s", why);
    free(why);
    free(abs);
    free(rel);
    return res->status;
  }
  if (got == 0) {
    res->status = PROV_GONE;
  } else {
    /* content as it is on disk; bytes that are not UTF-8 cannot be a Plat string, so they
       read as null: a change the next deploy repairs (sha256 still tells the truth) */
    json_t *c = json_stringn(data, len);
    res->inputs = json_pack("{s:s,s:o,s:o}", "path", jp ? json_string_value(jp) : rel,
                            "content", c ? c : json_null(), "mode", mode_json(st.st_mode));
    res->outputs = file_outputs(data, len);
    res->id = plat_xstrdup(rel);
  }
  free(data);
  free(abs);
  free(rel);
  return res->status;
}


/* Directory: made with its parents; mode set exactly (the umask does not apply). */
static ProvStatus dir_make(const Local *L, const json_t *in, ProvRes *res, bool set_id) {
  char *rel, *abs, *why = NULL;
  mode_t mode;
  if (!prepare(L, in, true, &rel, &abs, &mode, res)) return res->status;
  struct stat st;
  if (!make_parents(L, abs, &why) || parent_state(L, abs, &why) <= 0) {
    prov_fail(res, PROV_ERROR, "%s", why ? why : "its parent folder vanished");
  } else if (mkdir(abs, 0700) != 0 && errno != EEXIST) {
    prov_fail(res, PROV_ERROR, "cannot create folder '%s': %s", rel, strerror(errno));
  } else if (lstat(abs, &st) != 0 || !S_ISDIR(st.st_mode)) {
    prov_fail(res, PROV_ERROR, "'%s' exists and is not a folder", rel);
  } else if (chmod(abs, mode) != 0) {
    prov_fail(res, PROV_ERROR, "cannot set the mode of '%s': %s", rel, strerror(errno));
  } else {
    fsync_dir(abs);
    res->outputs = json_object();
    if (set_id) res->id = plat_xstrdup(rel);
  }
  free(why);
  free(rel);
  free(abs);
  return res->status;
}

static ProvStatus dir_read(const Local *L, const ProvReq *req, ProvRes *res) {
  json_t *jp = json_object_get(req->inputs, "path");
  char *why = NULL;
  char *rel = target(L, req, res);
  if (!rel) return res->status;
  char *abs = abs_path(L, rel);
  struct stat st;
  int ps = parent_state(L, abs, &why);
  if (ps < 0) {
    prov_fail(res, PROV_ERROR, "%s", why);
    free(why);
  } else if (ps == 0 || lstat(abs, &st) != 0) {
    if (ps == 0 || errno == ENOENT || errno == ENOTDIR) res->status = PROV_GONE;
    else prov_fail(res, PROV_ERROR, "cannot read '%s': %s", rel, strerror(errno));
  } else if (!S_ISDIR(st.st_mode)) {
    res->status = PROV_GONE;   /* no longer a folder: not this resource any more */
  } else {
    res->inputs = json_pack("{s:s,s:o}", "path", jp ? json_string_value(jp) : rel, "mode",
                            mode_json(st.st_mode));
    res->outputs = json_object();
    res->id = plat_xstrdup(rel);
  }
  free(abs);
  free(rel);
  return res->status;
}

/* Delete a File (a regular file) or a Directory (only when empty): gone already is done;
 * anything else at the path is not this resource and is left alone. */
static ProvStatus local_delete(const Local *L, const ProvReq *req, bool dir, ProvRes *res) {
  char *why = NULL;
  char *rel = target(L, req, res);
  if (!rel) return res->status;
  char *abs = abs_path(L, rel);
  struct stat st;
  if (!dir && parent_state(L, abs, &why) > 0) drop_tmp(abs);
  free(why);
  why = NULL;
  if (lstat(abs, &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR)
      prov_fail(res, PROV_ERROR, "cannot delete '%s': %s", rel, strerror(errno));
  } else if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
    prov_fail(res, PROV_ERROR, "'%s' is no longer a %s; left alone", rel,
              dir ? "folder" : "regular file");
  } else if (parent_state(L, abs, &why) < 0) {
    prov_fail(res, PROV_ERROR, "%s", why);
  } else if (!dir && unlink(abs) != 0 && errno != ENOENT) {
    prov_fail(res, PROV_ERROR, "cannot delete '%s': %s", rel, strerror(errno));
  } else if (dir && rmdir(abs) != 0) {
    /* files platc does not manage may be in it: never removed behind the user's back */
    prov_fail(res, PROV_ERROR, errno == ENOTEMPTY || errno == EEXIST
                                   ? "cannot delete folder '%s': it is not empty (a folder "
                                     "is deleted only when empty)"
                                   : "cannot delete folder '%s': %s",
              rel, strerror(errno));
  } else {
    fsync_dir(abs);
  }
  free(why);
  free(abs);
  free(rel);
  return res->status;
}

static const char *const file_in_place[] = {"content", "mode", NULL};
static const char *const dir_in_place[] = {"mode", NULL};

static ProvStatus local_call(void *self, ProvOp op, const ProvReq *req, ProvRes *res,
                             int64_t deadline_ms) {
  (void)deadline_ms;   /* each operation is a few system calls on one file */
  const Local *L = self;
  bool dir = strcmp(req->type, "Directory") == 0;
  switch (op) {
  case PROV_CHECK: check_file(L, req, dir, res); return PROV_OK;
  case PROV_DIFF: {
    /* paths compare normalised: "out/a" and "./out//a" are one file */
    json_t *a = json_copy(req->inputs), *b = json_copy(req->new_inputs);
    char *w1 = NULL, *w2 = NULL;
    char *ra = norm_path(L, json_object_get(a, "path"), &w1);
    char *rb = norm_path(L, json_object_get(b, "path"), &w2);
    if (ra && rb && strcmp(ra, rb) == 0) json_object_set(b, "path", json_object_get(a, "path"));
    prov_diff_inputs(a, b, dir ? dir_in_place : file_in_place, res);
    free(ra), free(rb), free(w1), free(w2);
    json_decref(a);
    json_decref(b);
    return PROV_OK;
  }
  case PROV_CREATE: return dir ? dir_make(L, req->inputs, res, true)
                               : file_write(L, req->inputs, res, true);
  case PROV_UPDATE: return dir ? dir_make(L, req->new_inputs, res, false)
                               : file_write(L, req->new_inputs, res, false);
  case PROV_READ: return dir ? dir_read(L, req, res) : file_read(L, req, res);
  case PROV_DELETE: return local_delete(L, req, dir, res);
  default: return prov_fail(res, PROV_ERROR, "unknown operation");
  }
}

static const char *local_schema(void *self, size_t *len, char **err) {
  (void)self;
  const PlatEmbedded *e = plat_embedded_find("providers/schemas/local.plat");
  if (!e) {
    *err = prov_strdupf("the embedded schema providers/schemas/local.plat is missing");
    return NULL;
  }
  *len = e->len;
  return e->data;
}

static void local_close(void *self) {
  Local *L = self;
  free(L->root);
  free(L->real_root);
  free(L);
}

static const ProvVtable local_vt = {local_call, local_schema, local_close};

bool prov_local_open(const char *name, const char *root, json_t *config,
                     const ProvVtable **vt, void **self, char **err) {
  (void)name;
  if (config && json_object_size(config)) {
    *err = prov_strdupf("it takes no configuration");
    return false;
  }
  char real[PATH_MAX];
  if (!root || root[0] != '/' || !realpath(root, real)) {
    *err = prov_strdupf("the project folder '%s' must be an absolute path to a folder",
                        root ? root : "");
    return false;
  }
  Local *L = plat_xcalloc(1, sizeof *L);
  L->root = plat_xstrdup(root);
  size_t n = strlen(L->root);
  while (n > 1 && L->root[n - 1] == '/') L->root[--n] = '\0';
  L->real_root = plat_xstrdup(real);
  *vt = &local_vt;
  *self = L;
  return true;
}
