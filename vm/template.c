/* templatefile(path, vars): the template is the file's text read as the body of a Plat
 * multi-line string, `${...}` interpolations included, with each of [vars] a `let` in
 * scope.  The text and the vars are written out as a small Plat module, checked by the real
 * front end (so a mistake in a template reads like any other, at the template's line) and
 * run on a VM of its own.  Terraform's `%{ if }` and `%{ for }` directives are translated
 * into Plat expressions.  The VM calls this through Rt.template_hook (stdlib/files.c). */
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

typedef PlatBuf Buf;
static void add(Buf *b, const char *s, size_t n) { plat_buf_put(b, s, n); }
static void adds(Buf *b, const char *s) { plat_buf_puts(b, s); }

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

/* ---- the template's text as Plat source --------------------------------------------------
 * Literal text becomes the body of the """ string (escaped), `${...}` is kept as an
 * interpolation, and Terraform's directives become expressions inside one:
 *   %{ if C }A%{ else }B%{ endif }   ->  ${if (C) then "A" else "B"}
 *   %{ for x in XS }A%{ endfor }     ->  ${join("", ["A" for x in (XS)])}   (also `k, v`)
 * where A and B are translated the same way into one-line strings.  `~` next to a brace
 * (`%{~ if C ~}`) strips the whitespace, newlines included, on that side; `$${` and `%%{`
 * are a literal `${` and `%{`.  Errors say which line of the template is wrong. */
typedef struct Tpl {
  const char *t; size_t n, i;
  Buf *b;
  const char *err; uint32_t err_line;
} Tpl;

typedef enum DirKind { DK_IF, DK_ELSE, DK_ENDIF, DK_FOR, DK_ENDFOR, DK_EOF } DirKind;
typedef struct Dir { DirKind kind; const char *arg; size_t arglen; bool strip_l, strip_r; size_t end; } Dir;

static uint32_t line_at(const Tpl *p, size_t at) {
  uint32_t l = 1;
  for (size_t k = 0; k < at && k < p->n; k++) l += p->t[k] == '\n';
  return l;
}

static bool fail_at(Tpl *p, size_t at, const char *msg) {
  if (!p->err) { p->err = msg; p->err_line = line_at(p, at); }
  return false;
}

/* The end of the `{...}` opened at t[at] (the index after its `}`), quotes and braces
 * nested; 0 when it is never closed. */
