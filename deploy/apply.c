/* The executor (see apply.h).  The calling thread schedules: it owns the state, resolves
 * deploy-time inputs, writes the begin entries of the next ready steps a window at a time
 * and the end entries of finished ones, and reacts to completions; a pool of worker
 * threads runs provider operations, each only once its begin entry is on disk (a flusher
 * thread flushes each window as it is written).  Calls into an external provider are
 * serialised (one child process, one conversation); built-in ones run in parallel. */
#include "deploy/apply.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/arena.h"
#include "deploy/values.h"
#include "deploy/util.h"

#define SAVE_EVERY_MS 2000
#define NOTE_END 0x80000000u   /* above any step index: 2^31 steps would not fit in memory */

/* Ready steps are taken off the heap a window at a time and their begin entries written
   together (SS_STAGED) before any of them is handed to a worker (SS_RUN). */
typedef enum StepState { SS_WAIT, SS_READY, SS_STAGED, SS_RUN, SS_DONE, SS_FAIL, SS_SKIP } StepState;

typedef struct Step {
  const PlanItem *item;
  const GNode *node;         /* in the original graph; NULL for deletes */
  PlanAction action;         /* may change when inputs are resolved */
  StepState state;
  uint32_t waiting;          /* prerequisites not yet done */
  uint32_t *succ; uint32_t nsucc, capsucc;
  bool unknown;              /* inputs wait for deploy-time values */
  bool staged;               /* its first operation's begin entry is written, as begin_seq */
  uint64_t begin_seq;
  /* prepared on the calling thread before the step runs */
  Provider *pv;
  const char *ptype;         /* the type inside the provider: File */
  json_t *inputs;            /* desired inputs (create/update/replace) */
  json_t *secret_inputs;     /* names */
  char **deps; uint32_t ndeps;  /* addresses the new resource depends on */
  char *old_id;
  json_t *old_inputs, *old_outputs;
  char **old_secret; uint32_t nold_secret;
  /* results, written by the worker */
  ProvStatus status;
  char *message;
  char *id;
  json_t *outputs;
  json_t *out_secrets;       /* names of secret outputs */
  bool deleted;              /* a replace's delete went through */
  json_t *end;               /* the last operation's end entry, for the calling thread to
                                write with the others that ended meanwhile */
  double seconds;
} Step;

/* A min-heap of keys: a step's index (the lowest step, i.e. address, first, as the plan
 * lists them), above which the staged heap puts the window's number (see stage). */
typedef struct Heap {
  uint64_t *v;
  uint32_t n;
} Heap;

typedef struct Exec {
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  /* Steps handed to the workers, first in first out (a step enters once: wq_head is
     the next to take); notes tell the calling thread, in order, which started (a step
     index) and which ended (the index with NOTE_END). */
  uint32_t *workq; uint32_t wq_head, wq_n;
  uint32_t *notes; uint32_t nnotes;
  uint32_t *seen;            /* building edges: see edge_into */
  bool stop;
  pthread_mutex_t jmu;       /* jfail and jerr */
  /* The flusher: a thread that starts the flush of each staged window as soon as it is
     written (fwant: flush the journal up to there), so workers reaching the window find
     it on disk instead of all waiting for one flush. */
  pthread_mutex_t fmu;
  pthread_cond_t fcv;
  uint64_t fwant;
  bool fstop;
  pthread_mutex_t ext_mu;    /* external providers, one call at a time */
  Step *steps; uint32_t nsteps;
  /* The calling thread's: ready steps with known inputs, staged steps (their begin
     entries written, not yet handed to a worker), and ready steps waiting for a
     re-evaluation. */
  Heap ready, staged;
  uint64_t windows;          /* windows staged so far */
  bool strict;               /* one operation at a time: lowest ready step first */
  uint32_t *unk; uint32_t nunk;
  const ApplyOptions *opt;
  const char *lineage;
  char jerr[512];
  bool jfail;
} Exec;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- journal entries ---------------------------------------------------------------- */
/* A copy of [obj] with the members named in [names] (or whose "prefix.name" is in
 * [paths]) sealed for [address]. */
static json_t *seal_members(const Exec *x, const char *address, const json_t *obj,
                            const char *prefix, const json_t *names, char *const *paths,
                            uint32_t npaths) {
  if (!obj)
    return json_object();
  if (!json_array_size(names) && !npaths)
    return json_incref((json_t *)obj);   /* nothing to seal: the entry only reads it */
  json_t *out = json_deep_copy(obj);
  const char *k;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(out, tmp, k, v) {
    char path[512];
    snprintf(path, sizeof path, "%s.%s", prefix, k);
    bool secret = (names && dp_json_has_str(names, k));
    for (uint32_t i = 0; i < npaths && !secret; i++)
      secret = strcmp(paths[i], path) == 0;
    if (!secret)
      continue;
    json_t *s = x->opt->key ? state_seal(x->opt->key, x->lineage, address, path, v) : NULL;
    /* Without a key a secret is dropped from the journal rather than written in clear:
       recovery then asks the provider. */
    if (s)
      json_object_set_new(out, k, s);
    else
      json_object_del(out, k);
  }
  return out;
}

static void journal_failed(Exec *x, const char *err) {
  pthread_mutex_lock(&x->jmu);
  if (!x->jfail) {
    x->jfail = true;
    snprintf(x->jerr, sizeof x->jerr, "%s", err);
  }
  pthread_mutex_unlock(&x->jmu);
}

/* Append the [n] entries [es] (consumed) in one write; with [sync], wait until the last
 * is on disk.  False with [err]. */
static bool journal_put(Exec *x, json_t **es, size_t n, bool sync, char *err, size_t errlen) {
  Journal *j = x->opt->journal;
  bool ok = true;
  uint64_t seq;
  if (j && n) {
    ok = journal_add(j, es, n, &seq, err, errlen) &&
         (!sync || journal_wait(j, seq + n - 1, err, errlen));
    if (!ok)
      journal_failed(x, err);
  }
  for (size_t i = 0; i < n; i++)
    json_decref(es[i]);
  return ok;
}

