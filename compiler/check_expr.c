/* Expressions and types (docs/language.md §3-§5, §9): every Expr gets its type, phase and
 * secret taint; constants are folded bottom-up with consteval.c, so unions, refinements
 * and constant faults are checked at compile time.  Declarations, resource bodies,
 * decorators, policies, tests and `moved` are check.c's; names were bound by resolve.c.
 * One mistake, one diagnostic: the error type is accepted everywhere, silently. */
#include "compiler/checker.h"
#include "stdlib/conform.h"

#include <stdlib.h>
#include <string.h>

/* Work for "did you mean" is capped per program, as in resolve.c. */
#define SUGGEST_BUDGET 4000000u
/* Small arrays live on the stack; larger ones in the arena. */
#define SMALL 16
/* Constant records are searched linearly and built-ins fold in linear time or worse, so
 * reading a field, or calling a built-in, on a bigger constant is left to the VM: a
 * program that does it a million times must not cost a million times that. */
#define FOLD_MEMBER_MAX 256u
#define FOLD_CALL_MAX 1024u
/* Folding copies: `"${big}!"` written a hundred thousand times must not make a hundred
 * thousand copies of a megabyte.  Past this many bytes of folded values in a module,
 * nothing more is folded (its checks happen at plan time instead). */
#define FOLD_BUDGET ((uint64_t)64 << 20)

static bool can_fold(const Checker *c) { return c->folded <= FOLD_BUDGET; }

/* Account for a value folding made; NULL once the budget is spent. */
static const Value *folded(Checker *c, const Value *v) {
  if (!v) return NULL;
  if (v->kind == V_STRING) c->folded += v->n;
  else if (v->kind == V_LIST || v->kind == V_RECORD) c->folded += (uint64_t)v->n * 16;
  return v;
}

static uint8_t maxp(uint8_t a, uint8_t b) { return a > b ? a : b; }

static void set(Expr *e, const Type *t, uint8_t phase, bool secret) {
  e->ty = t ? t : TY_ERROR_T;
  e->phase = phase;
  e->secret = secret;
}

static const char *show(Checker *c, const Type *t) { return ty_show(c->tc, t); }

const char *chk_a_type(Checker *c, const Type *t) {
  const char *s = ty_show(c->tc, t);
  if (s[0] == '{' || s[0] == '"' || s[0] == '(' || strncmp(s, "null", 4) == 0) return s;
  bool vowel = strchr("aeiouAEIOU", s[0]) != NULL && strncmp(s, "uni", 3) != 0;
  return arena_printf(c->arena, "%s %s", vowel ? "an" : "a", s);
}
#define a_type chk_a_type

const char *chk_src(Checker *c, Span sp, uint32_t max) {
  const SourceFile *f = source_file(c->sources, sp.file);
  if (!f || sp.end > f->len || sp.end <= sp.start || sp.end - sp.start > max) return NULL;
  if (memchr(f->text + sp.start, '\n', sp.end - sp.start)) return NULL;
  return arena_strndup(c->arena, f->text + sp.start, sp.end - sp.start);
}

/* "`expr`" when it is short enough to quote, else "this value". */
static const char *quote(Checker *c, const Expr *e) {
  const char *s = chk_src(c, e->span, 48);
  return s ? arena_printf(c->arena, "`%s`", s) : "this value";
}

static const char *dest_text(Checker *c, const Dest *d) {
  if (!d || !d->fmt) return NULL;
  return arena_printf(c->arena, d->fmt, d->name ? d->name : "", d->owner ? d->owner : "");
}

const char *chk_kind_word(const Sym *s) {
  switch (s->kind) {
  case SYM_PARAM: return "param";
  case SYM_LET: case SYM_TESTLET: return "let";
  case SYM_TYPE: return "type";
  case SYM_FN: return "function";
  case SYM_RESOURCE: return "resource";
  case SYM_COMPONENT: return "component";
  case SYM_OUTPUT: return "output";
  case SYM_PROVIDER: return "provider";
  case SYM_IMPORT: return "module";
  case SYM_RESTYPE: return "resource type";
  case SYM_FNPARAM: return "parameter";
  case SYM_VAR: return "loop variable";
  case SYM_POLICYVAR: return "policy variable";
  case SYM_SELF: return "refinement value";
  case SYM_BUILTIN: return "built-in function";
  case SYM_PRIMTYPE: return "built-in type";
  }
  return "name";
}

const char **chk_cands(Checker *c, uint32_t n) {
  if (c->prog->nsuggest + n > SUGGEST_BUDGET) return NULL;
  return arena_calloc(c->arena, n ? n : 1, sizeof(const char *));
}

const char *chk_suggest(Checker *c, const char *name, const char *const *cands, uint32_t n) {
  if (!cands || c->prog->nsuggest + n > SUGGEST_BUDGET) return NULL;
  c->prog->nsuggest += n;
  return diag_suggest(name, cands, n);
}

/* ---- children of an expression ------------------------------------------------------------ */
/* Calls [f] on each direct child of [e] in source order until it returns true; returns
 * whether one did. */
typedef bool (*Visit)(Checker *c, Expr *child, void *ctx);

typedef struct ChildVisit { Checker *c; Visit f; void *ctx; } ChildVisit;
static bool child_visit(Expr *child, void *ud) {
  ChildVisit *v = ud;
  return v->f(v->c, child, v->ctx);
}

static bool each_child(Checker *c, Expr *e, Visit f, void *ctx) {
  ChildVisit v = {c, f, ctx};
  return ast_each_child(e, child_visit, &v);
}

/* ---- explaining phases and secrets ----------------------------------------------------------- */
typedef struct Blame { bool secret; uint8_t phase; Expr *found; int depth; } Blame;

static bool blames(const Blame *b, const Expr *e) {
  return e->ty && (b->secret ? e->secret : e->phase >= b->phase);
}

static bool find_blame(Checker *c, Expr *e, void *ctx) {
  Blame *b = ctx;
  if (!blames(b, e)) return false;
  b->found = e;
  if (b->depth++ < PARSE_MAX_DEPTH + 8) each_child(c, e, find_blame, b);
  return true;
}

/* The innermost part of [e] that makes it secret or of [phase]: a leaf worth naming. */
static Expr *culprit(Checker *c, Expr *e, bool secret, uint8_t phase) {
  Blame b = {secret, phase, e, 0};
  if (!blames(&b, e)) return NULL;
  each_child(c, e, find_blame, &b);
  return b.found;
}

/* The resource a member expression reads from ("seed" in `seed.hex`), quoted. */
static const char *owner_text(Checker *c, Expr *e) {
  if (e->kind != EX_MEMBER) return NULL;
  return chk_src(c, e->u.member.obj->span, 48);
}

static Sym *res_sym_of(Expr *e, int depth);
static const Given *given_for(const Sym *inst, const ResType *rt, uint32_t input);

static bool is_output_read(const Expr *e) {
  if (e->kind != EX_MEMBER || !e->u.member.obj->ty) return false;
  const Type *b = ty_base(e->u.member.obj->ty);
  if (b->kind == TY_OPTIONAL) b = ty_base(b->u.elem);
  if (b->kind != TY_RESOURCE) return false;
  ResPart part;
  uint32_t idx;
  return ty_res_find(b->u.res, e->u.member.name.str, &part, &idx) && part == RP_OUTPUT;
}

void chk_explain(Checker *c, Diag *d, Expr *e, bool secret, uint8_t phase) {
  Expr *x = culprit(c, e, secret, phase);
  /* follow lets and resource inputs a few steps to the value that is really responsible */
  for (int hops = 0; x && hops < 8; hops++) {
    const char *q = quote(c, x);
    if (x->kind == EX_NAME && x->u.name.sym) {
      Sym *s = x->u.name.sym;
      const char *n = s->name ? s->name->s : "?";
      if (secret) {
        if (s->kind == SYM_PARAM) diag_note(c->diags, d, "'%s' is a secret param", n);
        else if (s->kind == SYM_FNPARAM || s->kind == SYM_VAR)
          diag_note(c->diags, d, "'%s' holds a secret value", n);
        else if ((s->kind == SYM_LET || s->kind == SYM_TESTLET) && s->decl && s->decl->u.let.value) {
          Expr *why = culprit(c, s->decl->u.let.value, true, 0);
          if (why) {
            diag_note(c->diags, d, "'%s' is computed from %s", n, quote(c, why));
            x = why;
            continue;
          }
          diag_note(c->diags, d, "'%s' holds a secret value", n);
        } else diag_note(c->diags, d, "%s is secret", q);
        return;
      }
      if (phase == PHASE_DEPLOY) {
        if (s->deploy_why) {
          Expr *why = culprit(c, s->deploy_why, false, PHASE_DEPLOY);
          if (why) {
            diag_note(c->diags, d, "'%s' is computed from %s", n, quote(c, why));
            x = why;
            continue;
          }
        }
        diag_note(c->diags, d, "'%s' is known only after deploy", n);
        return;
      }
      if (s->kind == SYM_PARAM)
        diag_note(c->diags, d, "'%s' is a param: its value is given when the plan is made", n);
      else if (s->kind == SYM_RESOURCE)
        diag_note(c->diags, d, "'%s' is a resource: it exists only when deployed", n);
      else diag_note(c->diags, d, "'%s' is known only when the plan is made", n);
      return;
    }
    if (x->kind == EX_MEMBER && is_output_read(x)) {
      const char *o = owner_text(c, x);
      if (secret) diag_note(c->diags, d, "%s is a secret output of '%s'", q, o ? o : "its resource");
      else diag_note(c->diags, d, "%s is known only after '%s' is deployed", q, o ? o : "its resource");
      return;
    }
    if (x->kind == EX_MEMBER) {
      /* an input read back: blame the value written into it */
      Expr *obj = x->u.member.obj;
      const Type *b = obj->ty ? ty_base(obj->ty) : TY_ERROR_T;
      if (b->kind == TY_OPTIONAL) b = ty_base(b->u.elem);
      ResPart part;
      uint32_t idx;
      const Given *given = b->kind == TY_RESOURCE &&
                           ty_res_find(b->u.res, x->u.member.name.str, &part, &idx) && part == RP_INPUT
                           ? given_for(res_sym_of(obj, 0), b->u.res, idx) : NULL;
      if (given && given->field->value) {
        Expr *why = culprit(c, given->field->value, secret, phase);
        if (why) {
          diag_note(c->diags, d, "%s is set from %s", q, quote(c, why));
          x = why;
          continue;
        }
      }
    }
    if (x->kind == EX_CALL && x->u.call.callee && x->u.call.callee->kind == EX_NAME && x->u.call.callee->u.name.sym &&
        x->u.call.callee->u.name.sym->builtin) {
      const Builtin *bi = x->u.call.callee->u.name.sym->builtin;
      if (secret && (bi->flags & BF_SENSITIVE))
        diag_note(c->diags, d, "`%s(...)` marks its value secret", bi->name);
      else if (!secret && (bi->flags & BF_PLAN))
        diag_note(c->diags, d, "`%s()` is read when the plan is made", bi->name);
      else if (x != e) diag_note(c->diags, d, "%s is %s", q, secret ? "secret" : "not constant");
      return;
    }
    if (x != e) {
      if (secret) diag_note(c->diags, d, "%s is secret", q);
      else if (phase == PHASE_DEPLOY) diag_note(c->diags, d, "%s is known only after deploy", q);
      else diag_note(c->diags, d, "%s is not a constant", q);
    }
    return;
  }
}

/* ---- plan-time uses inside components --------------------------------------------------------- */
typedef struct PlanUse { uint16_t code; Span use; int depth; } PlanUse;

static bool mark_plan_use(Checker *c, Expr *e, void *ctx) {
  PlanUse *pu = ctx;
  if (pu->depth > PARSE_MAX_DEPTH + 8) return false;
  if (e->kind == EX_NAME) {
    Sym *s = e->u.name.sym;
    if (!s || !s->owner || s->plan_use || (s->kind != SYM_PARAM && s->kind != SYM_LET)) return false;
    s->plan_use = pu->code;
    s->plan_use_span = pu->use;
    if (s->kind == SYM_LET && s->decl && s->decl->u.let.value) {
      pu->depth++;
      mark_plan_use(c, s->decl->u.let.value, pu);
      pu->depth--;
    }
    return false;
  }
  pu->depth++;
  each_child(c, e, mark_plan_use, pu);
  pu->depth--;
  return false;
}

void chk_plan_use(Checker *c, Expr *e, DiagCode code, Span use) {
  if (!e) return;
  PlanUse pu = {(uint16_t)(code + 1), use, 0};
  mark_plan_use(c, e, &pu);
}

/* ---- constant evaluation with a bound `self` (refinement predicates) ------------------------ */
static const Value empty_string = {.kind = V_STRING, .n = 0, .u.s = ""};

static const Value *str_value(Checker *c, const char *s, uint32_t n) {
  Value *v = arena_alloc(c->arena, sizeof *v);
  v->kind = V_STRING;
  v->n = n;
  v->u.s = s;
  return v;
}

/* The text an interpolation shows for [v], or NULL for lists, records and null. */
static const Value *as_text(Checker *c, const Value *v) {
  if (v->kind == V_STRING) return v;
  const Value *out;
  const char *fault;
  if (v->kind != V_INT && v->kind != V_FLOAT && v->kind != V_BOOL) return NULL;
  return cv_call(c->arena, BI_tostring, &v, 1, &out, &fault) == CV_OK ? out : NULL;
}

/* The value of an interpolated string from its parts' values ([vals][i] for expression
 * parts), or NULL when a part has no text or the result is too long to fold. */
static const Value *concat(Checker *c, const Expr *e, const Value **vals) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < e->u.str.nparts; i++) {
    const StrPart *p = &e->u.str.parts[i];
    if (p->is_expr) {
      if (!vals[i] || !(vals[i] = as_text(c, vals[i]))) return NULL;
      total += vals[i]->n;
    } else {
      total += p->len;
    }
  }
  if (total > CV_MAX_STRING) return NULL;
  char *buf = arena_alloc(c->arena, (size_t)total + 1);
  size_t o = 0;
  for (uint32_t i = 0; i < e->u.str.nparts; i++) {
    const StrPart *p = &e->u.str.parts[i];
    const char *s = p->is_expr ? vals[i]->u.s : p->text;
    uint32_t n = p->is_expr ? vals[i]->n : p->len;
    if (n) memcpy(buf + o, s, n);
    o += n;
  }
  buf[o] = 0;
  return str_value(c, buf, (uint32_t)o);
}

