/* platc plan | deploy | destroy | refresh | import: flags, confirmation, progress and
 * summaries over the deploy engine (deploy/engine.h).  Exit status: 0 converged (or, for
 * plan, a plan without errors), 1 something failed or was refused, 2 usage or I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "compiler/compiler.h"
#include "deploy/engine.h"
#include "deploy/util.h"
#include "deploy/values.h"

typedef enum LogFormat { LOG_AUTO, LOG_TEXT, LOG_JSON } LogFormat;

typedef struct Flags {
  const char *cmd;
  const char *usage;
  const char **paths; uint32_t npaths;
  const char *stack;
  const char *project;
  VmConfig *cfg; uint32_t ncfg;
  const char **targets; uint32_t ntargets;
  bool yes, json, refresh, dry_run;
  const char *out_file;
  uint32_t parallel;
  LogFormat log;
} Flags;

static void flags_free(Flags *f) {
  free(f->paths);
  free(f->targets);
  vm_config_free(f->cfg, f->ncfg);
}

static const char *const known_opts[] = {
  "--stack", "--project", "--config-value", "--target", "--yes", "--json", "--refresh",
  "--dry-run", "--out", "--parallel", "--log-format", "--help",
};

static const char *summary_of(const char *cmd) {
  if (!strcmp(cmd, "plan"))
    return "Show what a deploy would change: one line per resource to create (+), update (~),\n"
           "replace (-/+) or delete (-), with a property diff; secrets show as [secret] and\n"
           "values known only after deploy as (known after deploy). Exit 1 when the plan has\n"
           "errors (a @protect violated, a deny policy).";
  if (!strcmp(cmd, "deploy"))
    return "Plan, ask for confirmation (unless --yes), then converge the stack: resources are\n"
           "created, updated, replaced and deleted in dependency order, --parallel at a time.\n"
           "Every operation is journaled, so a killed deploy loses nothing: the next run\n"
           "reconciles. Given a FILE.platplan from `platc plan -o`, applies exactly that plan.\n"
           "Exit 0 when everything converged, 1 otherwise.";
  if (!strcmp(cmd, "destroy"))
    return "Delete every resource of the stack (or the --target ones), dependants first.";
  if (!strcmp(cmd, "refresh"))
    return "Read every resource back from its provider and record what changed outside platc\n"
           "(drift) in the state; --dry-run only shows it.";
  return "Adopt the existing resource ID as the program's resource at ADDRESS.";
}

static void print_usage(const Flags *f, const char *allowed) {
  printf("usage: %s\n\n%s\n\nOptions:\n", f->usage, summary_of(f->cmd));
  printf("  -s, --stack NAME        the stack (default: the selected one; dev on first use)\n"
         "      --project DIR       the project folder holding .plat/ (default: the program's)\n");
  static const struct { char key; const char *line; } opts[] = {
    {'c', "  -c, --config-value N=V  set param N for this run (over `platc config`)"},
    {'t', "  -t, --target ADDRESS    only this resource (and what is inside an instance)"},
    {'r', "      --refresh           read the resources back first"},
    {'j', "      --json              the plan as JSON (docs/plan.md)"},
    {'o', "  -o, --out FILE.platplan save the plan, for `platc deploy FILE.platplan`"},
    {'y', "  -y, --yes               do not ask for confirmation"},
    {'p', "  -p, --parallel N        operations at once (default 10)"},
    {'l', "      --log-format FMT    text (default) or json: one event per line"},
    {'d', "      --dry-run           show drift without recording it"},
  };
  for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
    if (strchr(allowed, opts[i].key)) printf("%s\n", opts[i].line);
  printf("\nSee docs/deploy.md.\n");
}

/* Parse the flags every engine command shares; returns -1 to go on, else an exit status. */
static int parse(Flags *f, int argc, char **argv, const char *allowed) {
  f->paths = calloc((size_t)argc + 1, sizeof *f->paths);
  f->targets = calloc((size_t)argc + 1, sizeof *f->targets);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has = i + 1 < argc;
#define NEEDS(what) \
  if (!has) return cli_usage_error(f->cmd, f->usage, "%s needs %s", a, what)
#define ALLOWED(name) \
  if (!strstr(allowed, name)) return cli_usage_error(f->cmd, f->usage, "%s does not take %s", f->cmd, a)
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      print_usage(f, allowed);
      return 0;
    } else if (!strcmp(a, "--stack") || !strcmp(a, "-s")) {
      NEEDS("a stack name");
      f->stack = argv[++i];
    } else if (!strcmp(a, "--project")) {
      NEEDS("a folder");
      f->project = argv[++i];
    } else if (!strcmp(a, "-c") || !strcmp(a, "--config-value")) {
      ALLOWED("c");
      NEEDS("NAME=VALUE");
      if (!vm_config_arg(argv[++i], &f->cfg, &f->ncfg))
        return cli_usage_error(f->cmd, f->usage, "%s needs NAME=VALUE, not '%s'", a, argv[i]);
    } else if (!strcmp(a, "--target") || !strcmp(a, "-t")) {
      ALLOWED("t");
      NEEDS("an address");
      f->targets[f->ntargets++] = argv[++i];
    } else if (!strcmp(a, "--yes") || !strcmp(a, "-y")) {
      ALLOWED("y");
      f->yes = true;
    } else if (!strcmp(a, "--json")) {
      ALLOWED("j");
      f->json = true;
    } else if (!strcmp(a, "--refresh")) {
      ALLOWED("r");
      f->refresh = true;
    } else if (!strcmp(a, "--dry-run")) {
      ALLOWED("d");
      f->dry_run = true;
    } else if (!strcmp(a, "-o") || !strcmp(a, "--out")) {
      ALLOWED("o");
      NEEDS("a file");
      f->out_file = argv[++i];
    } else if (!strcmp(a, "--parallel") || !strcmp(a, "-p")) {
      ALLOWED("p");
      NEEDS("a number");
      char *end;
      errno = 0;
      long v = strtol(argv[++i], &end, 10);
      if (*end || errno || v < 1 || v > 256)
        return cli_usage_error(f->cmd, f->usage, "--parallel needs a number from 1 to 256, not '%s'", argv[i]);
      f->parallel = (uint32_t)v;
    } else if (!strcmp(a, "--log-format")) {
      ALLOWED("l");
      NEEDS("text or json");
      const char *v = argv[++i];
      if (!strcmp(v, "text"))
        f->log = LOG_TEXT;
      else if (!strcmp(v, "json"))
        f->log = LOG_JSON;
      else
        return cli_usage_error(f->cmd, f->usage, "--log-format is text or json, not '%s'", v);
    } else if (a[0] == '-' && a[1]) {
      return cli_unknown_option(f->cmd, f->usage, a, known_opts,
                                (uint32_t)(sizeof known_opts / sizeof *known_opts));
    } else {
      f->paths[f->npaths++] = a;
    }
