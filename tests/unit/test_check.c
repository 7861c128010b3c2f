/* Unit tests of modules and name resolution (compiler/check.h, compiler/checker.h): symbol
 * tables and pointer maps, the universe, module loading from real folders (sorted files,
 * imports relative to the importing folder, one load per module, dependencies first,
 * cycles, missing and empty modules), providers (PLAT_SCHEMA_PATH before the embedded
 * schemas, names), plat_check_source, the binding of names, declaration order and cycles,
 * and unused and shadowed names.  Typing is test_types.c's. */
#include <errno.h>
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

#include "compiler/checker.h"
#include "tests/unit/tmpdir.h"

/* ---- helpers ------------------------------------------------------------------------------ */
static char root[64];

/* Write [text] to root/[rel], creating folders. */
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

static void mkdir_p_rel(const char *rel) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  for (char *s = path + strlen(root) + 1;; s++)
    if (*s == '/' || !*s) {
      char c = *s;
      *s = 0;
      mkdir(path, 0755);
      if (!c) break;
      *s = c;
    }
}

static int setup_dir(void **state) {
  (void)state;
  return tmpdir_make(root, sizeof root, "plat-test-check") ? 0 : -1;
}

static int teardown_dir(void **state) {
  (void)state;
  return tmpdir_remove(root) ? 0 : -1;
}

static uint32_t count_code(const Plat *p, DiagCode code) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < p->diags.n; i++) n += p->diags.items[i]->code == code;
  return n;
}

static const Diag *find_code(const Plat *p, DiagCode code) {
  for (uint32_t i = 0; i < p->diags.n; i++)
    if (p->diags.items[i]->code == code) return p->diags.items[i];
  return NULL;
}

/* Check [text] as the one-file root module root/main.plat. */
static Plat *check_text(const char *text) {
  Plat *p = plat_new();
  char path[128];
  snprintf(path, sizeof path, "%s/main.plat", root);
  assert_true(plat_check_source(p, path, text, strlen(text)));
  return p;
}

static Plat *check_dir(const char *rel) {
  Plat *p = plat_new();
  char path[256];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  const char *paths[] = {path};
  plat_check_paths(p, paths, 1);
  return p;
}

static Sym *top(Plat *p, const char *name) {
  assert_non_null(p->prog);
  assert_true(p->prog->nroots > 0);
  return chk_lookup(p->prog->roots[0], intern_cstr(&p->strs, name));
}

/* ---- symbol tables and maps ------------------------------------------------------------- */
static void test_symtab_many(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  Interner in;
  intern_init(&in, &a);
  SymTab t = {0};
  symtab_init(&t, &a, 2);
  enum { N = 5000 };
  static Sym syms[N];
  for (int i = 0; i < N; i++) {
    char name[16];
    snprintf(name, sizeof name, "n%d", i);
    syms[i].name = intern_cstr(&in, name);
    assert_null(symtab_put(&t, &a, &syms[i]));   /* new: inserted */
  }
  assert_int_equal(t.count, N);
  for (int i = 0; i < N; i++) assert_ptr_equal(symtab_get(&t, syms[i].name), &syms[i]);
  /* a second symbol of the same name is refused and the first one returned */
  Sym dup = {.name = syms[42].name};
  assert_ptr_equal(symtab_put(&t, &a, &dup), &syms[42]);
  assert_ptr_equal(symtab_get(&t, syms[42].name), &syms[42]);
  assert_int_equal(t.count, N);
  assert_null(symtab_get(&t, intern_cstr(&in, "absent")));
  SymTab empty = {0};
  assert_null(symtab_get(&empty, syms[0].name));
  intern_free(&in);
  arena_free(&a);
}

static void test_pmap(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  PtrMap m = {0};
  static int keys[3000];
  assert_null(pmap_get(&m, &keys[0]));
  for (int i = 0; i < 3000; i++) pmap_put(&a, &m, &keys[i], &keys[(i + 1) % 3000]);
  for (int i = 0; i < 3000; i++) assert_ptr_equal(pmap_get(&m, &keys[i]), &keys[(i + 1) % 3000]);
  pmap_put(&a, &m, &keys[7], NULL);     /* overwrite */
  assert_null(pmap_get(&m, &keys[7]));
  assert_int_equal(m.count, 3000);
  arena_free(&a);
}

