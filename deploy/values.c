/* Val <-> JSON for the deploy engine (see values.h). */
#include "deploy/values.h"

#include "stdlib/conform.h"

#include <math.h>
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

static bool eq_json(Val v, const json_t *j, int depth) {
  if (depth > DV_MAX_DEPTH)
    return false;
  switch ((ValTag)v.tag) {
  case VT_NULL: return json_is_null(j);
  case VT_BOOL: return v.as.b ? json_is_true(j) : json_is_false(j);
  case VT_INT: return json_is_integer(j) && json_integer_value(j) == (json_int_t)v.as.i;
  case VT_FLOAT:
    return json_is_real(j) && isfinite(v.as.f) && json_real_value(j) == v.as.f;
  case VT_STR:
    return json_is_string(j) && json_string_length(j) == v.as.s->len &&
           memcmp(json_string_value(j), v.as.s->s, v.as.s->len) == 0;
  case VT_LIST:
    if (!json_is_array(j) || json_array_size(j) != v.as.l->n)
      return false;
    for (uint32_t i = 0; i < v.as.l->n; i++)
      if (!eq_json(v.as.l->items[i], json_array_get(j, i), depth + 1))
        return false;
    return true;
  case VT_MAP:
    /* Equal sizes and every key found equal: the same object (keys of a map are
       distinct; if they were not, the sizes would differ). */
    if (!json_is_object(j) || json_object_size(j) != v.as.m->n)
      return false;
    for (uint32_t i = 0; i < v.as.m->n; i++) {
      const VStr *k = v.as.m->e[i].key;
      const json_t *jv = json_object_getn(j, k->s, k->len);
      if (!jv || !eq_json(v.as.m->e[i].val, jv, depth + 1))
        return false;
    }
    return true;
  default: return false;
  }
}

bool dv_equal_json(Val v, const json_t *j) {
  return j && eq_json(v, j, 0);
}

Val dv_from_json(Rt *rt, const json_t *j) {
  /* the stdlib's reader (jsondecode's): one conversion of JSON into values */
  return sl_json_value(rt, "a stored value", (json_t *)j, 0);
}
