/* platc stack | config | state | output: the commands that manage stacks, their config
 * and their state without running the program.  They work in the project folder given by
 * --project (default: the current folder). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "deploy/engine.h"
#include "deploy/util.h"

typedef struct Args {
  const char *cmd, *usage;
  const char *stack, *project;
  const char *pos[8];
  uint32_t npos;
  bool json, force, secret, show_secrets;
} Args;

static int parse(Args *a, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
      printf("usage: %s\n\nOptions:\n"
             "  -s, --stack NAME   the stack (default: the selected one)\n"
             "      --project DIR  the project folder holding .plat/ (default: .)\n"
             "      --json         JSON output (output)\n"
             "      --secret       store the value sealed (config set)\n"
             "      --show-secrets print secret values (config get/ls, state show, output)\n"
             "      --force        remove a stack that still has resources (stack rm)\n"
             "\nSee docs/deploy.md.\n", a->usage);
      return 0;
    }
    if (!strcmp(s, "--stack") || !strcmp(s, "-s")) {
      if (i + 1 >= argc)
        return cli_usage_error(a->cmd, a->usage, "%s needs a stack name", s);
      a->stack = argv[++i];
    } else if (!strcmp(s, "--project")) {
      if (i + 1 >= argc)
        return cli_usage_error(a->cmd, a->usage, "--project needs a folder");
      a->project = argv[++i];
    } else if (!strcmp(s, "--json")) {
      a->json = true;
    } else if (!strcmp(s, "--force")) {
      a->force = true;
    } else if (!strcmp(s, "--secret")) {
      a->secret = true;
    } else if (!strcmp(s, "--show-secrets")) {
      a->show_secrets = true;
    } else if (s[0] == '-' && s[1]) {
      static const char *const known[] = { "--stack", "--project", "--json", "--force",
                                           "--secret", "--show-secrets", "--help" };
      return cli_unknown_option(a->cmd, a->usage, s, known, 7);
    } else if (a->npos < 8) {
      a->pos[a->npos++] = s;
    } else {
      return cli_usage_error(a->cmd, a->usage, "too many arguments");
    }
  }
  if (!a->project)
    a->project = ".";
  return -1;
}

/* ---- platc stack -------------------------------------------------------------------- */
int cmd_stack(int argc, char **argv) {
  Args a = { .cmd = "stack", .usage = "platc stack init NAME | ls | select NAME | rm NAME [--force] [--project DIR]" };
  int rc = parse(&a, argc, argv);
  if (rc >= 0)
    return rc;
  const char *sub = a.npos ? a.pos[0] : "ls";
  char err[1024];
  if (!strcmp(sub, "ls")) {
    uint32_t n;
    char *cur;
    char **names = stack_list(a.project, &n, &cur);
    for (uint32_t i = 0; i < n; i++)
      printf("%s %s\n", cur && !strcmp(cur, names[i]) ? "*" : " ", names[i]);
    if (!n)
      printf("No stacks yet: the first deploy makes 'dev'.\n");
    stack_list_free(names, n);
    free(cur);
    return 0;
  }
  if (a.npos != 2)
    return cli_usage_error("stack", a.usage, "'%s' needs a stack NAME", sub);
  const char *name = a.pos[1];
  if (!strcmp(sub, "init")) {
    Stack s;
    if (!stack_name_valid(name))
      return cli_usage_error("stack", a.usage, "'%s' is not a valid stack name", name);
    if (!stack_open(&s, a.project, name, true, err, sizeof err)) {
      fprintf(stderr, "platc stack: %s\n", err);
      return 1;
    }
    stack_free(&s);
    if (!stack_select(a.project, name, err, sizeof err)) {
      fprintf(stderr, "platc stack: %s\n", err);
      return 1;
    }
    printf("Created stack '%s' and selected it.\n", name);
    return 0;
  }
  if (!strcmp(sub, "select")) {
    if (!stack_select(a.project, name, err, sizeof err)) {
      fprintf(stderr, "platc stack: %s\n", err);
      return 1;
    }
    printf("Selected stack '%s'.\n", name);
    return 0;
  }
  if (!strcmp(sub, "rm")) {
    if (!stack_remove(a.project, name, a.force, err, sizeof err)) {
      fprintf(stderr, "platc stack: %s\n", err);
      return 1;
    }
    printf("Removed stack '%s'.\n", name);
    return 0;
  }
  return cli_usage_error("stack", a.usage, "unknown subcommand '%s' (init, ls, select, rm)", sub);
}

