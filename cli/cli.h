/* platc subcommands.  Each takes the arguments after its name (argv[0] is the command
 * name) and returns the process exit status: 0 success, 1 problems found, 2 usage or I/O. */
#ifndef PLAT_CLI_H
#define PLAT_CLI_H

#include <stdbool.h>
#include <stdint.h>

int cmd_check(int argc, char **argv);     /* cli/cmd_check.c */
int cmd_fmt(int argc, char **argv);       /* cli/cmd_fmt.c */
int cmd_explain(int argc, char **argv);   /* cli/cmd_explain.c */
int cmd_help(int argc, char **argv);      /* cli/main.c */
int cmd_lsp(int argc, char **argv);       /* cli/cmd_lsp.c */
int cmd_eval(int argc, char **argv);      /* cli/cmd_eval.c */
int cmd_test(int argc, char **argv);      /* cli/cmd_test.c */
int cmd_plan(int argc, char **argv);      /* cli/cmd_deploy.c */
int cmd_deploy(int argc, char **argv);    /* cli/cmd_deploy.c */
int cmd_destroy(int argc, char **argv);   /* cli/cmd_deploy.c */
int cmd_refresh(int argc, char **argv);   /* cli/cmd_deploy.c */
int cmd_import(int argc, char **argv);    /* cli/cmd_deploy.c */
int cmd_stack(int argc, char **argv);     /* cli/cmd_stack.c */
int cmd_config(int argc, char **argv);    /* cli/cmd_stack.c */
int cmd_state(int argc, char **argv);     /* cli/cmd_stack.c */
int cmd_output(int argc, char **argv);    /* cli/cmd_stack.c */
int cmd_build(int argc, char **argv);     /* cli/cmd_build.c */
int cmd_disasm(int argc, char **argv);    /* cli/cmd_disasm.c */
int cmd_graph(int argc, char **argv);     /* cli/cmd_graph.c */

/* Helpers shared by the subcommands (cli/main.c).  All print to stderr and return 2, the
 * usage exit status, so a command can `return cli_usage_error(...)`. */

/* "platc CMD: MESSAGE" then "usage: USAGE" and a pointer to `platc help CMD`. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An unknown option [opt] of [cmd]: says so, suggests the closest of [known] ([n] names). */
int cli_unknown_option(const char *cmd, const char *usage, const char *opt,
                       const char *const *known, uint32_t n);

/* Does [path] exist as something other than a regular file (/dev/null, /dev/stdout, a
 * FIFO)?  Output is then written to it directly: renaming a temporary file over it, as
 * atomic writes do, would replace the device with a file. */
bool cli_write_in_place(const char *path);

/* ---- programs: from .plat sources or a .platb (cli/load.c) ---------------------------- */
struct Plat;
struct BcModule;

/* A program ready to run: its bytecode module, verified when it came from a .platb. */
typedef struct CliProgram {
  struct BcModule *mod;      /* owned */
  struct Plat *plat;         /* the checked compilation when loaded from sources, else NULL */
  const char *platb;         /* the .platb path when loaded from one, else NULL */
} CliProgram;

/* The one way every program-taking command (graph, eval, check --policies, plan, ...)
 * gets its program.  A single path ending in ".platb" is read and verified (a refused
 * file: "platc CMD: app.platb: corrupt: ..." on stderr); otherwise [paths] ([n]; none: the
 * current folder) are checked as `platc check` checks them and compiled.  [prepare], when
 * not NULL, is called with the fresh Plat and [ud] before checking (plat_overlay for eval).
 * Errors and, when there are errors, all diagnostics go to stderr as text.  A .platb
 * whose recorded sources all exist and no longer match its source hash gets a warning and
 * is used.  Returns 0 with *out filled (free with cli_program_free), 1 when the program has
 * errors, 2 when a path cannot be read or a .platb is refused. */
int cli_load_program(const char *cmd, const char *const *paths, uint32_t n, CliProgram *out,
                     void (*prepare)(struct Plat *p, void *ud), void *ud);
void cli_program_free(CliProgram *prog);
/* `platc check --policies` (cli/policies.c): compile the checked, error-free [p], run it
 * with params [cfg] ([ncfg]), print each policy result as a diagnostic-like line on stderr.
 * Returns 1 when a deny rule fired or the run failed, else 0. */
struct VmConfig;
int cli_check_policies(struct Plat *p, const struct VmConfig *cfg, uint32_t ncfg, bool color);
/* The same on a module (from a .platb); takes ownership of [m]. */
int cli_run_policies(struct BcModule *m, const struct VmConfig *cfg, uint32_t ncfg, bool color);
/* Does [path] name a .platb (by its extension)? */
bool cli_is_platb(const char *path);

#endif
