/* Modules (docs/language.md §7, §8): turns the paths given to `platc check` into checked
 * modules.  A folder is one module of all its *.plat files (sorted by name); a file is a
 * one-file module; `import "rel" as x` loads a folder relative to the importing module's;
 * `use p` loads a provider schema from PLAT_SCHEMA_PATH, then from the embedded ones, then
 * the one an external provider ships beside its executable (providers/provider.h).
 * Each module is loaded once (keyed by realpath) and checked after everything it imports
 * (chk_module: resolve.c then check.c).  Reading never prints: problems are E05xx Diags. */
#include "compiler/checker.h"
#include "providers/provider.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EMBED_PREFIX "providers/schemas/"
/* An import cycle longer than this shows its first and last CYCLE_SHOWN / 2 modules. */
#define CYCLE_SHOWN 16

/* A module being loaded: the next declaration to look at, and the import it is following
 * right now (whose module is the next frame up; for E0500).  Loading is a depth-first walk
 * on an explicit stack of these, so a chain of a million imports needs no C stack. */
typedef struct Frame {
  Module *mod;
  uint32_t file, decl;
  Decl *via;
} Frame;

struct Loader {
  PtrMap byreal;          /* interned realpath -> Module */
  PtrMap providers;       /* interned provider name -> Module, or &no_module */
  Frame *stack;
  uint32_t nstack, capstack;
  const char **pnames;    /* mod_provider_names, computed once */
  uint32_t npnames;
  bool pnames_done;
};

static Module no_module;  /* the provider cache's "there is none" */

static Arena *arena_of(Program *prog) { return &prog->plat->arena; }
static DiagList *diags_of(Program *prog) { return &prog->plat->diags; }

/* ---- paths ------------------------------------------------------------------------------ */
static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool has_plat_ext(const char *name) {
  size_t n = strlen(name);
  return n > 5 && strcmp(name + n - 5, ".plat") == 0;
}

/* "dir" + "name" -> "dir/name" (no doubled slash), in the arena. */
static char *path_join(Arena *a, const char *dir, const char *name) {
  size_t dl = strlen(dir);
  if (dl == 0 || (dl == 1 && dir[0] == '.')) return arena_strdup(a, name);
  return arena_printf(a, "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", name);
}

/* [rel] joined to [dir] (unless absolute) with `.` and `name/..` removed, the way a user
 * reads a path: "a/lib/b/../c" -> "a/lib/c", "./x" -> "x", "" -> ".".  Lexical only; the
 * caller checks that it names the same folder as the plain join (symbolic links). */
static char *path_clean(Arena *a, const char *dir, const char *rel) {
  const char *joined = rel[0] == '/' ? rel : path_join(a, dir, rel);
  size_t n = strlen(joined);
  char *out = arena_alloc(a, n + 2);
  bool abs = joined[0] == '/';
  size_t o = 0;
  uint32_t keep = 0;         /* components that a `..` may remove */
  if (abs) out[o++] = '/';
  size_t base = o;
  for (const char *s = joined; *s;) {
    while (*s == '/') s++;
    const char *e = s;
    while (*e && *e != '/') e++;
    size_t len = (size_t)(e - s);
    if (len == 0 || (len == 1 && s[0] == '.')) {
      /* skip */
    } else if (len == 2 && s[0] == '.' && s[1] == '.') {
      if (keep > 0) {
        while (o > base && out[o - 1] != '/') o--;
        if (o > base) o--;   /* the slash before it */
        keep--;
      } else if (!abs) {
        if (o > 0) out[o++] = '/';
        out[o++] = '.';
        out[o++] = '.';
        base = o;            /* a leading `..` is never removed */
      }
    } else {
      if (o > (abs ? 1u : 0u) && out[o - 1] != '/') out[o++] = '/';
      memcpy(out + o, s, len);
      o += len;
      keep++;
    }
    s = e;
  }
  if (o == 0) out[o++] = '.';
  out[o] = 0;
  return out;
}

/* The folder of file [path]: "a/b.plat" -> "a", "b.plat" -> ".". */
static char *path_dir(Arena *a, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return arena_strdup(a, ".");
  if (slash == path) return arena_strdup(a, "/");
  return arena_strndup(a, path, (size_t)(slash - path));
}

/* realpath of [path], interned (the cache key), or NULL with errno set. */
static const Str *real_key(Program *prog, const char *path) {
  char *r = realpath(path, NULL);
  if (!r) return NULL;
  const Str *k = intern_cstr(&prog->plat->strs, r);
  free(r);
  return k;
}

/* ---- the program ------------------------------------------------------------------------- */
static void push_mod(Arena *a, Module ***v, uint32_t *n, uint32_t *cap, Module *m) {
  if (*n == *cap) {
    uint32_t ncap = *cap ? *cap * 2 : 8;
    *v = arena_grow(a, *v, *n, ncap, sizeof **v);
    *cap = ncap;
  }
  (*v)[(*n)++] = m;
}

