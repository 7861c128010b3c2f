/* The collection built-ins (docs/stdlib.md "Collections"): lists and maps with
 * Terraform's semantics and messages.  Plat's sets are lists: the set functions return
 * their items without repeats and sorted by val_compare, so results never depend on an
 * order Terraform leaves unspecified.  Sorting is O(n log n) everywhere (no quadratic
 * distinct or set operation on big lists). */
#include <string.h>

#include "stdlib/stdlib.h"
#include "stdlib/text.h"

/* range() stops here: Terraform stops at 1024; the runtime's memory limit guards beyond. */
#define RANGE_MAX (1u << 20)

static const VList *L(Val v) { return v.as.l; }

Val sl_alltrue(Rt *rt, const Val *args, uint32_t n) {
  (void)rt; (void)n;
  for (uint32_t i = 0; i < L(args[0])->n; i++)
    if (!(L(args[0])->items[i].tag == VT_BOOL && L(args[0])->items[i].as.b)) return val_bool(false);
  return val_bool(true);
}

Val sl_anytrue(Rt *rt, const Val *args, uint32_t n) {
  (void)rt; (void)n;
  for (uint32_t i = 0; i < L(args[0])->n; i++)
    if (L(args[0])->items[i].tag == VT_BOOL && L(args[0])->items[i].as.b) return val_bool(true);
  return val_bool(false);
}

Val sl_chunklist(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *l = L(args[0]);
  int64_t size = args[1].as.i;
  if (size < 0) rt_error(rt, "chunklist: the size argument must be positive, found %lld", (long long)size);
  if (l->n == 0) return val_list_of(rt, NULL, 0);
  if (size == 0) return val_list_of(rt, &args[0], 1);
  uint32_t chunks = (uint32_t)((l->n + (uint64_t)size - 1) / (uint64_t)size);
  VList *out = val_list_new(rt, chunks);
  for (uint32_t c = 0; c < chunks; c++) {
    uint64_t from = (uint64_t)c * (uint64_t)size;
    uint64_t to = from + (uint64_t)size < l->n ? from + (uint64_t)size : l->n;
    out->items[c] = val_list_of(rt, l->items + from, (uint32_t)(to - from));
  }
  return val_list_done(out);
}

Val sl_coalesce(Rt *rt, const Val *args, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (args[i].tag == VT_NULL) continue;
    if (args[i].tag == VT_STR && sl_len(args[i]) == 0) continue;
    return args[i];
  }
  rt_error(rt, "coalesce: no non-null, non-empty-string arguments");
}

Val sl_coalescelist(Rt *rt, const Val *args, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (args[i].tag == VT_LIST && L(args[i])->n > 0) return args[i];
  rt_error(rt, "coalescelist: no non-empty list among the arguments");
}

Val sl_compact(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *l = L(args[0]);
  Val *items = rt_alloc(rt, (l->n ? l->n : 1) * sizeof *items);
  uint32_t k = 0;
  for (uint32_t i = 0; i < l->n; i++)
    if (l->items[i].tag == VT_STR && sl_len(l->items[i]) > 0) items[k++] = l->items[i];
  return val_list_of(rt, items, k);
}

static Val concat_lists(Rt *rt, const Val *lists, uint32_t nl, const char *fn) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < nl; i++) total += L(lists[i])->n;
  if (total > UINT32_MAX / sizeof(Val)) rt_error(rt, "%s: the result would have too many items", fn);
  VList *out = val_list_new(rt, (uint32_t)total);
  uint32_t k = 0;
  for (uint32_t i = 0; i < nl; i++) {
    memcpy(out->items + k, L(lists[i])->items, L(lists[i])->n * sizeof(Val));
    k += L(lists[i])->n;
  }
  return val_list_done(out);
}

Val sl_concat(Rt *rt, const Val *args, uint32_t n) { return concat_lists(rt, args, n, "concat"); }

/* flatten: one level, as the type says (list<list<T>> -> list<T>); Terraform flattens
 * any depth because its lists are untyped — nest flatten calls for that. */
Val sl_flatten(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  return concat_lists(rt, L(args[0])->items, L(args[0])->n, "flatten");
}

static int64_t find_item(const VList *l, Val v) {
  for (uint32_t i = 0; i < l->n; i++)
    if (val_equal(l->items[i], v)) return i;
  return -1;
}

Val sl_contains(Rt *rt, const Val *args, uint32_t n) {
  (void)rt; (void)n;
  return val_bool(find_item(L(args[0]), args[1]) >= 0);
}

