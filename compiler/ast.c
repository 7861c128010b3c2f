/* AST helpers: node constructors for the grammar actions, list finishing, doc comments
 * (/// runs attached to the declaration or field that follows them) and ast_dump, the
 * span-free S-expression of a file that parser tests and the formatter's "meaning did not
 * change" check compare.  Parsing itself is in grammar.y (parse_file) and lexer.re. */
#include "compiler/ast.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/parse.h"

#ifdef PLAT_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* The bytes an Expr of [kind] uses: its header and its own member of the union.  A large
 * program is mostly names, members, strings and literals, which need half of sizeof(Expr)
 * (the comprehensions make the union big), so nodes are allocated at this size, as SQLite
 * does with EXPR_REDUCEDSIZE.  The contract in ast.h: never copy an Expr by value, never
 * change its kind. */
static size_t expr_size(ExprKind kind) {
  const Expr *x = NULL;
  size_t u;
  switch (kind) {
  case EX_ERROR: case EX_NULL: u = 0; break;
  case EX_INT: u = sizeof x->u.i; break;
  case EX_FLOAT: u = sizeof x->u.f; break;
  case EX_BOOL: u = sizeof x->u.b; break;
  case EX_STRING: u = sizeof x->u.str; break;
  case EX_NAME: u = sizeof x->u.name; break;
  case EX_LIST: u = sizeof x->u.list; break;
  case EX_RECORD: u = sizeof x->u.record; break;
  case EX_MEMBER: u = sizeof x->u.member; break;
  case EX_INDEX: u = sizeof x->u.index; break;
  case EX_CALL: u = sizeof x->u.call; break;
  case EX_UNARY: u = sizeof x->u.unary; break;
  case EX_BINARY: u = sizeof x->u.binary; break;
  case EX_IF: u = sizeof x->u.cond; break;
  default: return sizeof(Expr);
  }
  size_t n = offsetof(Expr, u) + u;
  return n < sizeof(Expr) ? n : sizeof(Expr);
}

Expr *ast_expr(Arena *a, ExprKind kind, Span span) {
  size_t n = expr_size(kind);
#ifdef PLAT_ASAN
  /* Under AddressSanitizer allocate the whole node but poison what the kind does not
     use, so reading another kind's member is reported instead of reading a neighbour. */
  Expr *e = arena_alloc(a, sizeof *e);
  ASAN_POISON_MEMORY_REGION((char *)e + n, sizeof *e - n);
#else
  Expr *e = arena_alloc(a, n);
#endif
  e->kind = kind;
  e->span = span;
  return e;
}

TypeExpr *ast_type(Arena *a, TypeExprKind kind, Span span) {
  TypeExpr *t = arena_alloc(a, sizeof *t);
  t->kind = kind;
  t->span = span;
  return t;
}

Decl *ast_decl(Arena *a, DeclKind kind, Span span) {
  Decl *d = arena_alloc(a, sizeof *d);
  d->kind = kind;
  d->span = span;
  return d;
}

void **ast_vec_finish(Arena *a, PtrVec *v, uint32_t *n) {
  *n = v->n;
  if (v->n == 0) return NULL;
  if (v->n == v->cap) return v->items;   /* already right-sized */
  void **items = arena_calloc(a, v->n, sizeof *items);
  memcpy(items, v->items, v->n * sizeof *items);
  return items;
}

const char *ast_binop_text(BinaryOp op) {
  switch (op) {
  case BIN_OR: return "||";
  case BIN_AND: return "&&";
  case BIN_EQ: return "==";
  case BIN_NE: return "!=";
  case BIN_LT: return "<";
  case BIN_LE: return "<=";
  case BIN_GT: return ">";
  case BIN_GE: return ">=";
  case BIN_ADD: return "+";
  case BIN_SUB: return "-";
  case BIN_MUL: return "*";
  case BIN_DIV: return "/";
  case BIN_MOD: return "%";
  case BIN_COALESCE: return "??";
  }
  return "?";
}

const char *ast_decl_keyword(DeclKind k) {
  switch (k) {
  case D_ERROR: return "error";
  case D_USE: return "use";
  case D_IMPORT: return "import";
  case D_PARAM: return "param";
  case D_LET: return "let";
  case D_TYPE: return "type";
  case D_FN: return "fn";
  case D_RESOURCE: return "resource";
  case D_COMPONENT: return "component";
  case D_OUTPUT: return "output";
  case D_POLICY: return "policy";
  case D_TEST: return "test";
  case D_MOVED: return "moved";
  case D_SCHEMA: return "resource";
  case D_ASSERT: return "assert";
  }
  return "?";
}

