/* platc eval -e EXPR [PATH]: the value of an expression as canonical JSON, in the context
 * of the module at PATH (its lets, params, functions) or of an empty module.  The
 * expression becomes `let _eval =` and, on the next line, EXPR (so error columns are the
 * expression's own) in a virtual file `<eval>` of that module, checked by the real checker
 * (so type errors read like `platc check`), compiled and run on the VM; unknowns print as
 * "(known after deploy)" and secrets as "[secret]".  `-e output.NAME`, and with a .platb
 * `-e NAME`, print a root declaration of the module as it is, with no expression. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "compiler/compiler.h"
#include "compiler/emit.h"
#include "vm/program.h"
#include "vm/vm.h"

/* The expression starts a line of its own, so the columns of its errors are columns of the
 * expression as the user typed it (line 2 of `<eval>`, or the line after the file's). */
#define EVAL_PREFIX "let _eval =\n"

static const char *usage =
    "platc eval -e EXPR [PATH|FILE.platb] [-c NAME=VALUE]... [--config FILE.json] [--show-secrets]";

static int help(void) {
  printf("usage: %s\n\n"
         "Print the value of EXPR as JSON, evaluated in the module at PATH (a folder or a\n"
         ".plat file: its lets, params and functions are in scope) or in an empty module.\n"
         "`-e output.NAME` prints the module's root output NAME.  With a .platb (no sources\n"
         "to check an expression against), EXPR is NAME or output.NAME: a root let, param,\n"
         "resource or output.\n\n"
         "Options:\n"
         "  -e, --expr EXPR        the expression to evaluate (required)\n"
         "  -c, --config-value NAME=VALUE\n"
         "                         give the top-level param NAME a value, read by its type\n"
         "                         (strings as is, numbers and bools parsed, lists and maps as JSON)\n"
         "      --config FILE.json give params from a JSON object (NAME: value); -c wins\n"
         "      --show-secrets     print secret values instead of \"[secret]\"\n"
         "      --max-steps N      stop after N instructions (default %llu)\n"
         "      --max-memory BYTES stop past BYTES of values (default %zu)\n"
         "      --max-depth N      nested calls allowed (default %u)\n"
         "  -h, --help             show this help\n\n"
         "Exit status: 0 printed, 1 the expression or the module has errors or evaluation\n"
         "failed, 2 usage or I/O error.\n",
         usage, (unsigned long long)VM_DEFAULT_STEPS, (size_t)VM_DEFAULT_MEMORY, VM_DEFAULT_DEPTH);
  return 0;
}

typedef struct EvalCtx {
  const char *vpath;     /* the virtual file's path */
  char *text;            /* its text (malloc'd) */
  size_t len;
} EvalCtx;

static void prepare(Plat *p, void *ud) {
  EvalCtx *c = ud;
  plat_overlay(p, c->vpath, c->text, c->len);
  /* the loader lists "./<eval>.plat" in folder "." but reads it as "<eval>.plat" */
  if (strncmp(c->vpath, "./", 2) == 0) plat_overlay(p, c->vpath + 2, c->text, c->len);
}

/* ---- printing ------------------------------------------------------------------------ */

typedef struct Printer {
  Rt *rt;
  bool show_secrets;
  uint32_t unknowns, secrets;
  const Graph *g;
  const char *waits[8];   /* what the unknowns wait for, first seen first */
  uint32_t nwaits;
} Printer;

static void print_val(Printer *pr, SBuf *b, Val v, int depth) {
  if (val_is_secret(v) && !pr->show_secrets) { pr->secrets++; sb_adds(b, "\"[secret]\""); return; }
  if (depth > 200) { sb_adds(b, "\"...\""); return; }
  switch (v.tag) {
  case VT_UNKNOWN:
    pr->unknowns++;
    for (uint32_t i = 0; i < v.as.u->n && pr->nwaits < 8; i++) {
      const VRef *r = &v.as.u->refs[i];
      const char *addr = r->node < pr->g->nnodes ? pr->g->nodes[r->node].addr : "?";
      char w[512];
      snprintf(w, sizeof w, "%s%s%s", addr, r->attr ? "." : "", r->attr ? r->attr->s : "");
      bool seen = false;
      for (uint32_t k = 0; k < pr->nwaits; k++) seen |= strcmp(pr->waits[k], w) == 0;
      if (!seen) pr->waits[pr->nwaits++] = arena_strdup(&pr->rt->arena, w);
    }
    sb_adds(b, "\"(known after deploy)\"");
    return;
  case VT_RES: {
    const char *addr = v.node < pr->g->nnodes ? pr->g->nodes[v.node].addr : "?";
    Val s = val_cstr(pr->rt, addr);
    sb_adds(b, "{\"$resource\":");
    val_write_json(b, s);
    sb_addc(b, '}');
    return;
  }
  case VT_LIST:
    sb_addc(b, '[');
    for (uint32_t i = 0; i < v.as.l->n; i++) {
      if (i) sb_addc(b, ',');
      print_val(pr, b, v.as.l->items[i], depth + 1);
    }
    sb_addc(b, ']');
    return;
  case VT_MAP:
    sb_addc(b, '{');
    for (uint32_t i = 0; i < v.as.m->n; i++) {
      if (i) sb_addc(b, ',');
      Val k = {.tag = VT_STR};
      k.as.s = v.as.m->e[i].key;
      val_write_json(b, k);
      sb_addc(b, ':');
      print_val(pr, b, v.as.m->e[i].val, depth + 1);
    }
    sb_addc(b, '}');
    return;
  default: {
    Val plain = v;
    plain.flags = 0;
    val_write_json(b, plain);
  }
  }
}

