/* textDocument/semanticTokens/full and /range: the lexer's tokens (keywords, numbers,
 * strings, operators, comments) with each identifier classified by what the checker bound
 * it to (a parameter, a function, a resource type, a provider ...), in the standard token
 * types.  Multi-line tokens (comments, """ strings) are split per line, since clients need
 * not support tokens that span lines.  Punctuation gets no token. */
#include <stdlib.h>
#include <string.h>

#include "compiler/check.h"
#include "compiler/grammar.h"
#include "compiler/lexer.h"
#include "compiler/types.h"
#include "lsp/docs.h"

/* The legend, advertised in the capability: indexes below are positions in these lists. */
enum {
  TT_NAMESPACE, TT_TYPE, TT_CLASS, TT_PARAMETER, TT_VARIABLE, TT_PROPERTY, TT_FUNCTION,
  TT_KEYWORD, TT_COMMENT, TT_STRING, TT_NUMBER, TT_OPERATOR, TT_DECORATOR, TT_ENUM_MEMBER,
};
enum { TM_DECLARATION = 1, TM_READONLY = 2, TM_DOCUMENTATION = 4, TM_DEFAULT_LIBRARY = 8 };
#define LEGEND                                                                              \
  "{\"legend\":{\"tokenTypes\":[\"namespace\",\"type\",\"class\",\"parameter\",\"variable\"," \
  "\"property\",\"function\",\"keyword\",\"comment\",\"string\",\"number\",\"operator\","     \
  "\"decorator\",\"enumMember\"],\"tokenModifiers\":[\"declaration\",\"readonly\","           \
  "\"documentation\",\"defaultLibrary\"]}"

typedef struct Tok {
  uint32_t start, end;
  uint8_t type, mods;
} Tok;

typedef struct TokVec {
  Tok *v;
  uint32_t n, cap;
} TokVec;

static void push(TokVec *t, uint32_t start, uint32_t end, int type, int mods) {
  if (end <= start) return;
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 256;
    t->v = plat_xrealloc(t->v, t->cap * sizeof *t->v);
  }
  t->v[t->n++] = (Tok){start, end, (uint8_t)type, (uint8_t)mods};
}

/* ---- names, from the checked AST ------------------------------------------------------ */
static void name_tok(TokVec *names, Ident id, int type, int mods) {
  if (id.str && id.span.file != SPAN_NO_FILE) push(names, id.span.start, id.span.end, type, mods);
}

static void sym_class(const Sym *s, int *type, int *mods) {
  *mods = 0;
  if (!s) { *type = TT_VARIABLE; return; }
  switch (s->kind) {
  case SYM_PARAM: case SYM_FNPARAM: *type = TT_PARAMETER; break;
  case SYM_LET: case SYM_TESTLET: *type = TT_VARIABLE; *mods = TM_READONLY; break;
  case SYM_TYPE: *type = TT_TYPE; break;
  case SYM_FN: *type = TT_FUNCTION; break;
  case SYM_COMPONENT: case SYM_RESTYPE: *type = TT_CLASS; break;
  case SYM_OUTPUT: *type = TT_PROPERTY; break;
  case SYM_PROVIDER: case SYM_IMPORT: *type = TT_NAMESPACE; break;
  case SYM_BUILTIN: *type = TT_FUNCTION; *mods = TM_DEFAULT_LIBRARY; break;
  case SYM_PRIMTYPE: *type = TT_TYPE; *mods = TM_DEFAULT_LIBRARY; break;
  default: *type = TT_VARIABLE; break;
  }
}

static void walk_expr(TokVec *names, const Expr *e);

static void walk_type(TokVec *names, const TypeExpr *t) {
  if (!t) return;
  switch (t->kind) {
  case TE_NAME:
    for (uint32_t i = 0; i < t->u.name.nparts; i++) {
      bool last = i + 1 == t->u.name.nparts;
      const Type *ty = t->ty ? ty_unalias(t->ty) : NULL;
      int type = !last ? TT_NAMESPACE : ty && ty->kind == TY_RESOURCE ? TT_CLASS : TT_TYPE;
      name_tok(names, t->u.name.parts[i], type, 0);
    }
    break;
  case TE_LIST: case TE_MAP: case TE_OPTIONAL: case TE_SECRET: walk_type(names, t->u.elem); break;
  case TE_RECORD:
    for (uint32_t i = 0; i < t->u.record.nfields; i++) {
      const TypeField *f = &t->u.record.fields[i];
      name_tok(names, f->name, TT_PROPERTY, TM_DECLARATION);
      walk_type(names, f->type);
      walk_expr(names, f->deflt);
    }
    break;
  case TE_UNION:
    for (uint32_t i = 0; i < t->u.uni.nmembers; i++) {
      const Expr *m = t->u.uni.members[i];
      if (m) push(names, m->span.start, m->span.end, TT_ENUM_MEMBER, 0);
    }
    break;
  case TE_REFINED:
    walk_type(names, t->u.refined.base);
    walk_expr(names, t->u.refined.pred);
    break;
  default: break;
  }
}

