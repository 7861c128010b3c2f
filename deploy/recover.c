/* Recovery after a run that did not finish (apply.h apply_recover): fold the journal into
 * the state.  An operation that ended is applied as it ended; one that began and did not
 * end may or may not have happened, so its provider is asked (`read`) what exists now. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/arena.h"
#include "deploy/apply.h"
#include "deploy/util.h"

/* A copy of [obj] (member [prefix].X of [address]) with its sealed members opened. */
static json_t *unsealed(const CryptKey *key, const char *lineage, const char *address,
                        const json_t *obj, const char *prefix, char *err, size_t errlen) {
  json_t *out = json_is_object(obj) ? json_deep_copy(obj) : json_object();
  const char *k;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(out, tmp, k, v) {
    if (!json_is_object(v) || !json_object_get(v, "$sealed"))
      continue;
    if (!key) {
      snprintf(err, errlen, "%s: the journal holds secrets and no key was given", address);
      json_decref(out);
      return NULL;
    }
    char path[512];
    snprintf(path, sizeof path, "%s.%s", prefix, k);
    json_t *plain = state_unseal(key, lineage, address, path, v, err, errlen);
    if (!plain) {
      json_decref(out);
      return NULL;
    }
    json_object_set_new(out, k, plain);
  }
  return out;
}

static char **strs_of(const json_t *arr, uint32_t *n) {
  size_t cnt = json_array_size(arr), k = 0;
  char **v = plat_xcalloc(cnt ? cnt : 1, sizeof *v);
  for (size_t i = 0; i < cnt; i++) {
    const char *s = json_string_value(json_array_get(arr, i));
    if (s)
      v[k++] = plat_xstrdup(s);
  }
  dp_sort_strs(v, k);
  *n = (uint32_t)k;
  return v;
}

static const char *str_of(const json_t *e, const char *key) {
  const char *s = json_string_value(json_object_get(e, key));
  return s ? s : "";
}

/* Apply a successful end entry of a create or update. */
static bool apply_end(State *st, const CryptKey *key, const json_t *e, char *err,
                      size_t errlen) {
  const char *addr = str_of(e, "address");
  json_t *in = unsealed(key, st->lineage, addr, json_object_get(e, "inputs"), "inputs", err, errlen);
  if (!in)
    return false;
  json_t *out = unsealed(key, st->lineage, addr, json_object_get(e, "outputs"), "outputs", err, errlen);
  if (!out) {
    json_decref(in);
    return false;
  }
  StateRes r = { 0 };
  r.address = plat_xstrdup(addr);
  r.type = plat_xstrdup(str_of(e, "type"));
  r.provider = plat_xstrdup(str_of(e, "provider"));
  r.id = plat_xstrdup(str_of(e, "id"));
  r.inputs = in;
  r.outputs = out;
  r.deps = strs_of(json_object_get(e, "dependencies"), &r.ndeps);
  r.secret = strs_of(json_object_get(e, "secret"), &r.nsecret);
  state_put(st, &r);
  return true;
}

