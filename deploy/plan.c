/* The planner and the plan's two renderings (see plan.h, docs/plan.md). */
#include "deploy/plan.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/arena.h"
#include "deploy/values.h"
#include "deploy/util.h"

/* A value longer than this is cut in the text rendering (the JSON has it whole). */
#define PLAN_SHOW_MAX 120

const char *plan_action_name(PlanAction a) {
  static const char *const names[PA__COUNT] = { "no-op", "create", "update", "replace",
                                                "delete" };
  return (unsigned)a < PA__COUNT ? names[a] : "?";
}

static void push_str(char ***v, uint32_t *n, char *s) {
  *v = plat_xrealloc(*v, (size_t)(*n + 1) * sizeof **v);
  (*v)[(*n)++] = s;
}

static bool in_list(const char *const *v, uint32_t n, const char *s) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(v[i], s) == 0)
      return true;
  return false;
}

bool plan_targeted(const PlanOptions *opt, const char *addr) {
  if (!opt || !opt->ntargets)
    return true;
  for (uint32_t i = 0; i < opt->ntargets; i++) {
    size_t n = strlen(opt->targets[i]);
    if (strncmp(addr, opt->targets[i], n) == 0 &&
        (addr[n] == '\0' || addr[n] == '.' || addr[n] == '['))
      return true;
  }
  return false;
}

static int change_cmp(const void *a, const void *b) {
  return strcmp(((const PlanChange *)a)->prop, ((const PlanChange *)b)->prop);
}

static void add_change(PlanItem *it, const char *prop, json_t *before, json_t *after,
                       bool secret, bool forces) {
  it->changes = plat_xrealloc(it->changes, (size_t)(it->nchanges + 1) * sizeof *it->changes);
  PlanChange *c = &it->changes[it->nchanges++];
  c->prop = plat_xstrdup(prop);
  c->before = before ? json_incref(before) : NULL;
  c->after = after ? json_incref(after) : NULL;
  c->secret = secret;
  c->unknown = after && dv_is_unknown_marker(after);
  c->forces_replace = forces;
}

/* The names of [n]'s secret inputs. */
static json_t *secret_names(const GNode *n) {
  json_t *a = json_array();
  const VMap *m = n->inputs.as.m;
  for (uint32_t i = 0; i < m->n; i++)
    if (val_has_secret(m->e[i].val))
      json_array_append_new(a, json_string(m->e[i].key->s));
  return a;
}

/* The desired inputs of [n] as JSON, which of them are secret, and whether any waits for
 * deploy. */
static json_t *desired_inputs(const GNode *n, json_t **secret, bool *unknown) {
  json_t *o = json_object();
  *secret = json_array();
  if (n->inputs.tag != VT_MAP)
    return o;
  const VMap *m = n->inputs.as.m;
  for (uint32_t i = 0; i < m->n; i++) {
    bool u = false;
    json_object_set_new(o, m->e[i].key->s, dv_to_json(m->e[i].val, &u));
    if (u)
      *unknown = true;
    if (val_has_secret(m->e[i].val))
      json_array_append_new(*secret, json_string(m->e[i].key->s));
  }
  return o;
}

static bool prior_secret(const StateRes *prior, const char *prop) {
  char path[512];
  snprintf(path, sizeof path, "inputs.%s", prop);
  return prior && state_res_is_secret(prior, path);
}

/* The resource of the state that [addr] continues: itself, or what a `moved` named. */
static const StateRes *find_prior(const Graph *g, const State *st, const char *addr,
                                  const char **moved_from) {
  *moved_from = NULL;
  const StateRes *r = state_find((State *)st, addr);
  if (r)
    return r;
  for (uint32_t i = 0; i < g->nmoved; i++)
    if (strcmp(g->moved[i].to, addr) == 0) {
      r = state_find((State *)st, g->moved[i].from);
      if (r) {
        *moved_from = g->moved[i].from;
        return r;
      }
    }
  return NULL;
}

static void plan_error(Plan *p, char *msg) {
  push_str(&p->errors, &p->nerrors, msg);
}