Val sl_index(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  int64_t at = find_item(L(args[0]), args[1]);
  if (at < 0) rt_error(rt, "index: item %s not found", sl_show(rt, args[1]));
  return val_int(at);
}

/* ---- sorting ---------------------------------------------------------------------------- */
/* The positions of [items] in val_compare order, equal items in their original order
 * (a merge sort of indexes: stable, O(n log n), no recursion). */
static uint32_t *sorted_order(Rt *rt, const Val *items, uint32_t n) {
  uint32_t *a = rt_alloc(rt, (n ? n : 1) * sizeof *a), *tmp = rt_alloc(rt, (n ? n : 1) * sizeof *tmp);
  for (uint32_t i = 0; i < n; i++) a[i] = i;
  for (uint32_t w = 1; w < n; w *= 2) {
    for (uint32_t lo = 0; lo < n; lo += 2 * w) {
      uint32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      uint32_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = val_compare(items[a[j]], items[a[i]]) < 0 ? a[j++] : a[i++];
      while (i < mid) tmp[k++] = a[i++];
      while (j < hi) tmp[k++] = a[j++];
    }
    uint32_t *t = a; a = tmp; tmp = t;
    if (w > UINT32_MAX / 2) break;
  }
  return a;
}

/* The items without repeats, sorted: what a set of them is in Plat. */
static VList *set_of(Rt *rt, const Val *items, uint32_t n) {
  uint32_t *ord = sorted_order(rt, items, n);
  VList *out = val_list_new(rt, n);
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++)
    if (k == 0 || val_compare(out->items[k - 1], items[ord[i]]) != 0) out->items[k++] = items[ord[i]];
  out->n = k;
  return out;
}

static bool set_has(const VList *set, Val v) {
  uint32_t lo = 0, hi = set->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = val_compare(set->items[mid], v);
    if (c == 0) return true;
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return false;
}

/* distinct: the first of each value, in the original order. */
Val sl_distinct(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *l = L(args[0]);
  uint32_t *ord = sorted_order(rt, l->items, l->n);
  bool *keep = rt_alloc(rt, l->n ? l->n : 1);
  for (uint32_t i = 0; i < l->n; i++)
    keep[ord[i]] = i == 0 || val_compare(l->items[ord[i - 1]], l->items[ord[i]]) != 0;
  VList *out = val_list_new(rt, l->n);
  uint32_t k = 0;
  for (uint32_t i = 0; i < l->n; i++)
    if (keep[i]) out->items[k++] = l->items[i];
  out->n = k;
  return val_list_done(out);
}

Val sl_setunion(Rt *rt, const Val *args, uint32_t n) {
  Val all = concat_lists(rt, args, n, "setunion");
  return val_list_done(set_of(rt, L(all)->items, L(all)->n));
}

Val sl_setintersection(Rt *rt, const Val *args, uint32_t n) {
  VList *acc = set_of(rt, L(args[0])->items, L(args[0])->n);
  for (uint32_t a = 1; a < n; a++) {
    VList *other = set_of(rt, L(args[a])->items, L(args[a])->n);
    uint32_t k = 0;
    for (uint32_t i = 0; i < acc->n; i++)
      if (set_has(other, acc->items[i])) acc->items[k++] = acc->items[i];
    acc->n = k;
  }
  return val_list_done(acc);
}

Val sl_setsubtract(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  VList *a = set_of(rt, L(args[0])->items, L(args[0])->n);
  VList *b = set_of(rt, L(args[1])->items, L(args[1])->n);
  uint32_t k = 0;
  for (uint32_t i = 0; i < a->n; i++)
    if (!set_has(b, a->items[i])) a->items[k++] = a->items[i];
  a->n = k;
  return val_list_done(a);
}

/* setproduct: every combination, one item from each list, the first list varying
 * slowest; lists keep their order and repeats (Terraform's result for list arguments). */
Val sl_setproduct(Rt *rt, const Val *args, uint32_t n) {
  if (n < 2) rt_error(rt, "setproduct: at least two arguments are required");
  uint64_t total = 1;
  for (uint32_t i = 0; i < n; i++) {
    total *= L(args[i])->n;
    if (total > (1u << 24)) rt_error(rt, "setproduct: the product would have more than %u items", 1u << 24);
  }
  VList *out = val_list_new(rt, (uint32_t)total);
  uint32_t *idx = rt_alloc(rt, n * sizeof *idx);
  for (uint32_t k = 0; k < total; k++) {
    VList *t = val_list_new(rt, n);
    for (uint32_t i = 0; i < n; i++) t->items[i] = L(args[i])->items[idx[i]];
    out->items[k] = val_list_done(t);
    for (uint32_t i = n; i-- > 0;) {
      if (++idx[i] < L(args[i])->n) break;
      idx[i] = 0;
    }
  }
  return val_list_done(out);
}

