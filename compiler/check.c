/* Declarations (docs/language.md §6, §8): params, lets, outputs, type aliases, functions,
 * provider resource types, resources with keyed copies, conditions and lifecycle options,
 * components and their instances; then what is checked after every declaration: policies,
 * tests and `moved`.  resolve.c has bound the names and orders the declarations so that
 * each one's dependencies are done; expressions and types are check_expr.c's. */
#include "compiler/checker.h"

#include <stdlib.h>
#include <string.h>

#define NOSPAN span_make(SPAN_NO_FILE, 0, 0)

static uint8_t maxp(uint8_t a, uint8_t b) { return a > b ? a : b; }

static const char *show(Checker *c, const Type *t) { return ty_show(c->tc, t); }
#define a_type chk_a_type

/* [t] without `secret`, for suggesting `secret T` in a message. */
static const Type *plain(const Type *t) {
  while (t->kind == TY_SECRET) t = t->u.elem;
  return t;
}

/* ---- resource types ------------------------------------------------------------------------ */
/* The resource type or component [te] names (E0604 when it names something else), or
 * NULL.  Fills te->ty so chk_type never reports it again. */
static ResType *res_type_of(Checker *c, TypeExpr *te) {
  if (!te) return NULL;
  if (te->ty) {
    const Type *b = ty_unalias(te->ty);
    return b->kind == TY_RESOURCE ? b->u.res : NULL;
  }
  if (te->kind != TE_NAME) {
    const Type *t = chk_type(c, te);
    if (!ty_is_error(t)) {
      Diag *d = diag_add(c->diags, DIAG_E0604, te->span,
                         "%s is not a resource type or a component", show(c, t));
      diag_label(c->diags, d, te->span, "resources are of a provider's resource type or a component");
    }
    return NULL;
  }
  Sym *ts = res_type_name(c, te, true);
  te->ty = TY_ERROR_T;
  if (!ts) return NULL;
  if (ts->kind == SYM_RESTYPE || ts->kind == SYM_COMPONENT) {
    if (ts->state != SYMST_DONE || !ts->res) return NULL;   /* in a reported cycle */
    te->ty = ts->type;
    return ts->res;
  }
  const char *n = chk_src(c, te->span, 60);
  if (!n) n = ts->name->s;
  Diag *d = diag_add(c->diags, DIAG_E0604, te->span, "'%s' is a %s, not a resource type or a component",
                     n, chk_kind_word(ts));
  diag_label(c->diags, d, te->span, "used as a resource type");
  if (ts->span.file != SPAN_NO_FILE) diag_label(c->diags, d, ts->span, "'%s' is declared here", ts->name->s);
  if (ts->kind == SYM_TYPE || ts->kind == SYM_PRIMTYPE)
    diag_help(c->diags, d, "a type describes data: for a value of it, declare a `let name: %s = ...`", n);
  else if (ts->kind == SYM_PROVIDER)
    diag_help(c->diags, d, "name one of its resource types: `%s.File`", n);
  return NULL;
}

/* ---- params, lets, outputs ------------------------------------------------------------------- */
static void not_constant(Checker *c, Expr *e, const char *fmt, const char *name) {
  Diag *d = diag_add(c->diags, DIAG_E0405, e->span, fmt, name);
  diag_label(c->diags, d, e->span, "not known at compile time");
  chk_explain(c, d, e, false, PHASE_PLAN);
}

/* param = "param" IDENT [ ":" ptype ] [ "=" expr ] [ "where" expr ]   (§6.2) */
static void chk_param(Checker *c, Sym *s, Decl *d) {
  TypeExpr *te = d->u.param.type;
  Expr *dv = d->u.param.deflt;
  const char *name = s->name->s;
  const Type *t = te ? chk_type(c, te) : NULL;
  const Value *v = NULL;
  Dest dst = {"param '%s'", name, NULL, te ? te->span : NOSPAN, true};
  if (dv) {
    v = t ? chk_value(c, dv, t, &dst) : chk_expr(c, dv, NULL);
    if (dv->ty && !ty_is_error(dv->ty) && dv->phase > PHASE_COMPILE) {
      not_constant(c, dv, "the default of param '%s' must be known at compile time", name);
      diag_help(c->diags, c->diags->items[c->diags->n - 1],
                "defaults are read before any configuration is given; to derive a value from "
                "params, declare a `let`");
      v = NULL;
    }
    if (!t) t = chk_infer(c, dv, "param", name);
  } else if (!t) {
    Diag *g = diag_add(c->diags, DIAG_E0308, s->span, "param '%s' has neither a type nor a default",
                       name);
    diag_label(c->diags, g, s->span, "its type cannot be inferred");
    diag_help(c->diags, g, "write its type: `param %s: string`", name);
    t = TY_ERROR_T;
  }
  if (d->u.param.where) {
    Expr *w = d->u.param.where;
    const Type *r = chk_refine(c, t, w, pmap_get(&c->binders, &d->u.param.where), w->span);
    if (r != t && v && dv) chk_refinement(c, dv, v, r, &dst, NULL);
    t = r;
  }
  s->type = t;
  s->phase = PHASE_PLAN;
  s->secret = ty_is_secret(t);
  s->cval = NULL;   /* a param's value is given when planning; its default is only a default */
}