static Sym *universe_sym(Program *prog, SymKind kind, const char *name, const Type *t) {
  Sym *s = arena_alloc(arena_of(prog), sizeof *s);
  s->kind = kind;
  s->name = intern_cstr(&prog->plat->strs, name);
  s->span = span_make(SPAN_NO_FILE, 0, 0);
  s->type = t;
  s->phase = PHASE_COMPILE;
  s->state = SYMST_DONE;
  s->node = UINT32_MAX;
  symtab_put(&prog->universe, arena_of(prog), s);
  return s;
}

Program *chk_program_new(Plat *p) {
  if (p->prog) return p->prog;
  Program *prog = arena_alloc(&p->arena, sizeof *prog);
  prog->plat = p;
  ty_init(&prog->types, &p->arena, &p->sources);
  prog->loader = arena_alloc(&p->arena, sizeof *prog->loader);
  symtab_init(&prog->universe, &p->arena, BI__COUNT + 8);
  universe_sym(prog, SYM_PRIMTYPE, "bool", TY_BOOL_T);
  universe_sym(prog, SYM_PRIMTYPE, "int", TY_INT_T);
  universe_sym(prog, SYM_PRIMTYPE, "float", TY_FLOAT_T);
  universe_sym(prog, SYM_PRIMTYPE, "string", TY_STRING_T);
  for (uint32_t i = 0; i < BI__COUNT; i++) {
    const Builtin *b = bi_get((BuiltinId)i);
    if (!b) continue;
    FnParamT ps[BI_MAX_PARAMS];
    for (uint32_t k = 0; k < b->nparams; k++)
      ps[k] = (FnParamT){intern_cstr(&p->strs, b->params[k].name), NULL, b->params[k].optional};
    const Str *name = intern_cstr(&p->strs, b->name);
    /* ty_fn makes a fresh type: filling in the built-in's fields is safe */
    Type *t = (Type *)ty_fn(&prog->types, name, ps, b->nparams, b->variadic, NULL);
    t->u.fn.builtin = b;
    t->u.fn.sig = b->sig;
    Sym *s = universe_sym(prog, SYM_BUILTIN, b->name, t);
    s->builtin = b;
  }
  p->prog = prog;
  return prog;
}

static Module *new_module(Program *prog, const char *path, const Str *real, const char *dir) {
  Module *m = arena_alloc(arena_of(prog), sizeof *m);
  m->path = path;
  m->real = real ? real->s : path;
  m->dir = dir;
  m->state = MOD_LOADING;
  m->type = ty_module(&prog->types, m, NULL);
  if (real) pmap_put(arena_of(prog), &prog->loader->byreal, real, m);
  return m;
}

/* Room for one more in an arena array of [n] pointers whose capacity is implied: 4, then
 * doubled whenever [n] reaches a power of two, so a folder of 10,000 files costs no more
 * than twice its size. */
static void *room_for_one(Arena *a, void *v, uint32_t n) {
  if (n == 0 || (n >= 4 && (n & (n - 1)) == 0))
    return arena_grow(a, v, n, n ? (size_t)n * 2 : 4, sizeof(void *));
  return v;
}

static void add_file(Program *prog, Module *m, AstFile *f) {
  m->files = room_for_one(arena_of(prog), m->files, m->nfiles);
  m->files[m->nfiles++] = f;
}

/* ---- reading ------------------------------------------------------------------------------ */
/* ---- overlays: unsaved buffers (the LSP) ---------------------------------------------- */
void plat_overlay(Plat *p, const char *path, const char *text, size_t len) {
  for (uint32_t i = 0; i < p->noverlays; i++)
    if (strcmp(p->overlays[i].path, path) == 0) {
      p->overlays[i].text = text;
      p->overlays[i].len = len;
      return;
    }
  if (p->noverlays == 0 || (p->noverlays >= 4 && (p->noverlays & (p->noverlays - 1)) == 0))
    p->overlays = arena_grow(&p->arena, p->overlays, p->noverlays,
                             p->noverlays ? (size_t)p->noverlays * 2 : 4, sizeof *p->overlays);
  PlatOverlay *o = &p->overlays[p->noverlays++];
  o->path = arena_strdup(&p->arena, path);
  o->text = text;
  o->len = len;
}

static const PlatOverlay *find_overlay(const Plat *p, const char *path) {
  for (uint32_t i = 0; i < p->noverlays; i++)
    if (strcmp(p->overlays[i].path, path) == 0) return &p->overlays[i];
  return NULL;
}

