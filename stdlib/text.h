/* Text helpers shared by the stdlib's string, regex, collection and conversion functions:
 * UTF-8 decoding, Unicode grapheme clusters (utf8proc, the "characters" Terraform counts),
 * Go's notion of white space, and the number and string views of arguments.  Internal to
 * stdlib/; nothing here raises an error except through the Rt passed in. */
#ifndef PLAT_SL_TEXT_H
#define PLAT_SL_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/value.h"

/* The code point at s[i] (i < n; the text is valid UTF-8) in *cp; returns its bytes. */
uint32_t sl_utf8_next(const char *s, uint32_t n, uint32_t i, int32_t *cp);
/* Bytes of the grapheme cluster starting at s[i] (>= 1 when i < n). */
uint32_t sl_grapheme_len(const char *s, uint32_t n, uint32_t i);
/* Grapheme clusters in s[0..n). */
uint32_t sl_grapheme_count(const char *s, uint32_t n);
/* Append code point [cp] as UTF-8. */
void sl_add_cp(SBuf *b, int32_t cp);
/* Go's unicode.IsSpace: ASCII \t \n \v \f \r and space, U+0085, U+00A0 and the Unicode
 * space separators (Zs, Zl, Zp). */
bool sl_is_space(int32_t cp);
/* Letters (L*) and decimal digits (Nd), as Go's unicode.IsLetter / IsDigit. */
bool sl_is_letter_or_digit(int32_t cp);

/* An int or float argument as a double. */
static inline double sl_num(Val v) { return v.tag == VT_INT ? (double)v.as.i : v.as.f; }
/* A string argument's bytes and length. */
static inline const char *sl_s(Val v) { return v.as.s->s; }
static inline uint32_t sl_len(Val v) { return v.as.s->len; }
/* A string of bytes cut from valid UTF-8 at character boundaries. */
Val sl_str(Rt *rt, const char *s, size_t n);
/* The text of a number as Plat's interpolation prints it: ints in decimal, floats in the
 * shortest form that reads back exactly, with ".0" when it would read as an int. */
void sl_add_number(SBuf *b, Val v);

/* A decimal number in [s], NUL-terminated at [len] ("12", "-1.5", "+1e3"; no hex, no "inf", no spaces): an int
 * when it has no fraction or exponent and fits, else a float.  False when it is not one. */
bool sl_parse_number(Rt *rt, const char *s, uint32_t len, Val *out);
/* [v] as Plat source for an error message ("\"abc\"", "[1, 2]"), cut at 60 bytes;
 * a secret shows as [secret], so messages never quote one. */
const char *sl_show(Rt *rt, Val v);

#endif
