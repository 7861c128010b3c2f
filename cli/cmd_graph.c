/* platc graph [PATH...|FILE.platb] [--format json|dot|mermaid] [--svg FILE] [-o FILE]
 *             [-c NAME=VALUE]... [--config FILE.json]
 * Loads the program (cli_load_program), runs it on the VM into a resource graph and prints
 * it with vm/graph.c's writers (docs/graph.md).  --svg pipes the dot form into Graphviz's
 * `dot`, found on PATH and started with posix_spawnp and fixed arguments, never a shell.
 * Exit: 0 written, 1 the program has errors or its run failed, 2 usage, I/O, or no `dot`. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "compiler/compiler.h"
#include "vm/graph.h"
#include "vm/vm.h"

extern char **environ;

static const char *usage =
    "platc graph [PATH...|FILE.platb] [--format json|dot|mermaid] [--svg FILE] [-o FILE] "
    "[-c NAME=VALUE]... [--config FILE.json]";

static void print_usage(FILE *out) {
  fputs("Usage: platc graph [options] [PATH...|FILE.platb]\n"
        "\n"
        "Run the Plat program at PATH (folders and .plat files, as `platc check` takes them;\n"
        "without a PATH, the current folder) or a module built by `platc build`, and print\n"
        "its resource graph: every resource with its inputs (deploy-time values marked with\n"
        "what they wait for, secrets redacted), dependencies, component instances, lifecycle\n"
        "options, the outputs and the policy results. The format is in docs/graph.md.\n"
        "\n"
        "Options:\n"
        "      --format FORMAT     json (the default), dot (Graphviz) or mermaid\n"
        "  -o, --output FILE       write to FILE instead of stdout\n"
        "      --svg FILE          draw the graph into FILE with Graphviz's `dot` (must be on\n"
        "                          PATH); nothing goes to stdout unless -o or --format is given\n"
        "  -c, --config-value NAME=VALUE\n"
        "                          give the top-level param NAME a value, read by its type\n"
        "                          (strings as is, numbers and bools parsed, lists and maps as\n"
        "                          JSON)\n"
        "      --config FILE.json  give params from a JSON object (NAME: value); -c wins\n"
        "  -h, --help              show this help\n"
        "\n"
        "Policy results are in the graph; a summary of them goes to stderr (list them with\n"
        "`platc check --policies`).\n"
        "Exit status: 0 graph written, 1 the program has errors or its run failed, 2 usage\n"
        "error, a path that cannot be read or written, or --svg without Graphviz.\n",
        out);
}

static const char *const options[] = {"--format", "--output", "--svg", "--config-value",
                                      "--config", "--help"};

typedef bool (*GraphWriter)(const Graph *g, FILE *out);
static const char *const format_names[] = {"json", "dot", "mermaid"};
static const GraphWriter writers[] = {graph_write_json, graph_write_dot, graph_write_mermaid};

typedef struct GraphArgs {
  int format;               /* index in format_names */
  bool format_given;
  const char *out, *svg, *config_file;
  const char **paths;
  uint32_t npaths;
  VmConfig *cfg;            /* --config's entries, then -c's: the last of a name wins */
  uint32_t ncfg;
  VmConfig *given;          /* -c, in order */
  uint32_t ngiven;
} GraphArgs;

static void args_free(GraphArgs *a) {
  vm_config_free(a->cfg, a->ncfg);
  vm_config_free(a->given, a->ngiven);
  free(a->paths);
}

