/* Runtime values: the Rt (arena with a limit, interner, error unwinding), constructors,
 * marks, equality and order, string building, canonical JSON and Plat-syntax display.
 * Nothing here knows about bytecode or the graph; see vm/value.h for the model. */
#include "vm/value.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/source.h"

/* Values are built by non-recursive programs, but a chain of lets can still nest them
 * deeply (and jsondecode can read deep text): every recursive walk stops here. */
#define VAL_MAX_DEPTH 2048

/* ---- the runtime context ------------------------------------------------------------ */
void rt_init(Rt *rt, size_t limit) {
  memset(rt, 0, sizeof *rt);
  arena_init(&rt->arena);
  rt->limit = limit;
}

void rt_free(Rt *rt) {
  arena_free(&rt->arena);
  free(rt->itab);
  free(rt->ihash);
  rt->itab = NULL;
  rt->ihash = NULL;
  rt->icap = rt->icount = 0;
  rt->used = 0;
}

int rt_protect(Rt *rt, void (*fn)(Rt *rt, void *ud), void *ud) {
  jmp_buf jb;
  jmp_buf *volatile saved = rt->on_error;
  rt->on_error = &jb;
  if (setjmp(jb)) {
    rt->on_error = saved;
    return -1;
  }
  fn(rt, ud);
  rt->on_error = saved;
  return 0;
}

_Noreturn void rt_error(Rt *rt, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rt->errmsg, sizeof rt->errmsg, fmt, ap);
  va_end(ap);
  if (!rt->on_error) {
    /* A programming error in platc: there is no protected call to return to. */
    fprintf(stderr, "platc: internal error: runtime error outside rt_protect: %s\n", rt->errmsg);
    abort();
  }
  longjmp(*rt->on_error, 1);
}

void *rt_alloc(Rt *rt, size_t n) {
  if (rt->limit && (n > rt->limit || rt->used > rt->limit - n))
    rt_error(rt, "memory limit exceeded (%zu MiB): the program builds too much data",
             rt->limit >> 20);
  rt->used += n;
  return arena_alloc(&rt->arena, n);
}

/* ---- scalars and strings ------------------------------------------------------------ */
Val val_float(Rt *rt, double f) {
  if (!isfinite(f))
    rt_error(rt, "the result is not a finite number");
  Val v = { .tag = VT_FLOAT };
  v.as.f = f;
  return v;
}

uint32_t val_hash(const char *s, size_t n) {
  return intern_hash(s, n);
}

static VStr *str_new(Rt *rt, const char *s, size_t n, uint32_t hash) {
  if (n > UINT32_MAX - 1)
    rt_error(rt, "string too long (%zu bytes)", n);
  VStr *vs = rt_alloc(rt, sizeof *vs + n + 1);
  vs->len = (uint32_t)n;
  vs->hash = hash;
  if (n)
    memcpy(vs->s, s, n);
  vs->s[n] = '\0';
  return vs;
}

static Val str_val(VStr *s) {
  Val v = { .tag = VT_STR };
  v.as.s = s;
  return v;
}

Val val_str_checked(Rt *rt, const char *s, size_t n, const char *what) {
  size_t bad = utf8_check(s, n);
  if (bad < n)
    rt_error(rt, "%s is not valid UTF-8 (byte %zu)", what, bad);
  if (n && memchr(s, '\0', n))
    rt_error(rt, "%s contains a NUL character", what);
  return str_val(str_new(rt, s, n, val_hash(s, n)));
}

Val val_str(Rt *rt, const char *s, size_t n) {
  return val_str_checked(rt, s, n, "the string");
}

Val val_cstr(Rt *rt, const char *s) {
  return val_str(rt, s, strlen(s));
}

