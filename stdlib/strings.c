/* The string built-ins (docs/stdlib.md "Strings"), with Terraform's semantics: characters
 * are grapheme clusters where Terraform counts them (substr, strrev, format widths), case
 * mapping is Unicode's simple mapping (as Go's), white space is Go's unicode.IsSpace.
 * format and formatlist implement Terraform's verbs, flags, widths and precisions; the
 * regex form of replace lives in regex.c.  Every result is valid UTF-8. */
#include <string.h>
#include <utf8proc.h>

#include "stdlib/regex.h"
#include "stdlib/stdlib.h"
#include "stdlib/text.h"

static bool has_prefix(Val s, Val p) {
  return sl_len(p) <= sl_len(s) && memcmp(sl_s(s), sl_s(p), sl_len(p)) == 0;
}

static bool has_suffix(Val s, Val p) {
  return sl_len(p) <= sl_len(s) && memcmp(sl_s(s) + sl_len(s) - sl_len(p), sl_s(p), sl_len(p)) == 0;
}

/* The first occurrence of [needle] in [hay] at or after byte [from], or -1. */
static int64_t find(const char *hay, uint32_t hn, const char *needle, uint32_t nn, uint32_t from) {
  if (nn == 0) return from <= hn ? (int64_t)from : -1;
  if (nn > hn) return -1;
  for (uint32_t i = from; i + nn <= hn; i++) {
    const char *p = memchr(hay + i, needle[0], hn - nn + 1 - i);
    if (!p) return -1;
    i = (uint32_t)(p - hay);
    if (memcmp(p, needle, nn) == 0) return i;
  }
  return -1;
}

Val sl_chomp(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  uint32_t e = sl_len(args[0]);
  while (e > 0 && (sl_s(args[0])[e - 1] == '\n' || sl_s(args[0])[e - 1] == '\r')) e--;
  return e == sl_len(args[0]) ? args[0] : sl_str(rt, sl_s(args[0]), e);
}

Val sl_startswith(Rt *rt, const Val *args, uint32_t n) {
  (void)rt; (void)n;
  return val_bool(has_prefix(args[0], args[1]));
}

Val sl_endswith(Rt *rt, const Val *args, uint32_t n) {
  (void)rt; (void)n;
  return val_bool(has_suffix(args[0], args[1]));
}

Val sl_strcontains(Rt *rt, const Val *args, uint32_t n) {
  (void)rt; (void)n;
  return val_bool(find(sl_s(args[0]), sl_len(args[0]), sl_s(args[1]), sl_len(args[1]), 0) >= 0);
}

Val sl_trimprefix(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  if (!has_prefix(args[0], args[1]) || sl_len(args[1]) == 0) return args[0];
  return sl_str(rt, sl_s(args[0]) + sl_len(args[1]), sl_len(args[0]) - sl_len(args[1]));
}

Val sl_trimsuffix(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  if (!has_suffix(args[0], args[1]) || sl_len(args[1]) == 0) return args[0];
  return sl_str(rt, sl_s(args[0]), sl_len(args[0]) - sl_len(args[1]));
}

/* indent(spaces, s): `spaces` spaces after every newline (Terraform: every line but the
 * first). */
Val sl_indent(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  int64_t spaces = args[0].as.i;
  const char *s = sl_s(args[1]);
  uint32_t len = sl_len(args[1]);
  if (spaces < 0) rt_error(rt, "indent: the number of spaces must not be negative, found %lld", (long long)spaces);
  uint64_t lines = 0;
  for (uint32_t i = 0; i < len; i++) lines += s[i] == '\n';
  if (lines && (uint64_t)spaces > (UINT32_MAX - 1 - (uint64_t)len) / lines)
    rt_error(rt, "indent: the result would be too long (%llu lines of %lld spaces)",
             (unsigned long long)lines, (long long)spaces);
  SBuf b;
  sb_init(&b, rt);
  for (uint32_t i = 0; i < len; i++) {
    sb_addc(&b, s[i]);
    if (s[i] == '\n')
      for (int64_t k = 0; k < spaces; k++) sb_addc(&b, ' ');
  }
  return sb_val(&b, true);
}