static CvStatus eval(Checker *c, Expr *e, const Sym *self, const Value *sv, const Value **out,
                     int depth) {
  if (!e || depth > PARSE_MAX_DEPTH + 8) return CV_UNKNOWN;
  const char *fault;
  const Value *a, *b;
  switch (e->kind) {
  case EX_INT: *out = cv_int(c->arena, e->u.i); return CV_OK;
  case EX_FLOAT: *out = cv_float(c->arena, e->u.f); return CV_OK;
  case EX_BOOL: *out = cv_bool(e->u.b); return CV_OK;
  case EX_NULL: *out = cv_null(); return CV_OK;
  case EX_NAME: {
    Sym *s = e->u.name.sym;
    if (!s) return CV_UNKNOWN;
    if (s == self) { *out = sv; return CV_OK; }
    if (s->state == SYMST_DONE && s->cval && s->kind != SYM_SELF) { *out = s->cval; return CV_OK; }
    return CV_UNKNOWN;
  }
  case EX_STRING: {
    uint32_t n = e->u.str.nparts;
    if (n > CV_MAX_ITEMS) return CV_UNKNOWN;
    const Value *small[SMALL];
    const Value **vals = n <= SMALL ? small : arena_calloc(c->arena, n, sizeof *vals);
    for (uint32_t i = 0; i < n; i++) {
      vals[i] = NULL;
      if (e->u.str.parts[i].is_expr &&
          eval(c, e->u.str.parts[i].expr, self, sv, &vals[i], depth + 1) != CV_OK)
        return CV_UNKNOWN;
    }
    return (*out = concat(c, e, vals)) ? CV_OK : CV_UNKNOWN;
  }
  case EX_UNARY:
    if (eval(c, e->u.unary.operand, self, sv, &a, depth + 1) != CV_OK) return CV_UNKNOWN;
    return cv_unary(c->arena, e->u.unary.op, a, out, &fault) == CV_OK ? CV_OK : CV_UNKNOWN;
  case EX_BINARY: {
    BinaryOp op = e->u.binary.op;
    if (eval(c, e->u.binary.lhs, self, sv, &a, depth + 1) != CV_OK) return CV_UNKNOWN;
    if ((op == BIN_AND || op == BIN_OR) && a->kind == V_BOOL && a->u.b == (op == BIN_OR)) {
      *out = a;
      return CV_OK;
    }
    if (op == BIN_COALESCE && a->kind != V_NULL) { *out = a; return CV_OK; }
    if (eval(c, e->u.binary.rhs, self, sv, &b, depth + 1) != CV_OK) return CV_UNKNOWN;
    return cv_binary(c->arena, op, a, b, out, &fault) == CV_OK ? CV_OK : CV_UNKNOWN;
  }
  case EX_IF:
    if (eval(c, e->u.cond.cond, self, sv, &a, depth + 1) != CV_OK || a->kind != V_BOOL)
      return CV_UNKNOWN;
    return eval(c, a->u.b ? e->u.cond.then : e->u.cond.els, self, sv, out, depth + 1);
  case EX_CALL: {
    Expr *callee = e->u.call.callee;
    Sym *fs = callee->kind == EX_NAME ? callee->u.name.sym : NULL;
    uint32_t n = e->u.call.nargs;
    if (!fs || fs->kind != SYM_BUILTIN || !fs->builtin || (fs->builtin->flags & BF_PLAN) || n > SMALL)
      return CV_UNKNOWN;
    const Value *args[SMALL];
    for (uint32_t i = 0; i < n; i++)
      if (eval(c, e->u.call.args[i], self, sv, &args[i], depth + 1) != CV_OK) return CV_UNKNOWN;
    return cv_call(c->arena, fs->builtin->id, args, n, out, &fault) == CV_OK ? CV_OK : CV_UNKNOWN;
  }
  case EX_MEMBER:
    if (eval(c, e->u.member.obj, self, sv, &a, depth + 1) != CV_OK || !e->u.member.name.str)
      return CV_UNKNOWN;
    *out = cv_member(a, e->u.member.name.str->s, e->u.member.name.str->len);
    return *out ? CV_OK : CV_UNKNOWN;
  case EX_INDEX:
    if (eval(c, e->u.index.obj, self, sv, &a, depth + 1) != CV_OK ||
        eval(c, e->u.index.index, self, sv, &b, depth + 1) != CV_OK)
      return CV_UNKNOWN;
    if (a->kind == V_LIST && b->kind == V_INT && b->u.i >= 0 && (uint64_t)b->u.i < a->n) {
      *out = a->u.items[b->u.i];
      return CV_OK;
    }
    if (a->kind == V_RECORD && b->kind == V_STRING) {
      *out = cv_member(a, b->u.s, b->n);
      return *out ? CV_OK : CV_UNKNOWN;
    }
    return CV_UNKNOWN;
  case EX_LIST: {
    uint32_t n = e->u.list.nitems;
    if (n > CV_MAX_ITEMS) return CV_UNKNOWN;
    const Value **items = arena_calloc(c->arena, n ? n : 1, sizeof *items);
    for (uint32_t i = 0; i < n; i++)
      if (eval(c, e->u.list.items[i], self, sv, &items[i], depth + 1) != CV_OK) return CV_UNKNOWN;
    *out = cv_list(c->arena, items, n);
    return CV_OK;
  }
  case EX_RECORD: {
    uint32_t n = e->u.record.nfields;
    if (n > CV_MAX_ITEMS) return CV_UNKNOWN;
    ValField *fs = arena_calloc(c->arena, n ? n : 1, sizeof *fs);
    for (uint32_t i = 0; i < n; i++) {
      Field *f = &e->u.record.fields[i];
      if (!f->name.str || eval(c, f->value, self, sv, &fs[i].val, depth + 1) != CV_OK) return CV_UNKNOWN;
      fs[i].key = f->name.str->s;
      fs[i].klen = f->name.str->len;
    }
    *out = cv_record(c->arena, fs, n);
    return CV_OK;
  }
  default: return CV_UNKNOWN;
  }
}

/* ---- types --------------------------------------------------------------------------------- */
static const char *type_name_text(Checker *c, TypeExpr *te) {
  const char *s = chk_src(c, te->span, 80);
  if (s) return s;
  return te->u.name.nparts && te->u.name.parts[0].str ? te->u.name.parts[0].str->s : "?";
}

static const Type *named_type(Checker *c, TypeExpr *te) {
  Sym *s = res_type_name(c, te, true);
  if (!s) return TY_ERROR_T;
  switch (s->kind) {
  case SYM_PRIMTYPE: return s->type;
  case SYM_TYPE: case SYM_RESTYPE: case SYM_COMPONENT:
    return s->state == SYMST_DONE && s->type ? s->type : TY_ERROR_T;
  default: break;
  }
  const char *name = type_name_text(c, te);
  Diag *d = diag_add(c->diags, DIAG_E0314, te->span, "'%s' is a %s, not a type", name,
                     chk_kind_word(s));
  diag_label(c->diags, d, te->span, "used as a type here");
  if (s->span.file != SPAN_NO_FILE) diag_label(c->diags, d, s->span, "'%s' is declared here", s->name->s);
  if (s->kind == SYM_PROVIDER)
    diag_help(c->diags, d, "name one of its resource types: `%s.File`", s->name->s);
  else if (s->kind == SYM_IMPORT)
    diag_help(c->diags, d, "name one of its types: `%s.Name`", s->name->s);
  else
    diag_help(c->diags, d, "write a type (`string`, `list<int>`, ...) or declare one with `type`");
  return TY_ERROR_T;
}

static const Type *record_type(Checker *c, TypeExpr *te) {
  uint32_t n = te->u.record.nfields, k = 0;
  RecField *fs = arena_calloc(c->arena, n ? n : 1, sizeof *fs);
  for (uint32_t i = 0; i < n; i++) {
    TypeField *tf = &te->u.record.fields[i];
    const Type *ft = chk_type(c, tf->type);
    if (tf->deflt) {
      Dest dst = {"the default of field '%s'", tf->name.str ? tf->name.str->s : "", NULL,
                  tf->type ? tf->type->span : span_make(SPAN_NO_FILE, 0, 0), false};
      chk_value(c, tf->deflt, ft, &dst);
      if (tf->deflt->phase > PHASE_COMPILE) {
        Diag *d = diag_add(c->diags, DIAG_E0405, tf->deflt->span,
                           "a field's default must be known at compile time");
        diag_label(c->diags, d, tf->deflt->span, "not a constant");
        chk_explain(c, d, tf->deflt, false, PHASE_PLAN);
      }
    }
    if (!tf->name.str) continue;
    fs[k++] = (RecField){tf->name.str, ft, tf->deflt, tf->deflt != NULL, tf->doc, tf->name.span, NULL};
  }
  const Type *t = ty_record(c->tc, fs, k);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < k; i++) {
    const RecField *f = ty_field(t, t->u.rec.fields[i].name);
    if (f && f != &t->u.rec.fields[i]) {
      Diag *d = diag_add(c->diags, DIAG_E0208, t->u.rec.fields[i].span,
                         "field '%s' is declared twice", f->name->s);
      diag_label(c->diags, d, t->u.rec.fields[i].span, "declared again here");
      diag_label(c->diags, d, f->span, "first declared here");
      diag_help(c->diags, d, "remove one of them");
      continue;
    }
    fs[kept++] = t->u.rec.fields[i];
  }
  /* the type keeps the first of each name, so the mistake is reported once */
  return kept == k ? t : ty_record(c->tc, fs, kept);
}

static const Type *union_type(Checker *c, TypeExpr *te) {
  uint32_t n = te->u.uni.nmembers;
  const Str **ms = arena_calloc(c->arena, n ? n : 1, sizeof *ms);
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    Expr *m = te->u.uni.members[i];
    if (!m || m->kind != EX_STRING) continue;
    set(m, TY_STRING_T, PHASE_COMPILE, false);
    if (m->u.str.nparts == 0) ms[k++] = intern(c->strs, "", 0);
    else if (m->u.str.nparts == 1 && !m->u.str.parts[0].is_expr)
      ms[k++] = intern(c->strs, m->u.str.parts[0].text, m->u.str.parts[0].len);
  }
  return ty_union(c->tc, ms, k);
}

const Type *chk_refine(Checker *c, const Type *base, Expr *pred, Sym *self, Span span) {
  if (self) {
    self->type = base;
    self->phase = PHASE_COMPILE;
    self->secret = false;
    self->state = SYMST_DONE;
  }
  if (!pred) return base;
  chk_expr(c, pred, NULL);
  if (ty_is_error(pred->ty) || ty_is_error(base)) return base;
  const Type *pb = ty_base(pred->ty);
  if (pb->kind != TY_BOOL) {
    Diag *d = diag_add(c->diags, DIAG_E0312, pred->span,
                       "a `where` predicate must be a bool, found %s", show(c, pred->ty));
    diag_label(c->diags, d, pred->span, "this is %s", a_type(c, pred->ty));
    diag_help(c->diags, d, "compare the value: `where self > 0`, `where self != \"\"`");
    return base;
  }
  if (pred->phase > PHASE_COMPILE) {
    Diag *d = diag_add(c->diags, DIAG_E0405, pred->span,
                       "a `where` predicate may use only constants and the value it tests");
    diag_label(c->diags, d, pred->span, "not known at compile time");
    chk_explain(c, d, pred, false, PHASE_PLAN);
    return base;
  }
  return ty_refined(c->tc, base, pred, self, span);
}

static const Type *type_of(Checker *c, TypeExpr *te) {
  switch (te->kind) {
  case TE_ERROR: return TY_ERROR_T;
  case TE_NAME: return named_type(c, te);
  case TE_LIST: return ty_list(c->tc, chk_type(c, te->u.elem));
  case TE_MAP: return ty_map(c->tc, chk_type(c, te->u.elem));
  case TE_OPTIONAL: return ty_optional(c->tc, chk_type(c, te->u.elem));
  case TE_SECRET: return ty_secret(c->tc, chk_type(c, te->u.elem));
  case TE_RECORD: return record_type(c, te);
  case TE_UNION: return union_type(c, te);
  case TE_REFINED:
    return chk_refine(c, chk_type(c, te->u.refined.base), te->u.refined.pred,
                      pmap_get(&c->binders, te), te->span);
  }
  return TY_ERROR_T;
}

const Type *chk_type(Checker *c, TypeExpr *te) {
  if (!te) return TY_ERROR_T;
  if (te->ty) return te->ty;
  if (c->depth > PARSE_MAX_DEPTH * 4) return te->ty = TY_ERROR_T;
  c->depth++;
  const Type *t = type_of(c, te);
  c->depth--;
  if (t->depth > TY_MAX_DEPTH) {
    Diag *d = diag_add(c->diags, DIAG_E0101, te->span, "type nested too deeply (limit is %d)",
                       TY_MAX_DEPTH);
    diag_label(c->diags, d, te->span, "this type, with its aliases expanded, is too deep");
    t = TY_ERROR_T;
  }
  te->ty = t;
  return t;
}

/* ---- assignability ----------------------------------------------------------------------------- */
static const char *members_text(Checker *c, const Type *uni) {
  size_t cap = 16;
  uint32_t n = uni->u.uni.nmembers, shown = n > 12 ? 12 : n;
  for (uint32_t i = 0; i < shown; i++) cap += uni->u.uni.members[i]->len + 4;
  char *s = arena_alloc(c->arena, cap + 8);
  size_t o = 0;
  for (uint32_t i = 0; i < shown; i++) {
    if (i) { memcpy(s + o, ", ", 2); o += 2; }
    s[o++] = '"';
    memcpy(s + o, uni->u.uni.members[i]->s, uni->u.uni.members[i]->len);
    o += uni->u.uni.members[i]->len;
    s[o++] = '"';
  }
  if (shown < n) { memcpy(s + o, ", ...", 5); o += 5; }
  s[o] = 0;
  return s;
}

static void union_error(Checker *c, Expr *e, const Value *cv, const Type *to, const Type *uni) {
  const char *tn = show(c, to);
  Diag *d;
  if (cv && cv->kind == V_STRING && !e->secret) {
    const char *v = cv_show(c->arena, cv, 60);
    d = diag_add(c->diags, DIAG_E0303, e->span, "%s is not a member of %s", v, tn);
    diag_label(c->diags, d, e->span, "expected one of %s", members_text(c, uni));
    uint32_t n = uni->u.uni.nmembers;
    const char **cands = chk_cands(c, n);
    for (uint32_t i = 0; cands && i < n; i++) cands[i] = uni->u.uni.members[i]->s;
    const char *best = chk_suggest(c, cv->u.s, cands, n);
    if (best) {
      diag_help(c->diags, d, "did you mean \"%s\"?", best);
      if (e->kind == EX_STRING)
        diag_fix(c->diags, d, e->span, arena_printf(c->arena, "\"%s\"", best),
                 arena_printf(c->arena, "replace with \"%s\"", best));
    }
    return;
  }
  const Type *fb = ty_base(e->ty);
  if (fb->kind == TY_UNION) {
    const Str *extra = NULL;
    for (uint32_t i = 0; i < fb->u.uni.nmembers && !extra; i++)
      if (!ty_union_has(uni, fb->u.uni.members[i]->s, fb->u.uni.members[i]->len))
        extra = fb->u.uni.members[i];
    d = diag_add(c->diags, DIAG_E0303, e->span, "%s is not a %s: it may be \"%s\"",
                 show(c, e->ty), tn, extra ? extra->s : "?");
    diag_label(c->diags, d, e->span, "expected one of %s", members_text(c, uni));
    return;
  }
  d = diag_add(c->diags, DIAG_E0303, e->span, "a string is not %s unless it is one of its members",
               a_type(c, to));
  diag_label(c->diags, d, e->span, "this string is not a constant, so it may be anything");
  diag_note(c->diags, d, "%s is one of %s", tn, members_text(c, uni));
  diag_help(c->diags, d, "give it the type %s where its value is written, so it is checked there", tn);
}

