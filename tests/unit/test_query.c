/* Unit tests of the language server's query engine (lsp/query.h): the occurrence index,
 * definition (same file, other file of the module, imported module, provider schema),
 * references, rename (and its refusals), hover text, completion in each context, signature
 * help, workspace symbols, inlay hints and code actions.  Offsets are found by searching
 * the source for a marker, so every span asserted is exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lsp/query.h"
#include "tests/unit/tmpdir.h"

static char root[64];

static void put(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  for (char *s = path + strlen(root) + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      mkdir(path, 0755);
      *s = '/';
    }
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static const char MAIN[] =
  "use local\n"
  "import \"lib/net\" as net\n"
  "\n"
  "/// The environment.\n"
  "param env: string = \"dev\"\n"
  "type Tier = \"web\" | \"worker\"\n"
  "type Endpoint = { host: string, port: int }\n"
  "\n"
  "/// Builds a host name.\n"
  "fn fqdn(name: string, zone: string = \"example.org\"): string = \"${name}.${env}.${zone}\"\n"
  "\n"
  "let names = [\"a\", \"b\"]\n"
  "let loud = [upper(n) for n in names]\n"
  "let ep: Endpoint = { host = fqdn(\"api\", net.zone(env)), port = 80 }\n"
  "\n"
  "component Service {\n"
  "  param name: string\n"
  "  param tier: Tier = \"web\"\n"
  "  resource cfg: local.File {\n"
  "    path = \"out/${name}.json\"\n"
  "    content = tier\n"
  "  }\n"
  "  output file: string = cfg.path\n"
  "}\n"
  "\n"
  "resource api: Service { name = \"api\" }\n"
  "resource dir: local.Directory { path = \"out\" }\n"
  "output api_file = api.file\n"
  "output port = ep.port\n"
  "output all = loud\n";

static const char OTHER[] = "let greeting = \"hello ${env}\"\noutput g = greeting\n";
static const char NET[] = "/// The zone of an environment.\nfn zone(e: string): string = \"${e}.example.org\"\n";

typedef struct Fx {
  Plat *p;
  LspIndex *ix;
  uint32_t main, other, net;
  Arena a;
} Fx;

static uint32_t file_named(Plat *p, const char *suffix) {
  for (uint32_t i = 0; i < p->sources.nfiles; i++) {
    const char *path = p->sources.files[i].path;
    size_t n = strlen(path), m = strlen(suffix);
    if (n >= m && strcmp(path + n - m, suffix) == 0) return i;
  }
  fail_msg("no source %s", suffix);
  return 0;
}

/* Offset of the [nth] (0-based) occurrence of [needle] in [file], plus [delta]. */
static uint32_t at(Plat *p, uint32_t file, const char *needle, int nth, uint32_t delta) {
  const char *text = p->sources.files[file].text;
  const char *s = text;
  for (int i = 0;; i++) {
    s = strstr(s, needle);
    if (!s) fail_msg("'%s' #%d not found", needle, nth);
    if (i == nth) break;
    s++;
  }
  return (uint32_t)(s - text) + delta;
}

static Span sp(Plat *p, uint32_t file, const char *needle, int nth, uint32_t delta, uint32_t len) {
  uint32_t s = at(p, file, needle, nth, delta);
  return span_make(file, s, s + len);
}

static void assert_span(Span got, Span want) {
  assert_int_equal(got.file, want.file);
  assert_int_equal(got.start, want.start);
  assert_int_equal(got.end, want.end);
}

static int setup(void **state) {
  if (!tmpdir_make(root, sizeof root, "plat-test-query")) return -1;
  put("app/main.plat", MAIN);
  put("app/other.plat", OTHER);
  put("app/lib/net/net.plat", NET);
  Fx *fx = calloc(1, sizeof *fx);
  fx->p = plat_new();
  char path[128];
  snprintf(path, sizeof path, "%s/app", root);
  const char *paths[] = {path};
  plat_check_paths(fx->p, paths, 1);
  fx->ix = lsp_index_new(fx->p);
  fx->main = file_named(fx->p, "app/main.plat");
  fx->other = file_named(fx->p, "app/other.plat");
  fx->net = file_named(fx->p, "net/net.plat");
  arena_init(&fx->a);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  Fx *fx = *state;
  lsp_index_free(fx->ix);
  plat_free(fx->p);
  arena_free(&fx->a);
  free(fx);
  return tmpdir_remove(root) ? 0 : -1;
}

