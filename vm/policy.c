/* Policies over the built graph (docs/language.md §6.12): every rule of every policy runs
 * on every node of the policy's resource type (a provider type or a component), before
 * graph_finish.  A condition that waits for deploy-time values is PO_UNKNOWN; a message's
 * parts that are secret are redacted one by one.  The rules themselves are compiled
 * functions (compiler/emit.c); this file only drives them. */
#include <string.h>

#include "vm/vm.h"

static const char *message(Vm *vm, Val parts) {
  Rt *rt = vm_rt(vm);
  SBuf b;
  sb_init(&b, rt);
  if (parts.tag != VT_LIST) return "(no message)";
  for (uint32_t i = 0; i < parts.as.l->n; i++) {
    Val p = parts.as.l->items[i];
    if (val_has_secret(p) || val_is_secret(parts)) sb_adds(&b, "[secret]");
    else if (p.tag == VT_STR) sb_add(&b, p.as.s->s, p.as.s->len);
    else if (p.tag == VT_UNKNOWN) sb_adds(&b, "(known after deploy)");
    else val_show(&b, p, 200);
  }
  sb_addc(&b, 0);
  return b.p;
}

bool vm_run_policies(Vm *vm, Graph *g, VmError *err) {
  const BcModule *m = vm_module(vm);
  uint32_t nnodes = g->nnodes;
  for (uint32_t p = 0; p < m->npolicies; p++) {
    const BcPolicy *pol = &m->policies[p];
    for (uint32_t node = 0; node < nnodes; node++) {
      if (vm_node_rtype(vm, node) != pol->rtype) continue;
      Val arg = val_res(node);
      for (uint32_t r = 0; r < pol->nrules; r++) {
        const BcRule *rule = &pol->rules[r];
        Val c;
        if (!vm_call(vm, rule->cond, &arg, 1, &c, err)) return false;
        PolicyResult res = {0};
        res.policy = m->strs[pol->title].s;
        res.node = node;
        res.span = (Span){rule->loc, 0, 0};
        if (c.tag == VT_UNKNOWN) {
          res.outcome = PO_UNKNOWN;
          res.message = NULL;
        } else if (c.tag == VT_BOOL && c.as.b) {
          Val parts;
          if (!vm_call(vm, rule->msg, &arg, 1, &parts, err)) return false;
          res.outcome = rule->kind == 0 ? PO_DENY : PO_WARN;
          res.message = message(vm, parts);
        } else continue;
        graph_add_policy(g, &res);
      }
    }
  }
  return true;
}
