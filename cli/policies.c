/* `platc check --policies`: after a clean check, compile and run the program and print
 * every policy result (docs/language.md §6.12) as a diagnostic-like line at the rule:
 *   main.plat:5:3: error: policy "files stay under out/" denies conf: files must be ...
 * deny is an error, warn a warning, a rule waiting for deploy-time values a note.  The
 * checking itself stays in cmd_check.c; this file only runs and prints. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "compiler/compiler.h"
#include "compiler/emit.h"
#include "vm/vm.h"

static void loc_of(const Graph *g, Span s, char *out, size_t cap) {
  uint32_t line = 0, col = 0;
  const char *file = g->locate ? g->locate(g->locate_ud, s, &line, &col) : NULL;
  if (file) snprintf(out, cap, "%s:%u:%u: ", file, line, col);
  else out[0] = 0;
}

int cli_check_policies(Plat *p, const VmConfig *cfg, uint32_t ncfg, bool color) {
  BcModule *m = emit_program(p);
  if (!m) {
    plat_render(p, stderr, PLAT_FMT_TEXT, color);
    return 1;
  }
  return cli_run_policies(m, cfg, ncfg, color);
}

int cli_run_policies(BcModule *m, const VmConfig *cfg, uint32_t ncfg, bool color) {
  VmOptions opt = {0};
  opt.config = cfg;
  opt.nconfig = ncfg;
  Vm *vm = vm_new(m, &opt);
  Graph g;
  graph_init(&g, vm_rt(vm));
  VmError err;
  int rc = 0;
  if (!vm_run(vm, &g, &err)) {
    vm_error_print(&err, stderr);
    rc = 1;
  } else {
    uint32_t deny = 0, warn = 0, unknown = 0;
    for (uint32_t i = 0; i < g.npolicies; i++) {
      const PolicyResult *r = &g.policies[i];
      char loc[600];
      loc_of(&g, r->span, loc, sizeof loc);
      const char *addr = r->node < g.nnodes ? g.nodes[r->node].addr : "?";
      const char *sev = r->outcome == PO_DENY ? "error" : r->outcome == PO_WARN ? "warning" : "note";
      const char *colr = r->outcome == PO_DENY ? "\033[1;31m" : r->outcome == PO_WARN ? "\033[1;33m" : "\033[1;36m";
      fprintf(stderr, "%s%s%s%s: policy \"%s\" ", loc, color ? colr : "", sev, color ? "\033[0m" : "", r->policy);
      if (r->outcome == PO_UNKNOWN)
        fprintf(stderr, "on %s waits for values known only after deploy\n", addr);
      else
        fprintf(stderr, "%s %s: %s\n", r->outcome == PO_DENY ? "denies" : "warns about", addr,
                r->message ? r->message : "");
      if (r->outcome == PO_DENY) deny++;
      else if (r->outcome == PO_WARN) warn++;
      else unknown++;
    }
    if (deny || warn || unknown)
      fprintf(stderr, "policies: %u denied, %u warning%s, %u waiting for deploy\n", deny, warn,
              warn == 1 ? "" : "s", unknown);
    rc = deny ? 1 : 0;
  }
  graph_free(&g);
  vm_free(vm);
  bc_free(m);
  return rc;
}