/* The program checks cleanly: the index is over a real, whole program. */
static void test_clean(void **state) {
  Fx *fx = *state;
  for (uint32_t i = 0; i < fx->p->diags.n; i++)
    if (fx->p->diags.items[i]->sev == SEV_ERROR) fail_msg("%s", fx->p->diags.items[i]->msg);
}

static void test_definition(void **state) {
  Fx *fx = *state;
  Plat *p = fx->p;
  Span d;
  /* `env` in fqdn's body -> the param */
  assert_true(lsp_q_definition(fx->ix, fx->main, at(p, fx->main, "${env}", 0, 2), &d));
  assert_span(d, sp(p, fx->main, "param env", 0, 6, 3));
  /* from the other file of the module */
  assert_true(lsp_q_definition(fx->ix, fx->other, at(p, fx->other, "${env}", 0, 3), &d));
  assert_span(d, sp(p, fx->main, "param env", 0, 6, 3));
  /* net.zone -> the imported module's fn */
  assert_true(lsp_q_definition(fx->ix, fx->main, at(p, fx->main, "net.zone", 0, 5), &d));
  assert_span(d, sp(p, fx->net, "fn zone", 0, 3, 4));
  /* the import's path -> the module's file */
  assert_true(lsp_q_definition(fx->ix, fx->main, at(p, fx->main, "lib/net", 0, 1), &d));
  assert_int_equal(d.file, fx->net);
  assert_int_equal(d.start, 0);
  /* local.File -> the provider schema's declaration */
  assert_true(lsp_q_definition(fx->ix, fx->main, at(p, fx->main, "local.File", 0, 7), &d));
  uint32_t schema = file_named(p, "schemas/local.plat");
  assert_true(p->sources.files[schema].builtin);
  assert_span(d, sp(p, schema, "resource File", 0, 9, 4));
  /* a property in a body -> its schema field */
  assert_true(lsp_q_definition(fx->ix, fx->main, at(p, fx->main, "path = \"out/$", 0, 1), &d));
  assert_span(d, sp(p, schema, "path: string", 0, 0, 4));
  /* a record field read -> its declaration in the type */
  assert_true(lsp_q_definition(fx->ix, fx->main, at(p, fx->main, "ep.port", 0, 4), &d));
  assert_span(d, sp(p, fx->main, "port: int", 0, 0, 4));
  /* a loop variable */
  assert_true(lsp_q_definition(fx->ix, fx->main, at(p, fx->main, "upper(n)", 0, 6), &d));
  assert_span(d, sp(p, fx->main, "for n in", 0, 4, 1));
  /* a built-in has no source; a keyword is nothing */
  assert_false(lsp_q_definition(fx->ix, fx->main, at(p, fx->main, "upper(", 0, 1), &d));
  assert_false(lsp_q_definition(fx->ix, fx->main, at(p, fx->main, "component", 0, 2), &d));
}

static void test_references(void **state) {
  Fx *fx = *state;
  Plat *p = fx->p;
  uint32_t n;
  /* the component param `name`: declaration, use in the body, field of the instance */
  const LspOcc **r = lsp_q_references(fx->ix, fx->main, at(p, fx->main, "param name", 0, 6), true, &fx->a, &n);
  assert_int_equal(n, 3);
  assert_span(r[0]->at, sp(p, fx->main, "param name", 0, 6, 4));
  assert_span(r[1]->at, sp(p, fx->main, "${name}.json", 0, 2, 4));
  assert_span(r[2]->at, sp(p, fx->main, "{ name = \"api\"", 0, 2, 4));
  assert_int_equal(r[2]->role, LSP_ROLE_WRITE);
  /* without the declaration */
  r = lsp_q_references(fx->ix, fx->main, at(p, fx->main, "param name", 0, 7), false, &fx->a, &n);
  assert_int_equal(n, 2);
  /* env across files: main (decl, fqdn, net.zone(env)) and other.plat */
  r = lsp_q_references(fx->ix, fx->other, at(p, fx->other, "${env}", 0, 2), true, &fx->a, &n);
  assert_int_equal(n, 4);
  assert_int_equal(r[0]->at.file < r[3]->at.file ? r[0]->at.file : r[3]->at.file,
                   fx->main < fx->other ? fx->main : fx->other);
  /* fqdn's own `name` param is another symbol than Service's */
  r = lsp_q_references(fx->ix, fx->main, at(p, fx->main, "${name}.${env}", 0, 2), true, &fx->a, &n);
  assert_int_equal(n, 2);
  assert_span(r[0]->at, sp(p, fx->main, "fqdn(name", 0, 5, 4));
  /* nothing at a blank */
  r = lsp_q_references(fx->ix, fx->main, at(p, fx->main, "\n\n/// Builds", 0, 1), true, &fx->a, &n);
  assert_int_equal(n, 0);
}

