/* platc check [--format F] [--color W] [--werror] [--max-errors N] [PATH...]
 * Parses flags, runs plat_check_paths and renders the diagnostics.  Text goes to stderr
 * (with a summary line), machine formats to stdout so they can be redirected to a file.
 * Exit: 0 no errors, 1 errors (or warnings under --werror), 2 usage or unreadable path. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "compiler/compiler.h"
#include "vm/vm.h"

static const char *usage = "platc check [--format text|gcc|json|sarif] [--color auto|always|never] "
                           "[--werror] [--max-errors N] [--policies [-c NAME=VALUE]... [--config FILE.json]] [PATH...]";

static void print_usage(FILE *out) {
  fputs("Usage: platc check [options] [PATH...]\n"
        "\n"
        "Type-check the Plat program at each PATH and report every problem. A folder is one\n"
        "module made of all its .plat files, a file is a one-file module; imports are\n"
        "followed. Without a PATH, the current folder is checked.\n"
        "\n"
        "Options:\n"
        "      --format FORMAT  text (the default), gcc, json or sarif\n"
        "      --color WHEN     auto (the default), always or never; auto colours only a\n"
        "                       terminal, and never when NO_COLOR is set\n"
        "      --werror         treat warnings as errors\n"
        "      --max-errors N   stop after N errors (0, the default, means no limit)\n"
        "      --policies       also run the program and its policies; deny rules are errors,\n"
        "                       warn rules warnings (the program must check without errors)\n"
        "  -c NAME=VALUE        with --policies: a value for the top-level param NAME\n"
        "      --config FILE    with --policies: param values from a JSON object\n"
        "  -h, --help           show this help\n"
        "\n"
        "Text diagnostics and the summary go to stderr; gcc, json and sarif go to stdout.\n"
        "Exit status: 0 no errors (warnings allowed), 1 errors found (or warnings with\n"
        "--werror), 2 usage error or a path that cannot be read.\n"
        "Explain a code with 'platc explain E0200'; formats are described in docs/cli.md.\n",
        out);
}

static const char *const options[] = {"--format", "--color", "--werror", "--max-errors", "--help",
                                      "--policies", "--config"};

static const char *const formats[] = {"text", "gcc", "json", "sarif"};
static const char *const colors[] = {"auto", "always", "never"};

/* Index of [v] in [names], or a usage error naming the choices and the closest one. */
static int pick(const char *opt, const char *v, const char *const *names, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(v, names[i]) == 0) return (int)i;
  char list[64] = "";
  for (uint32_t i = 0; i < n; i++) {
    strcat(list, names[i]);
    strcat(list, i + 2 < n ? ", " : i + 1 < n ? " or " : "");
  }
  const char *s = diag_suggest(v, names, n);
  if (s)
    cli_usage_error("check", usage, "invalid value '%s' for %s; did you mean '%s'? (%s)", v, opt, s, list);
  else
    cli_usage_error("check", usage, "invalid value '%s' for %s (expected %s)", v, opt, list);
  return -1;
}

static bool want_color(int mode, FILE *out) {
  if (mode == 1) return true;
  if (mode == 2) return false;
  const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
  if (no && *no) return false;        /* https://no-color.org: set and not empty */
  if (term && strcmp(term, "dumb") == 0) return false;
  return isatty(fileno(out));
}

/* --werror: every warning becomes an error, in the output as well as in the exit status,
 * so CI annotations and SARIF levels match what failed the build. */
