/* The provider registry and the call wrapper (providers/provider.h): finds a provider by
 * name (registered, built-in, then an executable on the search path), reads its schema
 * once with the Plat parser (resource types, input defaults, secret outputs), and runs
 * each operation with schema defaults applied, a deadline, retries of transient errors
 * with jittered exponential backoff, and a message that names provider, operation and
 * resource with every known secret value redacted.  What the operations do is the
 * implementations' business (local.c, random.c, external.c). */
#include "providers/impl.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compiler/compiler.h"

/* ---- small helpers shared with the implementations ----------------------------------- */
static char *vstrdupf(const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) n = 0;
  char *s = plat_xmalloc((size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

char *prov_strdupf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = vstrdupf(fmt, ap);
  va_end(ap);
  return s;
}

ProvStatus prov_fail(ProvRes *res, ProvStatus st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  free(res->message);
  res->message = vstrdupf(fmt, ap);
  va_end(ap);
  res->status = st;
  return st;
}

void prov_problem(json_t *problems, const char *prop, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = vstrdupf(fmt, ap);
  va_end(ap);
  json_array_append_new(problems, json_pack("{s:o,s:s}", "property",
                                            prop ? json_string(prop) : json_null(),
                                            "message", msg));
  free(msg);
}

int64_t prov_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void prov_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
  for (unsigned i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
  out[64] = '\0';
}

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of one or two objects, sorted and without repeats; free the array only. */
static const char **union_keys(const json_t *a, const json_t *b, size_t *n) {
  size_t cap = json_object_size(a) + json_object_size(b), k = 0;
  const char **v = plat_xmalloc((cap ? cap : 1) * sizeof *v);
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)a, key, val) v[k++] = key;
  json_object_foreach((json_t *)b, key, val) if (!json_object_get(a, key)) v[k++] = key;
  qsort(v, k, sizeof *v, cmp_cstr);
  *n = k;
  return v;
}

void prov_diff_inputs(const json_t *old, const json_t *new, const char *const *in_place,
                      ProvRes *res) {
  json_decref(res->changed);
  json_decref(res->replaces);
  res->changed = json_array();
  res->replaces = json_array();
  size_t n;
  const char **keys = union_keys(old, new, &n);
  for (size_t i = 0; i < n; i++) {
    json_t *a = json_object_get(old, keys[i]), *b = json_object_get(new, keys[i]);
    if (a && b && json_equal(a, b)) continue;
    json_array_append_new(res->changed, json_string(keys[i]));
    bool soft = false;
    for (const char *const *p = in_place; p && *p; p++) soft |= strcmp(*p, keys[i]) == 0;
    if (!soft) json_array_append_new(res->replaces, json_string(keys[i]));
  }
  free(keys);
  res->diff = json_array_size(res->replaces) ? PROV_DIFF_REPLACE
              : json_array_size(res->changed) ? PROV_DIFF_UPDATE
                                               : PROV_DIFF_NONE;
}

const char *prov_op_name(ProvOp op) {
  static const char *const names[PROV_NOPS] = {"check", "diff", "create", "read", "update",
                                               "delete"};
  return (unsigned)op < PROV_NOPS ? names[op] : "?";
}

const char *prov_status_name(ProvStatus s) {
  switch (s) {
  case PROV_OK: return "ok";
  case PROV_ERROR: return "error";
  case PROV_TRANSIENT: return "transient error";
  case PROV_TIMEOUT: return "timeout";
  case PROV_GONE: return "gone";
  }
  return "?";
}

bool prov_name_valid(const char *name) {
  if (!name || !(*name >= 'a' && *name <= 'z')) return false;
  size_t n = 0;
  for (const char *c = name; *c; c++, n++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) return false;
  return n <= 64;
}

/* ---- finding executables ------------------------------------------------------------- */
static bool is_executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* <folder of the running platc>/../lib/platc/providers, i.e. <prefix>/lib/platc/providers
 * for an installed platc, wherever it was installed. */