/* Read and parse one file of [m]; E0505 at [at] if it cannot be read. */
static bool read_file(Program *prog, Module *m, const char *path, Span at) {
  Plat *p = prog->plat;
  const PlatOverlay *o = p->noverlays ? find_overlay(p, path) : NULL;
  uint32_t id = o && o->len <= SOURCE_MAX_BYTES ? source_add(&p->sources, path, o->text, o->len)
                                                : source_read(&p->sources, path);
  if (id == UINT32_MAX) {
    const char *why = errno == EFBIG ? "file too large (the limit is 1 GiB)" : strerror(errno);
    Diag *d = diag_add(&p->diags, DIAG_E0505, at, "cannot read '%s': %s", path, why);
    if (at.file != SPAN_NO_FILE) diag_label(&p->diags, d, at, "imported here");
    return false;
  }
  add_file(prog, m, plat_parse(p, id));
  return true;
}

/* The regular *.plat files directly in [dir], sorted by name (malloc'd; caller frees each
 * and the array).  Returns -1 with errno set if the folder cannot be read. */
static int list_plat_files(const char *dir, char ***out) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  char **names = NULL;
  size_t n = 0, cap = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.' || !has_plat_ext(e->d_name)) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      names = plat_xrealloc(names, cap * sizeof *names);
    }
    names[n++] = plat_xstrdup(e->d_name);
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_cstr);
  *out = names;
  return (int)n;
}

/* The subfolders of [dir] (not hidden) that directly hold a .plat file, sorted and joined
 * by spaces (quoted when a shell needs it), at most SUBS_SHOWN of them then "..."; NULL
 * when there are none.  For the help of an empty root folder: the modules one level down
 * are most likely what was meant. */
#define SUBS_SHOWN 4
static const char *subfolders_with_sources(Arena *a, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return NULL;
  char **subs = NULL;
  size_t n = 0, cap = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    char *sub = path_join(a, dir, e->d_name);
    struct stat st;
    if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    char **inner = NULL;
    int k = list_plat_files(sub, &inner);
    for (int i = 0; i < k; i++) free(inner[i]);
    free(inner);
    if (k <= 0) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      subs = plat_xrealloc(subs, cap * sizeof *subs);
    }
    subs[n++] = sub;
  }
  closedir(d);
  if (n == 0) return NULL;
  qsort(subs, n, sizeof *subs, cmp_cstr);
  const char *out = "";
  for (size_t i = 0; i < n && i < SUBS_SHOWN; i++) {
    /* quoted for a shell when it needs to be */
    bool plain = strspn(subs[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789._/-+") == strlen(subs[i]) && !strchr(subs[i], '\'');
    out = arena_printf(a, plain ? "%s%s%s" : "%s%s'%s'", out, i ? " " : "", subs[i]);
  }
  if (n > SUBS_SHOWN) out = arena_printf(a, "%s ...", out);
  free(subs);
  return out;
}

/* Add to the sorted [names] of [dir]'s files (*names malloc'd, [n] of them) the overlaid
 * files of [dir] that are not on disk yet (a new buffer not saved); returns the count. */
static int add_overlay_names(const Plat *p, const char *dir, char ***names, int n) {
  size_t dl = strlen(dir);
  int before = n;
  for (uint32_t i = 0; i < p->noverlays; i++) {
    const char *path = p->overlays[i].path;
    if (strncmp(path, dir, dl) != 0 || path[dl] != '/' || strchr(path + dl + 1, '/') ||
        !has_plat_ext(path + dl + 1))
      continue;
    bool listed = false;
    for (int k = 0; k < before && !listed; k++) listed = strcmp((*names)[k], path + dl + 1) == 0;
    if (listed) continue;
    *names = plat_xrealloc(*names, (size_t)(n + 1) * sizeof **names);
    (*names)[n++] = plat_xstrdup(path + dl + 1);
  }
  if (n > before) qsort(*names, (size_t)n, sizeof **names, cmp_cstr);
  return n;
}

/* Read every *.plat of folder [dir] into [m].  Returns the number of files read; an empty
 * folder is E0502 (at [at], the import, when there is one). */
static uint32_t read_folder(Program *prog, Module *m, const char *dir, Span at) {
  Arena *a = arena_of(prog);
  char **names = NULL;
  int n = list_plat_files(dir, &names);
  if (n < 0) {
    Diag *d = diag_add(diags_of(prog), DIAG_E0505, at, "cannot read '%s': %s", dir, strerror(errno));
    if (at.file != SPAN_NO_FILE) diag_label(diags_of(prog), d, at, "imported here");
    return 0;
  }
  n = add_overlay_names(prog->plat, dir, &names, n);
  uint32_t loaded = 0, sources = 0;
  for (int i = 0; i < n; i++) {
    char *full = path_join(a, dir, names[i]);
    free(names[i]);
    struct stat st;
    /* a folder named x.plat, a FIFO or a socket is not a source file (and would block) */
    if (stat(full, &st) == 0 && !S_ISREG(st.st_mode)) continue;
    sources++;
    if (read_file(prog, m, full, at)) loaded++;
  }
  free(names);
  if (sources == 0) {
    Diag *d = diag_add(diags_of(prog), DIAG_E0502, at, "folder '%s' has no .plat files", dir);
    if (at.file != SPAN_NO_FILE) diag_label(diags_of(prog), d, at, "this module is empty");
    diag_note(diags_of(prog), d, "a module is the .plat files directly in its folder, "
              "not those of its subfolders");
    /* a folder given to `platc check` that holds modules one level down */
    const char *subs = at.file == SPAN_NO_FILE ? subfolders_with_sources(a, dir) : NULL;
    if (subs)
      diag_help(diags_of(prog), d, "to check the modules in its subfolders, name them: "
                "`platc check %s`", subs);
  }
  return loaded;
}

/* ---- providers ------------------------------------------------------------------------------ */
static void parse_schema(Program *prog, Module *m, uint32_t id) {
  Plat *p = prog->plat;
  ParseInput in = {
      .arena = &p->arena, .strs = &p->strs, .diags = &p->diags, .sources = &p->sources,
      .file = id, .schema = true,
  };
  add_file(prog, m, parse_file(&in));
}

/* A provider module read from the schema file at [path] (arena text). */
static Module *schema_file_module(Program *prog, const char *path) {
  Plat *p = prog->plat;
  Module *m = new_module(prog, path, NULL, NULL);
  uint32_t id = source_read(&p->sources, path);
  if (id == UINT32_MAX)
    diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0),
             "cannot read provider schema '%s': %s", path, strerror(errno));
  else
    parse_schema(prog, m, id);
  return m;
}

