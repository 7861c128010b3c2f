/* The AST: the parser's output and the contract between parser, checker, formatter,
 * compiler and language server.  Nodes are tagged, fixed-shape, live in the compilation's
 * arena and every one carries a Span.  Grammar actions only build these nodes; checking
 * and emission are separate passes.  The checker fills the `ty`, `phase`, `secret` and
 * `sym` slots; nothing else mutates the tree.  See docs/language.md for the grammar. */
#ifndef PLAT_AST_H
#define PLAT_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/arena.h"
#include "compiler/source.h"

struct Type;     /* compiler/types.h */
struct Sym;      /* compiler/check.h: what a name resolved to */

typedef struct Expr Expr;
typedef struct TypeExpr TypeExpr;
typedef struct Decl Decl;

/* An identifier with its span; [str] is interned (compare pointers). */
typedef struct Ident {
  const Str *str;
  Span span;
} Ident;

/* ---- expressions ------------------------------------------------------------------- */
typedef enum ExprKind {
  EX_ERROR,       /* placeholder where the parser recovered */
  EX_INT, EX_FLOAT, EX_BOOL, EX_NULL,
  EX_STRING,      /* parts: literal text and ${...} expressions */
  EX_NAME,        /* x */
  EX_LIST,        /* [a, b] */
  EX_RECORD,      /* { a = 1, "b" = 2 } (a record or a map, decided by the checker) */
  EX_MEMBER,      /* e.name */
  EX_INDEX,       /* e[i] */
  EX_CALL,        /* f(a, b) or mod.f(a) */
  EX_UNARY,       /* -e, !e */
  EX_BINARY,      /* a + b ... */
  EX_IF,          /* if c then a else b */
  EX_LIST_COMP,   /* [e for x in xs if c] */
  EX_MAP_COMP,    /* {k => v for x in xs if c} */
  EX_INSTANCE,    /* Service { ... }: only as the whole initializer of a `let` */
} ExprKind;

typedef enum UnaryOp { UN_NEG, UN_NOT } UnaryOp;
typedef enum BinaryOp {
  BIN_OR, BIN_AND,                 /* || && */
  BIN_EQ, BIN_NE, BIN_LT, BIN_LE, BIN_GT, BIN_GE,
  BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_MOD,
  BIN_COALESCE,                    /* ?? */
} BinaryOp;

/* (Members ordered largest first, here and in Field: 40 and 48 bytes instead of 48 and
   56, for the million of each in a large program.) */
typedef struct StrPart {
  const char *text;      /* decoded literal text (escapes applied), NUL-terminated; shared
                            between literals with the same text: never write to it */
  Expr *expr;            /* when is_expr */
  uint32_t len;          /* bytes of text (it may contain \0 from \u{0}? no: rejected) */
  Span span;             /* the part in the source ("${" .. "}" for expressions) */
  bool is_expr;
} StrPart;

/* A field of a record literal, resource body or instance: `name = value`. */
typedef struct Field {
  Ident name;            /* for a quoted key "a-b" = 1, the decoded key text */
  Expr *value;
  Span span;             /* name through value */
  bool quoted;
} Field;

/* `for x in e` / `for k, v in e`, shared by comprehensions and keyed copies. */
typedef struct ForClause {
  Ident var1;
  Ident var2;            /* var2.str == NULL when one variable */
  Expr *source;
  Span span;
} ForClause;

/* ast_expr allocates only the bytes a node's kind uses (the header and its own member of
 * the union: most nodes need half of sizeof(Expr)), so never copy an Expr by value and
 * never change a node's kind; make a new node with ast_expr instead.  Under
 * AddressSanitizer the unused bytes are poisoned, so a violation is reported. */