static char *installed_dir(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return NULL;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash) return NULL;
  *slash = '\0';
  return prov_strdupf("%s/../lib/platc/providers", exe);
}

char *prov_find_executable(const char *name, const char *project_root,
                           const char *search_path) {
  if (!prov_name_valid(name)) return NULL;
  if (!search_path) search_path = getenv("PLAT_PROVIDER_PATH");
  for (const char *s = search_path; s && *s;) {
    const char *e = strchr(s, ':');
    int len = (int)(e ? (size_t)(e - s) : strlen(s));
    if (len > 0) {
      char *path = prov_strdupf("%.*s/platc-provider-%s", len, s, name);
      if (is_executable_file(path)) return path;
      free(path);
    }
    s = e ? e + 1 : NULL;
  }
  if (project_root) {
    char *path = prov_strdupf("%s/.plat/providers/platc-provider-%s", project_root, name);
    if (is_executable_file(path)) return path;
    free(path);
  }
  char *dir = installed_dir();
  if (dir) {
    char *path = prov_strdupf("%s/platc-provider-%s", dir, name);
    free(dir);
    if (is_executable_file(path)) return path;
    free(path);
  }
  return NULL;
}

char *prov_find_schema_file(const char *name, const char *project_root) {
  char *exe = prov_find_executable(name, project_root, NULL);
  if (!exe) return NULL;
  char *slash = strrchr(exe, '/');
  *slash = '\0';
  char *path = prov_strdupf("%s/%s.plat", exe, name);
  free(exe);
  struct stat st;
  if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) return path;
  free(path);
  return NULL;
}

/* ---- schemas ------------------------------------------------------------------------- */
typedef struct SchemaProp {
  char *name;
  bool output, secret;
  json_t *deflt;          /* constant default of an input, or NULL */
} SchemaProp;

typedef struct SchemaType {
  char *name;
  SchemaProp *props;
  size_t nprops;
} SchemaType;

static bool type_is_secret(const TypeExpr *t) {
  while (t) {
    if (t->kind == TE_SECRET) return true;
    if (t->kind == TE_OPTIONAL) t = t->u.elem;
    else if (t->kind == TE_REFINED) t = t->u.refined.base;
    else return false;
  }
  return false;
}

/* A default written as a constant literal, as JSON; NULL for anything else (the checker
 * has already required constants; this layer only fills in what is plainly known). */
static json_t *const_json(const Expr *e, int depth) {
  if (!e || depth > 32) return NULL;
  switch (e->kind) {
  case EX_INT: return json_integer(e->u.i);
  case EX_FLOAT: return json_real(e->u.f);
  case EX_BOOL: return json_boolean(e->u.b);
  case EX_NULL: return json_null();
  case EX_STRING: {
    size_t len = 0;
    for (uint32_t i = 0; i < e->u.str.nparts; i++) {
      if (e->u.str.parts[i].is_expr) return NULL;
      len += e->u.str.parts[i].len;
    }
    char *buf = plat_xmalloc(len + 1), *p = buf;
    for (uint32_t i = 0; i < e->u.str.nparts; i++) {
      memcpy(p, e->u.str.parts[i].text, e->u.str.parts[i].len);
      p += e->u.str.parts[i].len;
    }
    json_t *s = json_stringn(buf, len);
    free(buf);
    return s;
  }
  case EX_UNARY:
    if (e->u.unary.op == UN_NEG && e->u.unary.operand->kind == EX_INT)
      return json_integer(-e->u.unary.operand->u.i);
    return NULL;
  case EX_LIST: {
    json_t *a = json_array();
    for (uint32_t i = 0; i < e->u.list.nitems; i++) {
      json_t *v = const_json(e->u.list.items[i], depth + 1);
      if (!v) { json_decref(a); return NULL; }
      json_array_append_new(a, v);
    }
    return a;
  }
  case EX_RECORD: {
    json_t *o = json_object();
    for (uint32_t i = 0; i < e->u.record.nfields; i++) {
      const Field *f = &e->u.record.fields[i];
      json_t *v = const_json(f->value, depth + 1);
      if (!v) { json_decref(o); return NULL; }
      json_object_setn_new(o, f->name.str->s, f->name.str->len, v);
    }
    return o;
  }
  default: return NULL;
  }
}