/* let = "let" IDENT [ ":" type ] "=" ( expr | instance )   (§6.3); also outputs (§6.10)
 * and the lets of tests (§6.14). */
static void chk_let(Checker *c, Sym *s, Decl *d, bool output) {
  TypeExpr *te = d->u.let.type;
  Expr *val = d->u.let.value;
  const char *name = d->name.str ? d->name.str->s : "?";
  const char *kw = output ? "output" : "let";
  const Type *t0 = te ? chk_type(c, te) : NULL;
  Dest dst = {output ? "the output '%s'" : "'%s'", name, NULL, te ? te->span : NOSPAN, false};
  const Value *v = NULL;
  if (val && val->kind == EX_INSTANCE) {
    chk_instance(c, val, s);
    if (t0) chk_assign(c, val, NULL, t0, &dst);
  } else if (val) {
    v = t0 ? chk_value(c, val, t0, &dst) : chk_expr(c, val, NULL);
  }
  const Type *t = t0 ? t0 : val ? chk_infer(c, val, kw, name) : TY_ERROR_T;
  if (output && val && val->secret && val->ty && !ty_is_error(val->ty) && !(t0 && ty_is_secret(t0))) {
    Diag *g = diag_add(c->diags, DIAG_E0403, val->span,
                       "secret value flows into the output '%s', which is not secret", name);
    diag_label(c->diags, g, val->span, "this value is secret");
    chk_explain(c, g, val, true, 0);
    diag_help(c->diags, g, "declare the output secret: `output %s: secret %s = ...`", name,
              show(c, plain(ty_unalias(t))));
  }
  if (!s) return;
  s->type = t;
  s->phase = val ? val->phase : PHASE_PLAN;
  s->secret = (val && val->secret) || ty_is_secret(t);
  s->cval = s->secret ? NULL : v;
  s->deploy_why = val && val->phase == PHASE_DEPLOY ? val : NULL;
}

/* typedecl = "type" IDENT "=" type   (§6.4) */
static void chk_alias(Checker *c, Sym *s, Decl *d) {
  const Type *t = chk_type(c, d->u.alias.type);
  s->type = s->in_cycle || ty_is_error(t) ? TY_ERROR_T : ty_alias(c->tc, s->name, t, s);
  s->phase = PHASE_COMPILE;
}

/* fn = "fn" IDENT "(" params ")" [ ":" type ] "=" expr   (§6.5) */
static void chk_fn(Checker *c, Sym *s, Decl *d) {
  uint32_t n = d->u.fn.nparams;
  FnParamT *ps = arena_calloc(c->arena, n ? n : 1, sizeof *ps);
  const char *fname = s->name->s;
  for (uint32_t i = 0; i < n; i++) {
    FnParam *fp = &d->u.fn.params[i];
    const Type *t = chk_type(c, fp->type);
    Sym *p = s->params && i < s->nparams ? s->params[i] : NULL;
    if (p) {
      p->type = t;
      p->phase = PHASE_COMPILE;
      p->secret = ty_is_secret(t);
      p->state = SYMST_DONE;
    }
    if (fp->deflt) {
      Dest dst = {"the default of parameter '%s'", fp->name.str ? fp->name.str->s : "?", NULL,
                  fp->type ? fp->type->span : NOSPAN, false};
      chk_value(c, fp->deflt, t, &dst);
      if (fp->deflt->ty && !ty_is_error(fp->deflt->ty) && fp->deflt->phase > PHASE_COMPILE)
        not_constant(c, fp->deflt, "the default of parameter '%s' must be known at compile time",
                     fp->name.str ? fp->name.str->s : "?");
    }
    ps[i] = (FnParamT){fp->name.str ? fp->name.str : s->name, t, fp->deflt != NULL};
  }
  const Type *ret = d->u.fn.ret ? chk_type(c, d->u.fn.ret) : NULL;
  Expr *body = d->u.fn.body;
  if (body) {
    Dest dst = {"the result of '%s'", fname, NULL, d->u.fn.ret ? d->u.fn.ret->span : NOSPAN, false};
    if (ret) chk_value(c, body, ret, &dst);
    else chk_expr(c, body, NULL);
  }
  if (!ret) ret = body ? chk_infer(c, body, "the result of function", fname) : TY_ERROR_T;
  s->type = ty_fn(c->tc, s->name, ps, n, false, ret);
  s->fn_phase = body ? body->phase : PHASE_COMPILE;
  s->fn_secret = body && body->secret;
  s->phase = PHASE_COMPILE;
}

