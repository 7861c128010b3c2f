/* platc: the command-line entry point.  Finds the subcommand and hands it the rest of the
 * arguments; help, --version and the usage-error helpers live here.  Thin by design: every
 * command is a few lines of flag parsing over libplat (compiler/compiler.h).  The commands,
 * flags and exit statuses are documented in docs/cli.md. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "compiler/compiler.h"

typedef struct Command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
    {"check", cmd_check, "Type-check Plat modules and report diagnostics"},
    {"fmt", cmd_fmt, "Format .plat files in the canonical style"},
    {"explain", cmd_explain, "Explain a diagnostic code, e.g. `platc explain E0200`"},
    {"graph", cmd_graph, "Print a program's resource graph as JSON, dot or Mermaid"},
    {"test", cmd_test, "Run the program's test blocks"},
    {"eval", cmd_eval, "Print the value of an expression as JSON, in a module's context"},
    {"build", cmd_build, "Compile a program to a .platb bytecode module"},
    {"disasm", cmd_disasm, "Print a .platb module (or a program's bytecode) readably"},
    {"plan", cmd_plan, "Show what a deploy would change on a stack"},
    {"deploy", cmd_deploy, "Converge a stack's resources to the program"},
    {"destroy", cmd_destroy, "Delete every resource of a stack"},
    {"refresh", cmd_refresh, "Read resources back and record drift in the state"},
    {"output", cmd_output, "Print a stack's outputs"},
    {"import", cmd_import, "Adopt an existing resource into a stack's state"},
    {"stack", cmd_stack, "Make, list, select and remove stacks"},
    {"config", cmd_config, "Set, get and remove a stack's config values"},
    {"state", cmd_state, "List, show, forget, move state entries; free a lock"},
    {"lsp", cmd_lsp, "Run the language server for editors (LSP over stdio)"},
    {"help", cmd_help, "Show help for platc or for one command"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const Command *find_command(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

static const char *suggest_command(const char *name) {
  const char *names[NCOMMANDS];
  uint32_t n = 0;
  for (size_t i = 0; i < NCOMMANDS; i++) names[n++] = commands[i].name;
  return diag_suggest(name, names, n);
}

static void print_help(FILE *out) {
  fprintf(out, "platc %s: the Plat toolchain\n\n", PLAT_VERSION);
  fputs("Usage: platc <command> [options] [arguments]\n\nCommands:\n", out);
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fputs("\nOptions:\n"
        "  -h, --help     Show this help\n"
        "      --version  Print the version\n"
        "\nRun 'platc help <command>' for the options of one command.\n"
        "Exit status: 0 success, 1 problems found, 2 usage or I/O error.\n",
        out);
}

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...) {
  fprintf(stderr, "platc%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nusage: %s; run 'platc help%s%s' for more\n", usage, cmd ? " " : "",
          cmd ? cmd : "");
  return 2;
}

int cli_unknown_option(const char *cmd, const char *usage, const char *opt,
                       const char *const *known, uint32_t n) {
  /* compare the name only: "--formt=json" suggests "--format" */
  char name[64];
  size_t len = strcspn(opt, "=");
  if (len >= sizeof name) len = sizeof name - 1;
  memcpy(name, opt, len);
  name[len] = 0;
  const char *s = diag_suggest(name, known, n);
  if (s) return cli_usage_error(cmd, usage, "unknown option '%s'; did you mean '%s'?", name, s);
  return cli_usage_error(cmd, usage, "unknown option '%s'", name);
}

bool cli_write_in_place(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && !S_ISREG(sb.st_mode);
}

static const char *main_usage = "platc <command> [options] [arguments]";

/* platc help [COMMAND]: a command's own --help, so each command owns its text. */
int cmd_help(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) argc = 1;
  if (argc < 2) { print_help(stdout); return 0; }
  if (argc > 2) return cli_usage_error("help", "platc help [COMMAND]", "expected one command, got %d", argc - 1);
  const Command *c = find_command(argv[1]);
  if (!c) {
    const char *s = suggest_command(argv[1]);
    if (s) return cli_usage_error(NULL, main_usage, "unknown command '%s'; did you mean '%s'?", argv[1], s);
    return cli_usage_error(NULL, main_usage, "unknown command '%s'", argv[1]);
  }
  if (c->run == cmd_help) { print_help(stdout); return 0; }
  char *args[] = {(char *)c->name, (char *)"--help", NULL};
  return c->run(2, args);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_help(stderr);
    return 2;
  }
  const char *a = argv[1];
  if (strcmp(a, "--version") == 0) {
    printf("platc %s\n", PLAT_VERSION);
    return 0;
  }
  if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
    print_help(stdout);
    return 0;
  }
  if (a[0] == '-') {
    static const char *const opts[] = {"--help", "--version"};
    return cli_unknown_option(NULL, main_usage, a, opts, 2);
  }
  const Command *c = find_command(a);
  if (!c) {
    const char *s = suggest_command(a);
    if (s) return cli_usage_error(NULL, main_usage, "unknown command '%s'; did you mean '%s'?", a, s);
    return cli_usage_error(NULL, main_usage, "unknown command '%s'", a);
  }
  int rc = c->run(argc - 1, argv + 1);
  /* a full disk must not look like success, nor like a report that was delivered */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "platc: cannot write output\n");
    rc = 2;
  }
  return rc;
}