static void test_rename(void **state) {
  Fx *fx = *state;
  Plat *p = fx->p;
  uint32_t n;
  const char *err = NULL;
  Span range;
  assert_true(lsp_q_prepare_rename(fx->ix, fx->main, at(p, fx->main, "${name}.json", 0, 3), &range, &fx->a, &err));
  assert_span(range, sp(p, fx->main, "${name}.json", 0, 2, 4));
  LspEdit *e = lsp_q_rename(fx->ix, fx->main, at(p, fx->main, "${name}.json", 0, 3), "title_", &fx->a, &n, &err);
  assert_non_null(e);
  assert_int_equal(n, 3);
  assert_string_equal(e[0].text, "title_");
  assert_span(e[2].span, sp(p, fx->main, "{ name = \"api\"", 0, 2, 4));
  /* a record field: its declaration, the literal's field and the read */
  e = lsp_q_rename(fx->ix, fx->main, at(p, fx->main, "ep.port", 0, 3), "number", &fx->a, &n, &err);
  assert_non_null(e);
  assert_int_equal(n, 3);
  assert_span(e[0].span, sp(p, fx->main, "port: int", 0, 0, 4));
  assert_span(e[1].span, sp(p, fx->main, "port = 80", 0, 0, 4));
  /* across files */
  e = lsp_q_rename(fx->ix, fx->main, at(p, fx->main, "param env", 0, 6), "stage", &fx->a, &n, &err);
  assert_int_equal(n, 4);
  /* refusals, each with its reason */
  assert_null(lsp_q_rename(fx->ix, fx->main, at(p, fx->main, "upper(", 0, 0), "up", &fx->a, &n, &err));
  assert_string_equal(err, "'upper' is a built-in function: it cannot be renamed");
  assert_false(lsp_q_prepare_rename(fx->ix, fx->main, at(p, fx->main, "local.File", 0, 6), &range, &fx->a, &err));
  assert_string_equal(err, "'local.File' is a resource type of a provider's schema: it cannot be renamed");
  assert_false(lsp_q_prepare_rename(fx->ix, fx->main, at(p, fx->main, "path = \"out\"", 0, 0), &range, &fx->a, &err));
  assert_string_equal(err, "'path' is a property of local.Directory, declared by the provider's schema: it cannot be renamed");
  assert_false(lsp_q_prepare_rename(fx->ix, fx->main, at(p, fx->main, "component", 0, 3), &range, &fx->a, &err));
  assert_string_equal(err, "'component' is a keyword: it cannot be renamed");
  assert_false(lsp_q_prepare_rename(fx->ix, fx->main, at(p, fx->main, "use local", 0, 5), &range, &fx->a, &err));
  assert_string_equal(err, "'local' is a provider's name, fixed by its schema: it cannot be renamed");
  assert_null(lsp_q_rename(fx->ix, fx->main, at(p, fx->main, "let loud", 0, 4), "let", &fx->a, &n, &err));
  assert_string_equal(err, "'let' is a keyword: choose another name");
  assert_null(lsp_q_rename(fx->ix, fx->main, at(p, fx->main, "let loud", 0, 4), "9x", &fx->a, &n, &err));
  assert_null(lsp_q_rename(fx->ix, fx->main, at(p, fx->main, "let loud", 0, 4), "names", &fx->a, &n, &err));
  assert_string_equal(err, "'names' is already declared in this module");
}

