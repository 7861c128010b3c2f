/* platc explain CODE... | --list
 * Prints a code's section of docs/diagnostics.md (embedded in the binary) to stdout, or
 * the list of every code with its name and summary.  Codes are case-insensitive and may be
 * given by name (`unused-name`, as --list, JSON and SARIF show it); an unknown code is a
 * usage error (exit 2) with the closest code or name suggested. */
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "compiler/compiler.h"

static const char *usage = "platc explain CODE... | platc explain --list";

static void print_usage(FILE *out) {
  fputs("Usage: platc explain CODE...\n"
        "       platc explain --list\n"
        "\n"
        "Explain a diagnostic code (E0200, w0001: case does not matter; or its name, such as\n"
        "unused-name): what it means, why it is a problem, an example that triggers it and\n"
        "how to fix it. The text is the code's section of docs/diagnostics.md.\n"
        "\n"
        "Options:\n"
        "      --list   list every code with its name and summary\n"
        "  -h, --help   show this help\n",
        out);
}

static void list_codes(void) {
  size_t w = 0;
  for (int i = 0; i < DIAG__COUNT; i++)
    if (strlen(diag_code_slug((DiagCode)i)) > w) w = strlen(diag_code_slug((DiagCode)i));
  for (int i = 0; i < DIAG__COUNT; i++) {
    DiagCode c = (DiagCode)i;
    printf("%s  %-*s  %s\n", diag_code_name(c), (int)w, diag_code_slug(c), diag_code_summary(c));
  }
}

/* [a] as a code (E0200, e0200) or a code's name (undefined-name), case-insensitive. */
static bool parse_code(const char *a, DiagCode *c) {
  if (diag_code_parse(a, c)) return true;
  for (int k = 0; k < DIAG__COUNT; k++)
    if (strcasecmp(a, diag_code_slug((DiagCode)k)) == 0) {
      *c = (DiagCode)k;
      return true;
    }
  return false;
}

int cmd_explain(int argc, char **argv) {
  static const char *const options[] = {"--list", "--help"};
  int ncodes = 0;
  bool list = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { print_usage(stdout); return 0; }
    if (strcmp(a, "--list") == 0) { list = true; continue; }
    if (a[0] == '-' && a[1]) return cli_unknown_option("explain", usage, a, options, 2);
    DiagCode c;
    if (!parse_code(a, &c)) {
      /* a code-like word is compared with codes, anything else with names */
      const char *d = strchr("EeWw", a[0]) && a[0] ? a + 1 : a;
      bool codeish = *d != 0 && strspn(d, "0123456789") == strlen(d);
      const char *names[DIAG__COUNT];
      for (int k = 0; k < DIAG__COUNT; k++)
        names[k] = codeish ? diag_code_name((DiagCode)k) : diag_code_slug((DiagCode)k);
      const char *s = diag_suggest(a, names, DIAG__COUNT);
      fprintf(stderr, "platc explain: unknown code '%s'", a);
      if (s) fprintf(stderr, "; did you mean '%s'?", s);
      fputs("\nrun 'platc explain --list' to see every code\n", stderr);
      return 2;
    }
    ncodes++;
  }
  if (list && ncodes)
    return cli_usage_error("explain", usage, "give codes or --list, not both");
  if (list) { list_codes(); return 0; }
  if (!ncodes) return cli_usage_error("explain", usage, "which code? e.g. 'platc explain E0200'");
  int printed = 0;
  for (int i = 1; i < argc; i++) {
    DiagCode c;
    if (!parse_code(argv[i], &c)) continue;
    size_t len;
    const char *text = plat_explain(c, &len);
    if (printed++) fputc('\n', stdout);
    if (text) {
      fwrite(text, 1, len, stdout);
      fputc('\n', stdout);
    } else {
      /* every code has a section (tests/run_cli.sh checks); this is a broken build */
      printf("## %s: %s\n\nNo explanation is written for this code yet.\n", diag_code_name(c),
             diag_code_summary(c));
    }
  }
  return 0;
}
