/* Constant folding: the value algebra behind compile-time refinement checks and E0309
 * (see consteval.h).  Pure functions over immutable arena values; the checker decides
 * when an expression is constant and calls in here bottom-up.  Built-ins not folded here
 * are "unknown" at compile time and left to the VM. */
#include "compiler/consteval.h"

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
typedef struct Buf { char *s; size_t n, cap; } Buf;

static void put(Buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    while (b->n + n + 1 > b->cap) b->cap = b->cap ? b->cap * 2 : 64;
    b->s = plat_xrealloc(b->s, b->cap);
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = 0;
}
static void puts_(Buf *b, const char *s) { put(b, s, strlen(s)); }

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

/* ---- built-ins ------------------------------------------------------------------------ */
static bool all_ascii(const Value *s) {
  for (uint32_t i = 0; i < s->n; i++)
    if ((unsigned char)s->u.s[i] >= 0x80) return false;
  return true;
}

static uint32_t utf8_len(const Value *s) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < s->n; i++) n += ((unsigned char)s->u.s[i] & 0xC0) != 0x80;
  return n;
}

static bool has_prefix(const Value *s, const Value *p) {
  return p->n <= s->n && memcmp(s->u.s, p->u.s, p->n) == 0;
}
static bool has_suffix(const Value *s, const Value *p) {
  return p->n <= s->n && memcmp(s->u.s + s->n - p->n, p->u.s, p->n) == 0;
}

static bool has_substr(const Value *s, const Value *sub) {
  if (sub->n == 0) return true;
  for (uint32_t i = 0; i + sub->n <= s->n; i++)
    if (memcmp(s->u.s + i, sub->u.s, sub->n) == 0) return true;
  return false;
}

static int cmp_fields(const void *x, const void *y) {
  const ValField *a = x, *b = y;
  return cmp_bytes(a->key, a->klen, b->key, b->klen);
}

/* A record's fields sorted by key (keys() and values() are in key order). */
static ValField *sorted_fields(Arena *a, const Value *rec) {
  ValField *fs = arena_calloc(a, rec->n ? rec->n : 1, sizeof *fs);
  if (rec->n) memcpy(fs, rec->u.fields, rec->n * sizeof *fs);
  qsort(fs, rec->n, sizeof *fs, cmp_fields);
  return fs;
}

/* The position of [v] in [list]: -1 absent, -2 unknown (budget spent). */
static int64_t list_find(const Value *list, const Value *v, uint32_t *steps) {
  for (uint32_t i = 0; i < list->n; i++) {
    int r = equal_steps(list->u.items[i], v, steps);
    if (r < 0) return -2;
    if (r == 1) return i;
  }
  return -1;
}

/* Builds a string in a malloc'd buffer capped at CV_MAX_STRING. */
typedef struct SB { Buf b; bool over; } SB;
static void sb_put(SB *sb, const char *s, size_t n) {
  if (sb->over || sb->b.n + n > CV_MAX_STRING) { sb->over = true; return; }
  put(&sb->b, s, n);
}
static CvStatus sb_finish(Arena *a, SB *sb, const Value **out) {
  if (sb->over) { free(sb->b.s); return CV_UNKNOWN; }
  *out = cv_string(a, sb->b.s ? sb->b.s : "", (uint32_t)sb->b.n);
  free(sb->b.s);
  return CV_OK;
}

/* The text of a primitive value as string interpolation and tostring() print it. */
static bool prim_text(const Value *v, SB *sb) {
  char tmp[64];
  switch (v->kind) {
  case V_STRING: sb_put(sb, v->u.s, v->n); return true;
  case V_INT: snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i); sb_put(sb, tmp, strlen(tmp)); return true;
  case V_FLOAT: fmt_float(v->u.f, tmp, sizeof tmp); sb_put(sb, tmp, strlen(tmp)); return true;
  case V_BOOL: sb_put(sb, v->u.b ? "true" : "false", v->u.b ? 4 : 5); return true;
  default: return false;
  }
}