#undef NEEDS
#undef ALLOWED
  }
  return -1;
}

/* The project folder: --project, else the program's folder (a file's parent), else ".". */
static char *project_of(const Flags *f) {
  if (f->project)
    return strdup(f->project);
  if (f->npaths == 0)
    return strdup(".");
  const char *p = f->paths[0];
  size_t n = strlen(p);
  bool file = (n > 5 && !strcmp(p + n - 5, ".plat")) || cli_is_platb(p);
  if (!file)
    return strdup(p);
  const char *slash = strrchr(p, '/');
  if (!slash)
    return strdup(".");
  return strndup(p, (size_t)(slash - p) + (slash == p));
}

static bool color_out(void) {
  const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
  if (no && *no)
    return false;
  if (term && !strcmp(term, "dumb"))
    return false;
  return isatty(STDOUT_FILENO);
}

/* ---- progress ----------------------------------------------------------------------- */
typedef struct Progress {
  LogFormat fmt;
  bool tty;
  double t0;
  uint32_t total, finished, failed;
  bool status_shown;
  /* On a terminal: what is in flight, shown in the status line (most recent first). */
  char **flying; uint32_t nflying, capflying;
} Progress;

static void flying_add(Progress *p, const char *addr) {
  if (p->nflying == p->capflying) {
    p->capflying = p->capflying ? p->capflying * 2 : 16;
    p->flying = realloc(p->flying, p->capflying * sizeof *p->flying);
  }
  p->flying[p->nflying++] = strdup(addr);
}

