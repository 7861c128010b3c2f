/* Shared by the stdlib unit tests: call a built-in's sl_<name> directly with an Rt, as
 * the VM does, and compare its result as canonical JSON or its error message exactly.
 * Header-only (static functions): each test_stdlib_*.c is its own cmocka binary. */
#ifndef PLAT_TEST_STDLIB_HARNESS_H
#define PLAT_TEST_STDLIB_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stdlib/stdlib.h"

static Rt T_rt;

static inline int t_setup(void **state) { (void)state; rt_init(&T_rt, 64u << 20); return 0; }
static inline int t_teardown(void **state) { (void)state; rt_free(&T_rt); return 0; }

typedef struct TCall { SlFn fn; const Val *args; uint32_t n; Val out; } TCall;
static inline void t_do(Rt *rt, void *ud) { TCall *c = ud; c->out = c->fn(rt, c->args, c->n); }

static inline Val S(const char *s) { return val_cstr(&T_rt, s); }
static inline Val I(int64_t i) { return val_int(i); }
static inline Val F(double f) { return val_float(&T_rt, f); }
static inline Val B(bool b) { return val_bool(b); }
static inline Val N(void) { return val_null(); }
/* A list of [n] values. */
static inline Val LST(uint32_t n, ...) {
  VList *l = val_list_new(&T_rt, n);
  va_list ap;
  va_start(ap, n);
  for (uint32_t i = 0; i < n; i++) l->items[i] = va_arg(ap, Val);
  va_end(ap);
  return val_list_done(l);
}
/* A map of [n] key/value pairs: MAP(2, "a", I(1), "b", I(2)). */
static inline Val MAP(uint32_t n, ...) {
  MapBuilder b;
  mb_init(&b, &T_rt, n);
  va_list ap;
  va_start(ap, n);
  for (uint32_t i = 0; i < n; i++) {
    const char *k = va_arg(ap, const char *);
    mb_put_cstr(&b, k, va_arg(ap, Val));
  }
  va_end(ap);
  return val_map_done(&b);
}

static const char *t_json(Val v) {
  SBuf b;
  sb_init(&b, &T_rt);
  val_write_json(&b, v);
  sb_addc(&b, '\0');
  return b.p;
}

/* The JSON of fn(args); fails the test on a runtime error. */
static const char *t_ok(SlFn fn, const Val *args, uint32_t n) {
  TCall c = {fn, args, n, val_null()};
  if (rt_protect(&T_rt, t_do, &c) != 0) fail_msg("unexpected error: %s", T_rt.errmsg);
  return t_json(c.out);
}
/* The raw result of fn(args). */
static inline Val t_val(SlFn fn, const Val *args, uint32_t n) {
  TCall c = {fn, args, n, val_null()};
  if (rt_protect(&T_rt, t_do, &c) != 0) fail_msg("unexpected error: %s", T_rt.errmsg);
  return c.out;
}
/* The error message of fn(args); fails the test when it returns. */
static const char *t_err(SlFn fn, const Val *args, uint32_t n) {
  TCall c = {fn, args, n, val_null()};
  if (rt_protect(&T_rt, t_do, &c) == 0) fail_msg("expected an error, got %s", t_json(c.out));
  return T_rt.errmsg;
}

#define OK(expect, fn, ...) do { Val a_[] = {__VA_ARGS__}; \
    assert_string_equal(t_ok(sl_##fn, a_, sizeof a_ / sizeof a_[0]), expect); } while (0)
#define OK0(expect, fn) assert_string_equal(t_ok(sl_##fn, NULL, 0), expect)
#define ERR(expect, fn, ...) do { Val a_[] = {__VA_ARGS__}; \
    assert_string_equal(t_err(sl_##fn, a_, sizeof a_ / sizeof a_[0]), expect); } while (0)

#endif
