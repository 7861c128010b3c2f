/* vm/graph.c on hand-built graphs: graph_finish sorts by address and renumbers parents,
 * dependencies, unknowns (shared ones once) and resource values; instances pass their
 * lifecycle options down; the JSON writer's exact text (markers, '$' keys escaped,
 * secrets never written), dot and mermaid; the same graph added in another order gives
 * the same bytes; write errors and over-deep values are reported, not crashed on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/graph.h"

static Rt rt;

static int setup(void **state) {
  (void)state;
  rt_init(&rt, 0);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  rt_free(&rt);
  return 0;
}

static Val S(const char *s) { return val_cstr(&rt, s); }

static Val unk(uint32_t node, const char *attr) {
  VRef r = {node, attr ? val_intern(&rt, attr, strlen(attr)) : NULL};
  return val_unknown(&rt, &r, 1);
}

/* "main.plat:LINE:COL" with line = span.start and col = span.end, so tests see the span. */
static const char *fake_locate(void *ud, Span s, uint32_t *line, uint32_t *col) {
  (void)ud;
  if (s.file == SPAN_NO_FILE) return NULL;
  *line = s.start;
  *col = s.end;
  return "main.plat";
}

typedef bool (*Writer)(const Graph *g, FILE *out);

/* The writer's output as a malloc'd string (caller frees). */
static char *render(const Graph *g, Writer wr) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_true(wr(g, f));
  fclose(f);
  return buf;
}

static void assert_text(const char *got, const char *want) {
  if (strcmp(got, want) != 0) {
    fprintf(stderr, "--- got:\n%s--- want:\n%s---\n", got, want);
    fail();
  }
}

/* The quickstart-like graph, its nodes added in [order] (a permutation of 0..3):
 *   0 web.page  local.File, in instance web; content waits for seed.hex
 *   1 seed      random.Id
 *   2 web       instance of Site: @protect, @depends_on(logs); output url waits for
 *               web.page.path
 *   3 logs      local.Directory */
static void build(Graph *g, const int order[4]) {
  graph_init(g, &rt);
  g->locate = fake_locate;
  g->source_hash = "abc123";
  uint32_t at[4];
  /* first pass: where each node will land, so references can be written up front */
  for (uint32_t i = 0; i < 4; i++) at[order[i]] = i;
  for (uint32_t i = 0; i < 4; i++) {
    GNode n = {0};
    n.parent = GN_NONE;
    n.outputs = val_null();
    MapBuilder b;
    mb_init(&b, &rt, 4);
    uint32_t deps[1], exp[1];
    switch (order[i]) {
    case 0:
      n.kind = GN_RESOURCE;
      n.addr = "web.page";
      n.type = "local.File";
      n.provider = "local";
      n.module = "main.plat";
      n.span = span_make(0, 7, 3);
      n.parent = at[2];
      mb_put_cstr(&b, "path", S("out/web.html"));
      mb_put_cstr(&b, "content", unk(at[1], "hex"));
      mb_put_cstr(&b, "mode", S("0644"));
      deps[0] = at[1];
      n.deps = deps;
      n.ndeps = 1;
      break;
    case 1:
      n.kind = GN_RESOURCE;
      n.addr = "seed";
      n.type = "random.Id";
      n.provider = "random";
      n.module = "main.plat";
      n.span = span_make(0, 3, 1);
      mb_put_cstr(&b, "bytes", val_int(4));
      break;
    case 2: {
      n.kind = GN_INSTANCE;
      n.addr = "web";
      n.type = "Site";
      n.module = "main.plat";
      n.span = span_make(0, 10, 1);
      n.protect = true;
      exp[0] = at[3];
      n.explicit_deps = exp;
      n.nexplicit = 1;
      mb_put_cstr(&b, "name", S("web"));
      MapBuilder o;
      mb_init(&o, &rt, 1);
      mb_put_cstr(&o, "url", unk(at[0], "path"));
      n.outputs = val_map_done(&o);
      break;
    }
    default:
      n.kind = GN_RESOURCE;
      n.addr = "logs";
      n.type = "local.Directory";
      n.provider = "local";
      n.module = "main.plat";
      n.span = span_make(0, 5, 1);
      mb_put_cstr(&b, "path", S("out/logs"));
      break;
    }
    n.inputs = val_map_done(&b);
    assert_int_equal(graph_add(g, &n), i);
  }
  MapBuilder o;
  mb_init(&o, &rt, 2);
  mb_put_cstr(&o, "url", unk(at[0], "path"));
  mb_put_cstr(&o, "name", S("quickstart"));
  g->outputs = val_map_done(&o);
  graph_add_policy(g, &(PolicyResult){"no world-writable files", PO_WARN, at[0],
                                      "out/web.html is world-readable", span_make(0, 20, 3)});
  graph_add_policy(g, &(PolicyResult){"files stay under out/", PO_UNKNOWN, at[3], NULL,
                                      span_make(0, 18, 3)});
  graph_add_moved(g, &(GMoved){"page", "web.page", span_make(0, 30, 1)});
  graph_finish(g);
}