/* Diff [it] (which has a prior) through its provider; sets the action and changes. */
static void diff_item(Plan *p, ProvRegistry *reg, const GNode *n, const StateRes *prior,
                      PlanItem *it) {
  if (strcmp(prior->type, n->type) != 0) {
    it->action = PA_REPLACE;
    it->reason = dp_printf("the type changed from %s to %s", prior->type, n->type);
  } else if (json_equal(prior->inputs, it->inputs)) {
    /* The inputs it was made with, exactly: a diff lists the inputs that differ
       (docs/providers.md), so there is nothing to ask the provider.  A no-change plan of
       100,000 resources spent most of its time in these calls. */
    it->action = PA_NOOP;
  } else {
    char *perr = NULL;
    Provider *pv = prov_open(reg, n->provider, NULL, &perr);
    if (!pv) {
      plan_error(p, dp_printf("%s: %s", n->addr, perr ? perr : "provider not found"));
      free(perr);
      return;
    }
    ProvReq q = { 0 };
    q.type = dp_short_type(n->type, n->provider);
    q.address = n->addr;
    q.id = prior->id;
    q.inputs = prior->inputs;
    q.outputs = prior->outputs;
    q.new_inputs = it->inputs;
    q.secret_inputs = it->secret_inputs;
    ProvRes res = { 0 };
    if (prov_call(pv, PROV_DIFF, &q, &res) != PROV_OK) {
      plan_error(p, dp_printf("%s", res.message ? res.message : "diff failed"));
      prov_res_free(&res);
      return;
    }
    size_t i;
    json_t *e;
    bool replace = false;
    json_array_foreach(res.changed, i, e) {
      const char *prop = json_string_value(e);
      if (!prop || in_list(n->ignore_changes, n->nignore, prop))
        continue;
      bool forces = dp_json_has_str(res.replaces, prop) ||
                    in_list(n->replace_on_change, n->nreplace, prop);
      json_t *after = json_object_get(it->inputs, prop);
      bool secret = dp_json_has_str(it->secret_inputs, prop) || prior_secret(prior, prop);
      add_change(it, prop, json_object_get(prior->inputs, prop), after, secret, forces);
      replace |= forces;
    }
    prov_res_free(&res);
    if (it->nchanges == 0)
      it->action = PA_NOOP;
    else if (replace) {
      it->action = PA_REPLACE;
      char props[400] = "";
      size_t k = 0;
      for (uint32_t c = 0; c < it->nchanges && k < sizeof props - 70; c++)
        if (it->changes[c].forces_replace)
          k += (size_t)snprintf(props + k, sizeof props - k, "%s%s", k ? ", " : "",
                                it->changes[c].prop);
      it->reason = dp_printf("%s forces replacement", props);
    } else
      it->action = PA_UPDATE;
  }
  if (it->action == PA_REPLACE && n->protect)
    plan_error(p, dp_printf("%s is protected (@protect) and would be replaced: %s; remove "
                          "@protect first if that is what you want", n->addr, it->reason));
}

static int item_cmp(const void *a, const void *b) {
  return strcmp(((const PlanItem *)a)->address, ((const PlanItem *)b)->address);
}

bool plan_make(const Graph *g, const State *st, ProvRegistry *reg, const PlanOptions *opt,
               Plan *p) {
  memset(p, 0, sizeof *p);
  p->stack = plat_xstrdup(st->stack ? st->stack : "");
  p->lineage = plat_xstrdup(st->lineage);
  p->serial = st->serial;
  p->source_hash = g->source_hash ? plat_xstrdup(g->source_hash) : NULL;
  /* State entries that the program still has (directly or through `moved`). */
  bool *kept = plat_xcalloc(st->nres ? st->nres : 1, sizeof *kept);
  uint32_t cap = g->nnodes + st->nres;
  p->items = plat_xcalloc(cap ? cap : 1, sizeof *p->items);

  for (uint32_t i = 0; i < g->nnodes; i++) {
    const GNode *n = &g->nodes[i];
    if (n->kind != GN_RESOURCE)
      continue;
    const char *moved_from;
    const StateRes *prior = find_prior(g, st, n->addr, &moved_from);
    if (prior)
      kept[prior - st->res] = true;
    if (!plan_targeted(opt, n->addr))
      continue;
    PlanItem *it = &p->items[p->nitems++];
    it->address = plat_xstrdup(n->addr);
    it->type = plat_xstrdup(n->type);
    it->provider = plat_xstrdup(n->provider ? n->provider : "");
    it->node = i;
    it->moved_from = moved_from ? plat_xstrdup(moved_from) : NULL;
    it->create_before_destroy = n->create_before_destroy;
    if (prior && n->inputs.tag == VT_MAP && strcmp(prior->type, n->type) == 0 &&
        dv_equal_json(n->inputs, prior->inputs)) {
      /* Nothing changed (see diff_item): the stored inputs are the desired ones, so they
         are shared rather than converted from the program's values again. */
      it->inputs = json_incref(prior->inputs);
      it->secret_inputs = secret_names(n);
      it->action = PA_NOOP;
      continue;
    }
    it->inputs = desired_inputs(n, &it->secret_inputs, &it->unknown_inputs);
    if (!prior) {
      it->action = PA_CREATE;
      const char *k;
      json_t *v;
      json_object_foreach(it->inputs, k, v)
        add_change(it, k, NULL, v, dp_json_has_str(it->secret_inputs, k), false);
    } else {
      diff_item(p, reg, n, prior, it);
    }
    if (it->nchanges > 1)
      qsort(it->changes, it->nchanges, sizeof *it->changes, change_cmp);
  }

  for (uint32_t i = 0; i < st->nres; i++) {
    const StateRes *r = &st->res[i];
    if (kept[i] || !plan_targeted(opt, r->address))
      continue;
    PlanItem *it = &p->items[p->nitems++];
    it->action = PA_DELETE;
    it->address = plat_xstrdup(r->address);
    it->type = plat_xstrdup(r->type);
    it->provider = plat_xstrdup(r->provider);
    it->node = GN_NONE;
    const char *k;
    json_t *v;
    json_object_foreach(r->inputs, k, v)
      add_change(it, k, v, NULL, prior_secret(r, k), false);
    if (it->nchanges > 1)
      qsort(it->changes, it->nchanges, sizeof *it->changes, change_cmp);
  }
  free(kept);
  if (p->nitems > 1)
    qsort(p->items, p->nitems, sizeof *p->items, item_cmp);
  for (uint32_t i = 0; i < p->nitems; i++)
    p->count[p->items[i].action]++;

  for (uint32_t i = 0; i < g->npolicies; i++) {
    const PolicyResult *r = &g->policies[i];
    const char *addr = r->node < g->nnodes ? g->nodes[r->node].addr : "?";
    if (!plan_targeted(opt, addr))
      continue;
    switch (r->outcome) {
    case PO_DENY:
      plan_error(p, dp_printf("policy \"%s\" denies %s: %s", r->policy, addr,
                            r->message ? r->message : ""));
      break;
    case PO_WARN:
      push_str(&p->warnings, &p->nwarnings,
               dp_printf("policy \"%s\" warns about %s: %s", r->policy, addr,
                       r->message ? r->message : ""));
      break;
    case PO_UNKNOWN:
      push_str(&p->warnings, &p->nwarnings,
               dp_printf("policy \"%s\" on %s is checked after deploy: it needs values known "
                       "only then", r->policy, addr));
      break;
    }
  }
  return p->nerrors == 0;
}