static void intern_resize(Rt *rt, uint32_t ncap) {
  /* malloc and memset, not calloc: probes read before writing (see plat_xzalloc) */
  VStr **slots = malloc(ncap * sizeof *slots);
  uint32_t *hashes = malloc(ncap * sizeof *hashes);
  if (!slots || !hashes) {
    free(slots);
    free(hashes);
    rt_error(rt, "out of memory");
  }
  memset(slots, 0, ncap * sizeof *slots);
  memset(hashes, 0, ncap * sizeof *hashes);
  for (uint32_t i = 0; i < rt->icap; i++) {
    VStr *s = rt->itab[i];
    if (!s)
      continue;
    uint32_t j = s->hash & (ncap - 1);
    while (slots[j])
      j = (j + 1) & (ncap - 1);
    slots[j] = s;
    hashes[j] = s->hash;
  }
  free(rt->itab);
  free(rt->ihash);
  rt->itab = slots;
  rt->ihash = hashes;
  rt->icap = ncap;
}

void val_intern_reserve(Rt *rt, uint32_t n) {
  uint32_t cap = rt->icap ? rt->icap : 256;
  while (cap < UINT32_MAX / 4 && cap / 2 <= rt->icount + n)
    cap *= 2;
  if (cap != rt->icap)
    intern_resize(rt, cap);
}

VStr *val_intern(Rt *rt, const char *s, size_t n) {
  /* val_hash is never 0 (intern_hash's contract), so 0 marks an empty slot. */
  uint32_t h = val_hash(s, n);
  if (rt->icount * 2 >= rt->icap)
    intern_resize(rt, rt->icap ? rt->icap * 2 : 256);
  uint32_t j = h & (rt->icap - 1);
  for (uint32_t eh; (eh = rt->ihash[j]); j = (j + 1) & (rt->icap - 1)) {
    VStr *e = rt->itab[j];
    if (eh == h && e->len == n && memcmp(e->s, s, n) == 0)
      return e;
  }
  VStr *vs = str_new(rt, s, n, h);
  vs->interned = true;
  rt->itab[j] = vs;
  rt->ihash[j] = h;
  rt->icount++;
  return vs;
}

/* ---- lists and maps ----------------------------------------------------------------- */
static uint8_t deep_of(Val v) {
  uint8_t d = 0;
  if (v.flags & VF_SECRET)
    d |= VD_SECRET;
  switch (v.tag) {
  case VT_UNKNOWN: d |= VD_UNKNOWN; break;
  case VT_LIST: d |= v.as.l->deep; break;
  case VT_MAP: d |= v.as.m->deep; break;
  default: break;
  }
  return d;
}

VList *val_list_new(Rt *rt, uint32_t n) {
  if (n > (UINT32_MAX - sizeof(VList)) / sizeof(Val))
    rt_error(rt, "list too long (%u items)", n);
  VList *l = rt_alloc(rt, sizeof *l + (size_t)n * sizeof(Val));
  l->n = n;
  return l;
}

Val val_list_done(VList *l) {
  uint8_t d = 0;
  for (uint32_t i = 0; i < l->n; i++)
    d |= deep_of(l->items[i]);
  l->deep = d;
  Val v = { .tag = VT_LIST };
  v.as.l = l;
  return v;
}

Val val_list_of(Rt *rt, const Val *items, uint32_t n) {
  VList *l = val_list_new(rt, n);
  if (n)
    memcpy(l->items, items, (size_t)n * sizeof(Val));
  return val_list_done(l);
}

void mb_init(MapBuilder *b, Rt *rt, uint32_t cap_hint) {
  b->rt = rt;
  b->n = 0;
  b->cap = cap_hint ? cap_hint : 4;
  b->e = rt_alloc(rt, (size_t)b->cap * sizeof *b->e);
}

void mb_put(MapBuilder *b, VStr *key, Val val) {
  if (b->n == b->cap) {
    if (b->cap > UINT32_MAX / 4)
      rt_error(b->rt, "map too large");
    uint32_t ncap = b->cap * 2;
    VEntry *ne = rt_alloc(b->rt, (size_t)ncap * sizeof *ne);
    memcpy(ne, b->e, (size_t)b->n * sizeof *ne);
    b->e = ne;
    b->cap = ncap;
  }
  b->e[b->n].key = key;
  b->e[b->n].val = val;
  b->n++;
}

void mb_put_cstr(MapBuilder *b, const char *key, Val val) {
  mb_put(b, val_intern(b->rt, key, strlen(key)), val);
}

