/* The deploy engine: what `platc plan`, `deploy`, `destroy`, `refresh`, `output`,
 * `import` and `state` share.  An Engine is one run on one stack: it takes the stack's
 * lock, loads its key, config and state (recovering from a journal a killed run left),
 * runs the program on the VM with what the state knows of deploy-time values, plans,
 * applies, refreshes, and saves.  The CLI (cli/cmd_deploy.c) only parses flags, prints
 * and asks for confirmation.  See docs/deploy.md. */
#ifndef PLAT_ENGINE_H
#define PLAT_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "deploy/apply.h"
#include "deploy/lock.h"
#include "deploy/plan.h"
#include "deploy/stack.h"
#include "deploy/state.h"
#include "providers/provider.h"
#include "vm/vm.h"

/* A state read ahead on a second thread while the program compiles (the two took about
 * the same time on a stack of 100,000 resources).  It is only a guess made without the
 * lock: engine_open takes it only if, under the lock, the file and key are the ones it
 * read; otherwise it reads the state again.  Nothing is made or changed on disk. */
typedef struct EnginePrefetch {
  pthread_t thread;
  bool started;
  char *root, *stack;           /* what to read */
  bool ok;                      /* st holds the state read from the file at [id] */
  struct stat id;               /* the file as it was before and after reading */
  bool have_key;                /* key was made (not necessarily from the same salt) */
  CryptKey key;
  State st;
} EnginePrefetch;

/* Start reading the state of [root]'s stack [stack] (NULL: the selected one) if it
 * exists; never fails (a read that goes wrong is simply not used). */
void engine_prefetch_start(EnginePrefetch *pf, const char *root, const char *stack);
/* Wait until it has read (engine_open does; so may a test). */
void engine_prefetch_wait(EnginePrefetch *pf);
/* Wait for it and free what engine_open did not take. */
void engine_prefetch_end(EnginePrefetch *pf);

typedef struct EngineOptions {
  const char *root;              /* the project folder (holds .plat/) */
  const char *stack;             /* NULL: the selected stack (dev on first use) */
  const char *operation;         /* "deploy", "plan", ...: written in the lock */
  bool read_only;                /* state is only read (plan, output, state list): the
                                    lock is still taken, so what is read is consistent */
  const VmConfig *overrides; uint32_t noverrides;   /* -c name=value */
  const VmOptions *vm;           /* limits; NULL: defaults */
  const ProvConfig *providers;   /* NULL: defaults, with project_root = root */
  EnginePrefetch *prefetch;      /* NULL, or a read of the state started earlier */
} EngineOptions;

typedef struct Engine {
  EngineOptions opt;
  const BcModule *mod;           /* NULL for commands that need no program */
  Stack stack;
  CryptKey key;
  bool have_key;
  Lock lock;
  State st;
  StackConfig config;
  VmConfig *vmcfg; uint32_t nvmcfg;   /* config, then the overrides */
  ProvRegistry *reg;
  /* The last evaluation of the program. */
  Vm *vm;
  Graph g;
  bool have_graph;
  VmError verr;
  bool vm_failed;                /* the last evaluation stopped on a runtime error */
  /* Outputs the oracle hides while planning: resources about to change. */
  char **changing; uint32_t nchanging;
  char warning[1024];            /* a lock taken over, a journal recovered: say it */
  uint32_t recovered;
} Engine;

/* Set glibc's allocator for a run over a large state (engine_open does it; commands call
 * it first so that compiling the program is done the same way). */
void engine_tune_malloc(void);

/* Open a run: lock the stack, load key, config and state, fold a leftover journal in.
 * [mod] may be NULL (state and config commands).  False with [err]. */
bool engine_open(Engine *e, const BcModule *mod, const EngineOptions *opt, char *err,
                 size_t errlen);
/* Release the lock and free everything. */
void engine_close(Engine *e);
/* Stop the providers, release the lock and wipe the key, for a process about to exit:
 * the memory is left to the exit (freeing a state of 100,000 resources value by value
 * took a tenth of a no-change plan), except in a sanitizer build, where it is freed as
 * engine_close does. */
void engine_close_at_exit(Engine *e);

/* Run the program with every deploy-time value the state knows, except outputs of the
 * resources in e->changing.  False on a runtime error (e->verr). */
bool engine_eval(Engine *e);
/* Plan: evaluate and plan until the set of changing resources is stable (a resource
 * about to change makes what reads its outputs unknown).  [destroy]: plan the removal of
 * everything.  Returns plan_make's verdict; false with e->verr set on a runtime error
 * (then out->nitems is 0 and out->errors says so). */
bool engine_plan(Engine *e, const PlanOptions *popt, bool destroy, Plan *out);
/* Apply a plan made by engine_plan; the final outputs are evaluated and saved with the
 * state. */
bool engine_apply(Engine *e, const Plan *plan, const ApplyOptions *aopt, ApplyResult *out);

/* A deploy with nothing to change: evaluate the outputs against the state as it is and
 * save them when they differ from the stored ones (a run killed before its end, then
 * recovered, changed resources without storing the outputs they give).  False with [err]
 * on a runtime error or when the state cannot be saved. */
bool engine_update_outputs(Engine *e, bool *changed, char *err, size_t errlen);

/* One resource's drift found by refresh. */
typedef struct Drift {
  char *address;
  bool gone;                     /* deleted outside platc */
  json_t *changed;               /* names of inputs and outputs that differ */
} Drift;
/* Read every resource (or the targeted ones) back from its provider; record what changed
 * in [drift] (*ndrift) and update the state (saved unless [dry]).  False with [err] when a
 * provider fails (the state is then not saved). */
bool engine_refresh(Engine *e, const PlanOptions *popt, bool dry, Drift **drift,
                    uint32_t *ndrift, char *err, size_t errlen);
void engine_drift_free(Drift *d, uint32_t n);

/* Import: adopt the existing resource [id] at [address] (which the program declares). */
bool engine_import(Engine *e, const char *address, const char *id, char *err, size_t errlen);

/* Save the state now (state commands). */
bool engine_save(Engine *e, char *err, size_t errlen);

#endif
