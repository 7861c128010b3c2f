/* The resource graph: the builder the VM fills (graph_add, graph_finish), the lookup by
 * address, and the three writers of docs/graph.md — JSON for the planner and for diffs,
 * Graphviz dot and Mermaid for people.  Every writer walks nodes in address order (fixed
 * by graph_finish) and never a hash table, so the same graph gives the same bytes.  The
 * JSON writer streams through one fixed buffer (no tree: 300,000 resources must cost time
 * and memory in proportion to the output only).  Nothing here evaluates Plat. */
#include "vm/graph.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- building ----------------------------------------------------------------------- */
void graph_init(Graph *g, Rt *rt) {
  memset(g, 0, sizeof *g);
  g->rt = rt;
  g->outputs = val_null();
}

void graph_free(Graph *g) {
  free(g->nodes);
  free(g->policies);
  free(g->moved);
  g->nodes = NULL;
  g->policies = NULL;
  g->moved = NULL;
  g->nnodes = g->capnodes = g->npolicies = g->cappolicies = g->nmoved = g->capmoved = 0;
}

/* Grow *[p] (of [cap] items of [size]) so that one more fits. */
static void *grow(void *p, uint32_t *cap, size_t size) {
  uint32_t nc = *cap ? *cap * 2 : 64;
  if (nc <= *cap) {
    fprintf(stderr, "platc: internal error: graph too large\n");
    abort();
  }
  *cap = nc;
  return plat_xrealloc(p, (size_t)nc * size);
}

static uint32_t *copy_u32(Rt *rt, const uint32_t *a, uint32_t n) {
  if (!n || !a) return NULL;
  uint32_t *c = rt_alloc(rt, (size_t)n * sizeof *c);
  memcpy(c, a, (size_t)n * sizeof *c);
  return c;
}

uint32_t graph_add(Graph *g, const GNode *n) {
  if (g->nnodes == g->capnodes) g->nodes = grow(g->nodes, &g->capnodes, sizeof *g->nodes);
  GNode *d = &g->nodes[g->nnodes];
  *d = *n;
  size_t len = n->addr ? strlen(n->addr) : 0;
  d->addrlen = len < UINT32_MAX ? (uint32_t)len : UINT32_MAX;   /* UINT32_MAX: measure again */
  /* copies, because graph_finish renumbers and sorts them in place */
  d->deps = copy_u32(g->rt, n->deps, n->ndeps);
  if (!d->deps) d->ndeps = 0;
  d->explicit_deps = copy_u32(g->rt, n->explicit_deps, n->nexplicit);
  if (!d->explicit_deps) d->nexplicit = 0;
  return g->nnodes++;
}

void graph_add_policy(Graph *g, const PolicyResult *r) {
  if (g->npolicies == g->cappolicies)
    g->policies = grow(g->policies, &g->cappolicies, sizeof *g->policies);
  g->policies[g->npolicies++] = *r;
}

void graph_add_moved(Graph *g, const GMoved *m) {
  if (g->nmoved == g->capmoved) g->moved = grow(g->moved, &g->capmoved, sizeof *g->moved);
  g->moved[g->nmoved++] = *m;
}

/* ---- finishing: sort by address, renumber ------------------------------------------- */
/* Addresses share long prefixes (services["svc1"].role, services["svc10"].db, ...), so a
 * comparison sort spends its time in strcmp over the same bytes again and again.  This is
 * a multikey quicksort (Bentley and Sedgewick) on 8-byte chunks: each element caches the
 * chunk of its address at the current depth, partitions compare integers, and a group
 * that agrees on its chunk moves 8 bytes deeper, so each byte is read about once.  The
 * order is exactly strcmp's, equal addresses in the VM's order. */
typedef struct AddrKey {
  uint64_t chunk;        /* bytes [depth, depth + 8) big-endian, zeros past the end */
  const char *addr;
  size_t len;
  uint32_t idx;
} AddrKey;