static void test_hover(void **state) {
  Fx *fx = *state;
  Plat *p = fx->p;
  Span r;
  const char *h = lsp_q_hover(fx->ix, fx->main, at(p, fx->main, "${env}", 0, 3), &fx->a, &r);
  assert_non_null(h);
  assert_string_equal(h, "```plat\nparam env: string = \"dev\"\n```\n\nPhase: known at plan time.\n\n"
                         "---\n\nThe environment.\n");
  assert_span(r, sp(p, fx->main, "${env}", 0, 2, 3));
  h = lsp_q_hover(fx->ix, fx->main, at(p, fx->main, "path = \"out/$", 0, 0), &fx->a, &r);
  assert_string_equal(h, "```plat\n(property) local.File.path: string\n```\n\nRequired.\n\n"
                         "---\n\nWhere the file lives. A relative path is relative to the project folder.\n");
  h = lsp_q_hover(fx->ix, fx->main, at(p, fx->main, "cfg.path", 0, 4), &fx->a, &r);
  assert_non_null(strstr(h, "(property) local.File.path: string"));
  assert_non_null(strstr(h, "Phase here: known at plan time."));
  h = lsp_q_hover(fx->ix, fx->main, at(p, fx->main, "local.File", 0, 7), &fx->a, &r);
  assert_non_null(strstr(h, "resource type local.File"));
  assert_non_null(strstr(h, "- `path: string` (required)"));
  assert_non_null(strstr(h, "- `sha256: string` (output, known after deploy)"));
  assert_non_null(strstr(h, "A regular file."));
  h = lsp_q_hover(fx->ix, fx->main, at(p, fx->main, "fqdn(\"api\"", 0, 1), &fx->a, &r);
  assert_string_equal(h, "```plat\nfn fqdn(name: string, zone: string = \"example.org\"): string\n```\n\n"
                         "---\n\nBuilds a host name.\n");
  h = lsp_q_hover(fx->ix, fx->main, at(p, fx->main, "let loud", 0, 4), &fx->a, &r);
  assert_non_null(strstr(h, "let loud: list<string>"));
  assert_non_null(strstr(h, "known at compile time"));
  h = lsp_q_hover(fx->ix, fx->main, at(p, fx->main, "upper(", 0, 2), &fx->a, &r);
  assert_non_null(strstr(h, "upper(s: string): string"));
  assert_null(lsp_q_hover(fx->ix, fx->main, at(p, fx->main, "component", 0, 1), &fx->a, &r));
}

static const LspCompletion *find_item(const LspCompletion *v, uint32_t n, const char *label) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(v[i].label, label) == 0) return &v[i];
  return NULL;
}

/* Check [text] (with the cursor at the '|', removed) and complete there. */
static LspCompletion *complete(const char *text, Plat **pp, LspIndex **ixp, Arena *a, uint32_t *n,
                               uint32_t *ws) {
  const char *bar = strchr(text, '~');
  assert_non_null(bar);
  uint32_t off = (uint32_t)(bar - text);
  char *buf = malloc(strlen(text));
  memcpy(buf, text, off);
  strcpy(buf + off, bar + 1);
  Plat *p = plat_new();
  char path[128];
  snprintf(path, sizeof path, "%s/c/main.plat", root);
  plat_check_source(p, path, buf, strlen(buf));
  free(buf);
  LspIndex *ix = lsp_index_new(p);
  *pp = p;
  *ixp = ix;
  return lsp_q_complete(ix, p->prog->roots[0]->files[0]->file, off, a, n, ws);
}