static void schema_free(SchemaType *types, size_t ntypes) {
  for (size_t i = 0; i < ntypes; i++) {
    for (size_t j = 0; j < types[i].nprops; j++) {
      free(types[i].props[j].name);
      json_decref(types[i].props[j].deflt);
    }
    free(types[i].props);
    free(types[i].name);
  }
  free(types);
}

/* Parse [text] as a schema file into types; false with *err on syntax errors. */
static bool schema_parse(const char *pname, const char *text, size_t len, SchemaType **out,
                         size_t *nout, char **err) {
  Plat *p = plat_new();
  char *shown = prov_strdupf("<provider %s>/%s.plat", pname, pname);
  uint32_t id = source_add(&p->sources, shown, text, len);
  ParseInput in = {.arena = &p->arena, .strs = &p->strs, .diags = &p->diags,
                   .sources = &p->sources, .file = id, .schema = true};
  AstFile *f = parse_file(&in);
  bool ok = p->diags.nerrors == 0;
  if (!ok) {
    const Diag *d = p->diags.items[0];
    LineCol lc = source_linecol(&p->sources, id, d->span.start);
    *err = prov_strdupf("its schema does not parse: %s:%u:%u: %s", shown, lc.line, lc.col,
                        d->msg);
  }
  SchemaType *types = NULL;
  size_t n = 0;
  for (uint32_t i = 0; ok && i < f->ndecls; i++) {
    const Decl *d = f->decls[i];
    if (!d || d->kind != D_SCHEMA || !d->name.str) continue;
    types = plat_xrealloc(types, (n + 1) * sizeof *types);
    SchemaType *t = &types[n++];
    t->name = plat_xstrdup(d->name.str->s);
    t->nprops = d->u.schema.nfields;
    t->props = plat_xcalloc(t->nprops ? t->nprops : 1, sizeof *t->props);
    for (uint32_t j = 0; j < t->nprops; j++) {
      const TypeField *tf = &d->u.schema.fields[j];
      SchemaProp *sp = &t->props[j];
      sp->name = plat_xstrdup(tf->name.str ? tf->name.str->s : "");
      sp->output = tf->is_output;
      sp->secret = type_is_secret(tf->type);
      sp->deflt = tf->is_output ? NULL : const_json(tf->deflt, 0);
    }
  }
  free(shown);
  plat_free(p);
  *out = types;
  *nout = n;
  return ok;
}

/* ---- the registry -------------------------------------------------------------------- */
struct Provider {
  char *name;
  char *exe;                 /* external: the executable */
  const ProvVtable *vt;
  void *self;
  ProvRegistry *reg;
  bool schema_tried;
  char *schema_err;
  SchemaType *types;
  size_t ntypes;
};

struct ProvRegistry {
  pthread_mutex_t lock;      /* providers list, schemas loaded lazily, the jitter's state */
  ProvConfig cfg;
  char *root, *search_path;
  uint64_t rng;
  Provider **provs;
  size_t nprovs;
};

static const struct {
  const char *name;
  ProvOpenFn open;
} builtins[] = {
    {"local", prov_local_open},
    {"random", prov_random_open},
};

static int64_t real_now(void *ctx) {
  (void)ctx;
  return prov_now_ms();
}