static void flying_remove(Progress *p, const char *addr) {
  for (uint32_t i = 0; i < p->nflying; i++)
    if (!strcmp(p->flying[i], addr)) {
      free(p->flying[i]);
      memmove(&p->flying[i], &p->flying[i + 1], (p->nflying - i - 1) * sizeof *p->flying);
      p->nflying--;
      return;
    }
}

/* The live status line: counts, elapsed time, then the resources in flight, cut to the
 * terminal's width so it never wraps (a wrapped line cannot be redrawn in place). */
static void status_line(Progress *p, double t) {
  struct winsize ws;
  unsigned width = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 100;
  char line[1024];
  int n = snprintf(line, sizeof line, "%u/%u done, %u failed, %.1fs; in flight:", p->finished,
                   p->total, p->failed, t);
  for (uint32_t i = p->nflying; i-- > 0 && n > 0 && (size_t)n < sizeof line - 1;)
    n += snprintf(line + n, sizeof line - (size_t)n, " %s", p->flying[i]);
  if (n > 0 && (unsigned)n >= width) {
    line[width - 4] = '\0';
    strcat(line, "...");
  }
  fputs(line, stdout);
  p->status_shown = true;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *ing(PlanAction a) {
  switch (a) {
  case PA_CREATE: return "creating";
  case PA_UPDATE: return "updating";
  case PA_REPLACE: return "replacing";
  case PA_DELETE: return "deleting";
  default: return "checking";
  }
}

static const char *ed(PlanAction a) {
  switch (a) {
  case PA_CREATE: return "created";
  case PA_UPDATE: return "updated";
  case PA_REPLACE: return "replaced";
  case PA_DELETE: return "deleted";
  default: return "unchanged";
  }
}

static void on_event(void *ud, const ApplyEvent *e) {
  Progress *p = ud;
  double t = now_s() - p->t0;
  if (e->kind != AE_START)
    p->finished++;
  if (e->kind == AE_FAIL)
    p->failed++;
  if (p->fmt == LOG_JSON) {
    static const char *const kinds[] = { "start", "done", "fail", "skip" };
    json_t *o = json_pack("{s:s, s:s, s:s, s:f, s:i, s:i, s:i}", "event", kinds[e->kind],
                          "address", e->address, "action", plan_action_name(e->action),
                          "elapsed", t, "done", (int)p->finished, "total", (int)p->total,
                          "in_flight", (int)e->running);
    if (e->message)
      json_object_set_new(o, "message", json_string(e->message));
    if (e->kind == AE_DONE || e->kind == AE_FAIL)
      json_object_set_new(o, "seconds", json_real(e->seconds));
    char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
    printf("%s\n", s);
    free(s);
    json_decref(o);
    fflush(stdout);
    return;
  }
  if (p->tty && p->status_shown)
    fputs("\r\033[K", stdout);
  switch (e->kind) {
  case AE_START:
    if (!p->tty)
      printf("[%6.2fs] %s: %s\n", t, e->address, ing(e->action));
    break;
  case AE_DONE:
    printf("[%6.2fs] %s: %s (%.2fs)\n", t, e->address, ed(e->action), e->seconds);
    break;
  case AE_FAIL:
    printf("[%6.2fs] %s: failed: %s\n", t, e->address, e->message ? e->message : "");
    break;
  case AE_SKIP:
    printf("[%6.2fs] %s: %s\n", t, e->address, e->message ? e->message : "skipped");
    break;
  }
  if (e->kind == AE_START)
    flying_add(p, e->address);
  else if (e->kind != AE_SKIP)
    flying_remove(p, e->address);
  if (p->tty)
    status_line(p, t);
  fflush(stdout);
}

/* ---- shared steps ------------------------------------------------------------------- */
static int open_engine(Flags *f, Engine *e, const BcModule *mod, const char *op, bool ro,
                       char **root, EnginePrefetch *pf) {
  *root = project_of(f);
  EngineOptions eo = { 0 };
  eo.prefetch = pf;
  eo.root = *root;
  eo.stack = f->stack;
  eo.operation = op;
  eo.read_only = ro;
  eo.overrides = f->cfg;
  eo.noverrides = f->ncfg;
  char err[1024];
  if (!engine_open(e, mod, &eo, err, sizeof err)) {
    fprintf(stderr, "platc %s: %s\n", f->cmd, err);
    return 1;
  }
  if (e->warning[0])
    fprintf(stderr, "platc %s: warning: %s\n", f->cmd, e->warning);
  return 0;
}

static void print_outputs(const State *st, FILE *out) {
  const char *k;
  json_t *v;
  if (!json_object_size(st->outputs))
    return;
  fputs("\nOutputs:\n", out);
  size_t w = 0;
  json_object_foreach(st->outputs, k, v) if (strlen(k) > w) w = strlen(k);
  /* jansson objects keep insertion order; outputs are stored sorted */
  size_t n;
  const char **keys = dp_sorted_keys(st->outputs, &n);
  for (size_t i = 0; i < n; i++) {
    bool secret = false;
    for (uint32_t s = 0; s < st->nsecret_outputs; s++)
      secret |= !strcmp(st->secret_outputs[s], keys[i]);
    fprintf(out, "  %-*s = ", (int)w, keys[i]);
    if (secret) {
      fputs("[secret]\n", out);
    } else {
      char *s = json_dumps(json_object_get(st->outputs, keys[i]),
                           JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
      fprintf(out, "%s\n", s ? s : "?");
      free(s);
    }
  }
  free(keys);
}

static bool confirm(const char *question) {
  if (!isatty(STDIN_FILENO))
    return false;
  printf("\n%s Only 'yes' is accepted: ", question);
  fflush(stdout);
  char line[64];
  if (!fgets(line, sizeof line, stdin))
    return false;
  line[strcspn(line, "\r\n")] = '\0';
  return !strcmp(line, "yes");
}

/* The plan file `plan -o` writes and `deploy FILE` reads: the plan's JSON, the program's
 * paths and the config it was made with, so deploy can make it again and compare. */
static bool is_plan_file(const char *path) {
  size_t n = strlen(path);
  return n > 9 && !strcmp(path + n - 9, ".platplan");
}

static json_t *plan_file_json(const Plan *plan, const Flags *f) {
  json_t *paths = json_array(), *cfg = json_array(), *targets = json_array();
  for (uint32_t i = 0; i < f->npaths; i++) {
    char *abs = realpath(f->paths[i], NULL);
    json_array_append_new(paths, json_string(abs ? abs : f->paths[i]));
    free(abs);
  }
  for (uint32_t i = 0; i < f->ncfg; i++)
    json_array_append_new(cfg, json_pack("[s,s,b]", f->cfg[i].name, f->cfg[i].text, f->cfg[i].json));
  for (uint32_t i = 0; i < f->ntargets; i++)
    json_array_append_new(targets, json_string(f->targets[i]));
  char *proj = project_of(f);
  char *absproj = realpath(proj, NULL);
  json_t *o = json_pack("{s:i, s:o, s:o, s:o, s:o, s:s}", "platc_plan", 1, "plan", plan_json(plan),
                        "program", paths, "config", cfg, "targets", targets, "project",
                        absproj ? absproj : proj);
  free(proj);
  free(absproj);
  return o;
}

/* ---- plan / deploy / destroy -------------------------------------------------------- */
static int run(Flags *f, bool destroy, bool apply) {
  engine_tune_malloc();
  json_t *saved = NULL;
  if (apply && f->npaths == 1 && is_plan_file(f->paths[0])) {
    json_error_t je;
    saved = json_load_file(f->paths[0], JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(saved) || json_integer_value(json_object_get(saved, "platc_plan")) != 1) {
      fprintf(stderr, "platc %s: %s: not a plan written by `platc plan -o` (%s)\n", f->cmd,
              f->paths[0], saved ? "unknown format" : je.text);
      json_decref(saved);
      return 2;
    }
    /* Make the same plan again, from what it was made of. */
    json_t *prog = json_object_get(saved, "program"), *cfg = json_object_get(saved, "config");
    free(f->paths);
    f->paths = calloc(json_array_size(prog) + 1, sizeof *f->paths);
    f->npaths = 0;
    size_t i;
    json_t *v;
    json_array_foreach(prog, i, v) f->paths[f->npaths++] = json_string_value(v);
    json_array_foreach(cfg, i, v) {
      const char *name = json_string_value(json_array_get(v, 0));
      const char *text = json_string_value(json_array_get(v, 1));
      if (!name || !text)
        continue;
      size_t n = strlen(name) + strlen(text) + 2;
      char *kv = malloc(n);
      snprintf(kv, n, "%s=%s", name, text);
      vm_config_arg(kv, &f->cfg, &f->ncfg);
      free(kv);
    }
    json_array_foreach(json_object_get(saved, "targets"), i, v)
      f->targets[f->ntargets++] = json_string_value(v);
    if (!f->project)
      f->project = json_string_value(json_object_get(saved, "project"));
    f->yes = true;   /* the plan was reviewed when it was made */
  }
  /* The state is read on a second thread while the program compiles. */
  EnginePrefetch ahead;
  char *proj = project_of(f);
  engine_prefetch_start(&ahead, proj, f->stack);
  free(proj);
  CliProgram prog;
  int rc = cli_load_program(f->cmd, f->paths, f->npaths, &prog, NULL, NULL);
  if (rc) {
    engine_prefetch_end(&ahead);
    json_decref(saved);
    return rc;
  }
  Engine e;
  char *root = NULL;
  const char *op = destroy ? "destroy" : apply ? "deploy" : "plan";
  rc = open_engine(f, &e, prog.mod, op, !apply, &root, &ahead);
  engine_prefetch_end(&ahead);
  if (rc) {
    free(root);
    cli_program_free(&prog);
    json_decref(saved);
    return rc;
  }
  char err[1024];
  if (f->refresh && !destroy) {
    Drift *d;
    uint32_t nd;
    PlanOptions po = { f->targets, f->ntargets };
    if (!engine_refresh(&e, &po, !apply, &d, &nd, err, sizeof err)) {
      fprintf(stderr, "platc %s: refresh failed: %s\n", f->cmd, err);
      rc = 1;
      goto done;
    }
    for (uint32_t i = 0; i < nd; i++)
      printf("drift: %s %s\n", d[i].address, d[i].gone ? "was deleted outside platc" :
             "was changed outside platc");
    engine_drift_free(d, nd);
  }
  PlanOptions po = { f->targets, f->ntargets };
  Plan plan;
  bool ok = engine_plan(&e, &po, destroy, &plan);
  if (e.vm_failed) {
    vm_error_print(&e.verr, stderr);
    plan_free(&plan);
    rc = 1;
    goto done;
  }
  if (saved) {
    json_t *now = plan_json(&plan), *then = json_object_get(saved, "plan");
    json_int_t then_serial = json_integer_value(json_object_get(then, "serial"));
    const char *then_lineage = json_string_value(json_object_get(then, "lineage"));
    /* A stack with no state yet has a lineage made up for each run: serial 0 on both
       sides is the same (empty) state. */
    if (!then_lineage || (uint64_t)then_serial != e.st.serial ||
        (e.st.serial > 0 && strcmp(then_lineage, e.st.lineage))) {
      fprintf(stderr, "platc %s: the state of stack '%s' moved on since the plan was made "
              "(serial %lld, now %llu): make a new plan\n", f->cmd, e.stack.name,
              (long long)then_serial, (unsigned long long)e.st.serial);
      rc = 1;
    } else if ((e.st.serial == 0 && json_object_set(now, "lineage", json_object_get(then, "lineage")) != 0) ||
               !json_equal(now, then)) {
      fprintf(stderr, "platc %s: the program, its config or the real resources changed since "
              "the plan was made: make a new plan\n", f->cmd);
      rc = 1;
    }
    json_decref(now);
    if (rc) {
      plan_free(&plan);
      goto done;
    }
  }
  bool color = color_out();
  if (f->json && !apply) {
    json_t *j = plan_json(&plan);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2));
    printf("%s\n", s);
    free(s);
    json_decref(j);
  } else if (f->log != LOG_JSON) {
    plan_print(&plan, stdout, color);
  }
  fflush(stdout);
  plan_print_errors(&plan, stderr, color && isatty(STDERR_FILENO));
  if (f->out_file && ok) {
    json_t *pf = plan_file_json(&plan, f);
    if (json_dump_file(pf, f->out_file, JSON_SORT_KEYS | JSON_INDENT(2)) != 0) {
      fprintf(stderr, "platc %s: cannot write %s\n", f->cmd, f->out_file);
      rc = 2;
    } else if (!f->json) {
      printf("Saved the plan to %s; apply exactly it with `platc deploy %s`.\n", f->out_file,
             f->out_file);
    }
    json_decref(pf);
  }
  uint32_t changes = plan.count[PA_CREATE] + plan.count[PA_UPDATE] + plan.count[PA_REPLACE] +
                     plan.count[PA_DELETE];
  if (!ok) {
    rc = 1;
  } else if (apply && changes) {
    char q[200];
    snprintf(q, sizeof q, "%s these changes on stack '%s'?", destroy ? "Destroy" : "Deploy",
             e.stack.name);
    if (!f->yes && !confirm(q)) {
      fprintf(stderr, "platc %s: not confirmed: nothing was changed%s\n", f->cmd,
              isatty(STDIN_FILENO) ? "" : " (pass --yes when not on a terminal)");
      rc = 1;
    } else {
      Progress pr = { 0 };
      pr.fmt = f->log == LOG_JSON ? LOG_JSON : LOG_TEXT;
      pr.tty = pr.fmt == LOG_TEXT && isatty(STDOUT_FILENO);
      pr.t0 = now_s();
      pr.total = changes;
      ApplyOptions ao = { 0 };
      ao.parallel = f->parallel;
      ao.on_event = on_event;
      ao.ud = &pr;
      ApplyResult res;
      bool done = engine_apply(&e, &plan, &ao, &res);
      if (pr.tty && pr.status_shown)
        fputs("\r\033[K", stdout);
      for (uint32_t i = 0; i < pr.nflying; i++)
        free(pr.flying[i]);
      free(pr.flying);
      if (f->log == LOG_JSON) {
        json_t *o = json_pack("{s:s, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:f}", "event", "summary",
                              "converged", done, "created", (int)res.done[PA_CREATE], "updated",
                              (int)res.done[PA_UPDATE], "replaced", (int)res.done[PA_REPLACE],
                              "deleted", (int)res.done[PA_DELETE], "failed", (int)res.failed,
                              "skipped", (int)res.skipped, "elapsed", now_s() - pr.t0);
        char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(o);
      } else {
        printf("\n%s: %u created, %u updated, %u replaced, %u deleted",
               done ? (destroy ? "Destroy complete" : "Deploy complete")
                    : (destroy ? "Destroy incomplete" : "Deploy incomplete"),
               res.done[PA_CREATE], res.done[PA_UPDATE], res.done[PA_REPLACE], res.done[PA_DELETE]);
        if (res.failed || res.skipped)
          printf(", %u failed, %u skipped", res.failed, res.skipped);
        printf(" in %.2fs.\n", now_s() - pr.t0);
        if (!destroy)
          print_outputs(&e.st, stdout);
      }
      if (res.error)
        fprintf(stderr, "platc %s: %s\n", f->cmd, res.error);
      rc = done ? 0 : 1;
      apply_result_free(&res);
    }
  } else if (apply && !destroy) {
    /* Nothing to change; the outputs may still be stale (a killed run, recovered). */
    bool changed;
    if (!engine_update_outputs(&e, &changed, err, sizeof err)) {
      fprintf(stderr, "platc %s: cannot update the outputs: %s\n", f->cmd, err);
      rc = 1;
    } else if (f->log != LOG_JSON) {
      print_outputs(&e.st, stdout);
    }
  }
#ifdef PLAT_ASAN
  plan_free(&plan);
#endif
done:
  /* The process exits next: the plan, state and program are left to the exit (see
     engine_close_at_exit); secrets in memory go with the process. */
  engine_close_at_exit(&e);
#ifdef PLAT_ASAN
  cli_program_free(&prog);
#endif
  free(root);
  json_decref(saved);
  return rc;
}