/* The chunk of [k]'s address at [d] (at most its length). */
static uint64_t addr_chunk(const AddrKey *k, size_t d) {
  const char *s = k->addr + d;
  if (k->len - d >= 8) {
    uint64_t c;
    memcpy(&c, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    c = __builtin_bswap64(c);
#endif
    return c;
  }
  uint64_t c = 0;
  size_t i = 0;
  for (; i < k->len - d; i++) c = c << 8 | (unsigned char)s[i];
  return i ? c << (8 * (8 - i)) : 0;   /* (a shift by 64 is undefined) */
}

/* A chunk whose last byte is zero: the address ends inside it. */
#define CHUNK_ENDS(c) (((c) & 0xff) == 0)

/* Order of two keys whose addresses agree before [d]. */
static int addrkey_cmp_at(const AddrKey *a, const AddrKey *b, size_t d) {
  if (a->chunk != b->chunk) return a->chunk < b->chunk ? -1 : 1;
  if (!CHUNK_ENDS(a->chunk)) {
    int c = strcmp(a->addr + d + 8, b->addr + d + 8);
    if (c) return c;
  }
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int addrkey_qcmp(const void *x, const void *y) {
  const AddrKey *a = x, *b = y;
  int c = strcmp(a->addr, b->addr);
  if (c) return c;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int idx_qcmp(const void *x, const void *y) {
  const AddrKey *a = x, *b = y;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void addrkey_swap(AddrKey *a, AddrKey *b) {
  AddrKey t = *a;
  *a = *b;
  *b = t;
}

typedef struct SortJob {
  AddrKey *a;
  size_t n, depth;
  uint32_t budget;       /* partitions left before this job falls back to qsort */
} SortJob;

static void sort_addresses(AddrKey *keys, size_t count) {
  size_t cap = 64, sp = 0;
  SortJob *stack = plat_xmalloc(cap * sizeof *stack);
  uint32_t budget = 2;
  for (size_t x = count; x > 1; x >>= 1) budget += 2;
  for (size_t i = 0; i < count; i++) keys[i].chunk = addr_chunk(&keys[i], 0);
  stack[sp++] = (SortJob){keys, count, 0, budget};
  while (sp) {
    SortJob j = stack[--sp];
    AddrKey *a = j.a;
    size_t n = j.n, d = j.depth;
    if (n < 12) {   /* insertion sort */
      for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && addrkey_cmp_at(&a[k - 1], &a[k], d) > 0; k--)
          addrkey_swap(&a[k - 1], &a[k]);
      continue;
    }
    if (j.budget == 0) {   /* a hostile distribution: O(n log n) whatever it is */
      qsort(a, n, sizeof *a, addrkey_qcmp);
      continue;
    }
    /* pivot: the median of three chunks */
    uint64_t p0 = a[0].chunk, p1 = a[n / 2].chunk, p2 = a[n - 1].chunk, pv;
    if (p0 < p1) pv = p1 < p2 ? p1 : (p0 < p2 ? p2 : p0);
    else pv = p0 < p2 ? p0 : (p1 < p2 ? p2 : p1);
    /* three-way partition (Dijkstra): [0,lt) < pv, [lt,i) == pv, (gt,n) > pv */
    size_t lt = 0, i = 0, gt = n;
    while (i < gt) {
      if (a[i].chunk < pv) addrkey_swap(&a[lt++], &a[i++]);
      else if (a[i].chunk > pv) addrkey_swap(&a[i], &a[--gt]);
      else i++;
    }
    if (sp + 3 > cap) {
      cap *= 2;
      stack = plat_xrealloc(stack, cap * sizeof *stack);
    }
    if (lt > 1) stack[sp++] = (SortJob){a, lt, d, j.budget - 1};
    if (n - gt > 1) stack[sp++] = (SortJob){a + gt, n - gt, d, j.budget - 1};
    size_t ne = gt - lt;
    if (ne > 1) {
      AddrKey *e = a + lt;
      if (CHUNK_ENDS(pv)) {   /* the same address: the VM's order */
        qsort(e, ne, sizeof *e, idx_qcmp);
      } else {
        for (size_t k = 0; k < ne; k++) e[k].chunk = addr_chunk(&e[k], d + 8);
        stack[sp++] = (SortJob){e, ne, d + 8, budget};
      }
    }
  }
  free(stack);
}

/* Renumbering: containers and unknowns can be shared by several values, so each is
 * marked once it is done (VList.renumbered) and never renumbered twice. */
typedef struct Renum {
  const uint32_t *map;   /* old index -> new index */
  uint32_t n;
} Renum;

static uint32_t renum_node(const Renum *r, uint32_t old) {
  return old < r->n ? r->map[old] : GN_NONE;
}

/* The order of VRefs that vm/value.c keeps: (node, attr bytes then length), NULL first. */
static int vref_cmp(const void *x, const void *y) {
  const VRef *a = x, *b = y;
  if (a->node != b->node) return a->node < b->node ? -1 : 1;
  if (a->attr == b->attr) return 0;
  if (!a->attr) return -1;
  if (!b->attr) return 1;
  uint32_t n = a->attr->len < b->attr->len ? a->attr->len : b->attr->len;
  int c = memcmp(a->attr->s, b->attr->s, n);
  if (c) return c;
  return a->attr->len < b->attr->len ? -1 : a->attr->len > b->attr->len;
}

static void renum_val(Renum *r, Val *v, int depth) {
  if (depth > GRAPH_MAX_DEPTH) return;   /* the writers refuse such a value */
  switch ((ValTag)v->tag) {
  case VT_RES: v->node = renum_node(r, v->node); return;
  case VT_UNKNOWN: {
    VUnknown *u = v->as.u;
    if (u->renumbered) return;
    u->renumbered = 1;
    for (uint32_t i = 0; i < u->n; i++) u->refs[i].node = renum_node(r, u->refs[i].node);
    qsort(u->refs, u->n, sizeof *u->refs, vref_cmp);
    return;
  }
  case VT_LIST:
    if (!v->as.l->n || v->as.l->renumbered) return;
    v->as.l->renumbered = 1;
    for (uint32_t i = 0; i < v->as.l->n; i++) renum_val(r, &v->as.l->items[i], depth + 1);
    return;
  case VT_MAP:
    if (!v->as.m->n || v->as.m->renumbered) return;
    v->as.m->renumbered = 1;
    for (uint32_t i = 0; i < v->as.m->n; i++) renum_val(r, &v->as.m->e[i].val, depth + 1);
    return;
  default: return;
  }
}

static int u32_cmp(const void *x, const void *y) {
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  return a < b ? -1 : a > b;
}

/* Renumber, sort and dedupe a dependency list in place; drops references out of range. */
static uint32_t renum_list(const Renum *r, uint32_t *a, uint32_t n) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t x = renum_node(r, a[i]);
    if (x != GN_NONE) a[k++] = x;
  }
  if (k > 1) qsort(a, k, sizeof *a, u32_cmp);
  uint32_t out = 0;
  for (uint32_t i = 0; i < k; i++)
    if (!out || a[out - 1] != a[i]) a[out++] = a[i];
  return out;
}

/* [a] ∪ [b], sorted and unique (both are), in a new array in the Rt. */
static uint32_t *merge_sets(Rt *rt, const uint32_t *a, uint32_t na, const uint32_t *b,
                            uint32_t nb, uint32_t *nout) {
  uint32_t *m = rt_alloc(rt, ((size_t)na + nb) * sizeof *m);
  uint32_t i = 0, j = 0, k = 0;
  while (i < na || j < nb) {
    if (j >= nb || (i < na && a[i] < b[j])) m[k++] = a[i++];
    else if (i >= na || b[j] < a[i]) m[k++] = b[j++];
    else { m[k++] = a[i++]; j++; }
  }
  *nout = k;
  return m;
}

/* A resource inherits protect, create_before_destroy and @depends_on from the instances
 * around it (docs/language.md §6.9).  After sorting, a parent comes before its children
 * (its address is a prefix of theirs), so one pass in order sees each parent complete. */
static void inherit_lifecycle(Graph *g) {
  for (uint32_t i = 0; i < g->nnodes; i++) {
    GNode *n = &g->nodes[i];
    if (n->parent == GN_NONE || n->parent >= i) continue;   /* not a well-formed parent */
    const GNode *p = &g->nodes[n->parent];
    n->protect |= p->protect;
    n->create_before_destroy |= p->create_before_destroy;
    if (p->nexplicit)
      n->explicit_deps = merge_sets(g->rt, n->explicit_deps, n->nexplicit, p->explicit_deps,
                                    p->nexplicit, &n->nexplicit);
  }
}

static int span_cmp(Span a, Span b) {
  if (a.file != b.file) return a.file < b.file ? -1 : 1;
  if (a.start != b.start) return a.start < b.start ? -1 : 1;
  if (a.end != b.end) return a.end < b.end ? -1 : 1;
  return 0;
}

static int strcmp_null(const char *a, const char *b) {
  if (a == b) return 0;
  if (!a) return -1;
  if (!b) return 1;
  return strcmp(a, b);
}

static int policy_cmp(const void *x, const void *y) {
  const PolicyResult *a = x, *b = y;
  if (a->node != b->node) return a->node < b->node ? -1 : 1;   /* node order = address order */
  int c = strcmp_null(a->policy, b->policy);
  if (c) return c;
  if ((c = span_cmp(a->span, b->span))) return c;
  if (a->outcome != b->outcome) return a->outcome < b->outcome ? -1 : 1;
  return strcmp_null(a->message, b->message);
}

static int moved_cmp(const void *x, const void *y) {
  const GMoved *a = x, *b = y;
  int c = strcmp_null(a->from, b->from);
  if (c) return c;
  if ((c = strcmp_null(a->to, b->to))) return c;
  return span_cmp(a->span, b->span);
}

void graph_finish(Graph *g) {
  if (g->finished) return;
  uint32_t n = g->nnodes;
  AddrKey *order = plat_xmalloc(((size_t)n + 1) * sizeof *order);
  for (uint32_t i = 0; i < n; i++) {
    const GNode *d = &g->nodes[i];
    const char *a = d->addr ? d->addr : "";
    order[i] = (AddrKey){0, a, d->addr && d->addrlen != UINT32_MAX ? d->addrlen : strlen(a), i};
  }
  sort_addresses(order, n);
  uint32_t *map = plat_xmalloc(((size_t)n + 1) * sizeof *map);   /* old -> new */
  uint32_t *from = plat_xmalloc(((size_t)n + 1) * sizeof *from); /* new -> old */
  for (uint32_t i = 0; i < n; i++) {
    map[order[i].idx] = i;
    from[i] = order[i].idx;
  }
  free(order);
  /* permute in place, cycle by cycle: no second copy of the nodes */
  for (uint32_t i = 0; i < n; i++) {
    if (from[i] == i) continue;
    GNode t = g->nodes[i];
    uint32_t j = i;
    for (;;) {
      uint32_t k = from[j];
      from[j] = j;
      if (k == i) { g->nodes[j] = t; break; }
      g->nodes[j] = g->nodes[k];
      j = k;
    }
  }
  free(from);

  Renum r = {map, n};
  for (uint32_t i = 0; i < n; i++) {
    GNode *d = &g->nodes[i];
    d->parent = renum_node(&r, d->parent);
    d->ndeps = renum_list(&r, d->deps, d->ndeps);
    d->nexplicit = renum_list(&r, d->explicit_deps, d->nexplicit);
    renum_val(&r, &d->inputs, 0);
    renum_val(&r, &d->outputs, 0);
  }
  renum_val(&r, &g->outputs, 0);
  for (uint32_t i = 0; i < g->npolicies; i++) g->policies[i].node = renum_node(&r, g->policies[i].node);
  free(map);

  inherit_lifecycle(g);
  if (g->npolicies > 1) qsort(g->policies, g->npolicies, sizeof *g->policies, policy_cmp);
  if (g->nmoved > 1) qsort(g->moved, g->nmoved, sizeof *g->moved, moved_cmp);
  g->finished = true;
}

uint32_t graph_find(const Graph *g, const char *addr) {
  uint32_t lo = 0, hi = g->nnodes;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = strcmp(g->nodes[mid].addr ? g->nodes[mid].addr : "", addr);
    if (c == 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return GN_NONE;
}

const char *graph_locate_sources(void *ud, Span s, uint32_t *line, uint32_t *col) {
  SourceMap *sm = ud;
  if (!sm || s.file == SPAN_NO_FILE || s.file >= sm->nfiles) return NULL;
  const SourceFile *f = source_file(sm, s.file);
  if (!f || f->builtin) return NULL;
  LineCol lc = source_linecol(sm, s.file, s.start);
  *line = lc.line;
  *col = lc.col;
  return f->path;
}

/* ---- the output buffer -------------------------------------------------------------- */
static _Thread_local char write_error[160];

const char *graph_write_error(void) {
  return write_error[0] ? write_error : "unknown error";
}

#define WBUF (1u << 16)

/* Texts the JSON writer prints again and again, escaped and quoted once: each node's
 * address (in its own entry, its children's "parent", every dependency list and unknown
 * that names it), and the strings of the module (types, providers, module paths, file
 * names of locations), looked up by pointer. */
#define QCACHE 256
typedef struct QStr {
  const char *key;       /* the string as given (its pointer is the key) */
  char *q;               /* "escaped", with its quotes */
  size_t len;
} QStr;

typedef struct W {
  FILE *out;
  const Graph *g;
  char *buf;
  size_t len;
  bool failed;
  char *qaddr;           /* every node's quoted address, back to back, or NULL */
  size_t *qoff;          /* node i's is qaddr[qoff[i], qoff[i + 1]) */
  QStr *qcache;          /* QCACHE slots, or NULL */
} W;

static void w_fail(W *w, const char *fmt, const char *arg) {
  if (w->failed) return;
  w->failed = true;
  snprintf(write_error, sizeof write_error, fmt, arg);
}

static void w_flush(W *w) {
  if (w->len && !w->failed && fwrite(w->buf, 1, w->len, w->out) != w->len)
    w_fail(w, "cannot write: %s", strerror(errno));
  w->len = 0;
}

static void w_raw_slow(W *w, const char *s, size_t n) {
  w_flush(w);
  if (n > WBUF) {
    if (!w->failed && fwrite(s, 1, n, w->out) != n) w_fail(w, "cannot write: %s", strerror(errno));
    return;
  }
  memcpy(w->buf, s, n);
  w->len = n;
}

static inline void w_raw(W *w, const char *s, size_t n) {
  if (n > WBUF - w->len) {
    w_raw_slow(w, s, n);
    return;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

/* A string literal, its length known at compile time. */
#define W_LIT(w, lit) w_raw((w), (lit), sizeof(lit) - 1)

static inline void w_c(W *w, char c) {
  if (w->len == WBUF) w_flush(w);
  w->buf[w->len++] = c;
}

static void w_s(W *w, const char *s) {
  w_raw(w, s, strlen(s));
}

static void w_u64(W *w, uint64_t x) {
  char t[24];
  int i = (int)sizeof t;
  do { t[--i] = (char)('0' + x % 10); x /= 10; } while (x);
  w_raw(w, t + i, sizeof t - (size_t)i);
}

static void w_i64(W *w, int64_t x) {
  if (x < 0) {
    w_c(w, '-');
    w_u64(w, (uint64_t)0 - (uint64_t)x);
  } else {
    w_u64(w, (uint64_t)x);
  }
}

static bool w_begin(W *w, const Graph *g, FILE *out) {
  memset(w, 0, sizeof *w);
  w->out = out;
  w->g = g;
  w->buf = plat_xmalloc(WBUF);
  write_error[0] = 0;
  if (!g->finished) {
    w_fail(w, "%s", "internal error: the graph was written before graph_finish");
    return false;
  }
  return true;
}

static bool w_end(W *w) {
  w_flush(w);
  if (!w->failed && fflush(w->out) != 0) w_fail(w, "cannot write: %s", strerror(errno));
  free(w->buf);
  if (w->qcache)
    for (size_t i = 0; i < QCACHE; i++) free(w->qcache[i].q);
  free(w->qcache);
  free(w->qaddr);
  free(w->qoff);
  return !w->failed;
}

/* ---- JSON --------------------------------------------------------------------------- */
/* The bytes of a JSON string body, escaped as val_write_json escapes them (vm/value.c):
 * quote, backslash and control characters (and DEL); everything else as it is (UTF-8). */
/* Does any of the 8 bytes of [x] need escaping (< 0x20, '"', '\\', 0x7f)?  Exact, by the
 * "has a zero byte" and "has a byte less than n" word tricks. */
static inline bool escape8(uint64_t x) {
  const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
  uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\'), d = x ^ (ones * 0x7f);
  uint64_t any = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | ((d - ones) & ~d);
  return (any & high) != 0;
}

static void j_body(W *w, const char *s, size_t n) {
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    if (i + 8 <= n) {   /* eight plain bytes at a time */
      uint64_t x;
      memcpy(&x, s + i, 8);
      if (!escape8(x)) { i += 7; continue; }
    }
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
    w_raw(w, s + run, i - run);
    run = i + 1;
    switch (c) {
    case '"': w_raw(w, "\\\"", 2); break;
    case '\\': w_raw(w, "\\\\", 2); break;
    case '\n': w_raw(w, "\\n", 2); break;
    case '\r': w_raw(w, "\\r", 2); break;
    case '\t': w_raw(w, "\\t", 2); break;
    case '\b': w_raw(w, "\\b", 2); break;
    case '\f': w_raw(w, "\\f", 2); break;
    default: {
      static const char hex[] = "0123456789abcdef";
      char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      w_raw(w, u, 6);
    }
    }
  }
  w_raw(w, s + run, n - run);
}

static void j_str(W *w, const char *s, size_t n) {
  w_c(w, '"');
  j_body(w, s, n);
  w_c(w, '"');
}

/* Pointer hash for the string cache. */
static size_t qhash(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)x;
}

/* Escape and quote [s] ([n] bytes) into a new malloc'd copy, through the output buffer's
 * free end (nothing is written out); NULL when it would not fit there. */
/* [s] ([n] bytes, at most (WBUF - 2) / 6) escaped and quoted in the output buffer's free
 * end, not written out: valid until the next write. */
static const char *j_quote_scratch(W *w, const char *s, size_t n, size_t *len) {
  if (6 * n + 2 > WBUF - w->len) w_flush(w);
  size_t at = w->len;
  j_str(w, s, n);
  *len = w->len - at;
  w->len = at;
  return w->buf + at;
}

static char *j_quote_copy(W *w, const char *s, size_t n, size_t *len) {
  if (n > (WBUF - 2) / 6) return NULL;
  const char *t = j_quote_scratch(w, s, n, len);
  char *q = plat_xmalloc(*len);
  memcpy(q, t, *len);
  return q;
}

static void j_cstr(W *w, const char *s) {
  if (!s) W_LIT(w, "null");
  else j_str(w, s, strlen(s));
}

/* The cache entry of [s] (quoted and escaped), made on first use; NULL without a cache or
 * for a string too long for one. */
static const QStr *qcache_get(W *w, const char *s) {
  if (!w->qcache) return NULL;
  QStr *e = &w->qcache[qhash(s) & (QCACHE - 1)];
  if (e->key != s) {
    size_t len;
    char *q = j_quote_copy(w, s, strlen(s), &len);
    if (!q) return NULL;
    free(e->q);
    *e = (QStr){s, q, len};
  }
  return e;
}

/* A string of the module that many nodes print (a type, a provider, a module path):
 * escaped once, then printed from the cache. */
static void j_mstr(W *w, const char *s) {
  if (!s) { W_LIT(w, "null"); return; }
  const QStr *e = qcache_get(w, s);
  if (e) w_raw(w, e->q, e->len);
  else j_str(w, s, strlen(s));
}

/* The shortest %.*g text that reads back exactly, with ".0" when it would read as an
 * integer: the same text as val_write_json. */
static void j_float(W *w, double f) {
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, f);
    if (strtod(buf, NULL) == f) break;
  }
  w_s(w, buf);
  if (!strpbrk(buf, ".eEn")) w_raw(w, ".0", 2);
}