/* schema = "resource" IDENT "{" { [ "output" ] tname ":" type [ "=" expr ] } "}"   (§8) */
static void chk_schema(Checker *c, Sym *s, Decl *d) {
  ResType *rt = arena_alloc(c->arena, sizeof *rt);
  rt->name = s->name;
  rt->qual = c->mod->name ? arena_printf(c->arena, "%s.%s", c->mod->name->s, s->name->s) : s->name->s;
  rt->decl = d;
  rt->module = c->mod;
  uint32_t n = d->u.schema.nfields, ni = 0, no = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (d->u.schema.fields[i].is_output) no++;
    else ni++;
  }
  rt->inputs = arena_calloc(c->arena, ni ? ni : 1, sizeof *rt->inputs);
  rt->outputs = arena_calloc(c->arena, no ? no : 1, sizeof *rt->outputs);
  for (uint32_t i = 0; i < n; i++) {
    TypeField *tf = &d->u.schema.fields[i];
    const Type *t = chk_type(c, tf->type);
    if (tf->deflt) {
      Dest dst = {"the default of property '%s'", tf->name.str ? tf->name.str->s : "?", NULL,
                  tf->type ? tf->type->span : NOSPAN, false};
      chk_value(c, tf->deflt, t, &dst);
      if (tf->deflt->ty && !ty_is_error(tf->deflt->ty) && tf->deflt->phase > PHASE_COMPILE)
        not_constant(c, tf->deflt, "the default of property '%s' must be known at compile time",
                     tf->name.str ? tf->name.str->s : "?");
    }
    if (!tf->name.str) continue;
    RecField f = {tf->name.str, t, tf->is_output ? NULL : tf->deflt, !tf->is_output && tf->deflt,
                  tf->doc, tf->name.span, NULL};
    if (tf->is_output) rt->outputs[rt->noutputs++] = f;
    else rt->inputs[rt->ninputs++] = f;
  }
  ty_res_index(c->tc, rt);
  for (uint32_t i = 0; i < rt->ninputs + rt->noutputs; i++) {
    const RecField *f = i < rt->ninputs ? &rt->inputs[i] : &rt->outputs[i - rt->ninputs];
    ResPart part;
    uint32_t idx;
    const RecField *first = ty_res_find(rt, f->name, &part, &idx);
    if (first && first != f) {
      Diag *g = diag_add(c->diags, DIAG_E0208, f->span, "property '%s' is declared twice", f->name->s);
      diag_label(c->diags, g, f->span, "declared again here");
      diag_label(c->diags, g, first->span, "first declared here");
    }
  }
  s->res = rt;
  s->type = ty_resource(c->tc, rt);
  s->phase = PHASE_COMPILE;
}

/* component = "component" IDENT "{" { param | let | resource | output } "}"   (§6.11):
 * its members are checked (they are nodes of their own); this makes its type. */
static void chk_component(Checker *c, Sym *s, Decl *d) {
  ResType *rt = arena_alloc(c->arena, sizeof *rt);
  rt->name = s->name;
  rt->qual = s->name->s;
  rt->is_component = true;
  rt->decl = d;
  rt->module = c->mod;
  uint32_t n = d->u.comp.nmembers;
  rt->inputs = arena_calloc(c->arena, n ? n : 1, sizeof *rt->inputs);
  rt->outputs = arena_calloc(c->arena, n ? n : 1, sizeof *rt->outputs);
  rt->members = arena_calloc(c->arena, n ? n : 1, sizeof *rt->members);
  for (uint32_t i = 0; i < n; i++) {
    Decl *m = d->u.comp.members[i];
    Sym *ms = m ? m->sym : NULL;
    if (!ms || !ms->name) continue;
    SymTab *tab = ms->kind == SYM_OUTPUT ? s->outputs : s->members;
    if (!tab || symtab_get(tab, ms->name) != ms) continue;   /* a reported duplicate */
    RecField f = {ms->name, ms->type ? ms->type : TY_ERROR_T, NULL, false, m->doc, ms->span, ms};
    switch (ms->kind) {
    case SYM_PARAM:
      f.deflt = m->u.param.deflt;
      f.has_default = f.deflt != NULL;
      rt->inputs[rt->ninputs++] = f;
      break;
    case SYM_OUTPUT: rt->outputs[rt->noutputs++] = f; break;
    case SYM_RESOURCE: rt->members[rt->nmembers++] = f; break;
    default: break;
    }
  }
  ty_res_index(c->tc, rt);
  s->res = rt;
  s->type = ty_resource(c->tc, rt);
  s->phase = PHASE_COMPILE;
}

