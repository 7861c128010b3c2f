/* deploy/plan.c: the planner against the real `local` provider's diff — every action,
 * the lifecycle options, moved, targets, policies, deploy-time and secret values in the
 * text and JSON renderings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy/plan.h"
#include "deploy/values.h"
#include "tests/unit/tmpdir.h"

static Rt rt;
static Graph g;
static State st;
static ProvRegistry *reg;
static char dir[64];

static int setup(void **state) {
  (void)state;
  rt_init(&rt, 0);
  graph_init(&g, &rt);
  state_init(&st, "dev");
  assert_true(tmpdir_make(dir, sizeof dir, "platc-plan"));
  ProvConfig cfg = { 0 };
  cfg.project_root = dir;
  reg = prov_registry_new(&cfg);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  prov_registry_free(reg);
  graph_free(&g);
  rt_free(&rt);
  state_free(&st);
  assert_true(tmpdir_remove(dir));
  return 0;
}

static Val S(const char *s) { return val_cstr(&rt, s); }

/* A resource node of [type] from [provider] with [inputs]. */
static GNode *add_node(const char *addr, const char *type, const char *provider, Val inputs) {
  GNode n = { 0 };
  n.kind = GN_RESOURCE;
  n.addr = addr;
  n.type = type;
  n.provider = provider;
  n.module = "main.plat";
  n.parent = GN_NONE;
  n.inputs = inputs;
  n.outputs = val_null();
  uint32_t i = graph_add(&g, &n);
  return &g.nodes[i];
}

/* A local.File node; [content] may be an unknown or a secret. */
static GNode *file_node(const char *addr, const char *path, Val content) {
  MapBuilder b;
  mb_init(&b, &rt, 3);
  mb_put_cstr(&b, "path", S(path));
  mb_put_cstr(&b, "content", content);
  mb_put_cstr(&b, "mode", S("0644"));
  return add_node(addr, "local.File", "local", val_map_done(&b));
}

static void state_file(const char *addr, const char *path, const char *content) {
  StateRes r = { 0 };
  r.address = strdup(addr);
  r.type = strdup("local.File");
  r.provider = strdup("local");
  r.id = strdup(path);
  r.inputs = json_pack("{s:s, s:s, s:s}", "path", path, "content", content, "mode", "0644");
  r.outputs = json_pack("{s:i}", "size", (int)strlen(content));
  state_put(&st, &r);
}

static char *text_of(const Plan *p) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  plan_print(p, f, false);
  fclose(f);
  return buf;
}

static char *json_of(const Plan *p) {
  json_t *j = plan_json(p);
  char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
  json_decref(j);
  return s;
}

static void expect_text(const Plan *p, const char *want) {
  char *t = text_of(p);
  if (strcmp(t, want) != 0)
    fail_msg("plan text:\n%s\nwanted:\n%s", t, want);
  free(t);
}

static void test_create_then_no_changes(void **state) {
  (void)state;
  file_node("b", "out/b.txt", S("bee\n"));
  file_node("a", "out/a.txt", S("ay\n"));
  graph_finish(&g);
  Plan p;
  assert_true(plan_make(&g, &st, reg, NULL, &p));
  assert_int_equal(p.count[PA_CREATE], 2);
  expect_text(&p,
              "  + a local.File\n"
              "      content = \"ay\\n\"\n"
              "      mode    = \"0644\"\n"
              "      path    = \"out/a.txt\"\n"
              "  + b local.File\n"
              "      content = \"bee\\n\"\n"
              "      mode    = \"0644\"\n"
              "      path    = \"out/b.txt\"\n"
              "Plan: 2 to create, 0 to update, 0 to replace, 0 to delete.\n");
  plan_free(&p);
  state_file("a", "out/a.txt", "ay\n");
  state_file("b", "out/b.txt", "bee\n");
  assert_true(plan_make(&g, &st, reg, NULL, &p));
  assert_int_equal(p.count[PA_NOOP], 2);
  expect_text(&p, "No changes.\n");
  plan_free(&p);
}

static void test_update_replace_delete(void **state) {
  (void)state;
  file_node("conf", "out/conf", S("new\n"));
  file_node("moved", "out/elsewhere", S("x"));
  graph_finish(&g);
  state_file("conf", "out/conf", "old\n");
  state_file("moved", "out/here", "x");
  state_file("stale", "out/stale", "bye");
  Plan p;
  assert_true(plan_make(&g, &st, reg, NULL, &p));
  expect_text(&p,
              "  ~ conf local.File\n"
              "      content = \"old\\n\" -> \"new\\n\"\n"
              "-/+ moved local.File (path forces replacement)\n"
              "      path = \"out/here\" -> \"out/elsewhere\"  # forces replacement\n"
              "  - stale local.File\n"
              "      content = \"bye\"\n"
              "      mode    = \"0644\"\n"
              "      path    = \"out/stale\"\n"
              "Plan: 0 to create, 1 to update, 1 to replace, 1 to delete.\n");
  char *j = json_of(&p);
  assert_non_null(strstr(j, "\"action\":\"replace\""));
  assert_non_null(strstr(j, "\"forces_replacement\":true"));
  assert_non_null(strstr(j, "\"summary\":{\"create\":0,\"delete\":1,\"no-op\":0,\"replace\":1,\"update\":1}"));
  free(j);
  plan_free(&p);
}