struct Expr {
  ExprKind kind;
  Span span;
  /* filled by the checker */
  const struct Type *ty;
  uint8_t phase;         /* PHASE_* in compiler/types.h */
  bool secret;
  uint16_t depth;        /* nesting depth, capped by the parser (PARSE_MAX_DEPTH) so every
                            recursive pass after it is safe from stack overflow */
  union {
    int64_t i;                                   /* EX_INT */
    double f;                                    /* EX_FLOAT */
    bool b;                                      /* EX_BOOL */
    struct { StrPart *parts; uint32_t nparts; bool multiline; } str;   /* EX_STRING */
    struct { Ident id; struct Sym *sym; } name;                        /* EX_NAME */
    struct { Expr **items; uint32_t nitems; } list;                    /* EX_LIST */
    struct { Field *fields; uint32_t nfields; } record;                /* EX_RECORD */
    struct { Expr *obj; Ident name; } member;                          /* EX_MEMBER */
    struct { Expr *obj; Expr *index; } index;                          /* EX_INDEX */
    struct { Expr *callee; Expr **args; uint32_t nargs; } call;        /* EX_CALL */
    struct { UnaryOp op; Expr *operand; } unary;                       /* EX_UNARY */
    struct { BinaryOp op; Expr *lhs, *rhs; Span op_span; } binary;     /* EX_BINARY */
    struct { Expr *cond, *then, *els; } cond;                          /* EX_IF */
    struct { Expr *elem; ForClause f; Expr *filter; } lcomp;           /* EX_LIST_COMP */
    struct { Expr *key, *value; ForClause f; Expr *filter; } mcomp;    /* EX_MAP_COMP */
    struct { TypeExpr *type; Field *fields; uint32_t nfields; } inst;  /* EX_INSTANCE */
  } u;
};

/* ---- type expressions ----------------------------------------------------------------- */
typedef enum TypeExprKind {
  TE_ERROR,
  TE_NAME,        /* int, Tier, local.File, net.Port: qualified name */
  TE_LIST,        /* list<T> */
  TE_MAP,         /* map<T> */
  TE_RECORD,      /* { f: T, g: U = default } */
  TE_OPTIONAL,    /* T? */
  TE_UNION,       /* "a" | "b" */
  TE_SECRET,      /* secret T */
  TE_REFINED,     /* T where pred  (pred sees the value as `self`, or the param's name) */
} TypeExprKind;

/* A record type field, also a provider schema property. */
typedef struct TypeField {
  Ident name;
  TypeExpr *type;
  Expr *deflt;           /* NULL when required */
  bool is_output;        /* schema only: `output size: int` is set by the provider */
  const char *doc;       /* /// comment, or NULL */
  Span span;
} TypeField;

struct TypeExpr {
  TypeExprKind kind;
  Span span;
  const struct Type *ty; /* filled by the checker */
  uint16_t depth;        /* nesting of type constructors (list<...>, T?, ...), capped by the
                            parser at PARSE_MAX_DEPTH like Expr.depth */
  union {
    struct { Ident *parts; uint32_t nparts; } name;            /* TE_NAME: a.b.c */
    TypeExpr *elem;                                            /* TE_LIST, TE_MAP, TE_OPTIONAL, TE_SECRET */
    struct { TypeField *fields; uint32_t nfields; } record;    /* TE_RECORD */
    struct { Expr **members; uint32_t nmembers; } uni;         /* TE_UNION: EX_STRING literals */
    struct { TypeExpr *base; Expr *pred; } refined;            /* TE_REFINED */
  } u;
};

/* ---- declarations ---------------------------------------------------------------------- */
typedef enum DeclKind {
  D_ERROR,
  D_USE,          /* use local */
  D_IMPORT,       /* import "lib/net" as net */
  D_PARAM,        /* param name: T = default where pred */
  D_LET,          /* let name: T = value */
  D_TYPE,         /* type Name = T */
  D_FN,           /* fn name(p: T, q: U = d): R = body */
  D_RESOURCE,     /* @opts resource name: T for x in xs if c { fields } */
  D_COMPONENT,    /* component Name { members } */
  D_OUTPUT,       /* output name: T = value */
  D_POLICY,       /* policy "name" for x: T { deny c : msg  warn c : msg } */
  D_TEST,         /* test "name" { let ...  assert c : msg } */
  D_MOVED,        /* moved old.address => new.address */
  D_SCHEMA,       /* provider schema files only: resource type with inputs and outputs */
  D_ASSERT,       /* inside a test: assert cond : msg */
} DeclKind;

/* A lifecycle option, written as a decorator before `resource`:
 *   @protect  @create_before_destroy  @depends_on(a, b)
 *   @ignore_changes(content, mode)  @replace_on_change(path) */
typedef struct Decorator {
  Ident name;
  Expr **args; uint32_t nargs;
  bool has_parens;
  Span span;
} Decorator;

