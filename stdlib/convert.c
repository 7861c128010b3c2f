/* The conversion built-ins: tostring, tonumber, tobool (Terraform's rules: only the
 * strings "true"/"false" are bools, only decimal texts are numbers), and sensitive /
 * nonsensitive, whose marks the VM also applies (here for calls made directly).
 * tolist, toset and tomap are with the collections (collections.c). */
#include <string.h>

#include "stdlib/stdlib.h"
#include "stdlib/text.h"

/* tostring: strings as they are; numbers and bools as Plat's interpolation prints them
 * (a float keeps its ".0", where Terraform's untyped numbers print "2"). */
Val sl_tostring(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Val v = args[0];
  if (v.tag == VT_STR) return v;
  SBuf b;
  sb_init(&b, rt);
  if (v.tag == VT_BOOL) sb_adds(&b, v.as.b ? "true" : "false");
  else if (v.tag == VT_INT || v.tag == VT_FLOAT) sl_add_number(&b, v);
  else rt_error(rt, "tostring: cannot convert a %s to a string", val_type_name(v));
  return sb_val(&b, true);
}

/* tonumber: the result is a float, as the signature says (tonumber("5") is 5.0). */
Val sl_tonumber(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Val v = args[0], out;
  if (v.tag == VT_INT) return val_float(rt, (double)v.as.i);
  if (v.tag == VT_FLOAT) return v;
  if (v.tag == VT_STR && sl_parse_number(rt, sl_s(v), sl_len(v), &out))
    return out.tag == VT_INT ? val_float(rt, (double)out.as.i) : out;
  rt_error(rt, "tonumber: cannot convert %s to a number; the string must be a decimal "
           "representation of a number", sl_show(rt, v));
}

Val sl_tobool(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Val v = args[0];
  if (v.tag == VT_BOOL) return v;
  if (v.tag == VT_STR && sl_len(v) == 4 && memcmp(sl_s(v), "true", 4) == 0) return val_bool(true);
  if (v.tag == VT_STR && sl_len(v) == 5 && memcmp(sl_s(v), "false", 5) == 0) return val_bool(false);
  rt_error(rt, "tobool: cannot convert %s to bool; only the strings \"true\" or \"false\" are allowed",
           sl_show(rt, v));
}

Val sl_sensitive(Rt *rt, const Val *args, uint32_t n) {
  (void)rt; (void)n;
  return val_mark_secret(args[0]);
}

Val sl_nonsensitive(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  return val_strip_secret(rt, args[0]);
}