static const int order_a[4] = {0, 1, 2, 3};
static const int order_b[4] = {3, 2, 1, 0};

static const char quickstart_json[] =
    "{\n"
    "  \"components\": [\n"
    "    {\n"
    "      \"address\": \"web\",\n"
    "      \"depends_on\": [],\n"
    "      \"depends_on_explicit\": [\n"
    "        \"logs\"\n"
    "      ],\n"
    "      \"inputs\": {\n"
    "        \"name\": \"web\"\n"
    "      },\n"
    "      \"key\": null,\n"
    "      \"lifecycle\": {\n"
    "        \"protect\": true\n"
    "      },\n"
    "      \"location\": \"main.plat:10:1\",\n"
    "      \"module\": \"main.plat\",\n"
    "      \"outputs\": {\n"
    "        \"url\": {\"$unknown\": [\"web.page.path\"]}\n"
    "      },\n"
    "      \"parent\": null,\n"
    "      \"type\": \"Site\"\n"
    "    }\n"
    "  ],\n"
    "  \"format_version\": 1,\n"
    "  \"moved\": [\n"
    "    {\n"
    "      \"from\": \"page\",\n"
    "      \"location\": \"main.plat:30:1\",\n"
    "      \"to\": \"web.page\"\n"
    "    }\n"
    "  ],\n"
    "  \"outputs\": {\n"
    "    \"name\": \"quickstart\",\n"
    "    \"url\": {\"$unknown\": [\"web.page.path\"]}\n"
    "  },\n"
    "  \"policies\": [\n"
    "    {\n"
    "      \"address\": \"logs\",\n"
    "      \"location\": \"main.plat:18:3\",\n"
    "      \"message\": null,\n"
    "      \"outcome\": \"unknown\",\n"
    "      \"policy\": \"files stay under out/\"\n"
    "    },\n"
    "    {\n"
    "      \"address\": \"web.page\",\n"
    "      \"location\": \"main.plat:20:3\",\n"
    "      \"message\": \"out/web.html is world-readable\",\n"
    "      \"outcome\": \"warn\",\n"
    "      \"policy\": \"no world-writable files\"\n"
    "    }\n"
    "  ],\n"
    "  \"resources\": [\n"
    "    {\n"
    "      \"address\": \"logs\",\n"
    "      \"depends_on\": [],\n"
    "      \"depends_on_explicit\": [],\n"
    "      \"inputs\": {\n"
    "        \"path\": \"out/logs\"\n"
    "      },\n"
    "      \"key\": null,\n"
    "      \"lifecycle\": {},\n"
    "      \"location\": \"main.plat:5:1\",\n"
    "      \"module\": \"main.plat\",\n"
    "      \"parent\": null,\n"
    "      \"provider\": \"local\",\n"
    "      \"type\": \"local.Directory\"\n"
    "    },\n"
    "    {\n"
    "      \"address\": \"seed\",\n"
    "      \"depends_on\": [],\n"
    "      \"depends_on_explicit\": [],\n"
    "      \"inputs\": {\n"
    "        \"bytes\": 4\n"
    "      },\n"
    "      \"key\": null,\n"
    "      \"lifecycle\": {},\n"
    "      \"location\": \"main.plat:3:1\",\n"
    "      \"module\": \"main.plat\",\n"
    "      \"parent\": null,\n"
    "      \"provider\": \"random\",\n"
    "      \"type\": \"random.Id\"\n"
    "    },\n"
    "    {\n"
    "      \"address\": \"web.page\",\n"
    "      \"depends_on\": [\n"
    "        \"seed\"\n"
    "      ],\n"
    "      \"depends_on_explicit\": [\n"
    "        \"logs\"\n"
    "      ],\n"
    "      \"inputs\": {\n"
    "        \"content\": {\"$unknown\": [\"seed.hex\"]},\n"
    "        \"mode\": \"0644\",\n"
    "        \"path\": \"out/web.html\"\n"
    "      },\n"
    "      \"key\": null,\n"
    "      \"lifecycle\": {\n"
    "        \"protect\": true\n"
    "      },\n"
    "      \"location\": \"main.plat:7:3\",\n"
    "      \"module\": \"main.plat\",\n"
    "      \"parent\": \"web\",\n"
    "      \"provider\": \"local\",\n"
    "      \"type\": \"local.File\"\n"
    "    }\n"
    "  ],\n"
    "  \"source_hash\": \"abc123\"\n"
    "}\n";

