/* Constant folding: the value algebra behind compile-time refinement checks and E0309
 * (see consteval.h).  Pure functions over immutable arena values; the checker decides
 * when an expression is constant and calls in here bottom-up.  Built-ins not folded here
 * are "unknown" at compile time and left to the VM. */
#include "compiler/consteval.h"
#include "stdlib/stdlib.h"
#include "vm/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const Value v_null = {.kind = V_NULL};
static const Value v_true = {.kind = V_BOOL, .u.b = true};
static const Value v_false = {.kind = V_BOOL, .u.b = false};

const Value *cv_null(void) { return &v_null; }
const Value *cv_bool(bool b) { return b ? &v_true : &v_false; }

const Value *cv_int(Arena *a, int64_t i) {
  Value *v = arena_alloc(a, sizeof *v);
  v->kind = V_INT;
  v->u.i = i;
  return v;
}

const Value *cv_float(Arena *a, double f) {
  Value *v = arena_alloc(a, sizeof *v);
  v->kind = V_FLOAT;
  v->u.f = f;
  return v;
}

const Value *cv_string(Arena *a, const char *s, uint32_t n) {
  Value *v = arena_alloc(a, sizeof *v);
  v->kind = V_STRING;
  v->n = n;
  v->u.s = arena_strndup(a, s, n);
  return v;
}

const Value *cv_list(Arena *a, const Value *const *items, uint32_t n) {
  Value *v = arena_alloc(a, sizeof *v);
  v->kind = V_LIST;
  v->n = n;
  const Value **it = arena_calloc(a, n ? n : 1, sizeof *it);
  if (n) memcpy(it, items, n * sizeof *it);
  v->u.items = it;
  return v;
}

const Value *cv_record(Arena *a, const ValField *fields, uint32_t n) {
  Value *v = arena_alloc(a, sizeof *v);
  v->kind = V_RECORD;
  v->n = n;
  ValField *fs = arena_calloc(a, n ? n : 1, sizeof *fs);
  if (n) memcpy(fs, fields, n * sizeof *fs);
  v->u.fields = fs;
  return v;
}

const Value *cv_member(const Value *rec, const char *key, uint32_t klen) {
  if (!rec || rec->kind != V_RECORD) return NULL;
  for (uint32_t i = 0; i < rec->n; i++)
    if (rec->u.fields[i].klen == klen && memcmp(rec->u.fields[i].key, key, klen) == 0)
      return rec->u.fields[i].val;
  return NULL;
}

static bool is_num(const Value *v) { return v->kind == V_INT || v->kind == V_FLOAT; }
static double num(const Value *v) { return v->kind == V_INT ? (double)v->u.i : v->u.f; }

/* Values share parts (a record holding another twice), so one of depth 40 can stand for
 * 2^40 nodes, and a list of 65,536 items compared with each other is 2^31 comparisons:
 * comparisons within one fold share this many steps, after which the fold is unknown. */
#define CV_MAX_STEPS (1u << 22)

/* Values nest through lets (`let l2 = [l1]`) as deep as a program is long: past this
 * depth a comparison is unknown rather than a stack overflow. */
#define CV_MAX_DEPTH 256

/* 1 equal, 0 not, -1 unknown (the step budget or the depth is spent). */
static int equal_at(const Value *a, const Value *b, uint32_t *steps, int depth) {
  if (a == b) return 1;
  if (++*steps > CV_MAX_STEPS || depth > CV_MAX_DEPTH) return -1;
  if (is_num(a) && is_num(b)) {
    if (a->kind == V_INT && b->kind == V_INT) return a->u.i == b->u.i;
    return num(a) == num(b);
  }
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case V_NULL: return 1;
  case V_BOOL: return a->u.b == b->u.b;
  case V_STRING: return a->n == b->n && memcmp(a->u.s, b->u.s, a->n) == 0;
  case V_LIST:
    if (a->n != b->n) return 0;
    for (uint32_t i = 0; i < a->n; i++) {
      int r = equal_at(a->u.items[i], b->u.items[i], steps, depth + 1);
      if (r != 1) return r;
    }
    return 1;
  case V_RECORD:
    if (a->n != b->n) return 0;
    for (uint32_t i = 0; i < a->n; i++) {
      *steps += b->n;   /* cv_member scans */
      if (*steps > CV_MAX_STEPS) return -1;
      const Value *o = cv_member(b, a->u.fields[i].key, a->u.fields[i].klen);
      if (!o) return 0;
      int r = equal_at(a->u.fields[i].val, o, steps, depth + 1);
      if (r != 1) return r;
    }
    return 1;
  default: return 0;
  }
}

