/* Text helpers for the stdlib (see text.h): UTF-8 steps and grapheme clusters through
 * utf8proc, Go's white space, the number text of interpolation.  No allocation here but
 * through SBuf and the values made with sl_str. */
#include "stdlib/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <utf8proc.h>

uint32_t sl_utf8_next(const char *s, uint32_t n, uint32_t i, int32_t *cp) {
  utf8proc_int32_t c;
  utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
  if (k <= 0) {   /* not reached on valid UTF-8; step one byte so no loop can stall */
    *cp = (unsigned char)s[i];
    return 1;
  }
  *cp = c;
  return (uint32_t)k;
}

uint32_t sl_grapheme_len(const char *s, uint32_t n, uint32_t i) {
  int32_t prev, cp;
  utf8proc_int32_t state = 0;
  uint32_t j = i + sl_utf8_next(s, n, i, &prev);
  while (j < n) {
    uint32_t k = sl_utf8_next(s, n, j, &cp);
    if (utf8proc_grapheme_break_stateful(prev, cp, &state)) break;
    prev = cp;
    j += k;
  }
  return j - i;
}

uint32_t sl_grapheme_count(const char *s, uint32_t n) {
  uint32_t count = 0;
  for (uint32_t i = 0; i < n; i += sl_grapheme_len(s, n, i)) count++;
  return count;
}

void sl_add_cp(SBuf *b, int32_t cp) {
  utf8proc_uint8_t buf[4];
  utf8proc_ssize_t k = utf8proc_encode_char(cp, buf);
  sb_add(b, (const char *)buf, (size_t)k);
}

bool sl_is_space(int32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= '\t' && cp <= '\r');
  if (cp == 0x85 || cp == 0xA0) return true;
  utf8proc_category_t c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

bool sl_is_letter_or_digit(int32_t cp) {
  switch (utf8proc_category(cp)) {
  case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    return true;
  default:
    return false;
  }
}

Val sl_str(Rt *rt, const char *s, size_t n) {
  return val_str(rt, s, n);
}

void sl_add_number(SBuf *b, Val v) {
  if (v.tag == VT_INT) {
    sb_addf(b, "%lld", (long long)v.as.i);
    return;
  }
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v.as.f);
    if (strtod(buf, NULL) == v.as.f) break;
  }
  sb_adds(b, buf);
  if (!strpbrk(buf, ".eEn")) sb_adds(b, ".0");
}

const char *sl_show(Rt *rt, Val v) {
  SBuf b;
  sb_init(&b, rt);
  val_show(&b, v, 60);
  sb_addc(&b, '\0');
  return b.p;
}

bool sl_parse_number(Rt *rt, const char *s, uint32_t len, Val *out) {
  uint32_t i = 0, digits = 0;
  bool is_int = true;
  if (i < len && (s[i] == '+' || s[i] == '-')) i++;
  while (i < len && s[i] >= '0' && s[i] <= '9') { i++; digits++; }
  if (i < len && s[i] == '.') {
    is_int = false;
    for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) digits++;
  }
  if (digits == 0) return false;
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    is_int = false;
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-')) i++;
    uint32_t ed = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') { i++; ed++; }
    if (ed == 0) return false;
  }
  if (i != len) return false;
  /* s is a value's bytes: NUL-terminated, so strtoll/strtod stop at len */
  if (is_int) {
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == 0) { *out = val_int(v); return true; }
  }
  double d = strtod(s, NULL);
  if (!isfinite(d)) rt_error(rt, "the number %.40s%s is out of range", s, len > 40 ? "..." : "");
  *out = val_float(rt, d);
  return true;
}