static void test_finish_sorts_and_renumbers(void **state) {
  (void)state;
  Graph g;
  build(&g, order_b);
  assert_true(g.finished);
  assert_int_equal(g.nnodes, 4);
  assert_string_equal(g.nodes[0].addr, "logs");
  assert_string_equal(g.nodes[1].addr, "seed");
  assert_string_equal(g.nodes[2].addr, "web");
  assert_string_equal(g.nodes[3].addr, "web.page");
  assert_int_equal(g.nodes[3].parent, 2);
  assert_int_equal(g.nodes[3].ndeps, 1);
  assert_int_equal(g.nodes[3].deps[0], 1);
  /* the instance's @protect and @depends_on reach the resource inside it */
  assert_true(g.nodes[3].protect);
  assert_int_equal(g.nodes[3].nexplicit, 1);
  assert_int_equal(g.nodes[3].explicit_deps[0], 0);
  const Val *c = val_map_get(g.nodes[3].inputs.as.m, "content", 7);
  assert_non_null(c);
  assert_int_equal(c->tag, VT_UNKNOWN);
  assert_int_equal(c->as.u->refs[0].node, 1);
  assert_int_equal(g.policies[0].node, 0);
  assert_int_equal(g.policies[1].node, 3);
  assert_int_equal(graph_find(&g, "web.page"), 3);
  assert_int_equal(graph_find(&g, "logs"), 0);
  assert_int_equal(graph_find(&g, "web.pag"), GN_NONE);
  assert_int_equal(graph_find(&g, ""), GN_NONE);
  graph_free(&g);
}

static void test_json_exact(void **state) {
  (void)state;
  Graph g;
  build(&g, order_a);
  char *s = render(&g, graph_write_json);
  assert_text(s, quickstart_json);
  free(s);
  graph_free(&g);
}

/* Evaluation order never shows: the same nodes added backwards give the same bytes. */
static void test_same_bytes_any_order(void **state) {
  (void)state;
  static const int orders[3][4] = {{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}};
  Writer writers[3] = {graph_write_json, graph_write_dot, graph_write_mermaid};
  for (int w = 0; w < 3; w++) {
    char *first = NULL;
    for (int o = 0; o < 3; o++) {
      Graph g;
      build(&g, orders[o]);
      char *s = render(&g, writers[w]);
      if (!first) first = s;
      else { assert_text(s, first); free(s); }
      graph_free(&g);
    }
    free(first);
  }
}