static int equal_steps(const Value *a, const Value *b, uint32_t *steps) {
  return equal_at(a, b, steps, 0);
}

bool cv_equal(const Value *a, const Value *b) {
  uint32_t steps = 0;
  return equal_steps(a, b, &steps) == 1;
}

/* ---- text ------------------------------------------------------------------------------- */
typedef PlatBuf Buf;
static void put(Buf *b, const char *s, size_t n) { plat_buf_put(b, s, n); }
static void puts_(Buf *b, const char *s) { plat_buf_puts(b, s); }

static void fmt_float(double f, char *out, size_t cap) {
  if (isnan(f)) { snprintf(out, cap, "nan"); return; }
  if (isinf(f)) { snprintf(out, cap, f < 0 ? "-inf" : "inf"); return; }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(out, cap, "%.*g", prec, f);
    if (strtod(out, NULL) == f) break;
  }
  if (!strpbrk(out, ".eEn")) {   /* keep it a float literal: 2 -> 2.0 */
    size_t n = strlen(out);
    if (n + 2 < cap) memcpy(out + n, ".0", 3);
  }
}

static void show_str(Buf *b, const char *s, uint32_t n) {
  puts_(b, "\"");
  for (uint32_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; put(b, esc, 2); }
    else if (c == '\n') puts_(b, "\\n");
    else if (c == '\t') puts_(b, "\\t");
    else if (c == '\r') puts_(b, "\\r");
    else if (c == '$' && i + 1 < n && s[i + 1] == '{') puts_(b, "\\$");
    else if (c < 0x20) { snprintf(esc, sizeof esc, "\\u{%x}", c); puts_(b, esc); }
    else put(b, (const char *)&s[i], 1);
  }
  puts_(b, "\"");
}

static void show(Buf *b, const Value *v, uint32_t max, int depth) {
  if (b->n > max || depth > 64) return;
  char tmp[64];
  switch (v->kind) {
  case V_NULL: puts_(b, "null"); break;
  case V_BOOL: puts_(b, v->u.b ? "true" : "false"); break;
  case V_INT: snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i); puts_(b, tmp); break;
  case V_FLOAT: fmt_float(v->u.f, tmp, sizeof tmp); puts_(b, tmp); break;
  case V_STRING: show_str(b, v->u.s, v->n); break;
  case V_LIST:
    puts_(b, "[");
    for (uint32_t i = 0; i < v->n && b->n <= max; i++) {
      if (i) puts_(b, ", ");
      show(b, v->u.items[i], max, depth + 1);
    }
    puts_(b, "]");
    break;
  case V_RECORD:
    if (!v->n) { puts_(b, "{}"); break; }
    puts_(b, "{ ");
    for (uint32_t i = 0; i < v->n && b->n <= max; i++) {
      if (i) puts_(b, ", ");
      const ValField *f = &v->u.fields[i];
      bool plain = f->klen > 0;
      for (uint32_t k = 0; k < f->klen; k++) {
        char c = f->key[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (k > 0 && c >= '0' && c <= '9')))
          plain = false;
      }
      if (plain) put(b, f->key, f->klen); else show_str(b, f->key, f->klen);
      puts_(b, " = ");
      show(b, f->val, max, depth + 1);
    }
    puts_(b, " }");
    break;
  }
}

const char *cv_show(Arena *a, const Value *v, uint32_t max) {
  Buf b = {0};
  show(&b, v, max, 0);
  if (b.n > max) {
    b.n = max;
    put(&b, "...", 3);
  }
  const char *r = arena_strndup(a, b.s ? b.s : "", b.n);
  free(b.s);
  return r;
}

/* ---- operators -------------------------------------------------------------------------- */
static CvStatus fault(const char **f, const char *msg) { *f = msg; return CV_FAULT; }