static void promote_warnings(Plat *p) {
  DiagList *dl = &p->diags;
  for (uint32_t i = 0; i < dl->n; i++) {
    Diag *d = dl->items[i];
    if (d->sev != SEV_WARNING) continue;
    d->sev = SEV_ERROR;
    diag_note(dl, d, "warnings are errors because of --werror");
  }
  dl->nerrors += dl->nwarnings;
  dl->nwarnings = 0;
  if (!dl->max_errors || dl->nerrors <= dl->max_errors) return;
  /* --max-errors counts them too: keep the first max_errors errors in the order they were
   * found, as diag_add does, and one E0105 where the first dropped one was */
  uint32_t limit = dl->max_errors, kept = 0, n = 0;
  Diag *stop = NULL;
  for (uint32_t i = 0; i < dl->n; i++) {
    Diag *d = dl->items[i];
    if (d->code == DIAG_E0105 && !stop) stop = d;
    else if (d->code != DIAG_E0105 && kept < limit) { dl->items[n++] = d; kept++; }
    else if (!stop) {
      dl->max_errors = 0;
      stop = diag_add(dl, DIAG_E0105, d->span, "too many errors (limit is %u); stopping here", limit);
      dl->max_errors = limit;
      dl->n--;   /* placed below, in order */
    }
  }
  dl->items[n++] = stop;
  dl->n = n;
  dl->nerrors = n;
}

/* Several paths may hold the same file twice: `platc check . main.plat` checks main.plat in
 * the folder's module and alone.  What both checks say about it, word for word at the same
 * place, is shown once. */
typedef struct DupKey {
  const char *path;
  const Diag *d;
  uint32_t seq;
} DupKey;