int cmd_plan(int argc, char **argv) {
  Flags f = { .cmd = "plan", .usage = "platc plan [PATH...] [--stack S] [-c NAME=VALUE]... [--target ADDRESS]... "
                      "[--refresh] [--json] [-o FILE.platplan]" };
  int rc = parse(&f, argc, argv, "c t j r o");
  if (rc < 0)
    rc = run(&f, false, false);
  flags_free(&f);
  return rc;
}

int cmd_deploy(int argc, char **argv) {
  Flags f = { .cmd = "deploy", .usage = "platc deploy [PATH...|FILE.platplan] [--stack S] [-c NAME=VALUE]... "
                        "[--target ADDRESS]... [--yes] [--parallel N] [--refresh] "
                        "[--log-format text|json]" };
  int rc = parse(&f, argc, argv, "c t y p r l");
  if (rc < 0)
    rc = run(&f, false, true);
  flags_free(&f);
  return rc;
}

int cmd_destroy(int argc, char **argv) {
  Flags f = { .cmd = "destroy", .usage = "platc destroy [PATH...] [--stack S] [-c NAME=VALUE]... "
                         "[--target ADDRESS]... [--yes] [--parallel N] [--log-format text|json]" };
  int rc = parse(&f, argc, argv, "c t y p l");
  if (rc < 0)
    rc = run(&f, true, true);
  flags_free(&f);
  return rc;
}