static const char spaces[] = "                                                                ";

static const char nl_spaces[] = "\n                                                                ";

/* A newline and the indentation of [level] (two spaces each). */
static void j_nl(W *w, int level) {
  size_t n = (size_t)level * 2;
  if (n < sizeof nl_spaces - 1) {
    w_raw(w, nl_spaces, n + 1);
    return;
  }
  w_c(w, '\n');
  while (n > sizeof spaces - 1) {
    w_raw(w, spaces, sizeof spaces - 1);
    n -= sizeof spaces - 1;
  }
  w_raw(w, spaces, n);
}

/* `,` unless first, then a new line at [level] and `"key": ` ([key] is a literal). */
static void j_keyn(W *w, int level, bool first, const char *key, size_t n) {
  if (!first) w_c(w, ',');
  j_nl(w, level);
  w_c(w, '"');
  w_raw(w, key, n);
  w_raw(w, "\": ", 3);
}
#define j_key(w, level, first, key) j_keyn((w), (level), (first), (key), sizeof(key) - 1)

static const char *node_addr(const Graph *g, uint32_t i) {
  return i < g->nnodes && g->nodes[i].addr ? g->nodes[i].addr : "";
}

/* The length of node [i]'s address (graph_add measured it). */
static size_t node_addr_len(const Graph *g, uint32_t i) {
  const GNode *n = &g->nodes[i];
  if (!n->addr) return 0;
  return n->addrlen != UINT32_MAX ? n->addrlen : strlen(n->addr);
}