/* ---- doc comments ------------------------------------------------------------------- */

typedef struct DocTarget {
  uint32_t start;
  const char **slot;
} DocTarget;

typedef struct Targets {
  DocTarget *items;
  uint32_t n, cap;
} Targets;

static void add_target(Targets *t, uint32_t start, const char **slot) {
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 64;
    t->items = plat_xrealloc(t->items, t->cap * sizeof *t->items);
  }
  t->items[t->n].start = start;
  t->items[t->n].slot = slot;
  t->n++;
}

static void type_targets(Targets *t, TypeExpr *ty) {
  /* depth is capped by the parser, so this recursion is bounded */
  if (!ty) return;
  switch (ty->kind) {
  case TE_RECORD:
    for (uint32_t i = 0; i < ty->u.record.nfields; i++) {
      TypeField *f = &ty->u.record.fields[i];
      add_target(t, f->span.start, &f->doc);
      type_targets(t, f->type);
    }
    break;
  case TE_LIST: case TE_MAP: case TE_OPTIONAL: case TE_SECRET:
    type_targets(t, ty->u.elem);
    break;
  case TE_REFINED:
    type_targets(t, ty->u.refined.base);
    break;
  default:
    break;
  }
}

static void decl_targets(Targets *t, Decl *d) {
  if (!d) return;
  uint32_t start = d->ndecos ? d->decos[0].span.start : d->span.start;
  add_target(t, start, &d->doc);
  switch (d->kind) {
  case D_PARAM: type_targets(t, d->u.param.type); break;
  case D_LET: case D_OUTPUT: type_targets(t, d->u.let.type); break;
  case D_TYPE: type_targets(t, d->u.alias.type); break;
  case D_FN:
    for (uint32_t i = 0; i < d->u.fn.nparams; i++) type_targets(t, d->u.fn.params[i].type);
    type_targets(t, d->u.fn.ret);
    break;
  case D_COMPONENT:
    for (uint32_t i = 0; i < d->u.comp.nmembers; i++) decl_targets(t, d->u.comp.members[i]);
    break;
  case D_TEST:
    for (uint32_t i = 0; i < d->u.test.nstmts; i++) decl_targets(t, d->u.test.stmts[i]);
    break;
  case D_SCHEMA:
    for (uint32_t i = 0; i < d->u.schema.nfields; i++) {
      TypeField *f = &d->u.schema.fields[i];
      add_target(t, f->span.start, &f->doc);
      type_targets(t, f->type);
    }
    break;
  default:
    break;
  }
}