Module *mod_provider(Program *prog, const Str *name) {
  struct Loader *L = prog->loader;
  Module *m = pmap_get(&L->providers, name);
  if (m) return m == &no_module ? NULL : m;
  Plat *p = prog->plat;
  Arena *a = &p->arena;
  m = NULL;
  /* PLAT_SCHEMA_PATH first, so a schema can be written before its provider exists */
  const char *sp = getenv("PLAT_SCHEMA_PATH");
  for (const char *s = sp; s && *s && !m;) {
    const char *e = strchr(s, ':');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (len) {
      char *dir = arena_strndup(a, s, len);
      char *path = path_join(a, dir, arena_printf(a, "%s.plat", name->s));
      struct stat st;
      if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) m = schema_file_module(prog, path);
    }
    s = e ? e + 1 : NULL;
  }
  if (!m) {
    const PlatEmbedded *emb = plat_embedded_find(arena_printf(a, EMBED_PREFIX "%s.plat", name->s));
    if (emb) {
      /* a stable display path, the same on every machine: the file in platc's sources */
      const char *shown = arena_printf(a, "<platc>/%s", emb->name);
      m = new_module(prog, shown, NULL, NULL);
      uint32_t id = source_add(&p->sources, shown, emb->data, emb->len);
      p->sources.files[id].builtin = true;
      parse_schema(prog, m, id);
    }
  }
  if (!m) {
    /* an external provider ships NAME.plat beside its executable platc-provider-NAME,
       found as deploy finds it, with the root module's folder as the project */
    const char *root = prog->nroots ? prog->roots[prog->nroots - 1]->dir : NULL;
    char *path = prov_find_schema_file(name->s, root);
    if (path) m = schema_file_module(prog, arena_strdup(a, path));
    free(path);
  }
  if (!m) {
    pmap_put(a, &L->providers, name, &no_module);
    return NULL;
  }
  m->provider = true;
  m->name = name;
  m->type = ty_module(&prog->types, m, name);
  pmap_put(a, &L->providers, name, m);
  m->state = MOD_LOADED;
  chk_module(prog, m);
  push_mod(a, &prog->mods, &prog->nmods, &prog->capmods, m);
  push_mod(a, &prog->providers, &prog->nproviders, &prog->capproviders, m);
  return m;
}

const char *const *mod_provider_names(Program *prog, uint32_t *n) {
  struct Loader *L = prog->loader;
  if (!L->pnames_done) {
    Arena *a = arena_of(prog);
    const char **v = NULL;
    uint32_t nv = 0, cap = 0;
#define ADD(s)                                                   \
  do {                                                           \
    if (nv == cap) {                                             \
      uint32_t ncap_ = cap ? cap * 2 : 16;                        \
      v = arena_grow(a, v, nv, ncap_, sizeof *v);                 \
      cap = ncap_;                                                \
    }                                                            \
    v[nv++] = (s);                                               \
  } while (0)
    size_t pl = strlen(EMBED_PREFIX);
    for (size_t i = 0; i < plat_nembedded; i++) {
      const char *nm = plat_embedded[i].name;
      if (strncmp(nm, EMBED_PREFIX, pl) != 0 || !has_plat_ext(nm + pl) || strchr(nm + pl, '/'))
        continue;
      ADD(arena_strndup(a, nm + pl, strlen(nm + pl) - 5));
    }
    const char *sp = getenv("PLAT_SCHEMA_PATH");
    for (const char *s = sp; s && *s;) {
      const char *e = strchr(s, ':');
      size_t len = e ? (size_t)(e - s) : strlen(s);
      if (len) {
        char *dir = arena_strndup(a, s, len);
        char **names = NULL;
        int k = list_plat_files(dir, &names);
        for (int i = 0; i < k; i++) {
          ADD(arena_strndup(a, names[i], strlen(names[i]) - 5));
          free(names[i]);
        }
        free(names);
      }
      s = e ? e + 1 : NULL;
    }
#undef ADD
    if (nv) qsort(v, nv, sizeof *v, cmp_cstr);
    uint32_t u = 0;
    for (uint32_t i = 0; i < nv; i++)
      if (u == 0 || strcmp(v[u - 1], v[i]) != 0) v[u++] = v[i];
    L->pnames = v;
    L->npnames = u;
    L->pnames_done = true;
  }
  *n = L->npnames;
  return L->pnames;
}