int cmd_refresh(int argc, char **argv) {
  Flags f = { .cmd = "refresh", .usage = "platc refresh [PATH...] [--stack S] [--target ADDRESS]... [--dry-run]" };
  int rc = parse(&f, argc, argv, "t d");
  if (rc >= 0) {
    flags_free(&f);
    return rc;
  }
  Engine e;
  char *root = NULL;
  if ((rc = open_engine(&f, &e, NULL, "refresh", f.dry_run, &root, NULL))) {
    free(root);
    flags_free(&f);
    return rc;
  }
  Drift *d;
  uint32_t nd;
  char err[1024];
  PlanOptions po = { f.targets, f.ntargets };
  if (!engine_refresh(&e, &po, f.dry_run, &d, &nd, err, sizeof err)) {
    fprintf(stderr, "platc refresh: %s\n", err);
    rc = 1;
  } else {
    for (uint32_t i = 0; i < nd; i++) {
      if (d[i].gone) {
        printf("  - %s: deleted outside platc%s\n", d[i].address, f.dry_run ? "" : " (removed from the state)");
        continue;
      }
      printf("  ~ %s: changed outside platc:", d[i].address);
      size_t k;
      json_t *v;
      json_array_foreach(d[i].changed, k, v) printf("%s %s", k ? "," : "", json_string_value(v));
      putchar('\n');
    }
    if (!nd)
      printf("No drift: the %u resource%s of stack '%s' are as the state says.\n", e.st.nres,
             e.st.nres == 1 ? "" : "s", e.stack.name);
    else
      printf("%u resource%s drifted%s.\n", nd, nd == 1 ? "" : "s",
             f.dry_run ? " (dry run: the state is unchanged)" : "; the state now records what exists");
    engine_drift_free(d, nd);
    rc = 0;
  }
  engine_close(&e);
  free(root);
  flags_free(&f);
  return rc;
}