/* ---- resources ---------------------------------------------------------------------------------- */
static int cmp_values(const void *a, const void *b) {
  const Value *x = *(const Value *const *)a, *y = *(const Value *const *)b;
  if (x->n != y->n) return x->n < y->n ? -1 : 1;
  return memcmp(x->u.s, y->u.s, x->n);
}

/* Two copies with the same constant key (E0309). */
static void duplicate_keys(Checker *c, Sym *s, Expr *src, const Value *v) {
  if (!v || v->kind != V_LIST || v->n < 2) return;
  const Value **keys = arena_calloc(c->arena, v->n, sizeof *keys);
  uint32_t n = 0;
  for (uint32_t i = 0; i < v->n; i++)
    if (v->u.items[i]->kind == V_STRING) keys[n++] = v->u.items[i];
  qsort(keys, n, sizeof *keys, cmp_values);
  for (uint32_t i = 1; i < n; i++)
    if (cmp_values(&keys[i - 1], &keys[i]) == 0) {
      Diag *d = diag_add(c->diags, DIAG_E0309, src->span, "two copies of '%s' have the key %s",
                         s->name->s, cv_show(c->arena, keys[i], 60));
      diag_label(c->diags, d, src->span, "%s appears twice", cv_show(c->arena, keys[i], 60));
      diag_note(c->diags, d, "each copy is identified by its key: %s[%s]", s->name->s,
                cv_show(c->arena, keys[i], 60));
      break;
    }
}

static void decorators(Checker *c, Decl *d, ResType *rt);

/* resource = "resource" IDENT ":" qualname [ "for" forvars "in" expr ] [ "if" expr ] body
 * (§6.6-§6.9) */
static void chk_resource(Checker *c, Sym *s, Decl *d) {
  ResType *rt = res_type_of(c, d->u.res.type);
  ForClause *each = d->u.res.each;
  Expr *cond = d->u.res.cond;
  const char *name = s->name->s;
  if (each && each->source) {
    Expr *src = each->source;
    const Value *sv = chk_expr(c, src, NULL);
    bool bad = !src->ty || ty_is_error(src->ty);
    if (!bad && src->phase == PHASE_DEPLOY) {
      Diag *g = diag_add(c->diags, DIAG_E0400, src->span,
                         "the `for` source of '%s' is not known at plan time", name);
      diag_label(c->diags, g, src->span, "known only after deploy");
      chk_explain(c, g, src, false, PHASE_DEPLOY);
      diag_note(c->diags, g, "the plan must know how many copies exist and their keys");
      bad = true;
    } else if (!bad && src->secret) {
      Diag *g = diag_add(c->diags, DIAG_E0404, src->span,
                         "the `for` source of '%s' is secret, but its keys become addresses", name);
      diag_label(c->diags, g, src->span, "this value is secret");
      chk_explain(c, g, src, true, 0);
      diag_note(c->diags, g, "addresses such as %s[\"key\"] are printed in every plan", name);
      diag_help(c->diags, g, "key the copies by names that are not secret, and read the secret in the body");
      bad = true;
    } else if (!bad && s->owner) {
      chk_plan_use(c, src, DIAG_E0400, src->span);
    }
    chk_iter(c, each, src, true);
    if (!bad) duplicate_keys(c, s, src, sv);
    Sym *v1 = pmap_get(&c->binders, &each->var1);
    Sym *v2 = each->var2.str ? pmap_get(&c->binders, &each->var2) : NULL;
    /* each copy's key and value are known when planning */
    if (v1) { v1->phase = PHASE_PLAN; v1->secret = false; }
    if (v2) { v2->phase = PHASE_PLAN; v2->secret = false; }
  }
  if (cond) {
    chk_cond(c, cond, arena_printf(c->arena, "the condition of '%s'", name), true);
    if (cond->ty && !ty_is_error(cond->ty)) {
      if (cond->phase == PHASE_DEPLOY) {
        Diag *g = diag_add(c->diags, DIAG_E0401, cond->span,
                           "the condition of '%s' is not known at plan time", name);
        diag_label(c->diags, g, cond->span, "known only after deploy");
        chk_explain(c, g, cond, false, PHASE_DEPLOY);
        diag_note(c->diags, g, "the plan must know whether '%s' exists", name);
      } else if (s->owner) {
        chk_plan_use(c, cond, DIAG_E0401, cond->span);
      }
    }
  }
  uint8_t ph = PHASE_PLAN;
  bool sec = false;
  Given *given = NULL;
  uint32_t ngiven = 0;
  if (rt) {
    FieldSpec spec = {NULL, rt, rt->qual, d->u.res.body_span, d->u.res.type->span};
    given = chk_fields(c, d->u.res.fields, d->u.res.nfields, &spec, &ngiven, &ph, &sec);
  } else {
    for (uint32_t i = 0; i < d->u.res.nfields; i++) chk_expr(c, d->u.res.fields[i].value, NULL);
  }
  decorators(c, d, rt);
  const Type *t = rt ? rt->type : TY_ERROR_T;
  if (rt && each) t = ty_map(c->tc, t);
  else if (rt && cond) t = ty_optional(c->tc, t);
  s->type = t;
  s->given = given;
  s->ngiven = ngiven;
  s->args_phase = ph;
  s->phase = rt && rt->is_component ? maxp(PHASE_PLAN, ph) : PHASE_PLAN;
  s->secret = false;
}