/* ---- platc config ------------------------------------------------------------------- */
int cmd_config(int argc, char **argv) {
  Args a = { .cmd = "config", .usage = "platc config set [--secret] NAME VALUE | get NAME | rm NAME | ls "
                       "[--stack S] [--project DIR]" };
  int rc = parse(&a, argc, argv);
  if (rc >= 0)
    return rc;
  const char *sub = a.npos ? a.pos[0] : "ls";
  char err[1024];
  Stack s;
  if (!stack_open(&s, a.project, a.stack, false, err, sizeof err)) {
    fprintf(stderr, "platc config: %s\n", err);
    return 1;
  }
  CryptKey key;
  StackConfig c = { 0 };
  rc = 0;
  /* The stack's lock: config is read by every run, and written atomically under it. */
  Lock lk = { .fd = -1 };
  char warn[512];
  if (!lock_acquire(&lk, s.lock_path, "config", warn, sizeof warn, err, sizeof err)) {
    fprintf(stderr, "platc config: %s\n", err);
    stack_free(&s);
    return 1;
  }
  if (warn[0])
    fprintf(stderr, "platc config: warning: %s\n", warn);
  if (!stack_key(&s, NULL, &key, err, sizeof err) || !config_load(&s, &key, &c, err, sizeof err)) {
    fprintf(stderr, "platc config: %s\n", err);
    rc = 1;
  } else if (!strcmp(sub, "set")) {
    if (a.npos != 3) {
      rc = cli_usage_error("config", a.usage, "set needs NAME and VALUE");
    } else {
      config_set(&c, a.pos[1], a.pos[2], a.secret);
      if (!config_save(&s, &key, &c, err, sizeof err)) {
        fprintf(stderr, "platc config: %s\n", err);
        rc = 1;
      } else {
        printf("Set %s%s on stack '%s'.\n", a.pos[1], a.secret ? " (secret)" : "", s.name);
      }
    }
  } else if (!strcmp(sub, "get")) {
    bool secret = false;
    const char *v = a.npos == 2 ? config_get(&c, a.pos[1], &secret) : NULL;
    if (a.npos != 2) {
      rc = cli_usage_error("config", a.usage, "get needs NAME");
    } else if (!v) {
      fprintf(stderr, "platc config: '%s' is not set on stack '%s'\n", a.pos[1], s.name);
      rc = 1;
    } else if (secret && !a.show_secrets) {
      printf("[secret]\n");
    } else {
      printf("%s\n", v);
    }
  } else if (!strcmp(sub, "rm")) {
    if (a.npos != 2) {
      rc = cli_usage_error("config", a.usage, "rm needs NAME");
    } else if (!config_rm(&c, a.pos[1])) {
      fprintf(stderr, "platc config: '%s' is not set on stack '%s'\n", a.pos[1], s.name);
      rc = 1;
    } else if (!config_save(&s, &key, &c, err, sizeof err)) {
      fprintf(stderr, "platc config: %s\n", err);
      rc = 1;
    } else {
      printf("Removed %s from stack '%s'.\n", a.pos[1], s.name);
    }
  } else if (!strcmp(sub, "ls")) {
    size_t n;
    const char **keys = dp_sorted_keys(c.values, &n);
    for (size_t i = 0; i < n; i++) {
      bool secret = false;
      const char *val = config_get(&c, keys[i], &secret);
      printf("%s = %s\n", keys[i], secret && !a.show_secrets ? "[secret]" : val);
    }
    free(keys);
  } else {
    rc = cli_usage_error("config", a.usage, "unknown subcommand '%s' (set, get, rm, ls)", sub);
  }
  config_free(&c);
  crypt_wipe(&key, sizeof key);
  lock_release(&lk);
  stack_free(&s);
  return rc;
}