static void test_completion(void **state) {
  Fx *fx = *state;
  Plat *p;
  LspIndex *ix;
  uint32_t n, ws;
  /* resource types after `local.`, in half-typed code */
  LspCompletion *c = complete("use local\nresource x: local.~\n", &p, &ix, &fx->a, &n, &ws);
  assert_int_equal(n, 2);
  assert_string_equal(c[0].label, "Directory");
  assert_string_equal(c[1].label, "File");
  assert_int_equal(c[1].kind, LSP_CK_STRUCT);
  assert_int_equal(ws, 28);
  lsp_index_free(ix); plat_free(p);
  /* properties not given yet, the required first, with types */
  c = complete("use local\nresource x: local.File {\n  mode = \"0600\"\n  ~\n}\n", &p, &ix, &fx->a, &n, &ws);
  assert_int_equal(n, 2);
  assert_string_equal(c[0].label, "path");
  assert_string_equal(c[0].detail, "string (required)");
  assert_string_equal(c[0].insert, "path = $0");
  assert_string_equal(c[1].label, "content");
  lsp_index_free(ix); plat_free(p);
  /* union members where a union is expected */
  c = complete("type Tier = \"web\" | \"worker\"\nlet t: Tier = ~\n", &p, &ix, &fx->a, &n, &ws);
  assert_true(n > 2);
  assert_string_equal(c[0].label, "\"web\"");
  assert_string_equal(c[1].label, "\"worker\"");
  lsp_index_free(ix); plat_free(p);
  /* built-ins with their signature and a snippet, names in scope, filtered by the prefix */
  c = complete("let base = 1\nlet z = upp~\n", &p, &ix, &fx->a, &n, &ws);
  const LspCompletion *u = find_item(c, n, "upper");
  assert_non_null(u);
  assert_string_equal(u->detail, "upper(s: string): string");
  assert_string_equal(u->insert, "upper(${1:s})$0");
  assert_true(u->snippet);
  assert_null(find_item(c, n, "base"));
  lsp_index_free(ix); plat_free(p);
  c = complete("let base = 1\nfn f(x: int): int = x + b~\n", &p, &ix, &fx->a, &n, &ws);
  assert_non_null(find_item(c, n, "base"));
  lsp_index_free(ix); plat_free(p);
  c = complete("let base = 1\nfn f(xx: int): int = base + ~\n", &p, &ix, &fx->a, &n, &ws);
  assert_non_null(find_item(c, n, "xx"));
  assert_non_null(find_item(c, n, "if"));
  lsp_index_free(ix); plat_free(p);
  /* keywords between declarations; types after `:` */
  c = complete("let a = 1\n~\n", &p, &ix, &fx->a, &n, &ws);
  assert_non_null(find_item(c, n, "resource"));
  assert_null(find_item(c, n, "a"));
  lsp_index_free(ix); plat_free(p);
  c = complete("use local\ntype Tier = \"a\"\nparam p: ~\n", &p, &ix, &fx->a, &n, &ws);
  assert_non_null(find_item(c, n, "Tier"));
  assert_non_null(find_item(c, n, "string"));
  assert_null(find_item(c, n, "upper"));
  lsp_index_free(ix); plat_free(p);
  /* members of a resource after `r.` */
  c = complete("use local\nresource d: local.Directory { path = \"x\" }\nlet q = d.~\n", &p, &ix, &fx->a, &n, &ws);
  assert_non_null(find_item(c, n, "path"));
  assert_non_null(find_item(c, n, "mode"));
  lsp_index_free(ix); plat_free(p);
}

static void test_signature(void **state) {
  Fx *fx = *state;
  Plat *p = plat_new();
  const char *text = "fn two(a: int, b: string = \"x\"): int = a\nlet s = startswith(\"ab\", two(1, \n";
  char path[128];
  snprintf(path, sizeof path, "%s/s/main.plat", root);
  plat_check_source(p, path, text, strlen(text));
  LspIndex *ix = lsp_index_new(p);
  uint32_t file = p->prog->roots[0]->files[0]->file;
  LspSignature sig;
  uint32_t off = (uint32_t)(strstr(text, "two(1,") - text);
  assert_true(lsp_q_signature(ix, file, off + 7, &fx->a, &sig));
  assert_string_equal(sig.label, "two(a: int, b: string = \"x\"): int");
  assert_int_equal(sig.nparams, 2);
  assert_int_equal(sig.active, 1);
  assert_int_equal(sig.pstart[1], 12);
  assert_int_equal(sig.pend[1], 27);
  /* in startswith's second argument, before `two(` */
  assert_true(lsp_q_signature(ix, file, off, &fx->a, &sig));
  assert_string_equal(sig.label, "startswith(s: string, prefix: string): bool");
  assert_int_equal(sig.active, 1);
  assert_int_equal(sig.pstart[0], 11);
  assert_int_equal(sig.pend[0], 20);
  assert_false(lsp_q_signature(ix, file, 3, &fx->a, &sig));
  lsp_index_free(ix);
  plat_free(p);
}