static CvStatus fold_format(Arena *a, const Value *const *args, uint32_t n, const Value **out) {
  const Value *spec = args[0];
  if (spec->kind != V_STRING) return CV_UNKNOWN;
  SB sb = {0};
  uint32_t next = 1;
  for (uint32_t i = 0; i < spec->n; i++) {
    char c = spec->u.s[i];
    if (c != '%') { sb_put(&sb, &c, 1); continue; }
    if (++i >= spec->n) { free(sb.b.s); return CV_UNKNOWN; }
    char v = spec->u.s[i];
    if (v == '%') { sb_put(&sb, "%", 1); continue; }
    if ((v != 's' && v != 'd' && v != 'v') || next >= n) { free(sb.b.s); return CV_UNKNOWN; }
    const Value *arg = args[next++];
    if (v == 'd' && arg->kind != V_INT) { free(sb.b.s); return CV_UNKNOWN; }
    if (!prim_text(arg, &sb)) { free(sb.b.s); return CV_UNKNOWN; }
  }
  return sb_finish(a, &sb, out);
}

CvStatus cv_call(Arena *a, BuiltinId id, const Value *const *args, uint32_t n,
                 const Value **out, const char **f) {
  const Value *x = n > 0 ? args[0] : NULL, *y = n > 1 ? args[1] : NULL;
  const Value *z = n > 2 ? args[2] : NULL;
#define NEED(cond) do { if (!(cond)) return CV_UNKNOWN; } while (0)
#define STR(v) ((v) && (v)->kind == V_STRING)
#define LIST(v) ((v) && (v)->kind == V_LIST)
#define REC(v) ((v) && (v)->kind == V_RECORD)
  switch (id) {
  case BI_abs:
    NEED(x && is_num(x));
    if (x->kind == V_FLOAT) { *out = cv_float(a, fabs(x->u.f)); return CV_OK; }
    if (x->u.i == INT64_MIN) return fault(f, "integer overflow");
    *out = cv_int(a, x->u.i < 0 ? -x->u.i : x->u.i);
    return CV_OK;
  case BI_ceil: case BI_floor: {
    NEED(x && is_num(x));
    double d = id == BI_ceil ? ceil(num(x)) : floor(num(x));
    if (!(d >= -9.2233720368547758e18 && d < 9.2233720368547758e18))
      return fault(f, "integer overflow");
    *out = cv_int(a, (int64_t)d);
    return CV_OK;
  }
  case BI_signum:
    NEED(x && is_num(x));
    *out = cv_int(a, num(x) > 0 ? 1 : num(x) < 0 ? -1 : 0);
    return CV_OK;
  case BI_max: case BI_min: {
    NEED(n > 0);
    const Value *best = NULL;
    bool anyfloat = false;
    for (uint32_t i = 0; i < n; i++) {
      NEED(is_num(args[i]));
      anyfloat |= args[i]->kind == V_FLOAT;
      if (!best || (id == BI_max ? num(args[i]) > num(best) : num(args[i]) < num(best)))
        best = args[i];
    }
    *out = anyfloat && best->kind == V_INT ? cv_float(a, num(best)) : best;
    return CV_OK;
  }
  case BI_lower: case BI_upper: {
    NEED(STR(x) && all_ascii(x));
    char *s = arena_strndup(a, x->u.s, x->n);
    for (uint32_t i = 0; i < x->n; i++) {
      if (id == BI_lower && s[i] >= 'A' && s[i] <= 'Z') s[i] = (char)(s[i] + 32);
      if (id == BI_upper && s[i] >= 'a' && s[i] <= 'z') s[i] = (char)(s[i] - 32);
    }
    Value *v = arena_alloc(a, sizeof *v);
    v->kind = V_STRING;
    v->n = x->n;
    v->u.s = s;
    *out = v;
    return CV_OK;
  }
  case BI_startswith: NEED(STR(x) && STR(y)); *out = cv_bool(has_prefix(x, y)); return CV_OK;
  case BI_endswith: NEED(STR(x) && STR(y)); *out = cv_bool(has_suffix(x, y)); return CV_OK;
  case BI_strcontains:
    NEED(STR(x) && STR(y));
    *out = cv_bool(has_substr(x, y));
    return CV_OK;
  case BI_trimprefix: case BI_trimsuffix: {
    NEED(STR(x) && STR(y));
    if (id == BI_trimprefix && has_prefix(x, y)) *out = cv_string(a, x->u.s + y->n, x->n - y->n);
    else if (id == BI_trimsuffix && has_suffix(x, y)) *out = cv_string(a, x->u.s, x->n - y->n);
    else *out = x;
    return CV_OK;
  }
  case BI_trimspace: case BI_chomp: {
    NEED(STR(x));
    uint32_t s = 0, e = x->n;
    if (id == BI_trimspace)
      while (s < e && strchr(" \t\r\n", x->u.s[s])) s++;
    while (e > s && strchr(id == BI_chomp ? "\r\n" : " \t\r\n", x->u.s[e - 1])) e--;
    *out = cv_string(a, x->u.s + s, e - s);
    return CV_OK;
  }
  case BI_length:
    NEED(x);
    if (x->kind == V_STRING) *out = cv_int(a, utf8_len(x));
    else if (x->kind == V_LIST || x->kind == V_RECORD) *out = cv_int(a, x->n);
    else return CV_UNKNOWN;
    return CV_OK;
  case BI_join: {
    NEED(STR(x) && LIST(y));
    SB sb = {0};
    for (uint32_t i = 0; i < y->n; i++) {
      if (y->u.items[i]->kind != V_STRING) { free(sb.b.s); return CV_UNKNOWN; }
      if (i) sb_put(&sb, x->u.s, x->n);
      sb_put(&sb, y->u.items[i]->u.s, y->u.items[i]->n);
    }
    return sb_finish(a, &sb, out);
  }
  case BI_split: {
    NEED(STR(x) && STR(y) && x->n > 0);
    const Value **items = NULL;
    uint32_t cnt = 0, cap = 0, start = 0;
    for (uint32_t i = 0; i <= y->n; i++) {
      bool at_sep = i + x->n <= y->n && memcmp(y->u.s + i, x->u.s, x->n) == 0;
      if (!at_sep && i < y->n) continue;
      if (cnt == cap) {
        if (cap >= CV_MAX_ITEMS) { free(items); return CV_UNKNOWN; }
        cap = cap ? cap * 2 : 8;
        items = plat_xrealloc(items, cap * sizeof *items);
      }
      items[cnt++] = cv_string(a, y->u.s + start, i - start);
      if (at_sep) { i += x->n - 1; start = i + 1; }
      if (i >= y->n) break;
    }
    *out = cv_list(a, items, cnt);
    free(items);
    return CV_OK;
  }
  case BI_replace: {
    NEED(STR(x) && STR(y) && STR(z) && y->n > 0);
    SB sb = {0};
    for (uint32_t i = 0; i < x->n;) {
      if (i + y->n <= x->n && memcmp(x->u.s + i, y->u.s, y->n) == 0) {
        sb_put(&sb, z->u.s, z->n);
        i += y->n;
      } else {
        sb_put(&sb, x->u.s + i, 1);
        i++;
      }
    }
    return sb_finish(a, &sb, out);
  }
  case BI_strrev: {
    NEED(STR(x) && all_ascii(x));
    char *s = arena_alloc(a, x->n + 1);
    for (uint32_t i = 0; i < x->n; i++) s[i] = x->u.s[x->n - 1 - i];
    Value *v = arena_alloc(a, sizeof *v);
    v->kind = V_STRING;
    v->n = x->n;
    v->u.s = s;
    *out = v;
    return CV_OK;
  }
  case BI_substr: {
    NEED(STR(x) && all_ascii(x) && y && y->kind == V_INT && z && z->kind == V_INT);
    int64_t off = y->u.i, len = z->u.i;
    NEED(off >= 0 && off <= (int64_t)x->n && len >= -1);
    if (len == -1 || off + len > (int64_t)x->n) len = (int64_t)x->n - off;
    *out = cv_string(a, x->u.s + off, (uint32_t)len);
    return CV_OK;
  }
  case BI_format: NEED(n >= 1); return fold_format(a, args, n, out);
  case BI_tostring: {
    NEED(x);
    if (x->kind == V_STRING) { *out = x; return CV_OK; }
    SB sb = {0};
    if (!prim_text(x, &sb)) { free(sb.b.s); return CV_UNKNOWN; }
    return sb_finish(a, &sb, out);
  }
  case BI_tobool:
    NEED(x);
    if (x->kind == V_BOOL) { *out = x; return CV_OK; }
    NEED(STR(x));
    if (x->n == 4 && memcmp(x->u.s, "true", 4) == 0) { *out = cv_bool(true); return CV_OK; }
    if (x->n == 5 && memcmp(x->u.s, "false", 5) == 0) { *out = cv_bool(false); return CV_OK; }
    return fault(f, "tobool: the string is neither \"true\" nor \"false\"");
  case BI_tonumber: {
    NEED(x);
    if (is_num(x)) { *out = cv_float(a, num(x)); return CV_OK; }
    NEED(STR(x));
    char *end;
    double d = strtod(x->u.s, &end);
    if (x->n == 0 || end != x->u.s + x->n) return fault(f, "tonumber: the string is not a number");
    return float_result(a, d, out, f);
  }
  case BI_keys: case BI_values: {
    NEED(REC(x));
    ValField *fs = sorted_fields(a, x);
    const Value **items = arena_calloc(a, x->n ? x->n : 1, sizeof *items);
    for (uint32_t i = 0; i < x->n; i++)
      items[i] = id == BI_keys ? cv_string(a, fs[i].key, fs[i].klen) : fs[i].val;
    *out = cv_list(a, items, x->n);
    return CV_OK;
  }
  case BI_lookup: {
    NEED(REC(x) && STR(y) && z);
    const Value *v = cv_member(x, y->u.s, y->n);
    *out = v ? v : z;
    return CV_OK;
  }
  case BI_contains: case BI_index: {
    NEED(LIST(x) && y);
    uint32_t steps = 0;
    int64_t at = list_find(x, y, &steps);
    NEED(at != -2);
    if (id == BI_contains) { *out = cv_bool(at >= 0); return CV_OK; }
    if (at < 0) return fault(f, "index: the value is not in the list");
    *out = cv_int(a, at);
    return CV_OK;
  }
  case BI_element:
    NEED(LIST(x) && y && y->kind == V_INT);
    if (x->n == 0) return fault(f, "element: the list is empty");
    if (y->u.i < 0) return fault(f, "element: negative index");
    *out = x->u.items[(uint64_t)y->u.i % x->n];
    return CV_OK;
  case BI_concat: case BI_flatten: {
    const Value *const *lists = id == BI_concat ? args : (LIST(x) ? x->u.items : NULL);
    uint32_t nl = id == BI_concat ? n : (LIST(x) ? x->n : 0);
    NEED(lists || nl == 0);
    uint64_t total = 0;
    for (uint32_t i = 0; i < nl; i++) { NEED(LIST(lists[i])); total += lists[i]->n; }
    NEED(total <= CV_MAX_ITEMS);
    const Value **items = arena_calloc(a, total ? total : 1, sizeof *items);
    uint32_t k = 0;
    for (uint32_t i = 0; i < nl; i++)
      for (uint32_t j = 0; j < lists[i]->n; j++) items[k++] = lists[i]->u.items[j];
    *out = cv_list(a, items, k);
    return CV_OK;
  }
  case BI_distinct: case BI_reverse: {
    NEED(LIST(x));
    const Value **items = arena_calloc(a, x->n ? x->n : 1, sizeof *items);
    uint32_t k = 0, steps = 0;
    for (uint32_t i = 0; i < x->n; i++) {
      if (id == BI_reverse) { items[k++] = x->u.items[x->n - 1 - i]; continue; }
      int seen = 0;
      for (uint32_t j = 0; j < k && !seen; j++) seen = equal_steps(items[j], x->u.items[i], &steps);
      NEED(seen >= 0);
      if (!seen) items[k++] = x->u.items[i];
    }
    *out = cv_list(a, items, k);
    return CV_OK;
  }
  case BI_range: {
    NEED(x && x->kind == V_INT && (!y || y->kind == V_INT) && (!z || z->kind == V_INT));
    int64_t start = y ? x->u.i : 0, limit = y ? y->u.i : x->u.i, step = z ? z->u.i : 1;
    if (step == 0) return fault(f, "range: step is zero");
    const Value **items = NULL;
    uint32_t k = 0;
    for (int64_t i = start; step > 0 ? i < limit : i > limit;) {
      if (k >= CV_MAX_ITEMS) { free(items); return CV_UNKNOWN; }
      if (k % 64 == 0) items = plat_xrealloc(items, (k + 64) * sizeof *items);
      items[k++] = cv_int(a, i);
      if (__builtin_add_overflow(i, step, &i)) break;
    }
    *out = cv_list(a, items, k);
    free(items);
    return CV_OK;
  }
  case BI_alltrue: case BI_anytrue: {
    NEED(LIST(x));
    bool acc = id == BI_alltrue;
    for (uint32_t i = 0; i < x->n; i++) {
      NEED(x->u.items[i]->kind == V_BOOL);
      if (id == BI_alltrue) acc = acc && x->u.items[i]->u.b;
      else acc = acc || x->u.items[i]->u.b;
    }
    *out = cv_bool(acc);
    return CV_OK;
  }
  case BI_sum: {
    NEED(LIST(x));
    if (x->n == 0) return fault(f, "sum: the list is empty");
    const Value *acc = x->u.items[0];
    for (uint32_t i = 1; i < x->n; i++) {
      CvStatus st = cv_binary(a, BIN_ADD, acc, x->u.items[i], &acc, f);
      if (st != CV_OK) return st;
    }
    NEED(is_num(acc));
    *out = acc;
    return CV_OK;
  }
  case BI_coalesce:
    for (uint32_t i = 0; i < n; i++)
      if (args[i]->kind != V_NULL && !(args[i]->kind == V_STRING && args[i]->n == 0)) {
        *out = args[i];
        return CV_OK;
      }
    return fault(f, "coalesce: no non-null, non-empty argument");
  case BI_merge: {
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) { NEED(REC(args[i])); total += args[i]->n; }
    NEED(total <= CV_MAX_ITEMS);
    ValField *fs = arena_calloc(a, total ? total : 1, sizeof *fs);
    uint32_t k = 0;
    uint64_t steps = 0;
    for (uint32_t i = 0; i < n; i++)
      for (uint32_t j = 0; j < args[i]->n; j++) {
        const ValField *src = &args[i]->u.fields[j];
        uint32_t m = 0;
        steps += k;
        NEED(steps <= CV_MAX_STEPS);
        while (m < k && !(fs[m].klen == src->klen && memcmp(fs[m].key, src->key, src->klen) == 0)) m++;
        fs[m] = *src;
        if (m == k) k++;
      }
    *out = cv_record(a, fs, k);
    return CV_OK;
  }
  case BI_sensitive: case BI_nonsensitive: NEED(x); *out = x; return CV_OK;
  default: return CV_UNKNOWN;
  }
#undef NEED
#undef STR
#undef LIST
#undef REC
}