static const char *op_word(ProvOp op) {
  return op == PROV_CREATE ? "create" : op == PROV_UPDATE ? "update" : "delete";
}

/* The first operation of step [s]: a replace deletes first unless created before
 * destroyed. */
static ProvOp first_op(const Step *s) {
  switch (s->action) {
  case PA_UPDATE: return PROV_UPDATE;
  case PA_DELETE: return PROV_DELETE;
  case PA_REPLACE: return s->item->create_before_destroy ? PROV_CREATE : PROV_DELETE;
  default: return PROV_CREATE;
  }
}

/* The begin entry of operation [op] of step [s]. */
static json_t *begin_entry(const Exec *x, const Step *s, ProvOp op) {
  const PlanItem *it = s->item;
  json_t *b = json_object();
  json_object_set_new(b, "phase", json_string("begin"));
  json_object_set_new(b, "op", json_string(op_word(op)));
  json_object_set_new(b, "address", json_string(it->address));
  json_object_set_new(b, "type", json_string(it->type));
  json_object_set_new(b, "provider", json_string(it->provider));
  if (op != PROV_CREATE && s->old_id)
    json_object_set_new(b, "id", json_string(s->old_id));
  if (op == PROV_DELETE)
    json_object_set_new(b, "inputs", seal_members(x, it->address, s->old_inputs, "inputs", NULL,
                                                  s->old_secret, s->nold_secret));
  else
    json_object_set_new(b, "inputs", seal_members(x, it->address, s->inputs, "inputs",
                                                  s->secret_inputs, NULL, 0));
  return b;
}

/* One journaled provider operation of step [s]; false when it failed.  It starts only
 * once its begin entry is on disk: written here, or staged by the calling thread (the
 * step's first operation), and then waited for. */
static bool run_op(Exec *x, Step *s, ProvOp op) {
  const PlanItem *it = s->item;
  char jerr[512];
  bool begun;
  if (s->staged) {
    s->staged = false;
    begun = journal_wait(x->opt->journal, s->begin_seq, jerr, sizeof jerr);
    if (!begun)
      journal_failed(x, jerr);
  } else {
    /* A replace's second operation: the first one's end goes first, in the same write. */
    json_t *es[2];
    size_t n = 0;
    if (s->end)
      es[n++] = s->end;
    s->end = NULL;
    es[n++] = begin_entry(x, s, op);
    begun = journal_put(x, es, n, true, jerr, sizeof jerr);
  }
  if (!begun) {
    s->status = PROV_ERROR;
    s->message = dp_printf("%s: not started: %s", it->address, jerr);
    return false;
  }

  ProvReq q = { 0 };
  q.type = s->ptype;
  q.address = it->address;
  if (op == PROV_CREATE) {
    q.inputs = s->inputs;
  } else {
    q.id = s->old_id;
    q.inputs = s->old_inputs;
    q.outputs = s->old_outputs;
    q.new_inputs = op == PROV_UPDATE ? s->inputs : NULL;
  }
  q.secret_inputs = op == PROV_DELETE ? NULL : s->secret_inputs;
  ProvRes res = { 0 };
  bool ext = prov_executable(s->pv) != NULL;
  if (ext)
    pthread_mutex_lock(&x->ext_mu);
  ProvStatus st = prov_call(s->pv, op, &q, &res);
  if (ext)
    pthread_mutex_unlock(&x->ext_mu);

  json_t *e = json_object();
  json_object_set_new(e, "phase", json_string("end"));
  json_object_set_new(e, "op", json_string(op_word(op)));
  json_object_set_new(e, "address", json_string(it->address));
  json_object_set_new(e, "status", json_string(st == PROV_OK ? "ok" : prov_status_name(st)));
  if (st == PROV_OK && op != PROV_DELETE) {
    const char *id = res.id ? res.id : s->old_id;
    json_object_set_new(e, "id", json_string(id ? id : ""));
    json_object_set_new(e, "type", json_string(it->type));
    json_object_set_new(e, "provider", json_string(it->provider));
    json_object_set_new(e, "inputs", seal_members(x, it->address, s->inputs, "inputs",
                                                  s->secret_inputs, NULL, 0));
    json_object_set_new(e, "outputs", seal_members(x, it->address, res.outputs, "outputs",
                                                   res.secrets, NULL, 0));
    json_t *sec = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(s->secret_inputs, i, v)
      json_array_append_new(sec, json_pack("s+", "inputs.", json_string_value(v)));
    json_array_foreach(res.secrets, i, v)
      json_array_append_new(sec, json_pack("s+", "outputs.", json_string_value(v)));
    json_object_set_new(e, "secret", sec);
    json_t *deps = json_array();
    for (uint32_t d = 0; d < s->ndeps; d++)
      json_array_append_new(deps, json_string(s->deps[d]));
    json_object_set_new(e, "dependencies", deps);
  }
  s->end = e;     /* written by the calling thread, or before a second operation */

  if (st != PROV_OK) {
    s->status = st;
    s->message = plat_xstrdup(res.message ? res.message : prov_status_name(st));
    prov_res_free(&res);
    return false;
  }
  if (op == PROV_DELETE)
    s->deleted = true;
  if (op != PROV_DELETE) {
    free(s->id);
    s->id = plat_xstrdup(res.id ? res.id : (s->old_id ? s->old_id : ""));
    json_decref(s->outputs);
    s->outputs = res.outputs ? json_incref(res.outputs) : json_object();
    json_decref(s->out_secrets);
    s->out_secrets = res.secrets ? json_incref(res.secrets) : json_array();
  }
  prov_res_free(&res);
  return true;
}