static CvStatus float_result(Arena *a, double r, const Value **out, const char **f) {
  if (isinf(r) || isnan(r)) return fault(f, "float overflow");
  *out = cv_float(a, r);
  return CV_OK;
}

CvStatus cv_unary(Arena *a, UnaryOp op, const Value *v, const Value **out, const char **f) {
  if (op == UN_NOT) {
    if (v->kind != V_BOOL) return CV_UNKNOWN;
    *out = cv_bool(!v->u.b);
    return CV_OK;
  }
  if (v->kind == V_INT) {
    if (v->u.i == INT64_MIN) return fault(f, "integer overflow");
    *out = cv_int(a, -v->u.i);
    return CV_OK;
  }
  if (v->kind == V_FLOAT) { *out = cv_float(a, -v->u.f); return CV_OK; }
  return CV_UNKNOWN;
}

static int cmp_bytes(const char *a, uint32_t an, const char *b, uint32_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);
  if (c) return c;
  return an < bn ? -1 : an > bn;
}

CvStatus cv_binary(Arena *a, BinaryOp op, const Value *l, const Value *r, const Value **out,
                   const char **f) {
  switch (op) {
  case BIN_AND: case BIN_OR:
    if (l->kind != V_BOOL || r->kind != V_BOOL) return CV_UNKNOWN;
    *out = cv_bool(op == BIN_AND ? l->u.b && r->u.b : l->u.b || r->u.b);
    return CV_OK;
  case BIN_COALESCE:
    *out = l->kind == V_NULL ? r : l;
    return CV_OK;
  case BIN_EQ: case BIN_NE: {
    uint32_t steps = 0;
    int eq = equal_steps(l, r, &steps);
    if (eq < 0) return CV_UNKNOWN;
    *out = cv_bool((eq == 1) == (op == BIN_EQ));
    return CV_OK;
  }
  case BIN_LT: case BIN_LE: case BIN_GT: case BIN_GE: {
    int c;
    if (l->kind == V_INT && r->kind == V_INT) c = (l->u.i > r->u.i) - (l->u.i < r->u.i);
    else if (is_num(l) && is_num(r)) c = (num(l) > num(r)) - (num(l) < num(r));
    else if (l->kind == V_STRING && r->kind == V_STRING) c = cmp_bytes(l->u.s, l->n, r->u.s, r->n);
    else return CV_UNKNOWN;
    bool res = op == BIN_LT ? c < 0 : op == BIN_LE ? c <= 0 : op == BIN_GT ? c > 0 : c >= 0;
    *out = cv_bool(res);
    return CV_OK;
  }
  case BIN_ADD:
    if (l->kind == V_STRING && r->kind == V_STRING) {
      if ((uint64_t)l->n + r->n > CV_MAX_STRING) return CV_UNKNOWN;
      char *s = arena_alloc(a, (size_t)l->n + r->n + 1);
      memcpy(s, l->u.s, l->n);
      memcpy(s + l->n, r->u.s, r->n);
      Value *v = arena_alloc(a, sizeof *v);
      v->kind = V_STRING;
      v->n = l->n + r->n;
      v->u.s = s;
      *out = v;
      return CV_OK;
    }
    if (l->kind == V_LIST && r->kind == V_LIST) {
      if ((uint64_t)l->n + r->n > CV_MAX_ITEMS) return CV_UNKNOWN;
      const Value **it = arena_calloc(a, (size_t)l->n + r->n + 1, sizeof *it);
      memcpy(it, l->u.items, l->n * sizeof *it);
      memcpy(it + l->n, r->u.items, r->n * sizeof *it);
      Value *v = arena_alloc(a, sizeof *v);
      v->kind = V_LIST;
      v->n = l->n + r->n;
      v->u.items = it;
      *out = v;
      return CV_OK;
    }
    /* fall through */
  case BIN_SUB: case BIN_MUL: case BIN_DIV: case BIN_MOD:
    if (!is_num(l) || !is_num(r)) return CV_UNKNOWN;
    if (l->kind == V_INT && r->kind == V_INT) {
      int64_t x = l->u.i, y = r->u.i, z = 0;
      bool ovf = false;
      switch (op) {
      case BIN_ADD: ovf = __builtin_add_overflow(x, y, &z); break;
      case BIN_SUB: ovf = __builtin_sub_overflow(x, y, &z); break;
      case BIN_MUL: ovf = __builtin_mul_overflow(x, y, &z); break;
      case BIN_DIV: case BIN_MOD:
        if (y == 0) return fault(f, op == BIN_DIV ? "division by zero" : "remainder by zero");
        if (x == INT64_MIN && y == -1) { ovf = true; break; }
        z = op == BIN_DIV ? x / y : x % y;
        break;
      default: return CV_UNKNOWN;
      }
      if (ovf) return fault(f, "integer overflow");
      *out = cv_int(a, z);
      return CV_OK;
    }
    {
      double x = num(l), y = num(r);
      switch (op) {
      case BIN_ADD: return float_result(a, x + y, out, f);
      case BIN_SUB: return float_result(a, x - y, out, f);
      case BIN_MUL: return float_result(a, x * y, out, f);
      case BIN_DIV:
        if (y == 0) return fault(f, "division by zero");
        return float_result(a, x / y, out, f);
      case BIN_MOD:
        if (y == 0) return fault(f, "remainder by zero");
        return float_result(a, fmod(x, y), out, f);
      default: return CV_UNKNOWN;
      }
    }
  }
  return CV_UNKNOWN;
}

