/* The executor: carries out a plan (deploy/plan.h) through the providers, walking the
 * dependency graph with bounded parallelism.  Every provider operation is journaled
 * before it starts (flushed to disk) and after it ends, so a run killed at any instant
 * can be reconciled by apply_recover; the state is updated in memory as operations end
 * and saved periodically and at the end.  Inputs known only after deploy are resolved by
 * re-evaluating the program (a caller's callback) once their producers exist.  One failed
 * resource skips what depends on it; independent branches go on. */
#ifndef PLAT_APPLY_H
#define PLAT_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "deploy/crypt.h"
#include "deploy/journal.h"
#include "deploy/plan.h"
#include "deploy/state.h"
#include "providers/provider.h"
#include "vm/graph.h"

#define APPLY_DEFAULT_PARALLEL 10

typedef enum ApplyEventKind {
  AE_START,      /* an operation started */
  AE_DONE,       /* it succeeded */
  AE_FAIL,       /* it failed: message says why */
  AE_SKIP,       /* not run: something it depends on failed (message names it) */
} ApplyEventKind;

typedef struct ApplyEvent {
  ApplyEventKind kind;
  const char *address;
  PlanAction action;       /* what was done (an update that turned out to change nothing
                              after resolving is reported as PA_NOOP) */
  const char *message;     /* AE_FAIL / AE_SKIP */
  double seconds;          /* AE_DONE / AE_FAIL: how long it took */
  uint32_t running;        /* operations in flight after this event */
} ApplyEvent;

typedef struct ApplyOptions {
  uint32_t parallel;       /* operations at once (0: APPLY_DEFAULT_PARALLEL) */
  const CryptKey *key;     /* seals secrets in the journal and the state */
  const char *state_path;  /* saved there periodically and at the end */
  Journal *journal;        /* open; cleared when the final state is saved */
  /* The caller saves the final state itself (then clears the journal, unless
   * ApplyResult.journal_failed): apply_plan leaves both out, and state_saved false.
   * The engine stores the outputs in that one save instead of writing the state twice. */
  bool caller_saves;
  /* Re-run the program with the state as it is now, for values known only after deploy:
   * a finished graph (owned by the callee, valid until the next call), or NULL with a
   * message.  NULL callback: such inputs cannot be resolved (an error per resource). */
  const Graph *(*reeval)(void *ud, const State *st, char *err, size_t errlen);
  void *reeval_ud;
  /* Progress, called on the calling thread, in the order things happen. */
  void (*on_event)(void *ud, const ApplyEvent *e);
  void *ud;
} ApplyOptions;

typedef struct ApplyResult {
  uint32_t done[PA__COUNT];  /* operations that succeeded, by action */
  uint32_t failed, skipped;
  bool state_saved;          /* the final state was written */
  bool journal_failed;       /* an entry could not be written: keep the journal */
  char *error;               /* a failure of the run itself (journal, state), or NULL */
} ApplyResult;

/* Carry out [plan], made from graph [g] against [st] (which is updated). True when every
 * operation succeeded and the state was saved. */
bool apply_plan(const Plan *plan, const Graph *g, State *st, ProvRegistry *reg,
                const ApplyOptions *opt, ApplyResult *out);
void apply_result_free(ApplyResult *r);

/* After a run that did not finish (a kill, a crash, a power cut): fold the journal at
 * [journal_path] into [st].  Operations that ended are applied; each one begun and not
 * ended is reconciled by asking its provider what exists (`read`): a create that did
 * happen is adopted, a delete that did happen is dropped, an update is refreshed.  Then
 * the state is saved and the journal emptied.  [*recovered] counts the entries folded
 * (0: there was nothing to do).  False with [err] when the journal is corrupt or a
 * provider cannot answer; the state is then left as it was. */
bool apply_recover(State *st, ProvRegistry *reg, const CryptKey *key, const char *journal_path,
                   const char *state_path, uint32_t *recovered, char *err, size_t errlen);

#endif