static void mismatch(Checker *c, Expr *e, const Value *cv, const Type *to, const Dest *dest) {
  const Type *bf = ty_base(e->ty), *bt = ty_base(to);
  const Type *ut = bt->kind == TY_OPTIONAL ? ty_base(bt->u.elem) : bt;
  const char *what = dest_text(c, dest);
  Diag *d;
  if (bf->kind == TY_OPTIONAL && bt->kind != TY_OPTIONAL && ty_assignable(bf->u.elem, to)) {
    d = diag_add(c->diags, DIAG_E0307, e->span, "%s may be null, but %s is not optional",
                 quote(c, e), what ? what : "the value required here");
    diag_label(c->diags, d, e->span, "this is %s", a_type(c, e->ty));
    const char *s = chk_src(c, e->span, 48);
    diag_help(c->diags, d, "say what to use when it is null: `%s ?? ...`", s ? s : "value");
    return;
  }
  if (ut->kind == TY_UNION && ty_is_stringish(bf)) { union_error(c, e, cv, to, ut); return; }
  const char *ts = show(c, to), *fs = show(c, e->ty);
  d = diag_add(c->diags, DIAG_E0300, e->span, "mismatched types: expected %s, found %s", ts, fs);
  if (what) diag_label(c->diags, d, e->span, "%s is %s", what, a_type(c, to));
  else diag_label(c->diags, d, e->span, "expected %s", ts);
  if (dest && dest->type_span.file != SPAN_NO_FILE && dest->type_span.end > dest->type_span.start)
    diag_label(c->diags, d, dest->type_span, "expected because of this type");
  char *end = NULL;
  if (cv && cv->kind == V_STRING && cv->n && (ut->kind == TY_INT || ut->kind == TY_FLOAT) &&
      (strtod(cv->u.s, &end), end == cv->u.s + cv->n))
    diag_help(c->diags, d, "write the number without quotes: `%s`", cv->u.s);
  else if (cv && cv->kind == V_STRING && ut->kind == TY_BOOL &&
           (strcmp(cv->u.s, "true") == 0 || strcmp(cv->u.s, "false") == 0))
    diag_help(c->diags, d, "write `%s` without quotes", cv->u.s);
  else if (ut->kind == TY_STRING && (bf->kind == TY_INT || bf->kind == TY_FLOAT || bf->kind == TY_BOOL))
    diag_help(c->diags, d, "convert it with `tostring(...)`, or interpolate it: \"${...}\"");
  else if (ut->kind == TY_INT && bf->kind == TY_STRING)
    diag_help(c->diags, d, "convert it with `parseint(..., 10)`");
  else if (ut->kind == TY_INT && bf->kind == TY_FLOAT)
    diag_help(c->diags, d, "round it with `floor(...)` or `ceil(...)`");
  else if (bf->kind == TY_NULL)
    diag_help(c->diags, d, "only optional types accept null: write `%s?`", ts);
}

bool chk_refinement(Checker *c, Expr *e, const Value *cv, const Type *ref, const Dest *dest,
                    const char *tname) {
  Expr *pred = ref->u.ref.pred;
  const Value *r;
  if (!pred || !cv) return true;
  if (eval(c, pred, ref->u.ref.self, cv, &r, 0) != CV_OK || r->kind != V_BOOL || r->u.b) return true;
  const char *v = e->secret ? "the secret value" : cv_show(c->arena, cv, 60);
  const char *p = chk_src(c, pred->span, 80);
  Diag *d;
  if (dest && dest->named && dest->name && tname)
    d = diag_add(c->diags, DIAG_E0304, e->span, "`%s` is %s, which is not a valid %s: `%s` is false",
                 dest->name, v, tname, p ? p : "its `where` predicate");
  else if (dest && dest->named && dest->name)
    d = diag_add(c->diags, DIAG_E0304, e->span, "`%s` is %s, but `%s` is false", dest->name, v,
                 p ? p : "its `where` predicate");
  else if (tname)
    d = diag_add(c->diags, DIAG_E0304, e->span, "%s is not a valid %s: `%s` is false", v, tname,
                 p ? p : "its `where` predicate");
  else
    d = diag_add(c->diags, DIAG_E0304, e->span, "%s does not satisfy `where %s`", v, p ? p : "...");
  diag_label(c->diags, d, e->span, "this is %s", v);
  diag_label(c->diags, d, pred->span, "the refinement it must satisfy");
  return false;
}

bool chk_assign(Checker *c, Expr *e, const Value *cv, const Type *to, const Dest *dest) {
  if (!to || !e || !e->ty) return true;
  if (ty_is_error(e->ty) || ty_is_error(to)) return true;
  const Type *bt = ty_base(to), *bf = ty_base(e->ty);
  const Type *ut = bt->kind == TY_OPTIONAL ? ty_base(bt->u.elem) : bt;
  bool ok;
  if (ut->kind == TY_UNION && bf->kind == TY_STRING && cv && cv->kind == V_STRING)
    ok = ty_union_has(ut, cv->u.s, cv->n);
  else
    ok = ty_assignable(e->ty, to);
  if (!ok) {
    mismatch(c, e, cv, to, dest);
    return false;
  }
  if (!cv || cv->kind == V_NULL) return true;
  const Type *rt = to;
  if (ty_base(rt)->kind == TY_OPTIONAL) rt = ty_base(rt)->u.elem;
  const Type *refs[8];
  uint32_t n = ty_refinements(rt, refs, 8);
  const char *tname = rt->kind == TY_ALIAS ? rt->u.alias.name->s : NULL;
  for (uint32_t i = n; i-- > 0;)
    if (!chk_refinement(c, e, cv, refs[i], dest, tname)) return false;
  return true;
}

const Value *chk_value(Checker *c, Expr *e, const Type *to, const Dest *dest) {
  const Value *v = chk_expr(c, e, to);
  if (e) chk_assign(c, e, v, to, dest);
  return v;
}

static bool untyped(Checker *c, Expr *e, void *ctx) {
  int *depth = ctx;
  if (!e->ty) e->ty = TY_ERROR_T;
  if (++*depth < PARSE_MAX_DEPTH + 8) each_child(c, e, untyped, ctx);
  --*depth;
  return false;
}

void chk_untyped(Checker *c, Expr *e) {
  int depth = 0;
  if (e) untyped(c, e, &depth);
}

/* What keeps a type from being inferred: 1 a bare `null` in it, 2 an empty collection's
 * unknown element type, 0 nothing. */
static int hole_steps(const Type *t, int depth, uint32_t *steps) {
  if (depth > TY_MAX_DEPTH || ++*steps > TY_MAX_STEPS) return 0;
  t = ty_base(t);
  switch (t->kind) {
  case TY_NULL: return 1;
  case TY_NOTHING: return 2;
  case TY_LIST: case TY_MAP: case TY_OPTIONAL: return hole_steps(t->u.elem, depth + 1, steps);
  case TY_RECORD:
    for (uint32_t i = 0; i < t->u.rec.nfields; i++) {
      int h = hole_steps(t->u.rec.fields[i].type, depth + 1, steps);
      if (h) return h;
    }
    return 0;
  default: return 0;
  }
}

/* Bounded in steps: types share parts (see TY_MAX_STEPS). */
static int hole(const Type *t, int depth) {
  uint32_t steps = 0;
  return hole_steps(t, depth, &steps);
}

/* [t] with its holes filled as a user might write it: null as `string?`, an unknown
 * element as `string`, for the help of E0308. */
static const Type *filled(Checker *c, const Type *t, int depth) {
  if (depth > TY_MAX_DEPTH || !hole(t, depth)) return t;
  const Type *b = ty_base(t);
  switch (b->kind) {
  case TY_NULL: return ty_optional(c->tc, TY_STRING_T);
  case TY_NOTHING: return TY_STRING_T;
  case TY_LIST: return ty_list(c->tc, filled(c, b->u.elem, depth + 1));
  case TY_MAP: return ty_map(c->tc, filled(c, b->u.elem, depth + 1));
  case TY_OPTIONAL: return ty_optional(c->tc, filled(c, b->u.elem, depth + 1));
  case TY_RECORD: {
    RecField *fs = arena_calloc(c->arena, b->u.rec.nfields ? b->u.rec.nfields : 1, sizeof *fs);
    for (uint32_t i = 0; i < b->u.rec.nfields; i++) {
      fs[i] = b->u.rec.fields[i];
      fs[i].type = filled(c, fs[i].type, depth + 1);
    }
    return ty_record(c->tc, fs, b->u.rec.nfields);
  }
  default: return t;
  }
}

const Type *chk_infer(Checker *c, Expr *e, const char *kw, const char *name) {
  const Type *t = e->ty;
  if (!t || ty_is_error(t)) return TY_ERROR_T;
  int h = hole(t, 0);
  if (!h) return t;
  /* point at the field of a record literal that has no type, else at the whole value */
  Expr *at = e;
  for (int steps = 0; at->kind == EX_RECORD && steps < PARSE_MAX_DEPTH; steps++) {
    Expr *next = NULL;
    for (uint32_t i = 0; i < at->u.record.nfields && !next; i++) {
      Expr *v = at->u.record.fields[i].value;
      if (v && v->ty && hole(v->ty, 0)) next = v;
    }
    if (!next) break;
    at = next;
  }
  h = at->ty ? hole(at->ty, 0) : h;
  Diag *d = diag_add(c->diags, DIAG_E0308, at->span, "cannot infer the type of %s '%s'", kw, name);
  if (h == 1) diag_label(c->diags, d, at->span, "`null` alone has no type");
  else diag_label(c->diags, d, at->span, "the element type of this empty collection is unknown");
  const char *eg = show(c, filled(c, t, 0));
  if (strncmp(kw, "the result", 10) == 0)
    diag_help(c->diags, d, "write the result type: `fn %s(...): %s = ...`", name, eg);
  else
    diag_help(c->diags, d, "write its type: `%s %s: %s = ...`", kw, name, eg);
  return TY_ERROR_T;
}

const Value *chk_cond(Checker *c, Expr *e, const char *what, bool warn) {
  if (!e) return NULL;
  const Value *v = chk_expr(c, e, NULL);
  const Type *b = ty_base(e->ty);
  if (b->kind == TY_ERROR || b->kind == TY_NOTHING) return NULL;
  if (b->kind != TY_BOOL) {
    const char *s = chk_src(c, e->span, 40);
    if (!s) s = "x";
    if (b->kind == TY_OPTIONAL && ty_base(b->u.elem)->kind == TY_BOOL) {
      Diag *d = diag_add(c->diags, DIAG_E0307, e->span, "%s may be null, but %s must be a bool",
                         quote(c, e), what);
      diag_label(c->diags, d, e->span, "this is %s", a_type(c, e->ty));
      diag_help(c->diags, d, "say what null means: `(%s ?? false)`", s);
      return NULL;
    }
    Diag *d = diag_add(c->diags, DIAG_E0302, e->span, "%s must be a bool, found %s", what,
                       show(c, e->ty));
    diag_label(c->diags, d, e->span, "this is %s", a_type(c, e->ty));
    if (ty_is_stringish(b)) diag_help(c->diags, d, "compare it: `%s == \"...\"`", s);
    else if (ty_is_numeric(b)) diag_help(c->diags, d, "compare it: `%s > 0`", s);
    else if (b->kind == TY_OPTIONAL || b->kind == TY_NULL) diag_help(c->diags, d, "test for null: `%s != null`", s);
    else if (b->kind == TY_LIST || b->kind == TY_MAP) diag_help(c->diags, d, "test its length: `length(%s) > 0`", s);
    return NULL;
  }
  if (warn && v && v->kind == V_BOOL && !e->secret) {
    Diag *d = diag_add(c->diags, DIAG_W0005, e->span, "%s is always %s", what,
                       v->u.b ? "true" : "false");
    if (e->kind == EX_BOOL) diag_label(c->diags, d, e->span, "a constant");
    else diag_label(c->diags, d, e->span, "this is a constant: %s", v->u.b ? "true" : "false");
    diag_help(c->diags, d, "remove the condition, or make it depend on a param");
  }
  return v;
}

/* ---- names ------------------------------------------------------------------------------------- */
static void not_value(Checker *c, Expr *e, Sym *s) {
  const char *n = chk_src(c, e->span, 60);
  if (!n) n = s->name ? s->name->s : "?";
  Diag *d = diag_add(c->diags, DIAG_E0315, e->span, "'%s' is a %s, not a value", n, chk_kind_word(s));
  diag_label(c->diags, d, e->span, "used as a value here");
  switch (s->kind) {
  case SYM_COMPONENT:
    diag_help(c->diags, d, "declare an instance: `resource name: %s { ... }`", n);
    break;
  case SYM_RESTYPE:
    diag_help(c->diags, d, "declare one: `resource name: %s { ... }`", n);
    break;
  case SYM_FN: case SYM_BUILTIN:
    diag_help(c->diags, d, "call it: `%s(...)`", n);
    break;
  case SYM_PROVIDER:
    diag_help(c->diags, d, "a provider names resource types: `resource name: %s.Type { ... }`", n);
    break;
  case SYM_IMPORT:
    diag_help(c->diags, d, "read one of its declarations: `%s.name`", n);
    break;
  default:
    diag_help(c->diags, d, "write a value of this type, or declare one: `let name: %s = ...`", n);
    break;
  }
}

static const Type *narrowed(Checker *c, const Sym *s) {
  for (uint32_t i = c->nnarrows; i-- > 0;)
    if (c->narrows[i].sym == s) return c->narrows[i].type;
  return NULL;
}

static void push_narrow(Checker *c, Sym *s, const Type *t) {
  if (c->nnarrows == c->capnarrows) {
    c->capnarrows = c->capnarrows ? c->capnarrows * 2 : 16;
    c->narrows = plat_xrealloc(c->narrows, c->capnarrows * sizeof *c->narrows);
  }
  c->narrows[c->nnarrows++] = (Narrow){s, t};
}

/* While [cond] is [truth], the names it tests against null are not null. */
static void narrow_from(Checker *c, Expr *cond, bool truth, int depth) {
  if (!cond || cond->kind != EX_BINARY || depth > 16) return;
  BinaryOp op = cond->u.binary.op;
  Expr *l = cond->u.binary.lhs, *r = cond->u.binary.rhs;
  if ((op == BIN_AND && truth) || (op == BIN_OR && !truth)) {
    narrow_from(c, l, truth, depth + 1);
    narrow_from(c, r, truth, depth + 1);
    return;
  }
  if (op != BIN_EQ && op != BIN_NE) return;
  if (l->kind == EX_NULL) { Expr *t = l; l = r; r = t; }
  if (r->kind != EX_NULL || l->kind != EX_NAME || !l->u.name.sym) return;
  if ((op == BIN_NE) != truth) return;
  Sym *s = l->u.name.sym;
  const Type *t = narrowed(c, s);
  if (!t) t = s->type;
  if (!t || ty_base(t)->kind != TY_OPTIONAL) return;
  push_narrow(c, s, ty_base(t)->u.elem);
}

static const Value *ex_name(Checker *c, Expr *e) {
  Sym *s = e->u.name.sym;
  if (!s) { set(e, TY_ERROR_T, PHASE_COMPILE, false); return NULL; }
  switch (s->kind) {
  case SYM_TYPE: case SYM_PRIMTYPE: case SYM_COMPONENT: case SYM_RESTYPE: case SYM_PROVIDER:
  case SYM_IMPORT: case SYM_FN: case SYM_BUILTIN:
    not_value(c, e, s);
    set(e, TY_ERROR_T, PHASE_COMPILE, false);
    return NULL;
  default: break;
  }
  if (s->state != SYMST_DONE) { set(e, TY_ERROR_T, PHASE_PLAN, false); return NULL; }
  const Type *t = c->nnarrows ? narrowed(c, s) : NULL;
  set(e, t ? t : s->type, s->phase, s->secret);
  return s->cval;
}

