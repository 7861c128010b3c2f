/* regex, regexall and the /re/ form of replace, on PCRE2 (a well-kept library, not a
 * hand-written engine).  Patterns are Terraform's, read as Go's regexp reads them: UTF
 * mode, $ only at the end of the text, ASCII \d \w \s; matches are found and empty
 * matches skipped exactly as Go's FindAll and ReplaceAll do.  Each pattern text is
 * compiled once per process and cached; backtracking is capped so no input can hang. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdlib/regex.h"
#include "stdlib/stdlib.h"
#include "stdlib/text.h"

#define RE_OPTIONS (PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C)
/* Backtracking budget per match: PCRE2's default (10,000,000) takes seconds on a
 * pathological pattern; this is still far beyond any reasonable one. */
#define RE_MATCH_LIMIT 1000000u
#define RE_CACHE_SLOTS 1024u      /* power of two; at most 3/4 used */

typedef struct Compiled {
  pcre2_code *code;
  uint32_t ngroups;
  const char **names;    /* per group (index 0 = group 1): its name or NULL */
  uint32_t nnamed;
  char *err;             /* why the pattern is refused, or NULL */
} Compiled;

typedef struct Slot {
  char *text;
  size_t len;
  uint32_t hash;
  Compiled c;
} Slot;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static Slot cache[RE_CACHE_SLOTS];
static uint32_t cache_used;
/* A pattern compiled when the cache is full lives here until the thread's next one. */
static _Thread_local Compiled spare;
static _Thread_local pcre2_match_data *mdata;   /* reused: never leaked by rt_error */
static _Thread_local uint32_t mdata_pairs;
static _Thread_local pcre2_match_context *mctx;

static uint32_t hash_text(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h ? h : 1;
}

static void compiled_free(Compiled *c) {
  pcre2_code_free(c->code);
  if (c->names)
    for (uint32_t i = 0; i < c->ngroups; i++) free((char *)c->names[i]);
  free(c->names);
  free(c->err);
  memset(c, 0, sizeof *c);
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return strdup(buf);
}

/* Compile [pat] and read its groups; on failure c->err says why (malloc'd).  Never
 * raises: the caller owns everything in [c]. */