static void walk_fields(TokVec *names, const Field *f, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (!f[i].quoted) name_tok(names, f[i].name, TT_PROPERTY, 0);
    walk_expr(names, f[i].value);
  }
}

static void walk_for(TokVec *names, const ForClause *f) {
  name_tok(names, f->var1, TT_VARIABLE, TM_DECLARATION);
  name_tok(names, f->var2, TT_VARIABLE, TM_DECLARATION);
  walk_expr(names, f->source);
}

static bool walk_child(Expr *child, void *names) {
  walk_expr(names, child);
  return false;
}

static void walk_expr(TokVec *names, const Expr *e) {
  if (!e) return;
  int type, mods;
  switch (e->kind) {
  case EX_NAME:
    sym_class(e->u.name.sym, &type, &mods);
    name_tok(names, e->u.name.id, type, mods);
    return;
  case EX_RECORD: walk_fields(names, e->u.record.fields, e->u.record.nfields); return;
  case EX_MEMBER:
    walk_expr(names, e->u.member.obj);
    name_tok(names, e->u.member.name, TT_PROPERTY, 0);
    return;
  case EX_CALL:
    if (e->u.call.callee && e->u.call.callee->kind == EX_MEMBER) {
      walk_expr(names, e->u.call.callee->u.member.obj);
      name_tok(names, e->u.call.callee->u.member.name, TT_FUNCTION, 0);
    } else {
      walk_expr(names, e->u.call.callee);
    }
    for (uint32_t i = 0; i < e->u.call.nargs; i++) walk_expr(names, e->u.call.args[i]);
    return;
  case EX_LIST_COMP:
    walk_for(names, &e->u.lcomp.f);
    walk_expr(names, e->u.lcomp.elem);
    walk_expr(names, e->u.lcomp.filter);
    return;
  case EX_MAP_COMP:
    walk_for(names, &e->u.mcomp.f);
    walk_expr(names, e->u.mcomp.key);
    walk_expr(names, e->u.mcomp.value);
    walk_expr(names, e->u.mcomp.filter);
    return;
  case EX_INSTANCE:
    walk_type(names, e->u.inst.type);
    walk_fields(names, e->u.inst.fields, e->u.inst.nfields);
    return;
  default:
    /* strings, lists, indexes, unary and binary operators, if: their child expressions */
    ast_each_child(e, walk_child, names);
    return;
  }
}