/* ---- the universe ------------------------------------------------------------------------ */
static void test_universe(void **state) {
  (void)state;
  Plat *p = plat_new();
  Program *prog = chk_program_new(p);
  assert_ptr_equal(p->prog, prog);
  assert_ptr_equal(chk_program_new(p), prog);    /* once per compilation */
  Sym *i = symtab_get(&prog->universe, intern_cstr(&p->strs, "int"));
  assert_non_null(i);
  assert_int_equal(i->kind, SYM_PRIMTYPE);
  assert_ptr_equal(i->type, TY_INT_T);
  Sym *je = symtab_get(&prog->universe, intern_cstr(&p->strs, "jsonencode"));
  assert_non_null(je);
  assert_int_equal(je->kind, SYM_BUILTIN);
  assert_non_null(je->builtin);
  assert_int_equal(je->type->kind, TY_FN);
  assert_ptr_equal(je->type->u.fn.builtin, je->builtin);
  assert_null(symtab_get(&prog->universe, intern_cstr(&p->strs, "list")));
  plat_free(p);
}

/* ---- modules -------------------------------------------------------------------------------- */
static void test_folder_is_one_module(void **state) {
  (void)state;
  /* b.plat uses what a.plat declares and the reverse; files are read in name order */
  put("app/b.plat", "let b = a + 1\noutput o = b\n");
  put("app/a.plat", "let a = 1\nlet c = b\noutput p = c\n");
  put("app/notes.txt", "not a source");
  put("app/sub/x.plat", "this is not part of the module ((((");
  Plat *p = check_dir("app");
  assert_int_equal(p->diags.nerrors, 0);
  Module *m = p->prog->roots[0];
  assert_true(m->root);
  assert_int_equal(m->nfiles, 2);
  assert_non_null(strstr(source_file(&p->sources, m->files[0]->file)->path, "a.plat"));
  assert_non_null(strstr(source_file(&p->sources, m->files[1]->file)->path, "b.plat"));
  Sym *a = top(p, "a"), *b = top(p, "b");
  assert_non_null(a);
  assert_non_null(b);
  assert_int_equal(a->kind, SYM_LET);
  assert_true(a->is_root);
  assert_int_equal(a->uses, 1);
  plat_free(p);
}

static void test_empty_folder(void **state) {
  (void)state;
  put("empty/README.md", "nothing here");
  Plat *p = check_dir("empty");
  assert_int_equal(count_code(p, DIAG_E0502), 1);
  plat_free(p);
}

static void test_import_relative_and_cached(void **state) {
  (void)state;
  /* a diamond: main imports lib/a and lib/b, both import lib/c; c is loaded once and
   * every module comes after what it imports */
  put("dia/main.plat", "import \"lib/a\" as a\nimport \"lib/b\" as b\noutput o = a.x + b.y\n");
  put("dia/lib/a/a.plat", "import \"../c\" as c\nlet x = c.z\n");
  put("dia/lib/b/b.plat", "import \"../c/\" as c\nlet y = c.z\n");
  put("dia/lib/c/c.plat", "let z = 1\n");
  Plat *p = check_dir("dia");
  assert_int_equal(p->diags.n, 0);
  Program *prog = p->prog;
  assert_int_equal(prog->nmods, 4);
  assert_int_equal(prog->nroots, 1);
  Module *c = NULL;
  for (uint32_t i = 0; i < prog->nmods; i++)
    if (strstr(prog->mods[i]->path, "lib/c")) c = prog->mods[i];
  assert_non_null(c);
  assert_false(c->root);
  assert_ptr_equal(prog->mods[0], c);                 /* dependencies first */
  assert_ptr_equal(prog->mods[prog->nmods - 1], prog->roots[0]);
  for (uint32_t i = 0; i < prog->nmods; i++) assert_int_equal(prog->mods[i]->state, MOD_CHECKED);
  /* both imports of c resolved to the same module; the paths shown are clean */
  Module *a = prog->roots[0]->imports[0].mod;
  assert_non_null(a);
  assert_non_null(strstr(a->path, "dia/lib/a"));
  assert_ptr_equal(a->imports[0].mod, c);
  assert_ptr_equal(prog->roots[0]->imports[1].mod->imports[0].mod, c);
  assert_null(strstr(c->path, ".."));
  /* the import alias is a symbol whose target is the module */
  Sym *sa = top(p, "a");
  assert_int_equal(sa->kind, SYM_IMPORT);
  assert_ptr_equal(sa->target, a);
  assert_int_equal(sa->type->kind, TY_MODULE);
  plat_free(p);
}

