/* platc disasm FILE.platb|PATH...: print a module readably (pb_disasm, vm/disasm.c): its
 * tables, then each function's instructions under the source lines they come from.  A
 * .platb is loaded and verified first; sources are checked and compiled as `platc build`
 * would compile them, so the listing is of exactly what build writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vm/platb.h"

static const char *usage = "platc disasm FILE.platb|PATH...";

static int help(void) {
  printf("usage: %s\n\n"
         "Print the bytecode module in FILE.platb (verified first), or the module the Plat\n"
         "program at PATH compiles to, readably: the constant pool, globals, params, resource\n"
         "types and declarations, policies, tests and outputs, then every function's\n"
         "instructions with decoded operands, each group under its source line (when the\n"
         "source file can still be read at the path it was built from).\n\n"
         "Options:\n"
         "  -h, --help  show this help\n\n"
         "The format is described in docs/bytecode.md. Exit status: 0 printed, 1 the program\n"
         "has errors, 2 usage error, unreadable path or a .platb refused by the verifier.\n",
         usage);
  return 0;
}

int cmd_disasm(int argc, char **argv) {
  const char **paths = plat_xmalloc(((size_t)argc + 1) * sizeof *paths);
  uint32_t npaths = 0;
  bool opts = true;
  int rc = 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!opts || a[0] != '-' || a[1] == 0) { paths[npaths++] = a; continue; }
    if (strcmp(a, "--") == 0) { opts = false; continue; }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { rc = help(); goto done; }
    static const char *const known[] = {"--help"};
    cli_unknown_option("disasm", usage, a, known, 1);
    goto done;
  }
  if (npaths == 0) {
    cli_usage_error("disasm", usage, "expected a .platb file or a program's path");
    goto done;
  }
  CliProgram prog;
  rc = cli_load_program("disasm", paths, npaths, &prog, NULL, NULL);
  if (rc == 0) {
    pb_disasm(prog.mod, stdout);
    cli_program_free(&prog);
  }
done:
  free(paths);
  return rc;
}
