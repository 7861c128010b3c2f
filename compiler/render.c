/* placeholder: replaced by the diagnostics work */
#include "compiler/compiler.h"
void plat_render(Plat *p, FILE *out, PlatFormat fmt, bool color) {
  (void)fmt; (void)color;
  for (uint32_t i = 0; i < p->diags.n; i++) fprintf(out, "%s\n", p->diags.items[i]->msg);
}
const char *plat_summary(Plat *p) { (void)p; return NULL; }
const char *plat_explain(DiagCode code, size_t *len) { (void)code; *len = 0; return NULL; }