static void test_import_cycle(void **state) {
  (void)state;
  put("cyc/main.plat", "import \"net\" as net\noutput o = net.a\n");
  put("cyc/net/net.plat", "import \"../dns\" as dns\nlet a = 1\nlet b = dns.z\n");
  put("cyc/dns/dns.plat", "import \"../net\" as net\nlet z = net.a\n");
  Plat *p = check_dir("cyc");
  assert_int_equal(count_code(p, DIAG_E0500), 1);
  const Diag *d = find_code(p, DIAG_E0500);
  assert_string_equal(d->msg, "import cycle: net -> dns -> net");
  assert_int_equal(d->nlabels, 2);         /* the closing import and the other edge */
  /* the program is still complete: every module loaded once and checked */
  assert_int_equal(p->prog->nmods, 3);
  plat_free(p);
}

static void test_import_self(void **state) {
  (void)state;
  put("selfimp/main.plat", "import \".\" as me\nlet x = 1\noutput o = x\n");
  Plat *p = check_dir("selfimp");
  assert_int_equal(count_code(p, DIAG_E0500), 1);
  assert_non_null(strstr(find_code(p, DIAG_E0500)->msg, "imports itself"));
  plat_free(p);
}

static void test_import_missing_empty_file(void **state) {
  (void)state;
  put("miss/main.plat", "import \"lib/netwrk\" as a\nimport \"lib/empty\" as b\n"
                        "import \"lib/network/n.plat\" as c\nimport \"lib/${x}\" as d\n");
  put("miss/lib/network/n.plat", "let x = 1\n");
  put("miss/lib/empty/README", "no sources");
  Plat *p = check_dir("miss");
  assert_int_equal(count_code(p, DIAG_E0501), 2);   /* missing, and a file */
  assert_int_equal(count_code(p, DIAG_E0502), 1);
  assert_int_equal(count_code(p, DIAG_E0405), 1);   /* interpolated path */
  const Diag *d = find_code(p, DIAG_E0501);
  assert_string_equal(d->help, "did you mean 'lib/network'?");
  assert_int_equal(d->nfixes, 1);
  assert_string_equal(d->fixes[0].text, "\"lib/network\"");
  /* no W0002 for imports that failed */
  assert_int_equal(count_code(p, DIAG_W0002), 0);
  plat_free(p);
}

static void test_imported_module_is_library(void **state) {
  (void)state;
  put("libmod/main.plat", "import \"lib\" as lib\noutput o = lib.x\n");
  put("libmod/lib/l.plat", "param p: int = 1\nlet x = p\nlet unusedInLib = 2\n");
  Plat *p = check_dir("libmod");
  assert_int_equal(count_code(p, DIAG_E0102), 1);
  assert_int_equal(count_code(p, DIAG_W0001), 0);   /* a library's top level is its interface */
  plat_free(p);
}

static void test_check_source_imports_relative(void **state) {
  (void)state;
  put("src/lib/l.plat", "fn f(x: int): int = x\n");
  Plat *p = plat_new();
  char path[128];
  snprintf(path, sizeof path, "%s/src/unsaved.plat", root);
  const char *text = "import \"lib\" as lib\noutput o = lib.f(1)\n";
  assert_true(plat_check_source(p, path, text, strlen(text)));
  assert_int_equal(p->diags.n, 0);
  assert_int_equal(p->prog->nmods, 2);
  assert_string_equal(p->prog->roots[0]->path, path);
  plat_free(p);
}