/* Built-ins fold through their run-time implementations (stdlib/), so a constant call
 * gives exactly what the VM would: one implementation, not two that can disagree.  Values
 * cross in a scratch runtime; an error the function raises is a fault (the call always
 * fails), a result past the size limits is unknown. */
#define CV_FOLD_MEMORY ((size_t)64 << 20)

typedef struct FoldCall {
  SlFn fn;
  const Value *const *args;
  uint32_t n;
  Val result;
  /* Containers already converted: constants share parts (a record holding another twice),
     so converting each once keeps the work linear in the distinct parts. */
  const Value **memo_k;
  Val *memo_v;
  uint32_t memo_cap, memo_n;
} FoldCall;

static uint32_t memo_slot(const FoldCall *fc, const Value *v) {
  uint32_t h = (uint32_t)(((uintptr_t)v >> 4) * 2654435761u);
  uint32_t i = h & (fc->memo_cap - 1);
  while (fc->memo_k[i] && fc->memo_k[i] != v)
    i = (i + 1) & (fc->memo_cap - 1);
  return i;
}

static void memo_put(Rt *rt, FoldCall *fc, const Value *v, Val val) {
  if ((fc->memo_n + 1) * 2 > fc->memo_cap) {
    uint32_t oldcap = fc->memo_cap;
    const Value **ok = fc->memo_k;
    Val *ov = fc->memo_v;
    fc->memo_cap = oldcap ? oldcap * 2 : 64;
    fc->memo_k = rt_alloc(rt, fc->memo_cap * sizeof *fc->memo_k);
    fc->memo_v = rt_alloc(rt, fc->memo_cap * sizeof *fc->memo_v);
    for (uint32_t i = 0; i < oldcap; i++)
      if (ok[i]) {
        uint32_t j = memo_slot(fc, ok[i]);
        fc->memo_k[j] = ok[i];
        fc->memo_v[j] = ov[i];
      }
  }
  uint32_t j = memo_slot(fc, v);
  fc->memo_k[j] = v;
  fc->memo_v[j] = val;
  fc->memo_n++;
}