/* Ask the provider about an operation that began and did not end. */
static bool reconcile(State *st, ProvRegistry *reg, const CryptKey *key, const json_t *b,
                      char *err, size_t errlen) {
  const char *addr = str_of(b, "address"), *op = str_of(b, "op");
  const char *provider = str_of(b, "provider"), *type = str_of(b, "type");
  char *perr = NULL;
  Provider *pv = prov_open(reg, provider, NULL, &perr);
  if (!pv) {
    snprintf(err, errlen, "%s: cannot reconcile an unfinished %s: %s", addr, op,
             perr ? perr : "no provider");
    free(perr);
    return false;
  }
  const char *ptype = dp_short_type(type, provider);
  json_t *in = unsealed(key, st->lineage, addr, json_object_get(b, "inputs"), "inputs", err, errlen);
  if (!in)
    return false;
  StateRes *prior = state_find(st, addr);
  ProvReq q = { 0 };
  q.type = ptype;
  q.address = addr;
  bool creating = strcmp(op, "create") == 0;
  if (creating) {
    /* No id yet: the provider looks for it by its inputs (a file by its path). */
    q.inputs = in;
  } else {
    q.id = prior ? prior->id : str_of(b, "id");
    q.inputs = prior ? prior->inputs : in;
    q.outputs = prior ? prior->outputs : NULL;
  }
  ProvRes res = { 0 };
  ProvStatus s = prov_call(pv, PROV_READ, &q, &res);
  bool ok = true;
  if (s == PROV_GONE || (creating && s != PROV_OK)) {
    /* Not there: a create that did not happen, or a delete or update that removed it.
       (A provider that cannot look a resource up by its inputs answers an error: its
       resources exist only in state, like random values, so nothing was made.) */
    if (!creating)
      state_remove(st, addr);
  } else if (s == PROV_OK) {
    StateRes r = { 0 };
    r.address = plat_xstrdup(addr);
    r.type = plat_xstrdup(type);
    r.provider = plat_xstrdup(provider);
    r.id = plat_xstrdup(res.id ? res.id : (q.id ? q.id : ""));
    r.inputs = res.inputs ? json_incref(res.inputs) : json_incref(q.inputs);
    r.outputs = res.outputs ? json_incref(res.outputs) : json_object();
    uint32_t nsec = (uint32_t)json_array_size(res.secrets) + (prior ? prior->nsecret : 0);
    r.secret = plat_xcalloc(nsec ? nsec : 1, sizeof *r.secret);
    if (prior)
      for (uint32_t i = 0; i < prior->nsecret; i++)
        if (strncmp(prior->secret[i], "inputs.", 7) == 0)
          r.secret[r.nsecret++] = plat_xstrdup(prior->secret[i]);
    size_t i;
    json_t *v;
    json_array_foreach(res.secrets, i, v) {
      char path[512];
      snprintf(path, sizeof path, "outputs.%s", json_string_value(v));
      r.secret[r.nsecret++] = plat_xstrdup(path);
    }
    dp_sort_strs(r.secret, r.nsecret);
    if (prior) {
      r.deps = plat_xcalloc(prior->ndeps ? prior->ndeps : 1, sizeof *r.deps);
      for (uint32_t d = 0; d < prior->ndeps; d++)
        r.deps[d] = plat_xstrdup(prior->deps[d]);
      r.ndeps = prior->ndeps;
    }
    state_put(st, &r);
  } else {
    snprintf(err, errlen, "%s: cannot tell whether an unfinished %s happened: %s", addr, op,
             res.message ? res.message : prov_status_name(s));
    ok = false;
  }
  prov_res_free(&res);
  json_decref(in);
  return ok;
}

bool apply_recover(State *st, ProvRegistry *reg, const CryptKey *key, const char *journal_path,
                   const char *state_path, uint32_t *recovered, char *err, size_t errlen) {
  *recovered = 0;
  json_t *entries;
  bool torn;
  if (!journal_read(journal_path, &entries, &torn, err, errlen))
    return false;
  size_t n = json_array_size(entries);
  if (n == 0) {
    json_decref(entries);
    return true;
  }
  /* The open (begun, not ended) operation of each address, in journal order. */
  json_t *open = json_object();
  bool ok = true;
  for (size_t i = 0; i < n && ok; i++) {
    json_t *e = json_array_get(entries, i);
    const char *addr = str_of(e, "address"), *phase = str_of(e, "phase"), *op = str_of(e, "op");
    if (!*addr)
      continue;
    if (strcmp(phase, "begin") == 0) {
      json_t *prev = json_object_get(open, addr);
      if (prev)
        ok = reconcile(st, reg, key, prev, err, errlen);
      json_object_set(open, addr, e);
    } else if (strcmp(phase, "end") == 0) {
      json_object_del(open, addr);
      if (strcmp(str_of(e, "status"), "ok") != 0)
        continue;
      if (strcmp(op, "delete") == 0)
        state_remove(st, addr);
      else
        ok = apply_end(st, key, e, err, errlen);
    }
    (*recovered)++;
  }
  /* What began and never ended, in address order (deterministic). */
  size_t na;
  const char **addrs = dp_sorted_keys(open, &na);
  for (size_t i = 0; i < na && ok; i++)
    ok = reconcile(st, reg, key, json_object_get(open, addrs[i]), err, errlen);
  free(addrs);
  json_decref(open);
  json_decref(entries);
  if (!ok)
    return false;
  if (state_path && !state_save(st, state_path, key, err, errlen))
    return false;
  Journal j;
  if (!journal_open(&j, journal_path, 0, err, errlen))
    return false;
  ok = journal_clear(&j, err, errlen);
  journal_close(&j);
  return ok;
}