static void test_file_imports_own_folder(void **state) {
  (void)state;
  /* a file checked alone, or an editor's buffer, importing the folder it is in */
  put("own/other.plat", "let y = 2\n");
  Plat *p = plat_new();
  char path[128];
  snprintf(path, sizeof path, "%s/own/main.plat", root);
  const char *text = "import \".\" as me\noutput o = me.y\n";
  assert_true(plat_check_source(p, path, text, strlen(text)));
  assert_int_equal(count_code(p, DIAG_E0500), 1);
  assert_non_null(strstr(find_code(p, DIAG_E0500)->msg, "imports its own folder"));
  assert_int_equal(count_code(p, DIAG_E0102), 0);   /* the folder was not loaded */
  assert_int_equal(p->prog->nmods, 1);
  plat_free(p);
}

static void test_relative_paths_shown_clean(void **state) {
  (void)state;
  /* run from inside the tree: `../../shared/./net` is `../../shared/net`, `./x/../y` is `y` */
  put("rel/shared/net/net.plat", "let cidr = \"10.0.0.0/16\"\n");
  put("rel/app/svc/y/y.plat", "let name = \"y\"\n");
  put("rel/app/svc/main.plat", "import \"../../shared/./net\" as net\nimport \"./x/../y\" as y\n"
                               "output o = \"${net.cidr} ${y.name}\"\n");
  mkdir_p_rel("rel/app/svc/x");
  char cwd[512], dir[256];
  assert_non_null(getcwd(cwd, sizeof cwd));
  snprintf(dir, sizeof dir, "%s/rel/app/svc", root);
  assert_int_equal(chdir(dir), 0);
  Plat *p = plat_new();
  const char *paths[] = {"."};
  plat_check_paths(p, paths, 1);
  assert_int_equal(chdir(cwd), 0);
  assert_int_equal(p->diags.n, 0);
  Module *m = p->prog->roots[0];
  assert_int_equal(m->nimports, 2);
  assert_string_equal(m->imports[0].mod->path, "../../shared/net");
  assert_string_equal(m->imports[1].mod->path, "y");
  plat_free(p);
}

static void test_check_source_any_bytes(void **state) {
  (void)state;
  /* NUL, invalid UTF-8, unbalanced brackets: diagnosed, never a crash */
  const char text[] = "let a = b\0\xff (( [ { use import \"\" as";
  Plat *p = plat_new();
  assert_true(plat_check_source(p, "/nonexistent/x.plat", text, sizeof text - 1));
  assert_true(p->diags.nerrors > 0);
  plat_free(p);
}

static void test_unreadable_root(void **state) {
  (void)state;
  Plat *p = plat_new();
  const char *paths[] = {"/nonexistent/folder"};
  assert_false(plat_check_paths(p, paths, 1));
  assert_int_equal(count_code(p, DIAG_E0505), 1);
  plat_free(p);
}

/* ---- providers ------------------------------------------------------------------------------ */
static void test_provider_embedded(void **state) {
  (void)state;
  unsetenv("PLAT_SCHEMA_PATH");
  Plat *p = check_text("use local\nresource f: local.File { path = \"x\" }\n");
  assert_int_equal(p->diags.n, 0);
  Sym *s = top(p, "local");
  assert_int_equal(s->kind, SYM_PROVIDER);
  assert_non_null(s->target);
  assert_true(s->target->provider);
  assert_int_equal(s->target->state, MOD_CHECKED);
  const SourceFile *sf = source_file(&p->sources, s->target->files[0]->file);
  assert_true(sf->builtin);
  assert_string_equal(sf->path, "<platc>/providers/schemas/local.plat");
  Sym *file = chk_lookup(s->target, intern_cstr(&p->strs, "File"));
  assert_non_null(file);
  assert_int_equal(file->kind, SYM_RESTYPE);
  /* the provider is checked before the module that uses it */
  assert_ptr_equal(p->prog->mods[0], s->target);
  assert_int_equal(p->prog->nproviders, 1);
  /* the same provider twice is one module */
  Program *prog = p->prog;
  assert_ptr_equal(mod_provider(prog, intern_cstr(&p->strs, "local")), s->target);
  assert_null(mod_provider(prog, intern_cstr(&p->strs, "nosuch")));
  plat_free(p);
}