static void real_sleep(void *ctx, int64_t ms) {
  (void)ctx;
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

ProvRegistry *prov_registry_new(const ProvConfig *cfg) {
  ProvRegistry *r = plat_xcalloc(1, sizeof *r);
  pthread_mutex_init(&r->lock, NULL);
  r->cfg = *cfg;
  r->root = plat_xstrdup(cfg->project_root ? cfg->project_root : ".");
  r->search_path = cfg->search_path ? plat_xstrdup(cfg->search_path) : NULL;
  r->cfg.project_root = r->root;
  r->cfg.search_path = r->search_path;
  for (int i = 0; i < PROV_NOPS; i++)
    if (r->cfg.timeout_ms[i] <= 0) r->cfg.timeout_ms[i] = PROV_DEFAULT_TIMEOUT_MS;
  if (r->cfg.start_timeout_ms <= 0) r->cfg.start_timeout_ms = PROV_DEFAULT_START_TIMEOUT_MS;
  if (!r->cfg.max_attempts) r->cfg.max_attempts = PROV_DEFAULT_ATTEMPTS;
  if (r->cfg.backoff_ms <= 0) r->cfg.backoff_ms = PROV_DEFAULT_BACKOFF_MS;
  if (r->cfg.backoff_max_ms <= 0) r->cfg.backoff_max_ms = PROV_DEFAULT_BACKOFF_MAX_MS;
  if (!r->cfg.clock.now_ms) r->cfg.clock.now_ms = real_now;
  if (!r->cfg.clock.sleep_ms) r->cfg.clock.sleep_ms = real_sleep;
  r->rng = cfg->seed;
  if (!r->rng && RAND_bytes((unsigned char *)&r->rng, sizeof r->rng) != 1)
    r->rng = (uint64_t)prov_now_ms();
  return r;
}

void prov_registry_free(ProvRegistry *r) {
  if (!r) return;
  for (size_t i = 0; i < r->nprovs; i++) {
    Provider *p = r->provs[i];
    if (p->vt->close) p->vt->close(p->self);
    free(p->name);
    free(p->exe);
    free(p->schema_err);
    schema_free(p->types, p->ntypes);
    free(p);
  }
  free(r->provs);
  free(r->root);
  free(r->search_path);
  pthread_mutex_destroy(&r->lock);
  free(r);
}

static Provider *find_open(ProvRegistry *r, const char *name) {
  for (size_t i = 0; i < r->nprovs; i++)
    if (strcmp(r->provs[i]->name, name) == 0) return r->provs[i];
  return NULL;
}

static Provider *add_provider(ProvRegistry *r, const char *name, const ProvVtable *vt,
                              void *self) {
  Provider *p = plat_xcalloc(1, sizeof *p);
  p->name = plat_xstrdup(name);
  p->vt = vt;
  p->self = self;
  p->reg = r;
  r->provs = plat_xrealloc(r->provs, (r->nprovs + 1) * sizeof *r->provs);
  r->provs[r->nprovs++] = p;
  return p;
}

bool prov_registry_add(ProvRegistry *r, const char *name, const ProvVtable *vt, void *self) {
  if (!prov_name_valid(name) || !vt || !vt->call) return false;
  pthread_mutex_lock(&r->lock);
  bool ok = !find_open(r, name);
  if (ok) add_provider(r, name, vt, self);
  pthread_mutex_unlock(&r->lock);
  return ok;
}

static Provider *open_locked(ProvRegistry *r, const char *name, json_t *config, char **err);

Provider *prov_open(ProvRegistry *r, const char *name, json_t *config, char **err) {
  pthread_mutex_lock(&r->lock);
  Provider *p = open_locked(r, name, config, err);
  pthread_mutex_unlock(&r->lock);
  return p;
}

static Provider *open_locked(ProvRegistry *r, const char *name, json_t *config, char **err) {
  *err = NULL;
  if (!prov_name_valid(name)) {
    *err = prov_strdupf("'%s' is not a provider name (a lowercase identifier: letters, "
                        "digits and '_')", name ? name : "");
    return NULL;
  }
  Provider *p = find_open(r, name);
  if (p) return p;
  if (config && !json_is_object(config)) {
    *err = prov_strdupf("provider '%s': its configuration must be an object", name);
    return NULL;
  }
  const ProvVtable *vt = NULL;
  void *self = NULL;
  char *why = NULL;
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
    if (strcmp(builtins[i].name, name) != 0) continue;
    if (!builtins[i].open(name, r->root, config, &vt, &self, &why)) {
      *err = prov_strdupf("provider '%s': %s", name, why);
      free(why);
      return NULL;
    }
    return add_provider(r, name, vt, self);
  }
  char *exe = prov_find_executable(name, r->root, r->search_path);
  if (!exe) {
    *err = prov_strdupf("no provider '%s': it is not built in, and no executable "
                        "platc-provider-%s was found in PLAT_PROVIDER_PATH, %s/.plat/providers "
                        "or platc's lib/platc/providers",
                        name, name, r->root);
    return NULL;
  }
  if (!prov_external_open(name, exe, r->root, config, r->cfg.start_timeout_ms, &vt, &self,
                          &why)) {
    *err = prov_strdupf("provider '%s' (%s): %s", name, exe, why);
    free(why);
    free(exe);
    return NULL;
  }
  p = add_provider(r, name, vt, self);
  p->exe = exe;
  return p;
}