int cmd_import(int argc, char **argv) {
  Flags f = { .cmd = "import", .usage = "platc import ADDRESS ID [PATH...] [--stack S] [-c NAME=VALUE]..." };
  int rc = parse(&f, argc, argv, "c");
  if (rc >= 0) {
    flags_free(&f);
    return rc;
  }
  if (f.npaths < 2) {
    flags_free(&f);
    return cli_usage_error("import", f.usage, "needs an ADDRESS and an ID");
  }
  const char *address = f.paths[0], *id = f.paths[1];
  f.paths += 2;
  f.npaths -= 2;
  CliProgram prog;
  rc = cli_load_program("import", f.paths, f.npaths, &prog, NULL, NULL);
  if (!rc) {
    Engine e;
    char *root = NULL;
    if (!(rc = open_engine(&f, &e, prog.mod, "import", false, &root, NULL))) {
      char err[1024];
      if (engine_import(&e, address, id, err, sizeof err)) {
        printf("Imported %s (id %s) into stack '%s'. Run `platc plan` to see how it differs "
               "from the program.\n", address, id, e.stack.name);
      } else {
        if (e.vm_failed)
          vm_error_print(&e.verr, stderr);
        fprintf(stderr, "platc import: %s\n", err);
        rc = 1;
      }
      engine_close(&e);
    }
    free(root);
    cli_program_free(&prog);
  }
  f.paths -= 2;
  flags_free(&f);
  return rc;
}