static int add_config_file(const char *path, VmConfig **cfg, uint32_t *n);

static bool is_name(const char *s) {
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
  for (s++; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
  return true;
}

/* No PATH: the virtual file is a module of its own. */
static int load_alone(EvalCtx *c, CliProgram *out) {
  memset(out, 0, sizeof *out);
  Plat *p = plat_new();
  plat_check_source(p, c->vpath, c->text, c->len);
  BcModule *m = p->diags.nerrors == 0 ? emit_program(p) : NULL;
  if (!m) {
    plat_render(p, stderr, PLAT_FMT_TEXT, false);
    const char *summary = plat_summary(p);
    if (summary) fprintf(stderr, "error: eval failed: %s emitted\n", summary);
    plat_free(p);
    return 1;
  }
  out->mod = m;
  out->plat = p;
  return 0;
}

int cmd_eval(int argc, char **argv) {
  const char *expr = NULL, *path = NULL, *config_file = NULL;
  bool show_secrets = false;
  VmOptions opt = {0};
  VmConfig *cfg = NULL;
  uint32_t ncfg = 0;
  VmConfig *given = NULL;
  uint32_t ngiven = 0;
  static const char *const known[] = {"--expr", "--config-value", "--config", "--show-secrets",
                                      "--max-steps", "--max-memory", "--max-depth", "--help"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { vm_config_free(given, ngiven); return help(); }
    bool has_next = i + 1 < argc;
    if (strcmp(a, "-e") == 0 || strcmp(a, "--expr") == 0) {
      if (!has_next) { vm_config_free(given, ngiven); return cli_usage_error("eval", usage, "%s needs an expression", a); }
      expr = argv[++i];
    } else if (strcmp(a, "-c") == 0 || strcmp(a, "--config-value") == 0) {
      if (!has_next) { vm_config_free(given, ngiven); return cli_usage_error("eval", usage, "%s needs NAME=VALUE", a); }
      const char *kv = argv[++i];
      if (!vm_config_arg(kv, &given, &ngiven)) {
        vm_config_free(given, ngiven);
        return cli_usage_error("eval", usage, "%s needs NAME=VALUE, not '%s'", a, kv);
      }
    } else if (strcmp(a, "--config") == 0) {
      if (!has_next) { vm_config_free(given, ngiven); return cli_usage_error("eval", usage, "--config needs a file"); }
      config_file = argv[++i];
    } else if (strcmp(a, "--show-secrets") == 0) {
      show_secrets = true;
    } else if (strcmp(a, "--max-steps") == 0 || strcmp(a, "--max-memory") == 0 || strcmp(a, "--max-depth") == 0) {
      if (!has_next) { vm_config_free(given, ngiven); return cli_usage_error("eval", usage, "%s needs a number", a); }
      char *end;
      errno = 0;
      unsigned long long v = strtoull(argv[++i], &end, 10);
      if (*end || errno || v == 0) { vm_config_free(given, ngiven); return cli_usage_error("eval", usage, "%s needs a positive number, not '%s'", a, argv[i]); }
      if (a[6] == 's') opt.max_steps = v;
      else if (a[6] == 'm') opt.max_memory = (size_t)v;
      else opt.max_depth = v > 100000 ? 100000 : (uint32_t)v;
    } else if (a[0] == '-' && a[1]) {
      vm_config_free(given, ngiven);
      return cli_unknown_option("eval", usage, a, known, sizeof known / sizeof *known);
    } else if (!path) {
      path = a;
    } else {
      vm_config_free(given, ngiven);
      return cli_usage_error("eval", usage, "expected at most one PATH, got '%s' and '%s'", path, a);
    }
  }
  if (!expr) { vm_config_free(given, ngiven); return cli_usage_error("eval", usage, "missing -e EXPR"); }
  /* `-e output.NAME` (a root output, which no expression inside the module can read), and
     with a .platb, which has no sources to type an expression against, `-e NAME` (a root
     let, param, resource or output) too */
  const char *name = NULL;
  if (strncmp(expr, "output.", 7) == 0 && is_name(expr + 7)) name = expr + 7;
  bool platb = path && cli_is_platb(path);
  if (platb && !name) {
    if (!is_name(expr)) {
      vm_config_free(given, ngiven);
      return cli_usage_error("eval", usage, "a .platb has no sources to check an expression against: "
                             "give -e NAME or -e output.NAME (a root let, param, resource or output), "
                             "or the module's sources");
    }
    name = expr;
  }
  if (config_file && add_config_file(config_file, &cfg, &ncfg) != 0) {
    vm_config_free(given, ngiven);
    vm_config_free(cfg, ncfg);
    return 2;
  }
  /* -c after --config: the last value of a name wins */
  for (uint32_t i = 0; i < ngiven; i++) {
    cfg = plat_xrealloc(cfg, (ncfg + 1) * sizeof *cfg);
    cfg[ncfg++] = given[i];
  }
  free(given);

  /* the virtual file: in PATH's folder, or PATH itself extended, or alone */
  EvalCtx c = {0};
  struct stat st;
  char *vpath = NULL;
  const char *paths[1];
  uint32_t npaths = 1;
  size_t elen = strlen(expr);
  if (path && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    size_t pl = strlen(path);
    while (pl > 1 && path[pl - 1] == '/') pl--;
    vpath = malloc(pl + 16);
    snprintf(vpath, pl + 16, "%.*s/<eval>.plat", (int)pl, path);
    c.text = malloc(elen + 32);
    c.len = (size_t)snprintf(c.text, elen + 32, EVAL_PREFIX "%s\n", expr);
    paths[0] = path;
  } else if (path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
      fprintf(stderr, "platc eval: cannot read '%s': %s\n", path, strerror(errno));
      vm_config_free(cfg, ncfg);
      return 2;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, got, mf);
    fclose(f);
    fprintf(mf, "\n" EVAL_PREFIX "%s\n", expr);
    fclose(mf);
    c.text = buf;
    c.len = len;
    vpath = strdup(path);
    paths[0] = path;
  } else {
    vpath = strdup("<eval>");
    c.text = malloc(elen + 32);
    c.len = (size_t)snprintf(c.text, elen + 32, EVAL_PREFIX "%s\n", expr);
    paths[0] = vpath;
  }
  c.vpath = vpath;
  CliProgram prog;
  int rc = name && path ? cli_load_program("eval", paths, npaths, &prog, NULL, NULL)
         : path ? cli_load_program("eval", paths, npaths, &prog, prepare, &c)
                : load_alone(&c, &prog);
  if (rc != 0) { free(c.text); free(vpath); vm_config_free(cfg, ncfg); return rc; }

  opt.config = cfg;
  opt.nconfig = ncfg;
  opt.no_policies = true;
  opt.no_finish = true;
  Vm *vm = vm_new(prog.mod, &opt);
  Graph g;
  graph_init(&g, vm_rt(vm));
  VmError err;
  int status = 0;
  if (!vm_run(vm, &g, &err)) {
    vm_error_print(&err, stderr);
    status = 1;
  } else {
    Val v;
    if (name && !vm_global(vm, name, &v)) {
      fprintf(stderr, "platc eval: the module has no root let, param, resource or output '%s'\n", name);
      status = 1;
    } else if (!name && !vm_global(vm, "_eval", &v)) {
      fprintf(stderr, "platc eval: the expression has no value\n");
      status = 1;
    } else {
      Printer pr = {vm_rt(vm), show_secrets, 0, 0, &g, {0}, 0};
      SBuf b;
      sb_init(&b, vm_rt(vm));
      print_val(&pr, &b, v, 0);
      fwrite(b.p, 1, b.len, stdout);
      fputc('\n', stdout);
      if (pr.unknowns) {
        fprintf(stderr, "note: \"(known after deploy)\" is a value providers set when they create resources; it waits for");
        for (uint32_t i = 0; i < pr.nwaits; i++) fprintf(stderr, "%s %s", i ? "," : "", pr.waits[i]);
        fputc('\n', stderr);
      }
    }
  }
  graph_free(&g);
  vm_free(vm);
  cli_program_free(&prog);
  free(c.text);
  free(vpath);
  vm_config_free(cfg, ncfg);
  return status;
}

/* --config FILE.json: one VmConfig per key of the top-level object, its value as JSON. */
static int add_config_file(const char *path, VmConfig **cfg, uint32_t *n) {
  char err[512];
  if (!vm_config_load(path, cfg, n, err, sizeof err)) {
    fprintf(stderr, "platc eval: %s\n", err);
    return 2;
  }
  return 0;
}