static void compile(const char *pat, size_t len, Compiled *c) {
  memset(c, 0, sizeof *c);
  int code;
  PCRE2_SIZE off;
  c->code = pcre2_compile((PCRE2_SPTR)pat, len, RE_OPTIONS, &code, &off, NULL);
  if (!c->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(code, msg, sizeof msg);
    c->err = dup_printf("error parsing pattern: %s at offset %zu", (const char *)msg, (size_t)off);
    return;
  }
  pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE);   /* faster when it works; optional */
  pcre2_pattern_info(c->code, PCRE2_INFO_CAPTURECOUNT, &c->ngroups);
  uint32_t dup = 0, count = 0, esize = 0;
  PCRE2_SPTR table = NULL;
  pcre2_pattern_info(c->code, PCRE2_INFO_JCHANGED, &dup);
  pcre2_pattern_info(c->code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(c->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
  pcre2_pattern_info(c->code, PCRE2_INFO_NAMETABLE, &table);
  if (count && c->ngroups) {
    c->names = calloc(c->ngroups, sizeof *c->names);
    if (!c->names) { c->err = strdup("out of memory"); return; }
    for (uint32_t i = 0; i < count; i++) {
      PCRE2_SPTR e = table + (size_t)i * esize;
      uint32_t g = ((uint32_t)e[0] << 8) | e[1];
      if (g >= 1 && g <= c->ngroups && !c->names[g - 1]) {
        c->names[g - 1] = strdup((const char *)e + 2);
        c->nnamed++;
      } else {
        c->err = strdup("error parsing pattern: duplicate capture group name");
        return;
      }
    }
  }
  if (c->nnamed && c->nnamed < c->ngroups)
    c->err = strdup("invalid regexp pattern: cannot mix both named and unnamed capture groups");
}

/* The compiled form of [pat]: from the cache, or compiled now.  The result stays valid
 * until this thread compiles another uncached pattern. */
static const Compiled *get(const char *pat, size_t len) {
  uint32_t h = hash_text(pat, len);
  pthread_mutex_lock(&cache_lock);
  uint32_t j = h & (RE_CACHE_SLOTS - 1);
  for (; cache[j].text; j = (j + 1) & (RE_CACHE_SLOTS - 1))
    if (cache[j].hash == h && cache[j].len == len && memcmp(cache[j].text, pat, len) == 0) {
      pthread_mutex_unlock(&cache_lock);
      return &cache[j].c;
    }
  if (cache_used < RE_CACHE_SLOTS / 4 * 3) {
    char *text = malloc(len + 1);
    if (text) {
      memcpy(text, pat, len);
      text[len] = 0;
      compile(pat, len, &cache[j].c);
      cache[j].len = len;
      cache[j].hash = h;
      cache[j].text = text;
      cache_used++;
      pthread_mutex_unlock(&cache_lock);
      return &cache[j].c;
    }
  }
  pthread_mutex_unlock(&cache_lock);
  compiled_free(&spare);
  compile(pat, len, &spare);
  return &spare;
}

bool sl_regex_shape(Arena *a, const char *pat, size_t len, SlReShape *out, const char **err) {
  const Compiled *c = get(pat, len);
  if (c->err) { *err = arena_strndup(a, c->err, strlen(c->err)); return false; }
  out->ngroups = c->ngroups;
  out->kind = c->ngroups == 0 ? SL_RE_WHOLE : c->nnamed ? SL_RE_NAMED : SL_RE_LIST;
  out->names = NULL;
  if (out->kind == SL_RE_NAMED) {
    out->names = arena_alloc(a, c->ngroups * sizeof *out->names);
    for (uint32_t i = 0; i < c->ngroups; i++)
      out->names[i] = arena_strndup(a, c->names[i], strlen(c->names[i]));
  }
  return true;
}

/* ---- matching --------------------------------------------------------------------------- */
typedef struct Matcher {
  Rt *rt;
  const char *fn;
  const Compiled *c;
  const char *s;
  uint32_t len;
} Matcher;

static void matcher_init(Matcher *m, Rt *rt, const char *fn, const char *pat, size_t plen, Val s) {
  m->rt = rt;
  m->fn = fn;
  m->c = get(pat, plen);
  if (m->c->err) rt_error(rt, "%s: %s", fn, m->c->err);
  m->s = sl_s(s);
  m->len = sl_len(s);
  uint32_t pairs = m->c->ngroups + 1;
  if (!mdata || mdata_pairs < pairs) {
    pcre2_match_data_free(mdata);
    mdata_pairs = pairs < 16 ? 16 : pairs;
    mdata = pcre2_match_data_create(mdata_pairs, NULL);
    if (!mdata) { mdata_pairs = 0; rt_error(rt, "%s: out of memory", fn); }
  }
  if (!mctx) {
    mctx = pcre2_match_context_create(NULL);
    if (!mctx) rt_error(rt, "%s: out of memory", fn);
    pcre2_set_match_limit(mctx, RE_MATCH_LIMIT);
  }
}

/* The first match at or after byte [from]: false when there is none; the offsets are in
 * pcre2_get_ovector_pointer(mdata). */
static bool match_at(Matcher *m, uint32_t from) {
  int rc = pcre2_match(m->c->code, (PCRE2_SPTR)m->s, m->len, from, 0, mdata, mctx);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT)   /* the interpreter has a larger stack */
    rc = pcre2_match(m->c->code, (PCRE2_SPTR)m->s, m->len, from, PCRE2_NO_JIT, mdata, mctx);
  if (rc >= 0) return true;
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
    rt_error(m->rt, "%s: the pattern backtracks too much on this string (the limit is %u steps); "
             "simplify the pattern", m->fn, RE_MATCH_LIMIT);
  PCRE2_UCHAR msg[256];
  pcre2_get_error_message(rc, msg, sizeof msg);
  rt_error(m->rt, "%s: matching failed: %s", m->fn, (const char *)msg);
}

/* The value of the current match, shaped as the pattern says. */
static Val match_value(Matcher *m) {
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(mdata);
  uint32_t g = m->c->ngroups;
  if (g == 0) return sl_str(m->rt, m->s + ov[0], ov[1] - ov[0]);
  /* copy the offsets first: building values may not touch mdata, but be plain about it */
  Val *items = rt_alloc(m->rt, g * sizeof *items);
  for (uint32_t i = 1; i <= g; i++) {
    PCRE2_SIZE a = ov[2 * i], b = ov[2 * i + 1];
    items[i - 1] = a == PCRE2_UNSET ? val_null() : sl_str(m->rt, m->s + a, b - a);
  }
  if (!m->c->nnamed) return val_list_of(m->rt, items, g);
  MapBuilder mb;
  mb_init(&mb, m->rt, g);
  for (uint32_t i = 0; i < g; i++) mb_put_cstr(&mb, m->c->names[i], items[i]);
  return val_map_done(&mb);
}