Val sl_sort(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *l = L(args[0]);
  uint32_t *ord = sorted_order(rt, l->items, l->n);
  VList *out = val_list_new(rt, l->n);
  for (uint32_t i = 0; i < l->n; i++) out->items[i] = l->items[ord[i]];
  return val_list_done(out);
}

Val sl_element(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *l = L(args[0]);
  int64_t i = args[1].as.i;
  if (l->n == 0) rt_error(rt, "element: cannot use element function with an empty list");
  if (i < 0) rt_error(rt, "element: cannot use element function with a negative index (%lld)", (long long)i);
  return l->items[(uint64_t)i % l->n];
}

Val sl_keys(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VMap *m = args[0].as.m;
  VList *out = val_list_new(rt, m->n);
  for (uint32_t i = 0; i < m->n; i++) {
    Val k = {.tag = VT_STR};
    k.as.s = m->e[i].key;
    out->items[i] = k;
  }
  return val_list_done(out);
}

Val sl_values(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VMap *m = args[0].as.m;
  VList *out = val_list_new(rt, m->n);
  for (uint32_t i = 0; i < m->n; i++) out->items[i] = m->e[i].val;
  return val_list_done(out);
}

Val sl_length(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  switch (args[0].tag) {
  case VT_STR: return val_int(sl_grapheme_count(sl_s(args[0]), sl_len(args[0])));
  case VT_LIST: return val_int(L(args[0])->n);
  case VT_MAP: return val_int(args[0].as.m->n);
  default: rt_error(rt, "length: a %s has no length", val_type_name(args[0]));
  }
}

Val sl_lookup(Rt *rt, const Val *args, uint32_t n) {
  (void)rt; (void)n;
  const Val *v = val_map_get(args[0].as.m, sl_s(args[1]), sl_len(args[1]));
  return v ? *v : args[2];
}

Val sl_matchkeys(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *vals = L(args[0]), *keys = L(args[1]);
  if (vals->n != keys->n)
    rt_error(rt, "matchkeys: length of keys and values should be equal (%u keys, %u values)", keys->n, vals->n);
  VList *search = set_of(rt, L(args[2])->items, L(args[2])->n);
  VList *out = val_list_new(rt, vals->n);
  uint32_t k = 0;
  for (uint32_t i = 0; i < vals->n; i++)
    if (set_has(search, keys->items[i])) out->items[k++] = vals->items[i];
  out->n = k;
  return val_list_done(out);
}

Val sl_merge(Rt *rt, const Val *args, uint32_t n) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) total += args[i].as.m->n;
  MapBuilder b;
  mb_init(&b, rt, total > UINT32_MAX ? UINT32_MAX : (uint32_t)total);
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < args[i].as.m->n; j++) mb_put(&b, args[i].as.m->e[j].key, args[i].as.m->e[j].val);
  return val_map_done(&b);
}

Val sl_one(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *l = L(args[0]);
  if (l->n == 0) return val_null();
  if (l->n == 1) return l->items[0];
  rt_error(rt, "one: must be a list with either zero or one elements, found %u elements", l->n);
}

/* range(limit), range(start, limit), range(start, limit, step): Terraform's rules (a
 * limit below the start counts down unless a step is given). */
Val sl_range(Rt *rt, const Val *args, uint32_t n) {
  int64_t start = 0, end, step;
  if (n == 1) { end = args[0].as.i; step = end < 0 ? -1 : 1; }
  else {
    start = args[0].as.i;
    end = args[1].as.i;
    step = n == 3 ? args[2].as.i : end < start ? -1 : 1;
  }
  if (step == 0) rt_error(rt, "range: step must not be zero");
  if (step < 0 && end > start) rt_error(rt, "range: end must be less than start when step is negative");
  if (step > 0 && end < start) rt_error(rt, "range: end must be greater than start when step is positive");
  /* count = ceil(|end - start| / |step|), in unsigned arithmetic so nothing overflows */
  uint64_t span = step > 0 ? (uint64_t)end - (uint64_t)start : (uint64_t)start - (uint64_t)end;
  uint64_t st = step > 0 ? (uint64_t)step : (uint64_t)0 - (uint64_t)step;
  uint64_t count = span / st + (span % st != 0);
  if (count > RANGE_MAX)
    rt_error(rt, "range: more than %u values would be generated; either decrease the difference "
             "between start and end or use a larger step", RANGE_MAX);
  VList *out = val_list_new(rt, (uint32_t)count);
  for (uint64_t i = 0; i < count; i++) out->items[i] = val_int((int64_t)((uint64_t)start + i * (uint64_t)step));
  return val_list_done(out);
}