void chk_instance(Checker *c, Expr *e, Sym *as) {
  TypeExpr *te = e->u.inst.type;
  ResType *rt = res_type_of(c, te);
  if (rt && !rt->is_component && !(as && as->kind == SYM_TESTLET)) {
    rt = NULL;   /* outside a test the parser reported E0103 for the whole instance */
  } else if (rt && !rt->is_component) {
    Diag *d = diag_add(c->diags, DIAG_E0604, te->span,
                       "%s is a provider's resource type: only components are instantiated in a test",
                       rt->qual);
    diag_label(c->diags, d, te->span, "not a component");
    diag_help(c->diags, d, "declare it as a resource, or test a component that holds it");
    rt = NULL;
  }
  if (!rt) {
    for (uint32_t i = 0; i < e->u.inst.nfields; i++) chk_expr(c, e->u.inst.fields[i].value, NULL);
    e->ty = TY_ERROR_T;
    e->phase = PHASE_PLAN;
    e->secret = false;
    return;
  }
  /* the body: from the `{` after the type to the end */
  Span body = span_make(e->span.file, te->span.end, e->span.end);
  const SourceFile *f = source_file(c->sources, e->span.file);
  if (f && e->span.end <= f->len)
    while (body.start < body.end && f->text[body.start] != '{') body.start++;
  FieldSpec spec = {NULL, rt, rt->qual, body, te->span};
  uint8_t ph;
  bool sec;
  uint32_t ngiven;
  Given *given = chk_fields(c, e->u.inst.fields, e->u.inst.nfields, &spec, &ngiven, &ph, &sec);
  e->ty = rt->type;
  e->phase = maxp(PHASE_PLAN, ph);
  e->secret = false;
  if (as) {
    as->given = given;
    as->ngiven = ngiven;
    as->args_phase = ph;
  }
}

/* ---- lifecycle options (§6.9) ---------------------------------------------------------------- */
static void option_args_typed(Checker *c, Decorator *k) {
  for (uint32_t j = 0; j < k->nargs; j++) chk_untyped(c, k->args[j]);
}

/* @ignore_changes(p, ...) and @replace_on_change(p, ...): properties of [rt]. */
static void property_args(Checker *c, Decorator *k, ResType *rt) {
  const char *opt = k->name.str->s;
  for (uint32_t j = 0; j < k->nargs; j++) {
    Expr *a = k->args[j];
    if (!a) continue;
    a->phase = PHASE_COMPILE;
    if (a->kind != EX_NAME || !a->u.name.id.str) {
      a->ty = TY_ERROR_T;
      chk_untyped(c, a);
      Diag *d = diag_add(c->diags, DIAG_E0602, a->span, "'@%s' takes property names", opt);
      diag_label(c->diags, d, a->span, "not a property name");
      if (a->kind == EX_STRING) diag_help(c->diags, d, "write the name without quotes");
      continue;
    }
    a->ty = TY_ERROR_T;
    if (!rt) continue;
    const Str *n = a->u.name.id.str;
    ResPart part;
    uint32_t idx;
    const RecField *f = ty_res_find(rt, n, &part, &idx);
    if (f && part == RP_INPUT) { a->ty = f->type; continue; }
    Diag *d;
    if (f && part == RP_OUTPUT) {
      d = diag_add(c->diags, DIAG_E0601, a->span,
                   "'%s' is an output of %s, not a property the program sets", n->s, rt->qual);
      diag_label(c->diags, d, a->span, "set by the provider");
      continue;
    }
    d = diag_add(c->diags, DIAG_E0601, a->span, "%s has no property '%s'", rt->qual, n->s);
    diag_label(c->diags, d, a->span, "unknown property");
    const char **cands = chk_cands(c, rt->ninputs);
    for (uint32_t i = 0; cands && i < rt->ninputs; i++) cands[i] = rt->inputs[i].name->s;
    const char *best = chk_suggest(c, n->s, cands, rt->ninputs);
    if (best) {
      diag_help(c->diags, d, "did you mean '%s'?", best);
      diag_fix(c->diags, d, a->span, best, arena_printf(c->arena, "replace with '%s'", best));
    }
  }
}