/* ---- members ----------------------------------------------------------------------------------- */
static bool is_module_ref(const Expr *e) {
  return e && e->kind == EX_NAME && e->u.name.sym &&
         (e->u.name.sym->kind == SYM_IMPORT || e->u.name.sym->kind == SYM_PROVIDER);
}

/* `net.x`: the declaration x of the module (E0503 when it has none or hides it), or NULL
 * when reported.  For a provider, its resource type x (E0203 when it has none). */
static Sym *module_member(Checker *c, Expr *e) {
  Expr *obj = e->u.member.obj;
  Sym *ms = obj->u.name.sym;
  set(obj, ms->type, PHASE_COMPILE, false);
  const Str *name = e->u.member.name.str;
  Span sp = e->u.member.name.span;
  if (!ms->target || !name) return NULL;   /* the import failed and was reported */
  Sym *t = chk_lookup(ms->target, name);
  const char *alias = ms->name->s;
  if (ms->kind == SYM_PROVIDER) {
    if (t && t->kind == SYM_RESTYPE) return t;
    Diag *d = diag_add(c->diags, DIAG_E0203, sp, "unknown resource type '%s.%s'", alias, name->s);
    diag_label(c->diags, d, sp, "provider '%s' has no such resource type", alias);
    const char *best = res_suggest_tab(c, name, &ms->target->scope);
    if (best) diag_help(c->diags, d, "did you mean '%s'?", best);
    return NULL;
  }
  if (t && (t->kind == SYM_LET || t->kind == SYM_TYPE || t->kind == SYM_FN || t->kind == SYM_COMPONENT))
    return t;
  /* an empty module (E0502) or an alias imported twice (E0504): already reported */
  if (!t && ms->target->nfiles == 0) return NULL;
  for (uint32_t i = 0; !t && i < c->mod->nimports; i++) {
    Decl *id = c->mod->imports[i].decl;
    if (id && id != ms->decl && id->u.import.alias.str == ms->name) return NULL;
  }
  Diag *d;
  if (t) {
    d = diag_add(c->diags, DIAG_E0503, sp, "'%s' is a %s of module '%s', which it does not export",
                 name->s, chk_kind_word(t), alias);
    diag_label(c->diags, d, sp, "not visible through '%s'", alias);
    diag_note(c->diags, d, "a module exports its lets, types, functions and components");
    return NULL;
  }
  d = diag_add(c->diags, DIAG_E0503, sp, "module '%s' has no declaration '%s'", alias, name->s);
  diag_label(c->diags, d, sp, "not declared in %s", ms->target->path ? ms->target->path : alias);
  const char *best = res_suggest_tab(c, name, &ms->target->scope);
  if (best) {
    diag_help(c->diags, d, "did you mean '%s'?", best);
    diag_fix(c->diags, d, sp, best, arena_printf(c->arena, "replace with '%s'", best));
  }
  return NULL;
}

/* The field given to input [input] of [inst] when its type is [rt] (directly, as keyed
 * copies or as an optional), else NULL. */
static const Given *given_for(const Sym *inst, const ResType *rt, uint32_t input) {
  if (!inst || !inst->given || !inst->type) return NULL;
  const Type *b = ty_base(inst->type);
  if (b->kind == TY_MAP || b->kind == TY_OPTIONAL) b = ty_base(b->u.elem);
  return b->kind == TY_RESOURCE && b->u.res == rt ? chk_given(inst->given, inst->ngiven, input) : NULL;
}

/* The resource symbol an expression reads, when its given inputs are known: `r`,
 * `copies[k]`, `inst.member`; NULL otherwise (a loop variable, a policy's variable). */
static Sym *res_sym_of(Expr *e, int depth) {
  if (!e || depth > 64) return NULL;
  switch (e->kind) {
  case EX_NAME: {
    Sym *s = e->u.name.sym;
    return s && s->given ? s : NULL;
  }
  case EX_INDEX: return res_sym_of(e->u.index.obj, depth + 1);
  case EX_MEMBER: {
    Expr *obj = e->u.member.obj;
    if (!res_sym_of(obj, depth + 1) || !obj->ty) return NULL;
    const Type *b = ty_base(obj->ty);
    if (b->kind == TY_OPTIONAL) b = ty_base(b->u.elem);
    if (b->kind != TY_RESOURCE || !b->u.res->is_component) return NULL;
    ResPart part;
    uint32_t idx;
    const RecField *f = ty_res_find(b->u.res, e->u.member.name.str, &part, &idx);
    return f && part == RP_MEMBER && f->sym && f->sym->given ? f->sym : NULL;
  }
  default: return NULL;
  }
}

static void unknown_res_member(Checker *c, Expr *e, ResType *rt) {
  const Str *name = e->u.member.name.str;
  Span sp = e->u.member.name.span;
  Diag *d;
  Sym *comp = rt->is_component && rt->decl ? rt->decl->sym : NULL;
  Sym *m = comp && comp->members ? symtab_get(comp->members, name) : NULL;
  if (m && m->kind == SYM_LET) {
    m->uses++;   /* the reader meant to use it: not also W0001 */
    d = diag_add(c->diags, DIAG_E0209, sp, "'%s' is a let of %s, and lets are private", name->s, rt->qual);
    diag_label(c->diags, d, sp, "not visible outside '%s'", rt->qual);
    diag_help(c->diags, d, "expose it with an output in %s: `output %s = %s`", rt->qual, name->s, name->s);
    return;
  }
  if (rt->is_component)
    d = diag_add(c->diags, DIAG_E0209, sp, "%s has no param, output or resource '%s'", rt->qual, name->s);
  else
    d = diag_add(c->diags, DIAG_E0209, sp, "%s has no property '%s'", rt->qual, name->s);
  diag_label(c->diags, d, sp, "unknown member");
  uint32_t n = rt->ninputs + rt->noutputs + rt->nmembers, k = 0;
  const char **cands = chk_cands(c, n);
  for (uint32_t i = 0; cands && i < rt->ninputs; i++) cands[k++] = rt->inputs[i].name->s;
  for (uint32_t i = 0; cands && i < rt->noutputs; i++) cands[k++] = rt->outputs[i].name->s;
  for (uint32_t i = 0; cands && i < rt->nmembers; i++) cands[k++] = rt->members[i].name->s;
  const char *best = chk_suggest(c, name->s, cands, k);
  if (best) {
    diag_help(c->diags, d, "did you mean '%s'?", best);
    diag_fix(c->diags, d, sp, best, arena_printf(c->arena, "replace with '%s'", best));
  }
}

static const Value *res_member(Checker *c, Expr *e, Expr *obj, ResType *rt, bool opt) {
  ResPart part;
  uint32_t idx;
  const RecField *f = ty_res_find(rt, e->u.member.name.str, &part, &idx);
  uint8_t ph = maxp(obj->phase, PHASE_PLAN);
  bool sec = false;
  if (!f) {
    unknown_res_member(c, e, rt);
    set(e, TY_ERROR_T, ph, false);
    return NULL;
  }
  const Type *t = f->type ? f->type : TY_ERROR_T;
  switch (part) {
  case RP_INPUT: {
    if (f->sym) f->sym->uses++;   /* a component param read through an instance is used */
    const Given *given = given_for(res_sym_of(obj, 0), rt, idx);
    Field *g = given ? given->field : NULL;
    if (g && g->value) {
      ph = maxp(ph, g->value->phase);
      sec = g->value->secret;
    }
    sec = sec || ty_is_secret(t);
    break;
  }
  case RP_OUTPUT:
    if (rt->is_component) {
      if (f->sym) { ph = maxp(ph, f->sym->phase); sec = f->sym->secret; }
    } else {
      ph = PHASE_DEPLOY;
      sec = ty_is_secret(t);
    }
    break;
  case RP_MEMBER: break;
  }
  if (opt) t = ty_optional(c->tc, t);
  set(e, t, ph, sec);
  return NULL;
}

static const Value *ex_member(Checker *c, Expr *e) {
  Expr *obj = e->u.member.obj;
  const Str *name = e->u.member.name.str;
  if (is_module_ref(obj)) {
    Sym *t = module_member(c, e);
    if (!t) { set(e, TY_ERROR_T, PHASE_COMPILE, false); return NULL; }
    if (t->kind == SYM_LET) {
      if (t->state != SYMST_DONE) { set(e, TY_ERROR_T, PHASE_PLAN, false); return NULL; }
      set(e, t->type, t->phase, t->secret);
      return t->cval;
    }
    not_value(c, e, t);
    set(e, TY_ERROR_T, PHASE_COMPILE, false);
    return NULL;
  }
  const Value *ov = chk_expr(c, obj, NULL);
  const Type *b = ty_base(obj->ty);
  if (!name || b->kind == TY_ERROR || b->kind == TY_NOTHING) {
    set(e, TY_ERROR_T, obj->phase, obj->secret);
    return NULL;
  }
  Span sp = e->u.member.name.span;
  if (b->kind == TY_OPTIONAL) {
    const Type *eb = ty_base(b->u.elem);
    if (eb->kind == TY_RESOURCE) return res_member(c, e, obj, eb->u.res, true);
    const char *s = chk_src(c, obj->span, 40);
    Diag *d = diag_add(c->diags, DIAG_E0307, obj->span, "%s may be null, so '.%s' cannot be read",
                       quote(c, obj), name->s);
    diag_label(c->diags, d, obj->span, "this is %s", a_type(c, obj->ty));
    diag_help(c->diags, d, "test it first (`if %s != null then ... else ...`) or give a "
              "value for null with `??`", s ? s : "x");
    set(e, TY_ERROR_T, obj->phase, obj->secret);
    return NULL;
  }
  if (b->kind == TY_RESOURCE) return res_member(c, e, obj, b->u.res, false);
  if (b->kind == TY_RECORD) {
    const RecField *f = ty_field(b, name);
    if (f) {
      set(e, f->type, obj->phase, obj->secret || ty_is_secret(f->type));
      return ov && ov->n <= FOLD_MEMBER_MAX ? cv_member(ov, name->s, name->len) : NULL;
    }
    Diag *d = diag_add(c->diags, DIAG_E0209, sp, "%s has no field '%s'", show(c, obj->ty), name->s);
    diag_label(c->diags, d, sp, "unknown field");
    uint32_t n = b->u.rec.nfields;
    const char **cands = chk_cands(c, n);
    for (uint32_t i = 0; cands && i < n; i++) cands[i] = b->u.rec.fields[i].name->s;
    const char *best = chk_suggest(c, name->s, cands, n);
    if (best) {
      diag_help(c->diags, d, "did you mean '%s'?", best);
      diag_fix(c->diags, d, sp, best, arena_printf(c->arena, "replace with '%s'", best));
    }
    set(e, TY_ERROR_T, obj->phase, obj->secret);
    return NULL;
  }
  bool copies = b->kind == TY_MAP && ty_base(b->u.elem)->kind == TY_RESOURCE;
  Diag *d;
  if (copies)
    d = diag_add(c->diags, DIAG_E0209, sp, "%s is keyed copies of %s, which have no member '%s'",
                 quote(c, obj), show(c, b->u.elem), name->s);
  else
    d = diag_add(c->diags, DIAG_E0209, sp, "%s has no member '%s'", show(c, obj->ty), name->s);
  diag_label(c->diags, d, sp, "unknown member");
  if (b->kind == TY_MAP) {
    const char *s = chk_src(c, obj->span, 40);
    diag_help(c->diags, d, "%s read by key, not by member: `%s[\"%s\"]`",
              copies ? "keyed copies are" : "a map is", s ? s : "m", name->s);
  }
  set(e, TY_ERROR_T, obj->phase, obj->secret);
  return NULL;
}

/* ---- index ------------------------------------------------------------------------------------- */
/* A record whose fields have a common type T reads and iterates like a map<T> (§3). */
static const Type *record_as_map(Checker *c, const Type *b) {
  const Type *j = TY_NOTHING_T;
  for (uint32_t i = 0; i < b->u.rec.nfields && j; i++) j = ty_join(c->tc, j, b->u.rec.fields[i].type);
  return j ? ty_map(c->tc, j) : NULL;
}

static const Value *ex_index(Checker *c, Expr *e) {
  Expr *obj = e->u.index.obj, *ix = e->u.index.index;
  const Value *ov = chk_expr(c, obj, NULL);
  const Type *b = ty_base(obj->ty);
  const Value *iv = NULL, *out = NULL;
  if (b->kind == TY_RECORD) {
    const Type *m = record_as_map(c, b);
    if (m) b = m;
  }
  Dest dst = {NULL, NULL, NULL, span_make(SPAN_NO_FILE, 0, 0), false};
  const Type *t = TY_ERROR_T;
  switch (b->kind) {
  case TY_ERROR: case TY_NOTHING: chk_expr(c, ix, NULL); break;
  case TY_LIST:
    dst.fmt = "a list index";
    iv = chk_value(c, ix, TY_INT_T, &dst);
    t = b->u.elem;
    if (ov && iv && ov->kind == V_LIST && iv->kind == V_INT) {
      if (iv->u.i >= 0 && (uint64_t)iv->u.i < ov->n) {
        out = ov->u.items[iv->u.i];
      } else {
        Diag *d = diag_add(c->diags, DIAG_E0309, ix->span,
                           "index %lld is out of range of a list of %u element%s",
                           (long long)iv->u.i, ov->n, ov->n == 1 ? "" : "s");
        diag_label(c->diags, d, ix->span, "out of range");
        diag_label(c->diags, d, obj->span, "this list has %u element%s", ov->n, ov->n == 1 ? "" : "s");
      }
    }
    break;
  case TY_MAP: {
    dst.fmt = "a map key";
    t = b->u.elem;
    bool copies = ty_base(b->u.elem)->kind == TY_RESOURCE;
    if (copies) {
      /* copies are keyed by name: an index by position is the likely slip */
      iv = chk_expr(c, ix, NULL);
      const Type *kb = ty_base(ix->ty);
      if (!ty_is_error(ix->ty) && kb->kind != TY_NOTHING && !ty_is_stringish(kb)) {
        const char *o = chk_src(c, obj->span, 40);
        Diag *d = diag_add(c->diags, DIAG_E0300, ix->span, "mismatched types: expected string, found %s",
                           show(c, ix->ty));
        diag_label(c->diags, d, ix->span, "keyed copies are read by their string key");
        diag_help(c->diags, d, "copies are keyed by the elements of their `for` source, not by "
                  "position: `%s[\"...\"]`", o ? o : "name");
        break;
      }
      chk_assign(c, ix, iv, TY_STRING_T, &dst);
    } else {
      iv = chk_value(c, ix, TY_STRING_T, &dst);
    }
    if (copies && ix->ty && !ty_is_error(ix->ty)) {
      if (ix->phase == PHASE_DEPLOY) {
        Diag *d = diag_add(c->diags, DIAG_E0402, ix->span,
                           "the key of a keyed copy is not known at plan time");
        diag_label(c->diags, d, ix->span, "known only after deploy");
        chk_explain(c, d, ix, false, PHASE_DEPLOY);
        diag_note(c->diags, d, "the plan must know which copy is referenced");
      } else if (ix->secret) {
        Diag *d = diag_add(c->diags, DIAG_E0404, ix->span, "a secret value is used as a key");
        diag_label(c->diags, d, ix->span, "this value is secret");
        chk_explain(c, d, ix, true, 0);
        diag_note(c->diags, d, "keys are part of resource addresses, which are printed in every plan");
      } else {
        chk_plan_use(c, ix, DIAG_E0402, ix->span);
      }
    }
    if (ov && iv && ov->kind == V_RECORD && iv->kind == V_STRING && ov->n <= FOLD_MEMBER_MAX) {
      out = cv_member(ov, iv->u.s, iv->n);
      if (!out) {
        Diag *d = diag_add(c->diags, DIAG_E0309, ix->span, "key %s is not in the map",
                           cv_show(c->arena, iv, 60));
        diag_label(c->diags, d, ix->span, "no such key");
        const char **cands = chk_cands(c, ov->n);
        for (uint32_t i = 0; cands && i < ov->n; i++) cands[i] = ov->u.fields[i].key;
        const char *best = chk_suggest(c, iv->u.s, cands, ov->n);
        if (best) diag_help(c->diags, d, "did you mean \"%s\"?", best);
      }
    }
    break;
  }
  case TY_OPTIONAL: {
    chk_expr(c, ix, NULL);
    const char *s = chk_src(c, obj->span, 40);
    Diag *d = diag_add(c->diags, DIAG_E0307, obj->span, "%s may be null, so it cannot be indexed",
                       quote(c, obj));
    diag_label(c->diags, d, obj->span, "this is %s", a_type(c, obj->ty));
    diag_help(c->diags, d, "give a value for null first: `(%s ?? ...)[...]`", s ? s : "x");
    break;
  }
  default: {
    chk_expr(c, ix, NULL);
    Diag *d = diag_add(c->diags, DIAG_E0305, obj->span, "%s cannot be indexed", show(c, obj->ty));
    diag_label(c->diags, d, obj->span, "this is %s", a_type(c, obj->ty));
    if (ty_is_stringish(b)) diag_help(c->diags, d, "take part of a string with `substr(s, offset, length)`");
    else if (b->kind == TY_RECORD) {
      const char *k = ix->kind == EX_STRING && ix->u.str.nparts == 1 && !ix->u.str.parts[0].is_expr
                      ? ix->u.str.parts[0].text : NULL;
      if (k) diag_help(c->diags, d, "read a record's field with `.%s`", k);
      else diag_help(c->diags, d, "read a record's fields with `.name`; its fields have different "
                     "types, so it is not a map");
    } else if (b->kind == TY_RESOURCE)
      diag_help(c->diags, d, "only keyed copies (`resource x: T for ...`) are indexed");
    break;
  }
  }
  set(e, t, maxp(obj->phase, ix->phase), obj->secret || ix->secret || ty_is_secret(t));
  return out;
}