static void walk_decl(TokVec *names, const Decl *d) {
  if (!d) return;
  for (uint32_t i = 0; i < d->ndecos; i++) {
    name_tok(names, d->decos[i].name, TT_DECORATOR, 0);
    for (uint32_t k = 0; k < d->decos[i].nargs; k++) walk_expr(names, d->decos[i].args[k]);
  }
  switch (d->kind) {
  case D_USE: name_tok(names, d->name, TT_NAMESPACE, TM_DECLARATION); break;
  case D_IMPORT:
    name_tok(names, d->u.import.alias, TT_NAMESPACE, TM_DECLARATION);
    break;
  case D_PARAM:
    name_tok(names, d->name, TT_PARAMETER, TM_DECLARATION);
    walk_type(names, d->u.param.type);
    walk_expr(names, d->u.param.deflt);
    walk_expr(names, d->u.param.where);
    break;
  case D_LET: case D_OUTPUT:
    name_tok(names, d->name, d->kind == D_LET ? TT_VARIABLE : TT_PROPERTY,
             TM_DECLARATION | (d->kind == D_LET ? TM_READONLY : 0));
    walk_type(names, d->u.let.type);
    walk_expr(names, d->u.let.value);
    break;
  case D_TYPE:
    name_tok(names, d->name, TT_TYPE, TM_DECLARATION);
    walk_type(names, d->u.alias.type);
    break;
  case D_FN:
    name_tok(names, d->name, TT_FUNCTION, TM_DECLARATION);
    for (uint32_t i = 0; i < d->u.fn.nparams; i++) {
      name_tok(names, d->u.fn.params[i].name, TT_PARAMETER, TM_DECLARATION);
      walk_type(names, d->u.fn.params[i].type);
      walk_expr(names, d->u.fn.params[i].deflt);
    }
    walk_type(names, d->u.fn.ret);
    walk_expr(names, d->u.fn.body);
    break;
  case D_RESOURCE:
    name_tok(names, d->name, TT_VARIABLE, TM_DECLARATION);
    walk_type(names, d->u.res.type);
    if (d->u.res.each) walk_for(names, d->u.res.each);
    walk_expr(names, d->u.res.cond);
    walk_fields(names, d->u.res.fields, d->u.res.nfields);
    break;
  case D_COMPONENT:
    name_tok(names, d->name, TT_CLASS, TM_DECLARATION);
    for (uint32_t i = 0; i < d->u.comp.nmembers; i++) walk_decl(names, d->u.comp.members[i]);
    break;
  case D_POLICY:
    name_tok(names, d->u.policy.var, TT_VARIABLE, TM_DECLARATION);
    walk_type(names, d->u.policy.type);
    for (uint32_t i = 0; i < d->u.policy.nrules; i++) {
      walk_expr(names, d->u.policy.rules[i].cond);
      walk_expr(names, d->u.policy.rules[i].msg);
    }
    break;
  case D_TEST:
    for (uint32_t i = 0; i < d->u.test.nstmts; i++) walk_decl(names, d->u.test.stmts[i]);
    break;
  case D_ASSERT:
    walk_expr(names, d->u.assert_.cond);
    walk_expr(names, d->u.assert_.msg);
    break;
  case D_MOVED:
    walk_expr(names, d->u.moved.from);
    walk_expr(names, d->u.moved.to);
    break;
  case D_SCHEMA:
    name_tok(names, d->name, TT_CLASS, TM_DECLARATION);
    for (uint32_t i = 0; i < d->u.schema.nfields; i++) {
      name_tok(names, d->u.schema.fields[i].name, TT_PROPERTY, TM_DECLARATION);
      walk_type(names, d->u.schema.fields[i].type);
    }
    break;
  default: break;
  }
}