/* Quote every node's address once (j_addr prints them); without memory for that, j_addr
 * escapes each time. */
static void j_addrs_prepare(W *w) {
  const Graph *g = w->g;
  size_t total = 0;
  for (uint32_t i = 0; i < g->nnodes; i++) {
    size_t n = node_addr_len(g, i);
    if (n > (WBUF - 2) / 6) return;   /* a huge address: no cache */
    total += n + 2;
  }
  /* first the bytes as they are, then escaped where needed: usually a few quotes */
  size_t cap = total + total / 4 + 64;
  char *q = malloc(cap);
  size_t *off = malloc(((size_t)g->nnodes + 1) * sizeof *off);
  if (!q || !off) { free(q); free(off); return; }
  size_t at = 0;
  for (uint32_t i = 0; i < g->nnodes; i++) {
    const char *a = node_addr(g, i);
    size_t len;
    const char *t = j_quote_scratch(w, a, node_addr_len(g, i), &len);
    if (len > cap - at) {
      size_t nc = (cap + len) * 2;
      char *nq = realloc(q, nc);
      if (!nq) { free(q); free(off); return; }
      q = nq;
      cap = nc;
    }
    memcpy(q + at, t, len);
    off[i] = at;
    at += len;
  }
  off[g->nnodes] = at;
  w->qaddr = q;
  w->qoff = off;
}

/* Node [i]'s address as a JSON string ("" for none). */
static void j_addr(W *w, uint32_t i) {
  if (w->qaddr && i < w->g->nnodes) w_raw(w, w->qaddr + w->qoff[i], w->qoff[i + 1] - w->qoff[i]);
  else { const char *a = node_addr(w->g, i); j_str(w, a, strlen(a)); }
}

/* "address.attr", or "address" for the resource as a whole. */
static void j_ref(W *w, const VRef *r) {
  if (w->qaddr && r->node < w->g->nnodes) {   /* the quoted address without its last quote */
    w_raw(w, w->qaddr + w->qoff[r->node], w->qoff[r->node + 1] - w->qoff[r->node] - 1);
  } else {
    const char *a = node_addr(w->g, r->node);
    w_c(w, '"');
    j_body(w, a, strlen(a));
  }
  if (r->attr) {
    w_c(w, '.');
    j_body(w, r->attr->s, r->attr->len);
  }
  w_c(w, '"');
}