/* ---- calls ------------------------------------------------------------------------------------- */
static void args_plain(Checker *c, Expr *e, uint8_t *ph, bool *sec) {
  for (uint32_t i = 0; i < e->u.call.nargs; i++) {
    Expr *a = e->u.call.args[i];
    chk_expr(c, a, NULL);
    if (!a) continue;
    *ph = maxp(*ph, a->phase);
    *sec = *sec || a->secret;
  }
}

static void arity_error(Checker *c, Expr *e, const char *name, uint32_t min, uint32_t max,
                        bool variadic, const char *sig) {
  uint32_t n = e->u.call.nargs;
  const char *given = arena_printf(c->arena, "%u %s given", n, n == 1 ? "was" : "were");
  Diag *d;
  if (variadic)
    d = diag_add(c->diags, DIAG_E0211, e->span, "%s takes at least %u argument%s, but %s", name,
                 min, min == 1 ? "" : "s", given);
  else if (min == max)
    d = diag_add(c->diags, DIAG_E0211, e->span, "%s takes %u argument%s, but %s", name, min,
                 min == 1 ? "" : "s", given);
  else
    d = diag_add(c->diags, DIAG_E0211, e->span, "%s takes %u to %u arguments, but %s", name, min,
                 max, given);
  if (n > max && !variadic && n > 0)
    diag_label(c->diags, d, span_join(e->u.call.args[max]->span, e->u.call.args[n - 1]->span),
               "%s", n - max == 1 ? "this argument is one too many" : "these arguments are too many");
  else
    diag_label(c->diags, d, e->span, "wrong number of arguments");
  diag_note(c->diags, d, "the signature is %s", sig);
}

/* A call whose result is the type its context expects (jsondecode, yamldecode): that type,
 * described for the run-time conversion, or E0316 when there is none or it cannot be
 * decoded into.  [expect] may be the error type (already diagnosed: no second error). */
static void decode_type(Checker *c, Expr *e, const Builtin *b, const Type *expect, uint8_t ph,
                        bool sec) {
  if (expect && ty_is_error(expect)) {
    set(e, TY_ERROR_T, ph, sec);
    return;
  }
  const char *why = NULL;
  if (expect && sl_type_desc(c->arena, expect, &why)) {
    set(e, expect, ph, sec);   /* secret parts are secret by their type */
    return;
  }
  Diag *d;
  if (!expect) {
    d = diag_add(c->diags, DIAG_E0316, e->span, "the type of %s's result is not known here", b->name);
    diag_label(c->diags, d, e->span, "decoded to what type?");
    diag_note(c->diags, d, "Plat is statically typed: %s gives the type its context expects",
              b->name);
    diag_help(c->diags, d, "give it one: `let cfg: { port: int } = %s(text)`", b->name);
  } else {
    d = diag_add(c->diags, DIAG_E0316, e->span, "%s cannot decode into %s: %s", b->name,
                 show(c, expect), why);
    diag_label(c->diags, d, e->span, "expected %s here", show(c, expect));
  }
  set(e, TY_ERROR_T, ph, sec);
}

/* try and can evaluate their arguments protected (the VM catches their runtime errors), so
 * an argument that always fails (E0309) is what they are for, not an error: drop those
 * reported since [from]. */
static void unfail_args(Checker *c, uint32_t from) {
  DiagList *dl = c->diags;
  uint32_t k = from;
  for (uint32_t i = from; i < dl->n; i++) {
    if (dl->items[i]->code == DIAG_E0309 && dl->items[i]->sev == SEV_ERROR) { dl->nerrors--; continue; }
    dl->items[k++] = dl->items[i];
  }
  dl->n = k;
}

static const Value *call_builtin(Checker *c, Expr *e, const Builtin *b, const Type *expect) {
  uint32_t n = e->u.call.nargs;
  const Value *vsmall[SMALL];
  const Type *tsmall[SMALL];
  const Value **vals = n <= SMALL ? vsmall : arena_calloc(c->arena, n, sizeof *vals);
  const Type **types = n <= SMALL ? tsmall : arena_calloc(c->arena, n, sizeof *types);
  uint8_t ph = PHASE_COMPILE;
  bool sec = false, known = true;
  uint32_t ndiags = c->diags->n;
  for (uint32_t i = 0; i < n; i++) {
    Expr *a = e->u.call.args[i];
    /* a parameter of one fixed type is what the argument is expected to be, as for user
     * functions: it types `[]` and `{}` literals and gives jsondecode its result type */
    vals[i] = chk_expr(c, a, bi_param_type(c->tc, b, i));
    types[i] = a ? a->ty : TY_ERROR_T;
    if (!a) { known = false; continue; }
    ph = maxp(ph, a->phase);
    sec = sec || a->secret;
    known = known && vals[i] && vals[i]->n <= FOLD_CALL_MAX;
  }
  if (b->id == BI_try || b->id == BI_can) unfail_args(c, ndiags);
  if (n < b->min_args || (!b->variadic && n > b->nparams)) {
    arity_error(c, e, b->name, b->min_args, b->nparams, b->variadic, b->sig);
    set(e, TY_ERROR_T, ph, sec);
    return NULL;
  }
  uint32_t bad = 0;
  const char *want = NULL;
  const Type *rt = bi_type_call(c->tc, b, types, n, &bad, &want);
  if (!rt) {
    Expr *a = e->u.call.args[bad];
    const Type *ab = ty_base(a->ty);
    bool opt = false;
    if (ab->kind == TY_OPTIONAL) {
      types[bad] = ab->u.elem;
      uint32_t bad2;
      const char *want2;
      opt = bi_type_call(c->tc, b, types, n, &bad2, &want2) || bad2 != bad;
    }
    Diag *d;
    if (opt) {
      const char *s = chk_src(c, a->span, 40);
      d = diag_add(c->diags, DIAG_E0307, a->span, "%s may be null, but argument '%s' of %s is not optional",
                   quote(c, a), b->params[bad < b->nparams ? bad : b->nparams - 1].name, b->name);
      diag_label(c->diags, d, a->span, "this is %s", a_type(c, a->ty));
      diag_help(c->diags, d, "say what to use when it is null: `%s ?? ...`", s ? s : "x");
    } else {
      const BiParam *bp = &b->params[bad < b->nparams ? bad : b->nparams - 1];
      d = diag_add(c->diags, DIAG_E0300, a->span,
                   "mismatched types: argument '%s' of %s must be %s, found %s", bp->name, b->name,
                   want, show(c, a->ty));
      diag_label(c->diags, d, a->span, "expected %s", want);
    }
    diag_note(c->diags, d, "the signature is %s", b->sig);
    set(e, TY_ERROR_T, ph, sec);
    return NULL;
  }
  if (b->hooked) {   /* regex, regexall: the result's shape comes from the pattern */
    const char *why = NULL;
    uint32_t at = 0;
    rt = bi_type_hook(c->tc, c->strs, b, vals, n, &at, &why);
    if (!rt) {
      Expr *a = e->u.call.args[at];
      Diag *d = diag_add(c->diags, DIAG_E0317, a->span, "%s", why);
      diag_label(c->diags, d, a->span, vals[at] ? "this pattern" : "not a constant");
      diag_note(c->diags, d, "the type of a match comes from the pattern's capture groups");
      set(e, TY_ERROR_T, ph, sec);
      return NULL;
    }
  }
  if (b->flags & BF_PLAN) ph = maxp(ph, PHASE_PLAN);
  if (b->flags & BF_SENSITIVE) sec = true;
  if (b->flags & BF_NONSENSITIVE) sec = false;
  if (b->ret_expected) {
    decode_type(c, e, b, expect, ph, sec);
    return NULL;
  }
  set(e, rt, ph, sec);
  if (!known || (b->flags & BF_PLAN) || !can_fold(c)) return NULL;
  const Value *out;
  const char *fault = NULL;
  CvStatus st = cv_call(c->arena, b->id, vals, n, &out, &fault);
  if (st == CV_OK) return folded(c, out);
  if (st == CV_FAULT) {
    Diag *d = diag_add(c->diags, DIAG_E0309, e->span, "this call always fails: %s", fault);
    diag_label(c->diags, d, e->span, "all its arguments are constants");
  }
  return NULL;
}

static const Value *call_fn(Checker *c, Expr *e, Sym *fs) {
  const Type *ft = fs->type;
  uint8_t ph = PHASE_COMPILE;
  bool sec = false;
  uint32_t n = e->u.call.nargs;
  if (fs->state != SYMST_DONE || !ft || ft->kind != TY_FN) {
    args_plain(c, e, &ph, &sec);
    set(e, TY_ERROR_T, maxp(ph, PHASE_PLAN), sec);
    return NULL;
  }
  uint32_t required = 0;
  for (uint32_t i = 0; i < ft->u.fn.nparams; i++)
    if (!ft->u.fn.params[i].optional) required = i + 1;
  if (n < required || n > ft->u.fn.nparams) {
    args_plain(c, e, &ph, &sec);
    arity_error(c, e, fs->name->s, required, ft->u.fn.nparams, false, show(c, ft));
    set(e, TY_ERROR_T, ph, sec);
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    const FnParamT *p = &ft->u.fn.params[i];
    Dest dst = {"parameter '%s' of %s", p->name ? p->name->s : "?", fs->name->s,
                span_make(SPAN_NO_FILE, 0, 0), false};
    Expr *a = e->u.call.args[i];
    chk_value(c, a, p->type, &dst);
    if (!a) continue;
    ph = maxp(ph, a->phase);
    sec = sec || a->secret;
  }
  set(e, ft->u.fn.ret, maxp(ph, fs->fn_phase), sec || fs->fn_secret);
  return NULL;
}

static const Value *ex_call(Checker *c, Expr *e, const Type *expect) {
  Expr *callee = e->u.call.callee;
  uint8_t ph = PHASE_COMPILE;
  bool sec = false;
  Sym *fs = NULL;
  if (callee && callee->kind == EX_NAME) {
    fs = callee->u.name.sym;
  } else if (callee && callee->kind == EX_MEMBER && is_module_ref(callee->u.member.obj)) {
    fs = module_member(c, callee);
    if (!fs) set(callee, TY_ERROR_T, PHASE_COMPILE, false);
  } else if (callee) {
    chk_expr(c, callee, NULL);
    if (!ty_is_error(callee->ty)) {
      Diag *d = diag_add(c->diags, DIAG_E0306, callee->span, "%s is %s, not a function",
                         quote(c, callee), show(c, callee->ty));
      diag_label(c->diags, d, callee->span, "called here");
    }
    args_plain(c, e, &ph, &sec);
    set(e, TY_ERROR_T, ph, sec);
    return NULL;
  }
  if (!fs) {
    if (callee) set(callee, TY_ERROR_T, PHASE_COMPILE, false);
    args_plain(c, e, &ph, &sec);
    set(e, TY_ERROR_T, ph, sec);
    return NULL;
  }
  set(callee, fs->type, PHASE_COMPILE, false);
  if (fs->kind == SYM_BUILTIN && fs->builtin) return call_builtin(c, e, fs->builtin, expect);
  if (fs->kind == SYM_FN) return call_fn(c, e, fs);
  const char *n = chk_src(c, callee->span, 60);
  if (!n) n = fs->name->s;
  Diag *d = diag_add(c->diags, DIAG_E0306, callee->span, "'%s' is a %s, not a function", n,
                     chk_kind_word(fs));
  diag_label(c->diags, d, callee->span, "called here");
  if (fs->span.file != SPAN_NO_FILE) diag_label(c->diags, d, fs->span, "'%s' is declared here", fs->name->s);
  if (fs->state == SYMST_DONE && fs->type && !ty_is_error(fs->type) && fs->kind != SYM_TYPE &&
      fs->kind != SYM_COMPONENT && fs->kind != SYM_RESTYPE && fs->kind != SYM_PRIMTYPE)
    diag_note(c->diags, d, "'%s' is %s", fs->name->s, a_type(c, fs->type));
  diag_help(c->diags, d, "functions are declared with `fn`: `fn %s(...) = ...`", fs->name->s);
  args_plain(c, e, &ph, &sec);
  set(e, TY_ERROR_T, ph, sec);
  return NULL;
}

/* ---- operators --------------------------------------------------------------------------------- */
static bool is_opt(const Type *b) { return b->kind == TY_OPTIONAL || b->kind == TY_NULL; }