static int cmp_target(const void *a, const void *b) {
  const DocTarget *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

static bool only_space(const char *text, uint32_t from, uint32_t to) {
  for (uint32_t i = from; i < to; i++)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') return false;
  return true;
}

/* The offset of the first byte at or after [at] that is not whitespace. */
static uint32_t after_space(const char *text, uint32_t at) {
  while (text[at] == ' ' || text[at] == '\t' || text[at] == '\r' || text[at] == '\n') at++;
  return at;
}

void ast_attach_docs(Arena *a, AstFile *f, const char *text) {
  if (!f->ncomments) return;
  /* Where the text after each run of /// comments starts, in source order: only the
     declarations holding one of these offsets can take a doc comment, so only they are
     walked for targets (a large file has far more declarations than doc comments). */
  uint32_t *nexts = NULL, nnexts = 0, capnexts = 0;
  for (uint32_t i = 0; i < f->ncomments; i++) {
    if (f->comments[i].kind != COMMENT_DOC) continue;
    if (nnexts == capnexts) {
      capnexts = capnexts ? capnexts * 2 : 16;
      nexts = plat_xrealloc(nexts, capnexts * sizeof *nexts);
    }
    nexts[nnexts++] = after_space(text, f->comments[i].span.end);
  }
  Targets t = {0};
  uint32_t nk = 0, prev = 0;
  for (uint32_t i = 0; i < f->ndecls && nnexts; i++) {
    const Decl *d = f->decls[i];
    if (!d) continue;
    uint32_t start = d->ndecos ? d->decos[0].span.start : d->span.start;
    if (start < prev) nk = 0;   /* out of order: look from the first again */
    prev = start;
    while (nk < nnexts && nexts[nk] < start) nk++;
    if (nk < nnexts && nexts[nk] <= d->span.end) decl_targets(&t, f->decls[i]);
  }
  free(nexts);
  if (t.n == 0) { free(t.items); return; }
  /* Declarations come in source order, so the targets almost always do too: sort only
     when they do not (sorting them anyway was 3% of the parse of a large file) */
  bool sorted = true;
  for (uint32_t i = 1; i < t.n && sorted; i++) sorted = t.items[i - 1].start <= t.items[i].start;
  if (!sorted) qsort(t.items, t.n, sizeof *t.items, cmp_target);
  uint32_t ti = 0;
  for (uint32_t i = 0; i < f->ncomments;) {
    if (f->comments[i].kind != COMMENT_DOC) { i++; continue; }
    /* a run of /// comments with only whitespace between them */
    uint32_t j = i + 1, total = 0;
    while (j < f->ncomments && f->comments[j].kind == COMMENT_DOC &&
           only_space(text, f->comments[j - 1].span.end, f->comments[j].span.start))
      j++;
    uint32_t next = after_space(text, f->comments[j - 1].span.end);
    while (ti < t.n && t.items[ti].start < next) ti++;
    if (ti < t.n && t.items[ti].start == next) {
      for (uint32_t k = i; k < j; k++) total += f->comments[k].span.end - f->comments[k].span.start + 1;
      char *doc = arena_alloc(a, total + 1), *o = doc;
      for (uint32_t k = i; k < j; k++) {
        const char *s = text + f->comments[k].span.start + 3;
        const char *e = text + f->comments[k].span.end;
        if (s < e && *s == ' ') s++;
        if (k > i) *o++ = '\n';
        memcpy(o, s, (size_t)(e - s));
        o += e - s;
      }
      *o = 0;
      *t.items[ti].slot = doc;
    }
    i = j;
  }
  free(t.items);
}

/* ---- ast_dump ------------------------------------------------------------------------ */

typedef PlatBuf Buf;
static void put(Buf *b, const char *s, size_t n) { plat_buf_put(b, s, n); }
static void puts_(Buf *b, const char *s) { plat_buf_puts(b, s); }

static void putf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(Buf *b, const char *fmt, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void quoted(Buf *b, const char *s, size_t n) {
  puts_(b, "\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': puts_(b, "\\\""); break;
    case '\\': puts_(b, "\\\\"); break;
    case '\n': puts_(b, "\\n"); break;
    case '\t': puts_(b, "\\t"); break;
    case '\r': puts_(b, "\\r"); break;
    default:
      if (c < 0x20 || c == 0x7F) putf(b, "\\x%02X", c);
      else put(b, (const char *)&c, 1);
    }
  }
  puts_(b, "\"");
}

static bool plain_name(const char *s) {
  if (!*s) return false;
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (!(c == '_' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (p > s && c >= '0' && c <= '9')))
      return false;
  }
  return true;
}

static void ident(Buf *b, Ident id) {
  if (!id.str) { puts_(b, "_"); return; }
  if (plain_name(id.str->s)) put(b, id.str->s, id.str->len);
  else quoted(b, id.str->s, id.str->len);
}

static void dump_expr(Buf *b, const Expr *e);
static void dump_type(Buf *b, const TypeExpr *t);

static void dump_fields(Buf *b, const Field *fs, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    puts_(b, " (");
    ident(b, fs[i].name);
    puts_(b, " ");
    dump_expr(b, fs[i].value);
    puts_(b, ")");
  }
}

static void dump_for(Buf *b, const ForClause *f) {
  puts_(b, "(for ");
  ident(b, f->var1);
  if (f->var2.str) { puts_(b, " "); ident(b, f->var2); }
  puts_(b, " ");
  dump_expr(b, f->source);
  puts_(b, ")");
}

static void dump_exprs(Buf *b, Expr *const *xs, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) { puts_(b, " "); dump_expr(b, xs[i]); }
}

