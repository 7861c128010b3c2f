/* Stacks and per-stack configuration under the project's .plat/ folder (see stack.h). */
#include "deploy/stack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/arena.h"
#include "deploy/lock.h"
#include "deploy/state.h"

static char *join(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *s = plat_xmalloc(n);
  snprintf(s, n, "%s/%s", a, b);
  return s;
}

bool stack_name_valid(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > STACK_NAME_MAX || name[0] == '.' || name[0] == '-')
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '-' || c == '.'))
      return false;
  }
  return true;
}

static bool mkdir_p1(const char *path, char *err, size_t errlen) {
  if (mkdir(path, 0700) == 0 || errno == EEXIST)
    return true;
  snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
  return false;
}

/* Atomically write [text] to [path] (temp, fsync, rename).  One temp name per file, so a
 * write killed half-way leaves at most that one, which the next write replaces. */
static bool write_file(const char *path, const char *text, char *err, size_t errlen) {
  size_t n = strlen(path) + 8;
  char *tmp = plat_xmalloc(n);
  snprintf(tmp, n, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  size_t len = strlen(text);
  bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
  if (fd >= 0 && close(fd) != 0)
    ok = false;
  if (!ok || rename(tmp, path) != 0) {
    snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return false;
  }
  free(tmp);
  return true;
}

/* The first line of [path] (malloc'd, trimmed) or NULL. */
static char *read_line(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  char buf[STACK_NAME_MAX + 8];
  char *s = fgets(buf, sizeof buf, f) ? buf : NULL;
  fclose(f);
  if (!s)
    return NULL;
  s[strcspn(s, "\r\n")] = '\0';
  return plat_xstrdup(s);
}

static bool is_dir(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* stack_open, or with [peek] stack_peek: nothing made, nothing said. */
static bool open_stack(Stack *s, const char *root, const char *name, bool create, bool peek,
                       char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  char *plat = join(root, ".plat");
  char *stacks = join(plat, "stacks");
  char *cur = join(plat, "current");
  char *chosen = name ? plat_xstrdup(name) : read_line(cur);
  if (chosen && !stack_name_valid(chosen)) {
    snprintf(err, errlen, "'%s' is not a valid stack name (letters, digits, '_', '-', '.'; at "
             "most %d characters)", chosen, STACK_NAME_MAX);
    free(chosen);
    free(plat);
    free(stacks);
    free(cur);
    return false;
  }
  if (!chosen)
    chosen = plat_xstrdup(STACK_DEFAULT);
  char *dir = join(stacks, chosen);
  bool ok = true;
  if (!is_dir(dir)) {
    /* The default stack is made on first use; another name must be made with
       `platc stack init`, so a typo never starts an empty stack. */
    if (peek) {
      ok = false;
    } else if (create || (!name && strcmp(chosen, STACK_DEFAULT) == 0)) {
      ok = mkdir_p1(plat, err, errlen) && mkdir_p1(stacks, err, errlen) &&
           mkdir_p1(dir, err, errlen);
    } else {
      uint32_t n = 0;
      char *current = NULL;
      char **names = stack_list(root, &n, &current);
      char list[512] = "";
      size_t k = 0;
      for (uint32_t i = 0; i < n && k < sizeof list - 80; i++)
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", names[i]);
      snprintf(err, errlen, "no stack '%s' in this project (%s%s); make it with `platc stack "
               "init %s`", chosen, n ? "there are: " : "there is none yet", list, chosen);
      stack_list_free(names, n);
      free(current);
      ok = false;
    }
  }
  if (ok && !peek && access(cur, F_OK) != 0)
    ok = write_file(cur, chosen, err, errlen);
  if (ok) {
    s->root = plat_xstrdup(root);
    s->name = chosen;
    s->dir = dir;
    s->state_path = join(dir, "state.json");
    s->journal_path = join(dir, "journal");
    s->lock_path = join(dir, "lock");
    s->key_path = join(dir, "key");
    s->salt_path = join(dir, "salt");
    s->config_path = join(dir, "config.json");
  } else {
    free(chosen);
    free(dir);
  }
  free(plat);
  free(stacks);
  free(cur);
  return ok;
}

bool stack_open(Stack *s, const char *root, const char *name, bool create, char *err,
                size_t errlen) {
  return open_stack(s, root, name, create, false, err, errlen);
}

bool stack_peek(Stack *s, const char *root, const char *name) {
  char err[512];
  return open_stack(s, root, name, false, true, err, sizeof err);
}

void stack_free(Stack *s) {
  free(s->root);
  free(s->name);
  free(s->dir);
  free(s->state_path);
  free(s->journal_path);
  free(s->lock_path);
  free(s->key_path);
  free(s->salt_path);
  free(s->config_path);
  memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

char **stack_list(const char *root, uint32_t *n, char **current) {
  *n = 0;
  char *plat = join(root, ".plat");
  char *stacks = join(plat, "stacks");
  char *cur = join(plat, "current");
  *current = read_line(cur);
  char **names = NULL;
  uint32_t cap = 0;
  DIR *d = opendir(stacks);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!stack_name_valid(e->d_name))
        continue;
      char *p = join(stacks, e->d_name);
      bool dir = is_dir(p);
      free(p);
      if (!dir)
        continue;
      if (*n == cap) {
        cap = cap ? cap * 2 : 8;
        names = plat_xrealloc(names, cap * sizeof *names);
      }
      names[(*n)++] = plat_xstrdup(e->d_name);
    }
    closedir(d);
  }
  if (*n > 1)
    qsort(names, *n, sizeof *names, cmp_str);
  free(plat);
  free(stacks);
  free(cur);
  return names;
}

