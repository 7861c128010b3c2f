/* State files: strict loading, atomic deterministic saving, secrets sealed on disk.
 * The in-memory form keeps resources sorted by address so lookups are binary searches
 * and the file is the same bytes for the same state.  See state.h and docs/state.md. */
#include "deploy/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "compiler/arena.h"
#include "deploy/jsonr.h"
#include "deploy/jsonw.h"
#include "deploy/util.h"

static void new_lineage(char out[40]) {
  uint8_t b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    /* Without randomness a lineage only needs to differ between stacks made here. */
    uint64_t t = (uint64_t)getpid() ^ ((uint64_t)time(NULL) << 20);
    memcpy(b, &t, sizeof t);
    memcpy(b + 8, &t, sizeof t);
  }
  b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
  b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
  snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
           b[13], b[14], b[15]);
}

void state_init(State *st, const char *stack) {
  memset(st, 0, sizeof *st);
  new_lineage(st->lineage);
  st->sorted = true;
  st->stack = plat_xstrdup(stack);
  st->outputs = json_object();
}

static void free_strs(char **v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void state_res_free(StateRes *r) {
  free(r->address);
  free(r->type);
  free(r->provider);
  free(r->id);
  json_decref(r->inputs);
  json_decref(r->outputs);
  free_strs(r->deps, r->ndeps);
  free_strs(r->secret, r->nsecret);
  memset(r, 0, sizeof *r);
}

void state_free(State *st) {
  for (uint32_t i = 0; i < st->nres; i++)
    state_res_free(&st->res[i]);
  free(st->res);
  free(st->idx);
  free(st->stack);
  json_decref(st->outputs);
  free_strs(st->secret_outputs, st->nsecret_outputs);
  memset(st, 0, sizeof *st);
}

/* ---- lookup and edits --------------------------------------------------------------- */
/* An open-addressing index from address to position: a deploy puts 100,000 results into
 * the state one by one, so finding and inserting must not cost O(n) each. */
#define TOMB UINT32_MAX

static uint32_t addr_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* The index slot holding [address], or the empty slot where it would go (*found false). */
static uint32_t slot_of(const State *st, const char *address, bool *found) {
  uint32_t mask = st->idxcap - 1, i = addr_hash(address) & mask, tomb = UINT32_MAX;
  for (;; i = (i + 1) & mask) {
    uint32_t v = st->idx[i];
    if (v == 0) {
      *found = false;
      return tomb != UINT32_MAX ? tomb : i;
    }
    if (v == TOMB) {
      if (tomb == UINT32_MAX)
        tomb = i;
    } else if (strcmp(st->res[v - 1].address, address) == 0) {
      *found = true;
      return i;
    }
  }
}

static void reindex(State *st) {
  uint32_t cap = 16;
  while (cap < st->nres * 2 + 16)
    cap *= 2;
  free(st->idx);
  st->idx = plat_xzalloc(cap, sizeof *st->idx);
  st->idxcap = cap;
  for (uint32_t i = 0; i < st->nres; i++) {
    bool found;
    uint32_t k = slot_of(st, st->res[i].address, &found);
    st->idx[k] = i + 1;
  }
}

StateRes *state_find(State *st, const char *address) {
  if (!st->nres)
    return NULL;
  if (!st->idx)
    reindex(st);
  bool found;
  uint32_t k = slot_of(st, address, &found);
  return found ? &st->res[st->idx[k] - 1] : NULL;
}

StateRes *state_put(State *st, const StateRes *r) {
  StateRes *old = state_find(st, r->address);
  if (old) {
    state_res_free(old);
    *old = *r;
    return old;
  }
  if (st->nres == st->capres) {
    st->capres = st->capres ? st->capres * 2 : 16;
    st->res = plat_xrealloc(st->res, (size_t)st->capres * sizeof *st->res);
  }
  if (st->nres && strcmp(st->res[st->nres - 1].address, r->address) > 0)
    st->sorted = false;
  else if (!st->nres)
    st->sorted = true;
  st->res[st->nres++] = *r;
  if (!st->idx || st->nres * 2 > st->idxcap) {
    reindex(st);
  } else {
    bool found;
    uint32_t k = slot_of(st, r->address, &found);
    st->idx[k] = st->nres;
  }
  return &st->res[st->nres - 1];
}

bool state_remove(State *st, const char *address) {
  if (!st->nres)
    return false;
  if (!st->idx)
    reindex(st);
  bool found;
  uint32_t k = slot_of(st, address, &found);
  if (!found)
    return false;
  uint32_t i = st->idx[k] - 1;
  st->idx[k] = TOMB;
  state_res_free(&st->res[i]);
  uint32_t last = st->nres - 1;
  if (i != last) {
    /* The last one takes the hole: O(1), and the order is restored by state_sort. */
    st->res[i] = st->res[last];
    uint32_t k2 = slot_of(st, st->res[i].address, &found);
    st->idx[k2] = i + 1;
    st->sorted = false;
  }
  st->nres--;
  return true;
}

static int res_cmp(const void *a, const void *b) {
  return strcmp(((const StateRes *)a)->address, ((const StateRes *)b)->address);
}

void state_sort(State *st) {
  if (st->sorted)
    return;
  if (st->nres > 1)
    qsort(st->res, st->nres, sizeof *st->res, res_cmp);
  st->sorted = true;
  reindex(st);
}

bool state_res_is_secret(const StateRes *r, const char *path) {
  return dp_in_sorted(r->secret, r->nsecret, path);
}

/* ---- sealing ------------------------------------------------------------------------ */
static char *aad_for(const char *lineage, const char *address, const char *path) {
  size_t n = strlen(lineage) + strlen(address) + strlen(path) + 3;
  char *s = plat_xmalloc(n);
  snprintf(s, n, "%s\n%s\n%s", lineage, address, path);
  return s;
}

json_t *state_seal(const CryptKey *key, const char *lineage, const char *address,
                   const char *path, const json_t *value) {
  char *plain = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
  if (!plain)
    return NULL;
  char *aad = aad_for(lineage, address, path);
  size_t plen = strlen(plain);
  char *sealed = crypt_seal(key, aad, plain, plen);
  crypt_wipe(plain, plen);
  free(plain);
  free(aad);
  if (!sealed)
    return NULL;
  json_t *o = json_pack("{s:s}", "$sealed", sealed);
  free(sealed);
  return o;
}

json_t *state_unseal(const CryptKey *key, const char *lineage, const char *address,
                     const char *path, const json_t *sealed, char *err, size_t errlen) {
  const json_t *t = json_is_object(sealed) && json_object_size(sealed) == 1
                        ? json_object_get(sealed, "$sealed")
                        : NULL;
  if (!json_is_string(t)) {
    dp_seterr(err, errlen, "%s %s: a secret value is not sealed", address, path);
    return NULL;
  }
  char *aad = aad_for(lineage, address, path);
  char cerr[200];
  size_t len = 0;
  char *plain = crypt_open(key, aad, json_string_value(t), &len, cerr, sizeof cerr);
  free(aad);
  if (!plain) {
    dp_seterr(err, errlen, "%s %s: %s", *address ? address : "outputs", path, cerr);
    return NULL;
  }
  json_error_t je;
  json_t *v = json_loadb(plain, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
  crypt_wipe(plain, len);
  free(plain);
  if (!v)
    dp_seterr(err, errlen, "%s %s: a sealed value does not hold JSON", address, path);
  return v;
}

/* ---- loading ------------------------------------------------------------------------ */
typedef struct Loader {
  const char *path;
  char *err;
  size_t errlen;
} Loader;

static bool corrupt(Loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool corrupt(Loader *l, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  dp_seterr(l->err, l->errlen, "%s: corrupt state: %s; the file was left as it is", l->path, msg);
  return false;
}

static bool get_str(Loader *l, json_t *o, const char *key, const char *where, char **out,
                    bool nonempty) {
  json_t *v = json_object_get(o, key);
  if (!json_is_string(v))
    return corrupt(l, "%s.%s: expected a string", where, key);
  const char *s = json_string_value(v);
  if (nonempty && !*s)
    return corrupt(l, "%s.%s: empty", where, key);
  if (strlen(s) != json_string_length(v))
    return corrupt(l, "%s.%s: contains a NUL character", where, key);
  *out = plat_xstrdup(s);
  return true;
}

static int str_qcmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the [cnt] strings of [v] and drop repeats (freed); the count left. */
static uint32_t sort_unique(char **v, size_t cnt) {
  if (cnt > 1)
    qsort(v, cnt, sizeof *v, str_qcmp);
  uint32_t m = 0;
  for (size_t i = 0; i < cnt; i++) {
    if (m && strcmp(v[m - 1], v[i]) == 0) {
      free(v[i]);
      continue;
    }
    v[m++] = v[i];
  }
  return m;
}

/* A sorted, deduplicated array of strings from JSON array [key] of [o] (absent: empty). */
static bool get_strs(Loader *l, json_t *o, const char *key, const char *where, char ***out,
                     uint32_t *n) {
  *out = NULL;
  *n = 0;
  json_t *a = json_object_get(o, key);
  if (!a)
    return true;
  if (!json_is_array(a))
    return corrupt(l, "%s.%s: expected an array", where, key);
  size_t cnt = json_array_size(a);
  char **v = plat_xcalloc(cnt ? cnt : 1, sizeof *v);
  for (size_t i = 0; i < cnt; i++) {
    json_t *e = json_array_get(a, i);
    if (!json_is_string(e) || !*json_string_value(e)) {
      free_strs(v, (uint32_t)i);
      return corrupt(l, "%s.%s[%zu]: expected a non-empty string", where, key, i);
    }
    v[i] = plat_xstrdup(json_string_value(e));
  }
  *out = v;
  *n = sort_unique(v, cnt);
  return true;
}

/* Replace each secret property of [r] by its plaintext (or check it is sealed). */
static bool open_secrets(Loader *l, const State *st, StateRes *r, const CryptKey *key,
                         const char *where) {
  for (uint32_t i = 0; i < r->nsecret; i++) {
    const char *p = r->secret[i];
    json_t *obj = NULL;
    if (strncmp(p, "inputs.", 7) == 0)
      obj = r->inputs;
    else if (strncmp(p, "outputs.", 8) == 0)
      obj = r->outputs;
    else
      return corrupt(l, "%s.secret: '%s' is neither inputs.X nor outputs.X", where, p);
    const char *prop = strchr(p, '.') + 1;
    json_t *v = json_object_get(obj, prop);
    if (!v)
      continue;    /* an optional property left out */
    if (!json_is_object(v) || !json_is_string(json_object_get(v, "$sealed")))
      return corrupt(l, "%s.%s: a secret value is stored unsealed", where, p);
    if (!key) {
      r->sealed = true;
      continue;
    }
    char uerr[300];
    json_t *plain = state_unseal(key, st->lineage, r->address, p, v, uerr, sizeof uerr);
    if (!plain) {
      dp_seterr(l->err, l->errlen, "%s: %s; the file was left as it is", l->path, uerr);
      return false;
    }
    json_object_set_new(obj, prop, plain);
  }
  return true;
}

/* Add the resource read into [r] (taking what it holds) once it is known to be new and
 * its secrets are opened. */
static bool add_res(Loader *l, State *st, StateRes *r, const CryptKey *key, const char *where) {
  bool ok = true;
  if (state_find(st, r->address))
    ok = corrupt(l, "%s: address %s appears twice", where, r->address);
  if (ok)
    ok = open_secrets(l, st, r, key, where);
  if (!ok) {
    state_res_free(r);
    return false;
  }
  state_put(st, r);
  return true;
}

static bool load_res(Loader *l, State *st, json_t *o, size_t i, const CryptKey *key) {
  char where[48];
  snprintf(where, sizeof where, "resources[%zu]", i);
  if (!json_is_object(o))
    return corrupt(l, "%s: expected an object", where);
  StateRes r = { 0 };
  bool ok = get_str(l, o, "address", where, &r.address, true) &&
            get_str(l, o, "type", where, &r.type, true) &&
            get_str(l, o, "provider", where, &r.provider, true) &&
            get_str(l, o, "id", where, &r.id, false) &&
            get_strs(l, o, "dependencies", where, &r.deps, &r.ndeps) &&
            get_strs(l, o, "secret", where, &r.secret, &r.nsecret);
  if (ok) {
    r.inputs = json_object_get(o, "inputs");
    r.outputs = json_object_get(o, "outputs");
    if (!json_is_object(r.inputs) || !json_is_object(r.outputs)) {
      r.inputs = r.outputs = NULL;
      ok = corrupt(l, "%s: inputs and outputs must be objects", where);
    } else {
      /* References, not copies: the loaded tree's other parts are freed after loading,
         and copying 100,000 resources' values would double the time of every run. */
      r.inputs = json_incref(r.inputs);
      r.outputs = json_incref(r.outputs);
    }
  }
  if (!ok) {
    state_res_free(&r);
    return false;
  }
  return add_res(l, st, &r, key, where);
}

static bool open_output_secrets(Loader *l, State *st, const CryptKey *key);

static bool load_tree(Loader *l, State *st, json_t *root, const char *stack,
                      const CryptKey *key) {
  if (!json_is_object(root))
    return corrupt(l, "the top level is not an object");
  json_t *fv = json_object_get(root, "format_version");
  if (!json_is_integer(fv))
    return corrupt(l, "format_version: expected an integer");
  json_int_t ver = json_integer_value(fv);
  if (ver > STATE_FORMAT_VERSION) {
    dp_seterr(l->err, l->errlen,
           "%s: state format %lld is newer than this platc reads (%d): it was written by a "
           "newer platc; upgrade platc. The file was left as it is",
           l->path, (long long)ver, STATE_FORMAT_VERSION);
    return false;
  }
  if (ver < 1)
    return corrupt(l, "format_version: %lld is not a state format", (long long)ver);
  char *lineage = NULL, *stk = NULL;
  if (!get_str(l, root, "lineage", "state", &lineage, true))
    return false;
  if (strlen(lineage) >= sizeof st->lineage) {
    free(lineage);
    return corrupt(l, "lineage: too long");
  }
  snprintf(st->lineage, sizeof st->lineage, "%s", lineage);
  free(lineage);
  json_t *serial = json_object_get(root, "serial");
  if (!json_is_integer(serial) || json_integer_value(serial) < 0)
    return corrupt(l, "serial: expected a non-negative integer");
  st->serial = (uint64_t)json_integer_value(serial);
  if (!get_str(l, root, "stack", "state", &stk, true))
    return false;
  if (strcmp(stk, stack) != 0) {
    dp_seterr(l->err, l->errlen, "%s: this is the state of stack '%s', not '%s'; the file was "
           "left as it is", l->path, stk, stack);
    free(stk);
    return false;
  }
  free(stk);
  json_t *res = json_object_get(root, "resources");
  if (!json_is_array(res))
    return corrupt(l, "resources: expected an array");
  for (size_t i = 0; i < json_array_size(res); i++)
    if (!load_res(l, st, json_array_get(res, i), i, key))
      return false;
  json_t *outs = json_object_get(root, "outputs");
  if (outs && !json_is_object(outs))
    return corrupt(l, "outputs: expected an object");
  if (!get_strs(l, root, "secret_outputs", "state", &st->secret_outputs, &st->nsecret_outputs))
    return false;
  json_decref(st->outputs);
  st->outputs = outs ? json_incref(outs) : json_object();
  return open_output_secrets(l, st, key);
}

/* Check the root outputs named secret are sealed, and open them with [key]. */
static bool open_output_secrets(Loader *l, State *st, const CryptKey *key) {
  for (uint32_t i = 0; i < st->nsecret_outputs; i++) {
    const char *name = st->secret_outputs[i];
    json_t *v = json_object_get(st->outputs, name);
    if (!v)
      continue;
    if (!json_is_object(v) || !json_is_string(json_object_get(v, "$sealed")))
      return corrupt(l, "outputs.%s: a secret value is stored unsealed", name);
    if (!key)
      continue;
    char path[300], uerr[300];
    snprintf(path, sizeof path, "outputs.%s", name);
    json_t *plain = state_unseal(key, st->lineage, "", path, v, uerr, sizeof uerr);
    if (!plain) {
      dp_seterr(l->err, l->errlen, "%s: %s; the file was left as it is", l->path, uerr);
      return false;
    }
    json_object_set_new(st->outputs, name, plain);
  }
  return true;
}

/* ---- the fast path ------------------------------------------------------------------ */
bool state_fast_load = true;

/* The file read token by token straight into the State: only the values of inputs and
 * outputs become jansson objects, not each resource's envelope (about half the
 * allocations of a 100,000-resource state, and each string copied once).  It takes only
 * what load_tree would take the same way, and gives up (false) on anything else — a key
 * it does not know, a repeat, a type, an order it does not expect, any failure — for the
 * tree reader to read or explain. */
static char *fast_str(JrReader *r, bool nonempty) {
  const char *s;
  size_t n;
  if (!jr_string(r, &s, &n) || (nonempty && !n) || memchr(s, '\0', n))
    return NULL;
  char *out = plat_xmalloc(n + 1);
  memcpy(out, s, n);
  out[n] = '\0';
  return out;
}

static bool fast_strs(JrReader *r, char ***out, uint32_t *n) {
  char **v = NULL;
  size_t cnt = 0, cap = 0;
  int more;
  for (bool first = true; (more = jr_item(r, first)) == 1; first = false) {
    char *e = fast_str(r, true);
    if (!e)
      goto fail;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 4;
      v = plat_xrealloc(v, cap * sizeof *v);
    }
    v[cnt++] = e;
  }
  if (more < 0)
    goto fail;
  *out = v;
  *n = sort_unique(v, cnt);
  return true;
fail:
  free_strs(v, (uint32_t)cnt);
  return false;
}

/* A resource's members as next_member gives them (the order of fast_res's names). */
enum { F_ADDRESS = 1, F_TYPE = 2, F_PROVIDER = 4, F_ID = 8, F_DEPS = 16, F_SECRET = 32,
       F_INPUTS = 64, F_OUTPUTS = 128 };

/* The next member of the object being read: 1 << its key's index in [names] (NULL
 * ended), 0 at the object's end, -1 for a key not there, a repeat, or bad input. */
static int next_member(JrReader *r, bool first, const char *const *names, unsigned *seen) {
  const char *k;
  size_t n;
  int more = jr_key(r, first, &k, &n);
  if (more <= 0)
    return more;
  for (unsigned i = 0; names[i]; i++)
    if (strlen(names[i]) == n && memcmp(k, names[i], n) == 0) {
      if (*seen & (1u << i))
        return -1;
      *seen |= 1u << i;
      return 1 << i;
    }
  return -1;
}

/* One resource object into [st]. */
static bool fast_res(Loader *l, JrReader *r, State *st, const CryptKey *key) {
  static const char *const names[] = { "address", "type", "provider", "id", "dependencies",
                                        "secret", "inputs", "outputs", NULL };
  StateRes res = { 0 };
  unsigned seen = 0;
  bool ok = jr_object(r);
  for (bool first = true; ok; first = false) {
    int f = next_member(r, first, names, &seen);
    if (f <= 0) {
      ok = f == 0;
      break;
    }
    switch (f) {
    case F_ADDRESS: ok = (res.address = fast_str(r, true)) != NULL; break;
    case F_TYPE: ok = (res.type = fast_str(r, true)) != NULL; break;
    case F_PROVIDER: ok = (res.provider = fast_str(r, true)) != NULL; break;
    case F_ID: ok = (res.id = fast_str(r, false)) != NULL; break;
    case F_DEPS: ok = jr_array(r) && fast_strs(r, &res.deps, &res.ndeps); break;
    case F_SECRET: ok = jr_array(r) && fast_strs(r, &res.secret, &res.nsecret); break;
    case F_INPUTS:
      res.inputs = jr_value(r);   /* json_is_object reads its argument twice */
      ok = json_is_object(res.inputs);
      break;
    case F_OUTPUTS:
      res.outputs = jr_value(r);
      ok = json_is_object(res.outputs);
      break;
    }
  }
  unsigned need = F_ADDRESS | F_TYPE | F_PROVIDER | F_ID | F_INPUTS | F_OUTPUTS;
  if (!ok || (seen & need) != need) {
    state_res_free(&res);
    return false;
  }
  return add_res(l, st, &res, key, "resources[]");
}

/* The top level's members (the order of load_fast's names). */
enum { T_VERSION = 1, T_LINEAGE = 2, T_SERIAL = 4, T_STACK = 8, T_RESOURCES = 16,
       T_OUTPUTS = 32, T_SECRET_OUTPUTS = 64 };

static bool load_fast(Loader *l, State *st, const char *buf, size_t len, const char *stack,
                      const CryptKey *key) {
  JrReader r;
  jr_open(&r, buf, len);
  static const char *const names[] = { "format_version", "lineage", "serial", "stack",
                                        "resources", "outputs", "secret_outputs", NULL };
  unsigned seen = 0;
  bool ok = jr_object(&r);
  for (bool first = true; ok; first = false) {
    int f = next_member(&r, first, names, &seen);
    /* Secrets are opened with the lineage: it must come first (it does, keys are sorted). */
    if (f <= 0 || (f == T_RESOURCES && !(seen & T_LINEAGE))) {
      ok = f == 0;
      break;
    }
    long long v;
    char *str = NULL;
    switch (f) {
    case T_VERSION: ok = jr_int(&r, &v) && v >= 1 && v <= STATE_FORMAT_VERSION; break;
    case T_SERIAL:
      ok = jr_int(&r, &v) && v >= 0;
      st->serial = ok ? (uint64_t)v : 0;
      break;
    case T_LINEAGE:
      ok = (str = fast_str(&r, true)) && strlen(str) < sizeof st->lineage;
      if (ok)
        snprintf(st->lineage, sizeof st->lineage, "%s", str);
      break;
    case T_STACK: ok = (str = fast_str(&r, true)) && strcmp(str, stack) == 0; break;
    case T_RESOURCES:
      ok = jr_array(&r);
      for (bool f1 = true; ok; f1 = false) {
        int item = jr_item(&r, f1);
        if (item <= 0) {
          ok = item == 0;
          break;
        }
        ok = fast_res(l, &r, st, key);
      }
      break;
    case T_OUTPUTS: {
      json_t *o = jr_value(&r);
      ok = json_is_object(o);
      json_decref(st->outputs);
      st->outputs = o ? o : json_object();
      break;
    }
    case T_SECRET_OUTPUTS:
      ok = jr_array(&r) && fast_strs(&r, &st->secret_outputs, &st->nsecret_outputs);
      break;
    }
    free(str);
  }
  ok = ok && jr_done(&r);
  jr_close(&r);
  unsigned need = T_VERSION | T_LINEAGE | T_SERIAL | T_STACK | T_RESOURCES;
  return ok && (seen & need) == need && open_output_secrets(l, st, key);
}

bool state_load(State *st, const char *path, const char *stack, const CryptKey *key,
                bool *exists, char *err, size_t errlen) {
  state_init(st, stack);
  if (exists)
    *exists = false;
  Loader l = { path, err, errlen };
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return true;
    dp_seterr(err, errlen, "%s: cannot read the state: %s", path, strerror(errno));
    return false;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    dp_seterr(err, errlen, "%s: the state is not a regular file", path);
    return false;
  }
  if ((size_t)sb.st_size > STATE_MAX_BYTES) {
    close(fd);
    dp_seterr(err, errlen, "%s: the state is larger than %zu MiB; refusing to read it", path,
           STATE_MAX_BYTES >> 20);
    return false;
  }
  size_t size = (size_t)sb.st_size, got = 0;
  char *buf = plat_xmalloc(size + 1);
  while (got < size) {
    ssize_t r = read(fd, buf + got, size - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  close(fd);
  if (got != size) {
    free(buf);
    dp_seterr(err, errlen, "%s: cannot read the state: short read", path);
    return false;
  }
  if (exists)
    *exists = true;
  /* Token by token into the State first; then the tree reader (a state of 100,000
     resources took jansson most of a second); what neither takes, jansson explains. */
  char ferr[8];
  Loader fl = { path, ferr, sizeof ferr };
  if (state_fast_load && load_fast(&fl, st, buf, size, stack, key)) {
    free(buf);
    return true;
  }
  state_free(st);
  state_init(st, stack);
  json_error_t je;
  json_t *root = jr_parse(buf, size);
  if (!root)
    root = json_loadb(buf, size, JSON_REJECT_DUPLICATES, &je);
  free(buf);
  if (!root) {
    char msg[300];
    snprintf(msg, sizeof msg, "line %d column %d: %s", je.line, je.column, je.text);
    return corrupt(&l, "%s", msg);
  }
  bool ok = load_tree(&l, st, root, stack, key);
  json_decref(root);
  return ok;
}

/* ---- saving ------------------------------------------------------------------------- */
/* [obj] with the properties named in [secret] under [prefix] sealed. */
static json_t *sealed_copy(const State *st, const StateRes *r, json_t *obj, const char *prefix,
                           const CryptKey *key, bool *ok) {
  json_t *out = json_deep_copy(obj);
  size_t plen = strlen(prefix);
  for (uint32_t i = 0; i < r->nsecret; i++) {
    const char *p = r->secret[i];
    if (strncmp(p, prefix, plen) != 0)
      continue;
    json_t *v = json_object_get(out, p + plen);
    if (!v || r->sealed)
      continue;
    json_t *s = key ? state_seal(key, st->lineage, r->address, p, v) : NULL;
    if (!s) {
      *ok = false;
      continue;
    }
    json_object_set_new(out, p + plen, s);
  }
  return out;
}

static bool write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

static bool fsync_dir_of(const char *path) {
  char *dir = plat_xstrdup(path);
  char *slash = strrchr(dir, '/');
  if (slash)
    *(slash == dir ? slash + 1 : slash) = '\0';
  int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(dir);
  if (fd < 0)
    return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

/* A list of strings as a JSON array at [depth]. */
static void jw_strs(JsonW *w, char *const *v, uint32_t n, int depth) {
  jw_open(w, '[');
  for (uint32_t i = 0; i < n; i++) {
    jw_item(w, depth + 1, i == 0);
    jw_cstr(w, v[i]);
  }
  jw_close(w, ']', depth, n == 0);
}

/* [r]'s inputs or outputs ([obj], paths under [prefix]); only a resource with secrets
 * needs a copy with them sealed. */
static void write_props(JsonW *w, const State *st, const StateRes *r, json_t *obj,
                        const char *prefix, const CryptKey *key, bool *ok) {
  if (!r->nsecret) {
    jw_value(w, obj, 3);
    return;
  }
  json_t *c = sealed_copy(st, r, obj, prefix, key, ok);
  jw_value(w, c, 3);
  json_decref(c);
}

/* One resource, an element of "resources" (depth 2), keys in sorted order. */
static void write_res(JsonW *w, const State *st, const StateRes *r, const CryptKey *key,
                      bool *ok) {
  jw_open(w, '{');
  jw_key(w, 3, true, "address");
  jw_cstr(w, r->address);
  jw_key(w, 3, false, "dependencies");
  jw_strs(w, r->deps, r->ndeps, 3);
  jw_key(w, 3, false, "id");
  jw_cstr(w, r->id ? r->id : "");
  jw_key(w, 3, false, "inputs");
  write_props(w, st, r, r->inputs, "inputs.", key, ok);
  jw_key(w, 3, false, "outputs");
  write_props(w, st, r, r->outputs, "outputs.", key, ok);
  jw_key(w, 3, false, "provider");
  jw_cstr(w, r->provider);
  if (r->nsecret) {
    jw_key(w, 3, false, "secret");
    jw_strs(w, r->secret, r->nsecret, 3);
  }
  jw_key(w, 3, false, "type");
  jw_cstr(w, r->type);
  jw_close(w, '}', 2, false);
}

bool state_save(State *st, const char *path, const CryptKey *key, char *err, size_t errlen) {
  bool ok = true;
  state_sort(st);
  json_t *outs = json_deep_copy(st->outputs);
  for (uint32_t i = 0; i < st->nsecret_outputs; i++) {
    json_t *v = json_object_get(outs, st->secret_outputs[i]);
    if (!v || (json_is_object(v) && json_object_get(v, "$sealed")))
      continue;
    char p[300];
    snprintf(p, sizeof p, "outputs.%s", st->secret_outputs[i]);
    json_t *s = key ? state_seal(key, st->lineage, "", p, v) : NULL;
    if (!s)
      ok = false;
    else
      json_object_set_new(outs, st->secret_outputs[i], s);
  }
  /* Written as json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2)) would write the tree of
     the whole state, without building that tree (deploy/jsonw.h). */
  JsonW w;
  jw_init(&w, false);
  jw_open(&w, '{');
  jw_key(&w, 1, true, "format_version");
  jw_int(&w, STATE_FORMAT_VERSION);
  jw_key(&w, 1, false, "lineage");
  jw_cstr(&w, st->lineage);
  jw_key(&w, 1, false, "outputs");
  jw_value(&w, outs, 1);
  json_decref(outs);
  jw_key(&w, 1, false, "resources");
  jw_open(&w, '[');
  for (uint32_t i = 0; i < st->nres && ok; i++) {
    jw_item(&w, 2, i == 0);
    write_res(&w, st, &st->res[i], key, &ok);
  }
  jw_close(&w, ']', 1, st->nres == 0);
  if (st->nsecret_outputs) {
    jw_key(&w, 1, false, "secret_outputs");
    jw_strs(&w, st->secret_outputs, st->nsecret_outputs, 1);
  }
  jw_key(&w, 1, false, "serial");
  jw_int(&w, (int64_t)(st->serial + 1));
  jw_key(&w, 1, false, "stack");
  jw_cstr(&w, st->stack);
  jw_close(&w, '}', 0, false);
  jw_raw(&w, "\n", 1);
  if (!ok) {
    jw_free(&w);
    dp_seterr(err, errlen, "%s: cannot seal the secret values (no key): nothing was written", path);
    return false;
  }
  if (w.failed) {
    jw_free(&w);
    dp_seterr(err, errlen, "%s: cannot encode the state", path);
    return false;
  }
  /* One temp name, not one per process: the stack lock allows one writer at a time, and
     a temp file a killed run left is replaced by the next save instead of staying. */
  size_t tlen = strlen(path) + 8;
  char *tmp = plat_xmalloc(tlen);
  snprintf(tmp, tlen, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool wrote = fd >= 0 && write_all(fd, w.p, w.n) && fsync(fd) == 0;
  int saved = errno;
  if (fd >= 0 && close(fd) != 0)
    wrote = false;
  jw_free(&w);
  if (!wrote || rename(tmp, path) != 0) {
    if (wrote)
      saved = errno;
    unlink(tmp);
    free(tmp);
    dp_seterr(err, errlen, "%s: cannot write the state: %s; the previous state is unchanged",
           path, strerror(saved));
    return false;
  }
  free(tmp);
  fsync_dir_of(path);
  st->serial++;
  return true;
}