/* @depends_on(r, ...): resources, keyed copies, instances or their addresses. */
static void dependency_args(Checker *c, Decorator *k) {
  for (uint32_t j = 0; j < k->nargs; j++) {
    Expr *a = k->args[j];
    if (!a) continue;
    chk_expr(c, a, NULL);
    const Type *b = ty_base(a->ty);
    if (b->kind == TY_ERROR) continue;
    if (b->kind == TY_OPTIONAL || b->kind == TY_MAP) b = ty_base(b->u.elem);
    if (b->kind == TY_RESOURCE) continue;
    Diag *d;
    Sym *s = a->kind == EX_NAME ? a->u.name.sym : NULL;
    if (s)
      d = diag_add(c->diags, DIAG_E0600, a->span, "'%s' is a %s, not a resource", s->name->s,
                   chk_kind_word(s));
    else
      d = diag_add(c->diags, DIAG_E0600, a->span, "this is %s, not a resource", a_type(c, a->ty));
    diag_label(c->diags, d, a->span, "not a resource");
    if (s && s->span.file != SPAN_NO_FILE) diag_label(c->diags, d, s->span, "'%s' is declared here", s->name->s);
    diag_help(c->diags, d, "name the resource to wait for: `@depends_on(name)`");
  }
}

static void decorators(Checker *c, Decl *d, ResType *rt) {
  const Str *known[5] = {c->s_protect, c->s_create_before_destroy, c->s_depends_on,
                         c->s_ignore_changes, c->s_replace_on_change};
  uint32_t seen[5] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
  for (uint32_t i = 0; i < d->ndecos; i++) {
    Decorator *k = &d->decos[i];
    const Str *n = k->name.str;
    if (!n) continue;
    int which = 0;
    while (which < 5 && known[which] != n) which++;
    if (which == 5) {   /* unknown: E0104 from the parser */
      option_args_typed(c, k);
      continue;
    }
    bool noargs = n == c->s_protect || n == c->s_create_before_destroy;
    bool props = n == c->s_ignore_changes || n == c->s_replace_on_change;
    uint32_t first = seen[which];
    if (first == UINT32_MAX) seen[which] = i;
    if (first != UINT32_MAX) {
      Diag *g = diag_add(c->diags, DIAG_E0602, k->span, "'@%s' is given twice", n->s);
      diag_label(c->diags, g, k->span, "given again here");
      diag_label(c->diags, g, d->decos[first].span, "first given here");
      diag_help(c->diags, g, props ? "list every property in one `@%s(...)`" : "remove one of them", n->s);
      option_args_typed(c, k);
      continue;
    }
    if (noargs) {
      if (k->has_parens || k->nargs) {
        Diag *g = diag_add(c->diags, DIAG_E0602, k->span, "'@%s' takes no arguments", n->s);
        diag_label(c->diags, g, k->span, "written with arguments");
        diag_help(c->diags, g, "write `@%s` alone (leave it out to not %s)", n->s,
                  n == c->s_protect ? "protect the resource" : "create before destroying");
      }
      option_args_typed(c, k);
      continue;
    }
    if (k->nargs == 0) {
      Diag *g = diag_add(c->diags, DIAG_E0602, k->span, "'@%s' needs at least one %s", n->s,
                         props ? "property" : "resource");
      diag_label(c->diags, g, k->span, "nothing given");
      diag_help(c->diags, g, props ? "name properties: `@%s(content)`" : "name resources: `@%s(other)`",
                n->s);
      continue;
    }
    if (n == c->s_depends_on) { dependency_args(c, k); continue; }
    if (rt && rt->is_component) {
      Diag *g = diag_add(c->diags, DIAG_E0602, k->span,
                         "'@%s' names provider properties, so it cannot apply to the component %s",
                         n->s, rt->qual);
      diag_label(c->diags, g, k->span, "on an instance of a component");
      diag_help(c->diags, g, "put it on the resource inside %s", rt->qual);
      option_args_typed(c, k);
      continue;
    }
    property_args(c, k, rt);
  }
}

/* ---- the entry points ----------------------------------------------------------------------- */
void chk_node(Checker *c, Sym *s) {
  if (!s || s->state == SYMST_DONE) return;
  Decl *d = s->decl;
  s->state = SYMST_CHECKING;
  if (d) {
    switch (s->kind) {
    case SYM_PARAM: chk_param(c, s, d); break;
    case SYM_LET: chk_let(c, s, d, false); break;
    case SYM_OUTPUT: chk_let(c, s, d, true); break;
    case SYM_TYPE: chk_alias(c, s, d); break;
    case SYM_FN: chk_fn(c, s, d); break;
    case SYM_RESOURCE: chk_resource(c, s, d); break;
    case SYM_COMPONENT: chk_component(c, s, d); break;
    case SYM_RESTYPE: chk_schema(c, s, d); break;
    default: break;
    }
  }
  if (!s->type) s->type = TY_ERROR_T;
  s->state = SYMST_DONE;
}

