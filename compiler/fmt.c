/* The formatter (`platc fmt`, plat_format): one canonical layout for every Plat program,
 * described with examples in docs/fmt.md.  The AST of one top-level declaration at a time
 * becomes a small document of text, line breaks, groups and indents (Wadler's "prettier
 * printer", as in Prettier), laid out at 100 columns into one growable buffer.  Comments
 * are not in the tree: they are woven back in by source position.  The result is returned
 * only if re-parsing it gives the same ast_dump and the same comments (black's check). */
#include "compiler/compiler.h"

#include <stdlib.h>
#include <string.h>

#define FMT_WIDTH 100
#define FMT_INDENT 2

/* ---- the document ---------------------------------------------------------------------- */

typedef enum DocKind {
  DK_TEXT,       /* text; may hold newlines when copied verbatim (multi-line strings) */
  DK_COMMENT,    /* a comment, spaced from what precedes it; a // one ends its line */
  DK_LINE,       /* a space when its group is flat, else a newline and the indent */
  DK_SOFT,       /* nothing when flat, else a newline */
  DK_HARD,       /* always a newline; every group around it breaks */
  DK_FRESH,      /* a newline unless the line is still empty, indented len more */
  DK_GROUP,      /* lay kid flat if it fits in what is left of the line, else break it */
  DK_INDENT,     /* kid's newlines indent FMT_INDENT more */
  DK_IFBREAK,    /* kid when the enclosing group is broken, alt when flat */
} DocKind;

typedef struct Doc Doc;
struct Doc {
  uint8_t kind;
  bool hard;           /* holds a forced newline: every group around it breaks */
  bool line_comment;   /* DK_COMMENT of a // comment */
  uint32_t len;
  const char *s;
  Doc *kid, *alt;
  Doc *next;           /* documents are linked sequences */
};

/* A sequence under construction. */
typedef struct Seq {
  Doc *head, *tail;
  bool hard;
} Seq;

typedef PlatBuf Buf;

typedef struct Paren {
  uint32_t open, close;   /* byte offsets of a matching ( and ) in the source */
} Paren;

typedef struct Cmd {
  uint32_t indent;
  bool flat;
  Doc *d;
} Cmd;

typedef struct CmdStack {
  Cmd *items;
  size_t n, cap;
} CmdStack;

typedef struct Fmt {
  Arena docs;                 /* this declaration's documents; freed after each one */
  const char *src;
  uint32_t len;
  const Comment *cs;          /* the file's comments, in source order */
  uint32_t ncs, ci;           /* ci: the next comment not yet placed */
  Paren *parens;
  uint32_t nparens;
  bool failed;                /* an unexpected tree or source shape: give up */
  bool after_comment;         /* the last document built was a comment, not code */
  /* layout */
  Buf out;
  CmdStack stack, fits;
  uint32_t col;               /* columns on the current output line */
  bool line_empty;            /* nothing but indentation on the current line */
  bool pending_nl;            /* a // comment ended the line: the next text starts a new one */
  bool after_block;           /* a block comment was just written: space before more text */
  size_t protect;             /* never trim spaces before this offset (verbatim text) */
} Fmt;

/* ---- buffers -------------------------------------------------------------------------- */

static void buf_put(Buf *b, const char *s, size_t n) { plat_buf_put(b, s, n); }

static void buf_ch(Buf *b, char c) { buf_put(b, &c, 1); }

static void cmd_push(CmdStack *st, uint32_t indent, bool flat, Doc *d) {
  if (!d) return;
  if (st->n == st->cap) {
    st->cap = st->cap ? st->cap * 2 : 64;
    st->items = plat_xrealloc(st->items, st->cap * sizeof *st->items);
  }
  st->items[st->n++] = (Cmd){indent, flat, d};
}

/* ---- building documents --------------------------------------------------------------- */

static Doc *dnew(Fmt *F, DocKind kind) {
  Doc *d = arena_alloc(&F->docs, sizeof *d);
  d->kind = (uint8_t)kind;
  d->hard = kind == DK_HARD || kind == DK_FRESH;
  return d;
}

static void add(Seq *q, Doc *d) {
  if (q->tail) q->tail->next = d;
  else q->head = d;
  q->tail = d;
  q->hard |= d->hard;
}

static void cat(Seq *q, Seq r) {
  if (!r.head) return;
  if (q->tail) q->tail->next = r.head;
  else q->head = r.head;
  q->tail = r.tail;
  q->hard |= r.hard;
}

static void textn(Fmt *F, Seq *q, const char *s, uint32_t n) {
  Doc *d = dnew(F, DK_TEXT);
  if (n) F->after_comment = false;
  d->s = s;
  d->len = n;
  add(q, d);
}

static void text(Fmt *F, Seq *q, const char *s) { textn(F, q, s, (uint32_t)strlen(s)); }
static void line(Fmt *F, Seq *q) { add(q, dnew(F, DK_LINE)); }
static void soft(Fmt *F, Seq *q) { add(q, dnew(F, DK_SOFT)); }
static void hard(Fmt *F, Seq *q) { add(q, dnew(F, DK_HARD)); }

/* A newline unless the line is still empty; [extra] more indentation (a continuation). */
static void fresh(Fmt *F, Seq *q, uint32_t extra) {
  Doc *d = dnew(F, DK_FRESH);
  d->len = extra;
  add(q, d);
}

static Doc *wrap(Fmt *F, DocKind kind, Seq in) {
  Doc *d = dnew(F, kind);
  d->kid = in.head;
  d->hard = in.hard;
  return d;
}

static void group(Fmt *F, Seq *q, Seq in) { add(q, wrap(F, DK_GROUP, in)); }
static void indent(Fmt *F, Seq *q, Seq in) { add(q, wrap(F, DK_INDENT, in)); }

/* [s] only when the enclosing group breaks (or only when flat, if [when_broken] false). */
static void ifbreak_text(Fmt *F, Seq *q, const char *s, bool when_broken) {
  Seq t = {0};
  text(F, &t, s);
  Doc *d = dnew(F, DK_IFBREAK);
  if (when_broken) d->kid = t.head;
  else d->alt = t.head;
  add(q, d);
}

/* A blank line, but only in a group that breaks anyway: blank lines never force a break. */
static void ifbreak_blank(Fmt *F, Seq *q) {
  Doc *d = dnew(F, DK_IFBREAK);
  d->kid = dnew(F, DK_LINE);
  add(q, d);
}