static void dump_expr(Buf *b, const Expr *e) {
  if (!e) { puts_(b, "_"); return; }
  switch (e->kind) {
  case EX_ERROR: puts_(b, "(error)"); break;
  case EX_INT: putf(b, "%" PRId64, e->u.i); break;
  case EX_FLOAT: {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.17g", e->u.f);
    puts_(b, tmp);
    if (!strpbrk(tmp, ".eEni")) puts_(b, ".0");
    break;
  }
  case EX_BOOL: puts_(b, e->u.b ? "true" : "false"); break;
  case EX_NULL: puts_(b, "null"); break;
  case EX_STRING: {
    /* adjacent literal parts are merged, so the dump does not depend on how the text
       was split */
    bool interp = false;
    for (uint32_t i = 0; i < e->u.str.nparts; i++) interp |= e->u.str.parts[i].is_expr;
    if (!interp) {
      Buf t = {0};
      for (uint32_t i = 0; i < e->u.str.nparts; i++) put(&t, e->u.str.parts[i].text, e->u.str.parts[i].len);
      quoted(b, t.s ? t.s : "", t.n);
      free(t.s);
      break;
    }
    puts_(b, "(str");
    for (uint32_t i = 0; i < e->u.str.nparts;) {
      puts_(b, " ");
      if (e->u.str.parts[i].is_expr) { dump_expr(b, e->u.str.parts[i].expr); i++; continue; }
      Buf t = {0};
      while (i < e->u.str.nparts && !e->u.str.parts[i].is_expr) {
        put(&t, e->u.str.parts[i].text, e->u.str.parts[i].len);
        i++;
      }
      quoted(b, t.s ? t.s : "", t.n);
      free(t.s);
    }
    puts_(b, ")");
    break;
  }
  case EX_NAME: ident(b, e->u.name.id); break;
  case EX_LIST:
    puts_(b, "(list");
    dump_exprs(b, e->u.list.items, e->u.list.nitems);
    puts_(b, ")");
    break;
  case EX_RECORD:
    puts_(b, "(record");
    dump_fields(b, e->u.record.fields, e->u.record.nfields);
    puts_(b, ")");
    break;
  case EX_MEMBER:
    puts_(b, "(. ");
    dump_expr(b, e->u.member.obj);
    puts_(b, " ");
    ident(b, e->u.member.name);
    puts_(b, ")");
    break;
  case EX_INDEX:
    puts_(b, "(index ");
    dump_expr(b, e->u.index.obj);
    puts_(b, " ");
    dump_expr(b, e->u.index.index);
    puts_(b, ")");
    break;
  case EX_CALL:
    puts_(b, "(call ");
    dump_expr(b, e->u.call.callee);
    dump_exprs(b, e->u.call.args, e->u.call.nargs);
    puts_(b, ")");
    break;
  case EX_UNARY:
    puts_(b, e->u.unary.op == UN_NEG ? "(neg " : "(! ");
    dump_expr(b, e->u.unary.operand);
    puts_(b, ")");
    break;
  case EX_BINARY:
    putf(b, "(%s ", ast_binop_text(e->u.binary.op));
    dump_expr(b, e->u.binary.lhs);
    puts_(b, " ");
    dump_expr(b, e->u.binary.rhs);
    puts_(b, ")");
    break;
  case EX_IF:
    puts_(b, "(if ");
    dump_expr(b, e->u.cond.cond);
    puts_(b, " ");
    dump_expr(b, e->u.cond.then);
    puts_(b, " ");
    dump_expr(b, e->u.cond.els);
    puts_(b, ")");
    break;
  case EX_LIST_COMP:
    puts_(b, "(listcomp ");
    dump_expr(b, e->u.lcomp.elem);
    puts_(b, " ");
    dump_for(b, &e->u.lcomp.f);
    if (e->u.lcomp.filter) { puts_(b, " (if "); dump_expr(b, e->u.lcomp.filter); puts_(b, ")"); }
    puts_(b, ")");
    break;
  case EX_MAP_COMP:
    puts_(b, "(mapcomp ");
    dump_expr(b, e->u.mcomp.key);
    puts_(b, " ");
    dump_expr(b, e->u.mcomp.value);
    puts_(b, " ");
    dump_for(b, &e->u.mcomp.f);
    if (e->u.mcomp.filter) { puts_(b, " (if "); dump_expr(b, e->u.mcomp.filter); puts_(b, ")"); }
    puts_(b, ")");
    break;
  case EX_INSTANCE:
    puts_(b, "(instance ");
    dump_type(b, e->u.inst.type);
    dump_fields(b, e->u.inst.fields, e->u.inst.nfields);
    puts_(b, ")");
    break;
  }
}