typedef struct FnParam {
  Ident name;
  TypeExpr *type;        /* required in fn signatures */
  Expr *deflt;
  Span span;
} FnParam;

typedef enum RuleKind { RULE_DENY, RULE_WARN } RuleKind;
typedef struct PolicyRule {
  RuleKind kind;
  Expr *cond;            /* the rule fires when cond is true */
  Expr *msg;             /* string expression */
  Span span;
} PolicyRule;

struct Decl {
  DeclKind kind;
  Span span;             /* the whole declaration, decorators and doc comment excluded */
  Ident name;            /* name.str NULL for policy/test/moved/use-less kinds */
  const char *doc;       /* /// doc comment text (markers stripped), or NULL */
  Decorator *decos; uint32_t ndecos;
  struct Sym *sym;       /* filled by the checker */
  union {
    struct { Ident provider; } use;                                   /* D_USE (also in name) */
    struct { Expr *path; Ident alias; } import;                       /* D_IMPORT: path is EX_STRING */
    struct { TypeExpr *type; Expr *deflt; Expr *where; } param;       /* D_PARAM */
    struct { TypeExpr *type; Expr *value; } let;                      /* D_LET, D_OUTPUT */
    struct { TypeExpr *type; } alias;                                 /* D_TYPE */
    struct { FnParam *params; uint32_t nparams; TypeExpr *ret; Expr *body; } fn;   /* D_FN */
    struct {
      TypeExpr *type;                 /* local.File, Service, mod.Component */
      ForClause *each;                /* NULL unless keyed copies */
      Expr *cond;                     /* NULL unless `if` */
      Field *fields; uint32_t nfields;
      Span body_span;                 /* "{" .. "}" */
    } res;                                                            /* D_RESOURCE */
    struct { Decl **members; uint32_t nmembers; Span body_span; } comp;   /* D_COMPONENT */
    struct { Expr *title; Ident var; TypeExpr *type; PolicyRule *rules; uint32_t nrules; } policy; /* D_POLICY */
    struct { Expr *title; Decl **stmts; uint32_t nstmts; } test;      /* D_TEST: D_LET and D_ASSERT */
    struct { Expr *from, *to; } moved;                                /* D_MOVED: address exprs */
    struct { TypeField *fields; uint32_t nfields; } schema;           /* D_SCHEMA */
    struct { Expr *cond; Expr *msg; } assert_;                        /* D_ASSERT */
  } u;
};

/* A comment as written, kept for the formatter and doc lookup. */
typedef enum CommentKind { COMMENT_LINE, COMMENT_BLOCK, COMMENT_DOC } CommentKind;
typedef struct Comment {
  CommentKind kind;
  Span span;             /* including the // or slash-star markers */
} Comment;

/* One parsed .plat file. */
typedef struct AstFile {
  uint32_t file;         /* SourceMap id */
  Decl **decls; uint32_t ndecls;
  Comment *comments; uint32_t ncomments;   /* in source order */
  bool is_schema;        /* parsed as a provider schema file */
} AstFile;

/* Constructors used by the grammar actions (ast.c). */
Expr *ast_expr(Arena *a, ExprKind kind, Span span);
TypeExpr *ast_type(Arena *a, TypeExprKind kind, Span span);
Decl *ast_decl(Arena *a, DeclKind kind, Span span);

/* Copy a PtrVec's items into a right-sized arena array; returns it and sets *n. */
void **ast_vec_finish(Arena *a, PtrVec *v, uint32_t *n);

/* Attach each run of /// comments to the declaration (or schema field) that directly
 * follows it, filling Decl.doc / TypeField.doc. [text] is the file's source. */
void ast_attach_docs(Arena *a, AstFile *f, const char *text);

/* S-expression dump of [f] for parser golden tests and debugging; returns arena text. */
char *ast_dump(Arena *a, const AstFile *f);

const char *ast_binop_text(BinaryOp op);     /* "+", "&&", ... */
const char *ast_decl_keyword(DeclKind k);    /* "resource", ... */

/* Call [f] on each direct child expression of [e] that is present, in source order
 * except that a comprehension gives its source and filter before its body (the order
 * names come into scope); stop and return true as soon as [f] does.  The walkers of the
 * checker, the emitter and the language server handle the kinds they care about and
 * leave the rest to this. */
bool ast_each_child(const Expr *e, bool (*f)(Expr *child, void *ud), void *ud);

#endif