/* One unknown shared by two nodes and by the root outputs is renumbered once. */
static void test_shared_unknown_renumbered_once(void **state) {
  (void)state;
  Graph g;
  graph_init(&g, &rt);
  Val shared = unk(2, "oid");                 /* waits for "a", added third */
  VList *l = val_list_new(&rt, 2);
  l->items[0] = shared;
  l->items[1] = val_res(1);                   /* a resource value: "b" */
  Val list = val_list_done(l);
  const char *addrs[3] = {"c", "b", "a"};
  for (int i = 0; i < 3; i++) {
    GNode n = {.kind = GN_RESOURCE, .addr = addrs[i], .type = "t.T", .provider = "t",
               .parent = GN_NONE, .outputs = val_null(), .span = {SPAN_NO_FILE, 0, 0}};
    MapBuilder b;
    mb_init(&b, &rt, 1);
    mb_put_cstr(&b, "x", i < 2 ? list : val_int(1));
    n.inputs = val_map_done(&b);
    graph_add(&g, &n);
  }
  g.outputs = list;
  graph_finish(&g);
  /* "a" is node 0 now, "b" node 1 */
  assert_int_equal(shared.as.u->refs[0].node, 0);
  assert_int_equal(list.as.l->items[1].node, 1);
  char *s = render(&g, graph_write_json);
  assert_non_null(strstr(s, "\"outputs\": [\n    {\"$unknown\": [\"a.oid\"]},\n    "
                            "{\"$resource\": \"b\"}\n  ]"));
  assert_non_null(strstr(s, "\"location\": null"));
  assert_non_null(strstr(s, "\"source_hash\": null"));
  free(s);
  graph_free(&g);
}

/* Secrets: the marker only, never the text, also inside lists and maps and when the
 * secret is unknown; user keys that start with '$' are escaped. */
static void test_secrets_and_dollar_keys(void **state) {
  (void)state;
  Graph g;
  graph_init(&g, &rt);
  MapBuilder b;
  mb_init(&b, &rt, 8);
  mb_put_cstr(&b, "password", val_mark_secret(S("hunter2")));
  mb_put_cstr(&b, "token", val_mark_secret(unk(1, "result")));
  VList *l = val_list_new(&rt, 2);
  l->items[0] = S("plain");
  l->items[1] = val_mark_secret(S("hunter3"));
  mb_put_cstr(&b, "list", val_list_done(l));
  VList *sl = val_list_new(&rt, 2);
  sl->items[0] = unk(1, "result");
  sl->items[1] = unk(0, NULL);
  mb_put_cstr(&b, "secretlist", val_mark_secret(val_list_done(sl)));
  mb_put_cstr(&b, "$unknown", S("user data"));
  mb_put_cstr(&b, "$$x", val_bool(false));
  mb_put_cstr(&b, "ratio", val_float(&rt, 0.5));
  mb_put_cstr(&b, "whole", val_float(&rt, 2.0));
  mb_put_cstr(&b, "neg", val_int(-9223372036854775807LL - 1));
  mb_put_cstr(&b, "esc", S("q\"b\\n\n\t\x01\x7f é"));
  GNode n = {.kind = GN_RESOURCE, .addr = "app", .type = "t.T", .provider = "t",
             .parent = GN_NONE, .outputs = val_null(), .inputs = val_map_done(&b)};
  graph_add(&g, &n);
  GNode p = {.kind = GN_RESOURCE, .addr = "pw", .type = "random.Password", .provider = "random",
             .parent = GN_NONE, .outputs = val_null(), .inputs = val_null()};
  graph_add(&g, &p);
  graph_finish(&g);
  char *s = render(&g, graph_write_json);
  assert_null(strstr(s, "hunter"));
  assert_non_null(strstr(s, "\"password\": {\"$secret\": true}"));
  assert_non_null(strstr(s, "\"token\": {\"$secret\": true, \"$unknown\": [\"pw.result\"]}"));
  assert_non_null(strstr(s, "\"secretlist\": {\"$secret\": true, \"$unknown\": [\"app\", \"pw.result\"]}"));
  assert_non_null(strstr(s, "\"list\": [\n          \"plain\",\n          {\"$secret\": true}\n        ]"));
  assert_non_null(strstr(s, "\"$$unknown\": \"user data\""));
  assert_non_null(strstr(s, "\"$$$x\": false"));
  assert_non_null(strstr(s, "\"ratio\": 0.5"));
  assert_non_null(strstr(s, "\"whole\": 2.0"));
  assert_non_null(strstr(s, "\"neg\": -9223372036854775808"));
  assert_non_null(strstr(s, "\"esc\": \"q\\\"b\\\\n\\n\\t\\u0001\\u007f é\""));
  /* the escaped keys keep the map's order: "$$$x" < "$$unknown" as "$$x" < "$unknown" */
  assert_true(strstr(s, "\"$$$x\"") < strstr(s, "\"$$unknown\""));
  free(s);
  for (int w = 0; w < 2; w++) {
    s = render(&g, w ? graph_write_dot : graph_write_mermaid);
    assert_null(strstr(s, "hunter"));
    free(s);
  }
  graph_free(&g);
}