static void j_refs(W *w, const VRef *refs, uint32_t n) {
  w_c(w, '[');
  for (uint32_t i = 0; i < n; i++) {
    if (i) w_raw(w, ", ", 2);
    j_ref(w, &refs[i]);
  }
  w_c(w, ']');
}

typedef struct RefVec {
  VRef *r;
  uint32_t n, cap;
} RefVec;

static void collect_refs(RefVec *rv, Val v, int depth) {
  if (depth > GRAPH_MAX_DEPTH) return;
  if (v.tag == VT_UNKNOWN) {
    for (uint32_t i = 0; i < v.as.u->n; i++) {
      if (rv->n == rv->cap) rv->r = grow(rv->r, &rv->cap, sizeof *rv->r);
      rv->r[rv->n++] = v.as.u->refs[i];
    }
  } else if (v.tag == VT_LIST && (v.as.l->deep & VD_UNKNOWN)) {
    for (uint32_t i = 0; i < v.as.l->n; i++) collect_refs(rv, v.as.l->items[i], depth + 1);
  } else if (v.tag == VT_MAP && (v.as.m->deep & VD_UNKNOWN)) {
    for (uint32_t i = 0; i < v.as.m->n; i++) collect_refs(rv, v.as.m->e[i].val, depth + 1);
  }
}

/* A secret: {"$secret": true}, and what it waits for when it is (or holds) an unknown. */
static void j_secret(W *w, Val v) {
  if (!val_has_unknown(v)) {
    W_LIT(w, "{\"$secret\": true}");
    return;
  }
  RefVec rv = {0};
  collect_refs(&rv, v, 0);
  qsort(rv.r, rv.n, sizeof *rv.r, vref_cmp);
  uint32_t k = 0;
  for (uint32_t i = 0; i < rv.n; i++)
    if (!k || vref_cmp(&rv.r[k - 1], &rv.r[i]) != 0) rv.r[k++] = rv.r[i];
  W_LIT(w, "{\"$secret\": true, \"$unknown\": ");
  j_refs(w, rv.r, k);
  w_c(w, '}');
  free(rv.r);
}

/* A value, pretty-printed at [level]; markers ($secret, $unknown, $resource) on one line;
 * a user key that starts with '$' gets one more, so markers never clash with data. */
static void j_val(W *w, Val v, int level, int depth) {
  if (depth > GRAPH_MAX_DEPTH) {
    char msg[32];
    snprintf(msg, sizeof msg, "%d", GRAPH_MAX_DEPTH);
    w_fail(w, "a value is nested more than %s levels deep", msg);
    return;
  }
  if (v.flags & VF_SECRET) {
    j_secret(w, v);
    return;
  }
  switch ((ValTag)v.tag) {
  case VT_NULL: w_raw(w, "null", 4); return;
  case VT_BOOL: if (v.as.b) w_raw(w, "true", 4); else w_raw(w, "false", 5); return;
  case VT_INT: w_i64(w, v.as.i); return;
  case VT_FLOAT: j_float(w, v.as.f); return;
  case VT_STR: j_str(w, v.as.s->s, v.as.s->len); return;
  case VT_RES:
    W_LIT(w, "{\"$resource\": ");
    j_addr(w, v.node);
    w_c(w, '}');
    return;
  case VT_UNKNOWN:
    W_LIT(w, "{\"$unknown\": ");
    j_refs(w, v.as.u->refs, v.as.u->n);
    w_c(w, '}');
    return;
  case VT_LIST: {
    const VList *l = v.as.l;
    if (!l->n) { w_raw(w, "[]", 2); return; }
    w_c(w, '[');
    for (uint32_t i = 0; i < l->n; i++) {
      if (i) w_c(w, ',');
      j_nl(w, level + 1);
      j_val(w, l->items[i], level + 1, depth + 1);
    }
    j_nl(w, level);
    w_c(w, ']');
    return;
  }
  case VT_MAP: {
    const VMap *m = v.as.m;
    if (!m->n) { w_raw(w, "{}", 2); return; }
    w_c(w, '{');
    for (uint32_t i = 0; i < m->n; i++) {
      if (i) w_c(w, ',');
      j_nl(w, level + 1);
      const VStr *k = m->e[i].key;
      w_c(w, '"');
      if (k->len && k->s[0] == '$') w_c(w, '$');
      j_body(w, k->s, k->len);
      w_raw(w, "\": ", 3);
      j_val(w, m->e[i].val, level + 1, depth + 1);
    }
    j_nl(w, level);
    w_c(w, '}');
    return;
  }
  }
  w_raw(w, "null", 4);   /* a tag no writer knows: never produced by the VM */
}

static void j_location(W *w, Span s) {
  uint32_t line = 0, col = 0;
  const char *file = w->g->locate ? w->g->locate(w->g->locate_ud, s, &line, &col) : NULL;
  if (!file) {
    w_raw(w, "null", 4);
    return;
  }
  const QStr *e = qcache_get(w, file);
  if (e) {
    w_raw(w, e->q, e->len - 1);   /* without the closing quote */
  } else {
    w_c(w, '"');
    j_body(w, file, strlen(file));
  }
  w_c(w, ':');
  w_u64(w, line);
  w_c(w, ':');
  w_u64(w, col);
  w_c(w, '"');
}

/* A pretty-printed array of [n] strings: [names], or the addresses of nodes [idx]. */
static void j_strings(W *w, const char *const *names, const uint32_t *idx, uint32_t n, int level) {
  if (!n) { w_raw(w, "[]", 2); return; }
  w_c(w, '[');
  for (uint32_t i = 0; i < n; i++) {
    if (i) w_c(w, ',');
    j_nl(w, level + 1);
    if (names) j_mstr(w, names[i]);
    else j_addr(w, idx[i]);
  }
  j_nl(w, level);
  w_c(w, ']');
}

/* Only the options that are set, in key order: {} for none. */
static void j_lifecycle(W *w, const GNode *n, int level) {
  bool first = true;
  w_c(w, '{');
  if (n->create_before_destroy) {
    j_key(w, level + 1, first, "create_before_destroy");
    w_raw(w, "true", 4);
    first = false;
  }
  if (n->nignore) {
    j_key(w, level + 1, first, "ignore_changes");
    j_strings(w, n->ignore_changes, NULL, n->nignore, level + 1);
    first = false;
  }
  if (n->protect) {
    j_key(w, level + 1, first, "protect");
    w_raw(w, "true", 4);
    first = false;
  }
  if (n->nreplace) {
    j_key(w, level + 1, first, "replace_on_change");
    j_strings(w, n->replace_on_change, NULL, n->nreplace, level + 1);
    first = false;
  }
  if (!first) j_nl(w, level);
  w_c(w, '}');
}