static int key_cmp(const VStr *a, const VStr *b) {
  if (a == b)
    return 0;
  uint32_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->s, b->s, n);
  if (c)
    return c;
  return a->len < b->len ? -1 : a->len > b->len;
}

/* Sort entries by key, keeping insertion order among equal keys, so that the last one
 * wins below.  A merge sort: stable, O(n log n), no recursion on input size. */
static void sort_entries(Rt *rt, VEntry *e, uint32_t n) {
  if (n < 2)
    return;
  VEntry *tmp = rt_alloc(rt, (size_t)n * sizeof *tmp);
  for (uint32_t w = 1; w < n; w *= 2) {
    for (uint32_t lo = 0; lo < n; lo += 2 * w) {
      uint32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      uint32_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        tmp[k++] = key_cmp(e[j].key, e[i].key) < 0 ? e[j++] : e[i++];
      while (i < mid)
        tmp[k++] = e[i++];
      while (j < hi)
        tmp[k++] = e[j++];
    }
    memcpy(e, tmp, (size_t)n * sizeof *e);
    if (w > UINT32_MAX / 2)
      break;
  }
}

Val val_map_done(MapBuilder *b) {
  bool sorted = true;
  for (uint32_t i = 1; i < b->n && sorted; i++)
    sorted = key_cmp(b->e[i - 1].key, b->e[i].key) < 0;
  if (!sorted)
    sort_entries(b->rt, b->e, b->n);
  /* Keep the last of each run of equal keys. */
  uint32_t out = 0;
  for (uint32_t i = 0; i < b->n; i++) {
    if (i + 1 < b->n && key_cmp(b->e[i].key, b->e[i + 1].key) == 0)
      continue;
    b->e[out++] = b->e[i];
  }
  VMap *m = rt_alloc(b->rt, sizeof *m + (size_t)out * sizeof(VEntry));
  m->n = out;
  uint8_t d = 0;
  for (uint32_t i = 0; i < out; i++) {
    m->e[i] = b->e[i];
    d |= deep_of(b->e[i].val);
  }
  m->deep = d;
  Val v = { .tag = VT_MAP };
  v.as.m = m;
  return v;
}