static Val to_val(Rt *rt, FoldCall *fc, const Value *v, int depth) {
  if (depth > 256)
    rt_error(rt, "constant nested too deeply");
  if ((v->kind == V_LIST || v->kind == V_RECORD) && fc->memo_cap) {
    uint32_t j = memo_slot(fc, v);
    if (fc->memo_k[j] == v)
      return fc->memo_v[j];
  }
  Val out;
  switch (v->kind) {
  case V_NULL: return val_null();
  case V_BOOL: return val_bool(v->u.b);
  case V_INT: return val_int(v->u.i);
  case V_FLOAT: return val_float(rt, v->u.f);
  case V_STRING: return val_str(rt, v->u.s, v->n);
  case V_LIST: {
    VList *l = val_list_new(rt, v->n);
    for (uint32_t i = 0; i < v->n; i++)
      l->items[i] = to_val(rt, fc, v->u.items[i], depth + 1);
    out = val_list_done(l);
    memo_put(rt, fc, v, out);
    return out;
  }
  case V_RECORD: {
    MapBuilder b;
    mb_init(&b, rt, v->n);
    for (uint32_t i = 0; i < v->n; i++)
      mb_put(&b, val_intern(rt, v->u.fields[i].key, v->u.fields[i].klen),
             to_val(rt, fc, v->u.fields[i].val, depth + 1));
    out = val_map_done(&b);
    memo_put(rt, fc, v, out);
    return out;
  }
  }
  return val_null();
}

/* [v] as a compile-time Value, or NULL when it has no such form or is too large. */
static const Value *from_val(Arena *a, Val v, int depth) {
  if (depth > 256)
    return NULL;
  switch ((ValTag)v.tag) {
  case VT_NULL: return cv_null();
  case VT_BOOL: return cv_bool(v.as.b);
  case VT_INT: return cv_int(a, v.as.i);
  case VT_FLOAT: return cv_float(a, v.as.f);
  case VT_STR:
    return v.as.s->len > CV_MAX_STRING ? NULL : cv_string(a, v.as.s->s, v.as.s->len);
  case VT_LIST: {
    if (v.as.l->n > CV_MAX_ITEMS)
      return NULL;
    const Value **items = arena_calloc(a, v.as.l->n ? v.as.l->n : 1, sizeof *items);
    for (uint32_t i = 0; i < v.as.l->n; i++)
      if (!(items[i] = from_val(a, v.as.l->items[i], depth + 1)))
        return NULL;
    return cv_list(a, items, v.as.l->n);
  }
  case VT_MAP: {
    if (v.as.m->n > CV_MAX_ITEMS)
      return NULL;
    ValField *fields = arena_calloc(a, v.as.m->n ? v.as.m->n : 1, sizeof *fields);
    for (uint32_t i = 0; i < v.as.m->n; i++) {
      /* the scratch runtime goes away: the key must live in the arena */
      fields[i].key = arena_strndup(a, v.as.m->e[i].key->s, v.as.m->e[i].key->len);
      fields[i].klen = v.as.m->e[i].key->len;
      if (!(fields[i].val = from_val(a, v.as.m->e[i].val, depth + 1)))
        return NULL;
    }
    return cv_record(a, fields, v.as.m->n);
  }
  default: return NULL;
  }
}

static void fold_call(Rt *rt, void *ud) {
  FoldCall *fc = ud;
  Val args[BI_MAX_PARAMS + 60];
  for (uint32_t i = 0; i < fc->n; i++)
    args[i] = to_val(rt, fc, fc->args[i], 0);
  fc->result = fc->fn(rt, args, fc->n);
}

CvStatus cv_call(Arena *a, BuiltinId id, const Value *const *args, uint32_t n,
                 const Value **out, const char **f) {
  const Builtin *b = bi_get(id);
  SlFn fn = sl_fn(id);
  /* Plan-time built-ins read files or the clock when the plan is made, and the secret
     marks of sensitive/nonsensitive are the checker's business, not a value's. */
  if (!b || !fn || (b->flags & (BF_PLAN | BF_SENSITIVE | BF_NONSENSITIVE)) ||
      n > BI_MAX_PARAMS + 60)
    return CV_UNKNOWN;
  Rt rt;
  rt_init(&rt, CV_FOLD_MEMORY);
  FoldCall fc = { fn, args, n, val_null(), NULL, NULL, 0, 0 };
  CvStatus st = CV_UNKNOWN;
  if (rt_protect(&rt, fold_call, &fc) == 0) {
    const Value *v = from_val(a, fc.result, 0);
    if (v) {
      *out = v;
      st = CV_OK;
    }
  } else if (!strstr(rt.errmsg, "is not implemented yet") &&
             !strstr(rt.errmsg, "memory limit exceeded")) {
    st = fault(f, arena_strdup(a, rt.errmsg));
  }
  rt_free(&rt);
  return st;
}