Val sl_join(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VList *l = args[1].as.l;
  SBuf b;
  sb_init(&b, rt);
  for (uint32_t i = 0; i < l->n; i++) {
    if (i) sb_add(&b, sl_s(args[0]), sl_len(args[0]));
    if (l->items[i].tag != VT_STR)
      rt_error(rt, "join: element %u is %s; only strings can be joined", i, val_type_name(l->items[i]));
    sb_add(&b, sl_s(l->items[i]), sl_len(l->items[i]));
  }
  return sb_val(&b, true);
}

/* Map every code point of [v] through [f] (Unicode simple case mapping). */
static Val map_cps(Rt *rt, Val v, utf8proc_int32_t (*f)(utf8proc_int32_t)) {
  const char *s = sl_s(v);
  uint32_t len = sl_len(v);
  SBuf b;
  sb_init(&b, rt);
  for (uint32_t i = 0; i < len;) {
    int32_t cp;
    uint32_t k = sl_utf8_next(s, len, i, &cp);
    if (cp < 0x80) sb_addc(&b, (char)f(cp));
    else sl_add_cp(&b, f(cp));
    i += k;
  }
  return sb_val(&b, true);
}

Val sl_lower(Rt *rt, const Val *args, uint32_t n) { (void)n; return map_cps(rt, args[0], utf8proc_tolower); }
Val sl_upper(Rt *rt, const Val *args, uint32_t n) { (void)n; return map_cps(rt, args[0], utf8proc_toupper); }

/* Go's strings.Title, which Terraform uses: the first letter after a separator (anything
 * but a letter, a digit or '_'; outside ASCII only white space separates) in title case. */
static bool is_separator(int32_t cp) {
  if (cp < 0x80)
    return !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_');
  if (sl_is_letter_or_digit(cp)) return false;
  return sl_is_space(cp);
}

Val sl_title(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *s = sl_s(args[0]);
  uint32_t len = sl_len(args[0]);
  SBuf b;
  sb_init(&b, rt);
  int32_t prev = ' ';
  for (uint32_t i = 0; i < len;) {
    int32_t cp;
    i += sl_utf8_next(s, len, i, &cp);
    sl_add_cp(&b, is_separator(prev) ? utf8proc_totitle(cp) : cp);
    prev = cp;
  }
  return sb_val(&b, true);
}

/* Go's strings.Replace(s, old, new, -1): every non-overlapping [old], left to right; an
 * empty [old] matches before every character and at the end. */
static Val replace_plain(Rt *rt, Val sv, Val ov, Val nv) {
  const char *s = sl_s(sv), *o = sl_s(ov);
  uint32_t len = sl_len(sv), olen = sl_len(ov);
  SBuf b;
  sb_init(&b, rt);
  if (olen == 0) {
    for (uint32_t i = 0; i < len;) {
      int32_t cp;
      uint32_t k = sl_utf8_next(s, len, i, &cp);
      sb_add(&b, sl_s(nv), sl_len(nv));
      sb_add(&b, s + i, k);
      i += k;
    }
    sb_add(&b, sl_s(nv), sl_len(nv));
    return sb_val(&b, true);
  }
  uint32_t at = 0;
  int64_t hit;
  while ((hit = find(s, len, o, olen, at)) >= 0) {
    sb_add(&b, s + at, (uint32_t)hit - at);
    sb_add(&b, sl_s(nv), sl_len(nv));
    at = (uint32_t)hit + olen;
  }
  if (at == 0) return sv;
  sb_add(&b, s + at, len - at);
  return sb_val(&b, true);
}

/* replace(s, substring, replacement): a substring written /like this/ is a regular
 * expression, and the replacement may use $1, ${name} (regex.c). */
Val sl_replace(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *sub = sl_s(args[1]);
  uint32_t sn = sl_len(args[1]);
  if (sn >= 2 && sub[0] == '/' && sub[sn - 1] == '/')
    return sl_regex_replace(rt, args[0], sub + 1, sn - 2, args[2]);
  return replace_plain(rt, args[0], args[1], args[2]);
}