static void bad_operands(Checker *c, Expr *e, Expr *l, Expr *r, const char *op) {
  const Type *lb = ty_base(l->ty), *rb = r ? ty_base(r->ty) : NULL;
  Expr *o = is_opt(lb) ? l : rb && is_opt(rb) ? r : NULL;
  if (o) {
    const char *s = chk_src(c, o->span, 40);
    Diag *d = diag_add(c->diags, DIAG_E0307, o->span, "%s may be null, but `%s` needs a value",
                       quote(c, o), op);
    diag_label(c->diags, d, o->span, "this is %s", a_type(c, o->ty));
    diag_help(c->diags, d, "say what to use when it is null: `(%s ?? ...)`", s ? s : "x");
    return;
  }
  Diag *d;
  Span at = e->kind == EX_BINARY ? e->u.binary.op_span : e->span;
  if (!r) {
    d = diag_add(c->diags, DIAG_E0301, e->span, "`%s` cannot be applied to %s", op, show(c, l->ty));
    diag_label(c->diags, d, l->span, "this is %s", a_type(c, l->ty));
    return;
  }
  d = diag_add(c->diags, DIAG_E0301, at, "`%s` cannot be applied to %s and %s", op, show(c, l->ty),
               show(c, r->ty));
  diag_label(c->diags, d, l->span, "this is %s", a_type(c, l->ty));
  diag_label(c->diags, d, r->span, "this is %s", a_type(c, r->ty));
  BinaryOp bop = e->u.binary.op;
  if (bop == BIN_ADD && (ty_is_stringish(lb) || ty_is_stringish(rb)))
    diag_help(c->diags, d, "join text with an interpolation: \"${a}${b}\"");
  else if (bop == BIN_MOD && ty_is_numeric(lb) && ty_is_numeric(rb))
    diag_help(c->diags, d, "`%%` is for ints only");
  else if ((bop == BIN_AND || bop == BIN_OR) )
    diag_help(c->diags, d, "`%s` takes two bools; compare values first (`x > 0`)", op);
  else if (bop == BIN_EQ || bop == BIN_NE)
    diag_help(c->diags, d, "only values of a common type can be compared");
}

static void constant_fault(Checker *c, Expr *e, const char *fault, const Value *l, const Value *r) {
  Diag *d = diag_add(c->diags, DIAG_E0309, e->span, "constant expression fails: %s", fault);
  if (!e->secret && l && r)
    diag_label(c->diags, d, e->span, "this is %s %s %s", cv_show(c->arena, l, 40),
               ast_binop_text(e->u.binary.op), cv_show(c->arena, r, 40));
  else
    diag_label(c->diags, d, e->span, "always fails");
}

static const Value *ex_unary(Checker *c, Expr *e) {
  Expr *o = e->u.unary.operand;
  const Value *v = chk_expr(c, o, NULL);
  const Type *b = ty_base(o->ty), *t = TY_ERROR_T;
  const char *op = e->u.unary.op == UN_NEG ? "-" : "!";
  if (b->kind == TY_ERROR || b->kind == TY_NOTHING) {
    t = e->u.unary.op == UN_NOT ? TY_BOOL_T : TY_ERROR_T;
  } else if (e->u.unary.op == UN_NEG && ty_is_numeric(b)) {
    t = b;
  } else if (e->u.unary.op == UN_NOT && b->kind == TY_BOOL) {
    t = TY_BOOL_T;
  } else {
    bad_operands(c, e, o, NULL, op);
  }
  set(e, t, o->phase, o->secret);
  if (!v || ty_is_error(t)) return NULL;
  const Value *out;
  const char *fault;
  CvStatus st = cv_unary(c->arena, e->u.unary.op, v, &out, &fault);
  if (st == CV_OK) return out;
  if (st == CV_FAULT) {
    Diag *d = diag_add(c->diags, DIAG_E0309, e->span, "constant expression fails: %s", fault);
    diag_label(c->diags, d, e->span, "always fails");
  }
  return NULL;
}

static const Value *ex_coalesce(Checker *c, Expr *e, const Type *expect) {
  Expr *l = e->u.binary.lhs, *r = e->u.binary.rhs;
  const Value *lv = chk_expr(c, l, NULL);
  const Value *rv = chk_expr(c, r, expect);
  const Type *lb = ty_base(l->ty);
  uint8_t ph = maxp(l->phase, r->phase);
  bool sec = l->secret || r->secret;
  const Type *elem;
  if (lb->kind == TY_OPTIONAL) elem = lb->u.elem;
  else if (lb->kind == TY_NULL) elem = r->ty;
  else elem = l->ty;
  const Type *t = ty_is_error(elem) || ty_is_error(r->ty) ? TY_ERROR_T : ty_join(c->tc, elem, r->ty);
  if (!t) {
    Diag *d = diag_add(c->diags, DIAG_E0300, r->span,
                       "mismatched types: the two sides of `??` are %s and %s", show(c, l->ty),
                       show(c, r->ty));
    diag_label(c->diags, d, r->span, "expected %s", show(c, elem));
    diag_label(c->diags, d, l->span, "this is %s", a_type(c, l->ty));
    t = TY_ERROR_T;
  }
  set(e, t, ph, sec);
  if (!lv) return NULL;
  return lv->kind == V_NULL ? rv : lv;
}

static const Value *ex_binary(Checker *c, Expr *e, const Type *expect) {
  BinaryOp op = e->u.binary.op;
  if (op == BIN_COALESCE) return ex_coalesce(c, e, expect);
  Expr *l = e->u.binary.lhs, *r = e->u.binary.rhs;
  const Value *lv = chk_expr(c, l, NULL);
  uint32_t mark = c->nnarrows;
  if (op == BIN_AND) narrow_from(c, l, true, 0);
  if (op == BIN_OR) narrow_from(c, l, false, 0);
  const Value *rv = chk_expr(c, r, NULL);
  c->nnarrows = mark;
  uint8_t ph = maxp(l->phase, r->phase);
  bool sec = l->secret || r->secret;
  const Type *lb = ty_base(l->ty), *rb = ty_base(r->ty), *t = NULL;
  bool logic = op == BIN_AND || op == BIN_OR || (op >= BIN_EQ && op <= BIN_GE);
  if (lb->kind == TY_ERROR || rb->kind == TY_ERROR || lb->kind == TY_NOTHING || rb->kind == TY_NOTHING) {
    set(e, logic ? TY_BOOL_T : TY_ERROR_T, ph, sec);
    return NULL;
  }
  switch (op) {
  case BIN_AND: case BIN_OR:
    if (lb->kind == TY_BOOL && rb->kind == TY_BOOL) t = TY_BOOL_T;
    break;
  case BIN_EQ: case BIN_NE:
    if (ty_join(c->tc, l->ty, r->ty)) t = TY_BOOL_T;
    break;
  case BIN_LT: case BIN_LE: case BIN_GT: case BIN_GE:
    if ((ty_is_numeric(lb) && ty_is_numeric(rb)) || (ty_is_stringish(lb) && ty_is_stringish(rb)))
      t = TY_BOOL_T;
    break;
  case BIN_ADD:
    if (ty_is_stringish(lb) && ty_is_stringish(rb)) { t = TY_STRING_T; break; }
    if (lb->kind == TY_LIST && rb->kind == TY_LIST) {
      const Type *j = ty_join(c->tc, lb, rb);
      if (j) t = j;
      break;
    }
    /* fall through */
  case BIN_SUB: case BIN_MUL: case BIN_DIV:
    if (ty_is_numeric(lb) && ty_is_numeric(rb))
      t = lb->kind == TY_INT && rb->kind == TY_INT ? TY_INT_T : TY_FLOAT_T;
    break;
  case BIN_MOD:
    if (lb->kind == TY_INT && rb->kind == TY_INT) t = TY_INT_T;
    break;
  case BIN_COALESCE: break;
  }
  if (!t) {
    bad_operands(c, e, l, r, ast_binop_text(op));
    set(e, logic ? TY_BOOL_T : TY_ERROR_T, ph, sec);
    return NULL;
  }
  set(e, t, ph, sec);
  if ((op == BIN_AND || op == BIN_OR) && lv && lv->kind == V_BOOL && lv->u.b == (op == BIN_OR))
    return lv;   /* short-circuit: the right side does not matter */
  if (!lv || !rv || !can_fold(c)) return NULL;
  const Value *out;
  const char *fault;
  CvStatus st = cv_binary(c->arena, op, lv, rv, &out, &fault);
  if (st == CV_OK) return folded(c, out);
  if (st == CV_FAULT) {
    constant_fault(c, e, fault, lv, rv);
  }
  return NULL;
}

/* ---- if, lists, records, comprehensions ------------------------------------------------------ */
static const Value *ex_if(Checker *c, Expr *e, const Type *expect) {
  Expr *cond = e->u.cond.cond, *a = e->u.cond.then, *b = e->u.cond.els;
  const Value *cv = chk_cond(c, cond, "the condition of `if`", true);
  uint32_t mark = c->nnarrows;
  narrow_from(c, cond, true, 0);
  const Value *av = chk_expr(c, a, expect);
  c->nnarrows = mark;
  narrow_from(c, cond, false, 0);
  const Value *bv = chk_expr(c, b, expect);
  c->nnarrows = mark;
  uint8_t ph = maxp(cond->phase, maxp(a->phase, b->phase));
  bool sec = cond->secret || a->secret || b->secret;
  const Type *t;
  if (expect) {
    chk_assign(c, a, av, expect, NULL);
    chk_assign(c, b, bv, expect, NULL);
    t = expect;
  } else {
    t = ty_join(c->tc, a->ty, b->ty);
    if (!t) {
      Diag *d = diag_add(c->diags, DIAG_E0300, b->span,
                         "mismatched types: `if` and `else` have different types, %s and %s",
                         show(c, a->ty), show(c, b->ty));
      diag_label(c->diags, d, b->span, "this is %s", a_type(c, b->ty));
      diag_label(c->diags, d, a->span, "this is %s", a_type(c, a->ty));
      t = TY_ERROR_T;
    }
  }
  set(e, t, ph, sec);
  if (cv && cv->kind == V_BOOL) return cv->u.b ? av : bv;
  return NULL;
}

/* [t] without one level of optional, for pushing an expected type into a literal. */
static const Type *unopt(const Type *t) {
  if (!t) return NULL;
  const Type *b = ty_base(t);
  return b->kind == TY_OPTIONAL ? b->u.elem : t;
}

static const Value *ex_list(Checker *c, Expr *e, const Type *expect) {
  uint32_t n = e->u.list.nitems;
  const Type *lt = unopt(expect);
  const Type *want = lt && ty_base(lt)->kind == TY_LIST ? ty_base(lt)->u.elem : NULL;
  const Value *small[SMALL];
  const Value **vals = n <= SMALL ? small : arena_calloc(c->arena, n, sizeof *vals);
  uint8_t ph = PHASE_COMPILE;
  bool sec = false, known = n <= CV_MAX_ITEMS;
  const Type *elem = TY_NOTHING_T;
  Expr *first = NULL;
  Dest dst = {"a list element", NULL, NULL, span_make(SPAN_NO_FILE, 0, 0), false};
  for (uint32_t i = 0; i < n; i++) {
    Expr *it = e->u.list.items[i];
    vals[i] = want ? chk_value(c, it, want, &dst) : chk_expr(c, it, NULL);
    if (!it) { known = false; continue; }
    ph = maxp(ph, it->phase);
    sec = sec || it->secret;
    known = known && vals[i];
    if (want || ty_is_error(elem)) continue;
    const Type *j = ty_join(c->tc, elem, it->ty);
    if (!j) {
      Diag *d = diag_add(c->diags, DIAG_E0300, it->span,
                         "mismatched types: list elements must have a common type, found %s and %s",
                         show(c, elem), show(c, it->ty));
      diag_label(c->diags, d, it->span, "this is %s", a_type(c, it->ty));
      if (first) diag_label(c->diags, d, first->span, "this is %s", a_type(c, first->ty));
      elem = TY_ERROR_T;
      continue;
    }
    if (!first) first = it;
    elem = j;
  }
  set(e, want ? lt : ty_list(c->tc, elem), ph, sec);
  if (!known || !can_fold(c)) return NULL;
  c->folded += (uint64_t)n * 16;
  Value *v = arena_alloc(c->arena, sizeof *v);
  v->kind = V_LIST;
  v->n = n;
  const Value **items = arena_calloc(c->arena, n ? n : 1, sizeof *items);
  if (n) memcpy(items, vals, n * sizeof *items);
  v->u.items = items;
  return v;
}

/* E0208 for every field whose name was given before, by index or hash; [seen] (n) is
 * set to whether each is a repeat. */
static void dup_fields(Checker *c, Field *fs, uint32_t n, bool *repeat) {
  for (uint32_t i = 0; i < n; i++) repeat[i] = false;
  if (n < 2) return;
  uint32_t cap = 0, *tab = NULL;
  if (n > SMALL) {
    cap = 32;
    while (cap < n * 2) cap *= 2;
    tab = arena_calloc(c->arena, cap, sizeof *tab);
  }
  for (uint32_t i = 0; i < n; i++) {
    const Str *name = fs[i].name.str;
    if (!name) continue;
    uint32_t first = UINT32_MAX;
    if (tab) {
      uint32_t j = name->hash & (cap - 1);
      for (; tab[j]; j = (j + 1) & (cap - 1))
        if (fs[tab[j] - 1].name.str == name) { first = tab[j] - 1; break; }
      if (first == UINT32_MAX) tab[j] = i + 1;
    } else {
      for (uint32_t k = 0; k < i && first == UINT32_MAX; k++)
        if (fs[k].name.str == name) first = k;
    }
    if (first == UINT32_MAX) continue;
    repeat[i] = true;
    Diag *d = diag_add(c->diags, DIAG_E0208, fs[i].name.span, "'%s' is given twice", name->s);
    diag_label(c->diags, d, fs[i].name.span, "given again here");
    diag_label(c->diags, d, fs[first].name.span, "first given here");
    diag_help(c->diags, d, "remove one of them");
  }
}

static const char *placeholder(Checker *c, const Type *t) {
  const Type *b = ty_base(t);
  switch (b->kind) {
  case TY_STRING: return "\"\"";
  case TY_INT: return "0";
  case TY_FLOAT: return "0.0";
  case TY_BOOL: return "false";
  case TY_LIST: return "[]";
  case TY_MAP: case TY_RECORD: return "{}";
  case TY_UNION:
    return b->u.uni.nmembers ? arena_printf(c->arena, "\"%s\"", b->u.uni.members[0]->s) : "\"\"";
  default: return "null";
  }
}

/* A fix that inserts `name = <placeholder>` for each missing field before the closing
 * brace of [body]: on their own lines in a multi-line body, else inline. */
static void missing_fix(Checker *c, Diag *d, Span body, const RecField **miss, uint32_t nm) {
  const SourceFile *f = source_file(c->sources, body.file);
  if (!f || body.end > f->len || body.end < body.start + 2 || f->text[body.end - 1] != '}') return;
  const char *t = f->text;
  uint32_t close = body.end - 1, ls = close;
  while (ls > body.start && t[ls - 1] != '\n') ls--;
  bool own_line = ls > body.start;
  for (uint32_t k = ls; k < close && own_line; k++) own_line = t[k] == ' ' || t[k] == '\t';
  size_t cap = 64;
  for (uint32_t i = 0; i < nm; i++) cap += miss[i]->name->len + strlen(placeholder(c, miss[i]->type)) + close - ls + 8;
  char *s = arena_alloc(c->arena, cap);
  size_t o = 0;
  uint32_t at;
  if (own_line) {
    at = ls;
    for (uint32_t i = 0; i < nm; i++) {
      memcpy(s + o, t + ls, close - ls);
      o += close - ls;
      o += (size_t)sprintf(s + o, "  %s = %s\n", miss[i]->name->s, placeholder(c, miss[i]->type));
    }
  } else {
    /* `{ a = 1 }` -> `{ a = 1, b = 0 }`; `{}` and `{ }` -> `{ b = 0 }` */
    uint32_t last = close;
    while (last > body.start + 1 && (t[last - 1] == ' ' || t[last - 1] == '\t')) last--;
    bool empty = last == body.start + 1;
    at = empty ? close : last;
    if (empty && t[close - 1] != ' ') s[o++] = ' ';
    for (uint32_t i = 0; i < nm; i++)
      o += (size_t)sprintf(s + o, "%s%s = %s", i || !empty ? ", " : "", miss[i]->name->s,
                           placeholder(c, miss[i]->type));
    if (empty) s[o++] = ' ';
  }
  s[o] = 0;
  diag_fix(c->diags, d, span_make(body.file, at, at), s,
           nm == 1 ? arena_printf(c->arena, "add '%s'", miss[0]->name->s) : "add the missing fields");
}

