/* templatefile(path, vars): the template is the file's text read as the body of a Plat
 * multi-line string, `${...}` interpolations included, with each of [vars] a `let` in
 * scope.  The text and the vars are written out as a small Plat module, checked by the real
 * front end (so a mistake in a template reads like any other, at the template's line) and
 * run on a VM of its own.  Terraform's `%{ if }` directives are not supported: they stay
 * text.  The VM calls this through Rt.template_hook (stdlib/files.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"
#include "compiler/emit.h"
#include "stdlib/stdlib.h"
#include "vm/vm.h"

#define TEMPLATE_MAX_NESTING 8

static int nesting;   /* templates rendering templates: bounded, as files can include themselves */

typedef struct Buf { char *p; size_t n, cap; } Buf;

static void add(Buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap : 1024;
    while (nc < b->n + n + 1) nc *= 2;
    b->p = plat_xrealloc(b->p, nc);
    b->cap = nc;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void adds(Buf *b, const char *s) { add(b, s, strlen(s)); }

static void add_string(Buf *b, const char *s, size_t n) {
  add(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[16];
    switch (c) {
    case '\\': adds(b, "\\\\"); break;
    case '"': adds(b, "\\\""); break;
    case '$': adds(b, "\\$"); break;
    case '\n': adds(b, "\\n"); break;
    case '\t': adds(b, "\\t"); break;
    case '\r': adds(b, "\\r"); break;
    default:
      if (c < 0x20 || c == 0x7f) { snprintf(esc, sizeof esc, "\\u{%x}", c); adds(b, esc); }
      else add(b, (const char *)&s[i], 1);
    }
  }
  add(b, "\"", 1);
}

/* [v] as a Plat literal; false when it has no literal form. */
static bool add_literal(Buf *b, Val v, int depth) {
  char num[64];
  if (depth > 100) return false;
  switch (v.tag) {
  case VT_NULL: adds(b, "null"); return true;
  case VT_BOOL: adds(b, v.as.b ? "true" : "false"); return true;
  case VT_INT: snprintf(num, sizeof num, "%" PRId64, v.as.i); adds(b, num); return true;
  case VT_FLOAT: {
    snprintf(num, sizeof num, "%.17g", v.as.f);
    char *e = strstr(num, "e+");
    if (e) memmove(e + 1, e + 2, strlen(e + 2) + 1);
    if (!strpbrk(num, ".e")) strcat(num, ".0");
    else if (!strchr(num, '.') && (e = strchr(num, 'e'))) {   /* 1e300 -> 1.0e300 */
      memmove(e + 2, e, strlen(e) + 1);
      e[0] = '.'; e[1] = '0';
    }
    adds(b, num);
    return true;
  }
  case VT_STR: add_string(b, v.as.s->s, v.as.s->len); return true;
  case VT_LIST:
    adds(b, "[");
    for (uint32_t i = 0; i < v.as.l->n; i++) {
      if (i) adds(b, ", ");
      if (!add_literal(b, v.as.l->items[i], depth + 1)) return false;
    }
    adds(b, "]");
    return true;
  case VT_MAP:
    adds(b, "{ ");
    for (uint32_t i = 0; i < v.as.m->n; i++) {
      if (i) adds(b, ", ");
      add_string(b, v.as.m->e[i].key->s, v.as.m->e[i].key->len);
      adds(b, " = ");
      if (!add_literal(b, v.as.m->e[i].val, depth + 1)) return false;
    }
    adds(b, " }");
    return true;
  default: return false;
  }
}

static bool is_ident(const char *s, size_t n) {
  if (!n || !(s[0] == '_' || (s[0] | 32) >= 'a')) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
      return false;
  }
  return (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_';
}

/* The template's text as the body of a """ string: literal parts escaped, ${...} kept. */
static bool add_body(Buf *b, const char *t, size_t n, uint32_t *bad_line) {
  uint32_t line = 1;
  for (size_t i = 0; i < n;) {
    char c = t[i];
    if (c == '$' && i + 2 < n && t[i + 1] == '$' && t[i + 2] == '{') {   /* $${ is a literal ${ */
      adds(b, "\\${");
      i += 3;
    } else if (c == '$' && i + 1 < n && t[i + 1] == '{') {
      size_t j = i + 2;
      int depth = 1;
      bool str = false;
      for (; j < n && depth; j++) {
        char d = t[j];
        if (d == '\n') line++;
        if (str) {
          if (d == '\\') j++;
          else if (d == '"') str = false;
        } else if (d == '"') str = true;
        else if (d == '{') depth++;
        else if (d == '}') depth--;
      }
      if (depth) { *bad_line = line; return false; }
      add(b, t + i, j - i);
      i = j;
    } else {
      if (c == '\n') line++;
      if (c == '\\') adds(b, "\\\\");
      else if (c == '"') adds(b, "\\\"");
      else if (c == '\r') adds(b, "\\r");
      else if (c == '\t') adds(b, "\\t");
      else add(b, &t[i], 1);
      i++;
    }
  }
  return true;
}

Val vm_template(Rt *rt, const char *path, const char *text, size_t len, Val vars) {
  const char *fname = strcmp(path, "<templatestring>") == 0 ? "templatestring" : "templatefile";
  if (nesting >= TEMPLATE_MAX_NESTING)
    rt_error(rt, "%s: templates nested more than %d deep (does %s render itself?)", fname,
             TEMPLATE_MAX_NESTING, path);
  if (vars.tag != VT_MAP) rt_error(rt, "%s: the variables must be a map", fname);
  Buf b = {0};
  adds(&b, "let __template = \"\"\"\n");
  uint32_t bad = 0;
  if (!add_body(&b, text, len, &bad)) {
    free(b.p);
    rt_error(rt, "%s: %s:%u: a ${ is never closed", fname, path, bad);
  }
  adds(&b, "\"\"\"\n");
  for (uint32_t i = 0; i < vars.as.m->n; i++) {
    const VStr *k = vars.as.m->e[i].key;
    Val v = vars.as.m->e[i].val;
    if (!is_ident(k->s, k->len)) {
      free(b.p);
      rt_error(rt, "%s: the variable name \"%s\" is not a Plat name", fname, k->s);
    }
    adds(&b, "let ");
    add(&b, k->s, k->len);
    /* an empty list or map needs a type to be a let */
    if (v.tag == VT_LIST && v.as.l->n == 0) adds(&b, ": list<string>");
    if (v.tag == VT_MAP && v.as.m->n == 0) adds(&b, ": map<string>");
    adds(&b, " = ");
    if (!add_literal(&b, v, 0)) {
      free(b.p);
      rt_error(rt, "%s: the variable '%s' cannot be given to a template", fname, k->s);
    }
    adds(&b, "\n");
  }
  Plat *p = plat_new();
  plat_check_source(p, path, b.p, b.n);
  free(b.p);
  char msg[RT_ERRMAX + 600];
  msg[0] = 0;
  for (uint32_t i = 0; i < p->diags.n && !msg[0]; i++) {
    const Diag *d = p->diags.items[i];
    if (d->sev != SEV_ERROR) continue;
    LineCol lc = d->span.file != SPAN_NO_FILE ? source_linecol(&p->sources, d->span.file, d->span.start)
                                              : (LineCol){1, 1, 1};
    /* line 1 of the module is `let __template = """`: the template's lines follow */
    snprintf(msg, sizeof msg, "%s: %s:%u:%u: %s", fname, path, lc.line > 1 ? lc.line - 1 : 1, lc.col, d->msg);
  }
  BcModule *m = msg[0] ? NULL : emit_program(p);
  if (!m && !msg[0]) snprintf(msg, sizeof msg, "%s: %s cannot be compiled", fname, path);
  Val out = val_null();
  if (m) {
    VmOptions o = {0};
    o.no_policies = true;
    o.no_finish = true;
    Vm *vm = vm_new(m, &o);
    Graph g;
    graph_init(&g, vm_rt(vm));
    VmError err;
    nesting++;
    bool ok = vm_run(vm, &g, &err);
    nesting--;
    Val v;
    if (!ok) snprintf(msg, sizeof msg, "%s: %s: %s", fname, err.loc[0] ? err.loc : path, err.msg);
    else if (vm_global(vm, "__template", &v) && v.tag == VT_STR) out = val_str(rt, v.as.s->s, v.as.s->len);
    else snprintf(msg, sizeof msg, "%s: %s gave no text", fname, path);
    graph_free(&g);
    vm_free(vm);
    bc_free(m);
  }
  plat_free(p);
  if (msg[0]) rt_error(rt, "%.1000s", msg);
  return out;
}

/* templatestring(template, vars): the same renderer, over a string instead of a file. */
Val sl_templatestring(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  return vm_template(rt, "<templatestring>", args[0].as.s->s, args[0].as.s->len, args[1]);
}