static void run_step(Exec *x, Step *s) {
  double t0 = now_s();
  s->status = PROV_OK;
  switch (s->action) {
  case PA_CREATE: run_op(x, s, PROV_CREATE); break;
  case PA_UPDATE: run_op(x, s, PROV_UPDATE); break;
  case PA_DELETE: run_op(x, s, PROV_DELETE); break;
  case PA_REPLACE:
    if (s->item->create_before_destroy) {
      /* The new one first: what depends on it never sees it missing. */
      if (run_op(x, s, PROV_CREATE))
        run_op(x, s, PROV_DELETE);
    } else if (run_op(x, s, PROV_DELETE)) {
      run_op(x, s, PROV_CREATE);
    }
    break;
  default: break;
  }
  s->seconds = now_s() - t0;
}

static void *flusher(void *arg) {
  Exec *x = arg;
  uint64_t done = 0;
  pthread_mutex_lock(&x->fmu);
  for (;;) {
    while (!x->fstop && x->fwant <= done)
      pthread_cond_wait(&x->fcv, &x->fmu);
    if (x->fstop)
      break;
    uint64_t want = x->fwant;
    pthread_mutex_unlock(&x->fmu);
    char err[512];
    if (!journal_wait(x->opt->journal, want - 1, err, sizeof err))
      journal_failed(x, err);
    done = want;
    pthread_mutex_lock(&x->fmu);
  }
  pthread_mutex_unlock(&x->fmu);
  return NULL;
}

static void *worker(void *arg) {
  Exec *x = arg;
  pthread_mutex_lock(&x->mu);
  for (;;) {
    while (x->wq_head == x->wq_n && !x->stop)
      pthread_cond_wait(&x->work_cv, &x->mu);
    if (x->stop && x->wq_head == x->wq_n)
      break;
    uint32_t i = x->workq[x->wq_head++];
    x->notes[x->nnotes++] = i;
    pthread_cond_signal(&x->done_cv);
    pthread_mutex_unlock(&x->mu);
    run_step(x, &x->steps[i]);
    pthread_mutex_lock(&x->mu);
    x->notes[x->nnotes++] = i | NOTE_END;
    pthread_cond_signal(&x->done_cv);
  }
  pthread_mutex_unlock(&x->mu);
  return NULL;
}

/* ---- the calling thread ------------------------------------------------------------- */
/* Step [to] waits for step [from].  Each edge is added once without searching the
 * successors (one step read by 100,000 others made that quadratic): the edges into a
 * step are all added together, so x->seen[from] remembers the last step [from] was
 * linked into; edge_out_of is the same for the delete loop, which adds all the edges out
 * of one step together (x->seen[to]: the last step linked into [to]). */
static void add_edge(Exec *x, uint32_t from, uint32_t to) {
  Step *f = &x->steps[from];
  if (f->nsucc == f->capsucc) {
    f->capsucc = f->capsucc ? f->capsucc * 2 : 4;
    f->succ = plat_xrealloc(f->succ, (size_t)f->capsucc * sizeof *f->succ);
  }
  f->succ[f->nsucc++] = to;
  x->steps[to].waiting++;
}

static void edge_into(Exec *x, uint32_t from, uint32_t to) {
  if (from == to || x->seen[from] == to)
    return;
  x->seen[from] = to;
  add_edge(x, from, to);
}

static void edge_out_of(Exec *x, uint32_t from, uint32_t to) {
  if (from == to || x->seen[to] == from)
    return;
  x->seen[to] = from;
  add_edge(x, from, to);
}

/* A delete step found by the address it deletes. */
typedef struct DelIdx {
  const char *address;
  uint32_t step;
} DelIdx;

static int delidx_cmp(const void *a, const void *b) {
  return strcmp(((const DelIdx *)a)->address, ((const DelIdx *)b)->address);
}

static char **copy_strs(char *const *v, uint32_t n) {
  char **out = plat_xcalloc(n ? n : 1, sizeof *out);
  for (uint32_t i = 0; i < n; i++)
    out[i] = plat_xstrdup(v[i]);
  return out;
}