const char *prov_name(const Provider *p) { return p->name; }
const char *prov_executable(const Provider *p) { return p->exe; }

const char *prov_schema(Provider *p, size_t *len, char **err) {
  *err = NULL;
  size_t n = 0;
  const char *s = p->vt->schema ? p->vt->schema(p->self, &n, err) : NULL;
  if (!s) {
    char *why = *err;
    *err = prov_strdupf("provider '%s': no schema%s%s", p->name, why ? ": " : "",
                        why ? why : "");
    free(why);
    return NULL;
  }
  if (len) *len = n;
  return s;
}

/* The schema's types, parsed once.  False with the reason in p->schema_err. */
static bool load_schema(Provider *p) {
  if (p->schema_tried) return p->schema_err == NULL;
  p->schema_tried = true;
  size_t len = 0;
  char *err = NULL;
  const char *text = p->vt->schema ? p->vt->schema(p->self, &len, &err) : NULL;
  if (!text) {
    p->schema_err = prov_strdupf("no schema%s%s", err ? ": " : "", err ? err : "");
    free(err);
    return false;
  }
  if (!schema_parse(p->name, text, len, &p->types, &p->ntypes, &err)) {
    p->schema_err = err;
    return false;
  }
  return true;
}

static const SchemaType *find_type(const Provider *p, const char *name) {
  for (size_t i = 0; i < p->ntypes; i++)
    if (strcmp(p->types[i].name, name) == 0) return &p->types[i];
  return NULL;
}

/* A copy of [in] with the schema's defaults for inputs it lacks. */
static json_t *with_defaults(const SchemaType *t, json_t *in) {
  json_t *o = json_copy(in);
  for (size_t i = 0; i < t->nprops; i++) {
    const SchemaProp *sp = &t->props[i];
    if (!sp->output && sp->deflt && !json_object_get(o, sp->name))
      json_object_set(o, sp->name, sp->deflt);
  }
  return o;
}

/* ---- secrets in messages --------------------------------------------------------------- */
typedef struct Secrets {
  const char **v;
  size_t n, cap;
} Secrets;

static void add_secret_value(Secrets *s, const json_t *v) {
  if (json_is_string(v) && json_string_length(v) > 0) {
    if (s->n == s->cap) {
      s->cap = s->cap ? s->cap * 2 : 8;
      s->v = plat_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = json_string_value(v);
  } else if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach((json_t *)v, i, e) add_secret_value(s, e);
  } else if (json_is_object(v)) {
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)v, k, e) add_secret_value(s, e);
  } else if (json_is_integer(v) || json_is_real(v)) {
    /* a secret number is rare; redacting every digit run like it would blank messages,
       so numbers are left to the callers that print them */
  }
}