/* Most bodies are a handful of fields: sorted in place; large ones by qsort. */
static int cmp_given(const void *a, const void *b) {
  const Given *x = a, *y = b;
  if (x->input != y->input) return x->input < y->input ? -1 : 1;
  return x->field < y->field ? -1 : x->field > y->field;   /* source order among repeats */
}

static void sort_given(Given *g, uint32_t n) {
  if (n > SMALL) { qsort(g, n, sizeof *g, cmp_given); return; }
  for (uint32_t i = 1; i < n; i++)
    for (uint32_t j = i; j > 0 && cmp_given(&g[j - 1], &g[j]) > 0; j--) {
      Given t = g[j];
      g[j] = g[j - 1];
      g[j - 1] = t;
    }
}

const Given *chk_given(const Given *g, uint32_t n, uint32_t input) {
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (g[mid].input < input) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && g[lo].input == input ? &g[lo] : NULL;
}

/* The checks of a value given to a component's param [ps] of type [pt]. */
static void component_arg(Checker *c, Expr *v, const Str *name, const Type *pt, Sym *ps,
                          const FieldSpec *sp) {
  if (!v->ty || ty_is_error(v->ty)) return;
  if (v->secret && !ty_is_secret(pt)) {
    Diag *d = diag_add(c->diags, DIAG_E0403, v->span,
                       "secret value passed to the param '%s' of %s, which is not secret",
                       name->s, sp->owner);
    diag_label(c->diags, d, v->span, "this value is secret");
    chk_explain(c, d, v, true, 0);
    if (ps && ps->span.file != SPAN_NO_FILE) diag_label(c->diags, d, ps->span, "declared here without `secret`");
    diag_help(c->diags, d, "declare the param secret in %s: `param %s: secret %s`", sp->owner,
              name->s, show(c, pt));
    return;
  }
  if (!ps || !ps->plan_use) return;
  DiagCode code = (DiagCode)(ps->plan_use - 1);
  if (v->phase == PHASE_DEPLOY) {
    const char *use = code == DIAG_E0400 ? "a `for` source" : code == DIAG_E0401
                      ? "a resource condition" : "a key";
    Diag *d = diag_add(c->diags, code, v->span,
                       "'%s' is used in %s as %s, but this value is not known at plan time",
                       name->s, sp->owner, use);
    diag_label(c->diags, d, v->span, "known only after deploy");
    chk_explain(c, d, v, false, PHASE_DEPLOY);
    diag_label(c->diags, d, ps->plan_use_span, "needed when planning, here");
    return;
  }
  /* a param of an enclosing component passed on inherits the need */
  chk_plan_use(c, v, code, ps->plan_use_span);
}

/* E0206 for a field that names no input of [sp] (or an output or a member).  Returns the
 * input it suggests instead, or UINT32_MAX. */