/* A message that is printed: a string (E0605) that is not secret (E0403). */
static void chk_message(Checker *c, Expr *m, const char *what) {
  if (!m) return;
  chk_expr(c, m, NULL);
  const Type *b = ty_base(m->ty);
  if (b->kind == TY_ERROR || b->kind == TY_NOTHING) return;
  if (!ty_is_stringish(b)) {
    Diag *d = diag_add(c->diags, DIAG_E0605, m->span, "%s must be a string, found %s", what,
                       show(c, m->ty));
    diag_label(c->diags, d, m->span, "this is %s", a_type(c, m->ty));
    diag_help(c->diags, d, "write it as a string, interpolating values: \"... ${value} ...\"");
    return;
  }
  if (m->secret) {
    Diag *d = diag_add(c->diags, DIAG_E0403, m->span, "%s is printed, but this value is secret", what);
    diag_label(c->diags, d, m->span, "this value is secret");
    chk_explain(c, d, m, true, 0);
    diag_help(c->diags, d, "leave the secret out of the message (`nonsensitive(...)` marks a value "
              "that reveals nothing, such as a length)");
  }
}

/* policy = "policy" STRING "for" IDENT ":" qualname "{" { rule } "}"   (§6.12) */
/* Two policies or two tests with one title: results and reports name them by title, so
 * the second would be indistinguishable from the first (E0201, as for any other name). */
static void unique_title(Checker *c, Decl *d, Expr *title, int which) {
  if (!title || title->kind != EX_STRING || title->u.str.nparts != 1 || title->u.str.parts[0].is_expr)
    return;
  const StrPart *sp = &title->u.str.parts[0];
  const Str *key = intern(c->strs, sp->text, sp->len);
  Decl *first = pmap_get(&c->titles[which], key);
  if (!first) { pmap_put(c->arena, &c->titles[which], key, d); return; }
  const char *what = which ? "test" : "policy";
  Diag *g = diag_add(c->diags, DIAG_E0201, title->span, "%s \"%s\" declared twice", what, key->s);
  Expr *ft = which ? first->u.test.title : first->u.policy.title;
  diag_label(c->diags, g, ft->span, "first declared here");
  diag_help(c->diags, g, "give each %s its own title", what);
}

static void chk_policy(Checker *c, Decl *d) {
  chk_expr(c, d->u.policy.title, NULL);
  unique_title(c, d, d->u.policy.title, 0);
  ResType *rt = res_type_of(c, d->u.policy.type);
  Sym *v = d->sym;
  if (v) {
    v->type = rt ? rt->type : TY_ERROR_T;
    v->phase = PHASE_PLAN;
    v->secret = false;
    v->state = SYMST_DONE;
  }
  for (uint32_t i = 0; i < d->u.policy.nrules; i++) {
    PolicyRule *r = &d->u.policy.rules[i];
    chk_cond(c, r->cond, "a policy rule's condition", false);
    chk_message(c, r->msg, r->kind == RULE_DENY ? "a `deny` message" : "a `warn` message");
  }
}

/* test = "test" STRING "{" { let | assert } "}"   (§6.14) */
static void chk_test(Checker *c, Decl *d) {
  chk_expr(c, d->u.test.title, NULL);
  unique_title(c, d, d->u.test.title, 1);
  for (uint32_t i = 0; i < d->u.test.nstmts; i++) {
    Decl *st = d->u.test.stmts[i];
    if (!st) continue;
    if (st->kind == D_LET) {
      Sym *s = st->sym;
      if (s) s->state = SYMST_CHECKING;
      chk_let(c, s, st, false);
      if (s) s->state = SYMST_DONE;
    } else if (st->kind == D_ASSERT) {
      chk_cond(c, st->u.assert_.cond, "an assert's condition", false);
      chk_message(c, st->u.assert_.msg, "an assert's message");
    }
  }
}

static void bad_address(Checker *c, Expr *e, const char *why) {
  Diag *d = diag_add(c->diags, DIAG_E0606, e->span, "`moved` needs a resource address: %s", why);
  diag_label(c->diags, d, e->span, "not an address");
  diag_help(c->diags, d, "write a resource's name, then `.member` and `[\"key\"]` steps: "
            "`workers[\"billing\"].cfg`");
  chk_untyped(c, e);
}

/* An address: IDENT { "." name | "[" STRING "]" }.  Resolved ([resolve]), its type is the
 * resource's; the old side only has its shape checked (it names what no longer exists).
 * Returns NULL when reported or unknown. */