static void add_secret_props(Secrets *s, const json_t *obj, const json_t *names) {
  size_t i;
  json_t *n;
  json_array_foreach((json_t *)names, i, n)
    if (json_is_string(n)) add_secret_value(s, json_object_get(obj, json_string_value(n)));
}

/* Every occurrence of a secret value in [msg] becomes "[secret]" (longest first, so a
 * secret that holds another is hidden whole).  Returns a new string; frees [msg]. */
static int cmp_len_desc(const void *a, const void *b) {
  size_t la = strlen(*(const char *const *)a), lb = strlen(*(const char *const *)b);
  return la < lb ? 1 : la > lb ? -1 : 0;
}

static char *redact(char *msg, Secrets *s) {
  if (!msg || !s->n) return msg;
  qsort(s->v, s->n, sizeof *s->v, cmp_len_desc);
  for (size_t i = 0; i < s->n; i++) {
    const char *sec = s->v[i];
    size_t sl = strlen(sec);
    if (!sl || !strstr(msg, sec)) continue;
    size_t ml = strlen(msg), cap = ml + 1, k = 0;
    char *out = plat_xmalloc(cap + 8 * (ml / sl + 1));
    for (const char *c = msg; *c;) {
      if (strncmp(c, sec, sl) == 0) {
        memcpy(out + k, "[secret]", 8);
        k += 8;
        c += sl;
      } else {
        out[k++] = *c++;
      }
    }
    out[k] = '\0';
    free(msg);
    msg = out;
  }
  return msg;
}

/* ---- calls ------------------------------------------------------------------------------ */
static void res_clear_results(ProvRes *res) {
  free(res->message);
  free(res->id);
  json_decref(res->inputs);
  json_decref(res->outputs);
  json_decref(res->problems);
  json_decref(res->changed);
  json_decref(res->replaces);
  json_decref(res->secrets);
  uint32_t attempts = res->attempts;
  memset(res, 0, sizeof *res);
  res->attempts = attempts;
}

void prov_res_free(ProvRes *res) {
  if (!res) return;
  res_clear_results(res);
  res->attempts = 0;
}