static void dump_tfields(Buf *b, const TypeField *fs, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    puts_(b, fs[i].is_output ? " (output " : " (");
    ident(b, fs[i].name);
    puts_(b, " ");
    dump_type(b, fs[i].type);
    if (fs[i].deflt) { puts_(b, " (default "); dump_expr(b, fs[i].deflt); puts_(b, ")"); }
    puts_(b, ")");
  }
}

static void dump_type(Buf *b, const TypeExpr *t) {
  if (!t) { puts_(b, "_"); return; }
  switch (t->kind) {
  case TE_ERROR: puts_(b, "(error)"); break;
  case TE_NAME:
    for (uint32_t i = 0; i < t->u.name.nparts; i++) {
      if (i) puts_(b, ".");
      ident(b, t->u.name.parts[i]);
    }
    break;
  case TE_LIST: puts_(b, "(list "); dump_type(b, t->u.elem); puts_(b, ")"); break;
  case TE_MAP: puts_(b, "(map "); dump_type(b, t->u.elem); puts_(b, ")"); break;
  case TE_OPTIONAL: puts_(b, "(? "); dump_type(b, t->u.elem); puts_(b, ")"); break;
  case TE_SECRET: puts_(b, "(secret "); dump_type(b, t->u.elem); puts_(b, ")"); break;
  case TE_RECORD:
    puts_(b, "(record");
    dump_tfields(b, t->u.record.fields, t->u.record.nfields);
    puts_(b, ")");
    break;
  case TE_UNION:
    puts_(b, "(union");
    dump_exprs(b, t->u.uni.members, t->u.uni.nmembers);
    puts_(b, ")");
    break;
  case TE_REFINED:
    puts_(b, "(where ");
    dump_type(b, t->u.refined.base);
    puts_(b, " ");
    dump_expr(b, t->u.refined.pred);
    puts_(b, ")");
    break;
  }
}

static void indent(Buf *b, int level) {
  for (int i = 0; i < level; i++) puts_(b, "  ");
}

static void opt_type(Buf *b, const TypeExpr *t) {
  if (t) { puts_(b, " (type "); dump_type(b, t); puts_(b, ")"); }
}

static void dump_decl(Buf *b, const Decl *d, int level) {
  indent(b, level);
  if (!d) { puts_(b, "(error)\n"); return; }
  putf(b, "(%s", d->kind == D_SCHEMA ? "schema" : ast_decl_keyword(d->kind));
  if (d->name.str && d->kind != D_USE) { puts_(b, " "); ident(b, d->name); }
  for (uint32_t i = 0; i < d->ndecos; i++) {
    puts_(b, " (@");
    ident(b, d->decos[i].name);
    if (d->decos[i].has_parens) {
      puts_(b, " (args");
      dump_exprs(b, d->decos[i].args, d->decos[i].nargs);
      puts_(b, ")");
    }
    puts_(b, ")");
  }
  switch (d->kind) {
  case D_ERROR: break;
  case D_USE: puts_(b, " "); ident(b, d->u.use.provider); break;
  case D_IMPORT:
    puts_(b, " ");
    dump_expr(b, d->u.import.path);
    break;
  case D_PARAM:
    opt_type(b, d->u.param.type);
    if (d->u.param.deflt) { puts_(b, " (default "); dump_expr(b, d->u.param.deflt); puts_(b, ")"); }
    if (d->u.param.where) { puts_(b, " (where "); dump_expr(b, d->u.param.where); puts_(b, ")"); }
    break;
  case D_LET: case D_OUTPUT:
    opt_type(b, d->u.let.type);
    puts_(b, " ");
    dump_expr(b, d->u.let.value);
    break;
  case D_TYPE: puts_(b, " "); dump_type(b, d->u.alias.type); break;
  case D_FN:
    puts_(b, " (params");
    for (uint32_t i = 0; i < d->u.fn.nparams; i++) {
      const FnParam *fp = &d->u.fn.params[i];
      puts_(b, " (");
      ident(b, fp->name);
      puts_(b, " ");
      dump_type(b, fp->type);
      if (fp->deflt) { puts_(b, " (default "); dump_expr(b, fp->deflt); puts_(b, ")"); }
      puts_(b, ")");
    }
    puts_(b, ")");
    if (d->u.fn.ret) { puts_(b, " (ret "); dump_type(b, d->u.fn.ret); puts_(b, ")"); }
    puts_(b, " ");
    dump_expr(b, d->u.fn.body);
    break;
  case D_RESOURCE:
    puts_(b, " ");
    dump_type(b, d->u.res.type);
    if (d->u.res.each) { puts_(b, " "); dump_for(b, d->u.res.each); }
    if (d->u.res.cond) { puts_(b, " (if "); dump_expr(b, d->u.res.cond); puts_(b, ")"); }
    puts_(b, " (body");
    dump_fields(b, d->u.res.fields, d->u.res.nfields);
    puts_(b, ")");
    break;
  case D_COMPONENT:
    puts_(b, "\n");
    for (uint32_t i = 0; i < d->u.comp.nmembers; i++) dump_decl(b, d->u.comp.members[i], level + 1);
    indent(b, level);
    break;
  case D_POLICY:
    puts_(b, " ");
    dump_expr(b, d->u.policy.title);
    puts_(b, " ");
    ident(b, d->u.policy.var);
    puts_(b, " ");
    dump_type(b, d->u.policy.type);
    for (uint32_t i = 0; i < d->u.policy.nrules; i++) {
      const PolicyRule *r = &d->u.policy.rules[i];
      puts_(b, r->kind == RULE_DENY ? " (deny " : " (warn ");
      dump_expr(b, r->cond);
      puts_(b, " ");
      dump_expr(b, r->msg);
      puts_(b, ")");
    }
    break;
  case D_TEST:
    puts_(b, " ");
    dump_expr(b, d->u.test.title);
    puts_(b, "\n");
    for (uint32_t i = 0; i < d->u.test.nstmts; i++) dump_decl(b, d->u.test.stmts[i], level + 1);
    indent(b, level);
    break;
  case D_MOVED:
    puts_(b, " ");
    dump_expr(b, d->u.moved.from);
    puts_(b, " ");
    dump_expr(b, d->u.moved.to);
    break;
  case D_SCHEMA:
    dump_tfields(b, d->u.schema.fields, d->u.schema.nfields);
    break;
  case D_ASSERT:
    puts_(b, " ");
    dump_expr(b, d->u.assert_.cond);
    if (d->u.assert_.msg) { puts_(b, " "); dump_expr(b, d->u.assert_.msg); }
    break;
  }
  puts_(b, ")\n");
}