/* ---- platc state -------------------------------------------------------------------- */
static void print_props(const char *title, const StateRes *r, json_t *obj, const char *prefix,
                        bool show) {
  printf("  %s:\n", title);
  size_t n;
  const char **keys = dp_sorted_keys(obj, &n);
  for (size_t i = 0; i < n; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s.%s", prefix, keys[i]);
    if (state_res_is_secret(r, path) && !show) {
      printf("    %s = [secret]\n", keys[i]);
      continue;
    }
    char *s = json_dumps(json_object_get(obj, keys[i]), JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
    printf("    %s = %s\n", keys[i], s ? s : "?");
    free(s);
  }
  free(keys);
}

int cmd_state(int argc, char **argv) {
  Args a = { .cmd = "state", .usage = "platc state list | show ADDRESS | rm ADDRESS | mv FROM TO | unlock "
                      "[--stack S] [--project DIR]" };
  int rc = parse(&a, argc, argv);
  if (rc >= 0)
    return rc;
  const char *sub = a.npos ? a.pos[0] : "list";
  char err[1024];
  if (!strcmp(sub, "unlock")) {
    Stack s;
    if (!stack_open(&s, a.project, a.stack, false, err, sizeof err)) {
      fprintf(stderr, "platc state: %s\n", err);
      return 1;
    }
    LockInfo info;
    bool was = false;
    rc = 0;
    if (!lock_force_unlock(s.lock_path, &info, &was, err, sizeof err)) {
      fprintf(stderr, "platc state unlock: %s\n", err);
      rc = 1;
    } else if (was) {
      printf("Freed the lock of stack '%s' held by %s on %s (pid %ld, platc %s) since %s.\n",
             s.name, info.owner, info.host, info.pid, info.op, info.time);
    } else {
      printf("Stack '%s' was not locked.\n", s.name);
    }
    stack_free(&s);
    return rc;
  }
  bool writes = !strcmp(sub, "rm") || !strcmp(sub, "mv");
  EngineOptions eo = { 0 };
  eo.root = a.project;
  eo.stack = a.stack;
  eo.operation = writes ? "state" : "state list";
  eo.read_only = !writes;
  Engine e;
  if (!engine_open(&e, NULL, &eo, err, sizeof err)) {
    fprintf(stderr, "platc state: %s\n", err);
    return 1;
  }
  if (e.warning[0])
    fprintf(stderr, "platc state: warning: %s\n", e.warning);
  rc = 0;
  if (!strcmp(sub, "list")) {
    state_sort(&e.st);
    for (uint32_t i = 0; i < e.st.nres; i++)
      printf("%s\t%s\t%s\n", e.st.res[i].address, e.st.res[i].type, e.st.res[i].id);
  } else if (!strcmp(sub, "show")) {
    StateRes *r = a.npos == 2 ? state_find(&e.st, a.pos[1]) : NULL;
    if (a.npos != 2) {
      rc = cli_usage_error("state", a.usage, "show needs an ADDRESS");
    } else if (!r) {
      fprintf(stderr, "platc state: no resource at %s in stack '%s'\n", a.pos[1], e.stack.name);
      rc = 1;
    } else {
      printf("%s (%s, provider %s)\n  id: %s\n", r->address, r->type, r->provider, r->id);
      print_props("inputs", r, r->inputs, "inputs", a.show_secrets);
      print_props("outputs", r, r->outputs, "outputs", a.show_secrets);
      if (r->ndeps) {
        printf("  depends on:");
        for (uint32_t d = 0; d < r->ndeps; d++)
          printf(" %s", r->deps[d]);
        putchar('\n');
      }
    }
  } else if (!strcmp(sub, "rm")) {
    if (a.npos != 2) {
      rc = cli_usage_error("state", a.usage, "rm needs an ADDRESS");
    } else if (!state_remove(&e.st, a.pos[1])) {
      fprintf(stderr, "platc state: no resource at %s in stack '%s'\n", a.pos[1], e.stack.name);
      rc = 1;
    } else if (!engine_save(&e, err, sizeof err)) {
      fprintf(stderr, "platc state: %s\n", err);
      rc = 1;
    } else {
      printf("Forgot %s: it still exists, but platc no longer manages it.\n", a.pos[1]);
    }
  } else if (!strcmp(sub, "mv")) {
    StateRes *r = a.npos == 3 ? state_find(&e.st, a.pos[1]) : NULL;
    if (a.npos != 3) {
      rc = cli_usage_error("state", a.usage, "mv needs FROM and TO");
    } else if (!r) {
      fprintf(stderr, "platc state: no resource at %s in stack '%s'\n", a.pos[1], e.stack.name);
      rc = 1;
    } else if (state_find(&e.st, a.pos[2])) {
      fprintf(stderr, "platc state: %s is already in stack '%s'\n", a.pos[2], e.stack.name);
      rc = 1;
    } else {
      StateRes moved = *r;
      moved.address = strdup(a.pos[2]);
      /* detach the fields now owned by [moved] before removing the old entry */
      r->type = r->provider = r->id = NULL;
      r->inputs = r->outputs = NULL;
      r->deps = r->secret = NULL;
      r->ndeps = r->nsecret = 0;
      state_remove(&e.st, a.pos[1]);
      state_put(&e.st, &moved);
      if (!engine_save(&e, err, sizeof err)) {
        fprintf(stderr, "platc state: %s\n", err);
        rc = 1;
      } else {
        printf("Moved %s to %s.\n", a.pos[1], a.pos[2]);
      }
    }
  } else {
    rc = cli_usage_error("state", a.usage, "unknown subcommand '%s' (list, show, rm, mv, unlock)", sub);
  }
  engine_close(&e);
  return rc;
}

/* ---- platc output ------------------------------------------------------------------- */
int cmd_output(int argc, char **argv) {
  Args a = { .cmd = "output", .usage = "platc output [NAME] [--json] [--show-secrets] [--stack S] [--project DIR]" };
  int rc = parse(&a, argc, argv);
  if (rc >= 0)
    return rc;
  EngineOptions eo = { 0 };
  eo.root = a.project;
  eo.stack = a.stack;
  eo.operation = "output";
  eo.read_only = true;
  Engine e;
  char err[1024];
  if (!engine_open(&e, NULL, &eo, err, sizeof err)) {
    fprintf(stderr, "platc output: %s\n", err);
    return 1;
  }
  json_t *shown = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(e.st.outputs, k, v) {
    bool secret = false;
    for (uint32_t i = 0; i < e.st.nsecret_outputs; i++)
      secret |= !strcmp(e.st.secret_outputs[i], k);
    json_object_set_new(shown, k, secret && !a.show_secrets ? json_string("[secret]") : json_incref(v));
  }
  rc = 0;
  if (a.npos == 1) {
    json_t *one = json_object_get(shown, a.pos[0]);
    if (!one) {
      fprintf(stderr, "platc output: no output '%s' in stack '%s'\n", a.pos[0], e.stack.name);
      rc = 1;
    } else if (json_is_string(one) && !a.json) {
      printf("%s\n", json_string_value(one));
    } else {
      char *s = json_dumps(one, JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT);
      printf("%s\n", s);
      free(s);
    }
  } else if (a.json) {
    char *s = json_dumps(shown, JSON_SORT_KEYS | JSON_INDENT(2));
    printf("%s\n", s);
    free(s);
  } else {
    size_t n;
    const char **keys = dp_sorted_keys(shown, &n);
    for (size_t i = 0; i < n; i++) {
      char *s = json_dumps(json_object_get(shown, keys[i]), JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT);
      printf("%s = %s\n", keys[i], s);
      free(s);
    }
    free(keys);
  }
  json_decref(shown);
  engine_close(&e);
  return rc;
}