static const Type *address(Checker *c, Expr *e, bool resolve, int depth) {
  if (depth > PARSE_MAX_DEPTH) { chk_untyped(c, e); return NULL; }
  e->phase = PHASE_COMPILE;
  e->secret = false;
  switch (e->kind) {
  case EX_NAME: {
    e->ty = TY_ERROR_T;
    if (!resolve) return NULL;
    Sym *s = e->u.name.sym;
    if (!s) return NULL;   /* resolve.c reported the undefined name (E0200) */
    if (s->kind != SYM_RESOURCE || s->owner) {
      Diag *d = diag_add(c->diags, DIAG_E0606, e->span, "'%s' is a %s, not a resource", s->name->s,
                         chk_kind_word(s));
      diag_label(c->diags, d, e->span, "`moved` renames resources");
      return NULL;
    }
    if (s->state != SYMST_DONE) return NULL;
    e->ty = s->type;
    e->phase = PHASE_PLAN;
    return ty_is_error(s->type) ? NULL : s->type;
  }
  case EX_MEMBER: {
    const Type *t = address(c, e->u.member.obj, resolve, depth + 1);
    e->ty = TY_ERROR_T;
    if (!t || !e->u.member.name.str) return NULL;
    const Type *b = ty_base(t);
    if (b->kind == TY_OPTIONAL) b = ty_base(b->u.elem);
    const char *o = chk_src(c, e->u.member.obj->span, 60);
    if (!o) o = "it";
    if (b->kind == TY_MAP) {
      Diag *d = diag_add(c->diags, DIAG_E0606, e->u.member.obj->span,
                         "'%s' is keyed copies: name one copy by its key", o);
      diag_label(c->diags, d, e->u.member.obj->span, "keyed copies");
      diag_help(c->diags, d, "write `%s[\"key\"].%s`", o, e->u.member.name.str->s);
      return NULL;
    }
    ResPart part;
    uint32_t idx;
    const RecField *f = b->kind == TY_RESOURCE && b->u.res->is_component
                        ? ty_res_find(b->u.res, e->u.member.name.str, &part, &idx) : NULL;
    if (!f || part != RP_MEMBER) {
      Diag *d = diag_add(c->diags, DIAG_E0606, e->u.member.name.span, "'%s' has no resource '%s'", o,
                         e->u.member.name.str->s);
      diag_label(c->diags, d, e->u.member.name.span, "not a resource of %s",
                 b->kind == TY_RESOURCE ? b->u.res->qual : "it");
      return NULL;
    }
    e->ty = f->type;
    return f->type;
  }
  case EX_INDEX: {
    Expr *k = e->u.index.index;
    bool key_ok = k && k->kind == EX_STRING &&
                  (k->u.str.nparts == 0 || (k->u.str.nparts == 1 && !k->u.str.parts[0].is_expr));
    const Type *t = address(c, e->u.index.obj, resolve, depth + 1);
    e->ty = TY_ERROR_T;
    if (!key_ok) {
      if (k) {
        chk_untyped(c, k);
        Diag *d = diag_add(c->diags, DIAG_E0606, k->span,
                           "the key in a `moved` address must be a constant string");
        diag_label(c->diags, d, k->span, "not a string literal");
      }
      return NULL;
    }
    k->ty = TY_STRING_T;
    k->phase = PHASE_COMPILE;
    if (!t) return NULL;
    const Type *b = ty_base(t);
    if (b->kind != TY_MAP) {
      const char *o = chk_src(c, e->u.index.obj->span, 60);
      Diag *d = diag_add(c->diags, DIAG_E0606, e->span, "'%s' is not keyed copies, so it has no keys",
                         o ? o : "this");
      diag_label(c->diags, d, e->span, "indexed here");
      return NULL;
    }
    e->ty = b->u.elem;
    return b->u.elem;
  }
  default:
    bad_address(c, e, "a name, then `.member` and `[\"key\"]` steps");
    return NULL;
  }
}

/* moved = "moved" expr "=>" expr   (§6.13) */
static void chk_moved(Checker *c, Decl *d) {
  if (d->u.moved.from) address(c, d->u.moved.from, false, 0);
  Expr *to = d->u.moved.to;
  if (!to) return;
  const Type *t = address(c, to, true, 0);
  if (!t) return;
  const Type *b = ty_base(t);
  if (b->kind == TY_MAP) {
    const char *o = chk_src(c, to->span, 60);
    Diag *g = diag_add(c->diags, DIAG_E0606, to->span, "'%s' is keyed copies: name one copy by its key",
                       o ? o : "this");
    diag_label(c->diags, g, to->span, "keyed copies, not one resource");
    diag_help(c->diags, g, "write `%s[\"key\"]`", o ? o : "name");
  }
}

void chk_other(Checker *c, Decl *d) {
  if (!d) return;
  switch (d->kind) {
  case D_POLICY: chk_policy(c, d); break;
  case D_TEST: chk_test(c, d); break;
  case D_MOVED: chk_moved(c, d); break;
  default: break;
  }
}