static void test_symbols_hints(void **state) {
  Fx *fx = *state;
  Plat *p = fx->p;
  uint32_t n;
  LspSymbol *s = lsp_q_workspace_symbols(fx->ix, "fq", 100, &fx->a, &n);
  assert_int_equal(n, 1);
  assert_string_equal(s[0].name, "fqdn");
  assert_int_equal(s[0].kind, LSP_SK_FUNCTION);
  s = lsp_q_workspace_symbols(fx->ix, "cfg", 100, &fx->a, &n);
  assert_int_equal(n, 1);
  assert_string_equal(s[0].container, "Service");
  s = lsp_q_workspace_symbols(fx->ix, "", 3, &fx->a, &n);
  assert_int_equal(n, 3);
  LspHint *h = lsp_q_inlay_hints(fx->ix, fx->main, 0, p->sources.files[fx->main].len, &fx->a, &n);
  assert_true(n >= 3);
  const LspHint *names = NULL, *prefix = NULL;
  for (uint32_t i = 0; i < n; i++) {
    if (h[i].off == at(p, fx->main, "let names", 0, 9)) names = &h[i];
    if (h[i].off == at(p, fx->main, "net.zone(env)", 0, 0)) prefix = &h[i];
  }
  assert_non_null(names);
  assert_string_equal(names->label, ": list<string>");
  assert_int_equal(names->kind, 1);
  assert_non_null(prefix);
  assert_string_equal(prefix->label, "zone:");
  assert_int_equal(prefix->kind, 2);
}

static void test_code_actions(void **state) {
  Fx *fx = *state;
  Plat *p = plat_new();
  const char *text = "resource x: local.File { contnt = \"a\" }\n";
  char path[128];
  snprintf(path, sizeof path, "%s/a/main.plat", root);
  plat_check_source(p, path, text, strlen(text));
  LspIndex *ix = lsp_index_new(p);
  uint32_t file = p->prog->roots[0]->files[0]->file, n;
  LspAction *a = lsp_q_code_actions(ix, file, 0, (uint32_t)strlen(text), &fx->a, &n);
  const LspAction *use = NULL, *explain = NULL;
  for (uint32_t i = 0; i < n; i++) {
    if (strcmp(a[i].title, "add `use local`") == 0) use = &a[i];
    if (strcmp(a[i].title, "explain E0202") == 0) explain = &a[i];
  }
  assert_non_null(use);
  assert_int_equal(use->nedits, 1);
  assert_int_equal(use->edits[0].span.start, 0);
  assert_int_equal(use->edits[0].span.end, 0);
  assert_string_equal(use->edits[0].text, "use local\n");
  assert_non_null(explain);
  assert_string_equal(explain->command, "platc.explain");
  assert_string_equal(explain->arg, "E0202");
  lsp_index_free(ix);
  plat_free(p);
  p = plat_new();
  text = "use local\nresource x: local.File { contnt = \"a\" }\n";
  plat_check_source(p, path, text, strlen(text));
  ix = lsp_index_new(p);
  file = p->prog->roots[0]->files[0]->file;
  a = lsp_q_code_actions(ix, file, 0, (uint32_t)strlen(text), &fx->a, &n);
  const LspAction *fix = NULL, *add = NULL;
  for (uint32_t i = 0; i < n; i++) {
    if (strcmp(a[i].title, "replace with 'content'") == 0) fix = &a[i];
    if (strcmp(a[i].title, "add 'path'") == 0) add = &a[i];
  }
  assert_non_null(fix);
  assert_string_equal(fix->edits[0].text, "content");
  assert_int_equal(fix->edits[0].span.start, 35);
  assert_int_equal(fix->edits[0].span.end, 41);
  assert_non_null(add);
  assert_string_equal(add->edits[0].text, ", path = \"\"");
  /* a range elsewhere gets nothing */
  a = lsp_q_code_actions(ix, file, 0, 3, &fx->a, &n);
  assert_int_equal(n, 0);
  lsp_index_free(ix);
  plat_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_clean),
    cmocka_unit_test(test_definition),
    cmocka_unit_test(test_references),
    cmocka_unit_test(test_rename),
    cmocka_unit_test(test_hover),
    cmocka_unit_test(test_completion),
    cmocka_unit_test(test_signature),
    cmocka_unit_test(test_symbols_hints),
    cmocka_unit_test(test_code_actions),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