static void test_provider_schema_path_first(void **state) {
  (void)state;
  put("schemas/local.plat", "resource Thing { name: string }\n");
  put("schemas/bench.plat", "resource Role { name: string }\n");
  char sp[256];
  snprintf(sp, sizeof sp, "/nonexistent::%s/schemas", root);
  setenv("PLAT_SCHEMA_PATH", sp, 1);
  Plat *p = check_text("use local\nuse bench\nresource t: local.Thing { name = \"x\" }\n"
                       "resource r: bench.Role { name = \"y\" }\n");
  Sym *l = top(p, "local");
  assert_non_null(l->target);
  assert_non_null(chk_lookup(l->target, intern_cstr(&p->strs, "Thing")));
  assert_null(chk_lookup(l->target, intern_cstr(&p->strs, "File")));   /* not the embedded one */
  assert_false(source_file(&p->sources, l->target->files[0]->file)->builtin);
  uint32_t n;
  const char *const *names = mod_provider_names(p->prog, &n);
  assert_int_equal(n, 3);                  /* sorted, without duplicates */
  assert_string_equal(names[0], "bench");
  assert_string_equal(names[1], "local");
  assert_string_equal(names[2], "random");
  plat_free(p);
  unsetenv("PLAT_SCHEMA_PATH");
}

static void test_unknown_provider(void **state) {
  (void)state;
  unsetenv("PLAT_SCHEMA_PATH");
  Plat *p = check_text("use locl\nuse random\nuse random\n");
  const Diag *d = find_code(p, DIAG_E0202);
  assert_non_null(d);
  assert_string_equal(d->help, "did you mean 'local'?");
  assert_int_equal(d->nfixes, 1);
  assert_string_equal(d->fixes[0].text, "local");
  assert_int_equal(count_code(p, DIAG_E0504), 1);
  plat_free(p);
}

/* ---- resolution ----------------------------------------------------------------------------- */
static void test_binding(void **state) {
  (void)state;
  Plat *p = check_text("param n: int = 2\n"
                       "let xs = [n + i for i in [1, 2]]\n"
                       "fn f(n: int): int = n\n"
                       "output o = f(length(xs))\n");
  /* the fn param hides the module's `n` (W0004) and is what the body reads */
  assert_int_equal(count_code(p, DIAG_W0004), 1);
  assert_int_equal(count_code(p, DIAG_E0200), 0);
  Sym *n = top(p, "n"), *f = top(p, "f");
  assert_int_equal(f->kind, SYM_FN);
  assert_int_equal(f->nparams, 1);
  Expr *body = f->decl->u.fn.body;
  assert_int_equal(body->kind, EX_NAME);
  assert_ptr_equal(body->u.name.sym, f->params[0]);
  assert_ptr_not_equal(body->u.name.sym, n);
  assert_int_equal(f->params[0]->kind, SYM_FNPARAM);
  /* the comprehension reads the module's n and its own variable */
  Expr *comp = top(p, "xs")->decl->u.let.value;
  Expr *sum = comp->u.lcomp.elem;
  assert_ptr_equal(sum->u.binary.lhs->u.name.sym, n);
  assert_int_equal(sum->u.binary.rhs->u.name.sym->kind, SYM_VAR);
  /* in `f(length(xs))`, f is the function and length the built-in */
  Sym *o = symtab_get(&p->prog->roots[0]->outputs, intern_cstr(&p->strs, "o"));
  assert_non_null(o);
  Expr *call = o->decl->u.let.value;
  assert_int_equal(call->kind, EX_CALL);
  assert_ptr_equal(call->u.call.callee->u.name.sym, f);
  Expr *inner = call->u.call.args[0];
  assert_int_equal(inner->u.call.callee->u.name.sym->kind, SYM_BUILTIN);
  assert_int_equal(f->uses, 1);
  plat_free(p);
}

