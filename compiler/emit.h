/* The compiler from the checked program (compiler/check.h) to a bytecode module
 * (vm/program.h): constant folding (the checker's constants reused), static slots for
 * every name (globals, component environments, locals: no name lookups at run time), one
 * function per user fn, component, resource body, refinement, policy rule and test.
 * It reads only a program that checked without errors; it never prints. */
#ifndef PLAT_EMIT_H
#define PLAT_EMIT_H

#include <stdbool.h>

#include "compiler/compiler.h"
#include "vm/program.h"

/* Compile the program checked in [p] (p->prog, after plat_check_paths with no errors)
 * into a new module (free with bc_free).  Returns NULL and adds a diagnostic to p->diags
 * when a limit of vm/program.h is exceeded (never for a program within them). */
BcModule *emit_program(Plat *p);

#endif
