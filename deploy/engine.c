/* The deploy engine (see engine.h): one locked run on one stack. */
#include "deploy/engine.h"

#include <malloc.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/arena.h"
#include "deploy/values.h"
#include "deploy/util.h"

/* Planning stops growing the set of changing resources after this many rounds (it only
 * grows, so it ends anyway; this bounds the work on a long chain). */
#define PLAN_MAX_ROUNDS 16

static void free_strs(char **v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* The VM's oracle: an output of a resource the state knows, unless it is about to change. */
static bool known_output(void *ud, Rt *rt, const char *addr, const char *prop, Val *out) {
  Engine *e = ud;
  if (dp_in_sorted(e->changing, e->nchanging, addr))
    return false;
  StateRes *r = state_find(&e->st, addr);
  if (!r || r->sealed)
    return false;
  json_t *v = json_object_get(r->outputs, prop);
  if (!v)
    return false;
  *out = dv_from_json(rt, v);
  char path[512];
  snprintf(path, sizeof path, "outputs.%s", prop);
  if (state_res_is_secret(r, path))
    *out = val_mark_secret(*out);
  return true;
}

static void build_vmcfg(Engine *e) {
  uint32_t n = (uint32_t)json_object_size(e->config.values) + e->opt.noverrides;
  e->vmcfg = plat_xcalloc(n ? n : 1, sizeof *e->vmcfg);
  const char *k;
  json_t *v;
  json_object_foreach(e->config.values, k, v) {
    bool overridden = false;
    for (uint32_t i = 0; i < e->opt.noverrides && !overridden; i++)
      overridden = strcmp(e->opt.overrides[i].name, k) == 0;
    const char *text = json_string_value(json_object_get(v, "value"));
    if (overridden || !text)
      continue;
    e->vmcfg[e->nvmcfg].name = k;
    e->vmcfg[e->nvmcfg].text = text;
    e->nvmcfg++;
  }
  for (uint32_t i = 0; i < e->opt.noverrides; i++)
    e->vmcfg[e->nvmcfg++] = e->opt.overrides[i];
}

void engine_tune_malloc(void) {
  /* A run on a large stack allocates and frees millions of small JSON values and strings:
     glibc's fast bins then make every larger malloc or free merge them all
     (malloc_consolidate was 18% of a no-change plan of 100,000 resources; without fast
     bins, 2.08 -> 1.74 s), and glibc raises its mmap threshold each time a large block is
     freed, after which large blocks live in the heap and freeing keeps merging (a fifth of
     the same plan): fixed at its default it stays put.  For the process, deploy commands
     only. */
  mallopt(M_MXFAST, 0);
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

/* ---- reading the state ahead ------------------------------------------------------- */
static bool same_file(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void *prefetch_run(void *arg) {
  EnginePrefetch *pf = arg;
  Stack s;
  if (!stack_peek(&s, pf->root, pf->stack))
    return NULL;
  /* Only what reading makes nothing for: an existing state and an existing key file (or
     salt, with a passphrase); crypt_key_load would make a missing one. */
  const char *pass = getenv("PLAT_PASSPHRASE");
  struct stat before, after;
  char err[512];
  bool exists = false;
  if (stat(s.state_path, &before) == 0 && S_ISREG(before.st_mode) &&
      access(pass && *pass ? s.salt_path : s.key_path, F_OK) == 0 &&
      (pf->have_key = stack_key(&s, NULL, &pf->key, err, sizeof err))) {
    if (state_load(&pf->st, s.state_path, s.name, &pf->key, &exists, err, sizeof err) && exists &&
        stat(s.state_path, &after) == 0 && same_file(&before, &after)) {
      pf->ok = true;
      pf->id = after;
    } else {
      state_free(&pf->st);
    }
  }
  stack_free(&s);
  return NULL;
}

void engine_prefetch_start(EnginePrefetch *pf, const char *root, const char *stack) {
  memset(pf, 0, sizeof *pf);
  pf->root = plat_xstrdup(root);
  pf->stack = stack ? plat_xstrdup(stack) : NULL;
  /* Without a thread the state is read in engine_open as always. */
  pf->started = pthread_create(&pf->thread, NULL, prefetch_run, pf) == 0;
}

void engine_prefetch_wait(EnginePrefetch *pf) {
  if (pf->started)
    pthread_join(pf->thread, NULL);
  pf->started = false;
}

void engine_prefetch_end(EnginePrefetch *pf) {
  engine_prefetch_wait(pf);
  if (pf->ok)
    state_free(&pf->st);
  pf->ok = false;
  crypt_wipe(&pf->key, sizeof pf->key);
  free(pf->root);
  free(pf->stack);
  pf->root = pf->stack = NULL;
}

/* The state engine_open reads: the one read ahead when it is still the file on disk (the
 * lock is held now) and was opened with the same key, else read now. */
static bool load_state(Engine *e, EnginePrefetch *pf, char *err, size_t errlen) {
  if (pf) {
    engine_prefetch_wait(pf);
    struct stat now;
    if (pf->ok && stat(e->stack.state_path, &now) == 0 && same_file(&pf->id, &now) &&
        strcmp(pf->st.stack, e->stack.name) == 0 &&
        CRYPTO_memcmp(pf->key.k, e->key.k, sizeof pf->key.k) == 0) {
      e->st = pf->st;
      memset(&pf->st, 0, sizeof pf->st);
      pf->ok = false;
      return true;
    }
  }
  bool exists;
  return state_load(&e->st, e->stack.state_path, e->stack.name, &e->key, &exists, err, errlen);
}

bool engine_open(Engine *e, const BcModule *mod, const EngineOptions *opt, char *err,
                 size_t errlen) {
  engine_tune_malloc();
  memset(e, 0, sizeof *e);
  e->opt = *opt;
  e->mod = mod;
  e->lock.fd = -1;
  if (!stack_open(&e->stack, opt->root, opt->stack, false, err, errlen))
    return false;
  if (!lock_acquire(&e->lock, e->stack.lock_path, opt->operation ? opt->operation : "run",
                    e->warning, sizeof e->warning, err, errlen))
    goto fail;
  /* A state save a killed run left half-written (state_save's temp file): never read,
     removed now that the lock says nobody else is writing it. */
  size_t slen = strlen(e->stack.state_path) + 8;
  char *stale = plat_xmalloc(slen);
  snprintf(stale, slen, "%s.tmp", e->stack.state_path);
  (void)unlink(stale);
  free(stale);
  /* The read-ahead's key when it came from the same passphrase and salt: scrypt is slow
     on purpose, and a small stack's plan would otherwise spend most of its time on it. */
  const CryptKey *known = NULL;
  if (opt->prefetch) {
    engine_prefetch_wait(opt->prefetch);
    if (opt->prefetch->have_key)
      known = &opt->prefetch->key;
  }
  if (!stack_key(&e->stack, known, &e->key, err, errlen))
    goto fail;
  e->have_key = true;
  if (!config_load(&e->stack, &e->key, &e->config, err, errlen))
    goto fail;
  build_vmcfg(e);
  if (!load_state(e, opt->prefetch, err, errlen))
    goto fail;
  ProvConfig pc = { 0 };
  if (opt->providers)
    pc = *opt->providers;
  /* Providers resolve relative paths against the project folder, as an absolute path so
     that nothing depends on the process's current folder. */
  char *absroot = realpath(opt->root, NULL);
  if (!pc.project_root)
    pc.project_root = absroot ? absroot : opt->root;
  e->reg = prov_registry_new(&pc);
  free(absroot);
  /* A journal left by a run that did not finish: fold it in before anything else. */
  if (!apply_recover(&e->st, e->reg, &e->key, e->stack.journal_path, e->stack.state_path,
                     &e->recovered, err, errlen))
    goto fail;
  if (e->recovered) {
    /* After a lock takeover too: both are worth saying. */
    size_t used = strlen(e->warning);
    snprintf(e->warning + used, sizeof e->warning - used, "%sthe last run on stack '%s' did "
             "not finish: %u journal entries were reconciled with what exists",
             used ? "; " : "", e->stack.name, e->recovered);
  }
  return true;
fail:
  engine_close(e);
  return false;
}

static void drop_eval(Vm **vm, Graph *g, bool *have) {
  if (*have)
    graph_free(g);
  *have = false;
  if (*vm)
    vm_free(*vm);
  *vm = NULL;
}

void engine_close(Engine *e) {
  drop_eval(&e->vm, &e->g, &e->have_graph);
  if (e->reg)
    prov_registry_free(e->reg);
  e->reg = NULL;
  state_free(&e->st);
  if (e->config.values)
    config_free(&e->config);
  free(e->vmcfg);
  e->vmcfg = NULL;
  free_strs(e->changing, e->nchanging);
  e->changing = NULL;
  e->nchanging = 0;
  if (e->lock.fd >= 0)
    lock_release(&e->lock);
  crypt_wipe(&e->key, sizeof e->key);
  stack_free(&e->stack);
}

void engine_close_at_exit(Engine *e) {
#ifdef PLAT_ASAN
  engine_close(e);
#else
  /* External providers are child processes: they are asked to stop and reaped. */
  if (e->reg)
    prov_registry_free(e->reg);
  e->reg = NULL;
  if (e->lock.fd >= 0)
    lock_release(&e->lock);
  e->lock.fd = -1;
  crypt_wipe(&e->key, sizeof e->key);
#endif
}

static bool eval_into(Engine *e, Vm **vm, Graph *g, bool *have, VmError *verr) {
  drop_eval(vm, g, have);
  VmOptions o = { 0 };
  if (e->opt.vm)
    o = *e->opt.vm;
  o.config = e->vmcfg;
  o.nconfig = e->nvmcfg;
  o.known_output = known_output;
  o.ud = e;
  *vm = vm_new(e->mod, &o);
  graph_init(g, vm_rt(*vm));
  *have = true;
  return vm_run(*vm, g, verr);
}

bool engine_eval(Engine *e) {
  e->vm_failed = !eval_into(e, &e->vm, &e->g, &e->have_graph, &e->verr);
  return !e->vm_failed;
}

static void plan_fail(Plan *out, const Engine *e, const char *what) {
  memset(out, 0, sizeof *out);
  out->stack = plat_xstrdup(e->stack.name);
  out->lineage = plat_xstrdup(e->st.lineage);
  out->serial = e->st.serial;
  out->errors = plat_xmalloc(sizeof *out->errors);
  out->errors[0] = plat_xstrdup(what);
  out->nerrors = 1;
}

bool engine_plan(Engine *e, const PlanOptions *popt, bool destroy, Plan *out) {
  free_strs(e->changing, e->nchanging);
  e->changing = NULL;
  e->nchanging = 0;
  if (!e->mod) {
    plan_fail(out, e, "no program to plan");
    return false;
  }
  for (int round = 0;; round++) {
    if (!engine_eval(e)) {
      char msg[RT_ERRMAX + 300];
      snprintf(msg, sizeof msg, "%s%s%s", e->verr.loc, e->verr.loc[0] ? ": " : "", e->verr.msg);
      plan_fail(out, e, msg);
      return false;
    }
    if (destroy) {
      Graph empty;
      graph_init(&empty, vm_rt(e->vm));
      empty.source_hash = e->g.source_hash;
      bool ok = plan_make(&empty, &e->st, e->reg, popt, out);
      graph_free(&empty);
      for (uint32_t i = 0; i < out->nitems; i++) {
        uint32_t n = graph_find(&e->g, out->items[i].address);
        if (n != GN_NONE && e->g.nodes[n].protect) {
          char *m = plat_xmalloc(strlen(out->items[i].address) + 120);
          sprintf(m, "%s is protected (@protect) and would be destroyed; remove @protect "
                  "first if that is what you want", out->items[i].address);
          out->errors = plat_xrealloc(out->errors, (out->nerrors + 1) * sizeof *out->errors);
          out->errors[out->nerrors++] = m;
          ok = false;
        }
      }
      return ok;
    }
    bool ok = plan_make(&e->g, &e->st, e->reg, popt, out);
    /* Resources about to be updated or replaced: what reads their outputs waits for them.
       The plan's addresses are distinct, so only the ones known before need a search;
       the list is kept sorted for dp_in_sorted. */
    uint32_t before = e->nchanging;
    e->changing = plat_xrealloc(e->changing,
                                ((size_t)before + out->nitems + 1) * sizeof *e->changing);
    for (uint32_t i = 0; i < out->nitems; i++) {
      const PlanItem *it = &out->items[i];
      if ((it->action == PA_UPDATE || it->action == PA_REPLACE) &&
          !dp_in_sorted(e->changing, before, it->address))
        e->changing[e->nchanging++] = plat_xstrdup(it->address);
    }
    bool grew = e->nchanging > before;
    dp_sort_strs(e->changing, e->nchanging);
    if (!grew || round >= PLAN_MAX_ROUNDS)
      return ok;
    plan_free(out);
  }
}

/* The re-evaluation apply asks for: a second VM and graph, so the plan's graph stays valid. */
typedef struct Reeval {
  Engine *e;
  Vm *vm;
  Graph g;
  bool have;
  VmError verr;
} Reeval;

static const Graph *reeval(void *ud, const State *st, char *err, size_t errlen) {
  Reeval *r = ud;
  (void)st;   /* the engine's own state: apply updates it in place */
  free_strs(r->e->changing, r->e->nchanging);
  r->e->changing = NULL;
  r->e->nchanging = 0;
  if (!eval_into(r->e, &r->vm, &r->g, &r->have, &r->verr)) {
    snprintf(err, errlen, "%s%s%s", r->verr.loc, r->verr.loc[0] ? ": " : "", r->verr.msg);
    return NULL;
  }
  return &r->g;
}

/* The root outputs of [g] into the state (deploy-time ones that are still unknown are
 * left out). */
static void store_outputs(State *st, const Graph *g) {
  json_decref(st->outputs);
  st->outputs = json_object();
  free_strs(st->secret_outputs, st->nsecret_outputs);
  st->secret_outputs = NULL;
  st->nsecret_outputs = 0;
  if (g->outputs.tag != VT_MAP)
    return;
  const VMap *m = g->outputs.as.m;
  for (uint32_t i = 0; i < m->n; i++) {
    bool unknown = false;
    json_t *j = dv_to_json(m->e[i].val, &unknown);
    if (unknown) {
      json_decref(j);
      continue;
    }
    json_object_set_new(st->outputs, m->e[i].key->s, j);
    if (val_has_secret(m->e[i].val)) {
      st->secret_outputs = plat_xrealloc(st->secret_outputs,
                                         (st->nsecret_outputs + 1) * sizeof *st->secret_outputs);
      st->secret_outputs[st->nsecret_outputs++] = plat_xstrdup(m->e[i].key->s);
    }
  }
}

/* Evaluate the program with everything the state knows and store its root outputs in the
 * state (not saved); *changed tells whether they differ from the stored ones.  False with
 * [err] on a runtime error (the outputs are then left as they were). */
static bool eval_outputs(Engine *e, bool *changed, char *err, size_t errlen) {
  *changed = false;
  free_strs(e->changing, e->nchanging);
  e->changing = NULL;
  e->nchanging = 0;
  Vm *vm = NULL;
  Graph g;
  bool have = false;
  VmError verr;
  if (!eval_into(e, &vm, &g, &have, &verr)) {
    snprintf(err, errlen, "%s%s%s", verr.loc, verr.loc[0] ? ": " : "", verr.msg);
    drop_eval(&vm, &g, &have);
    return false;
  }
  json_t *old = json_incref(e->st.outputs);
  char **old_secret = e->st.secret_outputs;
  uint32_t nold_secret = e->st.nsecret_outputs;
  e->st.secret_outputs = NULL;   /* store_outputs frees the list it replaces */
  e->st.nsecret_outputs = 0;
  store_outputs(&e->st, &g);
  *changed = !json_equal(old, e->st.outputs) || nold_secret != e->st.nsecret_outputs;
  for (uint32_t i = 0; i < nold_secret && !*changed; i++)
    *changed = strcmp(old_secret[i], e->st.secret_outputs[i]) != 0;
  json_decref(old);
  free_strs(old_secret, nold_secret);
  drop_eval(&vm, &g, &have);
  return true;
}

bool engine_apply(Engine *e, const Plan *plan, const ApplyOptions *aopt, ApplyResult *out) {
  Journal j;
  char err[600];
  if (!journal_open(&j, e->stack.journal_path, 0, err, sizeof err)) {
    memset(out, 0, sizeof *out);
    out->error = plat_xstrdup(err);
    return false;
  }
  Reeval re;
  memset(&re, 0, sizeof re);
  re.e = e;
  ApplyOptions o = *aopt;
  o.key = &e->key;
  o.state_path = e->stack.state_path;
  o.journal = &j;
  o.reeval = reeval;
  o.reeval_ud = &re;
  o.caller_saves = true;
  bool ok = apply_plan(plan, &e->g, &e->st, e->reg, &o, out);
  drop_eval(&re.vm, &re.g, &re.have);
  /* The outputs, now that everything the program reads exists, saved with the results
     in one write of the state (even when the outputs cannot be evaluated: the results
     must be kept); the journal is cleared only once that save is on disk. */
  bool changed;
  (void)eval_outputs(e, &changed, err, sizeof err);
  out->state_saved = state_save(&e->st, e->stack.state_path, &e->key, err, sizeof err);
  if (!out->state_saved) {
    if (!out->error)
      out->error = plat_xstrdup(err);
    ok = false;
  } else if (!out->journal_failed) {
    (void)journal_clear(&j, err, sizeof err);   /* a journal left is only folded in again */
  }
  journal_close(&j);
  return ok;
}

bool engine_update_outputs(Engine *e, bool *changed, char *err, size_t errlen) {
  if (!eval_outputs(e, changed, err, errlen))
    return false;
  return !*changed || state_save(&e->st, e->stack.state_path, &e->key, err, errlen);
}

bool engine_refresh(Engine *e, const PlanOptions *popt, bool dry, Drift **drift,
                    uint32_t *ndrift, char *err, size_t errlen) {
  *drift = NULL;
  *ndrift = 0;
  /* Addresses first, in order: the loop below edits the state. */
  state_sort(&e->st);
  uint32_t n = e->st.nres;
  char **addrs = plat_xcalloc(n ? n : 1, sizeof *addrs);
  for (uint32_t i = 0; i < n; i++)
    addrs[i] = plat_xstrdup(e->st.res[i].address);
  bool ok = true;
  for (uint32_t i = 0; i < n && ok; i++) {
    if (!plan_targeted(popt, addrs[i]))
      continue;
    StateRes *r = state_find(&e->st, addrs[i]);
    char *perr = NULL;
    Provider *pv = prov_open(e->reg, r->provider, NULL, &perr);
    if (!pv) {
      snprintf(err, errlen, "%s: %s", r->address, perr ? perr : "no provider");
      free(perr);
      ok = false;
      break;
    }
    ProvReq q = { 0 };
    q.type = dp_short_type(r->type, r->provider);
    q.address = r->address;
    q.id = r->id;
    q.inputs = r->inputs;
    q.outputs = r->outputs;
    ProvRes res = { 0 };
    ProvStatus s = prov_call(pv, PROV_READ, &q, &res);
    if (s == PROV_GONE) {
      *drift = plat_xrealloc(*drift, (*ndrift + 1) * sizeof **drift);
      (*drift)[(*ndrift)++] = (Drift){ plat_xstrdup(r->address), true, json_array() };
      state_remove(&e->st, r->address);
    } else if (s == PROV_OK) {
      json_t *changed = json_array();
      const char *k;
      json_t *v;
      if (res.inputs)
        json_object_foreach(res.inputs, k, v) {
          json_t *old = json_object_get(r->inputs, k);
          if (!old || !json_equal(old, v))
            json_array_append_new(changed, json_string(k));
        }
      if (res.outputs)
        json_object_foreach(res.outputs, k, v) {
          json_t *old = json_object_get(r->outputs, k);
          if (!old || !json_equal(old, v))
            json_array_append_new(changed, json_string(k));
        }
      if (json_array_size(changed)) {
        *drift = plat_xrealloc(*drift, (*ndrift + 1) * sizeof **drift);
        (*drift)[(*ndrift)++] = (Drift){ plat_xstrdup(r->address), false, changed };
        if (res.inputs)
          json_object_update(r->inputs, res.inputs);
        if (res.outputs)
          json_object_update(r->outputs, res.outputs);
      } else {
        json_decref(changed);
      }
    } else {
      snprintf(err, errlen, "%s", res.message ? res.message : "read failed");
      ok = false;
    }
    prov_res_free(&res);
  }
  free_strs(addrs, n);
  if (ok && !dry && *ndrift)
    ok = state_save(&e->st, e->stack.state_path, &e->key, err, errlen);
  return ok;
}

void engine_drift_free(Drift *d, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    free(d[i].address);
    json_decref(d[i].changed);
  }
  free(d);
}

bool engine_import(Engine *e, const char *address, const char *id, char *err, size_t errlen) {
  if (state_find(&e->st, address)) {
    snprintf(err, errlen, "%s is already in the state of stack '%s'", address, e->stack.name);
    return false;
  }
  if (!engine_eval(e)) {
    snprintf(err, errlen, "%s%s%s", e->verr.loc, e->verr.loc[0] ? ": " : "", e->verr.msg);
    return false;
  }
  uint32_t n = graph_find(&e->g, address);
  if (n == GN_NONE || e->g.nodes[n].kind != GN_RESOURCE) {
    snprintf(err, errlen, "the program declares no resource at %s; declare it first, then "
             "import", address);
    return false;
  }
  const GNode *node = &e->g.nodes[n];
  char *perr = NULL;
  Provider *pv = prov_open(e->reg, node->provider, NULL, &perr);
  if (!pv) {
    snprintf(err, errlen, "%s: %s", address, perr ? perr : "no provider");
    free(perr);
    return false;
  }
  ProvReq q = { 0 };
  q.type = dp_short_type(node->type, node->provider);
  q.address = address;
  q.id = id;
  ProvRes res = { 0 };
  ProvStatus s = prov_call(pv, PROV_READ, &q, &res);
  if (s != PROV_OK) {
    snprintf(err, errlen, "%s", s == PROV_GONE ? "nothing exists with that id" :
             res.message ? res.message : "read failed");
    prov_res_free(&res);
    return false;
  }
  StateRes r = { 0 };
  r.address = plat_xstrdup(address);
  r.type = plat_xstrdup(node->type);
  r.provider = plat_xstrdup(node->provider);
  r.id = plat_xstrdup(res.id ? res.id : id);
  r.inputs = res.inputs ? json_incref(res.inputs) : json_object();
  r.outputs = res.outputs ? json_incref(res.outputs) : json_object();
  uint32_t ns = (uint32_t)json_array_size(res.secrets);
  r.secret = plat_xcalloc(ns ? ns : 1, sizeof *r.secret);
  size_t i;
  json_t *v;
  json_array_foreach(res.secrets, i, v) {
    char path[512];
    snprintf(path, sizeof path, "outputs.%s", json_string_value(v));
    r.secret[r.nsecret++] = plat_xstrdup(path);
  }
  state_put(&e->st, &r);
  prov_res_free(&res);
  return state_save(&e->st, e->stack.state_path, &e->key, err, errlen);
}

bool engine_save(Engine *e, char *err, size_t errlen) {
  return state_save(&e->st, e->stack.state_path, &e->key, err, errlen);
}
