/* Val <-> JSON for the deploy engine (see values.h). */
#include "deploy/values.h"

#include <string.h>

#define DV_MAX_DEPTH 2048

bool dv_is_unknown_marker(const json_t *j) {
  return json_is_object(j) && json_object_size(j) == 1 &&
         json_is_true(json_object_get(j, "$unknown"));
}

json_t *dv_unknown_marker(void) {
  return json_pack("{s:b}", "$unknown", 1);
}

static json_t *to_json(Val v, bool *unknown, int depth) {
  if (depth > DV_MAX_DEPTH) {
    *unknown = true;
    return dv_unknown_marker();
  }
  switch ((ValTag)v.tag) {
  case VT_NULL: return json_null();
  case VT_BOOL: return json_boolean(v.as.b);
  case VT_INT: return json_integer((json_int_t)v.as.i);
  case VT_FLOAT: return json_real(v.as.f);
  case VT_STR: return json_stringn(v.as.s->s, v.as.s->len);
  case VT_LIST: {
    json_t *a = json_array();
    for (uint32_t i = 0; i < v.as.l->n; i++)
      json_array_append_new(a, to_json(v.as.l->items[i], unknown, depth + 1));
    return a;
  }
  case VT_MAP: {
    json_t *o = json_object();
    for (uint32_t i = 0; i < v.as.m->n; i++)
      json_object_setn_new_nocheck(o, v.as.m->e[i].key->s, v.as.m->e[i].key->len,
                                   to_json(v.as.m->e[i].val, unknown, depth + 1));
    return o;
  }
  case VT_RES: return json_pack("{s:I}", "$resource", (json_int_t)v.node);
  case VT_UNKNOWN:
    *unknown = true;
    return dv_unknown_marker();
  }
  return json_null();
}

json_t *dv_to_json(Val v, bool *unknown) {
  bool u = false;
  json_t *j = to_json(v, &u, 0);
  if (u && unknown)
    *unknown = true;
  return j;
}

static Val from_json(Rt *rt, const json_t *j, int depth) {
  if (depth > DV_MAX_DEPTH)
    rt_error(rt, "a stored value is nested more than %d levels deep", DV_MAX_DEPTH);
  switch (json_typeof(j)) {
  case JSON_NULL: return val_null();
  case JSON_TRUE: return val_bool(true);
  case JSON_FALSE: return val_bool(false);
  case JSON_INTEGER: return val_int((int64_t)json_integer_value(j));
  case JSON_REAL: return val_float(rt, json_real_value(j));
  case JSON_STRING:
    return val_str_checked(rt, json_string_value(j), json_string_length(j), "a stored string");
  case JSON_ARRAY: {
    size_t n = json_array_size(j);
    VList *l = val_list_new(rt, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
      l->items[i] = from_json(rt, json_array_get(j, i), depth + 1);
    return val_list_done(l);
  }
  case JSON_OBJECT: {
    MapBuilder b;
    mb_init(&b, rt, (uint32_t)json_object_size(j));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v)
      mb_put(&b, val_intern(rt, k, strlen(k)), from_json(rt, v, depth + 1));
    return val_map_done(&b);
  }
  }
  return val_null();
}

Val dv_from_json(Rt *rt, const json_t *j) {
  return from_json(rt, j, 0);
}