static int dup_cmp(const void *x, const void *y) {
  const DupKey *a = x, *b = y;
  int c = strcmp(a->path, b->path);
  if (c) return c;
  if (a->d->span.start != b->d->span.start) return a->d->span.start < b->d->span.start ? -1 : 1;
  if (a->d->span.end != b->d->span.end) return a->d->span.end < b->d->span.end ? -1 : 1;
  if (a->d->code != b->d->code) return a->d->code < b->d->code ? -1 : 1;
  if ((c = strcmp(a->d->msg, b->d->msg))) return c;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void drop_repeats(Plat *p) {
  DiagList *dl = &p->diags;
  if (dl->n < 2) return;
  DupKey *k = plat_xmalloc(dl->n * sizeof *k);
  bool *drop = plat_xcalloc(dl->n, sizeof *drop);
  for (uint32_t i = 0; i < dl->n; i++) {
    const Diag *d = dl->items[i];
    const SourceFile *f = d->span.file == SPAN_NO_FILE ? NULL : source_file(&p->sources, d->span.file);
    k[i] = (DupKey){f ? f->path : "", d, i};
  }
  qsort(k, dl->n, sizeof *k, dup_cmp);
  for (uint32_t i = 1; i < dl->n; i++) {
    DupKey a = k[i - 1], b = k[i];
    b.seq = a.seq;   /* equal but for the order found */
    if (dup_cmp(&a, &b) == 0) drop[k[i].seq] = true;
  }
  uint32_t n = 0;
  for (uint32_t i = 0; i < dl->n; i++) {
    Diag *d = dl->items[i];
    if (!drop[i]) { dl->items[n++] = d; continue; }
    if (d->sev == SEV_ERROR) dl->nerrors--;
    else if (d->sev == SEV_WARNING) dl->nwarnings--;
  }
  dl->n = n;
  free(k);
  free(drop);
}

int cmd_check(int argc, char **argv) {
  int format = 0, color = 0;
  bool werror = false, policies = false;
  VmConfig *cfg = NULL;
  uint32_t ncfg = 0;
  unsigned long max_errors = 0;
  const char **paths = plat_xmalloc(((size_t)argc + 1) * sizeof *paths);
  uint32_t npaths = 0;
  bool opts = true;
  int rc = 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!opts || a[0] != '-' || a[1] == 0) { paths[npaths++] = a; continue; }
    if (strcmp(a, "--") == 0) { opts = false; continue; }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { print_usage(stdout); rc = 0; goto done; }
    if (strcmp(a, "--werror") == 0) { werror = true; continue; }
    if (strcmp(a, "--policies") == 0) { policies = true; continue; }
    if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
      if (i + 1 >= argc) { cli_usage_error("check", usage, "option '%s' needs a value", a); goto done; }
      const char *v = argv[++i];
      char err[600];
      if (a[1] == 'c' && !vm_config_arg(v, &cfg, &ncfg)) {
        cli_usage_error("check", usage, "-c needs NAME=VALUE, not '%s'", v);
        goto done;
      }
      if (a[1] == '-' && !vm_config_load(v, &cfg, &ncfg, err, sizeof err)) {
        fprintf(stderr, "platc check: %s\n", err);
        goto done;
      }
      continue;
    }
    /* options with a value: --opt VALUE or --opt=VALUE */
    const char *eq = strchr(a, '=');
    size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
    const char *name = NULL;
    static const char *const valued[] = {"--format", "--color", "--max-errors"};
    for (size_t k = 0; k < 3; k++)
      if (strlen(valued[k]) == nlen && strncmp(a, valued[k], nlen) == 0) name = valued[k];
    if (!name) { cli_unknown_option("check", usage, a, options, 7); goto done; }
    const char *v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
    if (!v) { cli_usage_error("check", usage, "option '%s' needs a value", name); goto done; }
    if (strcmp(name, "--format") == 0) {
      if ((format = pick(name, v, formats, 4)) < 0) goto done;
    } else if (strcmp(name, "--color") == 0) {
      if ((color = pick(name, v, colors, 3)) < 0) goto done;
    } else {
      char *end;
      max_errors = strtoul(v, &end, 10);
      if (!*v || *end || v[0] == '-' || max_errors > 1000000) {
        cli_usage_error("check", usage, "invalid value '%s' for --max-errors (expected a number from 0 to 1000000)", v);
        goto done;
      }
    }
  }
  if (npaths == 0) paths[npaths++] = ".";

  /* A .platb: compiled and checked when it was built; loading verifies it, and
     --policies runs its policies as for sources. */
  if (npaths == 1 && cli_is_platb(paths[0])) {
    CliProgram prog;
    rc = cli_load_program("check", paths, 1, &prog, NULL, NULL);
    if (rc == 0 && policies) {
      rc = cli_run_policies(prog.mod, cfg, ncfg, want_color(color, stderr));
      prog.mod = NULL;
    }
    cli_program_free(&prog);
    goto done;
  }

  Plat *p = plat_new();
  p->diags.max_errors = (uint32_t)max_errors;
  bool loaded = plat_check_paths(p, paths, npaths);
  if (npaths > 1) drop_repeats(p);
  if (werror) promote_warnings(p);
  PlatFormat pf = (PlatFormat[]){PLAT_FMT_TEXT, PLAT_FMT_GCC, PLAT_FMT_JSON, PLAT_FMT_SARIF}[format];
  FILE *out = pf == PLAT_FMT_TEXT ? stderr : stdout;
  /* stderr is unbuffered: 100,000 diagnostics took 13 s a character at a time.  Nothing
   * has been written to it yet, so it may still be given a buffer (flushed below). */
  static char errbuf[1 << 16];
  if (out == stderr) setvbuf(stderr, errbuf, _IOFBF, sizeof errbuf);
  bool col = pf == PLAT_FMT_TEXT && want_color(color, out);
  plat_render(p, out, pf, col);
  const char *summary = plat_summary(p);
  if (pf == PLAT_FMT_TEXT && summary) {
    bool err = p->diags.nerrors > 0;
    fprintf(out, "%s%s%s%s: %s%s emitted%s\n", col ? (err ? "\033[1;31m" : "\033[1;33m") : "",
            err ? "error" : "warning", col ? "\033[0m" : "", col ? "\033[1m" : "",
            err ? "check failed: " : "", summary, col ? "\033[0m" : "");
  }
  /* 2 for a path that cannot be read (E0505); a folder without .plat files (E0502) is a
   * problem of the program, 1.  A failed load that said nothing is treated as I/O. */
  bool io_error = !loaded && p->diags.nerrors == 0;
  if (out == stderr && (fflush(stderr) != 0 || ferror(stderr))) io_error = true;
  for (uint32_t i = 0; i < p->diags.n; i++)
    if (p->diags.items[i]->code == DIAG_E0505) io_error = true;
  rc = io_error ? 2 : p->diags.nerrors ? 1 : 0;
  if (rc == 0 && policies) rc = cli_check_policies(p, cfg, ncfg, col);
  plat_free(p);
done:
  vm_config_free(cfg, ncfg);
  free(paths);
  return rc;
}
