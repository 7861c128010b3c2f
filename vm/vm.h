/* The Plat VM's public API: run a bytecode module (vm/program.h) into a resource graph
 * (vm/graph.h), with the stack's configuration, limits, and an oracle for deploy-time
 * values the caller already knows.  Runtime errors come back as a VmError (message,
 * location, Plat stack trace); nothing here prints.  Policies run after the graph is
 * built (vm/policy.c).  The model (values, order, unknowns, secrets, limits) is docs/vm.md. */
#ifndef PLAT_VM_H
#define PLAT_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vm/graph.h"
#include "vm/program.h"
#include "vm/value.h"

/* Defaults of the limits (docs/vm.md; `--max-steps`, `--max-memory`, `--max-depth`). */
#define VM_DEFAULT_STEPS 2000000000ull      /* instructions per run */
#define VM_DEFAULT_MEMORY ((size_t)4 << 30) /* bytes of values (Rt.limit) */
#define VM_DEFAULT_DEPTH 200                /* nested calls (fns, instances, bodies) */

/* One `-c name=value` (or an entry of a --config JSON file) for a top-level param. */
typedef struct VmConfig {
  const char *name;
  const char *text;      /* the value as written */
  bool json;             /* [text] is JSON (from --config, or forced); else read by the
                            param's type: strings as is, ints/floats/bools parsed, lists,
                            maps and records as JSON */
} VmConfig;

/* Read a --config FILE.json: a JSON object whose keys are param names; appends one VmConfig
 * per key (value as JSON text, json = true) to *cfg ([n] of them, malloc'd array; names and
 * texts malloc'd).  False with a message in [err] when the file cannot be read or is not a
 * JSON object. */
bool vm_config_load(const char *path, struct VmConfig **cfg, uint32_t *n, char *err, size_t errcap);
/* Free [n] entries' names and texts (as vm_config_load and vm_config_arg make them) and the array. */
void vm_config_free(struct VmConfig *cfg, uint32_t n);
/* Append `-c NAME=VALUE` ([arg]) to *cfg; false when it has no '=' or no name. */
bool vm_config_arg(const char *arg, struct VmConfig **cfg, uint32_t *n);

typedef struct VmOptions {
  uint64_t max_steps;    /* 0: VM_DEFAULT_STEPS */
  size_t max_memory;     /* 0: VM_DEFAULT_MEMORY */
  uint32_t max_depth;    /* 0: VM_DEFAULT_DEPTH */
  const VmConfig *config; uint32_t nconfig;
  /* The known value of output [prop] of the resource at [addr] (the deploy engine's state),
   * built in [rt]; return false when not known (then the read is an unknown).  NULL: every
   * provider output is unknown. */
  bool (*known_output)(void *ud, Rt *rt, const char *addr, const char *prop, Val *out);
  void *ud;
  bool no_policies;      /* skip vm/policy.c (eval) */
  bool no_finish;        /* leave the graph unfinished: node numbers stay those of the run,
                            so resource values still name their nodes (eval) */
} VmOptions;

/* A frame of a runtime error's Plat stack trace, innermost first. */
typedef struct VmFrame {
  const char *what;      /* "fn fqdn", "resource workers[\"billing\"].cfg",
                            "instance workers[\"billing\"] of Service", "main" */
  char loc[256];         /* "main.plat:12:3", or "" */
} VmFrame;

#define VM_MAX_TRACE 16

typedef struct VmError {
  char msg[RT_ERRMAX];   /* without location: "index 3 out of range for a list of 2 items" */
  char loc[256];         /* "main.plat:12:3" of the failing instruction, or "" */
  VmFrame trace[VM_MAX_TRACE];
  uint32_t ntrace;       /* frames kept (the outermost ones are dropped past VM_MAX_TRACE) */
  uint32_t ndropped;
} VmError;

typedef struct Vm Vm;

/* A VM over module [m] (borrowed: it must outlive the VM), its values in a fresh runtime
 * with [opt]'s limits ([opt] is copied; NULL: defaults). */
Vm *vm_new(const BcModule *m, const VmOptions *opt);
void vm_free(Vm *vm);
/* The runtime holding every value (and the graph's). */
Rt *vm_rt(Vm *vm);

/* Evaluate the module: every declaration in order, resources into [g] (graph_init'ed on
 * vm_rt(vm) by the caller), root outputs, moved, then the policies (unless
 * opt.no_policies), then graph_finish.  Spans in the graph (GNode.span, PolicyResult.span,
 * GMoved.span) are locations of the module, not of a SourceMap: span.file is an index in
 * BcModule.locs (start = end = 0), and vm_run sets g->locate / g->locate_ud to read them,
 * so a graph run from a .platb without its sources still prints "file:line:col".  Returns true on success; false on a runtime error,
 * described in *err ([g] is then partial and not finished). */
bool vm_run(Vm *vm, Graph *g, VmError *err);

/* After vm_run: the value of the root module's global [name] (a let, param, output or
 * resource), or false when there is none. */
bool vm_global(Vm *vm, const char *name, Val *out);

/* Run test [t] of the module (after vm_run, on a scratch graph): true when every assert
 * holds, else false with *err. */
bool vm_run_test(Vm *vm, uint32_t t, VmError *err);

/* Print [e] as `file:line:col: error: msg` then "  at WHAT (file:line:col)" per frame. */
void vm_error_print(const VmError *e, FILE *out);

/* templatefile's renderer (vm/template.c), installed as Rt.template_hook by vm_run: the
 * template [text] ([len] bytes, read from [path]) as a Plat multi-line string body with
 * [vars] (a map) as lets; its errors are rt_errors naming the template's line. */
Val vm_template(Rt *rt, const char *path, const char *text, size_t len, Val vars);

/* ---- for vm/policy.c --------------------------------------------------------------------- */

/* Call function [fn] with [args] ([n]) at the top level (no environment); false on a
 * runtime error, described in *err. */
bool vm_call(Vm *vm, uint32_t fn, const Val *args, uint32_t n, Val *out, VmError *err);
/* The module the VM runs. */
const BcModule *vm_module(const Vm *vm);
/* The resource type index (BcModule.rtypes) of graph node [node] before graph_finish. */
uint32_t vm_node_rtype(const Vm *vm, uint32_t node);
/* Run every policy of the module over the graph's nodes (before graph_finish), adding
 * PolicyResults; false on a runtime error in a rule. */
bool vm_run_policies(Vm *vm, Graph *g, VmError *err);

#endif