static void test_lifecycle_options(void **state) {
  (void)state;
  static const char *content[] = { "content" };
  GNode *a = file_node("ignored", "out/i", S("changed"));
  a->ignore_changes = content;
  a->nignore = 1;
  GNode *b = file_node("forced", "out/f", S("changed"));
  b->replace_on_change = content;
  b->nreplace = 1;
  b->create_before_destroy = true;
  GNode *c = file_node("guarded", "out/g2", S("same"));
  c->protect = true;
  graph_finish(&g);
  state_file("ignored", "out/i", "orig");
  state_file("forced", "out/f", "orig");
  state_file("guarded", "out/g1", "same");
  Plan p;
  assert_false(plan_make(&g, &st, reg, NULL, &p));
  assert_int_equal(p.count[PA_NOOP], 1);      /* ignored */
  assert_int_equal(p.count[PA_REPLACE], 2);
  assert_int_equal(p.nerrors, 1);
  assert_non_null(strstr(p.errors[0], "guarded is protected (@protect) and would be replaced: "
                                      "path forces replacement"));
  char *t = text_of(&p);
  assert_non_null(strstr(t, "-/+ forced local.File (content forces replacement, create before destroy)\n"));
  assert_null(strstr(t, "ignored"));
  free(t);
  plan_free(&p);
}

static void test_unknown_and_secret(void **state) {
  (void)state;
  VRef r = { 0, val_intern(&rt, "hex", 3) };
  file_node("uses_id", "out/u", val_unknown(&rt, &r, 1));
  file_node("env", "out/env", val_mark_secret(S("PASSWORD=hunter2")));
  graph_finish(&g);
  state_file("uses_id", "out/u", "old");
  Plan p;
  assert_true(plan_make(&g, &st, reg, NULL, &p));
  char *t = text_of(&p);
  assert_non_null(strstr(t, "  ~ uses_id local.File\n      content = \"old\" -> (known after deploy)\n"));
  assert_non_null(strstr(t, "      content = [secret]\n"));
  assert_null(strstr(t, "hunter2"));
  char *j = json_of(&p);
  assert_null(strstr(j, "hunter2"));
  assert_non_null(strstr(j, "{\"$secret\":true}"));
  assert_non_null(strstr(j, "{\"$unknown\":true}"));
  free(t);
  free(j);
  plan_free(&p);
}

static void test_moved_and_targets(void **state) {
  (void)state;
  file_node("home", "out/home.html", S("<p>home</p>"));
  file_node("other", "out/other", S("o"));
  GMoved m = { "index", "home", { 0 } };
  graph_add_moved(&g, &m);
  graph_finish(&g);
  state_file("index", "out/home.html", "<p>home</p>");
  Plan p;
  assert_true(plan_make(&g, &st, reg, NULL, &p));
  assert_int_equal(p.count[PA_DELETE], 0);     /* index is home now, not an orphan */
  char *t = text_of(&p);
  assert_non_null(strstr(t, "    home local.File (moved from index)\n"));
  free(t);
  plan_free(&p);
  const char *targets[] = { "other" };
  PlanOptions opt = { targets, 1 };
  assert_true(plan_make(&g, &st, reg, &opt, &p));
  assert_int_equal(p.nitems, 1);
  assert_string_equal(p.items[0].address, "other");
  plan_free(&p);
}

static void test_policies(void **state) {
  (void)state;
  file_node("open", "out/open", S("x"));
  graph_finish(&g);
  PolicyResult deny = { "no world-writable files", PO_DENY, 0, "out/open is 0777", { 0 } };
  PolicyResult warn = { "small files", PO_WARN, 0, "out/open is tiny", { 0 } };
  graph_add_policy(&g, &deny);
  graph_add_policy(&g, &warn);
  Plan p;
  assert_false(plan_make(&g, &st, reg, NULL, &p));
  char *t = text_of(&p);
  assert_non_null(strstr(t, "warning: policy \"small files\" warns about open: out/open is tiny\n"));
  assert_null(strstr(t, "error:"));          /* errors go to their own stream */
  free(t);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  plan_print_errors(&p, f, false);
  fclose(f);
  assert_string_equal(buf, "error: policy \"no world-writable files\" denies open: out/open is 0777\n");
  free(buf);
  plan_free(&p);
}

/* A provider that counts its diffs and always reports its `v` changed. */
static int ndiffs;

static ProvStatus count_call(void *self, ProvOp op, const ProvReq *req, ProvRes *res,
                             int64_t deadline_ms) {
  (void)self, (void)req, (void)deadline_ms;
  if (op == PROV_DIFF) {
    ndiffs++;
    res->changed = json_pack("[s]", "v");
    res->replaces = json_array();
    res->diff = PROV_DIFF_UPDATE;
  }
  res->status = PROV_OK;
  return PROV_OK;
}