static void free_strs(char **v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

static void event(const ApplyOptions *opt, ApplyEventKind kind, const Step *s,
                  const char *msg, uint32_t running) {
  if (!opt->on_event)
    return;
  /* A step's start is told while its worker runs it: its time is not read then. */
  double secs = kind == AE_DONE || kind == AE_FAIL ? s->seconds : 0;
  ApplyEvent e = { kind, s->item->address, s->action, msg, secs, running };
  opt->on_event(opt->ud, &e);
}

/* Call [fn] for each node a deploy-time value inside [v] waits for.  The graph's
 * dependency lists should hold them all; reading them here too means a step never starts
 * before what its inputs wait for, whatever the graph says. */
static void each_ref(Val v, int depth, void (*fn)(void *ud, uint32_t node), void *ud) {
  if (depth > 2048)
    return;
  if (v.tag == VT_UNKNOWN) {
    for (uint32_t i = 0; i < v.as.u->n; i++)
      fn(ud, v.as.u->refs[i].node);
  } else if (v.tag == VT_LIST && (v.as.l->deep & VD_UNKNOWN)) {
    for (uint32_t i = 0; i < v.as.l->n; i++)
      each_ref(v.as.l->items[i], depth + 1, fn, ud);
  } else if (v.tag == VT_MAP && (v.as.m->deep & VD_UNKNOWN)) {
    for (uint32_t i = 0; i < v.as.m->n; i++)
      each_ref(v.as.m->e[i].val, depth + 1, fn, ud);
  }
}

typedef struct RefEdge {
  Exec *x;
  const Graph *g;
  const uint32_t *node_step;
  uint32_t to;
} RefEdge;

static void ref_edge(void *ud, uint32_t node) {
  RefEdge *re = ud;
  if (node < re->g->nnodes && re->node_step[node] != UINT32_MAX)
    edge_into(re->x, re->node_step[node], re->to);
}

/* The addresses a resource made from node [n] of [g] depends on, sorted. */
static char **node_deps(const Graph *g, const GNode *n, uint32_t *count) {
  uint32_t cap = n->ndeps + n->nexplicit, k = 0;
  char **v = plat_xcalloc(cap ? cap : 1, sizeof *v);
  for (uint32_t i = 0; i < n->ndeps + n->nexplicit; i++) {
    uint32_t d = i < n->ndeps ? n->deps[i] : n->explicit_deps[i - n->ndeps];
    if (d >= g->nnodes || g->nodes[d].kind != GN_RESOURCE)
      continue;
    v[k++] = plat_xstrdup(g->nodes[d].addr);
  }
  /* Sorted, then repeats dropped: no pairwise search (a resource reading 100,000 others
     would compare 10^10 pairs). */
  dp_sort_strs(v, k);
  uint32_t m = 0;
  for (uint32_t i = 0; i < k; i++) {
    if (m && strcmp(v[m - 1], v[i]) == 0)
      free(v[i]);
    else
      v[m++] = v[i];
  }
  *count = m;
  return v;
}

/* Inputs of [n] as JSON with the names of the secret ones; *unknown when some wait. */
static json_t *inputs_of(const GNode *n, json_t **secret, bool *unknown) {
  json_t *o = json_object();
  *secret = json_array();
  if (n->inputs.tag == VT_MAP)
    for (uint32_t i = 0; i < n->inputs.as.m->n; i++) {
      const VEntry *e = &n->inputs.as.m->e[i];
      json_object_set_new(o, e->key->s, dv_to_json(e->val, unknown));
      if (val_has_secret(e->val))
        json_array_append_new(*secret, json_string(e->key->s));
    }
  return o;
}

/* Keep the stored value of every @ignore_changes input in an update's new inputs. */
static void keep_ignored(Step *s, const GNode *n) {
  if (!s->old_inputs || !s->inputs)
    return;
  for (uint32_t i = 0; i < n->nignore; i++) {
    json_t *old = json_object_get(s->old_inputs, n->ignore_changes[i]);
    if (old)
      json_object_set(s->inputs, n->ignore_changes[i], old);
  }
}

/* Re-diff an update once its inputs are known: it may now change nothing, or need a
 * replacement.  False (with *msg) on failure. */
static bool rediff(Step *s, const GNode *n, char **msg) {
  if (json_equal(s->old_inputs, s->inputs)) {
    s->action = PA_NOOP;   /* as in plan.c: equal inputs differ in nothing */
    return true;
  }
  ProvReq q = { 0 };
  q.type = s->ptype;
  q.address = s->item->address;
  q.id = s->old_id;
  q.inputs = s->old_inputs;
  q.outputs = s->old_outputs;
  q.new_inputs = s->inputs;
  q.secret_inputs = s->secret_inputs;
  ProvRes res = { 0 };
  if (prov_call(s->pv, PROV_DIFF, &q, &res) != PROV_OK) {
    *msg = plat_xstrdup(res.message ? res.message : "diff failed");
    prov_res_free(&res);
    return false;
  }
  bool changed = false, replace = false;
  size_t i;
  json_t *e;
  json_array_foreach(res.changed, i, e) {
    const char *p = json_string_value(e);
    bool ignored = false;
    for (uint32_t k = 0; k < n->nignore; k++)
      ignored |= strcmp(n->ignore_changes[k], p) == 0;
    if (ignored)
      continue;
    changed = true;
    bool forced = dp_json_has_str(res.replaces, p);
    for (uint32_t k = 0; k < n->nreplace; k++)
      forced |= strcmp(n->replace_on_change[k], p) == 0;
    replace |= forced;
  }
  prov_res_free(&res);
  s->action = !changed ? PA_NOOP : replace ? PA_REPLACE : PA_UPDATE;
  if (s->action == PA_REPLACE && n->protect) {
    *msg = dp_printf("%s is protected (@protect) and would be replaced once its inputs are "
                   "known", s->item->address);
    return false;
  }
  return true;
}

/* Resolve the deploy-time inputs of [s] from graph [g2]; false (with *msg) if they are
 * still unknown or the resource is gone from the program. */
static bool resolve(Step *s, const Graph *g2, char **msg) {
  uint32_t ni = graph_find(g2, s->item->address);
  if (ni == GN_NONE) {
    *msg = dp_printf("%s: no longer in the program when re-evaluated", s->item->address);
    return false;
  }
  const GNode *n = &g2->nodes[ni];
  bool unknown = false;
  json_t *sec;
  json_t *in = inputs_of(n, &sec, &unknown);
  if (unknown) {
    *msg = dp_printf("%s: inputs are still unknown after everything it depends on was "
                   "deployed", s->item->address);
    json_decref(in);
    json_decref(sec);
    return false;
  }
  json_decref(s->inputs);
  json_decref(s->secret_inputs);
  s->inputs = in;
  s->secret_inputs = sec;
  s->unknown = false;
  if (s->action == PA_UPDATE || s->action == PA_REPLACE) {
    keep_ignored(s, s->node);
    if (s->action == PA_UPDATE)
      return rediff(s, s->node, msg);
  }
  return true;
}

/* Put the result of a successful create/update/replace into the state. */
static void record(State *st, const Step *s) {
  if (s->action == PA_DELETE) {
    state_remove(st, s->item->address);
    return;
  }
  StateRes r = { 0 };
  r.address = plat_xstrdup(s->item->address);
  r.type = plat_xstrdup(s->item->type);
  r.provider = plat_xstrdup(s->item->provider);
  r.id = plat_xstrdup(s->id ? s->id : "");
  /* Shared, not copied: nothing changes a step's inputs or outputs once it is done, and
     the state only replaces its entries whole. */
  r.inputs = json_incref(s->inputs);
  r.outputs = s->outputs ? json_incref(s->outputs) : json_object();
  r.deps = copy_strs(s->deps, s->ndeps);
  r.ndeps = s->ndeps;
  uint32_t ns = (uint32_t)(json_array_size(s->secret_inputs) + json_array_size(s->out_secrets));
  r.secret = plat_xcalloc(ns ? ns : 1, sizeof *r.secret);
  size_t i;
  json_t *v;
  json_array_foreach(s->secret_inputs, i, v)
    r.secret[r.nsecret++] = dp_printf("inputs.%s", json_string_value(v));
  json_array_foreach(s->out_secrets, i, v)
    r.secret[r.nsecret++] = dp_printf("outputs.%s", json_string_value(v));
  dp_sort_strs(r.secret, r.nsecret);
  state_put(st, &r);
}

/* ---- ready steps --------------------------------------------------------------------- */
static void heap_push(Heap *h, uint64_t v) {
  uint32_t i = h->n++;
  while (i > 0 && h->v[(i - 1) / 2] > v) {
    h->v[i] = h->v[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h->v[i] = v;
}

static uint64_t heap_pop(Heap *h) {
  uint64_t top = h->v[0], v = h->v[--h->n];
  uint32_t i = 0;
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= h->n)
      break;
    if (c + 1 < h->n && h->v[c + 1] < h->v[c])
      c++;
    if (h->v[c] >= v)
      break;
    h->v[i] = h->v[c];
    i = c;
  }
  if (h->n)
    h->v[i] = v;
  return top;
}

/* Take up to [room] ready steps off the heap, lowest first, and write their first
 * operations' begin entries in one write; the flusher starts one fdatasync for the whole
 * batch at once, and a worker waits for it (or leads one) before the operation: one flush
 * pays for many operations instead of each paying its own.  A step whose entry could not
 * be written is staged without one: its worker writes it and reports the error. */
static void stage(Exec *x, uint32_t room) {
  Journal *j = x->opt->journal;
  uint32_t *ids = plat_xmalloc((size_t)room * sizeof *ids);
  json_t **es = j ? plat_xmalloc((size_t)room * sizeof *es) : NULL;
  uint32_t k = 0;
  while (k < room && x->ready.n) {
    uint32_t i = (uint32_t)heap_pop(&x->ready);
    Step *s = &x->steps[i];
    if (s->state != SS_READY)
      continue;
    if (es)
      es[k] = begin_entry(x, s, first_op(s));
    ids[k++] = i;
  }
  uint64_t first, want = 0;
  char err[512];
  bool ok = j && k && journal_add(j, es, k, &first, err, sizeof err);
  for (uint32_t m = 0; m < k; m++) {
    Step *s = &x->steps[ids[m]];
    /* One at a time after a batch failed, so only an entry that cannot be encoded fails
       (a failed journal fails them all). */
    if (j && !ok && journal_add(j, &es[m], 1, &first, err, sizeof err)) {
      s->staged = true;
      s->begin_seq = first;
    } else if (ok) {
      s->staged = true;
      s->begin_seq = first + m;
    }
    if (s->staged && s->begin_seq + 1 > want)
      want = s->begin_seq + 1;
    if (es)
      json_decref(es[m]);
    s->state = SS_STAGED;
    /* Windows go in the order they were staged (the next one is being flushed while
       this one is dispatched), the lowest step first within one; with one operation at
       a time, the lowest step first. */
    heap_push(&x->staged, x->strict ? ids[m] : (x->windows << 32) | ids[m]);
  }
  x->windows++;
  if (want) {
    /* Have the window flushed now, while the last one is dispatched. */
    pthread_mutex_lock(&x->fmu);
    if (want > x->fwant)
      x->fwant = want;
    pthread_cond_signal(&x->fcv);
    pthread_mutex_unlock(&x->fmu);
  }
  free(es);
  free(ids);
}

/* Step [i] is ready once everything it waits for is done. */
static void make_ready(Exec *x, uint32_t i) {
  Step *s = &x->steps[i];
  if (s->state != SS_WAIT || s->waiting)
    return;
  s->state = SS_READY;
  if (s->unknown)
    x->unk[x->nunk++] = i;
  else
    heap_push(&x->ready, i);
}

/* [s] is done: what waited for it may be ready. */
static void release(Exec *x, const Step *s) {
  for (uint32_t k = 0; k < s->nsucc; k++) {
    x->steps[s->succ[k]].waiting--;
    make_ready(x, s->succ[k]);
  }
}

static void skip_after(Exec *x, uint32_t i, const char *why, ApplyResult *out,
                       uint32_t running, uint32_t *finished) {
  /* Iterative: the dependants of a failed step, and theirs. */
  uint32_t *stack = plat_xmalloc((size_t)(x->nsteps + 1) * sizeof *stack);
  uint32_t n = 0;
  stack[n++] = i;
  while (n) {
    Step *s = &x->steps[stack[--n]];
    for (uint32_t k = 0; k < s->nsucc; k++) {
      Step *t = &x->steps[s->succ[k]];
      if (t->state != SS_WAIT && t->state != SS_READY)
        continue;
      t->state = SS_SKIP;
      out->skipped++;
      (*finished)++;
      char *m = dp_printf("skipped: %s failed", why);
      event(x->opt, AE_SKIP, t, m, running);
      free(m);
      stack[n++] = s->succ[k];
    }
  }
  free(stack);
}

static bool save_state(Exec *x, State *st, ApplyResult *out) {
  if (!x->opt->state_path)
    return true;
  char err[600];
  if (!state_save(st, x->opt->state_path, x->opt->key, err, sizeof err)) {
    if (!out->error)
      out->error = plat_xstrdup(err);
    return false;
  }
  return true;
}

/* Rename state entries that `moved` declarations move, before anything runs. */
static void apply_moves(const Plan *plan, State *st) {
  for (uint32_t i = 0; i < plan->nitems; i++) {
    const PlanItem *it = &plan->items[i];
    if (!it->moved_from)
      continue;
    StateRes *old = state_find(st, it->moved_from);
    if (!old || state_find(st, it->address))
      continue;
    StateRes r = *old;
    r.address = plat_xstrdup(it->address);
    /* detach the moved fields, then remove the old entry by its (still intact) address */
    old->type = old->provider = old->id = NULL;
    old->inputs = old->outputs = NULL;
    old->deps = old->secret = NULL;
    old->ndeps = old->nsecret = 0;
    state_remove(st, it->moved_from);
    state_put(st, &r);
  }
}

bool apply_plan(const Plan *plan, const Graph *g, State *st, ProvRegistry *reg,
                const ApplyOptions *opt, ApplyResult *out) {
  memset(out, 0, sizeof *out);
  Exec x;
  memset(&x, 0, sizeof x);
  x.opt = opt;
  x.lineage = st->lineage;
  pthread_mutex_init(&x.mu, NULL);
  pthread_mutex_init(&x.jmu, NULL);
  pthread_mutex_init(&x.fmu, NULL);
  pthread_cond_init(&x.fcv, NULL);
  pthread_mutex_init(&x.ext_mu, NULL);
  pthread_cond_init(&x.work_cv, NULL);
  pthread_cond_init(&x.done_cv, NULL);

  apply_moves(plan, st);
  x.steps = plat_xcalloc(plan->nitems ? plan->nitems : 1, sizeof *x.steps);
  /* graph node -> step, and state address -> delete step */
  uint32_t *node_step = plat_xmalloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *node_step);
  for (uint32_t i = 0; i < g->nnodes; i++)
    node_step[i] = UINT32_MAX;
  for (uint32_t i = 0; i < plan->nitems; i++) {
    const PlanItem *it = &plan->items[i];
    if (it->action == PA_NOOP)
      continue;
    Step *s = &x.steps[x.nsteps];
    s->item = it;
    s->action = it->action;
    s->node = it->node < g->nnodes ? &g->nodes[it->node] : NULL;
    const StateRes *prior = state_find(st, it->address);
    if (prior) {
      s->old_id = plat_xstrdup(prior->id ? prior->id : "");
      /* References: state entries are replaced whole, never edited in place. */
      s->old_inputs = json_incref(prior->inputs);
      s->old_outputs = json_incref(prior->outputs);
      s->old_secret = copy_strs(prior->secret, prior->nsecret);
      s->nold_secret = prior->nsecret;
    }
    char *perr = NULL;
    s->pv = prov_open(reg, it->provider, NULL, &perr);
    s->ptype = dp_short_type(it->type, it->provider);
    if (s->node) {
      /* keep_ignored edits an update's inputs; the plan's own stay as they were. */
      bool edits = (s->action == PA_UPDATE || s->action == PA_REPLACE) && s->node->nignore;
      s->inputs = edits ? json_deep_copy(it->inputs) : json_incref(it->inputs);
      s->secret_inputs = json_incref(it->secret_inputs);
      s->unknown = it->unknown_inputs;
      s->deps = node_deps(g, s->node, &s->ndeps);
      if (s->action == PA_UPDATE || s->action == PA_REPLACE)
        keep_ignored(s, s->node);
      node_step[it->node] = x.nsteps;
    }
    if (!s->pv) {
      s->state = SS_FAIL;
      s->message = perr ? perr : dp_printf("%s: provider '%s' not found", it->address, it->provider);
      perr = NULL;
    }
    free(perr);
    x.nsteps++;
  }
  /* Edges.  Creates and updates wait for what they read; deletes wait for the resources
     that depended on the deleted one (deleted first, or updated away from it). */
  x.seen = plat_xmalloc((size_t)(x.nsteps ? x.nsteps : 1) * sizeof *x.seen);
  memset(x.seen, 0xff, (size_t)(x.nsteps ? x.nsteps : 1) * sizeof *x.seen);
  for (uint32_t i = 0; i < x.nsteps; i++) {
    Step *s = &x.steps[i];
    if (!s->node)
      continue;
    for (uint32_t k = 0; k < s->node->ndeps + s->node->nexplicit; k++) {
      uint32_t d = k < s->node->ndeps ? s->node->deps[k] : s->node->explicit_deps[k - s->node->ndeps];
      if (d < g->nnodes && node_step[d] != UINT32_MAX)
        edge_into(&x, node_step[d], i);
    }
    RefEdge re = { &x, g, node_step, i };
    each_ref(s->node->inputs, 0, ref_edge, &re);
  }
  /* Deletes by address (sorted, searched), so this is O(n log n) and not a scan of every
     step per delete: a destroy of 30,000 resources would otherwise compare 10^9 pairs. */
  uint32_t ndel = 0;
  DelIdx *dels = plat_xmalloc((size_t)(x.nsteps ? x.nsteps : 1) * sizeof *dels);
  for (uint32_t i = 0; i < x.nsteps; i++)
    if (x.steps[i].action == PA_DELETE)
      dels[ndel++] = (DelIdx){ x.steps[i].item->address, i };
  if (ndel > 1)
    qsort(dels, ndel, sizeof *dels, delidx_cmp);
  memset(x.seen, 0xff, (size_t)(x.nsteps ? x.nsteps : 1) * sizeof *x.seen);
  for (uint32_t j = 0; j < x.nsteps && ndel; j++) {
    const StateRes *r = state_find(st, x.steps[j].item->address);
    for (uint32_t k = 0; r && k < r->ndeps; k++) {
      DelIdx key = { r->deps[k], 0 };
      const DelIdx *d = bsearch(&key, dels, ndel, sizeof *dels, delidx_cmp);
      if (d && d->step != j)
        edge_out_of(&x, j, d->step);
    }
  }
  free(dels);
  free(x.seen);
  free(node_step);

  uint32_t parallel = opt->parallel ? opt->parallel : APPLY_DEFAULT_PARALLEL;
  if (parallel > 256)
    parallel = 256;
  x.workq = plat_xmalloc((size_t)(x.nsteps + 1) * sizeof *x.workq);
  x.notes = plat_xmalloc((size_t)(2 * x.nsteps + 1) * sizeof *x.notes);
  /* A step enters each at most once (an unknown one moves to the heap once resolved). */
  x.ready.v = plat_xmalloc((size_t)(x.nsteps + 1) * sizeof *x.ready.v);
  x.staged.v = plat_xmalloc((size_t)(x.nsteps + 1) * sizeof *x.staged.v);
  x.unk = plat_xmalloc((size_t)(x.nsteps + 1) * sizeof *x.unk);
  /* Begins staged ahead of dispatch: enough that one flush covers many operations and
     that the next window's flush ends before the workers reach it (with 4 x parallel
     they still caught up with it), few enough that a kill leaves few operations for
     recovery to ask the providers about (at most 512: --parallel 256 would stage 2,048). */
  uint32_t window = 8 * parallel < 64 ? 64 : 8 * parallel > 512 ? 512 : 8 * parallel;
  bool strict = x.strict = parallel == 1;
  uint32_t nthreads = parallel < x.nsteps ? parallel : x.nsteps;
  pthread_t *th = plat_xcalloc(nthreads ? nthreads : 1, sizeof *th);
  for (uint32_t i = 0; i < nthreads; i++)
    pthread_create(&th[i], NULL, worker, &x);
  pthread_t fth;
  bool flushing = opt->journal && nthreads;
  if (flushing)
    pthread_create(&fth, NULL, flusher, &x);

  /* Steps handed to the pool and not ended (inflight), of which started (running): the
     pool's queue holds up to [parallel] more than run, so a worker that ends one takes
     the next at once instead of sleeping until this thread hands it one (not with one
     operation at a time: the lowest ready step must go first). */
  uint32_t finished = 0, running = 0, inflight = 0;
  uint32_t pool = strict ? parallel : 2 * parallel;
  for (uint32_t i = 0; i < x.nsteps; i++) {
    Step *s = &x.steps[i];
    if (s->state == SS_FAIL) {
      finished++;
      out->failed++;
      event(opt, AE_FAIL, s, s->message, 0);
      skip_after(&x, i, s->item->address, out, 0, &finished);
    }
  }
  for (uint32_t i = 0; i < x.nsteps; i++)
    make_ready(&x, i);
  double t_start = now_s(), last_save = t_start, reeval_s = 0;
  double save_every = SAVE_EVERY_MS / 1000.0;
  while (finished < x.nsteps) {
    /* Resolve the deploy-time inputs of the ready steps that wait for them, in one
       re-evaluation for all of them.  A re-evaluation runs the whole program, so it is
       put off while the known ready steps fill the pool (more unknown ones gather
       meanwhile), and, while something runs, while re-evaluating has taken half the time
       so far: one per finished producer would make a deploy quadratic. */
    uint32_t free_slots = pool - inflight;
    bool starving = false;
    if (x.nunk && x.ready.n + x.staged.n < free_slots) {
      /* Unknown steps skipped since they became ready are dropped; only here, where
         it matters: tens of thousands gather while known steps run, and scanning them
         on every round made a long deploy quadratic. */
      uint32_t nu = 0;
      for (uint32_t k = 0; k < x.nunk; k++)
        if (x.steps[x.unk[k]].state == SS_READY)
          x.unk[nu++] = x.unk[k];
      x.nunk = nu;
      starving = nu > 0;
    }
    if (starving && (inflight == 0 || 2 * reeval_s <= now_s() - t_start)) {
      double t0 = now_s();
      char err[600] = "";
      const Graph *g2 = opt->reeval ? opt->reeval(opt->reeval_ud, st, err, sizeof err) : NULL;
      reeval_s += now_s() - t0;
      /* A copy: releasing a no-op's dependants adds to x.unk. */
      uint32_t n = x.nunk;
      uint32_t *batch = plat_xmalloc((size_t)(n ? n : 1) * sizeof *batch);
      memcpy(batch, x.unk, (size_t)n * sizeof *batch);
      x.nunk = 0;
      for (uint32_t k = 0; k < n; k++) {
        uint32_t i = batch[k];
        Step *s = &x.steps[i];
        if (s->state != SS_READY)
          continue;
        char *msg = NULL;
        if (!g2)
          msg = dp_printf("%s: cannot resolve values known only after deploy: %s",
                        s->item->address, *err ? err : "no way to re-evaluate the program");
        if (msg || !resolve(s, g2, &msg)) {
          s->state = SS_FAIL;
          s->message = msg;
          out->failed++;
          finished++;
          event(opt, AE_FAIL, s, msg, running);
          skip_after(&x, i, s->item->address, out, running, &finished);
          continue;
        }
        if (s->action == PA_NOOP) {
          /* Known now, and equal to what exists: nothing to do. */
          s->state = SS_DONE;
          finished++;
          out->done[PA_NOOP]++;
          event(opt, AE_DONE, s, NULL, running);
          release(&x, s);
        } else {
          heap_push(&x.ready, i);
        }
      }
      free(batch);
      continue;
    }
    /* Dispatch the lowest staged step (address) first.  Ready steps are staged a window
       at a time, once half the last window is dispatched: a step that becomes ready
       meanwhile waits for the next window even if it is lower.  Not with one operation
       at a time, where the order is what the user watches and was always the lowest
       ready step first: there a lower ready step is staged (or, the window full, run
       with its own begin entry) before the staged ones. */
    pthread_mutex_lock(&x.mu);
    while (inflight < pool && (x.ready.n || x.staged.n)) {
      bool lower = strict && x.ready.n && (!x.staged.n || x.ready.v[0] < x.staged.v[0]);
      if (x.ready.n && x.staged.n < window && (x.staged.n < window / 2 || lower)) {
        pthread_mutex_unlock(&x.mu);
        stage(&x, window - x.staged.n);
        pthread_mutex_lock(&x.mu);
      }
      bool from_ready = x.ready.n && (!x.staged.n || (strict && x.ready.v[0] < x.staged.v[0]));
      if (!from_ready && !x.staged.n)
        break;     /* what was left on the heap was no longer ready */
      uint32_t i = (uint32_t)heap_pop(from_ready ? &x.ready : &x.staged);
      Step *s = &x.steps[i];
      if (s->state != SS_READY && s->state != SS_STAGED)
        continue;
      s->state = SS_RUN;
      inflight++;
      x.workq[x.wq_n++] = i;
      pthread_cond_signal(&x.work_cv);
    }
    if (inflight == 0) {
      pthread_mutex_unlock(&x.mu);
      if (x.nunk)
        continue;      /* ready, waiting for a re-evaluation: the next round does it */
      /* Nothing runs and nothing is ready: what is left waits in a cycle. */
      for (uint32_t i = 0; i < x.nsteps; i++) {
        Step *s = &x.steps[i];
        if (s->state == SS_WAIT) {
          s->state = SS_SKIP;
          out->skipped++;
          finished++;
          event(opt, AE_SKIP, s, "skipped: its dependencies form a cycle", 0);
        }
      }
      break;
    }
    while (!x.nnotes)
      pthread_cond_wait(&x.done_cv, &x.mu);
    uint32_t nnotes = x.nnotes;
    uint32_t *notes = plat_xmalloc((size_t)nnotes * sizeof *notes);
    memcpy(notes, x.notes, (size_t)nnotes * sizeof *notes);
    x.nnotes = 0;
    pthread_mutex_unlock(&x.mu);
    /* The end entries of what ended in one write, before anything that waited for them
       is staged (not flushed: the next flush covers them, and one lost to a kill only
       means that recovery asks the provider). */
    json_t **ends = plat_xmalloc((size_t)nnotes * sizeof *ends);
    uint32_t nends = 0;
    for (uint32_t k = 0; k < nnotes; k++) {
      Step *s = &x.steps[notes[k] & ~NOTE_END];
      if ((notes[k] & NOTE_END) && s->end)
        ends[nends++] = s->end;
      if (notes[k] & NOTE_END)
        s->end = NULL;
    }
    char eerr[512];
    (void)journal_put(&x, ends, nends, false, eerr, sizeof eerr);   /* kept in x.jerr */
    free(ends);
    /* Then the events, in the order things happened. */
    for (uint32_t k = 0; k < nnotes; k++) {
      uint32_t i = notes[k] & ~NOTE_END;
      Step *s = &x.steps[i];
      if (!(notes[k] & NOTE_END)) {
        event(opt, AE_START, s, NULL, ++running);
        continue;
      }
      running--;
      inflight--;
      finished++;
      if (s->status == PROV_OK) {
        s->state = SS_DONE;
        out->done[s->action]++;
        record(st, s);
        event(opt, AE_DONE, s, NULL, running);
        release(&x, s);
      } else {
        s->state = SS_FAIL;
        out->failed++;
        /* A replace whose delete went through and whose create did not: gone. */
        if (s->action == PA_REPLACE && s->deleted && !s->item->create_before_destroy)
          state_remove(st, s->item->address);
        event(opt, AE_FAIL, s, s->message, running);
        skip_after(&x, i, s->item->address, out, running, &finished);
      }
    }
    free(notes);
    /* A save only shortens what recovery reads (the journal has every result), and
       writing a large state takes a while: every 2 s, or ten times as long as the last
       save took, so saves never take more than a tenth of the run. */
    if (now_s() - last_save > save_every) {
      /* The journal holds every result since the last save: flush it first. */
      if (opt->journal) {
        char jerr[512];
        journal_sync(opt->journal, jerr, sizeof jerr);
      }
      double t0 = now_s();
      save_state(&x, st, out);
      last_save = now_s();
      if (10 * (last_save - t0) > save_every)
        save_every = 10 * (last_save - t0);
    }
  }

  pthread_mutex_lock(&x.mu);
  x.stop = true;
  pthread_cond_broadcast(&x.work_cv);
  pthread_mutex_unlock(&x.mu);
  for (uint32_t i = 0; i < nthreads; i++)
    pthread_join(th[i], NULL);
  if (flushing) {
    pthread_mutex_lock(&x.fmu);
    x.fstop = true;
    pthread_cond_signal(&x.fcv);
    pthread_mutex_unlock(&x.fmu);
    pthread_join(fth, NULL);
  }
  free(th);

  out->journal_failed = x.jfail;
  if (x.jfail && !out->error)
    out->error = plat_xstrdup(x.jerr);
  if (opt->journal) {
    char jerr[512];
    if (!journal_sync(opt->journal, jerr, sizeof jerr) && !out->error)
      out->error = plat_xstrdup(jerr);
  }
  if (!opt->caller_saves)
    out->state_saved = save_state(&x, st, out);
  if (out->state_saved && opt->journal && !x.jfail) {
    char jerr[512];
    journal_clear(opt->journal, jerr, sizeof jerr);
  }

  for (uint32_t i = 0; i < x.nsteps; i++) {
    Step *s = &x.steps[i];
    free(s->succ);
    json_decref(s->inputs);
    json_decref(s->secret_inputs);
    free_strs(s->deps, s->ndeps);
    free(s->old_id);
    json_decref(s->old_inputs);
    json_decref(s->old_outputs);
    free_strs(s->old_secret, s->nold_secret);
    free(s->message);
    free(s->id);
    json_decref(s->outputs);
    json_decref(s->out_secrets);
    json_decref(s->end);
  }
  free(x.steps);
  free(x.workq);
  free(x.notes);
  free(x.ready.v);
  free(x.staged.v);
  free(x.unk);
  pthread_mutex_destroy(&x.mu);
  pthread_mutex_destroy(&x.jmu);
  pthread_mutex_destroy(&x.fmu);
  pthread_cond_destroy(&x.fcv);
  pthread_mutex_destroy(&x.ext_mu);
  pthread_cond_destroy(&x.work_cv);
  pthread_cond_destroy(&x.done_cv);
  return out->failed == 0 && out->skipped == 0 && (out->state_saved || opt->caller_saves) &&
         !out->error;
}

void apply_result_free(ApplyResult *r) {
  free(r->error);
  r->error = NULL;
}