/* ---- imports -------------------------------------------------------------------------------- */
/* The text of a constant string literal, or NULL if it has interpolations. */
static const char *const_string(Arena *a, const Expr *e) {
  if (!e || e->kind != EX_STRING) return NULL;
  size_t len = 0;
  for (uint32_t i = 0; i < e->u.str.nparts; i++) {
    if (e->u.str.parts[i].is_expr) return NULL;
    len += e->u.str.parts[i].len;
  }
  char *s = arena_alloc(a, len + 1);
  size_t o = 0;
  for (uint32_t i = 0; i < e->u.str.nparts; i++) {
    memcpy(s + o, e->u.str.parts[i].text, e->u.str.parts[i].len);
    o += e->u.str.parts[i].len;
  }
  s[o] = 0;
  return strlen(s) == len ? s : NULL;   /* an embedded NUL cannot name a folder */
}

/* E0501 for a folder [shown] that does not exist; suggests a sibling folder. */
static void not_found(Program *prog, Span at, const char *rel, const char *shown, bool is_file) {
  DiagList *dl = diags_of(prog);
  Arena *a = arena_of(prog);
  Diag *d = diag_add(dl, DIAG_E0501, at, "cannot find module '%s'", rel);
  if (is_file) {
    diag_label(dl, d, at, "'%s' is a file, not a folder", shown);
    diag_help(dl, d, "import the folder that holds it: a module is all the .plat files of a folder");
    return;
  }
  diag_label(dl, d, at, "no folder '%s'", shown);
  /* did you mean a folder next to where it was looked for? */
  const char *slash = strrchr(shown, '/');
  const char *parent = slash ? (slash == shown ? "/" : arena_strndup(a, shown, (size_t)(slash - shown))) : ".";
  const char *last = slash ? slash + 1 : shown;
  DIR *dir = opendir(parent);
  if (!dir) return;
  const char **cands = NULL;
  uint32_t nc = 0;
  for (struct dirent *e; (e = readdir(dir)) && nc < 4096;) {
    if (e->d_name[0] == '.') continue;
    struct stat st;
    if (stat(path_join(a, parent, e->d_name), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    cands = room_for_one(a, cands, nc);
    cands[nc++] = arena_strdup(a, e->d_name);
  }
  closedir(dir);
  const char *best = diag_suggest(last, cands, nc);
  if (!best) return;
  /* the replacement keeps what the user wrote before the last component */
  const char *rs = strrchr(rel, '/');
  const char *fixed = rs ? arena_printf(a, "%.*s/%s", (int)(rs - rel), rel, best) : best;
  diag_help(dl, d, "did you mean '%s'?", fixed);
  diag_fix(dl, d, at, arena_printf(a, "\"%s\"", fixed), arena_printf(a, "import \"%s\"", fixed));
}

/* How many leading bytes of the paths [v] ([n] of them) to drop so the cycle reads
 * `net -> dns -> net` instead of repeating the folder they all sit in: their common folder,
 * or its parent when that folder is itself one of the modules. */
static size_t common_cut(const Frame *v, uint32_t n) {
  const char *first = v[0].mod->path;
  size_t cut = 0;           /* the end of the common folder prefix, at a slash */
  bool whole = true;        /* the common prefix is a whole path of one of them */
  for (size_t i = 0;; i++) {
    char ch = first[i];
    bool same = true;
    for (uint32_t k = 1; k < n; k++)
      if (v[k].mod->path[i] != ch) same = false;
    if (!same || ch == 0) {
      /* a path that ends here, while the others go on with a slash, is the common folder */
      bool all_end_or_slash = true;
      for (uint32_t k = 0; k < n; k++) {
        char c = v[k].mod->path[i];
        if (c != 0 && c != '/') all_end_or_slash = false;
      }
      whole = all_end_or_slash;
      if (whole) cut = i;
      break;
    }
    if (ch == '/') cut = i;
  }
  if (whole) {
    /* the common folder is a module: keep its last component */
    size_t j = cut;
    while (j > 0 && first[j - 1] != '/') j--;
    return j;
  }
  return cut ? cut + 1 : 0;
}

/* E0500: [from] imports [target], which is still loading.  The cycle is the stack from
 * [target]'s frame to the top, then [target] again. */
static void report_cycle(Program *prog, Module *target, Decl *closing) {
  struct Loader *L = prog->loader;
  DiagList *dl = diags_of(prog);
  Arena *a = arena_of(prog);
  uint32_t k = L->nstack;
  while (k > 0 && L->stack[k - 1].mod != target) k--;
  if (k == 0) return;
  k--;
  Span at = closing->u.import.path->span;
  if (k + 1 == L->nstack) {
    Diag *d = diag_add(dl, DIAG_E0500, at, "import cycle: module '%s' imports itself", target->path);
    diag_label(dl, d, at, "this is the module's own folder");
    diag_help(dl, d, "remove the import: a module's declarations are visible in all its "
              "files without one");
    return;
  }
  size_t cut = common_cut(L->stack + k, L->nstack - k);
  uint32_t n = L->nstack - k;     /* modules in the cycle */
#define SHORT(m) ((m)->path + (strlen((m)->path) >= cut ? cut : 0))
#define SHOWN(i) (n <= CYCLE_SHOWN || (i) - k < CYCLE_SHOWN / 2 || L->nstack - (i) <= CYCLE_SHOWN / 2)
  size_t len = 32;
  for (uint32_t i = k; i < L->nstack; i++)
    if (SHOWN(i)) len += strlen(SHORT(L->stack[i].mod)) + 4;
  len += strlen(SHORT(target));
  char *txt = arena_alloc(a, len);
  for (uint32_t i = k; i < L->nstack; i++) {
    if (!SHOWN(i)) {
      if (SHOWN(i - 1)) strcat(txt, "... -> ");
      continue;
    }
    strcat(txt, SHORT(L->stack[i].mod));
    strcat(txt, " -> ");
  }
  strcat(txt, SHORT(target));
  Module *from = L->stack[L->nstack - 1].mod;
  Diag *d = diag_add(dl, DIAG_E0500, at, "import cycle: %s", txt);
  diag_label(dl, d, at, "'%s' imports '%s' here, which closes the cycle", SHORT(from),
             SHORT(target));
  for (uint32_t i = k; i + 1 < L->nstack; i++)
    if (SHOWN(i) && SHOWN(i + 1))
      diag_label(dl, d, L->stack[i].via->u.import.path->span, "'%s' imports '%s' here",
                 SHORT(L->stack[i].mod), SHORT(L->stack[i + 1].mod));
  if (n > CYCLE_SHOWN)
    diag_note(dl, d, "the cycle goes through %u modules; %u of them are not shown", n,
              n - CYCLE_SHOWN);
#undef SHOWN
#undef SHORT
  if (cut) diag_note(dl, d, "module paths are relative to '%.*s'", (int)(cut - 1), target->path);
  diag_help(dl, d, "modules cannot import each other: move what they share into a module "
            "that imports neither");
}

/* E0102: an imported module is a library (§7): no top-level params, resources, outputs or
 * moved declarations. */
static void check_library(Program *prog, Module *m, Decl *via) {
  for (uint32_t f = 0; f < m->nfiles; f++) {
    AstFile *af = m->files[f];
    for (uint32_t i = 0; af && i < af->ndecls; i++) {
      Decl *d = af->decls[i];
      if (!d || (d->kind != D_PARAM && d->kind != D_RESOURCE && d->kind != D_OUTPUT &&
                 d->kind != D_MOVED))
        continue;
      Span at = d->name.str ? d->name.span : d->span;
      Diag *dg = diag_add(diags_of(prog), DIAG_E0102, at,
                          "a top-level `%s` is not allowed in an imported module",
                          ast_decl_keyword(d->kind));
      diag_label(diags_of(prog), dg, at, "'%s' is imported as a library", m->path);
      diag_label(diags_of(prog), dg, via->u.import.path->span, "imported here");
      diag_help(diags_of(prog), dg, d->kind == D_PARAM
                    ? "make it a param of a component, which the importer instantiates"
                    : "put it in a component, which the importer instantiates");
    }
  }
}

/* The module that import [d] of [from] names: a loaded one from the cache, or a new one
 * (*fresh set) whose files are read but whose own imports are not followed yet; NULL if
 * it failed or closes a cycle (diagnosed). */
static Module *open_import(Program *prog, Module *from, Decl *d, bool *fresh) {
  struct Loader *L = prog->loader;
  DiagList *dl = diags_of(prog);
  Arena *a = arena_of(prog);
  *fresh = false;
  Expr *pe = d->u.import.path;
  if (!pe || !from->dir) return NULL;
  Span at = pe->span;
  const char *rel = const_string(a, pe);
  if (!rel) {
    Diag *dg = diag_add(dl, DIAG_E0405, at, "an import path must be a constant string");
    diag_label(dl, dg, at, "this string has interpolations");
    diag_help(dl, dg, "write the folder's path out: imports are resolved before anything runs");
    return NULL;
  }
  const char *raw = rel[0] == '/' ? rel : path_join(a, from->dir, rel);
  const char *shown = path_clean(a, from->dir, rel);
  struct stat st;
  if (stat(raw, &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      not_found(prog, at, rel, shown, false);
    } else {
      Diag *dg = diag_add(dl, DIAG_E0505, at, "cannot read '%s': %s", shown, strerror(errno));
      diag_label(dl, dg, at, "imported here");
    }
    return NULL;
  }
  if (!S_ISDIR(st.st_mode)) {
    not_found(prog, at, rel, shown, true);
    return NULL;
  }
  const Str *real = real_key(prog, raw);
  if (!real) {
    Diag *dg = diag_add(dl, DIAG_E0505, at, "cannot read '%s': %s", shown, strerror(errno));
    diag_label(dl, dg, at, "imported here");
    return NULL;
  }
  if (!from->real || strcmp(from->real, real->s) != 0) {
    /* a file checked alone (or an editor's buffer) importing the folder it is in */
    const Str *own = real_key(prog, from->dir);
    if (own == real) {
      Diag *dg = diag_add(dl, DIAG_E0500, at, "import cycle: '%s' imports its own folder",
                          from->path);
      diag_label(dl, dg, at, "'%s' is the folder '%s' is in", shown, from->path);
      diag_help(dl, dg, "check the folder instead of the file: all its .plat files are one "
                "module, which sees its declarations without importing itself");
      return NULL;
    }
  }
  Module *m = pmap_get(&L->byreal, real);
  if (m) {
    if (m->state == MOD_LOADING) {
      report_cycle(prog, m, d);
      return NULL;
    }
    return m;
  }
  /* show the clean path when it is the same folder (it may not be, through a symlink) */
  const Str *creal = strcmp(shown, raw) == 0 ? real : real_key(prog, shown);
  const char *path = creal == real ? shown : raw;
  m = new_module(prog, path, real, path);
  read_folder(prog, m, path, at);
  check_library(prog, m, d);
  *fresh = true;
  return m;
}

static void push_frame(Program *prog, Module *m) {
  struct Loader *L = prog->loader;
  Arena *a = arena_of(prog);
  if (L->nstack == L->capstack) {
    uint32_t ncap = L->capstack ? L->capstack * 2 : 16;
    L->stack = arena_grow(a, L->stack, L->nstack, ncap, sizeof *L->stack);
    L->capstack = ncap;
  }
  L->stack[L->nstack++] = (Frame){m, 0, 0, NULL};
  uint32_t nimports = 0;
  for (uint32_t f = 0; f < m->nfiles; f++)
    for (uint32_t i = 0; m->files[f] && i < m->files[f]->ndecls; i++)
      if (m->files[f]->decls[i] && m->files[f]->decls[i]->kind == D_IMPORT) nimports++;
  m->imports = nimports ? arena_calloc(a, nimports, sizeof *m->imports) : NULL;
  m->nimports = 0;
}

/* An imported module's components are written with the import's alias (`net.Site`):
 * their types take the alias of the first import that loads the module, so graphs,
 * plans and hovers name them as the importing code does. */
static void qualify_components(Program *prog, Module *m, const Decl *imp) {
  if (!imp || imp->kind != D_IMPORT || !imp->u.import.alias.str) return;
  for (uint32_t f = 0; f < m->nfiles; f++)
    for (uint32_t i = 0; m->files[f] && i < m->files[f]->ndecls; i++) {
      Decl *d = m->files[f]->decls[i];
      if (!d || d->kind != D_COMPONENT || !d->sym || !d->sym->res || strchr(d->sym->res->qual, '.')) continue;
      d->sym->res->qual = arena_printf(arena_of(prog), "%s.%s", imp->u.import.alias.str->s, d->sym->name->s);
    }
}

/* Load everything [m] imports and uses, depth first, and check each module once all it
 * depends on is checked: the program's module list comes out dependencies first. */
static void load_tree(Program *prog, Module *m) {
  struct Loader *L = prog->loader;
  uint32_t base = L->nstack;
  push_frame(prog, m);
  while (L->nstack > base) {
    Frame *f = &L->stack[L->nstack - 1];
    Module *cur = f->mod;
    if (f->file >= cur->nfiles) {
      /* every dependency is done: check it, and hand it to the import waiting for it */
      L->nstack--;
      cur->state = MOD_LOADED;
      chk_module(prog, cur);
      push_mod(arena_of(prog), &prog->mods, &prog->nmods, &prog->capmods, cur);
      if (L->nstack > base) {
        Frame *parent = &L->stack[L->nstack - 1];
        parent->mod->imports[parent->mod->nimports - 1].mod = cur;
        qualify_components(prog, cur, parent->mod->imports[parent->mod->nimports - 1].decl);
        parent->via = NULL;
      }
      continue;
    }
    AstFile *af = cur->files[f->file];
    if (!af || f->decl >= af->ndecls) {
      f->file++;
      f->decl = 0;
      continue;
    }
    Decl *d = af->decls[f->decl++];
    if (!d) continue;
    if (d->kind == D_USE && d->u.use.provider.str) {
      (void)mod_provider(prog, d->u.use.provider.str);   /* checked before [cur] */
    } else if (d->kind == D_IMPORT) {
      f->via = d;
      bool fresh;
      Module *dep = open_import(prog, cur, d, &fresh);
      cur->imports[cur->nimports++] = (ModImport){d, fresh ? NULL : dep};
      if (fresh) push_frame(prog, dep);    /* [f] may have moved: not used again here */
      else f->via = NULL;
    }
  }
}

/* ---- entry points ------------------------------------------------------------------------------ */
void chk_checker_init(Checker *c, Program *prog, Module *m) {
  Plat *p = prog->plat;
  memset(c, 0, sizeof *c);
  c->prog = prog;
  c->plat = p;
  c->arena = &p->arena;
  c->diags = &p->diags;
  c->tc = &prog->types;
  c->strs = &p->strs;
  c->sources = &p->sources;
  c->mod = m;
  c->s_self = intern_cstr(&p->strs, "self");
  c->s_protect = intern_cstr(&p->strs, "protect");
  c->s_create_before_destroy = intern_cstr(&p->strs, "create_before_destroy");
  c->s_depends_on = intern_cstr(&p->strs, "depends_on");
  c->s_ignore_changes = intern_cstr(&p->strs, "ignore_changes");
  c->s_replace_on_change = intern_cstr(&p->strs, "replace_on_change");
}

void chk_module(Program *prog, Module *m) {
  Checker c;
  chk_checker_init(&c, prog, m);
  res_declare(&c);
  res_resolve(&c);
  Sym **order = res_order(&c);
  for (uint32_t i = 0; i < c.nnodes; i++) chk_node(&c, order[i]);
  for (uint32_t i = 0; i < c.nothers; i++) chk_other(&c, c.others[i]);
  res_unused(&c);
  free(order);
  free(c.nodes);
  free(c.edges);
  free(c.others);
  free(c.locals);
  free(c.local_prev);
  free(c.narrows);
  free(c.locsyms);
  m->state = MOD_CHECKED;
}

/* A root module from a path given on the command line. */
static bool load_root(Program *prog, const char *path) {
  Plat *p = prog->plat;
  struct stat st;
  if (stat(path, &st) != 0) {
    diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0), "cannot read '%s': %s",
             path, strerror(errno));
    return false;
  }
  const Str *real = real_key(prog, path);
  Module *m = real ? pmap_get(&prog->loader->byreal, real) : NULL;
  if (m) return true;   /* given twice, or already imported by an earlier root */
  bool dir = S_ISDIR(st.st_mode);
  Arena *a = &p->arena;
  m = new_module(prog, arena_strdup(a, path), real, dir ? arena_strdup(a, path) : path_dir(a, path));
  m->root = true;
  uint32_t loaded = dir ? read_folder(prog, m, path, span_make(SPAN_NO_FILE, 0, 0))
                        : read_file(prog, m, path, span_make(SPAN_NO_FILE, 0, 0));
  push_mod(a, &prog->roots, &prog->nroots, &prog->caproots, m);
  load_tree(prog, m);
  return loaded > 0;
}

bool plat_check_paths(Plat *p, const char *const *paths, uint32_t n) {
  Program *prog = chk_program_new(p);
  uint32_t loaded = 0;
  for (uint32_t i = 0; i < n; i++)
    if (load_root(prog, paths[i])) loaded++;
  return loaded > 0 || n == 0;
}

bool plat_check_source(Plat *p, const char *path, const char *text, size_t len) {
  if (len > SOURCE_MAX_BYTES) {
    diag_add(&p->diags, DIAG_E0505, span_make(SPAN_NO_FILE, 0, 0),
             "cannot read '%s': file too large (the limit is 1 GiB)", path);
    return false;
  }
  Program *prog = chk_program_new(p);
  Arena *a = &p->arena;
  /* not keyed by realpath: the text is not what is on disk, and an import of its own
   * folder loads the file from disk as part of that module, as a check of the file would */
  Module *m = new_module(prog, arena_strdup(a, path), NULL, path_dir(a, path));
  m->root = true;
  uint32_t id = source_add(&p->sources, path, text, len);
  add_file(prog, m, plat_parse(p, id));
  push_mod(a, &prog->roots, &prog->nroots, &prog->caproots, m);
  load_tree(prog, m);
  return true;
}