/* One resource or component instance at [level] (an element of its array). */
static void j_node(W *w, const GNode *n, int level) {
  int in = level + 1;
  j_nl(w, level);
  w_c(w, '{');
  j_key(w, in, true, "address");
  j_addr(w, (uint32_t)(n - w->g->nodes));
  j_key(w, in, false, "depends_on");
  j_strings(w, NULL, n->deps, n->ndeps, in);
  j_key(w, in, false, "depends_on_explicit");
  j_strings(w, NULL, n->explicit_deps, n->nexplicit, in);
  j_key(w, in, false, "inputs");
  j_val(w, n->inputs, in, 0);
  j_key(w, in, false, "key");
  j_cstr(w, n->key);
  j_key(w, in, false, "lifecycle");
  j_lifecycle(w, n, in);
  j_key(w, in, false, "location");
  j_location(w, n->span);
  j_key(w, in, false, "module");
  j_mstr(w, n->module);
  if (n->kind == GN_INSTANCE) {
    j_key(w, in, false, "outputs");
    j_val(w, n->outputs, in, 0);
  }
  j_key(w, in, false, "parent");
  if (n->parent == GN_NONE) W_LIT(w, "null");
  else j_addr(w, n->parent);
  if (n->kind == GN_RESOURCE) {
    j_key(w, in, false, "provider");
    j_mstr(w, n->provider);
  }
  j_key(w, in, false, "type");
  j_mstr(w, n->type);
  j_nl(w, level);
  w_c(w, '}');
}

static void j_nodes(W *w, GNodeKind kind) {
  const Graph *g = w->g;
  bool any = false;
  for (uint32_t i = 0; i < g->nnodes && !w->failed; i++) {
    if (g->nodes[i].kind != kind) continue;
    w_c(w, any ? ',' : '[');
    any = true;
    j_node(w, &g->nodes[i], 2);
  }
  if (!any) {
    w_raw(w, "[]", 2);
    return;
  }
  j_nl(w, 1);
  w_c(w, ']');
}

static const char *const outcome_names[] = {"deny", "warn", "unknown"};

static void j_policies(W *w) {
  const Graph *g = w->g;
  if (!g->npolicies) { w_raw(w, "[]", 2); return; }
  w_c(w, '[');
  for (uint32_t i = 0; i < g->npolicies; i++) {
    const PolicyResult *p = &g->policies[i];
    if (i) w_c(w, ',');
    j_nl(w, 2);
    w_c(w, '{');
    j_key(w, 3, true, "address");
    if (p->node == GN_NONE) W_LIT(w, "null");
    else j_addr(w, p->node);
    j_key(w, 3, false, "location");
    j_location(w, p->span);
    j_key(w, 3, false, "message");
    j_cstr(w, p->message);
    j_key(w, 3, false, "outcome");
    j_cstr(w, (unsigned)p->outcome < 3 ? outcome_names[p->outcome] : "unknown");
    j_key(w, 3, false, "policy");
    j_cstr(w, p->policy);
    j_nl(w, 2);
    w_c(w, '}');
  }
  j_nl(w, 1);
  w_c(w, ']');
}

static void j_moved(W *w) {
  const Graph *g = w->g;
  if (!g->nmoved) { w_raw(w, "[]", 2); return; }
  w_c(w, '[');
  for (uint32_t i = 0; i < g->nmoved; i++) {
    const GMoved *m = &g->moved[i];
    if (i) w_c(w, ',');
    j_nl(w, 2);
    w_c(w, '{');
    j_key(w, 3, true, "from");
    j_cstr(w, m->from);
    j_key(w, 3, false, "location");
    j_location(w, m->span);
    j_key(w, 3, false, "to");
    j_cstr(w, m->to);
    j_nl(w, 2);
    w_c(w, '}');
  }
  j_nl(w, 1);
  w_c(w, ']');
}

bool graph_write_json(const Graph *g, FILE *out) {
  W w;
  if (!w_begin(&w, g, out)) return w_end(&w);
  w.qcache = calloc(QCACHE, sizeof *w.qcache);
  j_addrs_prepare(&w);
  w_c(&w, '{');
  j_key(&w, 1, true, "components");
  j_nodes(&w, GN_INSTANCE);
  j_key(&w, 1, false, "format_version");
  w_c(&w, '1');
  j_key(&w, 1, false, "moved");
  j_moved(&w);
  j_key(&w, 1, false, "outputs");
  j_val(&w, g->outputs, 1, 0);
  j_key(&w, 1, false, "policies");
  j_policies(&w);
  j_key(&w, 1, false, "resources");
  j_nodes(&w, GN_RESOURCE);
  j_key(&w, 1, false, "source_hash");
  j_cstr(&w, g->source_hash);
  w_raw(&w, "\n}\n", 3);
  return w_end(&w);
}

/* ---- the nesting tree, shared by dot and mermaid ------------------------------------ */
/* Children of each node in address order (CSR arrays), the roots, each node's worst
 * policy outcome, and for each instance the resource that stands for it in edges. */
typedef struct Tree {
  uint32_t *first;       /* first[i]..first[i+1]: kids of node i in [kids] */
  uint32_t *kids;
  uint32_t *roots, nroots;
  int8_t *worst;         /* -1 none, else the most severe PolicyOutcome (deny < warn < unknown) */
  uint32_t *rep;         /* instances: a resource inside (or the instance itself) */
} Tree;

static bool valid_parent(const Graph *g, uint32_t i) {
  uint32_t p = g->nodes[i].parent;
  return p != GN_NONE && p < i;   /* after sorting, a parent comes first */
}

static void tree_build(Tree *t, const Graph *g) {
  uint32_t n = g->nnodes;
  t->first = plat_xcalloc((size_t)n + 2, sizeof *t->first);
  t->kids = plat_xmalloc(((size_t)n + 1) * sizeof *t->kids);
  t->roots = plat_xmalloc(((size_t)n + 1) * sizeof *t->roots);
  t->worst = plat_xmalloc((size_t)n + 1);
  t->rep = plat_xmalloc(((size_t)n + 1) * sizeof *t->rep);
  t->nroots = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (valid_parent(g, i)) t->first[g->nodes[i].parent + 1]++;
    else t->roots[t->nroots++] = i;
  }
  for (uint32_t i = 0; i < n; i++) t->first[i + 1] += t->first[i];
  uint32_t *fill = plat_xmalloc(((size_t)n + 1) * sizeof *fill);
  memcpy(fill, t->first, (size_t)n * sizeof *fill);
  for (uint32_t i = 0; i < n; i++)
    if (valid_parent(g, i)) t->kids[fill[g->nodes[i].parent]++] = i;
  free(fill);
  memset(t->worst, -1, (size_t)n + 1);
  for (uint32_t i = 0; i < g->npolicies; i++) {
    uint32_t k = g->policies[i].node;
    int8_t o = (int8_t)g->policies[i].outcome;
    if (k < n && (t->worst[k] < 0 || o < t->worst[k])) t->worst[k] = o;
  }
  /* children come after their parent: walk backwards so each kid's rep is known */
  for (uint32_t i = n; i-- > 0;) {
    t->rep[i] = i;
    if (g->nodes[i].kind != GN_INSTANCE) continue;
    for (uint32_t k = t->first[i]; k < t->first[i + 1]; k++) {
      uint32_t r = t->rep[t->kids[k]];
      if (g->nodes[r].kind == GN_RESOURCE) { t->rep[i] = r; break; }
    }
  }
}