const Val *val_map_get(const VMap *m, const char *key, size_t n) {
  uint32_t lo = 0, hi = m->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const VStr *k = m->e[mid].key;
    size_t cn = k->len < n ? k->len : n;
    int c = memcmp(k->s, key, cn);
    if (!c)
      c = k->len < n ? -1 : k->len > n;
    if (!c)
      return &m->e[mid].val;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* ---- unknowns ----------------------------------------------------------------------- */
static int ref_cmp(const VRef *a, const VRef *b) {
  if (a->node != b->node)
    return a->node < b->node ? -1 : 1;
  if (a->attr == b->attr)
    return 0;
  if (!a->attr)
    return -1;
  if (!b->attr)
    return 1;
  return key_cmp(a->attr, b->attr);
}

static int ref_qcmp(const void *a, const void *b) {
  return ref_cmp(a, b);
}

Val val_unknown(Rt *rt, const VRef *refs, uint32_t n) {
  if (n == 0 || n > (UINT32_MAX - sizeof(VUnknown)) / sizeof(VRef))
    rt_error(rt, "internal error: an unknown value must wait for 1 to 2^27 outputs, not %u", n);
  VUnknown *u = rt_alloc(rt, sizeof *u + (size_t)n * sizeof(VRef));
  memcpy(u->refs, refs, (size_t)n * sizeof(VRef));
  qsort(u->refs, n, sizeof(VRef), ref_qcmp);
  uint32_t out = 1;
  for (uint32_t i = 1; i < n; i++)
    if (ref_cmp(&u->refs[out - 1], &u->refs[i]) != 0)
      u->refs[out++] = u->refs[i];
  u->n = out;
  Val v = { .tag = VT_UNKNOWN };
  v.as.u = u;
  return v;
}

typedef struct RefVec {
  Rt *rt;
  VRef *r;
  uint32_t n, cap;
} RefVec;

static void collect_refs(RefVec *rv, Val v, int depth) {
  if (depth > VAL_MAX_DEPTH)
    rt_error(rv->rt, "value nested more than %d levels deep", VAL_MAX_DEPTH);
  switch (v.tag) {
  case VT_UNKNOWN:
    for (uint32_t i = 0; i < v.as.u->n; i++) {
      if (rv->n == rv->cap) {
        uint32_t ncap = rv->cap ? rv->cap * 2 : 8;
        VRef *nr = rt_alloc(rv->rt, (size_t)ncap * sizeof *nr);
        if (rv->n)
          memcpy(nr, rv->r, (size_t)rv->n * sizeof *nr);
        rv->r = nr;
        rv->cap = ncap;
      }
      rv->r[rv->n++] = v.as.u->refs[i];
    }
    break;
  case VT_LIST:
    if (v.as.l->deep & VD_UNKNOWN)
      for (uint32_t i = 0; i < v.as.l->n; i++)
        collect_refs(rv, v.as.l->items[i], depth + 1);
    break;
  case VT_MAP:
    if (v.as.m->deep & VD_UNKNOWN)
      for (uint32_t i = 0; i < v.as.m->n; i++)
        collect_refs(rv, v.as.m->e[i].val, depth + 1);
    break;
  default:
    break;
  }
}

Val val_unknown_of(Rt *rt, const Val *vals, uint32_t n) {
  RefVec rv = { .rt = rt };
  for (uint32_t i = 0; i < n; i++)
    collect_refs(&rv, vals[i], 0);
  if (rv.n == 0)
    rt_error(rt, "internal error: val_unknown_of on known values");
  return val_unknown(rt, rv.r, rv.n);
}

/* ---- marks -------------------------------------------------------------------------- */
bool val_has_secret(Val v) {
  return (deep_of(v) & VD_SECRET) != 0;
}

bool val_has_unknown(Val v) {
  return (deep_of(v) & VD_UNKNOWN) != 0;
}

static Val strip(Rt *rt, Val v, int depth) {
  if (depth > VAL_MAX_DEPTH)
    rt_error(rt, "value nested more than %d levels deep", VAL_MAX_DEPTH);
  v.flags &= (uint8_t)~VF_SECRET;
  if (v.tag == VT_LIST && (v.as.l->deep & VD_SECRET)) {
    VList *l = val_list_new(rt, v.as.l->n);
    for (uint32_t i = 0; i < l->n; i++)
      l->items[i] = strip(rt, v.as.l->items[i], depth + 1);
    return val_list_done(l);
  }
  if (v.tag == VT_MAP && (v.as.m->deep & VD_SECRET)) {
    MapBuilder b;
    mb_init(&b, rt, v.as.m->n);
    for (uint32_t i = 0; i < v.as.m->n; i++)
      mb_put(&b, v.as.m->e[i].key, strip(rt, v.as.m->e[i].val, depth + 1));
    return val_map_done(&b);
  }
  return v;
}

Val val_strip_secret(Rt *rt, Val v) {
  return strip(rt, v, 0);
}

/* ---- equality and order ------------------------------------------------------------- */
static bool str_eq(const VStr *a, const VStr *b) {
  if (a == b)
    return true;
  if (a->interned && b->interned)
    return false;
  return a->len == b->len && a->hash == b->hash && memcmp(a->s, b->s, a->len) == 0;
}

static bool equal(Val a, Val b, int depth) {
  if (depth > VAL_MAX_DEPTH)
    return false;
  if (a.tag == VT_INT && b.tag == VT_FLOAT)
    return (double)a.as.i == b.as.f;
  if (a.tag == VT_FLOAT && b.tag == VT_INT)
    return a.as.f == (double)b.as.i;
  if (a.tag != b.tag)
    return false;
  switch ((ValTag)a.tag) {
  case VT_NULL: return true;
  case VT_BOOL: return a.as.b == b.as.b;
  case VT_INT: return a.as.i == b.as.i;
  case VT_FLOAT: return a.as.f == b.as.f;
  case VT_STR: return str_eq(a.as.s, b.as.s);
  case VT_RES: return a.node == b.node;
  case VT_LIST:
    if (a.as.l == b.as.l)
      return true;      /* shared parts: a value built from another twice */
    if (a.as.l->n != b.as.l->n)
      return false;
    for (uint32_t i = 0; i < a.as.l->n; i++)
      if (!equal(a.as.l->items[i], b.as.l->items[i], depth + 1))
        return false;
    return true;
  case VT_MAP:
    if (a.as.m == b.as.m)
      return true;
    if (a.as.m->n != b.as.m->n)
      return false;
    for (uint32_t i = 0; i < a.as.m->n; i++)
      if (!str_eq(a.as.m->e[i].key, b.as.m->e[i].key) ||
          !equal(a.as.m->e[i].val, b.as.m->e[i].val, depth + 1))
        return false;
    return true;
  case VT_UNKNOWN:
    if (a.as.u->n != b.as.u->n)
      return false;
    for (uint32_t i = 0; i < a.as.u->n; i++)
      if (ref_cmp(&a.as.u->refs[i], &b.as.u->refs[i]) != 0)
        return false;
    return true;
  }
  return false;
}

bool val_equal(Val a, Val b) {
  return equal(a, b, 0);
}

static int rank(ValTag t) {
  switch (t) {
  case VT_NULL: return 0;
  case VT_BOOL: return 1;
  case VT_INT: case VT_FLOAT: return 2;
  case VT_STR: return 3;
  case VT_LIST: return 4;
  case VT_MAP: return 5;
  case VT_RES: return 6;
  case VT_UNKNOWN: return 7;
  }
  return 8;
}

static int num_cmp(Val a, Val b) {
  if (a.tag == VT_INT && b.tag == VT_INT)
    return a.as.i < b.as.i ? -1 : a.as.i > b.as.i;
  double x = a.tag == VT_INT ? (double)a.as.i : a.as.f;
  double y = b.tag == VT_INT ? (double)b.as.i : b.as.f;
  if (x < y)
    return -1;
  if (x > y)
    return 1;
  /* Equal as doubles: order an int before an equal float, so the order is total. */
  return (a.tag == VT_FLOAT) - (b.tag == VT_FLOAT);
}

static int compare(Val a, Val b, int depth) {
  int ra = rank(a.tag), rb = rank(b.tag);
  if (ra != rb)
    return ra < rb ? -1 : 1;
  if (depth > VAL_MAX_DEPTH)
    return 0;
  switch ((ValTag)a.tag) {
  case VT_NULL: return 0;
  case VT_BOOL: return (int)a.as.b - (int)b.as.b;
  case VT_INT: case VT_FLOAT: return num_cmp(a, b);
  case VT_STR: return key_cmp(a.as.s, b.as.s);
  case VT_RES: return a.node < b.node ? -1 : a.node > b.node;
  case VT_LIST: {
    uint32_t n = a.as.l->n < b.as.l->n ? a.as.l->n : b.as.l->n;
    for (uint32_t i = 0; i < n; i++) {
      int c = compare(a.as.l->items[i], b.as.l->items[i], depth + 1);
      if (c)
        return c;
    }
    return a.as.l->n < b.as.l->n ? -1 : a.as.l->n > b.as.l->n;
  }
  case VT_MAP: {
    uint32_t n = a.as.m->n < b.as.m->n ? a.as.m->n : b.as.m->n;
    for (uint32_t i = 0; i < n; i++) {
      int c = key_cmp(a.as.m->e[i].key, b.as.m->e[i].key);
      if (!c)
        c = compare(a.as.m->e[i].val, b.as.m->e[i].val, depth + 1);
      if (c)
        return c;
    }
    return a.as.m->n < b.as.m->n ? -1 : a.as.m->n > b.as.m->n;
  }
  case VT_UNKNOWN: {
    uint32_t n = a.as.u->n < b.as.u->n ? a.as.u->n : b.as.u->n;
    for (uint32_t i = 0; i < n; i++) {
      int c = ref_cmp(&a.as.u->refs[i], &b.as.u->refs[i]);
      if (c)
        return c;
    }
    return a.as.u->n < b.as.u->n ? -1 : a.as.u->n > b.as.u->n;
  }
  }
  return 0;
}

int val_compare(Val a, Val b) {
  return compare(a, b, 0);
}

const char *val_type_name(Val v) {
  switch ((ValTag)v.tag) {
  case VT_NULL: return "null";
  case VT_BOOL: return "bool";
  case VT_INT: return "int";
  case VT_FLOAT: return "float";
  case VT_STR: return "string";
  case VT_LIST: return "list";
  case VT_MAP: return "map";
  case VT_RES: return "resource";
  case VT_UNKNOWN: return "unknown";
  }
  return "?";
}

/* ---- string building ---------------------------------------------------------------- */
void sb_init(SBuf *b, Rt *rt) {
  b->rt = rt;
  b->p = NULL;
  b->len = b->cap = 0;
}

static void sb_reserve(SBuf *b, size_t more) {
  if (more > UINT32_MAX - 1 - b->len)
    rt_error(b->rt, "string too long");
  size_t need = (size_t)b->len + more + 1;
  if (need <= b->cap)
    return;
  size_t ncap = b->cap ? b->cap : 64;
  while (ncap < need)
    ncap *= 2;
  if (ncap > UINT32_MAX)
    ncap = UINT32_MAX;
  char *np = rt_alloc(b->rt, ncap);
  if (b->len)
    memcpy(np, b->p, b->len);
  b->p = np;
  b->cap = (uint32_t)ncap;
}

void sb_add(SBuf *b, const char *s, size_t n) {
  if (!n)
    return;
  sb_reserve(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += (uint32_t)n;
  b->p[b->len] = '\0';
}

void sb_addc(SBuf *b, char c) {
  sb_reserve(b, 1);
  b->p[b->len++] = c;
  b->p[b->len] = '\0';
}

void sb_adds(SBuf *b, const char *s) {
  sb_add(b, s, strlen(s));
}

void sb_addf(SBuf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0)
    rt_error(b->rt, "internal error: bad format");
  if ((size_t)n < sizeof small) {
    sb_add(b, small, (size_t)n);
    return;
  }
  sb_reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (uint32_t)n;
}

Val sb_val(SBuf *b, bool trusted) {
  const char *p = b->p ? b->p : "";
  if (!trusted)
    return val_str(b->rt, p, b->len);
  return str_val(str_new(b->rt, p, b->len, val_hash(p, b->len)));
}

/* ---- JSON and display --------------------------------------------------------------- */
/* The shortest %.*g text that reads back to exactly [f], with ".0" when it would read as
 * an integer, so a float stays a float through JSON. */
static void add_float(SBuf *b, double f) {
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, f);
    if (strtod(buf, NULL) == f)
      break;
  }
  sb_adds(b, buf);
  if (!strpbrk(buf, ".eEn"))
    sb_adds(b, ".0");
}