static uint64_t next_rand(ProvRegistry *r) {
  /* splitmix64: a fixed seed gives the same waits in every run */
  uint64_t z = (r->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* The wait before attempt [attempt] (2, 3, ...): base * 2^(attempt-2), capped, then
 * jittered into [d/2, d] so many clients failing together do not retry together. */
static int64_t backoff_ms(ProvRegistry *r, uint32_t attempt) {
  int64_t d = r->cfg.backoff_ms;
  for (uint32_t i = 2; i < attempt && d < r->cfg.backoff_max_ms; i++) d *= 2;
  if (d > r->cfg.backoff_max_ms) d = r->cfg.backoff_max_ms;
  int64_t half = d / 2;
  return half + (int64_t)(next_rand(r) % (uint64_t)(d - half + 1));
}

static bool is_object_or_null(const json_t *v) { return !v || json_is_object(v); }

/* A sorted, de-duplicated array of the strings in [a] and [b] (either may be NULL). */
static json_t *sorted_names(const json_t *a, const json_t *b) {
  json_t *o = json_object();
  const json_t *src[2] = {a, b};
  for (int k = 0; k < 2; k++) {
    size_t i;
    json_t *v;
    json_array_foreach((json_t *)src[k], i, v)
      if (json_is_string(v)) json_object_set_new(o, json_string_value(v), json_true());
  }
  size_t n;
  const char **keys = union_keys(o, NULL, &n);
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(arr, json_string(keys[i]));
  free(keys);
  json_decref(o);
  return arr;
}

/* "provider 'local': create of local.File "app.cfg": " */
static char *who(const Provider *p, ProvOp op, const ProvReq *req) {
  const char *type = req && req->type ? req->type : "?";
  if (req && req->address)
    return prov_strdupf("provider '%s': %s of %s.%s \"%s\": ", p->name, prov_op_name(op),
                        p->name, type, req->address);
  if (req && req->id)
    return prov_strdupf("provider '%s': %s of %s.%s with id \"%s\": ", p->name,
                        prov_op_name(op), p->name, type, req->id);
  return prov_strdupf("provider '%s': %s of %s.%s: ", p->name, prov_op_name(op), p->name,
                      type);
}

/* The request is the caller's: a malformed one is an error, never a crash. */
static const char *bad_request(ProvOp op, const ProvReq *req) {
  if ((unsigned)op >= PROV_NOPS) return "unknown operation";
  if (!req || !req->type) return "no resource type given";
  if (!is_object_or_null(req->inputs) || !is_object_or_null(req->outputs) ||
      !is_object_or_null(req->new_inputs))
    return "inputs and outputs must be JSON objects";
  if (req->secret_inputs && !json_is_array(req->secret_inputs))
    return "secret_inputs must be an array of names";
  switch (op) {
  case PROV_CHECK:
  case PROV_CREATE:
    if (!req->inputs) return "no inputs given";
    break;
  case PROV_DIFF:
    if (!req->inputs || !req->new_inputs) return "old and new inputs are both needed";
    break;
  case PROV_UPDATE:
    if (!req->id || !req->inputs || !req->new_inputs)
      return "an id, the old inputs and the new inputs are all needed";
    break;
  case PROV_READ:
    /* Without an id, a lookup by inputs: recovery asks whether a create that began and
       never ended made anything (a file by its path); the provider answers gone if not. */
    if ((!req->id || !*req->id) && !req->inputs) return "no id or inputs given";
    break;
  case PROV_DELETE:
    if (!req->id || !*req->id) return "no id given";
    break;
  default: break;
  }
  return NULL;
}

/* Results the caller may rely on after PROV_OK, whatever the implementation filled. */
static void complete_ok(ProvOp op, const ProvReq *req, const SchemaType *t, ProvRes *res) {
  switch (op) {
  case PROV_CHECK:
    if (!json_is_array(res->problems)) {
      json_decref(res->problems);
      res->problems = json_array();
    }
    break;
  case PROV_DIFF: {
    json_t *c = sorted_names(res->changed, res->replaces), *r = sorted_names(res->replaces, NULL);
    json_decref(res->changed);
    json_decref(res->replaces);
    res->changed = c;
    res->replaces = r;
    if (json_array_size(r)) res->diff = PROV_DIFF_REPLACE;
    else if (json_array_size(c) && res->diff == PROV_DIFF_NONE) res->diff = PROV_DIFF_UPDATE;
    if (res->diff == PROV_DIFF_REPLACE && !json_array_size(r)) res->diff = PROV_DIFF_UPDATE;
    break;
  }
  case PROV_CREATE:
  case PROV_READ:
  case PROV_UPDATE: {
    if (!json_is_object(res->outputs)) {
      json_decref(res->outputs);
      res->outputs = json_object();
    }
    if (op == PROV_READ) {
      json_t *in = json_is_object(res->inputs) ? json_incref(res->inputs)
                   : req->inputs               ? json_incref(req->inputs)
                                               : json_object();
      json_decref(res->inputs);
      res->inputs = with_defaults(t, in);
      json_decref(in);
    }
    if (op != PROV_CREATE && !res->id && req->id) res->id = plat_xstrdup(req->id);
    json_t *declared = json_array();
    for (size_t i = 0; i < t->nprops; i++)
      if (t->props[i].output && t->props[i].secret)
        json_array_append_new(declared, json_string(t->props[i].name));
    json_t *all = sorted_names(declared, res->secrets);
    json_decref(declared);
    json_decref(res->secrets);
    res->secrets = all;
    break;
  }
  default: break;
  }
}

ProvStatus prov_call(Provider *p, ProvOp op, const ProvReq *req, ProvRes *res) {
  memset(res, 0, sizeof *res);
  ProvRegistry *r = p->reg;
  const char *bad = bad_request(op, req);
  if (bad) {
    char *w = who(p, op, req);
    prov_fail(res, PROV_ERROR, "%sbad request: %s", w, bad);
    free(w);
    return res->status;
  }
  pthread_mutex_lock(&r->lock);
  bool have_schema = load_schema(p);
  pthread_mutex_unlock(&r->lock);
  if (!have_schema) {
    char *w = who(p, op, req);
    prov_fail(res, PROV_ERROR, "%s%s", w, p->schema_err);
    free(w);
    return res->status;
  }
  const SchemaType *t = find_type(p, req->type);
  if (!t) {
    char *w = who(p, op, req);
    char list[512] = "";
    size_t k = 0;
    for (size_t i = 0; i < p->ntypes && k < sizeof list - 80; i++)
      k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", p->types[i].name);
    prov_fail(res, PROV_ERROR, "%sprovider '%s' has no resource type '%s' (it has: %s)", w,
              p->name, req->type, p->ntypes ? list : "none");
    free(w);
    return res->status;
  }
  ProvReq q = *req;
  json_t *in = req->inputs ? with_defaults(t, req->inputs) : NULL;
  json_t *newin = req->new_inputs ? with_defaults(t, req->new_inputs) : NULL;
  q.inputs = in;
  q.new_inputs = newin;

  for (uint32_t attempt = 1;; attempt++) {
    res_clear_results(res);
    res->attempts = attempt;
    res->status = PROV_OK;
    int64_t deadline = prov_now_ms() + r->cfg.timeout_ms[op];
    ProvStatus st = p->vt->call(p->self, op, &q, res, deadline);
    res->status = st;
    if (st == PROV_GONE && op == PROV_DELETE) st = res->status = PROV_OK;   /* already gone */
    if (st == PROV_GONE && op != PROV_READ)
      st = prov_fail(res, PROV_ERROR, "the resource no longer exists");
    if (st != PROV_TRANSIENT || attempt >= r->cfg.max_attempts) break;
    pthread_mutex_lock(&r->lock);
    int64_t wait = backoff_ms(r, attempt + 1);
    pthread_mutex_unlock(&r->lock);
    r->cfg.clock.sleep_ms(r->cfg.clock.ctx, wait);
  }

  if (res->status == PROV_OK) {
    free(res->message);
    res->message = NULL;
    complete_ok(op, &q, t, res);
  } else if (res->status != PROV_GONE || res->message) {
    char *w = who(p, op, req);
    const char *why = res->message ? res->message : prov_status_name(res->status);
    char *msg = res->status == PROV_TRANSIENT && res->attempts > 1
                    ? prov_strdupf("%s%s (gave up after %u attempts)", w, why, res->attempts)
                    : prov_strdupf("%s%s", w, why);
    free(w);
    /* secret values the caller or the schema names, wherever they came from */
    Secrets s = {0};
    add_secret_props(&s, in, req->secret_inputs);
    add_secret_props(&s, newin, req->secret_inputs);
    for (size_t i = 0; i < t->nprops; i++) {
      if (!t->props[i].secret) continue;
      const char *nm = t->props[i].name;
      add_secret_value(&s, json_object_get(t->props[i].output ? req->outputs : in, nm));
      add_secret_value(&s, json_object_get(t->props[i].output ? res->outputs : newin, nm));
    }
    free(res->message);
    res->message = redact(msg, &s);
    free(s.v);
  }
  json_decref(in);
  json_decref(newin);
  return res->status;
}
