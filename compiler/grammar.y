/* Edit this file; the C is generated (Bison, into build/gen/compiler/grammar.{c,h}).
 * The Plat grammar (docs/language.md §2) as a pure LALR(1) Bison parser with no conflicts
 * but the operator ones, which the precedence declarations settle.
 * Actions only build AST nodes (ast.h) in the arena and report syntax errors (E01xx);
 * names and types are the checker's.  Recovery happens at declaration, member, field, item
 * and rule level, so one mistake does not hide the next.  parse_file, the entry point of
 * parse.h, is at the end. */
%require "3.8"
%define api.pure full
%define api.prefix {pp}
%define api.token.prefix {T_}
%define api.location.type {Span}
%define parse.error custom
%define parse.lac full   /* used only when a file has a syntax error: see parse_file */
%locations
%expect 0           /* no unresolved conflicts (%expect-rr is for GLR parsers only) */
%param {Parser *p}

%code requires {
#include "compiler/lexer.h"
typedef struct Parser Parser;
/* A list being built on one of the parser's scratch stacks: items [start, start+n). */
typedef struct List {
  uint32_t start, n;
} List;
}

%code provides {
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                   \
  do {                                                                \
    if (N) {                                                          \
      (Cur).file = YYRHSLOC(Rhs, 1).file;                             \
      (Cur).start = YYRHSLOC(Rhs, 1).start;                           \
      (Cur).end = YYRHSLOC(Rhs, N).end;                               \
    } else {                                                          \
      (Cur).file = YYRHSLOC(Rhs, 0).file;                             \
      (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;                 \
    }                                                                 \
  } while (0)
}

%code {
#include <stdio.h>
#include <string.h>

/* The parser's state: the lexer, the input and the file being built. */
struct Parser {
  Lexer lx;
  const ParseInput *in;
  Arena *a;
  AstFile *file;
  Decl **decls; uint32_t ndecls, capdecls;   /* the file's, malloc'd until the end */
  PtrVec mins;          /* 9223372036854775808 literals not (yet) under a unary minus */
  bool deep;            /* E0101 reported for an expression */
  /* Scratch stacks for lists under construction (malloc'd, reused): a list's items are
   * contiguous because inner lists finish (and pop) before the outer item is pushed.  A
   * list abandoned by error recovery leaves items above its parent's, which the parent's
   * next push overwrites.  Only finished lists are copied into the arena, right-sized. */
  Expr **xs; uint32_t nxs, capxs;       /* list items, call and decorator arguments, ${ } */
  Field *fs; uint32_t nfs, capfs;       /* fields of bodies and record literals */
  Ident *ids; uint32_t nids, capids;    /* parts of dotted names */
  LexStr *ss; uint32_t nss, capss;      /* pieces of interpolated strings */
  int *yychar;          /* Bison's lookahead, to re-read after an error at the end */
  Field field;          /* the field just parsed (see `fields`) */
  bool lac;             /* LAC on: this is the parse whose errors are reported */
  bool restart;         /* the parse without LAC met an error: parse again with it */
  uint32_t unclosed_said;   /* 1 + offset of the bracket an error already called unclosed */
};

#define STACK_PUSH(P, ARR, N, CAP, LIST, ITEM)                                   \
  do {                                                                          \
    (P)->N = (LIST)->start + (LIST)->n;                                         \
    if ((P)->N == (P)->CAP) {                                                   \
      (P)->CAP = (P)->CAP ? (P)->CAP * 2 : 64;                                  \
      (P)->ARR = plat_xrealloc((P)->ARR, (size_t)(P)->CAP * sizeof *(P)->ARR);  \
    }                                                                           \
    (P)->ARR[(P)->N++] = (ITEM);                                                \
    (LIST)->n++;                                                                \
  } while (0)

#define YYMAXDEPTH 10000   /* Bison's own stack; exhausting it is reported as E0101 */

/* Bison calls yylex inside yyparse, where its error-recovery counter yyerrstatus is in
 * scope: pass it along so the lexer can skip whole bracketed groups that recovery
 * discards (their insides would otherwise be parsed out of context).  (p->yychar is set
 * once, in %initial-action.) */
#define pplex(val, loc, p) lex_next_rec(&(p)->lx, val, loc, yyerrstatus == 3)
static void pperror(const Span *loc, Parser *p, const char *msg);

/* ---- expression helpers ---- */

/* Give [e] the depth of its deepest child plus one; past PARSE_MAX_DEPTH report E0101
 * (once per file) and replace it by a childless EX_ERROR, so no later pass recurses deep. */
static Expr *deepen(Parser *p, Expr *e, unsigned child) {
  unsigned d = child + 1;
  if (d <= PARSE_MAX_DEPTH) { e->depth = (uint16_t)d; return e; }
  if (!p->deep) {
    p->deep = true;
    Diag *g = lex_error(&p->lx, DIAG_E0101, e->span.start, e->span.end,
                        "nesting too deep (limit is %d)", PARSE_MAX_DEPTH);
    diag_help(p->lx.diags, g, "split the expression with `let` bindings");
  }
  Expr *x = ast_expr(p->a, EX_ERROR, e->span);
  x->depth = PARSE_MAX_DEPTH;
  return x;
}

static unsigned dmax(unsigned a, const Expr *e) { return e && e->depth > a ? e->depth : a; }

static Expr *leaf(Parser *p, ExprKind k, Span s) { return ast_expr(p->a, k, s); }

static Expr *unary(Parser *p, UnaryOp op, Expr *x, Span s) {
  Expr *e = ast_expr(p->a, EX_UNARY, s);
  e->u.unary.op = op;
  e->u.unary.operand = x;
  return deepen(p, e, dmax(0, x));
}

static Expr *binary(Parser *p, BinaryOp op, Expr *l, Expr *r, Span s, Span ops) {
  Expr *e = ast_expr(p->a, EX_BINARY, s);
  e->u.binary.op = op;
  e->u.binary.lhs = l;
  e->u.binary.rhs = r;
  e->u.binary.op_span = ops;
  return deepen(p, e, dmax(dmax(0, l), r));
}

static Expr *member(Parser *p, Expr *obj, Ident name, Span s) {
  Expr *e = ast_expr(p->a, EX_MEMBER, s);
  e->u.member.obj = obj;
  e->u.member.name = name;
  return deepen(p, e, obj->depth);
}

static bool is_cmp(const Expr *e) {
  return e->kind == EX_BINARY && e->u.binary.op >= BIN_EQ && e->u.binary.op <= BIN_GE;
}

/* [l] op [r] for a comparison; when [l] is itself a comparison not in parentheses (its
 * span is all of [ls]), `a < b < c` is an error, read as meant, `a < b && ? < c`, with an
 * error node for the shared operand: the checker then types both sides and reports
 * nothing more. */
static Expr *cmp_chain(Parser *p, BinaryOp op, Expr *l, Expr *r, Span s, Span ls, Span ops) {
  if (!is_cmp(l) || l->span.start != ls.start || l->span.end != ls.end)
    return binary(p, op, l, r, s, ops);
  Diag *d = lex_error(&p->lx, DIAG_E0100, ops.start, ops.end, "comparison operators cannot be chained");
  diag_label(p->lx.diags, d, d->span, "second comparison");
  diag_label(p->lx.diags, d, l->u.binary.op_span, "first comparison");
  diag_help(p->lx.diags, d, "compare twice and join with '&&': `a < b && b < c`");
  Expr *mid = leaf(p, EX_ERROR, l->u.binary.rhs->span);
  Expr *second = binary(p, op, mid, r, span_join(mid->span, r->span), ops);
  return binary(p, BIN_AND, l, second, s, ops);
}

static List xbegin(const Parser *p) { List l = {p->nxs, 0}; return l; }
static List xpush(Parser *p, List l, Expr *e) { STACK_PUSH(p, xs, nxs, capxs, &l, e); return l; }
static List fbegin(const Parser *p) { List l = {p->nfs, 0}; return l; }
static List fpush(Parser *p, List l, Field f) { STACK_PUSH(p, fs, nfs, capfs, &l, f); return l; }

/* Copy a finished list into the arena and pop it; *depth grows to its deepest item. */
static Expr **xfinish(Parser *p, List l, uint32_t *n, unsigned *depth) {
  *n = l.n;
  p->nxs = l.start;
  if (!l.n) return NULL;
  Expr **out = arena_calloc(p->a, l.n, sizeof *out);
  memcpy(out, p->xs + l.start, l.n * sizeof *out);
  for (uint32_t i = 0; i < l.n; i++) *depth = dmax(*depth, out[i]);
  return out;
}

static Field *ffinish(Parser *p, List l, uint32_t *n, unsigned *depth) {
  *n = l.n;
  p->nfs = l.start;
  if (!l.n) return NULL;
  Field *out = arena_calloc(p->a, l.n, sizeof *out);
  memcpy(out, p->fs + l.start, l.n * sizeof *out);
  for (uint32_t i = 0; i < l.n; i++) *depth = dmax(*depth, out[i].value);
  return out;
}

static Field field(Ident name, bool quoted, Expr *value, Span s) {
  Field f;
  f.name = name;
  f.quoted = quoted;
  f.value = value;
  f.span = s;
  return f;
}

static Ident string_key(Parser *p, const LexStr *ls, Span s) {
  Expr *e = lex_string_expr(&p->lx, ls, 1, NULL, s);
  Ident id;
  if (e->u.str.nparts == 0) id.str = intern(p->in->strs, "", 0);
  else id.str = intern(p->in->strs, e->u.str.parts[0].text, e->u.str.parts[0].len);
  id.span = s;
  return id;
}

static ForClause *for_vars(Parser *p, Ident v1, Ident v2) {
  ForClause *f = arena_alloc(p->a, sizeof *f);
  f->var1 = v1;
  f->var2 = v2;
  return f;
}

static ForClause for_clause(Ident v1, Ident v2, Expr *src, Span s) {
  ForClause f;
  f.var1 = v1;
  f.var2 = v2;
  f.source = src;
  f.span = s;
  return f;
}

/* A 9223372036854775808 literal is valid only directly under a unary minus. */
static void min_pending(Parser *p, Expr *e) { ptrvec_push(p->a, &p->mins, e); }
static bool min_take(Parser *p, Expr *e) {
  for (uint32_t i = p->mins.n; i-- > 0;)
    if (p->mins.items[i] == e) { p->mins.items[i] = NULL; return true; }
  return false;
}

/* ---- type helpers ---- */

static TypeExpr *tnode(Parser *p, TypeExprKind k, Span s) { return ast_type(p->a, k, s); }

/* Give [t] the depth of its deepest part plus one, capped like expressions (deepen). */
static TypeExpr *tdeep(Parser *p, TypeExpr *t, unsigned child) {
  unsigned d = child + 1;
  if (d <= PARSE_MAX_DEPTH) { t->depth = (uint16_t)d; return t; }
  if (!p->deep) {
    p->deep = true;
    Diag *g = lex_error(&p->lx, DIAG_E0101, t->span.start, t->span.end,
                        "nesting too deep (limit is %d)", PARSE_MAX_DEPTH);
    diag_help(p->lx.diags, g, "name the inner types with `type` aliases");
  }
  TypeExpr *x = ast_type(p->a, TE_ERROR, t->span);
  x->depth = PARSE_MAX_DEPTH;
  return x;
}

static TypeExpr *twrap(Parser *p, TypeExprKind k, TypeExpr *elem, Span s) {
  TypeExpr *t = ast_type(p->a, k, s);
  t->u.elem = elem;
  return tdeep(p, t, elem->depth);
}

/* A name (a.b.c) as a TE_NAME, or NULL when [e] is not a plain dotted name. */
static TypeExpr *expr_to_qualname(Parser *p, Expr *e) {
  uint32_t n = 1;
  const Expr *x = e;
  while (x->kind == EX_MEMBER) { n++; x = x->u.member.obj; }
  if (x->kind != EX_NAME) return NULL;
  TypeExpr *t = tnode(p, TE_NAME, e->span);
  t->u.name.parts = arena_calloc(p->a, n, sizeof(Ident));
  t->u.name.nparts = n;
  x = e;
  for (uint32_t i = n; i-- > 0;) {
    if (x->kind == EX_MEMBER) { t->u.name.parts[i] = x->u.member.name; x = x->u.member.obj; }
    else t->u.name.parts[i] = x->u.name.id;
  }
  return t;
}

/* ---- declaration helpers ---- */

/* A TE_NAME of the [n] parts at [ids]. */
static TypeExpr *qualname_of(Parser *p, const Ident *ids, uint32_t n, Span s) {
  TypeExpr *t = ast_type(p->a, TE_NAME, s);
  t->u.name.nparts = n;
  t->u.name.parts = arena_calloc(p->a, n, sizeof(Ident));
  memcpy(t->u.name.parts, ids, n * sizeof(Ident));
  return t;
}

/* The `for` clause of keyed copies, `for v in source`, spanning [s]. */
static ForClause *each(Parser *p, ForClause *vars, Expr *source, Span s) {
  ForClause *f = arena_alloc(p->a, sizeof *f);
  *f = for_clause(vars->var1, vars->var2, source, s);
  return f;
}

static Decl *decl(Parser *p, DeclKind k, Span s, Ident name) {
  Decl *d = ast_decl(p->a, k, s);
  d->name = name;
  return d;
}

/* resource name: type [for ...] [if cond] { fields }, the body from [lb] to [rb]. */
static Decl *resource_decl(Parser *p, Span s, Ident name, TypeExpr *type, ForClause *each,
                           Expr *cond, List fields, Span lb, Span rb) {
  Decl *d = decl(p, D_RESOURCE, s, name);
  d->u.res.type = type;
  d->u.res.each = each;
  d->u.res.cond = cond;
  unsigned depth = 0;
  d->u.res.fields = ffinish(p, fields, &d->u.res.nfields, &depth);
  d->u.res.body_span = span_join(lb, rb);
  return d;
}

static Ident no_ident(void) { Ident id = {NULL, {0, 0, 0}}; return id; }

static Span keyword_span(const Decl *d) {
  const char *kw = ast_decl_keyword(d->kind);
  return span_make(d->span.file, d->span.start, d->span.start + (uint32_t)strlen(kw));
}

static void check_decorators(Parser *p, Decl *d);
static void check_member(Parser *p, Decl *d, DeclKind container);

/* A declaration at the top level of the file. */
static void top_decl(Parser *p, Decl *d) {
  if (!d) return;
  check_member(p, d, D_ERROR);
  if (p->ndecls == p->capdecls) {
    p->capdecls = p->capdecls ? p->capdecls * 2 : 64;
    p->decls = plat_xrealloc(p->decls, (size_t)p->capdecls * sizeof *p->decls);
  }
  p->decls[p->ndecls++] = d;
}
}

%union {
  Ident id;
  LexNum num;
  LexStr str;
  Expr *expr;
  TypeExpr *type;
  Decl *decl;
  PtrVec vec;
  List lst;
  struct { List segs, xs; } sp;
  TypeField *tfield;
  FnParam *fparam;
  Decorator *deco;
  PolicyRule *rule;
  ForClause *forc;
  int op;
}

/* No %destructor: every semantic value lives in the arena or on the parser's scratch
   stacks, which are freed as a whole, so values discarded by error recovery leak nothing. */

%initial-action {
  @$ = span_make(p->lx.file, 0, 0);
  p->yychar = &yychar;
/* LAC only in the second parse (see parse_file).  yy_lac is Bison's (3.8) check that the
   lookahead can be shifted; defined here, inside yyparse, the macro leaves its definition
   and yypcontext_expected_tokens alone, and calls the function itself when p->lac. */
#define yy_lac(esa, es, cap, ssp, tok) (p->lac ? yy_lac(esa, es, cap, ssp, tok) : 0)
}

%token END 0 "end of file"
%token <id> IDENT "identifier"
%token <num> INT "integer" FLOAT "float"
%token <str> STRING "string" STR_HEAD "string with interpolation"
%token <str> STR_MID "'}' of an interpolation" STR_TAIL "end of an interpolated string"
/* Keywords, contiguous (lexer.re relies on it), in the order of lexer.re's keyword_text. */
%token <id> USE "'use'" IMPORT "'import'" AS "'as'" PARAM "'param'" LET "'let'"
%token <id> TYPE "'type'" FN "'fn'" RESOURCE "'resource'" COMPONENT "'component'"
%token <id> OUTPUT "'output'" POLICY "'policy'" FOR "'for'" IN "'in'" IF "'if'"
%token <id> THEN "'then'" ELSE "'else'" TEST "'test'" ASSERT "'assert'" DENY "'deny'"
%token <id> WARN "'warn'" MOVED "'moved'" WHERE "'where'" SECRET "'secret'" TRUE "'true'"
%token <id> FALSE "'false'" NULL "'null'" SELF "'self'"
%token LBRACE "'{'" RBRACE "'}'" LBRACK "'['" RBRACK "']'" LPAREN "'('" RPAREN "')'"
%token COMMA "','" DOT "'.'" COLON "':'" ASSIGN "'='" ARROW "'=>'" QUESTION "'?'"
%token COALESCE "'??'" PIPE "'|'" AT "'@'" PLUS "'+'" MINUS "'-'" STAR "'*'" SLASH "'/'"
%token PERCENT "'%'" BANG "'!'" EQ "'=='" NE "'!='" LT "'<'" LE "'<='" GT "'>'" GE "'>='"
%token ANDAND "'&&'" OROR "'||'"

/* Binary operators, loosest first, all left-associative; then the prefix operators; then
   the postfix ones (member, index, call).  They resolve the conflicts of `operand` only
   (docs/language.md §2 has the levels). */
%left COALESCE
%left OROR
%left ANDAND
%left EQ NE LT LE GT GE
%left PLUS MINUS
%left STAR SLASH PERCENT
%precedence UNARY
%precedence DOT LBRACK LPAREN

%type <id> kwname tname
%type <expr> expr operand string istring opt_default
%type <expr> opt_where opt_if
%type <sp> strparts
%type <decl> decl decl_core use import param let typedecl fn resource schema component
%type <decl> output policy test assert moved
%type <vec> decorators members fnparams fplist sfields tfields rules
%type <lst> qualparts fields_opt fields items args arglist
%type <op> field
%type <tfield> sfield sfield_item tfield tfield_item
%type <fparam> fnparam
%type <deco> decorator
%type <rule> rule rule_item
%type <forc> forvars
%type <type> type ptype utype otype primtype opt_type qualname opt_ptype

%%

/* file = { decl } ; */
file
  : %empty
  | top_items
  ;

/* The recovery is spelled out here rather than in a `top_item` rule: one reduction less
   per declaration (as for decl_core below). */
top_items
  : decl                    { top_decl(p, $1); }
  | error                   { }
  | top_items decl          { top_decl(p, $2); }
  | top_items error         { }
  ;

/* decl = { decorator } decl_core ; decorators are valid only before `resource` (E0102).
   decl_core's alternatives are repeated for the undecorated case: one reduction less. */
decl
  : use | import | param | let | typedecl | fn | resource | schema | component | output
  | policy | test | assert | moved
  | decorators decl_core    {
      $$ = $2;
      uint32_t n = $1.n;
      $$->decos = n ? arena_calloc(p->a, n, sizeof(Decorator)) : NULL;
      for (uint32_t i = 0; i < n; i++) $$->decos[i] = *(Decorator *)$1.items[i];
      $$->ndecos = n;
      check_decorators(p, $$);
    }
  ;

decl_core
  : use | import | param | let | typedecl | fn | resource | schema | component | output
  | policy | test | assert | moved
  ;

/* decorator = "@" IDENT [ "(" [ expr { "," expr } [ "," ] ] ")" ] ; */
decorators
  : decorator               { $$ = (PtrVec){0}; ptrvec_push(p->a, &$$, $1); }
  | decorators decorator    { $$ = $1; ptrvec_push(p->a, &$$, $2); }
  ;

decorator
  : AT IDENT                {
      $$ = arena_alloc(p->a, sizeof *$$); $$->name = $2; $$->span = @$;
    }
  | AT IDENT LPAREN args RPAREN {
      $$ = arena_alloc(p->a, sizeof *$$); $$->name = $2; $$->span = @$; $$->has_parens = true;
      unsigned d = 0;
      $$->args = xfinish(p, $4, &$$->nargs, &d);
    }
  ;

/* use = "use" IDENT ; */
use
  : USE IDENT               { $$ = decl(p, D_USE, @$, $2); $$->u.use.provider = $2; }
  ;

/* import = "import" STRING "as" IDENT ; */
import
  : IMPORT string AS IDENT  { $$ = decl(p, D_IMPORT, @$, $4); $$->u.import.path = $2; $$->u.import.alias = $4; }
  ;

/* param = "param" IDENT [ ":" type ] [ "=" expr ] [ "where" expr ] ;
   The type here takes no `where` of its own: a trailing `where` is the param's. */
param
  : PARAM IDENT opt_ptype opt_default opt_where {
      $$ = decl(p, D_PARAM, @$, $2);
      $$->u.param.type = $3; $$->u.param.deflt = $4; $$->u.param.where = $5;
    }
  /* After an error, keep the declaration with its name, so that its uses are not
     reported as undefined names too (the same below for let, type, resource, output). */
  | PARAM IDENT COLON error {
      $$ = decl(p, D_PARAM, @$, $2); $$->u.param.type = tnode(p, TE_ERROR, @4);
    }
  | PARAM IDENT opt_ptype ASSIGN error {
      $$ = decl(p, D_PARAM, @$, $2); $$->u.param.type = $3; $$->u.param.deflt = leaf(p, EX_ERROR, @5);
    }
  ;

opt_ptype
  : %empty                  { $$ = NULL; }
  | COLON ptype             { $$ = $2; }
  ;

opt_type
  : %empty                  { $$ = NULL; }
  | COLON type              { $$ = $2; }
  ;

opt_default
  : %empty                  { $$ = NULL; }
  | ASSIGN expr             { $$ = $2; }
  ;

opt_where
  : %empty                  { $$ = NULL; }
  | WHERE expr              { $$ = $2; }
  ;

/* let = "let" IDENT [ ":" type ] "=" ( expr | instance ) ;  instance = qualname body ;
   The instance's name is parsed as an expression and must be a dotted name. */
let
  : LET IDENT opt_type ASSIGN expr {
      $$ = decl(p, D_LET, @$, $2); $$->u.let.type = $3; $$->u.let.value = $5;
    }
  | LET IDENT error         {
      $$ = decl(p, D_LET, @$, $2); $$->u.let.value = leaf(p, EX_ERROR, @3);
    }
  | LET IDENT opt_type ASSIGN expr LBRACE fields_opt RBRACE {
      $$ = decl(p, D_LET, @$, $2); $$->u.let.type = $3;
      TypeExpr *t = expr_to_qualname(p, $5);
      if (!t) {
        Diag *d = lex_error(&p->lx, DIAG_E0100, $5->span.start, $5->span.end,
                            "only a component can be instantiated with '{ ... }'");
        diag_label(p->lx.diags, d, d->span, "this is not a component name");
        t = tnode(p, TE_ERROR, $5->span);
      }
      Expr *e = ast_expr(p->a, EX_INSTANCE, span_join($5->span, @8));
      e->u.inst.type = t;
      unsigned d = 0;
      e->u.inst.fields = ffinish(p, $7, &e->u.inst.nfields, &d);
      $$->u.let.value = deepen(p, e, d);
    }
  ;

/* typedecl = "type" IDENT "=" type ; */
typedecl
  : TYPE IDENT ASSIGN type  { $$ = decl(p, D_TYPE, @$, $2); $$->u.alias.type = $4; }
  | TYPE IDENT error        { $$ = decl(p, D_TYPE, @$, $2); $$->u.alias.type = tnode(p, TE_ERROR, @3); }
  ;

/* fn = "fn" IDENT "(" [ fnparam { "," fnparam } [ "," ] ] ")" [ ":" type ] "=" expr ; */
fn
  : FN IDENT LPAREN fnparams RPAREN opt_type ASSIGN expr {
      $$ = decl(p, D_FN, @$, $2);
      $$->u.fn.nparams = $4.n;
      $$->u.fn.params = $4.n ? arena_calloc(p->a, $4.n, sizeof(FnParam)) : NULL;
      for (uint32_t i = 0; i < $4.n; i++) $$->u.fn.params[i] = *(FnParam *)$4.items[i];
      $$->u.fn.ret = $6; $$->u.fn.body = $8;
    }
  ;

fnparams
  : %empty                  { $$ = (PtrVec){0}; }
  | fplist                  { $$ = $1; }
  | fplist COMMA            { $$ = $1; }
  ;

fplist
  : fnparam                 { $$ = (PtrVec){0}; if ($1) ptrvec_push(p->a, &$$, $1); }
  | fplist COMMA fnparam    { $$ = $1; if ($3) ptrvec_push(p->a, &$$, $3); }
  ;

/* fnparam = IDENT ":" type [ "=" expr ] ; */
fnparam
  : IDENT COLON type opt_default {
      $$ = arena_alloc(p->a, sizeof *$$); $$->name = $1; $$->type = $3; $$->deflt = $4; $$->span = @$;
    }
  ;

/* resource = { decorator } "resource" IDENT ":" qualname [ "for" forvars "in" expr ]
              [ "if" expr ] body ; */
resource
  : RESOURCE IDENT error    {
      $$ = decl(p, D_RESOURCE, @$, $2); $$->u.res.type = tnode(p, TE_ERROR, @3);
    }
  /* The optional `for` and `if` clauses and the empty body are spelled out (no %empty
     rule to reduce for each resource). */
  | RESOURCE IDENT COLON qualname LBRACE RBRACE {
      $$ = resource_decl(p, @$, $2, $4, NULL, NULL, fbegin(p), @5, @6);
    }
  | RESOURCE IDENT COLON qualname LBRACE fields RBRACE {
      $$ = resource_decl(p, @$, $2, $4, NULL, NULL, $6, @5, @7);
    }
  | RESOURCE IDENT COLON qualname IF expr LBRACE RBRACE {
      $$ = resource_decl(p, @$, $2, $4, NULL, $6, fbegin(p), @7, @8);
    }
  | RESOURCE IDENT COLON qualname IF expr LBRACE fields RBRACE {
      $$ = resource_decl(p, @$, $2, $4, NULL, $6, $8, @7, @9);
    }
  | RESOURCE IDENT COLON qualname FOR forvars IN expr LBRACE RBRACE {
      $$ = resource_decl(p, @$, $2, $4, each(p, $6, $8, span_join(@5, @8)), NULL, fbegin(p), @9, @10);
    }
  | RESOURCE IDENT COLON qualname FOR forvars IN expr LBRACE fields RBRACE {
      $$ = resource_decl(p, @$, $2, $4, each(p, $6, $8, span_join(@5, @8)), NULL, $10, @9, @11);
    }
  | RESOURCE IDENT COLON qualname FOR forvars IN expr IF expr LBRACE RBRACE {
      $$ = resource_decl(p, @$, $2, $4, each(p, $6, $8, span_join(@5, @8)), $10, fbegin(p), @11, @12);
    }
  | RESOURCE IDENT COLON qualname FOR forvars IN expr IF expr LBRACE fields RBRACE {
      $$ = resource_decl(p, @$, $2, $4, each(p, $6, $8, span_join(@5, @8)), $10, $12, @11, @13);
    }
  ;

opt_if
  : %empty                  { $$ = NULL; }
  | IF expr                 { $$ = $2; }
  ;

/* forvars = IDENT [ "," IDENT ] ; */
forvars
  : IDENT                   { $$ = for_vars(p, $1, no_ident()); }
  | IDENT COMMA IDENT       { $$ = for_vars(p, $1, $3); }
  ;

/* schema = "resource" IDENT "{" { [ "output" ] name ":" type [ "=" expr ] [ "," ] } "}" ;
   (provider schema files only) */
schema
  : RESOURCE IDENT LBRACE RBRACE {
      $$ = decl(p, D_SCHEMA, @$, $2);
    }
  | RESOURCE IDENT LBRACE sfields RBRACE {
      $$ = decl(p, D_SCHEMA, @$, $2);
      $$->u.schema.nfields = $4.n;
      $$->u.schema.fields = arena_calloc(p->a, $4.n ? $4.n : 1, sizeof(TypeField));
      for (uint32_t i = 0; i < $4.n; i++) $$->u.schema.fields[i] = *(TypeField *)$4.items[i];
    }
  ;

sfields
  : sfield_item             { $$ = (PtrVec){0}; if ($1) ptrvec_push(p->a, &$$, $1); }
  | sfields sfield_item     { $$ = $1; if ($2) ptrvec_push(p->a, &$$, $2); }
  ;

sfield_item
  : sfield                  { $$ = $1; }
  | sfield COMMA            { $$ = $1; }
  | error                   { $$ = NULL; }
  ;

sfield
  : tname COLON type opt_default {
      $$ = arena_alloc(p->a, sizeof *$$); $$->name = $1; $$->type = $3; $$->deflt = $4; $$->span = @$;
    }
  | OUTPUT tname COLON type opt_default {
      $$ = arena_alloc(p->a, sizeof *$$); $$->name = $2; $$->type = $4; $$->deflt = $5;
      $$->is_output = true; $$->span = @$;
    }
  ;

/* component = "component" IDENT "{" { decl } "}" ;
   Only param, let, resource and output are allowed (E0102 otherwise, parsed anyway). */
component
  : COMPONENT IDENT LBRACE RBRACE {
      $$ = decl(p, D_COMPONENT, @$, $2); $$->u.comp.body_span = span_join(@3, @4);
    }
  | COMPONENT IDENT LBRACE members RBRACE {
      $$ = decl(p, D_COMPONENT, @$, $2); $$->u.comp.body_span = span_join(@3, @5);
      $$->u.comp.members = (Decl **)ast_vec_finish(p->a, &$4, &$$->u.comp.nmembers);
      for (uint32_t i = 0; i < $$->u.comp.nmembers; i++) check_member(p, $$->u.comp.members[i], D_COMPONENT);
    }
  ;

members
  : member_decl             { $$ = (PtrVec){0}; if ($<decl>1) ptrvec_push(p->a, &$$, $<decl>1); }
  | members member_decl     { $$ = $1; if ($<decl>2) ptrvec_push(p->a, &$$, $<decl>2); }
  ;

member_decl
  : decl                    { $<decl>$ = $1; }
  | error                   { $<decl>$ = NULL; }
  ;

/* output = "output" IDENT [ ":" type ] "=" expr ; */
output
  : OUTPUT IDENT opt_type ASSIGN expr {
      $$ = decl(p, D_OUTPUT, @$, $2); $$->u.let.type = $3; $$->u.let.value = $5;
    }
  | OUTPUT IDENT error      {
      $$ = decl(p, D_OUTPUT, @$, $2); $$->u.let.value = leaf(p, EX_ERROR, @3);
    }
  ;

/* policy = "policy" STRING "for" IDENT ":" qualname "{" { rule } "}" ; */
policy
  : POLICY string FOR IDENT COLON qualname LBRACE RBRACE {
      $$ = decl(p, D_POLICY, @$, no_ident());
      $$->u.policy.title = $2; $$->u.policy.var = $4; $$->u.policy.type = $6;
    }
  | POLICY string FOR IDENT COLON qualname LBRACE rules RBRACE {
      $$ = decl(p, D_POLICY, @$, no_ident());
      $$->u.policy.title = $2; $$->u.policy.var = $4; $$->u.policy.type = $6;
      $$->u.policy.nrules = $8.n;
      $$->u.policy.rules = arena_calloc(p->a, $8.n ? $8.n : 1, sizeof(PolicyRule));
      for (uint32_t i = 0; i < $8.n; i++) $$->u.policy.rules[i] = *(PolicyRule *)$8.items[i];
    }
  ;

rules
  : rule_item               { $$ = (PtrVec){0}; if ($1) ptrvec_push(p->a, &$$, $1); }
  | rules rule_item         { $$ = $1; if ($2) ptrvec_push(p->a, &$$, $2); }
  ;

rule_item
  : rule                    { $$ = $1; }
  | error                   { $$ = NULL; }
  ;

/* rule = ( "deny" | "warn" ) expr ":" expr ; */
rule
  : DENY expr COLON expr    {
      $$ = arena_alloc(p->a, sizeof *$$); $$->kind = RULE_DENY; $$->cond = $2; $$->msg = $4; $$->span = @$;
    }
  | WARN expr COLON expr    {
      $$ = arena_alloc(p->a, sizeof *$$); $$->kind = RULE_WARN; $$->cond = $2; $$->msg = $4; $$->span = @$;
    }
  ;

/* test = "test" STRING "{" { let | assert } "}" ; */
test
  : TEST string LBRACE RBRACE {
      $$ = decl(p, D_TEST, @$, no_ident()); $$->u.test.title = $2;
    }
  | TEST string LBRACE members RBRACE {
      $$ = decl(p, D_TEST, @$, no_ident()); $$->u.test.title = $2;
      $$->u.test.stmts = (Decl **)ast_vec_finish(p->a, &$4, &$$->u.test.nstmts);
      for (uint32_t i = 0; i < $$->u.test.nstmts; i++) check_member(p, $$->u.test.stmts[i], D_TEST);
    }
  ;

/* assert = "assert" expr [ ":" expr ] ; */
assert
  : ASSERT expr             { $$ = decl(p, D_ASSERT, @$, no_ident()); $$->u.assert_.cond = $2; }
  | ASSERT expr COLON expr  {
      $$ = decl(p, D_ASSERT, @$, no_ident()); $$->u.assert_.cond = $2; $$->u.assert_.msg = $4;
    }
  ;

/* moved = "moved" expr "=>" expr ; */
moved
  : MOVED expr ARROW expr   {
      $$ = decl(p, D_MOVED, @$, no_ident()); $$->u.moved.from = $2; $$->u.moved.to = $4;
    }
  ;

/* ---- types ----
   type     = "secret" type | uniontype [ "where" expr ] ;
   ptype    = "secret" ptype | uniontype ;            (a type without a trailing `where`:
                                                      in params and in list<...>)
   uniontype = opttype { "|" opttype } ;
   opttype  = primtype [ "?" | "??" ] ;
   primtype = qualname [ "<" ptype ">" ] | "{" { tfield [ "," ] } "}" | STRING | "(" type ")" ; */
type
  : SECRET type             { $$ = twrap(p, TE_SECRET, $2, @$); }
  | utype                   { $$ = $1; }
  | utype WHERE expr        {
      $$ = tnode(p, TE_REFINED, @$); $$->u.refined.base = $1; $$->u.refined.pred = $3;
      $$ = tdeep(p, $$, $1->depth);
    }
  ;

ptype
  : SECRET ptype            { $$ = twrap(p, TE_SECRET, $2, @$); }
  | utype                   { $$ = $1; }
  ;

utype
  : otype                   { $$ = $1; }
  | utype PIPE otype        {
      TypeExpr *l = $1, *r = $3;
      bool ok = true;
      if (l->kind != TE_UNION) {
        lex_error(&p->lx, DIAG_E0100, l->span.start, l->span.end,
                  "only string literals can be members of a union type");
        ok = false;
      }
      if (r->kind != TE_UNION) {
        if (ok) lex_error(&p->lx, DIAG_E0100, r->span.start, r->span.end,
                          "only string literals can be members of a union type");
        ok = false;
      }
      if (!ok) { $$ = tnode(p, TE_ERROR, @$); }
      else {
        /* [l] is ours alone: extend it in place.  Its array's capacity is the next power
           of two of its length, so a long union costs linear time. */
        uint32_t n = l->u.uni.nmembers, m = r->u.uni.nmembers;
        for (uint32_t i = 0; i < m; i++) {
          if (n >= 1 && (n & (n - 1)) == 0)
            l->u.uni.members = arena_grow(p->a, l->u.uni.members, n, 2 * (size_t)n, sizeof(Expr *));
          l->u.uni.members[n++] = r->u.uni.members[i];
        }
        l->u.uni.nmembers = n;
        l->span = @$;
        $$ = l;
      }
    }
  ;

otype
  : primtype                { $$ = $1; }
  | primtype QUESTION       { $$ = twrap(p, TE_OPTIONAL, $1, @$); }
  | primtype COALESCE       { $$ = twrap(p, TE_OPTIONAL, twrap(p, TE_OPTIONAL, $1, span_make(@$.file, @$.start, @$.end - 1)), @$); }
  ;

primtype
  : qualname                { $$ = $1; }
  | qualname LT ptype GT    {
      TypeExpr *q = $1;
      const char *n = q->u.name.parts[0].str->s;
      if (q->u.name.nparts == 1 && strcmp(n, "list") == 0) $$ = twrap(p, TE_LIST, $3, @$);
      else if (q->u.name.nparts == 1 && strcmp(n, "map") == 0) $$ = twrap(p, TE_MAP, $3, @$);
      else {
        Diag *d = lex_error(&p->lx, DIAG_E0100, q->span.start, q->span.end,
                            "only list<T> and map<T> take a type argument");
        diag_label(p->lx.diags, d, d->span, "this type takes no '<...>'");
        $$ = tnode(p, TE_ERROR, @$);
      }
    }
  | LBRACE RBRACE           { $$ = tnode(p, TE_RECORD, @$); }
  | LBRACE tfields RBRACE   {
      $$ = tnode(p, TE_RECORD, @$);
      $$->u.record.nfields = $2.n;
      $$->u.record.fields = arena_calloc(p->a, $2.n ? $2.n : 1, sizeof(TypeField));
      unsigned d = 0;
      for (uint32_t i = 0; i < $2.n; i++) {
        $$->u.record.fields[i] = *(TypeField *)$2.items[i];
        if ($$->u.record.fields[i].type->depth > d) d = $$->u.record.fields[i].type->depth;
      }
      $$ = tdeep(p, $$, d);
    }
  | string                  {
      if ($1->kind != EX_STRING || ($1->u.str.nparts == 1 && $1->u.str.parts[0].is_expr) ||
          $1->u.str.nparts > 1) {
        lex_error(&p->lx, DIAG_E0100, $1->span.start, $1->span.end,
                  "a string literal in a type cannot hold an interpolation");
        $$ = tnode(p, TE_ERROR, @$);
      } else {
        $$ = tnode(p, TE_UNION, @$);
        $$->u.uni.members = arena_alloc(p->a, sizeof(Expr *));
        $$->u.uni.members[0] = $1;
        $$->u.uni.nmembers = 1;
        $$->depth = 1;
      }
    }
  | LPAREN type RPAREN      { $$ = $2; }
  ;

tfields
  : tfield_item             { $$ = (PtrVec){0}; if ($1) ptrvec_push(p->a, &$$, $1); }
  | tfields tfield_item     { $$ = $1; if ($2) ptrvec_push(p->a, &$$, $2); }
  ;

tfield_item
  : tfield                  { $$ = $1; }
  | tfield COMMA            { $$ = $1; }
  | error                   { $$ = NULL; }
  ;

tfield
  : tname COLON type opt_default {
      $$ = arena_alloc(p->a, sizeof *$$); $$->name = $1; $$->type = $3; $$->deflt = $4; $$->span = @$;
    }
  ;

/* qualname = IDENT { "." IDENT } ; */
/* One and two parts (int, local.File) are reduced at once; longer names go through
   qualparts. */
qualname
  : IDENT                   { $$ = qualname_of(p, &$1, 1, @$); }
  | IDENT DOT IDENT         { Ident ids[2] = {$1, $3}; $$ = qualname_of(p, ids, 2, @$); }
  | qualparts               {
      $$ = qualname_of(p, p->ids + $1.start, $1.n, @$);
      p->nids = $1.start;
    }
  ;

qualparts
  : IDENT DOT IDENT DOT IDENT {
      $$ = (List){p->nids, 0};
      STACK_PUSH(p, ids, nids, capids, &$$, $1);
      STACK_PUSH(p, ids, nids, capids, &$$, $3);
      STACK_PUSH(p, ids, nids, capids, &$$, $5);
    }
  | qualparts DOT IDENT     { $$ = $1; STACK_PUSH(p, ids, nids, capids, &$$, $3); }
  ;

/* ---- expressions ---- */

/* expr = "if" expr "then" expr "else" expr | coalesce ;
   coalesce = or { "??" or } ;   or = and { "||" and } ;   and = cmp { "&&" cmp } ;
   cmp = add [ cmpop add ] ;     add = mul { ( "+" | "-" ) mul } ;
   mul = unary { ( "*" | "/" | "%" ) unary } ;   unary = ( "-" | "!" ) unary | postfix ;
   The levels from coalesce to primary are one nonterminal, `operand`, with the precedence
   declarations: the same language as a rule per level, but a name or a literal becomes
   an expression in two reductions instead of nine (reductions, and the LAC checks that
   simulated them, were two thirds of the parse of a large file). */
expr
  : IF expr THEN expr ELSE expr {
      $$ = ast_expr(p->a, EX_IF, @$);
      $$->u.cond.cond = $2; $$->u.cond.then = $4; $$->u.cond.els = $6;
      $$ = deepen(p, $$, dmax(dmax(dmax(0, $2), $4), $6));
    }
  | operand                 { $$ = $1; }
  ;

/* Comparisons are one level, parsed as a left-associative chain so that `a < b < c`
   gets a clear error (cmp_chain). */
operand
  : operand COALESCE operand { $$ = binary(p, BIN_COALESCE, $1, $3, @$, @2); }
  | operand OROR operand    { $$ = binary(p, BIN_OR, $1, $3, @$, @2); }
  | operand ANDAND operand  { $$ = binary(p, BIN_AND, $1, $3, @$, @2); }
  | operand EQ operand      { $$ = cmp_chain(p, BIN_EQ, $1, $3, @$, @1, @2); }
  | operand NE operand      { $$ = cmp_chain(p, BIN_NE, $1, $3, @$, @1, @2); }
  | operand LT operand      { $$ = cmp_chain(p, BIN_LT, $1, $3, @$, @1, @2); }
  | operand LE operand      { $$ = cmp_chain(p, BIN_LE, $1, $3, @$, @1, @2); }
  | operand GT operand      { $$ = cmp_chain(p, BIN_GT, $1, $3, @$, @1, @2); }
  | operand GE operand      { $$ = cmp_chain(p, BIN_GE, $1, $3, @$, @1, @2); }
  | operand PLUS operand    { $$ = binary(p, BIN_ADD, $1, $3, @$, @2); }
  | operand MINUS operand   { $$ = binary(p, BIN_SUB, $1, $3, @$, @2); }
  | operand STAR operand    { $$ = binary(p, BIN_MUL, $1, $3, @$, @2); }
  | operand SLASH operand   { $$ = binary(p, BIN_DIV, $1, $3, @$, @2); }
  | operand PERCENT operand { $$ = binary(p, BIN_MOD, $1, $3, @$, @2); }
  /* -9223372036854775808 folds into one literal */
  | MINUS operand %prec UNARY {
      Expr *x = $2;
      if (x->kind == EX_INT && x->span.start == @2.start && x->span.end == @2.end && min_take(p, x)) {
        x->span = @$;
        $$ = x;
      } else {
        $$ = unary(p, UN_NEG, x, @$);
      }
    }
  | BANG operand %prec UNARY { $$ = unary(p, UN_NOT, $2, @$); }
  /* postfix = primary { "." name | "[" expr "]" | "(" [ expr { "," expr } [ "," ] ] ")" } ;
     primary = INT | FLOAT | STRING | "true" | "false" | "null" | "self" | IDENT
             | "(" expr ")" | list | list comprehension | record | map comprehension ;
     Both are `operand` too: '.', '[' and '(' bind tighter than the prefix operators, and
     a literal or a name is an operand in one reduction. */
  | operand DOT IDENT       { $$ = member(p, $1, $3, @$); }
  | operand DOT kwname      { $$ = member(p, $1, $3, @$); }
  | operand LBRACK expr RBRACK {
      $$ = ast_expr(p->a, EX_INDEX, @$); $$->u.index.obj = $1; $$->u.index.index = $3;
      $$ = deepen(p, $$, dmax($1->depth, $3));
    }
  | operand LPAREN args RPAREN {
      $$ = ast_expr(p->a, EX_CALL, @$); $$->u.call.callee = $1;
      unsigned d = $1->depth;
      $$->u.call.args = xfinish(p, $3, &$$->u.call.nargs, &d);
      $$ = deepen(p, $$, d);
    }
  | INT                     {
      /* a literal the lexer rejected is an error node, so nothing computes with it */
      if ($1.bad) { $$ = leaf(p, EX_ERROR, @$); }
      else {
        $$ = leaf(p, EX_INT, @$); $$->u.i = $1.i;
        if ($1.min) min_pending(p, $$);
      }
    }
  | FLOAT                   {
      if ($1.bad) { $$ = leaf(p, EX_ERROR, @$); }
      else { $$ = leaf(p, EX_FLOAT, @$); $$->u.f = $1.f; }
    }
  | STRING                  { $$ = lex_string_expr(&p->lx, &$1, 1, NULL, @$); }
  | istring                 { $$ = $1; }
  | TRUE                    { $$ = leaf(p, EX_BOOL, @$); $$->u.b = true; }
  | FALSE                   { $$ = leaf(p, EX_BOOL, @$); $$->u.b = false; }
  | NULL                    { $$ = leaf(p, EX_NULL, @$); }
  | SELF                    { $$ = leaf(p, EX_NAME, @$); $$->u.name.id = $1; }
  | IDENT                   { $$ = leaf(p, EX_NAME, @$); $$->u.name.id = $1; }
  | LPAREN expr RPAREN      { $$ = $2; }
  | LBRACK RBRACK           { $$ = leaf(p, EX_LIST, @$); }
  | LBRACK items RBRACK     {
      $$ = leaf(p, EX_LIST, @$); unsigned d = 0;
      $$->u.list.items = xfinish(p, $2, &$$->u.list.nitems, &d);
      $$ = deepen(p, $$, d);
    }
  | LBRACK items COMMA RBRACK {
      $$ = leaf(p, EX_LIST, @$); unsigned d = 0;
      $$->u.list.items = xfinish(p, $2, &$$->u.list.nitems, &d);
      $$ = deepen(p, $$, d);
    }
  | LBRACK expr FOR forvars IN expr opt_if RBRACK {
      $$ = leaf(p, EX_LIST_COMP, @$);
      $$->u.lcomp.elem = $2;
      $$->u.lcomp.f = for_clause($4->var1, $4->var2, $6, span_join(@3, @6));
      $$->u.lcomp.filter = $7;
      $$ = deepen(p, $$, dmax(dmax(dmax(0, $2), $6), $7));
    }
  | LBRACE RBRACE           { $$ = leaf(p, EX_RECORD, @$); }
  | LBRACE fields RBRACE    {
      $$ = leaf(p, EX_RECORD, @$); unsigned d = 0;
      $$->u.record.fields = ffinish(p, $2, &$$->u.record.nfields, &d);
      $$ = deepen(p, $$, d);
    }
  | LBRACE expr ARROW expr FOR forvars IN expr opt_if RBRACE {
      $$ = leaf(p, EX_MAP_COMP, @$);
      $$->u.mcomp.key = $2; $$->u.mcomp.value = $4;
      $$->u.mcomp.f = for_clause($6->var1, $6->var2, $8, span_join(@5, @8));
      $$->u.mcomp.filter = $9;
      $$ = deepen(p, $$, dmax(dmax(dmax(dmax(0, $2), $4), $8), $9));
    }
  ;

args
  : %empty                  { $$ = xbegin(p); }
  | arglist                 { $$ = $1; }
  | arglist COMMA           { $$ = $1; }
  ;

arglist
  : expr                    { $$ = xpush(p, xbegin(p), $1); }
  | arglist COMMA expr      { $$ = xpush(p, $1, $3); }
  ;

items
  : expr                    { $$ = xpush(p, xbegin(p), $1); }
  | items COMMA expr        { $$ = xpush(p, $1, $3); }
  ;

/* body = "{" { field [ "," ] } "}" ;  field = ( name | STRING ) "=" expr ; */
fields_opt
  : %empty                  { $$ = fbegin(p); }
  | fields                  { $$ = $1; }
  ;

/* A finished field waits in p->field until `fields` takes it: nothing is parsed in
   between (only a ',' may be read), and it keeps the semantic values small.  The
   optional ',' and the recovery are spelled out here rather than in a `field_item`
   rule: one reduction less per field. */
fields
  : field                   { $$ = fpush(p, fbegin(p), p->field); }
  | field COMMA             { $$ = fpush(p, fbegin(p), p->field); }
  | error                   { $$ = fbegin(p); }
  | fields field            { $$ = fpush(p, $1, p->field); }
  | fields field COMMA      { $$ = fpush(p, $1, p->field); }
  | fields error            { $$ = $1; }
  ;

field
  : IDENT ASSIGN expr       { p->field = field($1, false, $3, @$); $$ = 1; }
  | kwname ASSIGN expr      { p->field = field($1, false, $3, @$); $$ = 1; }
  | STRING ASSIGN expr      { p->field = field(string_key(p, &$1, @1), true, $3, @$); $$ = 1; }
  ;

/* A string literal: one STRING token, or STR_HEAD expr { STR_MID expr } STR_TAIL. */
string
  : STRING                  { $$ = lex_string_expr(&p->lx, &$1, 1, NULL, @$); }
  | istring                 { $$ = $1; }
  ;

/* A string with interpolations (in an expression, a plain STRING is an operand at once). */
istring
  : strparts STR_TAIL       {
      List segs = $1.segs;
      STACK_PUSH(p, ss, nss, capss, &segs, $2);
      Expr *e = lex_string_expr(&p->lx, p->ss + segs.start, segs.n, p->xs + $1.xs.start, @$);
      p->nss = segs.start;
      p->nxs = $1.xs.start;
      $$ = deepen(p, e, e->depth ? e->depth - 1u : 0u);
    }
  /* A mistake inside ${ }: skip to the end of the string (the lexer knows where it is). */
  | STR_HEAD error STR_TAIL { $$ = leaf(p, EX_ERROR, @$); }
  | strparts STR_MID error STR_TAIL {
      p->nss = $1.segs.start;
      p->nxs = $1.xs.start;
      $$ = leaf(p, EX_ERROR, @$);
    }
  ;

strparts
  : STR_HEAD expr           {
      $$.segs = (List){p->nss, 0};
      STACK_PUSH(p, ss, nss, capss, &$$.segs, $1);
      $$.xs = xpush(p, xbegin(p), $2);
    }
  | strparts STR_MID expr   {
      $$ = $1;
      STACK_PUSH(p, ss, nss, capss, &$$.segs, $2);
      $$.xs = xpush(p, $$.xs, $3);
    }
  ;


/* name = IDENT | keyword ;  (keywords are property names after '.' and as field keys)
   The rules that take a name take IDENT and kwname, the keywords: an identifier is then
   a name with no reduction of its own. */
kwname
  : USE | IMPORT | AS | PARAM | LET | TYPE | FN | RESOURCE | COMPONENT | OUTPUT
  | POLICY | FOR | IN | IF | THEN | ELSE | TEST | ASSERT | DENY | WARN | MOVED
  | SECRET | TRUE | FALSE | NULL | SELF | WHERE
  ;

/* The field names of record types and schemas: any name but `where`, which there would
   be ambiguous with a refinement of the previous field's type (commas are optional). */
tname
  : IDENT | USE | IMPORT | AS | PARAM | LET | TYPE | FN | RESOURCE | COMPONENT | OUTPUT
  | POLICY | FOR | IN | IF | THEN | ELSE | TEST | ASSERT | DENY | WARN | MOVED
  | SECRET | TRUE | FALSE | NULL | SELF
  ;

%%

/* ---- semantic checks the grammar leaves to its actions ---- */

static const char *const known_decorators[] = {
    "protect", "create_before_destroy", "depends_on", "ignore_changes", "replace_on_change",
};

static void check_decorators(Parser *p, Decl *d) {
  for (uint32_t i = 0; i < d->ndecos; i++) {
    Decorator *k = &d->decos[i];
    bool known = false;
    for (size_t j = 0; j < sizeof known_decorators / sizeof *known_decorators; j++)
      if (strcmp(k->name.str->s, known_decorators[j]) == 0) known = true;
    if (!known) {
      Diag *g = lex_error(&p->lx, DIAG_E0104, k->name.span.start, k->name.span.end,
                          "unknown lifecycle option '@%s'", k->name.str->s);
      const char *s = diag_suggest(k->name.str->s, known_decorators,
                                   sizeof known_decorators / sizeof *known_decorators);
      if (s) diag_help(p->lx.diags, g, "did you mean '@%s'?", s);
      else diag_help(p->lx.diags, g, "the options are @protect, @create_before_destroy, "
                                     "@depends_on, @ignore_changes and @replace_on_change");
    }
  }
  if (d->ndecos && d->kind != D_RESOURCE) {
    Decorator *k = &d->decos[0];
    Diag *g = lex_error(&p->lx, DIAG_E0102, k->span.start, k->span.end,
                        "lifecycle options apply only to resources");
    diag_label(p->lx.diags, g, keyword_span(d), "this is a '%s' declaration",
               ast_decl_keyword(d->kind));
  }
}

/* E0102/E0103: what a file, a component or a test may hold.  [container] is D_ERROR for
 * the top level of a file. */
static void check_member(Parser *p, Decl *d, DeclKind container) {
  Span ks = keyword_span(d);
  const char *kw = ast_decl_keyword(d->kind);
  Diag *g = NULL;
  if (container == D_COMPONENT) {
    switch (d->kind) {
    case D_PARAM: case D_LET: case D_RESOURCE: case D_OUTPUT: case D_ERROR: break;
    case D_COMPONENT:
      g = lex_error(&p->lx, DIAG_E0102, ks.start, ks.end, "components do not nest");
      diag_help(p->lx.diags, g, "declare '%s' at the top level of the file", d->name.str ? d->name.str->s : "it");
      break;
    case D_SCHEMA:
      g = lex_error(&p->lx, DIAG_E0102, ks.start, ks.end,
                    "a resource needs a type: `resource %s: Type { ... }`", d->name.str->s);
      break;
    default:
      g = lex_error(&p->lx, DIAG_E0102, ks.start, ks.end, "'%s' is not allowed in a component", kw);
      diag_help(p->lx.diags, g, "a component holds only param, let, resource and output; "
                                "move the '%s' to the top level", kw);
      break;
    }
  } else if (container == D_TEST) {
    if (d->kind != D_LET && d->kind != D_ASSERT && d->kind != D_ERROR) {
      g = lex_error(&p->lx, DIAG_E0102, ks.start, ks.end, "'%s' is not allowed in a test", kw);
      diag_help(p->lx.diags, g, "a test holds only `let` and `assert`");
    }
    return;   /* `let x = Component { ... }` is what tests are for */
  } else {
    if (d->kind == D_ASSERT) {
      g = lex_error(&p->lx, DIAG_E0102, ks.start, ks.end, "'assert' is allowed only in a test");
      diag_help(p->lx.diags, g, "put it in a `test \"...\" { ... }` block");
    } else if (d->kind == D_SCHEMA && !p->in->schema) {
      g = lex_error(&p->lx, DIAG_E0102, d->name.span.start, d->name.span.end,
                    "a resource needs a type");
      diag_label(p->lx.diags, g, d->name.span, "expected ':' and a type after the name");
      diag_help(p->lx.diags, g, "write `resource %s: Type { ... }`; `resource Name { field: type }` "
                                "declares a type only in a provider schema file", d->name.str->s);
    } else if (d->kind == D_RESOURCE && p->in->schema) {
      g = lex_error(&p->lx, DIAG_E0102, ks.start, ks.end,
                    "a provider schema file declares resource types, not resources");
      diag_help(p->lx.diags, g, "write `resource %s { property: type }`", d->name.str->s);
    }
  }
  if (d->kind == D_LET && d->u.let.value && d->u.let.value->kind == EX_INSTANCE &&
      d->u.let.value->u.inst.type->kind != TE_ERROR) {
    Expr *e = d->u.let.value;
    Span ts = e->u.inst.type->span;
    g = lex_error(&p->lx, DIAG_E0103, e->span.start, e->span.end,
                  "a component is instantiated with `let` only inside a test");
    diag_help(p->lx.diags, g, "declare a resource instead: `resource %s: %.*s { ... }`",
              d->name.str ? d->name.str->s : "name", (int)(ts.end - ts.start), p->lx.src + ts.start);
  }
}

/* ---- syntax error messages ---- */

static bool tok_is_expr_start(int t) {
  switch (t) {
  case YYSYMBOL_IDENT: case YYSYMBOL_INT: case YYSYMBOL_FLOAT: case YYSYMBOL_STRING:
  case YYSYMBOL_STR_HEAD: case YYSYMBOL_TRUE: case YYSYMBOL_FALSE: case YYSYMBOL_NULL:
  case YYSYMBOL_SELF: case YYSYMBOL_LPAREN: case YYSYMBOL_LBRACK: case YYSYMBOL_LBRACE:
  case YYSYMBOL_MINUS: case YYSYMBOL_BANG: case YYSYMBOL_IF:
    return true;
  default:
    return false;
  }
}

static bool tok_is_keyword(int t) { return t >= YYSYMBOL_USE && t <= YYSYMBOL_SELF; }

static bool tok_is_decl_start(int t) {
  switch (t) {
  case YYSYMBOL_USE: case YYSYMBOL_IMPORT: case YYSYMBOL_PARAM: case YYSYMBOL_LET:
  case YYSYMBOL_TYPE: case YYSYMBOL_FN: case YYSYMBOL_RESOURCE: case YYSYMBOL_COMPONENT:
  case YYSYMBOL_OUTPUT: case YYSYMBOL_POLICY: case YYSYMBOL_TEST: case YYSYMBOL_ASSERT:
  case YYSYMBOL_MOVED: case YYSYMBOL_AT:
    return true;
  default:
    return false;
  }
}

static const char *tok_text(int t) {
  switch (t) {
  case YYSYMBOL_YYEOF: return "end of file";
  case YYSYMBOL_IDENT: return "an identifier";
  case YYSYMBOL_INT: return "an integer";
  case YYSYMBOL_FLOAT: return "a float";
  case YYSYMBOL_STRING: case YYSYMBOL_STR_HEAD: return "a string";
  case YYSYMBOL_STR_MID: case YYSYMBOL_STR_TAIL: return "'}'";
  default: return yysymbol_name((yysymbol_kind_t)t);
  }
}

static bool tok_is_operator(int t) {
  switch (t) {
  case YYSYMBOL_PLUS: case YYSYMBOL_MINUS: case YYSYMBOL_STAR: case YYSYMBOL_SLASH:
  case YYSYMBOL_PERCENT: case YYSYMBOL_EQ: case YYSYMBOL_NE: case YYSYMBOL_LT:
  case YYSYMBOL_LE: case YYSYMBOL_GT: case YYSYMBOL_GE: case YYSYMBOL_ANDAND:
  case YYSYMBOL_OROR: case YYSYMBOL_COALESCE: case YYSYMBOL_DOT: case YYSYMBOL_LBRACK:
  case YYSYMBOL_LPAREN:
    return true;
  default:
    return false;
  }
}

static const char *closer_of(char k) {
  return k == '{' ? "'}'" : k == '(' ? "')'" : k == '[' ? "']'" : "'}'";
}

/* What the parser could take, for "expected ...": token groups collapse into "a
 * declaration", "a name", "an expression" (first) and "an operator" (last); at most five
 * entries are named. */
static void expected_text(Parser *p, const yypcontext_t *ctx, char *buf, size_t size) {
  yysymbol_kind_t exp[YYNTOKENS];
  int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
  buf[0] = 0;
  if (n <= 0) return;
  bool has[YYNTOKENS] = {false};
  for (int i = 0; i < n; i++) has[exp[i]] = true;
  /* `resource x {` is a schema declaration: in a normal file, say only ':' */
  if (!p->in->schema && n == 2 && has[YYSYMBOL_COLON] && has[YYSYMBOL_LBRACE]) {
    snprintf(buf, size, "':'");
    return;
  }
  const char *items[8];
  int ni = 0;
  bool expr_ok = has[YYSYMBOL_INT] && has[YYSYMBOL_LBRACK] && has[YYSYMBOL_IDENT];
  int nkw = 0;
  for (int t = YYSYMBOL_USE; t <= YYSYMBOL_SELF; t++) nkw += has[t];
  bool name_ok = has[YYSYMBOL_IDENT] && nkw >= YYSYMBOL_SELF - YYSYMBOL_USE;
  bool decl_ok = !name_ok && has[YYSYMBOL_RESOURCE] && has[YYSYMBOL_LET] &&
                 has[YYSYMBOL_OUTPUT] && has[YYSYMBOL_PARAM];
  bool field_ok = name_ok && has[YYSYMBOL_STRING];   /* a field: a name or a quoted key */
  bool ops_ok = has[YYSYMBOL_PLUS] && has[YYSYMBOL_STAR];
  bool type_ok = !expr_ok && !name_ok && has[YYSYMBOL_IDENT] && has[YYSYMBOL_SECRET] && has[YYSYMBOL_LPAREN];
  if (decl_ok) items[ni++] = "a declaration";
  if (type_ok) items[ni++] = "a type";
  if (field_ok) items[ni++] = "a field";
  else if (name_ok) items[ni++] = "a name";
  else if (expr_ok) items[ni++] = "an expression";
  int ngroups = ni;
  bool more = false, seen_string = false;
  for (int i = 0; i < n; i++) {
    int t = exp[i];
    if (t == YYSYMBOL_YYerror || t == YYSYMBOL_YYUNDEF) continue;
    if (decl_ok && tok_is_decl_start(t)) continue;
    if (name_ok && (tok_is_keyword(t) || t == YYSYMBOL_IDENT)) continue;
    if (field_ok && t == YYSYMBOL_STRING) continue;
    if (expr_ok && tok_is_expr_start(t)) continue;
    if (type_ok && (t == YYSYMBOL_IDENT || t == YYSYMBOL_STRING || t == YYSYMBOL_STR_HEAD ||
                    t == YYSYMBOL_SECRET ||
                    t == YYSYMBOL_LBRACE || t == YYSYMBOL_LPAREN))
      continue;
    if (ops_ok && tok_is_operator(t)) continue;
    if (t == YYSYMBOL_STRING || t == YYSYMBOL_STR_HEAD) {
      if (seen_string) continue;
      seen_string = true;
    }
    const char *text = tok_text(t);
    bool dup = false;
    for (int k = 0; k < ni; k++) dup |= strcmp(items[k], text) == 0;
    if (dup) continue;   /* the '}' of an interpolation and of a string's end */
    if (ni >= 5) { more = true; break; }
    items[ni++] = text;
  }
  if (ops_ok && ni < 6) { items[ni++] = "an operator"; ngroups++; }
  if (ni == 1) { snprintf(buf, size, "%s", items[0]); return; }
  size_t k = 0;
  if (ngroups == 0) k += (size_t)snprintf(buf, size, "one of ");
  for (int i = 0; i < ni && k < size; i++) {
    const char *sep = i == 0 ? "" : (ngroups && i == ni - 1 && !more) ? " or " : ", ";
    k += (size_t)snprintf(buf + k, size - k, "%s%s", sep, items[i]);
  }
  if (more && k < size) snprintf(buf + k, size - k, ", ...");
}

static bool expects(const yypcontext_t *ctx, yysymbol_kind_t t) {
  yysymbol_kind_t exp[YYNTOKENS];
  int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
  for (int i = 0; i < n; i++)
    if (exp[i] == t) return true;
  return false;
}

/* The first token on its line? */
static bool starts_line(const Parser *p, uint32_t at) {
  const char *s = p->lx.src;
  while (at > 0 && (s[at - 1] == ' ' || s[at - 1] == '\t')) at--;
  return at == 0 || s[at - 1] == '\n';
}

static bool is_decl_keyword_token(int k) {
  return k == T_RESOURCE || k == T_LET || k == T_PARAM || k == T_OUTPUT || k == T_COMPONENT ||
         k == T_FN || k == T_TYPE || k == T_USE || k == T_IMPORT || k == T_POLICY ||
         k == T_TEST || k == T_MOVED;
}

static void label_unclosed(Parser *p, Diag *d) {
  if (p->lx.depth == 0) return;
  uint32_t at = p->lx.open[p->lx.depth - 1];
  char k = p->lx.open_kind[p->lx.depth - 1];
  diag_label(p->lx.diags, d, span_make(p->lx.file, at, at + (k == '$' ? 2 : 1)),
             "unclosed '%s' opened here", k == '$' ? "${" : k == '{' ? "{" : k == '(' ? "(" : "[");
  p->unclosed_said = at + 1;
}

static int yyreport_syntax_error(const yypcontext_t *ctx, Parser *p) {
  /* Without LAC the parser has already made the default reductions this token led to:
     stop here and parse again with LAC, whose context gives the exact expectations and
     whose recovery is the one the messages were written for (parse_file).  Returning 2
     ends the parse as "memory exhausted", which pperror ignores for a stopped lexer. */
  if (!p->lac) {
    p->restart = true;
    lex_stop(&p->lx);
    return 2;
  }
  /* Quiet when the lexer stopped (its error explains the rest) or just reported an
   * error that this token follows from. */
  if (p->lx.stopped || p->lx.err_here || p->lx.closing) return 0;
  const Span *loc = yypcontext_location(ctx);
  int t = yypcontext_token(ctx);
  if (t == YYSYMBOL_YYEOF && p->lx.depth > 0 && p->yychar) {
    /* After reporting it, read the end again: the lexer closes what is open first, so
       the declarations under construction are kept instead of being dropped. */
    p->lx.closing = true;
    *p->yychar = T_PPEMPTY;
    /* the error that called this bracket unclosed already said what this one would:
       that its closer is missing (a different mistake at the end is still reported) */
    char k = p->lx.open_kind[p->lx.depth - 1];
    if (p->unclosed_said == p->lx.open[p->lx.depth - 1] + 1 &&
        expects(ctx, k == '(' ? YYSYMBOL_RPAREN : k == '[' ? YYSYMBOL_RBRACK : YYSYMBOL_RBRACE))
      return 0;
  }
  const char *src = p->lx.src;
  Diag *d;

  /* `Name { ... }` where an expression ends: an instantiation outside a `let`, E0103. */
  if (t == YYSYMBOL_LBRACE && p->lx.prev == T_IDENT && src[p->lx.prev_start] >= 'A' &&
      src[p->lx.prev_start] <= 'Z') {
    int n = (int)(p->lx.prev_end - p->lx.prev_start);
    d = lex_error(&p->lx, DIAG_E0103, p->lx.prev_start, loc->end,
                  "component instantiation is not allowed here");
    diag_label(p->lx.diags, d, d->span, "`%.*s { ... }` is not an expression", n, src + p->lx.prev_start);
    diag_help(p->lx.diags, d, "declare a resource (`resource x: %.*s { ... }`), or in a test "
              "bind it with `let x = %.*s { ... }`", n, src + p->lx.prev_start, n, src + p->lx.prev_start);
    return 0;
  }

  char exp[256];
  expected_text(p, ctx, exp, sizeof exp);
  char got[128];
  int glen = (int)(loc->end - loc->start > 40 ? 40 : loc->end - loc->start);
  if (t == YYSYMBOL_IDENT)
    snprintf(got, sizeof got, "identifier '%.*s'", glen, src + loc->start);
  else if (t == YYSYMBOL_INT || t == YYSYMBOL_FLOAT)
    snprintf(got, sizeof got, "number '%.*s'", glen, src + loc->start);
  else if (t == YYSYMBOL_STRING)
    snprintf(got, sizeof got, "string %.*s%s", glen, src + loc->start,
             loc->end - loc->start > 40 ? "..." : "");
  else
    snprintf(got, sizeof got, "%s", tok_text(t));
  if (exp[0])
    d = lex_error(&p->lx, DIAG_E0100, loc->start, loc->end, "unexpected %s, expected %s", got, exp);
  else
    d = lex_error(&p->lx, DIAG_E0100, loc->start, loc->end, "unexpected %s", got);

  if (tok_is_keyword(t) && expects(ctx, YYSYMBOL_IDENT) && !expects(ctx, YYSYMBOL_INT)) {
    diag_help(p->lx.diags, d, "'%.*s' is a reserved word; choose another name",
              (int)(loc->end - loc->start), src + loc->start);
  } else if (t == YYSYMBOL_YYEOF) {
    label_unclosed(p, d);
    if (expects(ctx, YYSYMBOL_INT) && p->lx.prev != T_END)
      diag_label(p->lx.diags, d, span_make(p->lx.file, p->lx.prev_start, p->lx.prev_end),
                 "expected an expression after this");
  } else if (starts_line(p, loc->start) && expects(ctx, YYSYMBOL_INT) &&
             !expects(ctx, YYSYMBOL_RBRACK) && !expects(ctx, YYSYMBOL_RPAREN) &&
             p->lx.prev_end <= loc->start) {
    /* `let x = 1 +` and the next line: point at what is missing its operand */
    diag_label(p->lx.diags, d, span_make(p->lx.file, p->lx.prev_start, p->lx.prev_end),
               "expected an expression after this");
  } else if (p->lx.depth > 0 && tok_is_decl_start(t) && starts_line(p, loc->start) &&
             (expects(ctx, YYSYMBOL_RBRACE) || expects(ctx, YYSYMBOL_RPAREN) ||
              expects(ctx, YYSYMBOL_RBRACK))) {
    label_unclosed(p, d);
    diag_help(p->lx.diags, d, "is a %s missing before this declaration?",
              closer_of(p->lx.open_kind[p->lx.depth - 1]));
  } else if (is_decl_keyword_token(p->lx.prev) && starts_line(p, p->lx.prev_start) &&
             p->lx.prev2 == T_DOT) {
    /* `a.` at the end of a line, then `let y = 1`: `let` became the property name */
    diag_label(p->lx.diags, d, span_make(p->lx.file, p->lx.prev_start, p->lx.prev_end),
               "read as a property name after '.'");
    diag_help(p->lx.diags, d, "a name is missing after the '.' before it");
  } else if (is_decl_keyword_token(p->lx.prev) && starts_line(p, p->lx.prev_start) &&
             p->lx.depth > 0 && p->lx.open_kind[p->lx.depth - 1] == '{' &&
             p->lx.open[p->lx.depth - 1] < p->lx.prev_start) {
    /* (the brace must be open before the keyword: in `component {` it is the token
       that went wrong, not an unclosed body) */
    /* `resource` read as a field name: a body was probably not closed */
    label_unclosed(p, d);
    diag_help(p->lx.diags, d, "if '%s' starts a new declaration, a '}' is missing before it",
              p->lx.kw[p->lx.prev - T_USE]->s);
  }
  return 0;
}

static void pperror(const Span *loc, Parser *p, const char *msg) {
  /* Only "memory exhausted" reaches here: Bison's stack outgrew YYMAXDEPTH (or a restart,
     see yyreport_syntax_error).  Without LAC, parse again with it, so that the error
     comes at the same point as when LAC runs from the start. */
  (void)msg;
  if (!p->lac) { p->restart = true; lex_stop(&p->lx); return; }
  if (p->lx.stopped) return;
  Diag *d = lex_error(&p->lx, DIAG_E0101, loc->start, loc->end, "nesting too deep (limit is %d)",
                      PARSE_MAX_DEPTH);
  diag_help(p->lx.diags, d, "split the expression with `let` bindings");
  p->lx.stopped = true;
}

AstFile *parse_file(const ParseInput *in) {
  Parser *p = plat_xcalloc(1, sizeof *p);
  p->in = in;
  AstFile *f = arena_alloc(in->arena, sizeof *f);
  f->file = in->file;
  f->is_schema = in->schema;
  p->file = f;
  /* First without LAC (Lookahead Correction): a valid file parses the same either way, and
     LAC simulates every reduction a second time (a tenth of the parse of a large file).
     At the first syntax error everything this parse did is dropped and the file is parsed
     again with LAC, so that what is reported, and how the parser recovers, is exactly
     what one parse with LAC gives.  The first parse builds in a scratch arena, freed if
     it is dropped (names it interned stay: they are the same in the second parse). */
  Arena scratch;
  arena_init(&scratch);
  ParseInput first = *in;
  first.arena = &scratch;
  p->a = &scratch;
  lex_init(&p->lx, &first);
  uint32_t ndiags = in->diags->n, nerrors = in->diags->nerrors, nwarnings = in->diags->nwarnings;
  ppparse(p);
  if (!p->restart) {
    arena_merge(in->arena, &scratch);
    p->a = p->lx.arena = in->arena;
  } else {
    arena_free(&scratch);
    in->diags->n = ndiags;
    in->diags->nerrors = nerrors;
    in->diags->nwarnings = nwarnings;
    lex_free(&p->lx);
    lex_init(&p->lx, in);
    p->a = in->arena;
    p->ndecls = 0;
    p->mins = (PtrVec){0};
    p->deep = false;
    p->nxs = p->nfs = p->nids = p->nss = 0;
    p->yychar = NULL;
    p->restart = false;
    p->lac = true;
    ppparse(p);
  }
  for (uint32_t i = 0; i < p->mins.n; i++) {
    Expr *e = p->mins.items[i];
    if (!e) continue;
    Diag *d = lex_error(&p->lx, DIAG_E0006, e->span.start, e->span.end,
                        "integer literal out of range");
    diag_label(p->lx.diags, d, d->span, "9223372036854775808 fits only as -9223372036854775808");
    diag_help(p->lx.diags, d, "the largest int is 9223372036854775807");
    e->kind = EX_ERROR;   /* smaller than EX_INT, so this change of kind is safe */
  }
  /* copied once, right-sized: growing the list in the arena left every smaller copy
     behind (twice its final size for a file of 400,000 declarations) */
  f->ndecls = p->ndecls;
  if (p->ndecls) {
    f->decls = arena_calloc(in->arena, p->ndecls, sizeof *f->decls);
    memcpy(f->decls, p->decls, p->ndecls * sizeof *f->decls);
  }
  f->ncomments = p->lx.ncomments;
  if (f->ncomments) {
    f->comments = arena_calloc(in->arena, f->ncomments, sizeof *f->comments);
    memcpy(f->comments, p->lx.comments, f->ncomments * sizeof *f->comments);
  }
  lex_free(&p->lx);
  free(p->decls);
  free(p->xs);
  free(p->fs);
  free(p->ids);
  free(p->ss);
  free(p);
  const SourceFile *sf = source_file(in->sources, in->file);
  ast_attach_docs(in->arena, f, sf ? sf->text : "");
  return f;
}
