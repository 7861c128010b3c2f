/* The one function every program-taking command uses to get its program
 * (cli_load_program, cli/cli.h): a .platb is read and verified (vm/platb.h), anything else
 * is checked and compiled (compiler/emit.h).  It prints what went wrong and says nothing
 * on success; running the program is the caller's business. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "compiler/compiler.h"
#include "compiler/emit.h"
#include "vm/platb.h"

bool cli_is_platb(const char *path) {
  size_t n = strlen(path);
  return n > 6 && strcmp(path + n - 6, ".platb") == 0;
}

static bool color_stderr(void) {
  const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
  if (no && *no) return false;
  if (term && strcmp(term, "dumb") == 0) return false;
  return isatty(STDERR_FILENO);
}

static int load_platb(const char *cmd, const char *path, CliProgram *out) {
  char err[PB_ERRMAX];
  BcModule *m = pb_read_file(path, err);
  if (!m) {
    fprintf(stderr, "platc %s: %s\n", cmd, err);
    return 2;
  }
  if (pb_sources_match(m) == 0)
    fprintf(stderr, "platc %s: warning: %s was built from other sources than those now at its "
            "recorded paths; rebuild it with `platc build`\n", cmd, path);
  out->mod = m;
  out->platb = path;
  return 0;
}

int cli_load_program(const char *cmd, const char *const *paths, uint32_t n, CliProgram *out,
                     void (*prepare)(Plat *p, void *ud), void *ud) {
  memset(out, 0, sizeof *out);
  for (uint32_t i = 0; i < n; i++) {
    if (!cli_is_platb(paths[i])) continue;
    if (n > 1) {
      fprintf(stderr, "platc %s: %s is a whole compiled program: give it alone, without "
              "other paths\n", cmd, paths[i]);
      return 2;
    }
    return load_platb(cmd, paths[i], out);
  }
  static const char *const here[] = {"."};
  if (n == 0) { paths = here; n = 1; }
  Plat *p = plat_new();
  if (prepare) prepare(p, ud);
  bool loaded = plat_check_paths(p, paths, n);
  bool io_error = !loaded && p->diags.nerrors == 0;
  for (uint32_t i = 0; i < p->diags.n; i++)
    if (p->diags.items[i]->code == DIAG_E0505) io_error = true;
  BcModule *m = NULL;
  if (!io_error && p->diags.nerrors == 0) m = emit_program(p);
  if (!m) {
    /* warnings are `platc check`'s to report; with errors, everything is shown */
    plat_render(p, stderr, PLAT_FMT_TEXT, color_stderr());
    const char *summary = plat_summary(p);
    if (summary) fprintf(stderr, "error: %s failed: %s emitted\n", cmd, summary);
    else if (io_error) fprintf(stderr, "platc %s: nothing to compile\n", cmd);
    plat_free(p);
    return io_error ? 2 : 1;
  }
  pb_stamp(m, &p->sources);
  out->mod = m;
  out->plat = p;
  return 0;
}

void cli_program_free(CliProgram *prog) {
  if (!prog) return;
  bc_free(prog->mod);
  if (prog->plat) plat_free(prog->plat);
  memset(prog, 0, sizeof *prog);
}