static void test_dot(void **state) {
  (void)state;
  Graph g;
  build(&g, order_a);
  char *s = render(&g, graph_write_dot);
  assert_text(s,
              "digraph plat {\n"
              "  rankdir=LR;\n"
              "  compound=true;\n"
              "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n"
              "  edge [color=\"#555555\"];\n"
              "  \"logs\" [label=\"logs\\nlocal.Directory\\nunknown: files stay under out/\", "
              "color=\"#808080\", penwidth=2];\n"
              "  \"seed\" [label=\"seed\\nrandom.Id\"];\n"
              "  subgraph \"cluster_2\" {\n"
              "    label=\"web\\nSite\";\n"
              "    style=rounded; color=\"#888888\";\n"
              "    \"web.page\" [label=\"web.page\\nlocal.File\\nwarn: no world-writable files\", "
              "color=\"#e08000\", penwidth=2];\n"
              "  }\n"
              "  \"logs\" -> \"web.page\" [lhead=\"cluster_2\", style=dashed];\n"
              "  \"seed\" -> \"web.page\";\n"
              "}\n");
  free(s);
  graph_free(&g);
}

static void test_mermaid(void **state) {
  (void)state;
  Graph g;
  build(&g, order_a);
  char *s = render(&g, graph_write_mermaid);
  assert_text(s,
              "flowchart LR\n"
              "  n0[\"logs<br/>local.Directory<br/>unknown: files stay under out/\"]\n"
              "  n1[\"seed<br/>random.Id\"]\n"
              "  subgraph c2[\"web: Site\"]\n"
              "    n3[\"web.page<br/>local.File<br/>warn: no world-writable files\"]\n"
              "  end\n"
              "  n0 -.-> c2\n"
              "  n1 --> n3\n"
              "  classDef warn stroke:#e08000,stroke-width:3px\n"
              "  class n3 warn\n"
              "  classDef pending stroke:#808080,stroke-width:3px\n"
              "  class n0 pending\n");
  free(s);
  graph_free(&g);
}

/* Keyed copies: quotes in addresses are escaped for each format; an instance with no
 * resources is drawn as a box of its own; a deny wins over a warn. */
static void test_keyed_and_escaping(void **state) {
  (void)state;
  Graph g;
  graph_init(&g, &rt);
  GNode inst = {.kind = GN_INSTANCE, .addr = "workers[\"a#b\"]", .type = "Empty", .key = "a#b",
                .parent = GN_NONE, .inputs = val_null(), .outputs = val_null()};
  uint32_t wi = graph_add(&g, &inst);
  uint32_t dep = wi;
  GNode r = {.kind = GN_RESOURCE, .addr = "x<y>", .type = "t.T", .provider = "t",
             .parent = GN_NONE, .inputs = val_null(), .outputs = val_null(), .deps = &dep, .ndeps = 1};
  uint32_t ri = graph_add(&g, &r);
  graph_add_policy(&g, &(PolicyResult){"p1", PO_WARN, ri, "w", {SPAN_NO_FILE, 0, 0}});
  graph_add_policy(&g, &(PolicyResult){"p2", PO_DENY, ri, "d", {SPAN_NO_FILE, 0, 0}});
  graph_finish(&g);
  char *s = render(&g, graph_write_json);
  assert_non_null(strstr(s, "\"address\": \"workers[\\\"a#b\\\"]\""));
  assert_non_null(strstr(s, "\"key\": \"a#b\""));
  free(s);
  s = render(&g, graph_write_dot);
  assert_non_null(strstr(s, "  subgraph \"cluster_0\" {\n    label=\"workers[\\\"a#b\\\"]\\nEmpty\";\n"));
  assert_non_null(strstr(s, "    \"workers[\\\"a#b\\\"]\" [label=\"workers[\\\"a#b\\\"]\\nEmpty\", shape=component];\n"));
  assert_non_null(strstr(s, "\"x<y>\" [label=\"x<y>\\nt.T\\nwarn: p1\\ndeny: p2\", color=\"#d00000\""));
  assert_non_null(strstr(s, "  \"workers[\\\"a#b\\\"]\" -> \"x<y>\";\n"));
  free(s);
  s = render(&g, graph_write_mermaid);
  assert_non_null(strstr(s, "  n1[\"x#lt;y#gt;<br/>t.T<br/>warn: p1<br/>deny: p2\"]\n"));
  assert_non_null(strstr(s, "  subgraph c0[\"workers[#quot;a#35;b#quot;]: Empty\"]\n"
                            "    n0[\"workers[#quot;a#35;b#quot;]<br/>Empty\"]\n  end\n"));
  assert_non_null(strstr(s, "  c0 --> n1\n"));
  assert_non_null(strstr(s, "  class n1 deny\n"));
  free(s);
  graph_free(&g);
}

