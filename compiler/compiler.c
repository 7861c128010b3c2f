/* The Plat compilation object: see compiler.h.  Loading and checking live in module.c and
 * check.c, rendering in render.c, formatting in fmt.c. */
#include "compiler/compiler.h"

#include <stdlib.h>
#include <string.h>

Plat *plat_new(void) {
  Plat *p = plat_xcalloc(1, sizeof *p);
  arena_init(&p->arena);
  source_init(&p->sources);
  intern_init(&p->strs, &p->arena);
  diag_init(&p->diags, &p->arena);
  return p;
}

void plat_free(Plat *p) {
  if (!p) return;
  diag_free(&p->diags);
  intern_free(&p->strs);
  source_free(&p->sources);
  arena_free(&p->arena);
  free(p);
}

AstFile *plat_parse(Plat *p, uint32_t file) {
  const SourceFile *sf = source_file(&p->sources, file);
  ParseInput in = {
      .arena = &p->arena, .strs = &p->strs, .diags = &p->diags, .sources = &p->sources,
      .file = file, .schema = sf && sf->builtin,
  };
  return parse_file(&in);
}