void stack_list_free(char **names, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

bool stack_select(const char *root, const char *name, char *err, size_t errlen) {
  Stack s;
  if (!stack_open(&s, root, name, false, err, errlen))
    return false;
  char *cur = join(root, ".plat/current");
  bool ok = write_file(cur, name, err, errlen);
  free(cur);
  stack_free(&s);
  return ok;
}

bool stack_remove(const char *root, const char *name, bool force, char *err, size_t errlen) {
  Stack s;
  if (!stack_open(&s, root, name, false, err, errlen))
    return false;
  Lock lk;
  char warn[256];
  bool ok = lock_acquire(&lk, s.lock_path, "stack rm", warn, sizeof warn, err, errlen);
  if (ok && !force) {
    State st;
    bool exists;
    char lerr[512];
    if (!state_load(&st, s.state_path, s.name, NULL, &exists, lerr, sizeof lerr)) {
      snprintf(err, errlen, "%s (use --force to remove the stack anyway)", lerr);
      ok = false;
    } else if (st.nres) {
      snprintf(err, errlen, "stack '%s' still has %u resource%s: run `platc destroy --stack %s` "
               "first, or --force to forget them", name, st.nres, st.nres == 1 ? "" : "s", name);
      ok = false;
    }
    state_free(&st);
  }
  if (ok) {
    static const char *const files[] = { "state.json", "journal", "key", "salt", "config.json",
                                         "lock" };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
      char *p = join(s.dir, files[i]);
      unlink(p);
      free(p);
    }
    if (rmdir(s.dir) != 0) {
      snprintf(err, errlen, "%s: cannot remove: %s (files platc did not make are left)", s.dir,
               strerror(errno));
      ok = false;
    }
    char *cur = join(root, ".plat/current");
    char *sel = read_line(cur);
    if (sel && strcmp(sel, name) == 0)
      unlink(cur);
    free(sel);
    free(cur);
  }
  if (lk.fd >= 0)
    lock_release(&lk);
  stack_free(&s);
  return ok;
}

bool stack_key(const Stack *s, const CryptKey *known, CryptKey *key, char *err, size_t errlen) {
  return crypt_key_load(key, getenv("PLAT_PASSPHRASE"), s->salt_path, s->key_path, known, err,
                        errlen);
}

/* ---- config ------------------------------------------------------------------------- */
bool config_load(const Stack *s, const CryptKey *key, StackConfig *c, char *err, size_t errlen) {
  c->values = json_object();
  json_error_t je;
  json_t *root = json_load_file(s->config_path, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    if (access(s->config_path, F_OK) != 0)
      return true;
    snprintf(err, errlen, "%s: corrupt config: line %d: %s", s->config_path, je.line, je.text);
    return false;
  }
  json_t *vals = json_object_get(root, "values");
  if (!json_is_object(root) || !json_is_object(vals)) {
    json_decref(root);
    snprintf(err, errlen, "%s: corrupt config: expected {\"values\": {...}}", s->config_path);
    return false;
  }
  const char *k;
  json_t *v;
  json_object_foreach(vals, k, v) {
    json_t *val = json_object_get(v, "value");
    bool secret = json_is_true(json_object_get(v, "secret"));
    if (secret && key) {
      char path[512];
      snprintf(path, sizeof path, "config.%s", k);
      val = state_unseal(key, "config", s->name, path, val, err, errlen);
      if (!val) {
        json_decref(root);
        return false;
      }
    } else {
      val = json_incref(val);
    }
    if (!json_is_string(val) && !(secret && !key)) {
      json_decref(val);
      json_decref(root);
      snprintf(err, errlen, "%s: corrupt config: values.%s.value is not a string",
               s->config_path, k);
      return false;
    }
    json_object_set_new(c->values, k, json_pack("{s:o, s:b}", "value", val, "secret", secret));
  }
  json_decref(root);
  return true;
}

bool config_save(const Stack *s, const CryptKey *key, const StackConfig *c, char *err,
                 size_t errlen) {
  json_t *vals = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(c->values, k, v) {
    json_t *val = json_object_get(v, "value");
    bool secret = json_is_true(json_object_get(v, "secret"));
    if (secret && json_is_string(val)) {
      if (!key) {
        json_decref(vals);
        snprintf(err, errlen, "cannot store the secret '%s' without the stack's key", k);
        return false;
      }
      char path[512];
      snprintf(path, sizeof path, "config.%s", k);
      val = state_seal(key, "config", s->name, path, val);
    } else {
      val = json_incref(val);
    }
    json_object_set_new(vals, k, json_pack("{s:o, s:b}", "value", val, "secret", secret));
  }
  json_t *root = json_pack("{s:o}", "values", vals);
  char *text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
  json_decref(root);
  size_t n = strlen(text);
  char *withnl = plat_xmalloc(n + 2);
  memcpy(withnl, text, n);
  withnl[n] = '\n';
  withnl[n + 1] = '\0';
  free(text);
  bool ok = write_file(s->config_path, withnl, err, errlen);
  free(withnl);
  return ok;
}

void config_free(StackConfig *c) {
  json_decref(c->values);
  c->values = NULL;
}

void config_set(StackConfig *c, const char *name, const char *value, bool secret) {
  json_object_set_new(c->values, name, json_pack("{s:s, s:b}", "value", value, "secret", secret));
}

const char *config_get(const StackConfig *c, const char *name, bool *secret) {
  json_t *v = json_object_get(c->values, name);
  if (!v)
    return NULL;
  if (secret)
    *secret = json_is_true(json_object_get(v, "secret"));
  return json_string_value(json_object_get(v, "value"));
}

bool config_rm(StackConfig *c, const char *name) {
  return json_object_del(c->values, name) == 0;
}