Val sl_reverse(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *l = L(args[0]);
  VList *out = val_list_new(rt, l->n);
  for (uint32_t i = 0; i < l->n; i++) out->items[i] = l->items[l->n - 1 - i];
  return val_list_done(out);
}

Val sl_slice(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *l = L(args[0]);
  int64_t from = args[1].as.i, to = args[2].as.i;
  if (from < 0) rt_error(rt, "slice: from index must be greater than or equal to 0, found %lld", (long long)from);
  if (to > (int64_t)l->n)
    rt_error(rt, "slice: to index must be less than or equal to the length of the list (%u), found %lld", l->n, (long long)to);
  if (from > to) rt_error(rt, "slice: from index (%lld) must be less than or equal to to index (%lld)", (long long)from, (long long)to);
  return val_list_of(rt, l->items + from, (uint32_t)(to - from));
}

Val sl_sum(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *l = L(args[0]);
  if (l->n == 0) rt_error(rt, "sum: cannot sum an empty list");
  bool anyfloat = false;
  for (uint32_t i = 0; i < l->n; i++) anyfloat |= l->items[i].tag == VT_FLOAT;
  if (anyfloat) {
    double acc = 0;
    for (uint32_t i = 0; i < l->n; i++) acc += sl_num(l->items[i]);
    if (!(acc == acc) || acc - acc != 0) rt_error(rt, "sum: the result is not a finite number");
    return val_float(rt, acc);
  }
  int64_t acc = 0;
  for (uint32_t i = 0; i < l->n; i++)
    if (__builtin_add_overflow(acc, l->items[i].as.i, &acc)) rt_error(rt, "sum: integer overflow");
  return val_int(acc);
}

/* transpose: each value becomes a key listing the keys it appeared under (in key order). */
Val sl_transpose(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VMap *m = args[0].as.m;
  uint64_t total = 0;
  for (uint32_t i = 0; i < m->n; i++) total += L(m->e[i].val)->n;
  if (total > UINT32_MAX / sizeof(Val)) rt_error(rt, "transpose: the map is too large");
  /* pairs (value, key) sorted by value, stable: keys stay in key order */
  Val *vals = rt_alloc(rt, (total ? total : 1) * sizeof *vals);
  VStr **ks = rt_alloc(rt, (total ? total : 1) * sizeof *ks);
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->n; i++)
    for (uint32_t j = 0; j < L(m->e[i].val)->n; j++) {
      vals[k] = L(m->e[i].val)->items[j];
      ks[k++] = m->e[i].key;
    }
  uint32_t *ord = sorted_order(rt, vals, k);
  MapBuilder b;
  mb_init(&b, rt, k);
  for (uint32_t i = 0; i < k;) {
    uint32_t j = i;
    while (j < k && val_compare(vals[ord[j]], vals[ord[i]]) == 0) j++;
    VList *l = val_list_new(rt, j - i);
    for (uint32_t x = i; x < j; x++) {
      Val kv = {.tag = VT_STR};
      kv.as.s = ks[ord[x]];
      l->items[x - i] = kv;
    }
    mb_put(&b, vals[ord[i]].as.s, val_list_done(l));
    i = j;
  }
  return val_map_done(&b);
}

Val sl_zipmap(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *keys = L(args[0]), *vals = L(args[1]);
  if (keys->n != vals->n)
    rt_error(rt, "zipmap: number of keys (%u) does not match number of values (%u)", keys->n, vals->n);
  MapBuilder b;
  mb_init(&b, rt, keys->n);
  for (uint32_t i = 0; i < keys->n; i++) mb_put(&b, keys->items[i].as.s, vals->items[i]);
  return val_map_done(&b);
}

/* ---- conversions of collections ------------------------------------------------------ */
Val sl_tolist(Rt *rt, const Val *args, uint32_t n) { (void)rt; (void)n; return args[0]; }
Val sl_tomap(Rt *rt, const Val *args, uint32_t n) { (void)rt; (void)n; return args[0]; }
Val sl_toset(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  return val_list_done(set_of(rt, L(args[0])->items, L(args[0])->n));
}