static void test_undefined_with_fix(void **state) {
  (void)state;
  Plat *p = check_text("let owner = \"me\"\noutput o = ownr\noutput q = jsonencod(owner)\n");
  const Diag *d = find_code(p, DIAG_E0200);
  assert_non_null(d);
  assert_string_equal(d->msg, "undefined name 'ownr'");
  assert_string_equal(d->help, "did you mean 'owner'?");
  assert_int_equal(d->nfixes, 1);
  assert_string_equal(d->fixes[0].text, "owner");
  assert_int_equal(d->fixes[0].span.end - d->fixes[0].span.start, 4);
  assert_int_equal(count_code(p, DIAG_E0210), 1);
  plat_free(p);
}

static void test_duplicates(void **state) {
  (void)state;
  Plat *p = check_text("let a = 1\nlet a = 2\nfn f(x: int, x: int): int = x\n"
                       "output o = [k for k, k in {a = a}]\noutput q = f(1, 2)\n");
  assert_int_equal(count_code(p, DIAG_E0201), 3);
  const Diag *d = find_code(p, DIAG_E0201);
  assert_int_equal(d->nlabels, 2);           /* here, and "first declared here" */
  /* neither side of a clash is also called unused or shadowing */
  assert_int_equal(count_code(p, DIAG_W0001), 0);
  assert_int_equal(count_code(p, DIAG_W0003), 0);
  assert_int_equal(count_code(p, DIAG_W0004), 0);
  plat_free(p);
}

static void test_order_and_cycles(void **state) {
  (void)state;
  /* declared in reverse: checked dependencies first; a and b form a cycle */
  Plat *p = check_text("output o = c\nlet c = d + 1\nlet d = 1\n"
                       "let a = b\nlet b = a\noutput q = a\n");
  assert_int_equal(count_code(p, DIAG_E0205), 1);
  const Diag *d = find_code(p, DIAG_E0205);
  assert_string_equal(d->msg, "cycle between declarations: a -> b -> a");
  assert_int_equal(d->nlabels, 2);           /* one per edge */
  assert_true(top(p, "a")->in_cycle);
  assert_true(top(p, "b")->in_cycle);
  assert_false(top(p, "c")->in_cycle);
  plat_free(p);
}

static void test_order_direct(void **state) {
  (void)state;
  /* res_order on a hand-built module: every node comes after the nodes it uses */
  Plat *p = check_text("let z = y\nlet y = x\nlet x = 1\noutput o = z\n");
  Program *prog = p->prog;
  /* a fresh module over the same file, so its symbols are new */
  Module m = *prog->roots[0];
  memset(&m.scope, 0, sizeof m.scope);
  memset(&m.outputs, 0, sizeof m.outputs);
  Checker c;
  chk_checker_init(&c, prog, &m);
  res_declare(&c);
  res_resolve(&c);
  assert_int_equal(c.nnodes, 4);
  Sym **order = res_order(&c);
  uint32_t pos[4];
  for (uint32_t i = 0; i < 4; i++) pos[order[i]->node] = i;
  /* nodes in declaration order: z y x o */
  assert_true(pos[2] < pos[1]);
  assert_true(pos[1] < pos[0]);
  assert_true(pos[0] < pos[3]);
  free(order);
  free(c.nodes);
  free(c.edges);
  free(c.others);
  free(c.locals);
  free(c.local_prev);
  free(c.locsyms);
  plat_free(p);
}

static void test_long_cycle_is_elided(void **state) {
  (void)state;
  /* 200 lets in one ring: one E0205, its text bounded */
  size_t cap = 200 * 32;
  char *text = malloc(cap);
  size_t o = 0;
  for (int i = 0; i < 200; i++)
    o += (size_t)snprintf(text + o, cap - o, "let v%d = v%d\n", i, (i + 1) % 200);
  o += (size_t)snprintf(text + o, cap - o, "output out = v0\n");
  Plat *p = check_text(text);
  assert_int_equal(count_code(p, DIAG_E0205), 1);
  assert_true(strlen(find_code(p, DIAG_E0205)->msg) < 2000);
  assert_non_null(strstr(find_code(p, DIAG_E0205)->msg, "..."));
  plat_free(p);
  free(text);
}