static void json_string(SBuf *b, const char *s, size_t n) {
  sb_addc(b, '"');
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    char ubuf[8];
    switch (c) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    default:
      if (c < 0x20 || c == 0x7f) {
        snprintf(ubuf, sizeof ubuf, "\\u%04x", c);
        esc = ubuf;
      }
    }
    if (!esc)
      continue;
    sb_add(b, s + run, i - run);
    sb_adds(b, esc);
    run = i + 1;
  }
  sb_add(b, s + run, n - run);
  sb_addc(b, '"');
}

static void write_json(SBuf *b, Val v, int depth) {
  if (depth > VAL_MAX_DEPTH)
    rt_error(b->rt, "value nested more than %d levels deep", VAL_MAX_DEPTH);
  switch ((ValTag)v.tag) {
  case VT_NULL: sb_adds(b, "null"); return;
  case VT_BOOL: sb_adds(b, v.as.b ? "true" : "false"); return;
  case VT_INT: sb_addf(b, "%lld", (long long)v.as.i); return;
  case VT_FLOAT: add_float(b, v.as.f); return;
  case VT_STR: json_string(b, v.as.s->s, v.as.s->len); return;
  case VT_LIST:
    sb_addc(b, '[');
    for (uint32_t i = 0; i < v.as.l->n; i++) {
      if (i)
        sb_addc(b, ',');
      write_json(b, v.as.l->items[i], depth + 1);
    }
    sb_addc(b, ']');
    return;
  case VT_MAP:
    sb_addc(b, '{');
    for (uint32_t i = 0; i < v.as.m->n; i++) {
      if (i)
        sb_addc(b, ',');
      json_string(b, v.as.m->e[i].key->s, v.as.m->e[i].key->len);
      sb_addc(b, ':');
      write_json(b, v.as.m->e[i].val, depth + 1);
    }
    sb_addc(b, '}');
    return;
  case VT_RES:
    rt_error(b->rt, "a resource cannot be converted to JSON");
  case VT_UNKNOWN:
    rt_error(b->rt, "a value known only after deploy cannot be converted to JSON yet");
  }
}