static void tree_free(Tree *t) {
  free(t->first);
  free(t->kids);
  free(t->roots);
  free(t->worst);
  free(t->rep);
}

/* Is [a] inside instance [b] (or [b] itself)? */
static bool inside(const Graph *g, uint32_t a, uint32_t b) {
  for (uint32_t i = a, steps = 0; i != GN_NONE && i < g->nnodes && steps <= g->nnodes; steps++) {
    if (i == b) return true;
    i = valid_parent(g, i) ? g->nodes[i].parent : GN_NONE;
  }
  return false;
}

static bool has_dep(const uint32_t *a, uint32_t n, uint32_t x) {
  uint32_t lo = 0, hi = n;   /* sorted by graph_finish */
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (a[mid] == x) return true;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/* Walks the tree depth-first with an explicit stack (nesting is bounded only by the
 * program): calls [open] on each instance before its kids, [leaf] on each node drawn as
 * a box, [close] after an instance's kids. */
typedef struct TreeVisit {
  void (*open)(W *w, const Tree *t, uint32_t i, int depth);
  void (*leaf)(W *w, const Tree *t, uint32_t i, int depth);
  void (*close)(W *w, const Tree *t, uint32_t i, int depth);
} TreeVisit;

static void tree_walk(W *w, const Tree *t, const TreeVisit *v) {
  const Graph *g = w->g;
  typedef struct Frame { uint32_t node, next; } Frame;
  Frame *stack = plat_xmalloc(((size_t)g->nnodes + 1) * sizeof *stack);
  for (uint32_t r = 0; r < t->nroots && !w->failed; r++) {
    uint32_t sp = 0;
    stack[sp++] = (Frame){t->roots[r], GN_NONE};
    while (sp && !w->failed) {
      Frame *f = &stack[sp - 1];
      const GNode *n = &g->nodes[f->node];
      if (f->next == GN_NONE) {   /* first visit */
        if (n->kind != GN_INSTANCE) {
          v->leaf(w, t, f->node, (int)sp);
          sp--;
          continue;
        }
        v->open(w, t, f->node, (int)sp);
        if (t->rep[f->node] == f->node) v->leaf(w, t, f->node, (int)sp + 1);
        f->next = t->first[f->node];
      }
      if (f->next < t->first[f->node + 1]) {
        uint32_t kid = t->kids[f->next++];
        stack[sp++] = (Frame){kid, GN_NONE};
      } else {
        v->close(w, t, f->node, (int)sp);
        sp--;
      }
    }
  }
  free(stack);
}

/* Does a resource inside instance [i] depend on [d] (implicitly)?  Then an edge from [d]
 * to the instance would only repeat the one to that resource. */
static bool inside_depends(const Graph *g, const Tree *t, uint32_t i, uint32_t d, uint32_t *stack) {
  uint32_t sp = 0;
  stack[sp++] = i;
  while (sp) {
    uint32_t x = stack[--sp];
    for (uint32_t k = t->first[x]; k < t->first[x + 1]; k++) {
      uint32_t c = t->kids[k];
      if (g->nodes[c].kind == GN_RESOURCE && has_dep(g->nodes[c].deps, g->nodes[c].ndeps, d))
        return true;
      stack[sp++] = c;   /* each node is some instance's kid once: sp <= nnodes */
    }
  }
  return false;
}

/* Edges: for each node, its dependencies (producer -> consumer), explicit ones that no
 * reference already shows marked as such. */
static void edges(W *w, const Tree *t,
                  void (*edge)(W *w, const Tree *t, uint32_t from, uint32_t to, bool dashed)) {
  const Graph *g = w->g;
  uint32_t *stack = plat_xmalloc(((size_t)g->nnodes + 1) * sizeof *stack);
  for (uint32_t i = 0; i < g->nnodes && !w->failed; i++) {
    const GNode *n = &g->nodes[i];
    for (uint32_t k = 0; k < n->ndeps; k++)
      if (n->kind != GN_INSTANCE || !inside_depends(g, t, i, n->deps[k], stack))
        edge(w, t, n->deps[k], i, false);
    for (uint32_t k = 0; k < n->nexplicit; k++) {
      uint32_t d = n->explicit_deps[k];
      if (has_dep(n->deps, n->ndeps, d)) continue;
      /* inherited from an enclosing instance: drawn once, to the instance */
      if (valid_parent(g, i) && has_dep(g->nodes[n->parent].explicit_deps,
                                        g->nodes[n->parent].nexplicit, d))
        continue;
      edge(w, t, d, i, true);
    }
  }
  free(stack);
}

/* ---- dot ---------------------------------------------------------------------------- */
/* Text inside a double-quoted dot string: quote and backslash escaped, control
 * characters as spaces. */
static void d_text(W *w, const char *s) {
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') { w_c(w, '\\'); w_c(w, (char)c); }
    else if (c < 0x20 || c == 0x7f) w_c(w, ' ');
    else w_c(w, (char)c);
  }
}

/* A double-quoted dot ID. */
static void d_str(W *w, const char *s) {
  w_c(w, '"');
  d_text(w, s);
  w_c(w, '"');
}

static void d_indent(W *w, int depth) {
  for (int i = 0; i < depth; i++) w_raw(w, "  ", 2);
}

static void d_cluster_id(W *w, uint32_t i) {
  w_raw(w, "\"cluster_", 9);
  w_u64(w, i);
  w_c(w, '"');
}

/* A label: [a] \n [b], and a line per policy result on node [i]. */
static void d_label(W *w, const Graph *g, uint32_t i, const char *a, const char *b) {
  w_c(w, '"');
  d_text(w, a);
  w_raw(w, "\\n", 2);
  d_text(w, b);
  for (uint32_t k = 0; k < g->npolicies; k++) {
    if (g->policies[k].node != i) continue;
    w_raw(w, "\\n", 2);
    w_s(w, outcome_names[(unsigned)g->policies[k].outcome < 3 ? g->policies[k].outcome : 2]);
    w_raw(w, ": ", 2);
    d_text(w, g->policies[k].policy);
  }
  w_c(w, '"');
}

static const char *const outcome_colors[] = {"#d00000", "#e08000", "#808080"};

static void d_open(W *w, const Tree *t, uint32_t i, int depth) {
  const GNode *n = &w->g->nodes[i];
  d_indent(w, depth);
  w_s(w, "subgraph ");
  d_cluster_id(w, i);
  w_raw(w, " {\n", 3);
  d_indent(w, depth + 1);
  w_s(w, "label=");
  d_label(w, w->g, i, n->addr, n->type);
  w_raw(w, ";\n", 2);
  d_indent(w, depth + 1);
  w_s(w, "style=rounded; color=\"");
  w_s(w, t->worst[i] >= 0 ? outcome_colors[t->worst[i]] : "#888888");
  w_raw(w, "\";\n", 3);
}