/* Parses argv into [a]; returns -1 to go on, else the exit status (help, usage error). */
static int parse_args(int argc, char **argv, GraphArgs *a) {
  memset(a, 0, sizeof *a);
  a->paths = plat_xmalloc((size_t)argc * sizeof *a->paths);
  char name[32];
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    bool has_next = i + 1 < argc;
    /* --name=value is --name value */
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    const char *inline_val = NULL;
    if (eq && (size_t)(eq - arg) < sizeof name) {
      memcpy(name, arg, (size_t)(eq - arg));
      name[eq - arg] = 0;
      arg = name;
      inline_val = eq + 1;
    }
    /* the value of an option that takes one: inline, or the next argument */
#define NEXT() (inline_val ? inline_val : argv[++i])
    if (inline_val) has_next = true;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      print_usage(stdout);
      return 0;
    }
    if (strcmp(arg, "--") == 0) {
      while (++i < argc) a->paths[a->npaths++] = argv[i];
      break;
    }
    bool takes = strcmp(arg, "--format") == 0 || strcmp(arg, "-o") == 0 ||
                 strcmp(arg, "--output") == 0 || strcmp(arg, "--svg") == 0 ||
                 strcmp(arg, "-c") == 0 || strcmp(arg, "--config-value") == 0 ||
                 strcmp(arg, "--config") == 0;
    if (takes && !has_next) return cli_usage_error("graph", usage, "%s needs a value", arg);
    if (strcmp(arg, "--format") == 0) {
      const char *v = NEXT();
      a->format = -1;
      for (int f = 0; f < 3; f++)
        if (strcmp(v, format_names[f]) == 0) a->format = f;
      if (a->format < 0) {
        const char *s = diag_suggest(v, format_names, 3);
        if (s)
          return cli_usage_error("graph", usage, "invalid value '%s' for --format; did you mean "
                                 "'%s'? (json, dot or mermaid)", v, s);
        return cli_usage_error("graph", usage, "invalid value '%s' for --format (expected json, "
                               "dot or mermaid)", v);
      }
      a->format_given = true;
    } else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
      a->out = NEXT();
    } else if (strcmp(arg, "--svg") == 0) {
      a->svg = NEXT();
    } else if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config-value") == 0) {
      const char *kv = NEXT();
      if (!vm_config_arg(kv, &a->given, &a->ngiven))
        return cli_usage_error("graph", usage, "%s needs NAME=VALUE, not '%s'", arg, kv);
    } else if (strcmp(arg, "--config") == 0) {
      a->config_file = NEXT();
    } else if (arg[0] == '-' && arg[1]) {
      return cli_unknown_option("graph", usage, arg, options, sizeof options / sizeof *options);
    } else {
      a->paths[a->npaths++] = arg;
    }
#undef NEXT
  }
  if (a->out && a->svg && strcmp(a->out, a->svg) == 0)
    return cli_usage_error("graph", usage, "-o and --svg name the same file '%s'", a->out);
  if (a->config_file) {
    char err[512];
    if (!vm_config_load(a->config_file, &a->cfg, &a->ncfg, err, sizeof err)) {
      fprintf(stderr, "platc graph: %s\n", err);
      return 2;
    }
  }
  for (uint32_t i = 0; i < a->ngiven; i++) {
    a->cfg = plat_xrealloc(a->cfg, ((size_t)a->ncfg + 1) * sizeof *a->cfg);
    a->cfg[a->ncfg++] = a->given[i];
  }
  free(a->given);   /* its entries now belong to cfg */
  a->given = NULL;
  a->ngiven = 0;
  return -1;
}

/* Write [g] in [format] to [path] through a temporary file renamed into place, so that a
 * failed run never leaves half a graph where a whole one was. */
static int write_file(const Graph *g, GraphWriter wr, const char *path) {
  size_t n = strlen(path) + 32;
  char *tmp = plat_xmalloc(n);
  bool direct = cli_write_in_place(path);
  snprintf(tmp, n, direct ? "%s" : "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) {
    fprintf(stderr, "platc graph: cannot write '%s': %s\n", path, strerror(errno));
    free(tmp);
    return 2;
  }
  bool ok = wr(g, f);
  const char *why = ok ? NULL : graph_write_error();
  if (fclose(f) != 0 && ok) {
    ok = false;
    why = strerror(errno);
  }
  if (ok && !direct && rename(tmp, path) != 0) {
    ok = false;
    why = strerror(errno);
  }
  if (!ok) {
    fprintf(stderr, "platc graph: cannot write '%s': %s\n", path, why);
    if (!direct)
      unlink(tmp);
  }
  free(tmp);
  return ok ? 0 : 2;
}

