/* platc subcommands.  Each takes the arguments after its name (argv[0] is the command
 * name) and returns the process exit status: 0 success, 1 problems found, 2 usage or I/O. */
#ifndef PLAT_CLI_H
#define PLAT_CLI_H

#include <stdint.h>

int cmd_check(int argc, char **argv);     /* cli/cmd_check.c */
int cmd_fmt(int argc, char **argv);       /* cli/cmd_fmt.c */
int cmd_explain(int argc, char **argv);   /* cli/cmd_explain.c */
int cmd_help(int argc, char **argv);      /* cli/main.c */
int cmd_lsp(int argc, char **argv);       /* cli/cmd_lsp.c */

/* Helpers shared by the subcommands (cli/main.c).  All print to stderr and return 2, the
 * usage exit status, so a command can `return cli_usage_error(...)`. */

/* "platc CMD: MESSAGE" then "usage: USAGE" and a pointer to `platc help CMD`. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An unknown option [opt] of [cmd]: says so, suggests the closest of [known] ([n] names). */
int cli_unknown_option(const char *cmd, const char *usage, const char *opt,
                       const char *const *known, uint32_t n);

#endif