/* References past the last node are dropped, not followed; duplicates are merged. */
static void test_bad_references_dropped(void **state) {
  (void)state;
  Graph g;
  graph_init(&g, &rt);
  uint32_t deps[4] = {7, 0, 0, GN_NONE};
  GNode n = {.kind = GN_RESOURCE, .addr = "a", .type = "t.T", .provider = "t", .parent = 9,
             .inputs = val_null(), .outputs = val_null(), .deps = deps, .ndeps = 4};
  graph_add(&g, &n);
  graph_add_policy(&g, &(PolicyResult){"p", PO_DENY, 5, "m", {SPAN_NO_FILE, 0, 0}});
  graph_finish(&g);
  assert_int_equal(g.nodes[0].parent, GN_NONE);
  assert_int_equal(g.nodes[0].ndeps, 1);
  assert_int_equal(g.nodes[0].deps[0], 0);
  assert_int_equal(g.policies[0].node, GN_NONE);
  for (int w = 0; w < 3; w++) {
    Writer wr = w == 0 ? graph_write_json : w == 1 ? graph_write_dot : graph_write_mermaid;
    char *s = render(&g, wr);
    assert_true(strlen(s) > 0);
    free(s);
  }
  graph_free(&g);
}

static void test_empty_graph(void **state) {
  (void)state;
  Graph g;
  graph_init(&g, &rt);
  graph_finish(&g);
  char *s = render(&g, graph_write_json);
  assert_text(s, "{\n  \"components\": [],\n  \"format_version\": 1,\n  \"moved\": [],\n"
                 "  \"outputs\": null,\n  \"policies\": [],\n  \"resources\": [],\n"
                 "  \"source_hash\": null\n}\n");
  free(s);
  s = render(&g, graph_write_mermaid);
  assert_text(s, "flowchart LR\n");
  free(s);
  graph_free(&g);
}

static void test_write_errors(void **state) {
  (void)state;
  Graph g;
  build(&g, order_a);
  FILE *f = fopen("/dev/full", "w");
  if (f) {
    assert_false(graph_write_json(&g, f));
    assert_non_null(strstr(graph_write_error(), "cannot write"));
    fclose(f);
  }
  /* a value nested past the limit is refused with a message */
  Val v = val_int(1);
  for (int i = 0; i < GRAPH_MAX_DEPTH + 5; i++) v = val_list_of(&rt, &v, 1);
  g.outputs = v;
  char *buf = NULL;
  size_t len = 0;
  f = open_memstream(&buf, &len);
  assert_false(graph_write_json(&g, f));
  fclose(f);
  free(buf);
  assert_non_null(strstr(graph_write_error(), "nested more than"));
  /* unfinished graphs are refused too */
  Graph u;
  graph_init(&u, &rt);
  f = open_memstream(&buf, &len);
  assert_false(graph_write_dot(&u, f));
  fclose(f);
  free(buf);
  graph_free(&u);
  graph_free(&g);
}