void plan_free(Plan *p) {
  for (uint32_t i = 0; i < p->nitems; i++) {
    PlanItem *it = &p->items[i];
    for (uint32_t c = 0; c < it->nchanges; c++) {
      free(it->changes[c].prop);
      json_decref(it->changes[c].before);
      json_decref(it->changes[c].after);
    }
    free(it->changes);
    free(it->address);
    free(it->type);
    free(it->provider);
    free(it->moved_from);
    free(it->reason);
    json_decref(it->inputs);
    json_decref(it->secret_inputs);
  }
  free(p->items);
  for (uint32_t i = 0; i < p->nerrors; i++)
    free(p->errors[i]);
  free(p->errors);
  for (uint32_t i = 0; i < p->nwarnings; i++)
    free(p->warnings[i]);
  free(p->warnings);
  free(p->stack);
  free(p->lineage);
  free(p->source_hash);
  memset(p, 0, sizeof *p);
}

/* ---- rendering ---------------------------------------------------------------------- */
static void show_value(FILE *out, const json_t *v, bool secret) {
  if (secret) {
    fputs("[secret]", out);
    return;
  }
  if (dv_is_unknown_marker(v)) {
    fputs("(known after deploy)", out);
    return;
  }
  char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
  if (!s) {
    fputs("?", out);
    return;
  }
  size_t n = strlen(s);
  if (n > PLAN_SHOW_MAX) {
    size_t cut = PLAN_SHOW_MAX;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
      cut--;
    fprintf(out, "%.*s... (%zu bytes)", (int)cut, s, n);
  } else {
    fputs(s, out);
  }
  free(s);
}

static const char *sym(PlanAction a) {
  switch (a) {
  case PA_CREATE: return "+";
  case PA_UPDATE: return "~";
  case PA_REPLACE: return "-/+";
  case PA_DELETE: return "-";
  default: return " ";
  }
}

static const char *colour(PlanAction a) {
  switch (a) {
  case PA_CREATE: return "\033[32m";
  case PA_UPDATE: return "\033[33m";
  case PA_REPLACE: return "\033[35m";
  case PA_DELETE: return "\033[31m";
  default: return "";
  }
}

