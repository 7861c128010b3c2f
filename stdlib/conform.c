/* Typed decoding: type descriptors written from checker types (for the compiler) and the
 * run-time conversion of a decoded value to the described type, with the path of the
 * first mismatch in the message.  See conform.h for the descriptor grammar. */
#include "stdlib/conform.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/check.h"
#include "compiler/consteval.h"

/* ---- descriptors from types ---------------------------------------------------------- */
#define DESC_MAX (1u << 20)

typedef struct DBuf {
  char *p;
  size_t len, cap;
  const char *why;      /* set on failure */
  uint32_t steps;
} DBuf;

static void d_add(DBuf *b, const char *s, size_t n) {
  if (b->why) return;
  if (b->len + n > DESC_MAX) { b->why = "the type is too large to describe"; return; }
  if (b->len + n + 1 > b->cap) {
    size_t ncap = b->cap ? b->cap * 2 : 256;
    while (ncap < b->len + n + 1) ncap *= 2;
    b->p = plat_xrealloc(b->p, ncap);
    b->cap = ncap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void d_adds(DBuf *b, const char *s) { d_add(b, s, strlen(s)); }

static void d_str(DBuf *b, const char *s, size_t n) {
  d_add(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == '"' || c == '\\') { esc[0] = '\\', esc[1] = (char)c; d_add(b, esc, 2); }
    else if (c < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", c); d_add(b, esc, 6); }
    else d_add(b, (const char *)&c, 1);
  }
  d_add(b, "\"", 1);
}

static bool value_json(DBuf *b, const Value *v, int depth) {
  if (depth > SL_DECODE_MAX_DEPTH) return false;
  char num[40];
  switch (v->kind) {
  case V_NULL: d_adds(b, "null"); return true;
  case V_BOOL: d_adds(b, v->u.b ? "true" : "false"); return true;
  case V_INT: snprintf(num, sizeof num, "%lld", (long long)v->u.i); d_adds(b, num); return true;
  case V_FLOAT: snprintf(num, sizeof num, "%.17g", v->u.f); d_adds(b, num);
    if (!strpbrk(num, ".eEn")) d_adds(b, ".0");
    return true;
  case V_STRING: d_str(b, v->u.s, v->n); return true;
  case V_LIST:
    d_add(b, "[", 1);
    for (uint32_t i = 0; i < v->n; i++) {
      if (i) d_add(b, ",", 1);
      if (!value_json(b, v->u.items[i], depth + 1)) return false;
    }
    d_add(b, "]", 1);
    return true;
  case V_RECORD:
    d_add(b, "{", 1);
    for (uint32_t i = 0; i < v->n; i++) {
      if (i) d_add(b, ",", 1);
      d_str(b, v->u.fields[i].key, v->u.fields[i].klen);
      d_add(b, ":", 1);
      if (!value_json(b, v->u.fields[i].val, depth + 1)) return false;
    }
    d_add(b, "}", 1);
    return true;
  }
  return false;
}

/* A field default as JSON: literals (also in lists and records), negated numbers and names
 * of constants.  The checker already requires defaults to be compile-time constants. */
static bool default_json(DBuf *b, const Expr *e, int depth) {
  if (!e || depth > SL_DECODE_MAX_DEPTH) return false;
  char num[40];
  switch (e->kind) {
  case EX_NULL: d_adds(b, "null"); return true;
  case EX_BOOL: d_adds(b, e->u.b ? "true" : "false"); return true;
  case EX_INT: snprintf(num, sizeof num, "%lld", (long long)e->u.i); d_adds(b, num); return true;
  case EX_FLOAT: {
    Value v = {.kind = V_FLOAT, .u.f = e->u.f};
    return value_json(b, &v, depth);
  }
  case EX_UNARY:
    if (e->u.unary.op != UN_NEG || !e->u.unary.operand) return false;
    if (e->u.unary.operand->kind == EX_INT) {
      snprintf(num, sizeof num, "%lld", -(long long)e->u.unary.operand->u.i);
      d_adds(b, num);
      return true;
    }
    if (e->u.unary.operand->kind == EX_FLOAT) {
      Value v = {.kind = V_FLOAT, .u.f = -e->u.unary.operand->u.f};
      return value_json(b, &v, depth);
    }
    return false;
  case EX_STRING:
    d_add(b, "\"", 1);
    for (uint32_t i = 0; i < e->u.str.nparts; i++) {
      if (e->u.str.parts[i].is_expr) return false;
      size_t start = b->len;
      d_str(b, e->u.str.parts[i].text, e->u.str.parts[i].len);
      /* drop the quotes d_str added around this part */
      if (!b->why) {
        memmove(b->p + start, b->p + start + 1, b->len - start - 2);
        b->len -= 2;
        b->p[b->len] = 0;
      }
    }
    d_add(b, "\"", 1);
    return true;
  case EX_LIST:
    d_add(b, "[", 1);
    for (uint32_t i = 0; i < e->u.list.nitems; i++) {
      if (i) d_add(b, ",", 1);
      if (!default_json(b, e->u.list.items[i], depth + 1)) return false;
    }
    d_add(b, "]", 1);
    return true;
  case EX_RECORD:
    d_add(b, "{", 1);
    for (uint32_t i = 0; i < e->u.record.nfields; i++) {
      const Field *f = &e->u.record.fields[i];
      if (!f->name.str) return false;
      if (i) d_add(b, ",", 1);
      d_str(b, f->name.str->s, f->name.str->len);
      d_add(b, ":", 1);
      if (!default_json(b, f->value, depth + 1)) return false;
    }
    d_add(b, "}", 1);
    return true;
  case EX_NAME:
    if (e->u.name.sym && e->u.name.sym->cval) return value_json(b, e->u.name.sym->cval, depth);
    return false;
  default:
    return false;
  }
}

static void desc(DBuf *b, const Type *t, int depth) {
  if (b->why) return;
  if (depth > TY_MAX_DEPTH || ++b->steps > TY_MAX_STEPS) { b->why = "the type is too large to describe"; return; }
  switch (t->kind) {
  case TY_ERROR: d_adds(b, "\"any\""); return;
  case TY_NULL: d_adds(b, "\"null\""); return;
  case TY_BOOL: d_adds(b, "\"bool\""); return;
  case TY_INT: d_adds(b, "\"int\""); return;
  case TY_FLOAT: d_adds(b, "\"float\""); return;
  case TY_STRING: d_adds(b, "\"string\""); return;
  case TY_LIST: case TY_MAP: case TY_OPTIONAL: case TY_SECRET:
    d_adds(b, t->kind == TY_LIST ? "[\"list\"," : t->kind == TY_MAP ? "[\"map\","
            : t->kind == TY_OPTIONAL ? "[\"optional\"," : "[\"secret\",");
    desc(b, t->u.elem, depth + 1);
    d_add(b, "]", 1);
    return;
  case TY_UNION:
    d_adds(b, "[\"enum\"");
    for (uint32_t i = 0; i < t->u.uni.nmembers; i++) {
      d_add(b, ",", 1);
      d_str(b, t->u.uni.members[i]->s, t->u.uni.members[i]->len);
    }
    d_add(b, "]", 1);
    return;
  case TY_RECORD:
    d_adds(b, "[\"record\"");
    for (uint32_t i = 0; i < t->u.rec.nfields; i++) {
      const RecField *f = &t->u.rec.fields[i];
      d_adds(b, ",[");
      d_str(b, f->name->s, f->name->len);
      d_add(b, ",", 1);
      desc(b, f->type, depth + 1);
      if (f->has_default) {
        d_add(b, ",", 1);
        if (!default_json(b, f->deflt, 0) && !b->why)
          b->why = "a field's default is not a literal or a constant's name";
      }
      d_add(b, "]", 1);
    }
    d_add(b, "]", 1);
    return;
  case TY_ALIAS: desc(b, t->u.alias.flat ? t->u.alias.flat : t->u.alias.target, depth + 1); return;
  case TY_REFINED: desc(b, t->u.ref.base, depth + 1); return;
  case TY_NOTHING: b->why = "the element type is not known"; return;
  case TY_RESOURCE: b->why = "resources are made by declarations, not decoded"; return;
  case TY_MODULE: case TY_FN: b->why = "it is not a value type"; return;
  }
  b->why = "it is not a value type";
}

const char *sl_type_desc(Arena *a, const Type *t, const char **why) {
  DBuf b = {0};
  desc(&b, t, 0);
  const char *out = NULL;
  if (b.why) *why = b.why;
  else out = arena_strndup(a, b.p ? b.p : "", b.len);
  free(b.p);
  return out;
}

/* ---- JSON values ------------------------------------------------------------------- */
Val sl_json_value(Rt *rt, const char *fn, struct json_t *j, int depth) {
  if (depth > SL_DECODE_MAX_DEPTH)
    rt_error(rt, "%s: the value is nested more than %d levels deep", fn, SL_DECODE_MAX_DEPTH);
  switch (json_typeof(j)) {
  case JSON_NULL: return val_null();
  case JSON_TRUE: return val_bool(true);
  case JSON_FALSE: return val_bool(false);
  case JSON_INTEGER: return val_int((int64_t)json_integer_value(j));
  case JSON_REAL: return val_float(rt, json_real_value(j));
  case JSON_STRING: {
    char what[64];
    snprintf(what, sizeof what, "%s: a string", fn);
    return val_str_checked(rt, json_string_value(j), json_string_length(j), what);
  }
  case JSON_ARRAY: {
    size_t cnt = json_array_size(j);
    VList *l = val_list_new(rt, (uint32_t)cnt);
    for (size_t i = 0; i < cnt; i++) l->items[i] = sl_json_value(rt, fn, json_array_get(j, i), depth + 1);
    return val_list_done(l);
  }
  case JSON_OBJECT: {
    MapBuilder mb;
    mb_init(&mb, rt, (uint32_t)json_object_size(j));
    const char *k;
    size_t klen;
    json_t *v;
    void *tmp;
    char what[64];
    snprintf(what, sizeof what, "%s: an object key", fn);
    json_object_keylen_foreach_safe(j, tmp, k, klen, v) {
      Val key = val_str_checked(rt, k, klen, what);
      mb_put(&mb, key.as.s, sl_json_value(rt, fn, v, depth + 1));
    }
    return val_map_done(&mb);
  }
  }
  return val_null();
}

_Noreturn void sl_rethrow(Rt *rt) {
  char msg[RT_ERRMAX];
  memcpy(msg, rt->errmsg, sizeof msg);
  msg[sizeof msg - 1] = 0;
  rt_error(rt, "%s", msg);
}

/* ---- conforming ------------------------------------------------------------------------ */
typedef struct Conf {
  Rt *rt;
  const char *fn;
  bool secret;
  uint32_t steps;
  /* the path to the value being converted: segments kept as a stack of lengths */
  SBuf path;
} Conf;

static bool is_ident(const char *s, size_t n) {
  if (!n || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) return false;
  for (size_t i = 1; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '_' || s[i] == '-'))
      return false;
  return true;
}

static const char *found(Conf *c, Val v) {
  SBuf b;
  sb_init(&b, c->rt);
  switch ((ValTag)v.tag) {
  case VT_NULL: return "null";
  case VT_LIST: return "a list";
  case VT_MAP: return "an object";
  case VT_RES: return "a resource";
  case VT_UNKNOWN: return "a value known only after deploy";
  case VT_BOOL: case VT_INT: case VT_FLOAT: case VT_STR:
    sb_adds(&b, val_type_name(v));
    if (!c->secret && !val_is_secret(v)) {
      sb_addc(&b, ' ');
      val_show(&b, v, 40);
    }
    sb_addc(&b, 0);
    return b.p;
  }
  return "a value";
}

_Noreturn static void mismatch(Conf *c, const char *want, Val v) {
  if (c->path.len)
    rt_error(c->rt, "%s: at %s: expected %s, found %s", c->fn, c->path.p, want, found(c, v));
  rt_error(c->rt, "%s: expected %s, found %s", c->fn, want, found(c, v));
}

_Noreturn static void bad_desc(Conf *c) {
  rt_error(c->rt, "%s: the type descriptor is malformed (a corrupt module?)", c->fn);
}

static const char *kind_of(json_t *d) {
  if (json_is_string(d)) return json_string_value(d);
  if (json_is_array(d) && json_array_size(d) >= 1 && json_is_string(json_array_get(d, 0)))
    return json_string_value(json_array_get(d, 0));
  return NULL;
}

/* What the descriptor wants, for messages: "int", "a list", "one of \"a\", \"b\"". */
static const char *want_text(Conf *c, json_t *d) {
  const char *k = kind_of(d);
  if (!k) return "a value";
  if (json_is_string(d)) return k;
  if (!strcmp(k, "list")) return "a list";
  if (!strcmp(k, "map") || !strcmp(k, "record")) return "an object";
  if (!strcmp(k, "optional") || !strcmp(k, "secret")) return want_text(c, json_array_get(d, 1));
  if (!strcmp(k, "enum")) {
    SBuf b;
    sb_init(&b, c->rt);
    sb_adds(&b, "one of ");
    for (size_t i = 1; i < json_array_size(d) && i <= 8; i++) {
      if (i > 1) sb_adds(&b, ", ");
      json_t *m = json_array_get(d, i);
      if (json_is_string(m)) val_show(&b, val_cstr(c->rt, json_string_value(m)), 40);
    }
    if (json_array_size(d) > 9) sb_adds(&b, ", ...");
    sb_addc(&b, 0);
    return b.p;
  }
  return k;
}

static Val conform(Conf *c, Val v, json_t *d, int depth);

static Val conform_at(Conf *c, Val v, json_t *d, int depth, const char *key, size_t klen, int64_t index) {
  uint32_t mark = c->path.len;
  if (key && is_ident(key, klen)) {
    sb_addc(&c->path, '.');
    sb_add(&c->path, key, klen);
  } else if (key) {
    sb_addc(&c->path, '[');
    val_show(&c->path, val_str(c->rt, key, klen), 60);
    sb_addc(&c->path, ']');
  } else {
    sb_addf(&c->path, "[%lld]", (long long)index);
  }
  Val out = conform(c, v, d, depth + 1);
  c->path.len = mark;
  if (c->path.p) c->path.p[mark] = 0;
  return out;
}

static Val conform(Conf *c, Val v, json_t *d, int depth) {
  if (depth > SL_DECODE_MAX_DEPTH)
    rt_error(c->rt, "%s: the value is nested more than %d levels deep", c->fn, SL_DECODE_MAX_DEPTH);
  if (++c->steps > SL_CONFORM_MAX_STEPS)
    rt_error(c->rt, "%s: the decoded value has more than %u parts", c->fn, SL_CONFORM_MAX_STEPS);
  const char *k = kind_of(d);
  if (!k) bad_desc(c);
  if (json_is_string(d)) {
    if (!strcmp(k, "any")) return v;
    if (!strcmp(k, "string")) { if (v.tag == VT_STR) return v; }
    else if (!strcmp(k, "bool")) { if (v.tag == VT_BOOL) return v; }
    else if (!strcmp(k, "null")) { if (v.tag == VT_NULL) return v; }
    else if (!strcmp(k, "float")) {
      if (v.tag == VT_FLOAT) return v;
      if (v.tag == VT_INT) { Val f = val_float(c->rt, (double)v.as.i); f.flags = v.flags; return f; }
    } else if (!strcmp(k, "int")) {
      if (v.tag == VT_INT) return v;
      /* 2.0 is the int 2 (JSON and YAML texts often write whole numbers so) */
      if (v.tag == VT_FLOAT && v.as.f == (double)(int64_t)v.as.f && v.as.f >= -9.2233720368547758e18 &&
          v.as.f < 9.2233720368547758e18) {
        Val i = val_int((int64_t)v.as.f);
        i.flags = v.flags;
        return i;
      }
    } else {
      bad_desc(c);
    }
    mismatch(c, k, v);
  }
  size_t nd = json_array_size(d);
  if (!strcmp(k, "optional") || !strcmp(k, "secret")) {
    if (nd != 2) bad_desc(c);
    if (k[0] == 'o' && v.tag == VT_NULL) return v;
    Val out = conform(c, v, json_array_get(d, 1), depth + 1);
    return k[0] == 's' ? val_mark_secret(out) : out;
  }
  if (!strcmp(k, "list")) {
    if (nd != 2) bad_desc(c);
    if (v.tag != VT_LIST) mismatch(c, "a list", v);
    VList *l = val_list_new(c->rt, v.as.l->n);
    for (uint32_t i = 0; i < v.as.l->n; i++)
      l->items[i] = conform_at(c, v.as.l->items[i], json_array_get(d, 1), depth, NULL, 0, i);
    Val out = val_list_done(l);
    out.flags = v.flags;
    return out;
  }
  if (!strcmp(k, "map")) {
    if (nd != 2) bad_desc(c);
    if (v.tag != VT_MAP) mismatch(c, "an object", v);
    MapBuilder mb;
    mb_init(&mb, c->rt, v.as.m->n);
    for (uint32_t i = 0; i < v.as.m->n; i++) {
      const VEntry *e = &v.as.m->e[i];
      mb_put(&mb, e->key, conform_at(c, e->val, json_array_get(d, 1), depth, e->key->s, e->key->len, 0));
    }
    Val out = val_map_done(&mb);
    out.flags = v.flags;
    return out;
  }
  if (!strcmp(k, "enum")) {
    if (v.tag == VT_STR)
      for (size_t i = 1; i < nd; i++) {
        json_t *m = json_array_get(d, i);
        if (!json_is_string(m)) bad_desc(c);
        if (json_string_length(m) == v.as.s->len && !memcmp(json_string_value(m), v.as.s->s, v.as.s->len))
          return v;
      }
    mismatch(c, want_text(c, d), v);
  }
  if (!strcmp(k, "record")) {
    if (v.tag != VT_MAP) mismatch(c, "an object", v);
    MapBuilder mb;
    mb_init(&mb, c->rt, (uint32_t)nd);
    for (size_t i = 1; i < nd; i++) {
      json_t *f = json_array_get(d, i);
      json_t *name = json_array_get(f, 0), *fd = json_array_get(f, 1);
      if (!json_is_array(f) || !json_is_string(name) || !fd || json_array_size(f) > 3) bad_desc(c);
      const char *fname = json_string_value(name);
      size_t flen = json_string_length(name);
      const Val *got = val_map_get(v.as.m, fname, flen);
      Val fv;
      if (got) {
        fv = conform_at(c, *got, fd, depth, fname, flen, 0);
      } else if (json_array_size(f) == 3) {
        fv = conform_at(c, sl_json_value(c->rt, c->fn, json_array_get(f, 2), 0), fd, depth, fname, flen, 0);
      } else if (kind_of(fd) && !strcmp(kind_of(fd), "optional")) {
        fv = val_null();
      } else {
        if (c->path.len)
          rt_error(c->rt, "%s: at %s: missing field '%s' (%s)", c->fn, c->path.p, fname, want_text(c, fd));
        rt_error(c->rt, "%s: missing field '%s' (%s)", c->fn, fname, want_text(c, fd));
      }
      mb_put(&mb, val_str(c->rt, fname, flen).as.s, fv);
    }
    Val out = val_map_done(&mb);
    out.flags = v.flags;
    return out;
  }
  bad_desc(c);
}

typedef struct ConfJob { Conf *c; json_t *d; Val v, out; } ConfJob;

static void conf_job(Rt *rt, void *ud) {
  ConfJob *job = ud;
  (void)rt;
  job->out = conform(job->c, job->v, job->d, 0);
}

Val sl_conform(Rt *rt, const char *fn, Val v, const char *descr, bool secret) {
  json_error_t err;
  json_t *d = json_loads(descr, JSON_DECODE_ANY, &err);
  if (!d) rt_error(rt, "%s: the type descriptor is malformed (a corrupt module?)", fn);
  Conf c = {.rt = rt, .fn = fn, .secret = secret};
  sb_init(&c.path, rt);
  ConfJob job = {&c, d, v, val_null()};
  int rc = rt_protect(rt, conf_job, &job);
  json_decref(d);
  if (rc != 0) sl_rethrow(rt);
  return job.out;
}
