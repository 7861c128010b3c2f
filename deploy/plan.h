/* The planner: the program's resource graph (vm/graph.h) against the stack's state
 * (deploy/state.h) gives one action per resource — create, update in place, replace,
 * delete or nothing — with a property-level diff.  The provider decides which changed
 * properties force replacement (providers/provider.h diff); the lifecycle options adjust
 * it (@ignore_changes drops properties, @replace_on_change forces replacement, @protect
 * turns a replace or delete into an error); `moved` renames state entries first.  Values
 * known only after deploy are shown as such; secrets are never shown.  Deterministic:
 * items sorted by address, the same plan gives the same text and JSON (docs/plan.md). */
#ifndef PLAT_PLAN_H
#define PLAT_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "deploy/state.h"
#include "providers/provider.h"
#include "vm/graph.h"

typedef enum PlanAction { PA_NOOP, PA_CREATE, PA_UPDATE, PA_REPLACE, PA_DELETE, PA__COUNT } PlanAction;

typedef struct PlanChange {
  char *prop;
  json_t *before;        /* NULL for create */
  json_t *after;         /* NULL for delete; the unknown marker when known after deploy */
  bool secret;           /* before or after is secret: shown as [secret] */
  bool unknown;          /* after is known only after deploy */
  bool forces_replace;
} PlanChange;

typedef struct PlanItem {
  PlanAction action;
  char *address, *type, *provider;
  uint32_t node;         /* the graph node, or GN_NONE for deletes */
  char *moved_from;      /* the state address it is renamed from, or NULL */
  char *reason;          /* why a replace ("path forces replacement"), or NULL */
  PlanChange *changes; uint32_t nchanges;    /* sorted by property */
  json_t *inputs;        /* the desired inputs (create/update/replace), unknown markers in
                            place of deploy-time values; plaintext secrets (never printed) */
  json_t *secret_inputs; /* array of the secret input names */
  bool unknown_inputs;   /* some input is known only after deploy */
  bool create_before_destroy;
} PlanItem;

typedef struct PlanOptions {
  const char *const *targets; uint32_t ntargets;   /* --target: only these addresses
                                                      (and what is inside an instance) */
} PlanOptions;

typedef struct Plan {
  PlanItem *items; uint32_t nitems;       /* sorted by address; no-ops included */
  uint32_t count[PA__COUNT];
  char **errors; uint32_t nerrors;        /* protect violations, deny policies, provider
                                             failures while planning: the plan cannot run */
  char **warnings; uint32_t nwarnings;    /* warn policies, policies waiting for deploy */
  char *stack, *lineage;
  uint64_t serial;                        /* of the state it was made against */
  char *source_hash;
} Plan;

/* Plan [g] (finished) against [st].  Provider diffs go through [reg] (opened on demand).
 * Always fills [out]; returns false when the plan has errors (out->errors). */
bool plan_make(const Graph *g, const State *st, ProvRegistry *reg, const PlanOptions *opt,
               Plan *out);
void plan_free(Plan *p);

const char *plan_action_name(PlanAction a);   /* "create", "update", ... */
/* Does --target [opt] cover [addr]: the address itself or something inside it
 * ("api" covers "api.cfg" and "api[...]")?  No targets cover everything. */
bool plan_targeted(const PlanOptions *opt, const char *addr);

/* The plan for people: one block per changing resource, a property diff, the warnings,
 * then the summary line ("Plan: 2 to create, 1 to update, 0 to replace, 1 to delete." or
 * "No changes.").  [color] adds ANSI colours.  Errors are not in it: plan_print_errors. */
void plan_print(const Plan *p, FILE *out, bool color);
/* The plan's errors, one "error: ..." line each (for stderr). */
void plan_print_errors(const Plan *p, FILE *out, bool color);
/* The plan for machines (docs/plan.md): secrets as {"$secret": true}, deploy-time values
 * as {"$unknown": true}. */
json_t *plan_json(const Plan *p);

#endif