void val_write_json(SBuf *b, Val v) {
  write_json(b, v, 0);
}

static bool is_ident(const VStr *s) {
  if (s->len == 0 || !((s->s[0] >= 'a' && s->s[0] <= 'z') || (s->s[0] >= 'A' && s->s[0] <= 'Z') ||
                       s->s[0] == '_'))
    return false;
  for (uint32_t i = 1; i < s->len; i++) {
    char c = s->s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

static void show_string(SBuf *b, const char *s, size_t n) {
  sb_addc(b, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': sb_adds(b, "\\\""); break;
    case '\\': sb_adds(b, "\\\\"); break;
    case '\n': sb_adds(b, "\\n"); break;
    case '\r': sb_adds(b, "\\r"); break;
    case '\t': sb_adds(b, "\\t"); break;
    case '$':
      if (i + 1 < n && s[i + 1] == '{')
        sb_adds(b, "\\$");
      else
        sb_addc(b, '$');
      break;
    default:
      if (c < 0x20 || c == 0x7f)
        sb_addf(b, "\\u{%x}", c);
      else
        sb_addc(b, (char)c);
    }
  }
  sb_addc(b, '"');
}

static void show(SBuf *b, Val v, uint32_t max, int depth) {
  if (b->len > max)
    return;
  if (v.flags & VF_SECRET) {
    sb_adds(b, "[secret]");
    return;
  }
  if (depth > 64) {
    sb_adds(b, "...");
    return;
  }
  switch ((ValTag)v.tag) {
  case VT_NULL: sb_adds(b, "null"); return;
  case VT_BOOL: sb_adds(b, v.as.b ? "true" : "false"); return;
  case VT_INT: sb_addf(b, "%lld", (long long)v.as.i); return;
  case VT_FLOAT: add_float(b, v.as.f); return;
  case VT_STR: show_string(b, v.as.s->s, v.as.s->len); return;
  case VT_LIST:
    sb_addc(b, '[');
    for (uint32_t i = 0; i < v.as.l->n && b->len <= max; i++) {
      if (i)
        sb_adds(b, ", ");
      show(b, v.as.l->items[i], max, depth + 1);
    }
    sb_addc(b, ']');
    return;
  case VT_MAP:
    if (v.as.m->n == 0) {
      sb_adds(b, "{}");
      return;
    }
    sb_adds(b, "{ ");
    for (uint32_t i = 0; i < v.as.m->n && b->len <= max; i++) {
      if (i)
        sb_adds(b, ", ");
      const VStr *k = v.as.m->e[i].key;
      if (is_ident(k))
        sb_add(b, k->s, k->len);
      else
        show_string(b, k->s, k->len);
      sb_adds(b, " = ");
      show(b, v.as.m->e[i].val, max, depth + 1);
    }
    sb_adds(b, " }");
    return;
  case VT_RES: sb_addf(b, "<resource #%u>", v.node); return;
  case VT_UNKNOWN: sb_adds(b, "(known after deploy)"); return;
  }
}

void val_show(SBuf *b, Val v, uint32_t max) {
  uint32_t start = b->len;
  show(b, v, start + max, 0);
  if (b->len - start > max) {
    /* Cut on a UTF-8 boundary, then mark the cut. */
    uint32_t cut = start + max;
    while (cut > start && ((unsigned char)b->p[cut] & 0xC0) == 0x80)
      cut--;
    b->len = cut;
    b->p[cut] = '\0';
    sb_adds(b, "...");
  }
}