static void d_leaf(W *w, const Tree *t, uint32_t i, int depth) {
  const GNode *n = &w->g->nodes[i];
  d_indent(w, depth);
  d_str(w, n->addr ? n->addr : "");
  w_s(w, " [label=");
  d_label(w, w->g, i, n->addr, n->type);
  if (n->kind == GN_INSTANCE) w_s(w, ", shape=component");
  if (t->worst[i] >= 0) {
    w_s(w, ", color=\"");
    w_s(w, outcome_colors[t->worst[i]]);
    w_s(w, "\", penwidth=2");
  }
  w_raw(w, "];\n", 3);
}

static void d_close(W *w, const Tree *t, uint32_t i, int depth) {
  (void)t;
  (void)i;
  d_indent(w, depth);
  w_raw(w, "}\n", 2);
}

static void d_edge(W *w, const Tree *t, uint32_t from, uint32_t to, bool dashed) {
  const Graph *g = w->g;
  if (from >= g->nnodes || to >= g->nnodes) return;
  uint32_t a = t->rep[from], b = t->rep[to];
  w_raw(w, "  ", 2);
  d_str(w, node_addr(g, a));
  w_raw(w, " -> ", 4);
  d_str(w, node_addr(g, b));
  bool attrs = false;
  /* an edge from or to an instance ends at its cluster's border (compound=true) */
  if (a != from && !inside(g, to, from)) {
    w_s(w, " [ltail=");
    d_cluster_id(w, from);
    attrs = true;
  }
  if (b != to && !inside(g, from, to)) {
    w_s(w, attrs ? ", lhead=" : " [lhead=");
    d_cluster_id(w, to);
    attrs = true;
  }
  if (dashed) {
    w_s(w, attrs ? ", style=dashed" : " [style=dashed");
    attrs = true;
  }
  if (attrs) w_c(w, ']');
  w_raw(w, ";\n", 2);
}

bool graph_write_dot(const Graph *g, FILE *out) {
  W w;
  if (!w_begin(&w, g, out)) return w_end(&w);
  Tree t;
  tree_build(&t, g);
  w_s(&w, "digraph plat {\n"
          "  rankdir=LR;\n"
          "  compound=true;\n"
          "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n"
          "  edge [color=\"#555555\"];\n");
  static const TreeVisit visit = {d_open, d_leaf, d_close};
  tree_walk(&w, &t, &visit);
  edges(&w, &t, d_edge);
  w_raw(&w, "}\n", 2);
  tree_free(&t);
  return w_end(&w);
}

/* ---- mermaid ------------------------------------------------------------------------ */
/* Text inside a quoted Mermaid label: entity codes for what Mermaid would read. */
static void m_text(W *w, const char *s) {
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '"': w_s(w, "#quot;"); break;
    case '#': w_s(w, "#35;"); break;
    case '<': w_s(w, "#lt;"); break;
    case '>': w_s(w, "#gt;"); break;
    case '&': w_s(w, "#amp;"); break;
    default: w_c(w, (c < 0x20 || c == 0x7f) ? ' ' : (char)c);
    }
  }
}

static void m_id(W *w, const Graph *g, uint32_t i) {
  /* an instance with resources is a subgraph, named c<i>; a box is n<i> */
  bool sub = g->nodes[i].kind == GN_INSTANCE;
  w_c(w, sub ? 'c' : 'n');
  w_u64(w, i);
}

static void m_label(W *w, const Graph *g, uint32_t i, const char *sep) {
  const GNode *n = &g->nodes[i];
  w_raw(w, "[\"", 2);
  m_text(w, n->addr);
  w_s(w, sep);
  m_text(w, n->type);
  if (*sep == '<')
    for (uint32_t k = 0; k < g->npolicies; k++) {
      if (g->policies[k].node != i) continue;
      w_s(w, "<br/>");
      w_s(w, outcome_names[(unsigned)g->policies[k].outcome < 3 ? g->policies[k].outcome : 2]);
      w_raw(w, ": ", 2);
      m_text(w, g->policies[k].policy);
    }
  w_raw(w, "\"]", 2);
}

static void m_open(W *w, const Tree *t, uint32_t i, int depth) {
  (void)t;
  d_indent(w, depth);
  w_s(w, "subgraph ");
  m_id(w, w->g, i);
  m_label(w, w->g, i, ": ");
  w_c(w, '\n');
}

static void m_leaf(W *w, const Tree *t, uint32_t i, int depth) {
  (void)t;
  d_indent(w, depth);
  w_c(w, 'n');   /* an instance with no resources is a box of its own inside its subgraph */
  w_u64(w, i);
  m_label(w, w->g, i, "<br/>");
  w_c(w, '\n');
}

static void m_close(W *w, const Tree *t, uint32_t i, int depth) {
  (void)t;
  (void)i;
  d_indent(w, depth);
  w_s(w, "end\n");
}

static void m_edge(W *w, const Tree *t, uint32_t from, uint32_t to, bool dashed) {
  (void)t;
  const Graph *g = w->g;
  if (from >= g->nnodes || to >= g->nnodes) return;
  w_raw(w, "  ", 2);
  m_id(w, g, from);
  w_s(w, dashed ? " -.-> " : " --> ");
  m_id(w, g, to);
  w_c(w, '\n');
}

bool graph_write_mermaid(const Graph *g, FILE *out) {
  W w;
  if (!w_begin(&w, g, out)) return w_end(&w);
  Tree t;
  tree_build(&t, g);
  w_s(&w, "flowchart LR\n");
  static const TreeVisit visit = {m_open, m_leaf, m_close};
  tree_walk(&w, &t, &visit);
  edges(&w, &t, m_edge);
  /* policy results colour the nodes: the most severe outcome wins */
  static const char *const classes[] = {"deny", "warn", "pending"};
  bool any[3] = {false, false, false};
  for (uint32_t i = 0; i < g->nnodes; i++)
    if (t.worst[i] >= 0) any[t.worst[i]] = true;
  for (int o = 0; o < 3; o++) {
    if (!any[o]) continue;
    w_s(&w, "  classDef ");
    w_s(&w, classes[o]);
    w_s(&w, " stroke:");
    w_s(&w, outcome_colors[o]);
    w_s(&w, ",stroke-width:3px\n");
    w_s(&w, "  class ");
    bool first = true;
    for (uint32_t i = 0; i < g->nnodes; i++) {
      if (t.worst[i] != o) continue;
      if (!first) w_c(&w, ',');
      first = false;
      m_id(&w, g, i);
    }
    w_c(&w, ' ');
    w_s(&w, classes[o]);
    w_c(&w, '\n');
  }
  tree_free(&t);
  return w_end(&w);
}