Val sl_regex(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Matcher m;
  matcher_init(&m, rt, "regex", sl_s(args[0]), sl_len(args[0]), args[1]);
  if (!match_at(&m, 0)) rt_error(rt, "regex: pattern did not match any part of the given string");
  return match_value(&m);
}

/* The width of the character at [pos], 1 at the end (Go's allMatches step). */
static uint32_t step(const Matcher *m, uint32_t pos) {
  if (pos >= m->len) return 1;
  int32_t cp;
  return sl_utf8_next(m->s, m->len, pos, &cp);
}

Val sl_regexall(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Matcher m;
  matcher_init(&m, rt, "regexall", sl_s(args[0]), sl_len(args[0]), args[1]);
  uint32_t count = 0, cap = 0;
  Val *items = NULL;
  int64_t prev_end = -1;
  for (uint32_t pos = 0; pos <= m.len;) {
    if (!match_at(&m, pos)) break;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(mdata);
    uint32_t ms = (uint32_t)ov[0], me = (uint32_t)ov[1];
    bool accept = true;
    if (me == pos) {   /* an empty match: not right after the previous match */
      if ((int64_t)ms == prev_end) accept = false;
      pos += step(&m, pos);
    } else {
      pos = me;
    }
    prev_end = me;
    if (!accept) continue;
    if (count == cap) {
      cap = cap ? cap * 2 : 8;
      Val *grown = rt_alloc(rt, cap * sizeof *grown);
      if (count) memcpy(grown, items, count * sizeof *items);
      items = grown;
    }
    items[count++] = match_value(&m);
  }
  return val_list_of(rt, items, count);
}

/* Go's Regexp.Expand of [t] for the current match: $n ${n} $name ${name}, $$. */
static void expand(Matcher *m, SBuf *b, const char *t, uint32_t tn) {
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(mdata);
  for (uint32_t i = 0; i < tn;) {
    const char *dollar = memchr(t + i, '$', tn - i);
    uint32_t d = dollar ? (uint32_t)(dollar - t) : tn;
    sb_add(b, t + i, d - i);
    if (d == tn) return;
    i = d + 1;
    if (i < tn && t[i] == '$') { sb_addc(b, '$'); i++; continue; }
    bool brace = i < tn && t[i] == '{';
    uint32_t ns = brace ? i + 1 : i, ne = ns;
    while (ne < tn) {
      int32_t cp;
      uint32_t k = sl_utf8_next(t, tn, ne, &cp);
      if (!(cp == '_' || sl_is_letter_or_digit(cp))) break;
      ne += k;
    }
    if (ne == ns || (brace && (ne >= tn || t[ne] != '}'))) { sb_addc(b, '$'); continue; }
    i = brace ? ne + 1 : ne;
    int64_t num = 0;
    for (uint32_t k = ns; k < ne && num >= 0; k++)
      num = t[k] >= '0' && t[k] <= '9' && num < 100000000 ? num * 10 + (t[k] - '0') : -1;
    if (t[ns] == '0' && ne - ns > 1) num = -1;
    if (num < 0) {
      num = -1;
      for (uint32_t g = 0; g < m->c->ngroups && m->c->names; g++)
        if (m->c->names[g] && strlen(m->c->names[g]) == ne - ns && memcmp(m->c->names[g], t + ns, ne - ns) == 0) {
          num = g + 1;
          break;
        }
    }
    if (num >= 0 && (uint64_t)num <= m->c->ngroups && ov[2 * num] != PCRE2_UNSET)
      sb_add(b, m->s + ov[2 * num], ov[2 * num + 1] - ov[2 * num]);
  }
}

/* Go's ReplaceAllString: no replacement for an empty match right after a match. */
Val sl_regex_replace(Rt *rt, Val s, const char *pat, uint32_t plen, Val repl) {
  Matcher m;
  matcher_init(&m, rt, "replace", pat, plen, s);
  SBuf b;
  sb_init(&b, rt);
  uint32_t last_end = 0, pos = 0;
  while (pos <= m.len) {
    if (!match_at(&m, pos)) break;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(mdata);
    uint32_t ms = (uint32_t)ov[0], me = (uint32_t)ov[1];
    sb_add(&b, m.s + last_end, ms - last_end);
    if (me > last_end || ms == 0) expand(&m, &b, sl_s(repl), sl_len(repl));
    last_end = me;
    uint32_t w = step(&m, pos);
    if (pos + w > me) pos += w;
    else if (pos + 1 > me) pos++;
    else pos = me;
  }
  sb_add(&b, m.s + last_end, m.len - last_end);
  return sb_val(&b, false);
}