/* Display columns of [n] bytes of UTF-8: continuation bytes take none. */
static uint32_t columns(const char *s, uint32_t n) {
  uint32_t c = 0;
  for (uint32_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
  return c;
}

/* ---- source positions and comments ----------------------------------------------------- */

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The comment starting (ending) exactly at [pos], or NULL: binary search. */
static const Comment *comment_starting(const Fmt *F, uint32_t pos) {
  uint32_t lo = 0, hi = F->ncs;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (F->cs[mid].span.start < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo < F->ncs && F->cs[lo].span.start == pos ? &F->cs[lo] : NULL;
}

static const Comment *comment_ending(const Fmt *F, uint32_t pos) {
  uint32_t lo = 0, hi = F->ncs;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (F->cs[mid].span.end < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo < F->ncs && F->cs[lo].span.end == pos ? &F->cs[lo] : NULL;
}

/* The first byte at or after [pos] that is neither whitespace nor comment. */
static uint32_t skip_fwd(const Fmt *F, uint32_t pos) {
  for (;;) {
    while (pos < F->len && is_space(F->src[pos])) pos++;
    const Comment *c = pos < F->len ? comment_starting(F, pos) : NULL;
    if (!c || c->span.end <= pos) return pos;
    pos = c->span.end;
  }
}

/* The offset just after the last byte before [pos] that is neither whitespace nor comment. */
static uint32_t skip_back(const Fmt *F, uint32_t pos) {
  for (;;) {
    const Comment *c = pos > 0 ? comment_ending(F, pos) : NULL;
    if (c && c->span.start < pos) { pos = c->span.start; continue; }
    if (pos > 0 && is_space(F->src[pos - 1])) { pos--; continue; }
    return pos;
  }
}

/* The user left a blank line right before [pos] (only whitespace in between). */
static bool blank_before(const Fmt *F, uint32_t pos) {
  int nl = 0;
  while (pos > 0 && is_space(F->src[pos - 1])) nl += F->src[--pos] == '\n';
  return pos > 0 && nl >= 2;
}

/* A comment that has its line to itself: nothing but comments before it on its line and,
 * for a block comment, nothing but comments after it.  The test gives the same answer on
 * the formatter's output, which is what keeps comment placement idempotent. */
static bool own_line(const Fmt *F, const Comment *c) {
  /* before it: only blanks and other comments since the start of the line */
  for (uint32_t i = c->span.start; i > 0 && F->src[i - 1] != '\n';) {
    const Comment *d = comment_ending(F, i);
    if (d && d->span.start < i) {
      if (memchr(F->src + d->span.start, '\n', i - d->span.start)) break;
      i = d->span.start;
    } else if (F->src[i - 1] == ' ' || F->src[i - 1] == '\t' || F->src[i - 1] == '\r') {
      i--;
    } else {
      return false;
    }
  }
  if (c->kind != COMMENT_BLOCK) return true;
  /* after it: only blanks and other comments up to the end of the line */
  for (uint32_t j = c->span.end; j < F->len && F->src[j] != '\n';) {
    const Comment *d = comment_starting(F, j);
    if (d && d->span.end > j) {
      if (d->kind != COMMENT_BLOCK || memchr(F->src + j, '\n', d->span.end - j)) return true;
      j = d->span.end;
    } else if (F->src[j] == ' ' || F->src[j] == '\t' || F->src[j] == '\r') {
      j++;
    } else {
      return false;
    }
  }
  return true;
}

static Doc *comment_doc(Fmt *F, const Comment *c) {
  Doc *d = dnew(F, DK_COMMENT);
  F->after_comment = true;
  uint32_t s = c->span.start, e = c->span.end;
  if (e > F->len) e = F->len;
  if (c->kind != COMMENT_BLOCK)   /* a // comment: drop trailing blanks and the newline */
    while (e > s && is_space(F->src[e - 1])) e--;
  d->s = F->src + s;
  d->len = e - s;
  d->line_comment = c->kind != COMMENT_BLOCK;
  d->hard = d->line_comment;
  return d;
}

/* Place comments before [pos] inside an expression or header: own-line comments keep a
 * line of their own, the others stay inline. */
static void flush(Fmt *F, Seq *q, uint32_t pos) {
  while (F->ci < F->ncs && F->cs[F->ci].span.start < pos) {
    const Comment *c = &F->cs[F->ci++];
    /* a // comment after code stays at the end of that line; after another comment it
     * starts its own, or the line would hold only comments and read as one next time */
    bool own = own_line(F, c) || (c->kind != COMMENT_BLOCK && F->after_comment);
    if (own) fresh(F, q, FMT_INDENT);
    add(q, comment_doc(F, c));
    if (own) fresh(F, q, FMT_INDENT);
  }
}

/* Comments right after [pos] on the same source line (only blanks and commas between):
 * they stay at the end of the line of the code before them. */
static void trailing(Fmt *F, Seq *q, uint32_t pos) {
  while (F->ci < F->ncs) {
    const Comment *c = &F->cs[F->ci];
    if (c->span.start < pos) return;
    for (uint32_t i = pos; i < c->span.start; i++)
      if (F->src[i] != ' ' && F->src[i] != '\t' && F->src[i] != ',') return;
    F->ci++;
    add(q, comment_doc(F, c));
    if (c->kind != COMMENT_BLOCK) return;
    pos = c->span.end;
    for (uint32_t i = c->span.start; i < c->span.end; i++)
      if (F->src[i] == '\n') return;
  }
}

/* Comments before item [pos] of a statement list (body, file): each on its own line with
 * the user's blank line before it kept; a block comment sharing the item's line stays on
 * it.  [first]: right after an opening brace, where no blank line is kept. */
static bool leading(Fmt *F, Seq *q, uint32_t pos, bool first, bool *blank) {
  bool any = false;
  while (F->ci < F->ncs && F->cs[F->ci].span.start < pos) {
    const Comment *c = &F->cs[F->ci++];
    if (!(first && !any) && blank_before(F, c->span.start)) {
      hard(F, q);
      if (blank) *blank = true;
    }
    if (own_line(F, c)) fresh(F, q, 0);
    add(q, comment_doc(F, c));
    if (c->kind != COMMENT_BLOCK || own_line(F, c)) hard(F, q);
    any = true;
  }
  return any;
}

/* ---- parentheses ----------------------------------------------------------------------- */

/* Match every ( with its ) outside strings and comments.  The tree has no node for
 * parentheses, so the formatter finds the user's in the source: it keeps them where they
 * were written (one pair where several were nested) and adds none of its own. */
static void scan_parens(Fmt *F) {
  enum { M_CODE, M_STR, M_MSTR };
  typedef struct Frame { uint8_t mode; uint32_t depth; } Frame;
  Frame *fr = plat_xmalloc(16 * sizeof *fr);
  size_t nfr = 1, capfr = 16;
  fr[0] = (Frame){M_CODE, 0};
  uint32_t *open = NULL;
  size_t nopen = 0, capopen = 0, cap = 0;
  const char *s = F->src;
  uint32_t n = F->len;
  for (uint32_t i = 0; i < n;) {
    Frame *top = &fr[nfr - 1];
    char c = s[i];
    if (top->mode == M_CODE) {
      if (c == '/' && i + 1 < n && s[i + 1] == '/') {
        while (i < n && s[i] != '\n') i++;
        continue;
      }
      if (c == '/' && i + 1 < n && s[i + 1] == '*') {
        i += 2;
        while (i < n && !(s[i] == '*' && i + 1 < n && s[i + 1] == '/')) i++;
        i += 2;
        continue;
      }
      uint8_t push = 0xff;
      if (c == '"') {
        push = i + 2 < n && s[i + 1] == '"' && s[i + 2] == '"' ? M_MSTR : M_STR;
        i += push == M_MSTR ? 3 : 1;
      } else if (c == '(') {
        if (F->nparens == cap) {
          cap = cap ? cap * 2 : 64;
          F->parens = plat_xrealloc(F->parens, cap * sizeof *F->parens);
        }
        F->parens[F->nparens] = (Paren){i, UINT32_MAX};
        if (nopen == capopen) {
          capopen = capopen ? capopen * 2 : 64;
          open = plat_xrealloc(open, capopen * sizeof *open);
        }
        open[nopen++] = F->nparens++;
        i++;
      } else if (c == ')') {
        if (nopen) F->parens[open[--nopen]].close = i;
        i++;
      } else if (c == '{' && nfr > 1) {
        top->depth++;
        i++;
      } else if (c == '}' && nfr > 1) {
        if (top->depth == 0) nfr--;   /* end of ${ ... }: back in the string */
        else top->depth--;
        i++;
      } else {
        i++;
      }
      if (push != 0xff) {
        if (nfr == capfr) fr = plat_xrealloc(fr, (capfr *= 2) * sizeof *fr);
        fr[nfr++] = (Frame){push, 0};
      }
      continue;
    }
    /* in a string */
    if (c == '\\') { i += 2; continue; }
    if (c == '$' && i + 1 < n && s[i + 1] == '{') {
      if (nfr == capfr) fr = plat_xrealloc(fr, (capfr *= 2) * sizeof *fr);
      fr[nfr++] = (Frame){M_CODE, 0};
      i += 2;
      continue;
    }
    if (top->mode == M_STR && (c == '"' || c == '\n')) { nfr--; i++; continue; }
    if (top->mode == M_MSTR && c == '"' && i + 2 < n && s[i + 1] == '"' && s[i + 2] == '"') {
      nfr--;
      i += 3;
      continue;
    }
    i++;
  }
  free(open);
  free(fr);
}

/* The ) matching the ( at [open], or UINT32_MAX. */
static uint32_t paren_close(const Fmt *F, uint32_t open) {
  uint32_t lo = 0, hi = F->nparens;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (F->parens[mid].open < open) lo = mid + 1;
    else hi = mid;
  }
  return lo < F->nparens && F->parens[lo].open == open ? F->parens[lo].close : UINT32_MAX;
}

/* Where a node's text is and how many parenthesis pairs the user wrapped it in.  Whether
 * the parser's span includes the parentheses or not, [core] is the node without them and
 * [outer] the node with all of them. */
typedef struct Extent {
  uint32_t core_l, core_r, outer_l, outer_r;
  uint32_t layers;
} Extent;

static Extent extent(const Fmt *F, Span s) {
  Extent x = {s.start, s.end, s.start, s.end, 0};
  if (s.end > F->len || s.start >= s.end) return x;
  /* inward: the span includes the parentheses */
  while (x.core_r - x.core_l >= 2 && F->src[x.core_l] == '(' &&
         paren_close(F, x.core_l) == x.core_r - 1) {
    x.layers++;
    x.core_l = skip_fwd(F, x.core_l + 1);
    x.core_r = skip_back(F, x.core_r - 1);
  }
  /* outward: parentheses around the span */
  for (;;) {
    uint32_t p = skip_back(F, x.outer_l);
    if (p == 0 || F->src[p - 1] != '(') break;
    uint32_t q = skip_fwd(F, x.outer_r);
    if (q >= F->len || F->src[q] != ')' || paren_close(F, p - 1) != q) break;
    x.layers++;
    x.outer_l = p - 1;
    x.outer_r = q + 1;
  }
  return x;
}

/* [x] without its outermost pair of parentheses: those of a call or decorator whose only
 * argument it is, which the outward search cannot tell from the user's. */
static Extent shrink_outer(const Fmt *F, Extent x, uint32_t parent_open) {
  if (x.layers == 0 || parent_open == UINT32_MAX || x.outer_l != parent_open) return x;
  x.layers--;
  x.outer_l = skip_fwd(F, x.outer_l + 1);
  x.outer_r = skip_back(F, x.outer_r - 1);
  return x;
}

/* ---- expressions ----------------------------------------------------------------------- */

enum { P_IF = 1, P_COALESCE, P_OR, P_AND, P_CMP, P_ADD, P_MUL, P_UNARY, P_POSTFIX, P_ATOM };

static int binprec(BinaryOp op) {
  switch (op) {
  case BIN_COALESCE: return P_COALESCE;
  case BIN_OR: return P_OR;
  case BIN_AND: return P_AND;
  case BIN_EQ: case BIN_NE: case BIN_LT: case BIN_LE: case BIN_GT: case BIN_GE: return P_CMP;
  case BIN_ADD: case BIN_SUB: return P_ADD;
  case BIN_MUL: case BIN_DIV: case BIN_MOD: return P_MUL;
  }
  return P_ATOM;
}

static bool starts_with_minus(const Fmt *F, const Expr *e);

/* The precedence of [e] as printed (a literal written with its minus sign is a unary). */
static int prec(const Fmt *F, const Expr *e) {
  switch (e->kind) {
  case EX_IF: return P_IF;
  case EX_BINARY: return binprec(e->u.binary.op);
  case EX_UNARY: return P_UNARY;
  case EX_INT: case EX_FLOAT: return starts_with_minus(F, e) ? P_UNARY : P_ATOM;
  case EX_MEMBER: case EX_INDEX: case EX_CALL: return P_POSTFIX;
  default: return P_ATOM;
  }
}

static bool starts_with_minus(const Fmt *F, const Expr *e) {
  if (e->kind == EX_UNARY) return e->u.unary.op == UN_NEG;
  if (e->kind == EX_INT || e->kind == EX_FLOAT) {
    Extent x = extent(F, e->span);
    return x.layers == 0 && x.core_l < F->len && F->src[x.core_l] == '-';
  }
  return false;
}

static void ident(Fmt *F, Seq *q, Ident id) {
  if (!id.str) { F->failed = true; return; }
  if (id.span.end > id.span.start) flush(F, q, id.span.start);
  textn(F, q, id.str->s, id.str->len);
}

/* Source text copied as written (strings keep their escapes, numbers their digits);
 * comments inside it (in ${ } interpolations) travel with it. */
static void verbatim(Fmt *F, Seq *q, uint32_t l, uint32_t r) {
  if (r > F->len || l > r) { F->failed = true; return; }
  textn(F, q, F->src + l, r - l);
  while (F->ci < F->ncs && F->cs[F->ci].span.start < r) F->ci++;
}

static Seq expr(Fmt *F, const Expr *e, int need, uint32_t parent_open);

/* [s], for the punctuation [ch] expected next after source offset [after]: comments
 * before that punctuation are placed before it, where the user wrote them. */
static void punct(Fmt *F, Seq *q, uint32_t after, char ch, const char *s) {
  uint32_t p = skip_fwd(F, after);
  if (p < F->len && F->src[p] == ch) flush(F, q, p);
  text(F, q, s);
}

static uint32_t type_end(const Fmt *F, const TypeExpr *t);
static Seq type_expr(Fmt *F, const TypeExpr *t, bool need_parens);

/* One thing in a bracketed list, body or statement list. */
typedef enum ItemKind { IT_EXPR, IT_FIELD, IT_TFIELD, IT_PARAM, IT_DECL, IT_RULE } ItemKind;
typedef struct Items {
  ItemKind kind;
  uint32_t n;
  union {
    Expr *const *exprs;
    const Field *fields;
    const TypeField *tfields;
    const FnParam *params;
    Decl *const *decls;
    const PolicyRule *rules;
  } u;
  uint32_t single_open;   /* the ( of a call with one argument, so (x) is not doubled */
  Doc **pads;             /* IT_FIELD: the padding after each name, sized by align() */
  bool *blank;            /* IT_FIELD: a blank line was written before item i */
  bool pad_if_broken;     /* records: aligned only when laid one field per line */
} Items;

static uint32_t decl_start(const Decl *d) {
  uint32_t s = d->span.start;
  for (uint32_t i = 0; i < d->ndecos; i++)
    if (d->decos[i].span.start < s) s = d->decos[i].span.start;
  return s;
}

/* An expression item's extent, without the parentheses of a call whose one argument it is. */
static Extent item_extent(const Fmt *F, const Items *it, uint32_t i) {
  uint32_t open = it->n == 1 ? it->single_open : UINT32_MAX;
  return shrink_outer(F, extent(F, it->u.exprs[i]->span), open);
}

static uint32_t item_start(const Fmt *F, const Items *it, uint32_t i) {
  switch (it->kind) {
  case IT_EXPR:
    return item_extent(F, it, i).outer_l;
  case IT_FIELD: return it->u.fields[i].span.start;
  case IT_TFIELD: {
    const TypeField *f = &it->u.tfields[i];
    return f->span.start < f->name.span.start ? f->span.start : f->name.span.start;
  }
  case IT_PARAM: return it->u.params[i].span.start;
  case IT_DECL: return decl_start(it->u.decls[i]);
  case IT_RULE: return it->u.rules[i].span.start;
  }
  return 0;
}

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static uint32_t item_end(const Fmt *F, const Items *it, uint32_t i) {
  switch (it->kind) {
  case IT_EXPR:
    return item_extent(F, it, i).outer_r;
  case IT_FIELD: {
    const Field *f = &it->u.fields[i];
    return f->value ? max_u32(f->span.end, extent(F, f->value->span).outer_r) : f->span.end;
  }
  case IT_TFIELD: return it->u.tfields[i].span.end;
  case IT_PARAM: return it->u.params[i].span.end;
  case IT_DECL: return it->u.decls[i]->span.end;
  case IT_RULE: return it->u.rules[i].span.end;
  }
  return 0;
}

static Seq decl(Fmt *F, const Decl *d);

/* [q] (the keyword) then `cond : msg`; when too long, the message goes on the next line:
 *   deny cond
 *     : "message"                                                                     */
static Seq cond_message(Fmt *F, Seq q, const Expr *cond, const Expr *msg) {
  cat(&q, expr(F, cond, 0, UINT32_MAX));
  if (msg) {
    Seq in = {0};
    line(F, &in);
    punct(F, &in, extent(F, cond->span).outer_r, ':', ": ");
    cat(&in, expr(F, msg, 0, UINT32_MAX));
    indent(F, &q, in);
  }
  Seq g = {0};
  group(F, &g, q);
  return g;
}

static void field_name(Fmt *F, Seq *q, const Field *f) {
  if (f->quoted) {
    flush(F, q, f->name.span.start);
    verbatim(F, q, f->name.span.start, f->name.span.end);
  } else {
    ident(F, q, f->name);
  }
}

static Seq item_doc(Fmt *F, const Items *it, uint32_t i) {
  Seq q = {0};
  switch (it->kind) {
  case IT_EXPR:
    return expr(F, it->u.exprs[i], 0, it->n == 1 ? it->single_open : UINT32_MAX);
  case IT_FIELD: {
    const Field *f = &it->u.fields[i];
    field_name(F, &q, f);
    if (it->pads) {
      Doc *t = dnew(F, DK_TEXT);
      it->pads[i] = t;
      if (it->pad_if_broken) {
        Doc *b = dnew(F, DK_IFBREAK);
        b->kid = t;
        add(&q, b);
      } else {
        add(&q, t);
      }
    }
    punct(F, &q, f->name.span.end, '=', " = ");
    cat(&q, expr(F, f->value, 0, UINT32_MAX));
    return q;
  }
  case IT_TFIELD: {
    const TypeField *f = &it->u.tfields[i];
    if (f->is_output) text(F, &q, "output ");
    ident(F, &q, f->name);
    text(F, &q, ": ");
    cat(&q, type_expr(F, f->type, false));
    if (f->deflt) {
      punct(F, &q, type_end(F, f->type), '=', " = ");
      cat(&q, expr(F, f->deflt, 0, UINT32_MAX));
    }
    return q;
  }
  case IT_PARAM: {
    const FnParam *p = &it->u.params[i];
    ident(F, &q, p->name);
    if (p->type) {
      text(F, &q, ": ");
      cat(&q, type_expr(F, p->type, false));
    }
    if (p->deflt) {
      punct(F, &q, p->type ? type_end(F, p->type) : p->name.span.end, '=', " = ");
      cat(&q, expr(F, p->deflt, 0, UINT32_MAX));
    }
    return q;
  }
  case IT_DECL:
    return decl(F, it->u.decls[i]);
  case IT_RULE: {
    const PolicyRule *r = &it->u.rules[i];
    text(F, &q, r->kind == RULE_DENY ? "deny " : "warn ");
    return cond_message(F, q, r->cond, r->msg);
  }
  }
  return q;
}

/* Prepare [it] for aligning the = of its fields (see align). */
static void align_prepare(Fmt *F, Items *it) {
  if (it->kind != IT_FIELD || it->n < 2) return;
  it->pads = arena_calloc(&F->docs, it->n, sizeof *it->pads);
  it->blank = arena_calloc(&F->docs, it->n, sizeof *it->blank);
}

/* Align the = of consecutive fields, as gofmt and terraform fmt do: a run of fields ends
 * at a blank line, and every name in a run is padded to the longest one. */
static void align(Fmt *F, const Items *it) {
  static const char spaces[] = "                                                                ";
  if (!it->pads) return;
  for (uint32_t i = 0; i < it->n;) {
    uint32_t j = i + 1, w = 0;
    while (j < it->n && !it->blank[j]) j++;
    for (uint32_t k = i; k < j; k++) {
      Span s = it->u.fields[k].name.span;
      uint32_t c = columns(F->src + s.start, s.end - s.start);
      if (c > w) w = c;
    }
    for (uint32_t k = i; k < j; k++) {
      Span s = it->u.fields[k].name.span;
      uint32_t pad = w - columns(F->src + s.start, s.end - s.start);
      if (!it->pads[k]) continue;
      it->pads[k]->s = spaces;
      it->pads[k]->len = pad < sizeof spaces - 1 ? pad : (uint32_t)sizeof spaces - 1;
    }
    i = j;
  }
}

typedef enum SepKind {
  SEP_COMMA,      /* a, b, c — and a trailing comma when broken: lists, arguments */
  SEP_FIELDS,     /* a, b flat; one per line without commas when broken: records */
} SepKind;

/* [open] items [close] laid flat when they fit, else one item per line.  [open_pos] and
 * [close_pos] are the brackets in the source, for the comments just inside them.
 * [padded]: a space inside the brackets when flat ({ a = 1 }). */
static Seq bracketed(Fmt *F, const char *open, const char *close, uint32_t open_pos,
                     uint32_t close_pos, Items *it, SepKind sep, bool padded) {
  Seq q = {0}, in = {0};
  text(F, &q, open);
  /* a comment between what comes before and the bracket goes after the bracket */
  if (F->ci < F->ncs && F->cs[F->ci].span.start < open_pos)
    add(&q, comment_doc(F, &F->cs[F->ci++]));
  else trailing(F, &q, open_pos + 1);
  bool comments_inside = F->ci < F->ncs && F->cs[F->ci].span.start < close_pos;
  if (it->n == 0 && !comments_inside && !q.hard) {
    text(F, &q, close);
    return q;
  }
  it->pad_if_broken = true;
  align_prepare(F, it);
  for (uint32_t i = 0; i < it->n; i++) {
    uint32_t start = item_start(F, it, i);
    if (i == 0) {
      if (padded) line(F, &in);
      else soft(F, &in);
    } else {
      line(F, &in);
      if (blank_before(F, F->ci < F->ncs && F->cs[F->ci].span.start < start
                              ? F->cs[F->ci].span.start : start)) {
        ifbreak_blank(F, &in);
        if (it->blank) it->blank[i] = true;
      }
    }
    while (F->ci < F->ncs && F->cs[F->ci].span.start < start) {
      const Comment *c = &F->cs[F->ci++];
      if (own_line(F, c)) fresh(F, &in, 0);
      add(&in, comment_doc(F, c));
      if (c->kind != COMMENT_BLOCK || own_line(F, c)) hard(F, &in);
    }
    cat(&in, item_doc(F, it, i));
    if (sep == SEP_COMMA) {
      if (i + 1 < it->n) text(F, &in, ",");
      else ifbreak_text(F, &in, ",", true);
    } else if (i + 1 < it->n) {
      ifbreak_text(F, &in, ",", false);
    }
    trailing(F, &in, item_end(F, it, i));
  }
  align(F, it);
  /* comments before the closing bracket */
  bool first = it->n == 0;
  while (F->ci < F->ncs && F->cs[F->ci].span.start < close_pos) {
    const Comment *c = &F->cs[F->ci++];
    /* after another comment it takes a line of its own, as it will read next time */
    if (own_line(F, c) || F->after_comment) {
      hard(F, &in);
      add(&in, comment_doc(F, c));
    } else {
      if (first && padded) line(F, &in);
      add(&in, comment_doc(F, c));
    }
    first = false;
  }
  indent(F, &q, in);
  if (padded) line(F, &q);
  else soft(F, &q);
  text(F, &q, close);
  Seq g = {0};
  group(F, &g, q);
  return g;
}

/* The position of [ch] at or after [pos], past trivia and one comma; fails otherwise. */
static uint32_t expect_at(Fmt *F, uint32_t pos, char ch) {
  uint32_t p = skip_fwd(F, pos);
  if (p < F->len && F->src[p] == ',' && ch != ',') p = skip_fwd(F, p + 1);
  if (p >= F->len || F->src[p] != ch) {
    F->failed = true;
    return pos;
  }
  return p;
}

static void for_clause(Fmt *F, Seq *q, const ForClause *fc) {
  text(F, q, "for ");
  ident(F, q, fc->var1);
  if (fc->var2.str) {
    text(F, q, ", ");
    ident(F, q, fc->var2);
  }
  text(F, q, " in ");
  cat(q, expr(F, fc->source, 0, UINT32_MAX));
}

/* Arguments of a call or decorator: ( at [open] (already known), items, ). */
static Seq args(Fmt *F, uint32_t open, Expr *const *xs, uint32_t n) {
  Items it = {.kind = IT_EXPR, .n = n, .u.exprs = xs, .single_open = open};
  uint32_t close = n ? expect_at(F, item_end(F, &it, n - 1), ')') : expect_at(F, open + 1, ')');
  /* A lone list, record or comprehension hugs the parentheses: f({ ... }) breaks inside
   * the braces, not around them (unless comments sit between the brackets). */
  if (n == 1) {
    ExprKind k = xs[0]->kind;
    Seq q = {0};
    flush(F, &q, open);
    bool hug = k == EX_LIST || k == EX_RECORD || k == EX_LIST_COMP || k == EX_MAP_COMP;
    if (hug && shrink_outer(F, extent(F, xs[0]->span), open).layers == 0 &&
        !(F->ci < F->ncs && F->cs[F->ci].span.start < close)) {
      text(F, &q, "(");
      cat(&q, expr(F, xs[0], 0, open));
      text(F, &q, ")");
      return q;
    }
    cat(&q, bracketed(F, "(", ")", open, close, &it, SEP_COMMA, false));
    return q;
  }
  return bracketed(F, "(", ")", open, close, &it, SEP_COMMA, false);
}

/* A chain a && b && c (or ||, ??) on one line, or when too long broken before each
 * operator:
 *   deny isPublic(f)
 *     && f.mode != "0600"                                                              */
static Seq chain(Fmt *F, const Expr *e) {
  BinaryOp op = e->u.binary.op;
  int p = binprec(op);
  /* the operands, leftmost first: the chain is left-nested, stopping at parentheses */
  uint32_t n = 2;
  const Expr *x = e->u.binary.lhs;
  while (x->kind == EX_BINARY && x->u.binary.op == op && extent(F, x->span).layers == 0) {
    n++;
    x = x->u.binary.lhs;
  }
  const Expr **ops = arena_calloc(&F->docs, n, sizeof *ops);
  x = e;
  for (uint32_t i = n - 1; i > 0; i--) {
    ops[i] = x->u.binary.rhs;
    x = x->u.binary.lhs;
  }
  ops[0] = x;
  Seq q = {0}, in = {0};
  cat(&q, expr(F, ops[0], p, UINT32_MAX));
  for (uint32_t i = 1; i < n; i++) {
    line(F, &in);
    text(F, &in, ast_binop_text(op));
    text(F, &in, " ");
    cat(&in, expr(F, ops[i], p + 1, UINT32_MAX));
  }
  indent(F, &q, in);
  Seq g = {0};
  group(F, &g, q);
  return g;
}

static Seq expr_core(Fmt *F, const Expr *e, Extent x) {
  Seq q = {0};
  switch (e->kind) {
  case EX_ERROR:
    F->failed = true;
    return q;
  case EX_INT:
  case EX_FLOAT:
  case EX_STRING:
    verbatim(F, &q, x.core_l, x.core_r);
    return q;
  case EX_BOOL:
    text(F, &q, e->u.b ? "true" : "false");
    return q;
  case EX_NULL:
    text(F, &q, "null");
    return q;
  case EX_NAME:
    ident(F, &q, e->u.name.id);
    return q;
  case EX_LIST: {
    Items it = {.kind = IT_EXPR, .n = e->u.list.nitems, .u.exprs = e->u.list.items,
                .single_open = UINT32_MAX};
    if (F->src[x.core_l] != '[' || F->src[x.core_r - 1] != ']') { F->failed = true; return q; }
    return bracketed(F, "[", "]", x.core_l, x.core_r - 1, &it, SEP_COMMA, false);
  }
  case EX_RECORD: {
    Items it = {.kind = IT_FIELD, .n = e->u.record.nfields, .u.fields = e->u.record.fields};
    if (F->src[x.core_l] != '{' || F->src[x.core_r - 1] != '}') { F->failed = true; return q; }
    return bracketed(F, "{", "}", x.core_l, x.core_r - 1, &it, SEP_FIELDS, true);
  }
  case EX_INSTANCE: {
    Items it = {.kind = IT_FIELD, .n = e->u.inst.nfields, .u.fields = e->u.inst.fields};
    cat(&q, type_expr(F, e->u.inst.type, false));
    text(F, &q, " ");
    uint32_t open = expect_at(F, extent(F, e->u.inst.type->span).outer_r, '{');
    if (F->src[x.core_r - 1] != '}') { F->failed = true; return q; }
    cat(&q, bracketed(F, "{", "}", open, x.core_r - 1, &it, SEP_FIELDS, true));
    return q;
  }
  case EX_MEMBER:
    cat(&q, expr(F, e->u.member.obj, P_POSTFIX, UINT32_MAX));
    text(F, &q, ".");
    ident(F, &q, e->u.member.name);
    return q;
  case EX_INDEX:
    cat(&q, expr(F, e->u.index.obj, P_POSTFIX, UINT32_MAX));
    text(F, &q, "[");
    cat(&q, expr(F, e->u.index.index, 0, UINT32_MAX));
    flush(F, &q, x.core_r - 1);
    text(F, &q, "]");
    return q;
  case EX_CALL: {
    cat(&q, expr(F, e->u.call.callee, P_POSTFIX, UINT32_MAX));
    uint32_t open = expect_at(F, extent(F, e->u.call.callee->span).outer_r, '(');
    cat(&q, args(F, open, e->u.call.args, e->u.call.nargs));
    return q;
  }
  case EX_UNARY: {
    const Expr *o = e->u.unary.operand;
    text(F, &q, e->u.unary.op == UN_NEG ? "-" : "!");
    /* - -x, not --x */
    if (e->u.unary.op == UN_NEG && starts_with_minus(F, o) && extent(F, o->span).layers == 0)
      text(F, &q, " ");
    cat(&q, expr(F, o, P_UNARY, UINT32_MAX));
    return q;
  }
  case EX_BINARY: {
    BinaryOp op = e->u.binary.op;
    int p = binprec(op);
    if (op == BIN_AND || op == BIN_OR || op == BIN_COALESCE) return chain(F, e);
    /* left-associative, comparisons not associative at all */
    cat(&q, expr(F, e->u.binary.lhs, p == P_CMP ? p + 1 : p, UINT32_MAX));
    text(F, &q, " ");
    text(F, &q, ast_binop_text(e->u.binary.op));
    text(F, &q, " ");
    cat(&q, expr(F, e->u.binary.rhs, p + 1, UINT32_MAX));
    return q;
  }
  case EX_IF: {
    Seq in = {0};
    text(F, &q, "if ");
    cat(&q, expr(F, e->u.cond.cond, 0, UINT32_MAX));
    line(F, &in);
    text(F, &in, "then ");
    cat(&in, expr(F, e->u.cond.then, 0, UINT32_MAX));
    line(F, &in);
    text(F, &in, "else ");
    cat(&in, expr(F, e->u.cond.els, 0, UINT32_MAX));
    indent(F, &q, in);
    Seq g = {0};
    group(F, &g, q);
    return g;
  }
  case EX_LIST_COMP: {
    Seq in = {0};
    text(F, &q, "[");
    trailing(F, &q, x.core_l + 1);
    soft(F, &in);
    cat(&in, expr(F, e->u.lcomp.elem, 0, UINT32_MAX));
    line(F, &in);
    for_clause(F, &in, &e->u.lcomp.f);
    if (e->u.lcomp.filter) {
      line(F, &in);
      text(F, &in, "if ");
      cat(&in, expr(F, e->u.lcomp.filter, 0, UINT32_MAX));
    }
    flush(F, &in, x.core_r - 1);
    indent(F, &q, in);
    soft(F, &q);
    text(F, &q, "]");
    Seq g = {0};
    group(F, &g, q);
    return g;
  }
  case EX_MAP_COMP: {
    Seq in = {0};
    text(F, &q, "{");
    trailing(F, &q, x.core_l + 1);
    line(F, &in);
    cat(&in, expr(F, e->u.mcomp.key, 0, UINT32_MAX));
    text(F, &in, " => ");
    cat(&in, expr(F, e->u.mcomp.value, 0, UINT32_MAX));
    line(F, &in);
    for_clause(F, &in, &e->u.mcomp.f);
    if (e->u.mcomp.filter) {
      line(F, &in);
      text(F, &in, "if ");
      cat(&in, expr(F, e->u.mcomp.filter, 0, UINT32_MAX));
    }
    flush(F, &in, x.core_r - 1);
    indent(F, &q, in);
    line(F, &q);
    text(F, &q, "}");
    Seq g = {0};
    group(F, &g, q);
    return g;
  }
  }
  F->failed = true;
  return q;
}

/* [e] with the parentheses its author wrote (one pair however many were nested), plus a
 * pair if its precedence is below [need] (never for a tree that came from the parser).
 * [parent_open]: the ( of the call or decorator whose only argument [e] is. */
static Seq expr(Fmt *F, const Expr *e, int need, uint32_t parent_open) {
  Seq q = {0};
  if (!e) { F->failed = true; return q; }
  Extent x = shrink_outer(F, extent(F, e->span), parent_open);
  flush(F, &q, x.outer_l);
  bool parens = x.layers > 0 || prec(F, e) < need;
  if (parens) text(F, &q, "(");
  flush(F, &q, x.core_l);
  cat(&q, expr_core(F, e, x));
  if (parens) {
    flush(F, &q, x.outer_r > x.core_r ? x.outer_r - 1 : x.core_r);
    text(F, &q, ")");
  }
  return q;
}

/* ---- types ----------------------------------------------------------------------------- */

static Seq type_core(Fmt *F, const TypeExpr *t, Extent x) {
  Seq q = {0};
  switch (t->kind) {
  case TE_ERROR:
    F->failed = true;
    return q;
  case TE_NAME:
    for (uint32_t i = 0; i < t->u.name.nparts; i++) {
      if (i) text(F, &q, ".");
      ident(F, &q, t->u.name.parts[i]);
    }
    return q;
  case TE_LIST:
  case TE_MAP:
    text(F, &q, t->kind == TE_LIST ? "list<" : "map<");
    cat(&q, type_expr(F, t->u.elem, false));
    flush(F, &q, x.core_r - 1);
    text(F, &q, ">");
    return q;
  case TE_RECORD: {
    Items it = {.kind = IT_TFIELD, .n = t->u.record.nfields, .u.tfields = t->u.record.fields};
    if (F->src[x.core_l] != '{' || F->src[x.core_r - 1] != '}') { F->failed = true; return q; }
    return bracketed(F, "{", "}", x.core_l, x.core_r - 1, &it, SEP_FIELDS, true);
  }
  case TE_OPTIONAL: {
    const TypeExpr *el = t->u.elem;
    TypeExprKind k = el ? el->kind : TE_ERROR;
    bool need = (k == TE_UNION && el->u.uni.nmembers > 1) || k == TE_SECRET || k == TE_REFINED;
    cat(&q, type_expr(F, el, need));
    text(F, &q, "?");
    return q;
  }
  case TE_UNION: {
    Seq in = {0};
    for (uint32_t i = 0; i < t->u.uni.nmembers; i++) {
      Seq *dst = i ? &in : &q;
      if (i) {
        line(F, &in);
        text(F, &in, "| ");
      }
      cat(dst, expr(F, t->u.uni.members[i], 0, UINT32_MAX));
    }
    indent(F, &q, in);
    Seq g = {0};
    group(F, &g, q);
    return g;
  }
  case TE_SECRET:
    text(F, &q, "secret ");
    cat(&q, type_expr(F, t->u.elem, false));
    return q;
  case TE_REFINED: {
    const TypeExpr *b = t->u.refined.base;
    cat(&q, type_expr(F, b, b && (b->kind == TE_SECRET || b->kind == TE_REFINED)));
    text(F, &q, " where ");
    cat(&q, expr(F, t->u.refined.pred, 0, UINT32_MAX));
    return q;
  }
  }
  F->failed = true;
  return q;
}

static Seq type_expr(Fmt *F, const TypeExpr *t, bool need_parens) {
  Seq q = {0};
  if (!t) { F->failed = true; return q; }
  Extent x = extent(F, t->span);
  flush(F, &q, x.outer_l);
  bool parens = x.layers > 0 || need_parens;
  if (parens) text(F, &q, "(");
  flush(F, &q, x.core_l);
  cat(&q, type_core(F, t, x));
  if (parens) {
    flush(F, &q, x.outer_r > x.core_r ? x.outer_r - 1 : x.core_r);
    text(F, &q, ")");
  }
  return q;
}

static uint32_t type_end(const Fmt *F, const TypeExpr *t) {
  return t ? extent(F, t->span).outer_r : 0;
}

/* ---- declarations ---------------------------------------------------------------------- */

/* A declaration body: { then one item per line, user blank lines kept (at most one), }.
 * Always broken, even when short: a body grows one line per property in diffs. */
static Seq body(Fmt *F, uint32_t open, uint32_t close, Items *it) {
  Seq q = {0}, in = {0};
  if (open >= F->len || close >= F->len || F->src[open] != '{' || F->src[close] != '}') {
    F->failed = true;
    return q;
  }
  text(F, &q, "{");
  /* a comment between the header and its { goes after the {, on the same line */
  if (F->ci < F->ncs && F->cs[F->ci].span.start < open) add(&q, comment_doc(F, &F->cs[F->ci++]));
  else trailing(F, &q, open + 1);
  bool any = false;
  align_prepare(F, it);
  for (uint32_t i = 0; i < it->n; i++) {
    uint32_t start = item_start(F, it, i);
    bool blank = false;
    hard(F, &in);
    bool had = leading(F, &in, start, !any, &blank);
    if ((any || had) && blank_before(F, start)) {
      hard(F, &in);
      blank = true;
    }
    if (it->blank) it->blank[i] = blank;
    cat(&in, item_doc(F, it, i));
    trailing(F, &in, item_end(F, it, i));
    any = true;
  }
  align(F, it);
  while (F->ci < F->ncs && F->cs[F->ci].span.start < close) {
    const Comment *c = &F->cs[F->ci++];
    hard(F, &in);
    if (any && blank_before(F, c->span.start)) hard(F, &in);
    add(&in, comment_doc(F, c));
    any = true;
  }
  indent(F, &q, in);
  if (any) hard(F, &q);
  text(F, &q, "}");
  return q;
}

static void decorator(Fmt *F, Seq *q, const Decorator *dc) {
  text(F, q, "@");
  ident(F, q, dc->name);
  if (dc->has_parens) {
    uint32_t open = expect_at(F, dc->name.span.end, '(');
    cat(q, args(F, open, dc->args, dc->nargs));
  }
}

/* `name: T` when there is a type, as in param, let and output. */
static void typed_name(Fmt *F, Seq *q, Ident name, const TypeExpr *type) {
  ident(F, q, name);
  if (type) {
    text(F, q, ": ");
    cat(q, type_expr(F, type, false));
  }
}

static Seq decl(Fmt *F, const Decl *d) {
  Seq q = {0};
  for (uint32_t i = 0; i < d->ndecos; i++) {
    if (i) leading(F, &q, d->decos[i].span.start, false, NULL);
    decorator(F, &q, &d->decos[i]);
    trailing(F, &q, d->decos[i].span.end);
    hard(F, &q);
  }
  if (d->ndecos) leading(F, &q, d->span.start, false, NULL);
  switch (d->kind) {
  case D_ERROR:
    F->failed = true;
    break;
  case D_USE:
    text(F, &q, "use ");
    ident(F, &q, d->u.use.provider.str ? d->u.use.provider : d->name);
    break;
  case D_IMPORT:
    text(F, &q, "import ");
    cat(&q, expr(F, d->u.import.path, 0, UINT32_MAX));
    text(F, &q, " as ");
    ident(F, &q, d->u.import.alias);
    break;
  case D_PARAM:
    text(F, &q, "param ");
    typed_name(F, &q, d->name, d->u.param.type);
    if (d->u.param.deflt) {
      punct(F, &q, d->u.param.type ? type_end(F, d->u.param.type) : d->name.span.end, '=', " = ");
      cat(&q, expr(F, d->u.param.deflt, 0, UINT32_MAX));
    }
    if (d->u.param.where) {
      text(F, &q, " where ");
      cat(&q, expr(F, d->u.param.where, 0, UINT32_MAX));
    }
    break;
  case D_LET:
  case D_OUTPUT:
    text(F, &q, d->kind == D_LET ? "let " : "output ");
    typed_name(F, &q, d->name, d->u.let.type);
    punct(F, &q, d->u.let.type ? type_end(F, d->u.let.type) : d->name.span.end, '=', " = ");
    cat(&q, expr(F, d->u.let.value, 0, UINT32_MAX));
    break;
  case D_TYPE:
    text(F, &q, "type ");
    ident(F, &q, d->name);
    punct(F, &q, d->name.span.end, '=', " = ");
    cat(&q, type_expr(F, d->u.alias.type, false));
    break;
  case D_FN: {
    text(F, &q, "fn ");
    ident(F, &q, d->name);
    Items it = {.kind = IT_PARAM, .n = d->u.fn.nparams, .u.params = d->u.fn.params};
    uint32_t open = expect_at(F, d->name.span.end, '(');
    uint32_t close = it.n ? expect_at(F, item_end(F, &it, it.n - 1), ')')
                          : expect_at(F, open + 1, ')');
    cat(&q, bracketed(F, "(", ")", open, close, &it, SEP_COMMA, false));
    if (d->u.fn.ret) {
      text(F, &q, ": ");
      cat(&q, type_expr(F, d->u.fn.ret, false));
    }
    punct(F, &q, d->u.fn.ret ? type_end(F, d->u.fn.ret) : close + 1, '=', " = ");
    cat(&q, expr(F, d->u.fn.body, 0, UINT32_MAX));
    break;
  }
  case D_RESOURCE: {
    text(F, &q, "resource ");
    ident(F, &q, d->name);
    text(F, &q, ": ");
    cat(&q, type_expr(F, d->u.res.type, false));
    if (d->u.res.each) {
      text(F, &q, " ");
      for_clause(F, &q, d->u.res.each);
    }
    if (d->u.res.cond) {
      text(F, &q, " if ");
      cat(&q, expr(F, d->u.res.cond, 0, UINT32_MAX));
    }
    text(F, &q, " ");
    Items it = {.kind = IT_FIELD, .n = d->u.res.nfields, .u.fields = d->u.res.fields};
    cat(&q, body(F, d->u.res.body_span.start, d->u.res.body_span.end - 1, &it));
    break;
  }
  case D_COMPONENT: {
    text(F, &q, "component ");
    ident(F, &q, d->name);
    text(F, &q, " ");
    Items it = {.kind = IT_DECL, .n = d->u.comp.nmembers, .u.decls = d->u.comp.members};
    cat(&q, body(F, d->u.comp.body_span.start, d->u.comp.body_span.end - 1, &it));
    break;
  }
  case D_POLICY: {
    text(F, &q, "policy ");
    cat(&q, expr(F, d->u.policy.title, 0, UINT32_MAX));
    text(F, &q, " for ");
    ident(F, &q, d->u.policy.var);
    text(F, &q, ": ");
    cat(&q, type_expr(F, d->u.policy.type, false));
    text(F, &q, " ");
    Items it = {.kind = IT_RULE, .n = d->u.policy.nrules, .u.rules = d->u.policy.rules};
    uint32_t open = expect_at(F, extent(F, d->u.policy.type->span).outer_r, '{');
    cat(&q, body(F, open, d->span.end - 1, &it));
    break;
  }
  case D_TEST: {
    text(F, &q, "test ");
    cat(&q, expr(F, d->u.test.title, 0, UINT32_MAX));
    text(F, &q, " ");
    Items it = {.kind = IT_DECL, .n = d->u.test.nstmts, .u.decls = d->u.test.stmts};
    uint32_t open = expect_at(F, extent(F, d->u.test.title->span).outer_r, '{');
    cat(&q, body(F, open, d->span.end - 1, &it));
    break;
  }
  case D_MOVED:
    text(F, &q, "moved ");
    cat(&q, expr(F, d->u.moved.from, 0, UINT32_MAX));
    text(F, &q, " => ");
    cat(&q, expr(F, d->u.moved.to, 0, UINT32_MAX));
    break;
  case D_SCHEMA: {
    text(F, &q, "resource ");
    ident(F, &q, d->name);
    text(F, &q, " ");
    Items it = {.kind = IT_TFIELD, .n = d->u.schema.nfields, .u.tfields = d->u.schema.fields};
    uint32_t open = expect_at(F, d->name.span.end, '{');
    cat(&q, body(F, open, d->span.end - 1, &it));
    break;
  }
  case D_ASSERT:
    text(F, &q, "assert ");
    q = cond_message(F, q, d->u.assert_.cond, d->u.assert_.msg);
    break;
  }
  return q;
}

/* ---- layout ---------------------------------------------------------------------------- */

/* Would the commands from [first] (flat) and then the rest of the stack fit in [width]
 * columns up to the next line break?  Prettier's `fits`: cost bounded by the width. */
static bool fits(Fmt *F, Cmd first, long width) {
  CmdStack *st = &F->fits;
  st->n = 0;
  cmd_push(st, first.indent, first.flat, first.d);
  size_t rest = F->stack.n;
  while (width >= 0) {
    if (st->n == 0) {
      if (rest == 0) return true;
      Cmd c = F->stack.items[--rest];
      cmd_push(st, c.indent, c.flat, c.d);
      continue;
    }
    Cmd c = st->items[--st->n];
    Doc *d = c.d;
    if (d->next) cmd_push(st, c.indent, c.flat, d->next);
    switch ((DocKind)d->kind) {
    case DK_TEXT: {
      const char *nl = memchr(d->s, '\n', d->len);
      width -= columns(d->s, nl ? (uint32_t)(nl - d->s) : d->len);
      if (nl) return width >= 0;
      break;
    }
    case DK_COMMENT:
      width -= 1 + (long)columns(d->s, d->len);
      if (d->line_comment) return width >= 0;
      break;
    case DK_LINE:
      if (!c.flat) return true;
      width -= 1;
      break;
    case DK_SOFT:
      if (!c.flat) return true;
      break;
    case DK_HARD:
    case DK_FRESH:
      return true;
    case DK_GROUP:
      cmd_push(st, c.indent, c.flat && !d->hard, d->kid);
      break;
    case DK_INDENT:
      cmd_push(st, c.indent + FMT_INDENT, c.flat, d->kid);
      break;
    case DK_IFBREAK:
      cmd_push(st, c.indent, c.flat, c.flat ? d->alt : d->kid);
      break;
    }
  }
  return false;
}

static void newline(Fmt *F, uint32_t ind) {
  while (F->out.n > F->protect && F->out.s[F->out.n - 1] == ' ') F->out.n--;
  buf_ch(&F->out, '\n');
  for (uint32_t i = 0; i < ind; i++) buf_ch(&F->out, ' ');
  F->col = ind;
  F->line_empty = true;
  F->pending_nl = false;
  F->after_block = false;
}

static void put_text(Fmt *F, const char *s, uint32_t n, uint32_t ind) {
  if (n == 0) return;
  if (F->pending_nl) newline(F, ind + FMT_INDENT);
  if (F->after_block && !F->line_empty && F->out.s[F->out.n - 1] != ' ' && !strchr(" )]},", s[0]))
    buf_ch(&F->out, ' '), F->col++;
  F->after_block = false;
  buf_put(&F->out, s, n);
  const char *nl = memchr(s, '\n', n);
  if (nl) {
    const char *last = s + n;
    while (last > s && last[-1] != '\n') last--;
    F->col = columns(last, (uint32_t)(s + n - last));
    F->protect = F->out.n;   /* verbatim lines: their trailing spaces are content */
  } else {
    F->col += columns(s, n);
  }
  F->line_empty = false;
}

static void put_comment(Fmt *F, const Doc *d, uint32_t ind) {
  if (F->pending_nl) newline(F, ind + FMT_INDENT);
  if (!F->line_empty) {
    char last = F->out.s[F->out.n - 1];
    if (last != ' ' && (d->line_comment || (last != '(' && last != '[')))
      buf_ch(&F->out, ' '), F->col++;
  }
  F->after_block = false;
  put_text(F, d->s, d->len, ind);
  F->protect = F->out.n;
  F->pending_nl = d->line_comment;
  F->after_block = !d->line_comment;
}

/* Lay [root] out at column 0 into F->out. */
static void render(Fmt *F, Doc *root) {
  F->col = 0;
  F->line_empty = true;
  F->pending_nl = F->after_block = false;
  F->stack.n = 0;
  cmd_push(&F->stack, 0, false, root);
  while (F->stack.n) {
    Cmd c = F->stack.items[--F->stack.n];
    Doc *d = c.d;
    if (d->next) cmd_push(&F->stack, c.indent, c.flat, d->next);
    switch ((DocKind)d->kind) {
    case DK_TEXT:
      put_text(F, d->s, d->len, c.indent);
      break;
    case DK_COMMENT:
      put_comment(F, d, c.indent);
      break;
    case DK_LINE:
      if (c.flat) {
        if (!F->pending_nl) put_text(F, " ", 1, c.indent);
      } else {
        newline(F, c.indent);
      }
      break;
    case DK_SOFT:
      if (!c.flat) newline(F, c.indent);
      break;
    case DK_HARD:
      newline(F, c.indent);
      break;
    case DK_FRESH:
      if (!F->line_empty) newline(F, c.indent + d->len);
      break;
    case DK_GROUP: {
      bool flat = !d->hard && (c.flat || fits(F, (Cmd){c.indent, true, d->kid},
                                               (long)FMT_WIDTH - (long)F->col));
      cmd_push(&F->stack, c.indent, flat, d->kid);
      break;
    }
    case DK_INDENT:
      cmd_push(&F->stack, c.indent + FMT_INDENT, c.flat, d->kid);
      break;
    case DK_IFBREAK:
      cmd_push(&F->stack, c.indent, c.flat, c.flat ? d->alt : d->kid);
      break;
    }
  }
  while (F->out.n > F->protect && F->out.s[F->out.n - 1] == ' ') F->out.n--;
}

/* ---- the file ---------------------------------------------------------------------------- */

/* Declarations that always get a blank line around them, and kinds that form a group. */
static bool is_block(DeclKind k) {
  return k == D_RESOURCE || k == D_COMPONENT || k == D_POLICY || k == D_TEST || k == D_SCHEMA;
}

static int kind_group(DeclKind k) { return k == D_IMPORT ? D_USE : (int)k; }

static void format_file(Fmt *F, const AstFile *f) {
  for (uint32_t i = 0; i < f->ndecls && !F->failed; i++) {
    const Decl *d = f->decls[i];
    uint32_t start = decl_start(d);
    if (i > 0) {
      const Decl *prev = f->decls[i - 1];
      uint32_t first = F->ci < F->ncs && F->cs[F->ci].span.start < start ? F->cs[F->ci].span.start
                                                                          : start;
      bool blank = is_block(prev->kind) || is_block(d->kind) ||
                   kind_group(prev->kind) != kind_group(d->kind) || blank_before(F, first);
      buf_put(&F->out, blank ? "\n\n" : "\n", blank ? 2 : 1);
    }
    Seq q = {0};
    bool had = leading(F, &q, start, true, NULL);
    if (had && blank_before(F, start)) hard(F, &q);
    cat(&q, decl(F, d));
    trailing(F, &q, d->span.end);
    if (q.head) render(F, q.head);
    arena_free(&F->docs);
  }
  /* comments after the last declaration */
  while (!F->failed && F->ci < F->ncs) {
    const Comment *c = &F->cs[F->ci++];
    if (F->out.n) buf_put(&F->out, "\n\n", blank_before(F, c->span.start) ? 2 : 1);
    Seq q = {0};
    add(&q, comment_doc(F, c));
    render(F, q.head);
    arena_free(&F->docs);
  }
  if (F->out.n) buf_ch(&F->out, '\n');
}

/* ---- checking the result ----------------------------------------------------------------- */

static bool same_comments(const AstFile *a, const char *atext, const AstFile *b,
                          const char *btext) {
  if (a->ncomments != b->ncomments) return false;
  for (uint32_t i = 0; i < a->ncomments; i++) {
    Span x = a->comments[i].span, y = b->comments[i].span;
    uint32_t xn = x.end - x.start, yn = y.end - y.start;
    while (xn && is_space(atext[x.start + xn - 1])) xn--;
    while (yn && is_space(btext[y.start + yn - 1])) yn--;
    if (a->comments[i].kind != b->comments[i].kind || xn != yn ||
        memcmp(atext + x.start, btext + y.start, xn) != 0)
      return false;
  }
  return true;
}

static AstFile *parse_as(Plat *p, uint32_t file, bool schema) {
  ParseInput in = {.arena = &p->arena, .strs = &p->strs, .diags = &p->diags,
                   .sources = &p->sources, .file = file, .schema = schema};
  return parse_file(&in);
}

static bool declares_schema(const AstFile *f) {
  for (uint32_t i = 0; f && i < f->ndecls; i++)
    if (f->decls[i]->kind == D_SCHEMA) return true;
  return false;
}

/* Errors the parser reports without dropping any text: the tree holds everything written,
 * so the file can be laid out (`platc check` still reports them).  An unknown or misplaced
 * decorator or declaration, a bad escape.  (A number out of range is not one: its literal
 * becomes an error node.) */
static bool keeps_text(DiagCode code) {
  return code == DIAG_E0102 || code == DIAG_E0103 || code == DIAG_E0104 || code == DIAG_E0004;
}

/* The errors of [dl] from item [from] on: their count, and whether all keep the text. */
static uint32_t errors_since(const DiagList *dl, uint32_t from, bool *all_keep) {
  uint32_t n = 0;
  *all_keep = true;
  for (uint32_t i = from; i < dl->n; i++) {
    if (dl->items[i]->sev != SEV_ERROR) continue;
    n++;
    if (!keeps_text(dl->items[i]->code)) *all_keep = false;
  }
  return n;
}

char *plat_format(Plat *p, uint32_t file, size_t *len) {
  *len = 0;
  const SourceFile *sf = source_file(&p->sources, file);
  if (!sf) return NULL;
  uint32_t errors = p->diags.nerrors, ndiags = p->diags.n, warnings = p->diags.nwarnings;
  bool schema = sf->builtin;
  AstFile *ast = parse_as(p, file, schema);
  Plat *alt = NULL;
  if (ast && p->diags.nerrors > errors && !schema && declares_schema(ast)) {
    /* A provider schema file read from disk (providers/schemas/, PLAT_SCHEMA_PATH): its
     * `resource Name { field: T }` declarations are errors only in a program.  If it is
     * clean as a schema, format it as one, and the program's errors are dropped. */
    alt = plat_new();
    uint32_t id = source_add(&alt->sources, sf->path, sf->text, sf->len);
    AstFile *as_schema = parse_as(alt, id, true);
    if (as_schema && alt->diags.nerrors == 0) {
      ast = as_schema;
      schema = true;
      p->diags.n = ndiags;
      p->diags.nerrors = errors;
      p->diags.nwarnings = warnings;
    }
  }
  bool benign;
  uint32_t nerr = errors_since(&p->diags, ndiags, &benign);
  if (!ast || (p->diags.nerrors > errors && !benign)) {
    plat_free(alt);
    return NULL;
  }
  sf = source_file(&p->sources, file);

  Fmt F = {0};
  arena_init(&F.docs);
  F.src = sf->text;
  F.len = sf->len;
  F.cs = ast->comments;
  F.ncs = ast->ncomments;
  scan_parens(&F);
  format_file(&F, ast);
  bool ok = !F.failed;
  arena_free(&F.docs);
  free(F.parens);
  free(F.stack.items);
  free(F.fits.items);
  if (!F.out.s) F.out.s = plat_xcalloc(1, 1);

  /* The safety net: the output must parse to the same tree with the same comments.  An
   * output identical to the input (an already formatted file) needs no second look. */
  if (ok && !(F.out.n == sf->len && memcmp(F.out.s, sf->text, F.out.n) == 0)) {
    Plat *q = plat_new();
    uint32_t id = source_add(&q->sources, sf->path, F.out.s, F.out.n);
    AstFile *again = parse_as(q, id, schema);
    bool qbenign;
    ok = again && errors_since(&q->diags, 0, &qbenign) == nerr && qbenign &&
         same_comments(ast, sf->text, again, q->sources.files[id].text);
    if (ok) {
      Arena scratch;
      arena_init(&scratch);
      ok = strcmp(ast_dump(&scratch, ast), ast_dump(&scratch, again)) == 0;
      arena_free(&scratch);
    }
    plat_free(q);
  }
  plat_free(alt);
  if (!ok) {
    free(F.out.s);
    return NULL;
  }
  *len = F.out.n;
  return F.out.s;
}