static void test_locate_sources(void **state) {
  (void)state;
  SourceMap sm;
  source_init(&sm);
  uint32_t f = source_add(&sm, "dir/main.plat", "use local\n  resource x\n", 22);
  uint32_t line = 0, col = 0;
  const char *p = graph_locate_sources(&sm, span_make(f, 12, 20), &line, &col);
  assert_non_null(p);
  assert_string_equal(p, "dir/main.plat");
  assert_int_equal(line, 2);
  assert_int_equal(col, 3);
  assert_null(graph_locate_sources(&sm, span_make(SPAN_NO_FILE, 0, 0), &line, &col));
  assert_null(graph_locate_sources(&sm, span_make(5, 0, 0), &line, &col));
  source_free(&sm);
}

/* Many nodes in reverse order: sorted, and every dependency still names the same node. */
static void test_many_nodes(void **state) {
  (void)state;
  Graph g;
  graph_init(&g, &rt);
  enum { N = 5000 };
  for (uint32_t i = 0; i < N; i++) {
    char *a = rt_alloc(&rt, 16);
    snprintf(a, 16, "r%05u", N - 1 - i);
    uint32_t dep = i ? i - 1 : 0;   /* r(k) depends on r(k+1) */
    GNode n = {.kind = GN_RESOURCE, .addr = a, .type = "t.T", .provider = "t", .parent = GN_NONE,
               .inputs = unk(dep, "id"), .outputs = val_null(), .deps = &dep, .ndeps = i ? 1 : 0};
    graph_add(&g, &n);
  }
  graph_finish(&g);
  for (uint32_t i = 0; i + 1 < N; i++) {
    assert_true(strcmp(g.nodes[i].addr, g.nodes[i + 1].addr) < 0);
    assert_int_equal(g.nodes[i].ndeps, 1);
    assert_int_equal(g.nodes[i].deps[0], i + 1);
    assert_int_equal(g.nodes[i].inputs.as.u->refs[0].node, i + 1);
  }
  graph_free(&g);
}

/* graph_finish's sort against qsort with strcmp: addresses with long shared prefixes (more
 * than one 8-byte chunk), prefixes of each other, bytes above 0x7f, and duplicates (which
 * keep the order they were added in, seen through [key]); one batch of 20,000 identical
 * addresses and one of addresses in an order made to defeat median-of-three pivots. */
typedef struct RefAddr { const char *addr; uint32_t idx; } RefAddr;

static int refaddr_cmp(const void *x, const void *y) {
  const RefAddr *a = x, *b = y;
  int c = strcmp(a->addr, b->addr);
  return c ? c : (a->idx < b->idx ? -1 : a->idx > b->idx);
}

static void check_sorted_like_strcmp(const char *const *addrs, uint32_t n) {
  Graph g;
  graph_init(&g, &rt);
  RefAddr *want = malloc((size_t)n * sizeof *want);
  for (uint32_t i = 0; i < n; i++) {
    char *k = rt_alloc(&rt, 12);
    snprintf(k, 12, "%u", i);   /* the VM's order, to see that ties keep it */
    GNode nd = {.kind = GN_RESOURCE, .addr = addrs[i], .type = "t.T", .provider = "t",
                .parent = GN_NONE, .key = k, .inputs = val_null(), .outputs = val_null()};
    graph_add(&g, &nd);
    want[i] = (RefAddr){addrs[i], i};
  }
  qsort(want, n, sizeof *want, refaddr_cmp);
  graph_finish(&g);
  for (uint32_t i = 0; i < n; i++) {
    assert_string_equal(g.nodes[i].addr, want[i].addr);
    assert_int_equal(strtoul(g.nodes[i].key, NULL, 10), want[i].idx);
  }
  free(want);
  graph_free(&g);
}