static size_t close_brace(const Tpl *p, size_t at) {
  int depth = 0;
  bool str = false;
  for (size_t j = at; j < p->n; j++) {
    char d = p->t[j];
    if (str) {
      if (d == '\\') j++;
      else if (d == '"') str = false;
    } else if (d == '"') str = true;
    else if (d == '{') depth++;
    else if (d == '}' && --depth == 0) return j + 1;
  }
  return 0;
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The directive `%{ ... }` at t[at]. */
static bool read_dir(Tpl *p, size_t at, Dir *d) {
  size_t end = close_brace(p, at + 1);
  if (!end) return fail_at(p, at, "a %{ is never closed");
  size_t a = at + 2, z = end - 1;
  d->strip_l = a < z && p->t[a] == '~';
  if (d->strip_l) a++;
  d->strip_r = z > a && p->t[z - 1] == '~';
  if (d->strip_r) z--;
  while (a < z && is_ws(p->t[a])) a++;
  while (z > a && is_ws(p->t[z - 1])) z--;
  size_t w = a;
  while (w < z && ((p->t[w] >= 'a' && p->t[w] <= 'z'))) w++;
  size_t wl = w - a;
  const char *kw = p->t + a;
  if (wl == 2 && !memcmp(kw, "if", 2)) d->kind = DK_IF;
  else if (wl == 4 && !memcmp(kw, "else", 4)) d->kind = DK_ELSE;
  else if (wl == 5 && !memcmp(kw, "endif", 5)) d->kind = DK_ENDIF;
  else if (wl == 3 && !memcmp(kw, "for", 3)) d->kind = DK_FOR;
  else if (wl == 6 && !memcmp(kw, "endfor", 6)) d->kind = DK_ENDFOR;
  else return fail_at(p, at, "unknown directive: a %{ must be if, else, endif, for or endfor");
  while (w < z && is_ws(p->t[w])) w++;
  d->arg = p->t + w;
  d->arglen = z - w;
  bool wants_arg = d->kind == DK_IF || d->kind == DK_FOR;
  if (wants_arg != (d->arglen > 0))
    return fail_at(p, at, wants_arg ? "%{ if } and %{ for } need an expression" : "%{ else }, %{ endif } and %{ endfor } take nothing after the word");
  d->end = end;
  return true;
}

/* Literal text t[a, z) into the string being written: [line] (the """ body) keeps its
 * newlines, a one-line string escapes them. */
static void add_text(Buf *b, const char *t, size_t a, size_t z, bool line) {
  for (size_t k = a; k < z; k++) {
    char c = t[k];
    if (c == '\\') adds(b, "\\\\");
    else if (c == '"') adds(b, "\\\"");
    else if (c == '\r') adds(b, "\\r");
    else if (c == '\t') adds(b, "\\t");
    else if (c == '\n' && !line) adds(b, "\\n");
    else add(b, &t[k], 1);
  }
}

/* Translate from p->i up to a directive that ends this part (else, endif, endfor) or the
 * end; *stop says which, p->i is past it.  [depth] bounds nesting. */
static bool tpl_part(Tpl *p, bool line, int depth, bool strip_first, Dir *stop) {
  if (depth > 64) return fail_at(p, p->i, "directives nested more than 64 deep");
  bool strip_next = strip_first;
  for (;;) {
    /* the literal run up to the next ${, %{ or the end */
    size_t a = p->i, z = a;
    while (z < p->n && !((p->t[z] == '$' || p->t[z] == '%') && z + 1 < p->n && p->t[z + 1] == '{' &&
                         !(z > a && p->t[z - 1] == p->t[z])))
      z++;
    /* $${ and %%{: the doubled sign was part of the run, the brace starts a literal */
    if (strip_next) while (a < z && is_ws(p->t[a])) a++;
    strip_next = false;
    size_t zz = z;
    if (z < p->n && p->t[z] == '%' && z + 2 < p->n && p->t[z + 2] == '~')
      while (zz > a && is_ws(p->t[zz - 1])) zz--;
    /* escape the literal run, turning $${ / %%{ into ${ / %{ as text */
    for (size_t k = a; k < zz; k++) {
      if ((p->t[k] == '$' || p->t[k] == '%') && k + 2 < p->n + 1 && k + 1 < zz && p->t[k + 1] == p->t[k] &&
          k + 2 < p->n && p->t[k + 2] == '{') {
        adds(p->b, p->t[k] == '$' ? "\\${" : "%{");
        k += 2;
        continue;
      }
      add_text(p->b, p->t, k, k + 1, line);
    }
    p->i = z;
    if (z >= p->n) { stop->kind = DK_EOF; return true; }
    if (p->t[z] == '$') {
      size_t end = close_brace(p, z + 1);
      if (!end) return fail_at(p, z, "a ${ is never closed");
      add(p->b, p->t + z, end - z);
      p->i = end;
      continue;
    }
    Dir d;
    if (!read_dir(p, z, &d)) return false;
    p->i = d.end;
    if (d.kind == DK_ELSE || d.kind == DK_ENDIF || d.kind == DK_ENDFOR) { *stop = d; return true; }
    Dir end;
    adds(p->b, "${");
    if (d.kind == DK_IF) {
      adds(p->b, "if (");
      add(p->b, d.arg, d.arglen);
      adds(p->b, ") then \"");
      if (!tpl_part(p, false, depth + 1, d.strip_r, &end)) return false;
      adds(p->b, "\" else \"");
      if (end.kind == DK_ELSE) {
        if (!tpl_part(p, false, depth + 1, end.strip_r, &end)) return false;
      }
      if (end.kind != DK_ENDIF) return fail_at(p, z, "this %{ if } has no %{ endif }");
      adds(p->b, "\"}");
    } else {
      /* `x in XS` or `k, v in XS` */
      const char *in = NULL;
      for (size_t k = 0; k + 4 <= d.arglen && !in; k++)
        if (is_ws(d.arg[k]) && d.arg[k + 1] == 'i' && d.arg[k + 2] == 'n' && is_ws(d.arg[k + 3])) in = d.arg + k;
      if (!in) return fail_at(p, z, "%{ for } needs `NAME in EXPR` or `KEY, VALUE in EXPR`");
      adds(p->b, "join(\"\", [\"");
      if (!tpl_part(p, false, depth + 1, d.strip_r, &end)) return false;
      if (end.kind != DK_ENDFOR) return fail_at(p, z, "this %{ for } has no %{ endfor }");
      adds(p->b, "\" for ");
      add(p->b, d.arg, (size_t)(in - d.arg));
      adds(p->b, " in (");
      add(p->b, in + 4, d.arglen - (size_t)(in + 4 - d.arg));
      adds(p->b, ")])}");
    }
    strip_next = end.strip_r;
  }
}

Val vm_template(Rt *rt, const char *path, const char *text, size_t len, Val vars) {
  const char *fname = strcmp(path, "<templatestring>") == 0 ? "templatestring" : "templatefile";
  if (nesting >= TEMPLATE_MAX_NESTING)
    rt_error(rt, "%s: templates nested more than %d deep (does %s render itself?)", fname,
             TEMPLATE_MAX_NESTING, path);
  if (vars.tag != VT_MAP) rt_error(rt, "%s: the variables must be a map", fname);
  /* An empty list or map variable needs an element type to be a let, and nothing in it
   * says which: try each of these in turn (every one gives the same text for an empty
   * collection) and keep the first the template checks with; report the first's errors. */
  static const char *const elems[] = {"string", "int", "float", "bool", "map<string>", "list<string>"};
  enum { NELEMS = sizeof elems / sizeof *elems };
  char msg[RT_ERRMAX + 600];
  msg[0] = 0;
  Plat *p = NULL;
  for (int cand = 0; cand < NELEMS; cand++) {
    Buf b = {0};
    bool empties = false;
    adds(&b, "let __template = \"\"\"\n");
    Tpl tp = {text, len, 0, &b, NULL, 0};
    Dir stop;
    if (tpl_part(&tp, true, 0, false, &stop) && stop.kind != DK_EOF)
      fail_at(&tp, tp.i, stop.kind == DK_ELSE ? "a %{ else } outside a %{ if }"
                          : stop.kind == DK_ENDIF ? "a %{ endif } without its %{ if }"
                                                   : "a %{ endfor } without its %{ for }");
    if (tp.err) {
      free(b.s);
      rt_error(rt, "%s: %s:%u: %s", fname, path, tp.err_line, tp.err);
    }
    adds(&b, "\"\"\"\n");
    for (uint32_t i = 0; i < vars.as.m->n; i++) {
      const VStr *k = vars.as.m->e[i].key;
      Val v = vars.as.m->e[i].val;
      if (!is_ident(k->s, k->len)) {
        free(b.s);
        rt_error(rt, "%s: the variable name \"%s\" is not a Plat name", fname, k->s);
      }
      adds(&b, "let ");
      add(&b, k->s, k->len);
      if ((v.tag == VT_LIST && v.as.l->n == 0) || (v.tag == VT_MAP && v.as.m->n == 0)) {
        adds(&b, v.tag == VT_LIST ? ": list<" : ": map<");
        adds(&b, elems[cand]);
        adds(&b, ">");
        empties = true;
      }
      adds(&b, " = ");
      if (!add_literal(&b, v, 0)) {
        free(b.s);
        rt_error(rt, "%s: the variable '%s' cannot be given to a template", fname, k->s);
      }
      adds(&b, "\n");
    }
    if (p) plat_free(p);
    p = plat_new();
    plat_check_source(p, path, b.s, b.n);
    free(b.s);
    bool errors = false;
    for (uint32_t i = 0; i < p->diags.n && !errors; i++) {
      const Diag *d = p->diags.items[i];
      if (d->sev != SEV_ERROR) continue;
      errors = true;
      if (cand > 0) break;
      LineCol lc = d->span.file != SPAN_NO_FILE ? source_linecol(&p->sources, d->span.file, d->span.start)
                                                : (LineCol){1, 1, 1};
      /* line 1 of the module is `let __template = """`: the template's lines follow */
      snprintf(msg, sizeof msg, "%s: %s:%u:%u: %s", fname, path, lc.line > 1 ? lc.line - 1 : 1, lc.col, d->msg);
    }
    if (!errors) { msg[0] = 0; break; }
    if (!empties) break;
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