/* --svg FILE: `dot -Tsvg -o FILE` with the dot form on its stdin. */
static int draw_svg(const Graph *g, const char *file) {
  int fds[2];
  if (pipe(fds) != 0) {
    fprintf(stderr, "platc graph: cannot run dot: %s\n", strerror(errno));
    return 2;
  }
  /* our end must not leak into dot, or dot would never see the end of its input */
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  char *args[] = {(char *)"dot", (char *)"-Tsvg", (char *)"-o", (char *)file, NULL};
  pid_t pid;
  int e = posix_spawnp(&pid, "dot", &fa, NULL, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[0]);
  if (e != 0) {
    close(fds[1]);
    if (e == ENOENT)
      fprintf(stderr, "platc graph: --svg needs Graphviz's `dot` program, and there is no `dot` "
              "on PATH; install Graphviz (Debian: apt-get install graphviz), or write "
              "`--format dot -o graph.dot` and draw it elsewhere\n");
    else
      fprintf(stderr, "platc graph: cannot run dot: %s\n", strerror(e));
    return 2;
  }
  /* dot may exit early (a bad output path): a write error then, not a SIGPIPE death */
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);
  FILE *f = fdopen(fds[1], "w");
  bool ok = f && graph_write_dot(g, f);
  if (f) fclose(f);
  else close(fds[1]);
  signal(SIGPIPE, old);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && ok) return 0;
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    fprintf(stderr, "platc graph: dot failed (exit status %d) drawing '%s'\n", WEXITSTATUS(status), file);
  else if (WIFSIGNALED(status))
    fprintf(stderr, "platc graph: dot was killed by signal %d drawing '%s'\n", WTERMSIG(status), file);
  else
    fprintf(stderr, "platc graph: cannot send the graph to dot: %s\n", graph_write_error());
  return 2;
}

/* One line on stderr when any policy fired: the results themselves are in the graph. */
static void policy_summary(const Graph *g) {
  uint32_t n[3] = {0, 0, 0};
  for (uint32_t i = 0; i < g->npolicies; i++)
    if ((unsigned)g->policies[i].outcome < 3) n[g->policies[i].outcome]++;
  if (!n[PO_DENY] && !n[PO_WARN] && !n[PO_UNKNOWN]) return;
  fprintf(stderr, "platc graph: policies: %u denied, %u warning%s, %u waiting for deploy; "
          "`platc check --policies` lists them\n", n[PO_DENY], n[PO_WARN],
          n[PO_WARN] == 1 ? "" : "s", n[PO_UNKNOWN]);
}

int cmd_graph(int argc, char **argv) {
  GraphArgs a;
  int rc = parse_args(argc, argv, &a);
  if (rc >= 0) {
    args_free(&a);
    return rc;
  }
  CliProgram prog;
  rc = cli_load_program("graph", a.paths, a.npaths, &prog, NULL, NULL);
  if (rc != 0) {
    args_free(&a);
    return rc;
  }
  VmOptions opt = {0};
  opt.config = a.cfg;
  opt.nconfig = a.ncfg;
  Vm *vm = vm_new(prog.mod, &opt);
  Graph g;
  graph_init(&g, vm_rt(vm));
  VmError err;
  if (!vm_run(vm, &g, &err)) {
    vm_error_print(&err, stderr);
    rc = 1;
  } else {
    rc = 0;
    GraphWriter wr = writers[a.format];
    if (a.out) {
      rc = write_file(&g, wr, a.out);
    } else if (!a.svg || a.format_given) {
      if (!wr(&g, stdout)) {
        fprintf(stderr, "platc graph: %s\n", graph_write_error());
        rc = 2;
      }
    }
    if (rc == 0 && a.svg) rc = draw_svg(&g, a.svg);
    policy_summary(&g);
  }
  graph_free(&g);
  vm_free(vm);
  cli_program_free(&prog);
  args_free(&a);
  return rc;
}