static void test_sort_matches_strcmp(void **state) {
  (void)state;
  enum { N = 20000 };
  const char **a = malloc(N * sizeof *a);
  static const char *const stems[] = {"", "services[\"svc", "services[\"svc1", "a.b",
                                      "averyveryverylongprefix_0123456789.", "\xc3\xa9t\xc3\xa9"};
  uint32_t seed = 12345;
  for (uint32_t i = 0; i < N; i++) {
    seed = seed * 1103515245u + 12345u;
    char buf[96];
    const char *stem = stems[(seed >> 16) % 6];
    seed = seed * 1103515245u + 12345u;
    uint32_t r = (seed >> 8) % 3000;   /* few values: many duplicates */
    switch (r % 4) {
    case 0: snprintf(buf, sizeof buf, "%s", stem); break;
    case 1: snprintf(buf, sizeof buf, "%s%u", stem, r); break;
    case 2: snprintf(buf, sizeof buf, "%s%u\"].db", stem, r); break;
    default: snprintf(buf, sizeof buf, "%s%u\"].role.x%u", stem, r, r % 7); break;
    }
    char *c = rt_alloc(&rt, strlen(buf) + 1);
    memcpy(c, buf, strlen(buf) + 1);
    a[i] = c;
  }
  check_sorted_like_strcmp(a, N);
  for (uint32_t i = 0; i < N; i++) a[i] = "same.address.for.every.node";
  check_sorted_like_strcmp(a, N);
  /* an organ-pipe order of 16-byte-prefixed names: a bad case for the pivots */
  for (uint32_t i = 0; i < N; i++) {
    char *c = rt_alloc(&rt, 40);
    uint32_t v = i < N / 2 ? i : N - 1 - i;
    snprintf(c, 40, "0123456789abcdef%08u", v);
    a[i] = c;
  }
  check_sorted_like_strcmp(a, N);
  free(a);
}

/* The JSON writer escapes 8 bytes at a time where it can: every byte that needs escaping
 * ('"', '\\', control characters, DEL), at every position of a 20-byte string, in values,
 * keys, addresses and types, is escaped exactly as val_write_json does. */
static void test_escapes_every_position(void **state) {
  (void)state;
  static const unsigned char specials[] = {'"', '\\', 0x01, '\n', '\t', 0x1f, 0x7f, 0x20, 'x'};
  for (size_t k = 0; k < sizeof specials; k++) {
    for (size_t pos = 0; pos < 20; pos++) {
      char raw[21];
      memset(raw, 'a', 20);
      raw[20] = 0;
      raw[pos] = (char)specials[k];
      /* the expected text, from val_write_json */
      SBuf b;
      sb_init(&b, &rt);
      Val sv = {.tag = VT_STR};
      sv.as.s = val_str(&rt, raw, 20).as.s;
      val_write_json(&b, sv);
      char want[200];
      snprintf(want, sizeof want, "%.*s", (int)b.len, b.p);
      Graph g;
      graph_init(&g, &rt);
      MapBuilder mb;
      mb_init(&mb, &rt, 1);
      mb_put(&mb, val_intern(&rt, raw, 20), sv);
      GNode n = {.kind = GN_RESOURCE, .addr = raw, .type = raw, .provider = "t",
                 .parent = GN_NONE, .inputs = val_map_done(&mb), .outputs = val_null()};
      graph_add(&g, &n);
      graph_finish(&g);
      char *out = render(&g, graph_write_json);
      char line[512];
      snprintf(line, sizeof line, "\"address\": %s,", want);
      assert_non_null(strstr(out, line));
      snprintf(line, sizeof line, "%s: %s\n", want, want);   /* key: value */
      assert_non_null(strstr(out, line));
      snprintf(line, sizeof line, "\"type\": %s\n", want);
      assert_non_null(strstr(out, line));
      free(out);
      graph_free(&g);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_finish_sorts_and_renumbers, setup, teardown),
    cmocka_unit_test_setup_teardown(test_json_exact, setup, teardown),
    cmocka_unit_test_setup_teardown(test_same_bytes_any_order, setup, teardown),
    cmocka_unit_test_setup_teardown(test_shared_unknown_renumbered_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_secrets_and_dollar_keys, setup, teardown),
    cmocka_unit_test_setup_teardown(test_dot, setup, teardown),
    cmocka_unit_test_setup_teardown(test_mermaid, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keyed_and_escaping, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_references_dropped, setup, teardown),
    cmocka_unit_test_setup_teardown(test_empty_graph, setup, teardown),
    cmocka_unit_test_setup_teardown(test_write_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_locate_sources, setup, teardown),
    cmocka_unit_test_setup_teardown(test_many_nodes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sort_matches_strcmp, setup, teardown),
    cmocka_unit_test_setup_teardown(test_escapes_every_position, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