char *ast_dump(Arena *a, const AstFile *f) {
  Buf b = {0};
  puts_(&b, f->is_schema ? "(schema-file\n" : "(file\n");
  for (uint32_t i = 0; i < f->ndecls; i++) dump_decl(&b, f->decls[i], 1);
  puts_(&b, ")\n");
  char *out = arena_strndup(a, b.s, b.n);
  free(b.s);
  return out;
}

bool ast_each_child(const Expr *e, bool (*f)(Expr *child, void *ud), void *ud) {
#define V(x) do { if ((x) && f((x), ud)) return true; } while (0)
  if (!e) return false;
  switch (e->kind) {
  case EX_STRING:
    for (uint32_t i = 0; i < e->u.str.nparts; i++)
      if (e->u.str.parts[i].is_expr) V(e->u.str.parts[i].expr);
    break;
  case EX_LIST: for (uint32_t i = 0; i < e->u.list.nitems; i++) V(e->u.list.items[i]); break;
  case EX_RECORD: for (uint32_t i = 0; i < e->u.record.nfields; i++) V(e->u.record.fields[i].value); break;
  case EX_MEMBER: V(e->u.member.obj); break;
  case EX_INDEX: V(e->u.index.obj); V(e->u.index.index); break;
  case EX_CALL:
    V(e->u.call.callee);
    for (uint32_t i = 0; i < e->u.call.nargs; i++) V(e->u.call.args[i]);
    break;
  case EX_UNARY: V(e->u.unary.operand); break;
  case EX_BINARY: V(e->u.binary.lhs); V(e->u.binary.rhs); break;
  case EX_IF: V(e->u.cond.cond); V(e->u.cond.then); V(e->u.cond.els); break;
  case EX_LIST_COMP: V(e->u.lcomp.f.source); V(e->u.lcomp.filter); V(e->u.lcomp.elem); break;
  case EX_MAP_COMP:
    V(e->u.mcomp.f.source); V(e->u.mcomp.filter); V(e->u.mcomp.key); V(e->u.mcomp.value);
    break;
  case EX_INSTANCE: for (uint32_t i = 0; i < e->u.inst.nfields; i++) V(e->u.inst.fields[i].value); break;
  default: break;
  }
#undef V
  return false;
}