static const char *count_schema(void *self, size_t *len, char **err) {
  (void)self, (void)err;
  static const char text[] = "resource Thing {\n  v: string\n}\n";
  *len = sizeof text - 1;
  return text;
}

static const ProvVtable count_vt = { count_call, count_schema, NULL };

static void thing(const char *addr, const char *v, bool in_state, const char *stored) {
  MapBuilder b;
  mb_init(&b, &rt, 1);
  mb_put_cstr(&b, "v", S(v));
  add_node(addr, "count.Thing", "count", val_map_done(&b));
  if (!in_state)
    return;
  StateRes r = { 0 };
  r.address = strdup(addr);
  r.type = strdup("count.Thing");
  r.provider = strdup("count");
  r.id = strdup(addr);
  r.inputs = json_pack("{s:s}", "v", stored);
  r.outputs = json_object();
  state_put(&st, &r);
}

/* Inputs equal to the stored ones are no change without asking the provider (a diff lists
 * the inputs that differ): a no-change plan of 100,000 resources made 100,000 calls.
 * Inputs that differ are still the provider's to judge. */
static void test_equal_inputs_skip_diff(void **state) {
  (void)state;
  assert_true(prov_registry_add(reg, "count", &count_vt, NULL));
  thing("same", "x", true, "x");
  thing("other", "y", true, "old");
  graph_finish(&g);
  ndiffs = 0;
  Plan p;
  assert_true(plan_make(&g, &st, reg, NULL, &p));
  assert_int_equal(ndiffs, 1);
  assert_int_equal(p.count[PA_NOOP], 1);
  assert_int_equal(p.count[PA_UPDATE], 1);
  for (uint32_t i = 0; i < p.nitems; i++)
    assert_int_equal(p.items[i].action,
                     strcmp(p.items[i].address, "same") == 0 ? PA_NOOP : PA_UPDATE);
  plan_free(&p);
}

/* dv_equal_json(v, j) is json_equal(dv_to_json(v), j), or false when unsure. */
static void test_equal_json_like_conversion(void **state) {
  (void)state;
  VList *l = val_list_new(&rt, 3);
  l->items[0] = val_int(1);
  l->items[1] = val_float(&rt, 2.5);
  l->items[2] = val_null();
  Val list = val_list_done(l);
  MapBuilder b;
  mb_init(&b, &rt, 4);
  mb_put_cstr(&b, "b", val_bool(true));
  mb_put_cstr(&b, "a", list);
  mb_put_cstr(&b, "s", S("caf\xc3\xa9"));
  Val map = val_map_done(&b);
  Val vals[] = { val_null(), val_bool(false), val_int(-3), val_float(&rt, 0.5), S(""), S("x"),
                 list, map };
  const char *jsons[] = { "null", "false", "true", "-3", "-3.0", "0.5", "\"\"", "\"x\"",
                          "\"x \"", "[1, 2.5, null]", "[1, 2.5]", "[1, 2, null]",
                          "{\"a\": [1, 2.5, null], \"b\": true, \"s\": \"caf\xc3\xa9\"}",
                          "{\"a\": [1, 2.5, null], \"b\": true}",
                          "{\"a\": [1, 2.5, null], \"b\": true, \"t\": \"caf\xc3\xa9\"}",
                          "{\"a\": [1, 2.5, null], \"b\": 1, \"s\": \"caf\xc3\xa9\"}" };
  int equal = 0;
  for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
    for (size_t k = 0; k < sizeof jsons / sizeof *jsons; k++) {
      json_error_t je;
      json_t *j = json_loads(jsons[k], JSON_DECODE_ANY, &je);
      assert_non_null(j);
      json_t *conv = dv_to_json(vals[i], NULL);
      bool want = json_equal(conv, j);
      assert_int_equal(dv_equal_json(vals[i], j), want);
      equal += want;
      json_decref(conv);
      json_decref(j);
    }
  assert_int_equal(equal, 8);   /* each value equals exactly its own JSON */
  /* A deploy-time value is never equal. */
  VRef ref = { 0, val_intern(&rt, "id", 2) };
  Val u = val_unknown(&rt, &ref, 1);
  json_t *marker = dv_to_json(u, NULL);
  assert_false(dv_equal_json(u, marker));
  json_decref(marker);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_create_then_no_changes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_update_replace_delete, setup, teardown),
    cmocka_unit_test_setup_teardown(test_lifecycle_options, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unknown_and_secret, setup, teardown),
    cmocka_unit_test_setup_teardown(test_moved_and_targets, setup, teardown),
    cmocka_unit_test_setup_teardown(test_policies, setup, teardown),
    cmocka_unit_test_setup_teardown(test_equal_inputs_skip_diff, setup, teardown),
    cmocka_unit_test_setup_teardown(test_equal_json_like_conversion, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
