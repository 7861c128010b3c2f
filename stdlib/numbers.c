/* The number built-ins: abs ceil floor log max min parseint pow signum, with Terraform's
 * semantics on Plat's two number types (int: int64, overflow is an error; float: finite
 * doubles).  A `number` result is a float when any argument is, as the checker types it.
 * No rounding modes, no big numbers: out-of-range results are errors, never wrapped. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "stdlib/stdlib.h"
#include "stdlib/text.h"

/* A float result, or the error of a function whose result is not a finite number. */
static Val finite_result(Rt *rt, const char *fn, double f) {
  if (!isfinite(f)) rt_error(rt, "%s: the result is not a finite number", fn);
  return val_float(rt, f);
}

/* A float that must fit an int (ceil, floor): its value, or an error naming it. */
static Val to_int(Rt *rt, const char *fn, double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
    rt_error(rt, "%s: the result %g is out of range for an int", fn, d);
  return val_int((int64_t)d);
}

Val sl_abs(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Val x = args[0];
  if (x.tag == VT_FLOAT) return val_float(rt, fabs(x.as.f));
  if (x.as.i == INT64_MIN) rt_error(rt, "abs: integer overflow: -(%lld)", (long long)x.as.i);
  return val_int(x.as.i < 0 ? -x.as.i : x.as.i);
}

Val sl_ceil(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  if (args[0].tag == VT_INT) return args[0];
  return to_int(rt, "ceil", ceil(args[0].as.f));
}

Val sl_floor(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  if (args[0].tag == VT_INT) return args[0];
  return to_int(rt, "floor", floor(args[0].as.f));
}

/* log(x, base) = ln x / ln base, as Terraform computes it. */
Val sl_log(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  double x = sl_num(args[0]), base = sl_num(args[1]);
  if (x < 0) rt_error(rt, "log: the number must not be negative, found %g", x);
  if (base <= 0 || base == 1) rt_error(rt, "log: the base must be positive and not 1, found %g", base);
  return finite_result(rt, "log", log(x) / log(base));
}

static Val extreme(Rt *rt, const Val *args, uint32_t n, bool want_max) {
  if (n == 0) rt_error(rt, "%s: must provide at least one number", want_max ? "max" : "min");
  bool anyfloat = false;
  uint32_t best = 0;
  for (uint32_t i = 0; i < n; i++) {
    anyfloat |= args[i].tag == VT_FLOAT;
    int c = val_compare(args[i], args[best]);
    if (want_max ? c > 0 : c < 0) best = i;
  }
  if (anyfloat && args[best].tag == VT_INT) return val_float(rt, (double)args[best].as.i);
  return args[best];
}

Val sl_max(Rt *rt, const Val *args, uint32_t n) { return extreme(rt, args, n, true); }
Val sl_min(Rt *rt, const Val *args, uint32_t n) { return extreme(rt, args, n, false); }

/* The value of digit [c] in parseint's alphabet: 0-9, then a-z, then A-Z (for bases up
 * to 36 letters of either case are 10-35, as Go's big.Int reads them); -1 if none. */
static int digit_value(char c, int64_t base) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return base <= 36 ? c - 'A' + 10 : c - 'A' + 36;
  return -1;
}

Val sl_parseint(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *s = sl_s(args[0]);
  uint32_t len = sl_len(args[0]);
  int64_t base = args[1].as.i;
  if (base < 2 || base > 62)
    rt_error(rt, "parseint: base must be a whole number between 2 and 62 inclusive, found %lld",
             (long long)base);
  uint32_t i = 0;
  bool neg = false;
  if (len > 0 && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; i = 1; }
  if (i == len) goto bad;
  /* accumulate negatively so INT64_MIN reads without overflow */
  int64_t acc = 0;
  for (; i < len; i++) {
    int d = digit_value(s[i], base);
    if (d < 0 || d >= base) goto bad;
    if (__builtin_mul_overflow(acc, base, &acc) || __builtin_sub_overflow(acc, d, &acc))
      goto range;
  }
  if (!neg) {
    if (acc == INT64_MIN) goto range;
    acc = -acc;
  }
  return val_int(acc);
range:
  rt_error(rt, "parseint: %s is out of range for an int", sl_show(rt, args[0]));
bad:
  rt_error(rt, "parseint: cannot parse %s as a base %lld integer", sl_show(rt, args[0]),
           (long long)base);
}

Val sl_pow(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  return finite_result(rt, "pow", pow(sl_num(args[0]), sl_num(args[1])));
}

Val sl_signum(Rt *rt, const Val *args, uint32_t n) {
  (void)rt; (void)n;
  double x = sl_num(args[0]);
  return val_int(x > 0 ? 1 : x < 0 ? -1 : 0);
}
