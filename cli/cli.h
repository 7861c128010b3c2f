/* platc subcommands.  Each takes the arguments after its name (argv[0] is the command
 * name) and returns the process exit status: 0 success, 1 problems found, 2 usage or I/O. */
#ifndef PLAT_CLI_H
#define PLAT_CLI_H

int cmd_check(int argc, char **argv);     /* cli/cmd_check.c */
int cmd_fmt(int argc, char **argv);       /* cli/cmd_fmt.c */
int cmd_explain(int argc, char **argv);   /* cli/cmd_explain.c */
int cmd_help(int argc, char **argv);      /* cli/main.c */

#endif