static uint32_t unknown_field(Checker *c, Field *f, const FieldSpec *sp, const RecField *rf,
                              ResPart part) {
  ResType *rt = sp->rt;
  bool comp = rt && rt->is_component;
  const Str *name = f->name.str;
  Span nsp = f->name.span;
  const char *word = comp ? "param" : rt ? "property" : "field";
  Diag *d;
  if (rf && part == RP_OUTPUT && !comp) {
    d = diag_add(c->diags, DIAG_E0206, nsp, "'%s' is an output of %s: the provider sets it",
                 name->s, sp->owner);
    diag_label(c->diags, d, nsp, "cannot be set");
    diag_help(c->diags, d, "remove it; read it as `name.%s` after deploy", name->s);
    return UINT32_MAX;
  }
  if (rf && part == RP_OUTPUT)
    d = diag_add(c->diags, DIAG_E0206, nsp, "'%s' is an output of %s, not a param", name->s, sp->owner);
  else if (rf)
    d = diag_add(c->diags, DIAG_E0206, nsp, "'%s' is a resource of %s, not a param", name->s, sp->owner);
  else if (comp)
    d = diag_add(c->diags, DIAG_E0206, nsp, "%s has no param '%s'", sp->owner, name->s);
  else if (rt)
    d = diag_add(c->diags, DIAG_E0206, nsp, "unknown property '%s' of %s", name->s, sp->owner);
  else
    d = diag_add(c->diags, DIAG_E0206, nsp, "unknown field '%s' of %s", name->s, sp->owner);
  diag_label(c->diags, d, nsp, "unknown %s", word);
  uint32_t nfs = rt ? rt->ninputs : ty_base(sp->rec)->u.rec.nfields;
  const RecField *fs = rt ? rt->inputs : ty_base(sp->rec)->u.rec.fields;
  const char *best = NULL;
  uint32_t meant = UINT32_MAX;
  const char **cands = chk_cands(c, nfs);
  if (cands) {
    for (uint32_t j = 0; j < nfs; j++) cands[j] = fs[j].name->s;
    best = chk_suggest(c, name->s, cands, nfs);
    for (uint32_t j = 0; best && j < nfs && meant == UINT32_MAX; j++)
      if (cands[j] == best) meant = j;
  }
  if (best) {
    diag_help(c->diags, d, "did you mean '%s'?", best);
    diag_fix(c->diags, d, nsp, best, arena_printf(c->arena, "replace with '%s'", best));
  } else if (nfs) {
    const char *list = "";
    uint32_t shown = nfs > 12 ? 12 : nfs;
    for (uint32_t j = 0; j < shown; j++)
      list = arena_printf(c->arena, "%s%s%s", list, j ? ", " : "", fs[j].name->s);
    diag_note(c->diags, d, "%s %s: %s%s", sp->owner, comp ? "takes" : "has", list,
              shown < nfs ? ", ..." : "");
  }
  return meant;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static int cmp_span(const void *a, const void *b) {
  const Span *x = a, *y = b;
  if (x->file != y->file) return x->file < y->file ? -1 : 1;
  return (x->start > y->start) - (x->start < y->start);
}

/* Was a lexical or syntax error reported inside [body]?  The parser's recovery may then
 * have dropped a field (`path: "x"`), which must not be reported missing on top of it. */
static bool syntax_error_in(Checker *c, Span body) {
  if (!c->syntax_scanned) {
    c->syntax_scanned = true;
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->diags->n; i++) {
      DiagCode k = c->diags->items[i]->code;
      if (k <= DIAG_E0101 || k == DIAG_E0105) n++;
    }
    if (!n) return false;
    c->syntax = arena_calloc(c->arena, n, sizeof *c->syntax);
    for (uint32_t i = 0; i < c->diags->n; i++) {
      DiagCode k = c->diags->items[i]->code;
      if (k <= DIAG_E0101 || k == DIAG_E0105) c->syntax[c->nsyntax++] = c->diags->items[i]->span;
    }
    qsort(c->syntax, c->nsyntax, sizeof *c->syntax, cmp_span);
  }
  uint32_t lo = 0, hi = c->nsyntax;
  Span key = span_make(body.file, body.start, body.start);
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (cmp_span(&c->syntax[mid], &key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo < c->nsyntax && c->syntax[lo].file == body.file && c->syntax[lo].start < body.end;
}

/* E0207/E0603 naming what [g] (sorted, [ng]) leaves out of [sp]'s required fields. */
#define MISSING_SHOWN 64
static void missing_fields(Checker *c, const FieldSpec *sp, const Given *g, uint32_t ng,
                           const uint32_t *meant, uint32_t nmeant, uint32_t nm) {
  ResType *rt = sp->rt;
  bool comp = rt && rt->is_component;
  uint32_t nfs = rt ? rt->ninputs : ty_base(sp->rec)->u.rec.nfields;
  const RecField *fs = rt ? rt->inputs : ty_base(sp->rec)->u.rec.fields;
  const char *word = comp ? "param" : rt ? "property" : "field";
  const RecField *miss[MISSING_SHOWN];
  uint32_t k = 0, gi = 0, mi = 0;
  for (uint32_t j = 0; j < nfs && k < MISSING_SHOWN && k < nm; j++) {
    while (gi < ng && g[gi].input < j) gi++;
    if (gi < ng && g[gi].input == j) continue;
    while (mi < nmeant && meant[mi] < j) mi++;
    if (mi < nmeant && meant[mi] == j) continue;   /* reported as a misspelling */
    if (!fs[j].has_default && fs[j].name) miss[k++] = &fs[j];
  }
  if (!k) return;
  const char *names = "";
  for (uint32_t j = 0; j < k && j < 8; j++)
    names = arena_printf(c->arena, "%s%s'%s'", names, !j ? "" : j + 1 == nm ? " and " : ", ",
                         miss[j]->name->s);
  if (nm > 8) names = arena_printf(c->arena, "%s and %u more", names, nm - 8);
  Diag *d = diag_add(c->diags, comp ? DIAG_E0603 : DIAG_E0207, sp->at, "missing %s%s %s of %s",
                     comp ? "" : "required ",
                     nm == 1 ? word : comp ? "params" : rt ? "properties" : "fields", names, sp->owner);
  diag_label(c->diags, d, sp->at, "%s %s not given", names, nm == 1 ? "is" : "are");
  for (uint32_t j = 0; j < k && j < 3; j++)
    if (miss[j]->span.file != SPAN_NO_FILE && (miss[j]->sym || !rt))
      diag_label(c->diags, d, miss[j]->span, "'%s' has no default", miss[j]->name->s);
  const char *add = "";
  for (uint32_t j = 0; j < k && j < 4; j++)
    add = arena_printf(c->arena, "%s%s%s = %s", add, j ? ", " : "", miss[j]->name->s,
                       placeholder(c, miss[j]->type));
  diag_help(c->diags, d, "add %s: `%s%s`", nm == 1 ? "it" : "them", add, nm > 4 ? ", ..." : "");
  if (k == nm) missing_fix(c, d, sp->body, miss, k);
}

Given *chk_fields(Checker *c, Field *fields, uint32_t nfields, const FieldSpec *sp,
                  uint32_t *ngiven, uint8_t *phase, bool *secret) {
  ResType *rt = sp->rt;
  const Type *rec = rt ? NULL : ty_base(sp->rec);
  bool comp = rt && rt->is_component;
  const RecField *fs = rt ? rt->inputs : rec->u.rec.fields;
  Given *g = arena_calloc(c->arena, nfields ? nfields : 1, sizeof *g);
  uint32_t ng = 0, nmeant = 0;
  uint32_t *meant = NULL;   /* inputs that misspelt fields were meant to set */
  uint8_t ph = PHASE_COMPILE;
  bool sec = false;
  for (uint32_t i = 0; i < nfields; i++) {
    Field *f = &fields[i];
    const Str *name = f->name.str;
    const RecField *rf = NULL;
    uint32_t idx = 0;
    ResPart part = RP_INPUT;
    if (name) {
      if (rt) rf = ty_res_find(rt, name, &part, &idx);
      else if ((rf = ty_field(rec, name))) idx = (uint32_t)(rf - fs);
    }
    if (!rf || part != RP_INPUT) {
      chk_expr(c, f->value, NULL);
      if (f->value) { ph = maxp(ph, f->value->phase); sec = sec || f->value->secret; }
      uint32_t m = name ? unknown_field(c, f, sp, rf, part) : UINT32_MAX;
      if (m != UINT32_MAX) {
        if (!meant) meant = arena_calloc(c->arena, nfields, sizeof *meant);
        meant[nmeant++] = m;
      }
      continue;
    }
    Dest dst = {comp ? "param '%s' of %s" : rt ? "property '%s' of %s" : "field '%s' of %s",
                name->s, sp->owner, span_make(SPAN_NO_FILE, 0, 0), comp};
    const Value *cv = chk_value(c, f->value, rf->type, &dst);
    g[ng++] = (Given){idx, f, cv};
    Expr *v = f->value;
    if (!v) continue;
    ph = maxp(ph, v->phase);
    sec = sec || v->secret;
    if (comp) component_arg(c, v, name, rf->type, rf->sym, sp);
  }
  /* repeats are adjacent once sorted; the first in the source stays */
  sort_given(g, ng);
  uint32_t k = 0, required = 0;
  for (uint32_t i = 0; i < ng; i++) {
    if (k && g[k - 1].input == g[i].input) {
      Field *first = g[k - 1].field, *again = g[i].field;
      const char *word = comp ? "param" : rt ? "property" : "field";
      Diag *d = diag_add(c->diags, DIAG_E0208, again->name.span, "%s '%s' is given twice", word,
                         again->name.str->s);
      diag_label(c->diags, d, again->name.span, "given again here");
      diag_label(c->diags, d, first->name.span, "first given here");
      diag_help(c->diags, d, "remove one of them");
      continue;
    }
    g[k++] = g[i];
    if (!fs[g[i].input].has_default) required++;
  }
  /* a required input that a misspelt field was meant to set is not missing too */
  uint32_t covered = 0;
  if (nmeant) {
    qsort(meant, nmeant, sizeof *meant, cmp_u32);
    uint32_t u = 0;
    for (uint32_t i = 0; i < nmeant; i++) {
      if (u && meant[u - 1] == meant[i]) continue;
      meant[u++] = meant[i];
      if (!fs[meant[i]].has_default && !chk_given(g, k, meant[i])) covered++;
    }
    nmeant = u;
  }
  uint32_t nreq = rt ? rt->nrequired : rec->u.rec.nrequired;
  if (required + covered < nreq && !syntax_error_in(c, sp->body))
    missing_fields(c, sp, g, k, meant, nmeant, nreq - required - covered);
  *ngiven = k;
  *phase = ph;
  *secret = sec;
  return g;
}

static const Value *ex_record(Checker *c, Expr *e, const Type *expect) {
  uint32_t n = e->u.record.nfields;
  Field *fs = e->u.record.fields;
  const Type *lt = unopt(expect);
  const Type *b = lt ? ty_base(lt) : NULL;
  uint8_t ph = PHASE_COMPILE;
  bool sec = false;
  bool known = n <= CV_MAX_ITEMS;
  if (b && b->kind == TY_RECORD) {
    const char *owner = lt->kind == TY_ALIAS ? lt->u.alias.name->s : "this record type";
    FieldSpec spec = {lt, NULL, owner, e->span, e->span};
    uint32_t nt = b->u.rec.nfields, ng;
    Given *g = chk_fields(c, fs, n, &spec, &ng, &ph, &sec);
    set(e, lt, ph, sec);
    /* the value, in the type's field order, when every field is a constant or defaulted;
     * not for wide types, where filling in defaults would cost more than the literal */
    if (nt > 256 || (nt > 4 * (uint64_t)n + 16) || !can_fold(c)) return NULL;
    ValField *rf = arena_calloc(c->arena, nt ? nt : 1, sizeof *rf);
    for (uint32_t j = 0, gi = 0; j < nt; j++) {
      const RecField *f = &b->u.rec.fields[j];
      const Value *v = NULL;
      if (gi < ng && g[gi].input == j) v = g[gi++].cv;
      else if (!f->deflt || eval(c, f->deflt, NULL, NULL, &v, 0) != CV_OK) return NULL;
      if (!v) return NULL;
      rf[j] = (ValField){f->name->s, f->name->len, v};
    }
    return folded(c, cv_record(c->arena, rf, nt));
  }
  ValField *vf = known ? arena_calloc(c->arena, n ? n : 1, sizeof *vf) : NULL;
  bool small[SMALL];
  bool *repeat = n <= SMALL ? small : arena_calloc(c->arena, n, sizeof *repeat);
  dup_fields(c, fs, n, repeat);
  if (b && b->kind == TY_MAP) {
    Dest dst = {"a value of %s", show(c, lt), NULL, span_make(SPAN_NO_FILE, 0, 0), false};
    for (uint32_t i = 0; i < n; i++) {
      const Value *v = chk_value(c, fs[i].value, b->u.elem, &dst);
      if (!fs[i].value || !fs[i].name.str) { known = false; continue; }
      ph = maxp(ph, fs[i].value->phase);
      sec = sec || fs[i].value->secret;
      if (known && v && !repeat[i]) vf[i] = (ValField){fs[i].name.str->s, fs[i].name.str->len, v};
      else known = false;
    }
    set(e, lt, ph, sec);
    return known && can_fold(c) ? folded(c, cv_record(c->arena, vf, n)) : NULL;
  }
  RecField *rfs = arena_calloc(c->arena, n ? n : 1, sizeof *rfs);
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    const Value *v = chk_expr(c, fs[i].value, NULL);
    Expr *x = fs[i].value;
    if (!x || !fs[i].name.str) { known = false; continue; }
    ph = maxp(ph, x->phase);
    sec = sec || x->secret;
    if (repeat[i]) { known = false; continue; }
    rfs[k++] = (RecField){fs[i].name.str, x->ty, NULL, false, NULL, fs[i].name.span, NULL};
    if (known && v) vf[i] = (ValField){fs[i].name.str->s, fs[i].name.str->len, v};
    else known = false;
  }
  set(e, ty_record(c->tc, rfs, k), ph, sec);
  return known && can_fold(c) ? folded(c, cv_record(c->arena, vf, n)) : NULL;
}

/* How to make a string key of an element `x` of type [t], for E0311's help: a string
 * field of a record (`name` first), a number converted, or a placeholder. */
static const char *key_hint(Checker *c, const Type *t) {
  const Type *b = ty_base(t);
  if (ty_is_numeric(b) || b->kind == TY_BOOL) return "tostring(x)";
  if (b->kind != TY_RECORD) return "<a string key of x>";
  const RecField *pick = NULL;
  for (uint32_t i = 0; i < b->u.rec.nfields; i++) {
    const RecField *f = &b->u.rec.fields[i];
    if (!ty_is_stringish(ty_base(f->type))) continue;
    if (strcmp(f->name->s, "name") == 0) return "x.name";
    if (!pick) pick = f;
  }
  if (pick) return arena_printf(c->arena, "x.%s", pick->name->s);
  for (uint32_t i = 0; i < b->u.rec.nfields; i++) {
    const Type *fb = ty_base(b->u.rec.fields[i].type);
    if (ty_is_numeric(fb) || fb->kind == TY_BOOL)
      return arena_printf(c->arena, "tostring(x.%s)", b->u.rec.fields[i].name->s);
  }
  return "<a string key of x>";
}

bool chk_iter(Checker *c, ForClause *f, Expr *src, bool keyed) {
  Sym *v1 = pmap_get(&c->binders, &f->var1);
  Sym *v2 = f->var2.str ? pmap_get(&c->binders, &f->var2) : NULL;
  bool two = f->var2.str != NULL, ok = true;
  const Type *t1 = TY_ERROR_T, *t2 = TY_ERROR_T;
  const Type *b = src && src->ty ? ty_base(src->ty) : TY_ERROR_T;
  if (b->kind == TY_RECORD) {
    const Type *m = record_as_map(c, b);
    if (m) b = m;
  }
  const char *s = src ? chk_src(c, src->span, 40) : NULL;
  switch (b->kind) {
  case TY_ERROR: case TY_NOTHING: break;
  case TY_LIST:
    t1 = two ? TY_INT_T : b->u.elem;
    t2 = b->u.elem;
    if (!keyed) break;
    if (two) {
      Diag *d = diag_add(c->diags, DIAG_E0311, f->var1.span,
                         "keyed copies are keyed by strings, never by position");
      diag_label(c->diags, d, f->var1.span, "'%s' would be the index", f->var1.str->s);
      diag_help(c->diags, d, "iterate the elements (`for x in %s`, keyed by each string) or a "
                "map keyed by name", s ? s : "list");
      ok = false;
    } else if (!ty_is_stringish(ty_base(b->u.elem)) && !ty_is_error(b->u.elem) &&
               ty_base(b->u.elem)->kind != TY_NOTHING) {
      Diag *d = diag_add(c->diags, DIAG_E0311, src->span,
                         "keyed copies need string keys, but this is %s", show(c, src->ty));
      diag_label(c->diags, d, src->span, "the elements would be the keys");
      diag_help(c->diags, d, "build a map keyed by strings first: `for k, v in { %s => x for x in %s }`",
                key_hint(c, b->u.elem), s ? s : "list");
      ok = false;
    }
    break;
  case TY_MAP:
    t1 = two ? TY_STRING_T : b->u.elem;
    t2 = b->u.elem;
    if (keyed && !two) {
      /* the key would not be visible in the body: name it (§6.7) */
      Diag *d = diag_add(c->diags, DIAG_E0311, f->var1.span,
                         "keyed copies of a map are iterated with its keys: `for k, v in ...`");
      diag_label(c->diags, d, f->var1.span, "'%s' would be each value, not the key", f->var1.str->s);
      diag_help(c->diags, d, "write `for key, %s in %s`, or iterate `keys(%s)`", f->var1.str->s,
                s ? s : "map", s ? s : "map");
      ok = false;
    }
    break;
  case TY_OPTIONAL: {
    Diag *d = diag_add(c->diags, DIAG_E0307, src->span, "%s may be null, so it cannot be iterated",
                       quote(c, src));
    diag_label(c->diags, d, src->span, "this is %s", a_type(c, src->ty));
    diag_help(c->diags, d, "say what null means: `for x in (%s ?? [])`", s ? s : "x");
    ok = false;
    break;
  }
  default: {
    Diag *d = diag_add(c->diags, DIAG_E0310, src->span, "%s cannot be iterated",
                       show(c, src->ty));
    diag_label(c->diags, d, src->span, "this is %s, not a list or a map", a_type(c, src->ty));
    if (ty_is_stringish(b)) diag_help(c->diags, d, "make a list of it first, with `split(...)`");
    else if (b->kind == TY_RECORD) diag_help(c->diags, d, "its fields have different types, so it is not a map");
    ok = false;
    break;
  }
  }
  uint8_t ph = src ? src->phase : PHASE_COMPILE;
  bool sec = src && src->secret;
  if (v1) { v1->type = t1; v1->phase = ph; v1->secret = sec; v1->state = SYMST_DONE; }
  if (v2) { v2->type = t2; v2->phase = ph; v2->secret = sec; v2->state = SYMST_DONE; }
  return ok;
}

static const Value *ex_comp(Checker *c, Expr *e, const Type *expect) {
  bool map = e->kind == EX_MAP_COMP;
  ForClause *f = map ? &e->u.mcomp.f : &e->u.lcomp.f;
  Expr *filter = map ? e->u.mcomp.filter : e->u.lcomp.filter;
  chk_expr(c, f->source, NULL);
  if (f->source) chk_iter(c, f, f->source, false);
  uint8_t ph = f->source ? f->source->phase : PHASE_COMPILE;
  bool sec = f->source && f->source->secret;
  if (filter) {
    chk_cond(c, filter, "the `if` of a comprehension", true);
    ph = maxp(ph, filter->phase);
    sec = sec || filter->secret;
  }
  const Type *lt = unopt(expect);
  const Type *b = lt ? ty_base(lt) : NULL;
  Dest dst = {"an element of %s", lt ? show(c, lt) : "", NULL, span_make(SPAN_NO_FILE, 0, 0), false};
  if (!map) {
    Expr *el = e->u.lcomp.elem;
    if (b && b->kind == TY_LIST) chk_value(c, el, b->u.elem, &dst);
    else chk_expr(c, el, NULL);
    if (el) { ph = maxp(ph, el->phase); sec = sec || el->secret; }
    set(e, b && b->kind == TY_LIST ? lt : ty_list(c->tc, el && el->ty ? el->ty : TY_ERROR_T), ph, sec);
    return NULL;
  }
  Expr *k = e->u.mcomp.key, *v = e->u.mcomp.value;
  chk_expr(c, k, NULL);
  if (k && k->ty && !ty_is_error(k->ty) && !ty_is_stringish(ty_base(k->ty))) {
    const char *s = chk_src(c, k->span, 40);
    Diag *d = diag_add(c->diags, DIAG_E0311, k->span, "map keys must be strings, found %s",
                       show(c, k->ty));
    diag_label(c->diags, d, k->span, "this is %s", a_type(c, k->ty));
    if (ty_is_numeric(ty_base(k->ty)) || ty_base(k->ty)->kind == TY_BOOL)
      diag_help(c->diags, d, "convert it: `tostring(%s)`", s ? s : "key");
  }
  if (b && b->kind == TY_MAP) chk_value(c, v, b->u.elem, &dst);
  else chk_expr(c, v, NULL);
  if (k) { ph = maxp(ph, k->phase); sec = sec || k->secret; }
  if (v) { ph = maxp(ph, v->phase); sec = sec || v->secret; }
  set(e, b && b->kind == TY_MAP ? lt : ty_map(c->tc, v && v->ty ? v->ty : TY_ERROR_T), ph, sec);
  return NULL;
}

/* ---- strings ----------------------------------------------------------------------------------- */
static void interp_ok(Checker *c, Expr *x) {
  const Type *b = ty_base(x->ty);
  const char *s = chk_src(c, x->span, 40);
  Diag *d;
  switch (b->kind) {
  case TY_ERROR: case TY_NOTHING: case TY_STRING: case TY_UNION: case TY_INT: case TY_FLOAT:
  case TY_BOOL:
    return;
  case TY_OPTIONAL: case TY_NULL:
    d = diag_add(c->diags, DIAG_E0307, x->span, "%s may be null, so it cannot be interpolated",
                 quote(c, x));
    diag_label(c->diags, d, x->span, "this is %s", a_type(c, x->ty));
    diag_help(c->diags, d, "say what to show for null: `${%s ?? \"\"}`", s ? s : "x");
    return;
  case TY_LIST: case TY_MAP: case TY_RECORD:
    d = diag_add(c->diags, DIAG_E0300, x->span, "%s cannot be interpolated into a string",
                 show(c, x->ty));
    diag_label(c->diags, d, x->span, "this is %s", a_type(c, x->ty));
    if (b->kind == TY_LIST && ty_is_stringish(ty_base(b->u.elem)))
      diag_help(c->diags, d, "join its elements: `${join(\", \", %s)}`", s ? s : "list");
    else
      diag_help(c->diags, d, "encode it: `${jsonencode(%s)}`", s ? s : "value");
    return;
  case TY_RESOURCE:
    d = diag_add(c->diags, DIAG_E0300, x->span, "a resource cannot be interpolated into a string");
    diag_label(c->diags, d, x->span, "this is %s", a_type(c, x->ty));
    diag_help(c->diags, d, "read one of its properties: `${%s.name}`", s ? s : "r");
    return;
  default:
    d = diag_add(c->diags, DIAG_E0300, x->span, "%s cannot be interpolated into a string",
                 show(c, x->ty));
    diag_label(c->diags, d, x->span, "this is %s", a_type(c, x->ty));
    return;
  }
}

static const Value *ex_string(Checker *c, Expr *e) {
  uint32_t n = e->u.str.nparts;
  if (n == 0) { set(e, TY_STRING_T, PHASE_COMPILE, false); return &empty_string; }
  if (n == 1 && !e->u.str.parts[0].is_expr) {
    set(e, TY_STRING_T, PHASE_COMPILE, false);
    return str_value(c, e->u.str.parts[0].text, e->u.str.parts[0].len);
  }
  const Value *small[SMALL];
  const Value **vals = n <= SMALL ? small : arena_calloc(c->arena, n, sizeof *vals);
  uint8_t ph = PHASE_COMPILE;
  bool sec = false, known = true;
  for (uint32_t i = 0; i < n; i++) {
    StrPart *p = &e->u.str.parts[i];
    vals[i] = NULL;
    if (!p->is_expr) continue;
    if (!p->expr) { known = false; continue; }
    vals[i] = chk_expr(c, p->expr, NULL);
    ph = maxp(ph, p->expr->phase);
    sec = sec || p->expr->secret;
    interp_ok(c, p->expr);
    known = known && vals[i];
  }
  set(e, TY_STRING_T, ph, sec);
  return known && !sec && can_fold(c) ? folded(c, concat(c, e, vals)) : NULL;
}

/* ---- the dispatcher ---------------------------------------------------------------------------- */
static const Value *expr(Checker *c, Expr *e, const Type *raw) {
  /* an expected type that is already an error is no guide, except to calls that take
   * their result type from it (decode_type), which must not report it again */
  const Type *expect = raw && !ty_is_error(raw) ? raw : NULL;
  switch (e->kind) {
  case EX_ERROR: set(e, TY_ERROR_T, PHASE_COMPILE, false); return NULL;
  case EX_INT: set(e, TY_INT_T, PHASE_COMPILE, false); return cv_int(c->arena, e->u.i);
  case EX_FLOAT: set(e, TY_FLOAT_T, PHASE_COMPILE, false); return cv_float(c->arena, e->u.f);
  case EX_BOOL: set(e, TY_BOOL_T, PHASE_COMPILE, false); return cv_bool(e->u.b);
  case EX_NULL: set(e, TY_NULL_T, PHASE_COMPILE, false); return cv_null();
  case EX_STRING: return ex_string(c, e);
  case EX_NAME: return ex_name(c, e);
  case EX_LIST: return ex_list(c, e, expect);
  case EX_RECORD: return ex_record(c, e, expect);
  case EX_MEMBER: return ex_member(c, e);
  case EX_INDEX: return ex_index(c, e);
  case EX_CALL: return ex_call(c, e, raw);
  case EX_UNARY: return ex_unary(c, e);
  case EX_BINARY: return ex_binary(c, e, expect);
  case EX_IF: return ex_if(c, e, expect);
  case EX_LIST_COMP: case EX_MAP_COMP: return ex_comp(c, e, expect);
  case EX_INSTANCE: chk_instance(c, e, NULL); return NULL;
  }
  set(e, TY_ERROR_T, PHASE_COMPILE, false);
  return NULL;
}

const Value *chk_expr(Checker *c, Expr *e, const Type *expect) {
  if (!e) return NULL;
  if (c->depth > PARSE_MAX_DEPTH * 4) { set(e, TY_ERROR_T, PHASE_COMPILE, false); return NULL; }
  c->depth++;
  const Value *v = expr(c, e, expect);
  c->depth--;
  if (!e->ty) e->ty = TY_ERROR_T;
  return v;
}
