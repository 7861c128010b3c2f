/* platc lsp [--stdio] [--log FILE] [--debounce MS]
 * Runs the language server (lsp/lsp.h) on stdin/stdout until the client sends exit.
 * Nothing but protocol goes to stdout; --log writes a trace of every message to FILE.
 * Exit status as LSP says: 0 after shutdown then exit, 1 otherwise; 2 for a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lsp/lsp.h"

static const char *usage = "platc lsp [--stdio] [--log FILE] [--debounce MS]";

static void print_usage(FILE *out) {
  fputs("Usage: platc lsp [--stdio] [--log FILE] [--debounce MS]\n"
        "\n"
        "Run the Plat language server (LSP 3.17) over stdin and stdout, for editors.\n"
        "Editors start it themselves: see docs/lsp.md and editors/.\n"
        "\n"
        "Options:\n"
        "      --stdio        talk over stdin/stdout (the default and only transport)\n"
        "      --log FILE     append a trace of every message to FILE\n"
        "      --debounce MS  check a module once edits pause this long (default 4, max 5000)\n"
        "  -h, --help         show this help\n"
        "\n"
        "Exit status: 0 after shutdown then exit, 1 if the client exits without shutdown\n"
        "or input ends first, 2 on a usage error.\n",
        out);
}

int cmd_lsp(int argc, char **argv) {
  static const char *const options[] = {"--stdio", "--log", "--debounce", "--help"};
  LspOptions opt = {.in_fd = 0, .out_fd = 1};
  const char *log = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      print_usage(stdout);
      return 0;
    } else if (strcmp(a, "--stdio") == 0) {
      continue;
    } else if (strcmp(a, "--log") == 0 || strncmp(a, "--log=", 6) == 0) {
      log = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
      if (!log || !*log) return cli_usage_error("lsp", usage, "--log needs a file");
    } else if (strcmp(a, "--debounce") == 0 || strncmp(a, "--debounce=", 11) == 0) {
      const char *v = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);
      char *end = NULL;
      long ms = v ? strtol(v, &end, 10) : -1;
      if (!v || !*v || *end || ms < 1 || ms > 5000)
        return cli_usage_error("lsp", usage, "--debounce needs a number of milliseconds from 1 to 5000");
      opt.debounce_ms = (uint32_t)ms;
    } else if (a[0] == '-') {
      return cli_unknown_option("lsp", usage, a, options, 4);
    } else {
      return cli_usage_error("lsp", usage, "unexpected argument '%s'", a);
    }
  }
  if (log) {
    opt.log = fopen(log, "a");
    if (!opt.log) {
      fprintf(stderr, "platc lsp: cannot open log file '%s'\n", log);
      return 2;
    }
  }
  int rc = lsp_serve(&opt);
  if (opt.log) fclose(opt.log);
  return rc;
}