static int cmp_tok(const void *a, const void *b) {
  const Tok *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

static const Tok *find_name(const TokVec *names, uint32_t start) {
  uint32_t lo = 0, hi = names->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (names->v[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo < names->n && names->v[lo].start == start ? &names->v[lo] : NULL;
}

/* ---- tokens ---------------------------------------------------------------------------- */
static int token_type(int kind) {
  switch (kind) {
  case T_INT: case T_FLOAT: return TT_NUMBER;
  case T_STRING: case T_STR_HEAD: case T_STR_MID: case T_STR_TAIL: return TT_STRING;
  case T_AT: return TT_DECORATOR;
  case T_ARROW: case T_QUESTION: case T_COALESCE: case T_PIPE: case T_PLUS: case T_MINUS:
  case T_STAR: case T_SLASH: case T_PERCENT: case T_BANG: case T_EQ: case T_NE: case T_LT:
  case T_LE: case T_GT: case T_GE: case T_ANDAND: case T_OROR: case T_ASSIGN:
    return TT_OPERATOR;
  default:
    if (kind >= T_USE && kind <= T_SELF) return TT_KEYWORD;
    return -1;
  }
}

/* Every token of [doc], sorted by start; identifiers classified by [names]. */
static void lex_doc(LspDoc *doc, const TokVec *names, TokVec *out) {
  Plat *p = plat_new();
  uint32_t id = source_add(&p->sources, doc->path ? doc->path : doc->uri, doc->text, doc->len);
  ParseInput in = {.arena = &p->arena, .strs = &p->strs, .diags = &p->diags,
                   .sources = &p->sources, .file = id};
  Lexer *lx = plat_xmalloc(sizeof *lx);   /* large: keep it off the stack */
  lex_init(lx, &in);
  for (;;) {
    union PPSTYPE val;
    Span loc;
    int kind = lex_next(lx, &val, &loc);
    if (kind == T_END) break;
    const Tok *nm = kind == T_IDENT || (kind >= T_USE && kind <= T_SELF) ? find_name(names, loc.start) : NULL;
    if (nm) push(out, loc.start, loc.end, nm->type, nm->mods);
    else if (kind == T_IDENT) push(out, loc.start, loc.end, TT_VARIABLE, 0);
    else if (token_type(kind) >= 0) push(out, loc.start, loc.end, token_type(kind), 0);
  }
  for (uint32_t i = 0; i < lx->ncomments; i++) {
    const Comment *c = &lx->comments[i];
    push(out, c->span.start, c->span.end, TT_COMMENT, c->kind == COMMENT_DOC ? TM_DOCUMENTATION : 0);
  }
  lex_free(lx);
  free(lx);
  plat_free(p);
  if (out->n) qsort(out->v, out->n, sizeof *out->v, cmp_tok);
}

/* Encode the tokens of [doc] overlapping bytes [from, to) as LSP's relative integers. */
static json_t *encode(LspDoc *doc, const TokVec *toks, uint32_t from, uint32_t to) {
  json_t *data = json_array();
  uint32_t pline = 0, pchar = 0, lastend = 0;
  for (uint32_t i = 0; i < toks->n; i++) {
    const Tok *t = &toks->v[i];
    if (t->end <= from || t->start >= to || t->start < lastend) continue;   /* no overlaps */
    lastend = t->end;
    uint32_t sl, sc, el, ec;
    lsp_position_at(doc->text, doc->len, &doc->lines, t->start, &sl, &sc);
    lsp_position_at(doc->text, doc->len, &doc->lines, t->end, &el, &ec);
    for (uint32_t line = sl; line <= el; line++) {
      /* the piece of the token on this line */
      uint32_t c0 = line == sl ? sc : 0, c1;
      if (line == el) {
        c1 = ec;
      } else {
        uint32_t l, c;
        uint32_t next = doc->lines.starts[line + 1];
        uint32_t cend = next;
        if (cend > 0 && doc->text[cend - 1] == '\n') cend--;
        if (cend > doc->lines.starts[line] && doc->text[cend - 1] == '\r') cend--;
        lsp_position_at(doc->text, doc->len, &doc->lines, cend, &l, &c);
        c1 = c;
      }
      if (c1 <= c0) continue;
      json_array_append_new(data, json_integer(line - pline));
      json_array_append_new(data, json_integer(line == pline ? c0 - pchar : c0));
      json_array_append_new(data, json_integer(c1 - c0));
      json_array_append_new(data, json_integer(t->type));
      json_array_append_new(data, json_integer(t->mods));
      pline = line;
      pchar = c0;
    }
  }
  return json_pack("{s:o}", "data", data);
}

static json_t *tokens(LspServer *s, json_t *params, LspError *err, bool ranged) {
  LspDoc *doc = lsp_param_doc(s, params, err);
  if (!doc) return NULL;
  uint32_t from = 0, to = (uint32_t)doc->len + 1;
  if (ranged && !lsp_range_offsets(doc, json_object_get(params, "range"), &from, &to, err)) return NULL;
  TokVec names = {0}, toks = {0};
  uint32_t file;
  Plat *p = lsp_doc_plat(s, doc, &file);
  AstFile *f = p && file != UINT32_MAX ? lsp_ast_file(p, file) : NULL;
  /* the check may be of an older text only if the buffer changed during this request,
     which cannot happen: lsp_doc_plat checks the buffer as it is */
  for (uint32_t i = 0; f && i < f->ndecls; i++) walk_decl(&names, f->decls[i]);
  if (names.n) qsort(names.v, names.n, sizeof *names.v, cmp_tok);
  lex_doc(doc, &names, &toks);
  json_t *r = encode(doc, &toks, from, to);
  free(names.v);
  free(toks.v);
  return r;
}

static json_t *h_full(LspServer *s, json_t *params, LspError *err) { return tokens(s, params, err, false); }
static json_t *h_range(LspServer *s, json_t *params, LspError *err) { return tokens(s, params, err, true); }

void lsp_tokens_register(LspServer *s) {
  lsp_register(s, "textDocument/semanticTokens/full", h_full, "semanticTokensProvider",
               LEGEND ",\"full\":true}");
  lsp_register(s, "textDocument/semanticTokens/range", h_range, "semanticTokensProvider",
               LEGEND ",\"range\":true}");
}