void plan_print(const Plan *p, FILE *out, bool color) {
  const char *reset = color ? "\033[0m" : "";
  for (uint32_t i = 0; i < p->nitems; i++) {
    const PlanItem *it = &p->items[i];
    if (it->action == PA_NOOP && !it->moved_from)
      continue;
    const char *c = color ? colour(it->action) : "";
    fprintf(out, "%s%3s %s%s %s", c, sym(it->action), it->address, reset, it->type);
    if (it->moved_from)
      fprintf(out, " (moved from %s)", it->moved_from);
    if (it->action == PA_REPLACE && it->reason)
      fprintf(out, " (%s%s)", it->reason, it->create_before_destroy ? ", create before destroy" : "");
    fputc('\n', out);
    size_t w = 0;
    for (uint32_t k = 0; k < it->nchanges; k++)
      if (strlen(it->changes[k].prop) > w)
        w = strlen(it->changes[k].prop);
    for (uint32_t k = 0; k < it->nchanges; k++) {
      const PlanChange *ch = &it->changes[k];
      fprintf(out, "      %-*s = ", (int)w, ch->prop);
      if (it->action == PA_CREATE) {
        show_value(out, ch->after, ch->secret);
      } else if (it->action == PA_DELETE) {
        show_value(out, ch->before, ch->secret);
      } else {
        show_value(out, ch->before, ch->secret);
        fputs(" -> ", out);
        show_value(out, ch->after, ch->secret);
        if (ch->forces_replace)
          fputs("  # forces replacement", out);
      }
      fputc('\n', out);
    }
  }
  for (uint32_t i = 0; i < p->nwarnings; i++)
    fprintf(out, "%swarning%s: %s\n", color ? "\033[33m" : "", reset, p->warnings[i]);
  uint32_t changes = p->count[PA_CREATE] + p->count[PA_UPDATE] + p->count[PA_REPLACE] +
                     p->count[PA_DELETE];
  if (!changes)
    fputs("No changes.\n", out);
  else
    fprintf(out, "Plan: %u to create, %u to update, %u to replace, %u to delete.\n",
            p->count[PA_CREATE], p->count[PA_UPDATE], p->count[PA_REPLACE], p->count[PA_DELETE]);
}

void plan_print_errors(const Plan *p, FILE *out, bool color) {
  for (uint32_t i = 0; i < p->nerrors; i++)
    fprintf(out, "%serror%s: %s\n", color ? "\033[31m" : "", color ? "\033[0m" : "",
            p->errors[i]);
}

static json_t *redacted(const json_t *v, bool secret) {
  if (!v)
    return json_null();
  if (secret)
    return json_pack("{s:b}", "$secret", 1);
  return json_deep_copy(v);
}

json_t *plan_json(const Plan *p) {
  json_t *res = json_array();
  for (uint32_t i = 0; i < p->nitems; i++) {
    const PlanItem *it = &p->items[i];
    json_t *changes = json_array();
    for (uint32_t k = 0; k < it->nchanges; k++) {
      const PlanChange *ch = &it->changes[k];
      json_t *c = json_object();
      json_object_set_new(c, "property", json_string(ch->prop));
      json_object_set_new(c, "before", redacted(ch->before, ch->secret));
      json_object_set_new(c, "after", redacted(ch->after, ch->secret && !ch->unknown));
      if (ch->forces_replace)
        json_object_set_new(c, "forces_replacement", json_true());
      json_array_append_new(changes, c);
    }
    json_t *o = json_object();
    json_object_set_new(o, "address", json_string(it->address));
    json_object_set_new(o, "type", json_string(it->type));
    json_object_set_new(o, "provider", json_string(it->provider));
    json_object_set_new(o, "action", json_string(plan_action_name(it->action)));
    json_object_set_new(o, "changes", changes);
    if (it->moved_from)
      json_object_set_new(o, "moved_from", json_string(it->moved_from));
    if (it->reason)
      json_object_set_new(o, "reason", json_string(it->reason));
    if (it->create_before_destroy)
      json_object_set_new(o, "create_before_destroy", json_true());
    json_array_append_new(res, o);
  }
  json_t *summary = json_object();
  for (int a = 0; a < PA__COUNT; a++)
    json_object_set_new(summary, plan_action_name((PlanAction)a), json_integer(p->count[a]));
  json_t *errs = json_array(), *warns = json_array();
  for (uint32_t i = 0; i < p->nerrors; i++)
    json_array_append_new(errs, json_string(p->errors[i]));
  for (uint32_t i = 0; i < p->nwarnings; i++)
    json_array_append_new(warns, json_string(p->warnings[i]));
  json_t *root = json_object();
  json_object_set_new(root, "format_version", json_integer(1));
  json_object_set_new(root, "stack", json_string(p->stack));
  json_object_set_new(root, "lineage", json_string(p->lineage));
  json_object_set_new(root, "serial", json_integer((json_int_t)p->serial));
  json_object_set_new(root, "source_hash", p->source_hash ? json_string(p->source_hash) : json_null());
  json_object_set_new(root, "resources", res);
  json_object_set_new(root, "summary", summary);
  json_object_set_new(root, "errors", errs);
  json_object_set_new(root, "warnings", warns);
  return root;
}