static void test_unused(void **state) {
  (void)state;
  Plat *p = check_text("use random\n"
                       "param used: int = 1\nparam unused: int = 2\nlet _quiet = 3\n"
                       "fn g(a: int, b: int): int = a\n"
                       "type T = int\n"
                       "component C { param x: int  let y = 1  output o = x }\n"
                       "output o = g(used, 1)\n"
                       "output q = [1 for i in [1]]\n");
  /* unused: param `unused`, type T, component C, C.y, loop var i; random; g's b */
  assert_int_equal(count_code(p, DIAG_W0001), 5);
  assert_int_equal(count_code(p, DIAG_W0002), 1);
  assert_int_equal(count_code(p, DIAG_W0003), 1);
  plat_free(p);
}

static void test_suggested_not_unused(void **state) {
  (void)state;
  /* the typo names `domain`: it is not also reported unused */
  Plat *p = check_text("param domain: string = \"x\"\noutput o = domian\n");
  assert_int_equal(count_code(p, DIAG_E0200), 1);
  assert_int_equal(count_code(p, DIAG_W0001), 0);
  plat_free(p);
}

static void test_shadow_in_component(void **state) {
  (void)state;
  Plat *p = check_text("let root = \"out\"\noutput r = root\n"
                       "component S { param root: string  output o = root }\n"
                       "resource s: S { root = \"x\" }\n");
  assert_int_equal(count_code(p, DIAG_W0004), 1);
  /* inside the component, `root` is its param */
  Sym *comp = top(p, "S");
  Sym *param = symtab_get(comp->members, intern_cstr(&p->strs, "root"));
  assert_non_null(param);
  assert_ptr_equal(param->owner, comp);
  Sym *out = symtab_get(comp->outputs, intern_cstr(&p->strs, "o"));
  assert_ptr_equal(out->decl->u.let.value->u.name.sym, param);
  plat_free(p);
}

static void test_error_nodes(void **state) {
  (void)state;
  /* the parser's recovery leaves D_ERROR/EX_ERROR nodes: resolution walks past them */
  static const char *const bad[] = {
      "let = 1\nlet b = c +\n",
      "resource : { }\ncomponent { param }\n",
      "fn (x: ) = \ntest \"t\" { let = 1 assert }\n",
      "policy \"p\" for : { deny : }\nmoved => x\n",
      "let a = [for x in]\nlet b = {=> for}\n",
      "type = \nparam p: = 1 where\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    Plat *p = check_text(bad[i]);
    assert_true(p->diags.nerrors > 0);
    plat_free(p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_symtab_many),
      cmocka_unit_test(test_pmap),
      cmocka_unit_test(test_universe),
      cmocka_unit_test(test_folder_is_one_module),
      cmocka_unit_test(test_empty_folder),
      cmocka_unit_test(test_import_relative_and_cached),
      cmocka_unit_test(test_import_cycle),
      cmocka_unit_test(test_import_self),
      cmocka_unit_test(test_import_missing_empty_file),
      cmocka_unit_test(test_imported_module_is_library),
      cmocka_unit_test(test_check_source_imports_relative),
      cmocka_unit_test(test_file_imports_own_folder),
      cmocka_unit_test(test_relative_paths_shown_clean),
      cmocka_unit_test(test_check_source_any_bytes),
      cmocka_unit_test(test_unreadable_root),
      cmocka_unit_test(test_provider_embedded),
      cmocka_unit_test(test_provider_schema_path_first),
      cmocka_unit_test(test_unknown_provider),
      cmocka_unit_test(test_binding),
      cmocka_unit_test(test_undefined_with_fix),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_order_and_cycles),
      cmocka_unit_test(test_order_direct),
      cmocka_unit_test(test_long_cycle_is_elided),
      cmocka_unit_test(test_unused),
      cmocka_unit_test(test_suggested_not_unused),
      cmocka_unit_test(test_shadow_in_component),
      cmocka_unit_test(test_error_nodes),
  };
  return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