/* Go's strings.Split: an empty separator splits into code points (and "" into none). */
Val sl_split(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *sep = sl_s(args[0]), *s = sl_s(args[1]);
  uint32_t seplen = sl_len(args[0]), len = sl_len(args[1]);
  uint32_t count = 0;
  if (seplen == 0) {
    for (uint32_t i = 0; i < len; count++) { int32_t cp; i += sl_utf8_next(s, len, i, &cp); }
  } else {
    count = 1;
    for (int64_t at = 0; (at = find(s, len, sep, seplen, (uint32_t)at)) >= 0; at += seplen) count++;
  }
  VList *l = val_list_new(rt, count);
  uint32_t k = 0, at = 0;
  if (seplen == 0) {
    for (uint32_t i = 0; i < len;) {
      int32_t cp;
      uint32_t w = sl_utf8_next(s, len, i, &cp);
      l->items[k++] = sl_str(rt, s + i, w);
      i += w;
    }
  } else {
    int64_t hit;
    while ((hit = find(s, len, sep, seplen, at)) >= 0) {
      l->items[k++] = sl_str(rt, s + at, (uint32_t)hit - at);
      at = (uint32_t)hit + seplen;
    }
    l->items[k++] = sl_str(rt, s + at, len - at);
  }
  return val_list_done(l);
}

/* strrev: the grapheme clusters in reverse order, so "e\u0301" stays one character. */
Val sl_strrev(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *s = sl_s(args[0]);
  uint32_t len = sl_len(args[0]);
  char *out = rt_alloc(rt, (size_t)len + 1);
  uint32_t pos = len;
  for (uint32_t i = 0; i < len;) {
    uint32_t g = sl_grapheme_len(s, len, i);
    pos -= g;
    memcpy(out + pos, s + i, g);
    i += g;
  }
  return sl_str(rt, out, len);
}

/* substr(s, offset, length), in grapheme clusters: a negative offset counts from the
 * end; a negative length takes the rest; past the end gives what there is. */
Val sl_substr(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *s = sl_s(args[0]);
  uint32_t len = sl_len(args[0]);
  int64_t offset = args[1].as.i, length = args[2].as.i;
  if (offset < 0) {
    offset += sl_grapheme_count(s, len);
    if (offset < 0) offset = 0;
  }
  if (length == 0) return sl_str(rt, "", 0);
  uint32_t i = 0;
  for (int64_t k = 0; k < offset && i < len; k++) i += sl_grapheme_len(s, len, i);
  uint32_t start = i;
  if (length < 0) return sl_str(rt, s + start, len - start);
  for (int64_t k = 0; k < length && i < len; k++) i += sl_grapheme_len(s, len, i);
  return sl_str(rt, s + start, i - start);
}

/* trim(s, chars): the code points of [chars] off both ends (Go's strings.Trim). */
static bool in_cutset(const char *set, uint32_t setlen, int32_t cp) {
  for (uint32_t i = 0; i < setlen;) {
    int32_t c;
    i += sl_utf8_next(set, setlen, i, &c);
    if (c == cp) return true;
  }
  return false;
}

static Val trim_by(Rt *rt, Val v, const char *set, uint32_t setlen, bool space) {
  const char *s = sl_s(v);
  uint32_t len = sl_len(v), start = 0, end = len;
  while (start < end) {
    int32_t cp;
    uint32_t k = sl_utf8_next(s, end, start, &cp);
    if (space ? !sl_is_space(cp) : !in_cutset(set, setlen, cp)) break;
    start += k;
  }
  while (end > start) {
    uint32_t b = end - 1;
    while (b > start && ((unsigned char)s[b] & 0xC0) == 0x80) b--;
    int32_t cp;
    sl_utf8_next(s, end, b, &cp);
    if (space ? !sl_is_space(cp) : !in_cutset(set, setlen, cp)) break;
    end = b;
  }
  if (start == 0 && end == len) return v;
  return sl_str(rt, s + start, end - start);
}

Val sl_trim(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  return trim_by(rt, args[0], sl_s(args[1]), sl_len(args[1]), false);
}

Val sl_trimspace(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  return trim_by(rt, args[0], NULL, 0, true);
}
