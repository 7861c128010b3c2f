/* Dates and times: formatdate, timeadd, timecmp on RFC 3339 timestamps with Terraform's
 * format letters and Go's duration syntax, and timestamp() (the clock: not reproducible,
 * except under SOURCE_DATE_EPOCH).  A time is seconds since 1970 in UTC plus nanoseconds
 * plus the offset it was written with, so results keep the writer's offset.  Years are
 * 0000-9999 as RFC 3339 allows; no time zone database is read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stdlib/bytes.h"
#include "stdlib/stdlib.h"

typedef struct Tm {
  int64_t secs;       /* since 1970-01-01T00:00:00Z */
  int32_t nanos;      /* 0..999999999 */
  int32_t offset;     /* seconds east of UTC, as written */
  bool zulu;          /* written with "Z" */
} Tm;

typedef struct Civil { int64_t year; int month, day, hour, min, sec, wday; } Civil;

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static Civil civil_from_secs(int64_t t) {
  Civil c;
  int64_t z = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t rem = t - z * 86400;
  c.hour = (int)(rem / 3600), c.min = (int)(rem / 60 % 60), c.sec = (int)(rem % 60);
  c.wday = (int)((z % 7 + 11) % 7);     /* 1970-01-01 was a Thursday (4) */
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
  c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2);
  return c;
}

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int64_t y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* ---- parsing RFC 3339 -------------------------------------------------------------------- */
static bool digits(const char *s, size_t at, size_t n, int count, int *out) {
  int v = 0;
  for (int i = 0; i < count; i++) {
    if (at + (size_t)i >= n || s[at + i] < '0' || s[at + i] > '9') return false;
    v = v * 10 + (s[at + i] - '0');
  }
  *out = v;
  return true;
}

/* NULL when [s] is a timestamp, else what is wrong with it. */
static const char *parse_rfc3339(const char *s, size_t n, Tm *t) {
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, n, 4, &y) || n < 5 || s[4] != '-') return "the date must start YYYY-MM-DD";
  if (!digits(s, 5, n, 2, &mo) || n < 8 || s[7] != '-' || !digits(s, 8, n, 2, &d))
    return "the date must start YYYY-MM-DD";
  if (mo < 1 || mo > 12) return "the month is out of range";
  if (d < 1 || d > month_days(y, mo)) return "the day is out of range";
  if (n < 11 || s[10] != 'T') return "missing required time introducer 'T'";
  if (!digits(s, 11, n, 2, &h) || n < 14 || s[13] != ':' || !digits(s, 14, n, 2, &mi) ||
      n < 17 || s[16] != ':' || !digits(s, 17, n, 2, &se))
    return "the time must be hh:mm:ss";
  if (h > 23) return "the hour is out of range";
  if (mi > 59) return "the minute is out of range";
  if (se > 59) return "the second is out of range";
  size_t i = 19;
  int32_t nanos = 0;
  if (i < n && s[i] == '.') {
    i++;
    int nd = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      if (nd < 9) nanos = nanos * 10 + (s[i] - '0');
      nd++, i++;
    }
    if (!nd) return "a fraction of a second needs digits after '.'";
    for (; nd < 9; nd++) nanos *= 10;
  }
  int32_t off = 0;
  bool zulu = false;
  if (i < n && s[i] == 'Z') {
    zulu = true;
    i++;
  } else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, n, 2, &oh) || i + 3 >= n || s[i + 3] != ':' || !digits(s, i + 4, n, 2, &om))
      return "the time zone offset must be Z or +hh:mm";
    if (oh > 23 || om > 59) return "the time zone offset is out of range";
    off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return "missing the time zone (Z or +hh:mm)";
  }
  if (i != n) return "extra text after the timestamp";
  t->secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
  t->nanos = nanos;
  t->offset = off;
  t->zulu = zulu;
  return NULL;
}

static Tm timestamp_arg(Rt *rt, const char *fn, Val v) {
  Tm t;
  const char *why = parse_rfc3339(v.as.s->s, v.as.s->len, &t);
  if (why)
    rt_error(rt, "%s: not a valid RFC 3339 timestamp: %s: %s", fn, sl_show_arg(rt, v, 60), why);
  return t;
}

/* The wall clock of [t] in its own offset. */
static Civil local_civil(const Tm *t) { return civil_from_secs(t->secs + t->offset); }

static void put_offset(SBuf *b, int32_t off, bool colon) {
  int32_t a = off < 0 ? -off : off;
  sb_addf(b, colon ? "%c%02d:%02d" : "%c%02d%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

/* RFC 3339 as Go's time.RFC3339 prints it: no fraction, "Z" for a zero offset. */
static Val rfc3339_val(Rt *rt, const char *fn, const Tm *t) {
  Civil c = local_civil(t);
  if (c.year < 0 || c.year > 9999) rt_error(rt, "%s: the result is outside the years 0000 to 9999", fn);
  SBuf b;
  sb_init(&b, rt);
  sb_addf(&b, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)c.year, c.month, c.day, c.hour, c.min,
          c.sec);
  if (t->offset == 0) sb_addc(&b, 'Z');
  else put_offset(&b, t->offset, true);
  return sb_val(&b, true);
}

/* ---- formatdate ------------------------------------------------------------------------ */
static const char *const month_names[] = {"January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December"};
static const char *const day_names[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
  "Friday", "Saturday"};

Val sl_formatdate(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const VStr *spec = args[0].as.s;
  Tm t = timestamp_arg(rt, "formatdate", args[1]);
  Civil c = local_civil(&t);
  SBuf b;
  sb_init(&b, rt);
  const char *s = spec->s;
  size_t len = spec->len;
  for (size_t i = 0; i < len;) {
    char ch = s[i];
    if (ch == '\'') {
      /* a quoted literal; '' inside (or alone) is one quote */
      if (i + 1 < len && s[i + 1] == '\'') { sb_addc(&b, '\''); i += 2; continue; }
      size_t j = i + 1;
      for (;;) {
        if (j >= len) rt_error(rt, "formatdate: unterminated literal '");
        if (s[j] == '\'') {
          if (j + 1 < len && s[j + 1] == '\'') { sb_addc(&b, '\''); j += 2; continue; }
          break;
        }
        sb_addc(&b, s[j++]);
      }
      i = j + 1;
      continue;
    }
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) {
      sb_addc(&b, ch);
      i++;
      continue;
    }
    size_t k = i;
    while (k < len && s[k] == ch) k++;
    int r = (int)(k - i);
    int h12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
    bool ok = true;
    switch (ch) {
    case 'Y':
      if (r == 4) sb_addf(&b, "%04lld", (long long)c.year);
      else if (r == 2) sb_addf(&b, "%02lld", (long long)(c.year % 100));
      else ok = false;
      break;
    case 'M':
      if (r == 4) sb_adds(&b, month_names[c.month - 1]);
      else if (r == 3) sb_add(&b, month_names[c.month - 1], 3);
      else if (r <= 2) sb_addf(&b, r == 2 ? "%02d" : "%d", c.month);
      else ok = false;
      break;
    case 'D': if (r <= 2) sb_addf(&b, r == 2 ? "%02d" : "%d", c.day); else ok = false; break;
    case 'E':
      if (r == 4) sb_adds(&b, day_names[c.wday]);
      else if (r == 3) sb_add(&b, day_names[c.wday], 3);
      else ok = false;
      break;
    case 'h': if (r <= 2) sb_addf(&b, r == 2 ? "%02d" : "%d", c.hour); else ok = false; break;
    case 'H': if (r <= 2) sb_addf(&b, r == 2 ? "%02d" : "%d", h12); else ok = false; break;
    case 'A': case 'a':
      if (r == 2) sb_adds(&b, c.hour < 12 ? (ch == 'A' ? "AM" : "am") : (ch == 'A' ? "PM" : "pm"));
      else ok = false;
      break;
    case 'm': if (r <= 2) sb_addf(&b, r == 2 ? "%02d" : "%d", c.min); else ok = false; break;
    case 's': if (r <= 2) sb_addf(&b, r == 2 ? "%02d" : "%d", c.sec); else ok = false; break;
    case 'Z':
      if (r == 5) put_offset(&b, t.offset, true);
      else if (r == 4) put_offset(&b, t.offset, false);
      else if (r == 3) { if (t.offset == 0) sb_adds(&b, "UTC"); else put_offset(&b, t.offset, false); }
      else if (r == 1) { if (t.offset == 0) sb_addc(&b, 'Z'); else put_offset(&b, t.offset, true); }
      else ok = false;
      break;
    default: ok = false;
    }
    if (!ok)
      rt_error(rt, "formatdate: invalid date format verb %.*s: use a sequence from the table "
               "(YYYY, MM, DD, hh, mm, ss, ...) or quote literal letters ('T')", r, s + i);
    i = k;
  }
  return sb_val(&b, false);
}

/* ---- timeadd and timecmp ----------------------------------------------------------------- */
/* A Go duration ("1h30m", "-300ms", "1.5h") in nanoseconds; NULL or what is wrong. */
static const char *parse_duration(const char *s, size_t n, __int128 *out) {
  size_t i = 0;
  int sign = 1;
  if (i < n && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
  if (i == n) return "empty duration";
  if (n - i == 1 && s[i] == '0') { *out = 0; return NULL; }
  __int128 total = 0;
  const __int128 limit = (__int128)INT64_MAX * 1000;   /* far past any representable time */
  while (i < n) {
    __int128 whole = 0, frac = 0, scale = 1;
    bool any = false;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i++] - '0');
      any = true;
      if (whole > limit) return "the duration is too large";
    }
    if (i < n && s[i] == '.') {
      i++;
      while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (scale < (__int128)1000000000000000000) { frac = frac * 10 + (s[i] - '0'); scale *= 10; }
        i++;
        any = true;
      }
    }
    if (!any) return "expected a number";
    static const struct { const char *u; int64_t ns; } units[] = {
      {"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000}, {"ms", 1000000},
      {"s", 1000000000}, {"m", 60000000000}, {"h", 3600000000000},
    };
    size_t best = 0, bestlen = 0;
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
      size_t ul = strlen(units[u].u);
      if (ul > bestlen && n - i >= ul && memcmp(s + i, units[u].u, ul) == 0) best = u, bestlen = ul;
    }
    if (!bestlen) return i < n ? "unknown unit (use h, m, s, ms, us or ns)" : "missing unit";
    i += bestlen;
    total += whole * units[best].ns + frac * units[best].ns / scale;
    if (total > limit) return "the duration is too large";
  }
  *out = total * sign;
  return NULL;
}

Val sl_timeadd(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Tm t = timestamp_arg(rt, "timeadd", args[0]);
  __int128 d;
  const char *why = parse_duration(args[1].as.s->s, args[1].as.s->len, &d);
  if (why)
    rt_error(rt, "timeadd: invalid duration %s: %s", sl_show_arg(rt, args[1], 60), why);
  __int128 ns = (__int128)t.secs * 1000000000 + t.nanos + d;
  __int128 secs = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
  /* years 0000-9999 are about +-3e11 seconds: anything past that is out of range anyway */
  if (secs > (__int128)400000000000 || secs < -(__int128)400000000000)
    rt_error(rt, "timeadd: the result is outside the years 0000 to 9999");
  t.secs = (int64_t)secs;
  t.nanos = (int32_t)(ns - secs * 1000000000);
  return rfc3339_val(rt, "timeadd", &t);
}

Val sl_timecmp(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Tm a = timestamp_arg(rt, "timecmp", args[0]), b = timestamp_arg(rt, "timecmp", args[1]);
  if (a.secs != b.secs) return val_int(a.secs < b.secs ? -1 : 1);
  return val_int(a.nanos == b.nanos ? 0 : a.nanos < b.nanos ? -1 : 1);
}

/* The clock, in UTC to the second.  SOURCE_DATE_EPOCH (the reproducible-builds convention)
 * replaces it when set, so runs that must be repeatable can be. */
Val sl_timestamp(Rt *rt, const Val *args, uint32_t n) {
  (void)args, (void)n;
  Tm t = {0};
  const char *fixed = getenv("SOURCE_DATE_EPOCH");
  if (fixed && *fixed) {
    char *end;
    long long v = strtoll(fixed, &end, 10);
    if (*end || v < -62167219200LL || v > 253402300799LL)
      rt_error(rt, "timestamp: SOURCE_DATE_EPOCH is not a number of seconds since 1970");
    t.secs = v;
  } else {
    t.secs = (int64_t)time(NULL);
  }
  t.zulu = true;
  return rfc3339_val(rt, "timestamp", &t);
}

/* Terraform's plantimestamp is the time the plan was made; in Plat every plan-known value
 * is read when the plan is made, so it is the same clock as timestamp(). */
Val sl_plantimestamp(Rt *rt, const Val *args, uint32_t n) {
  return sl_timestamp(rt, args, n);
}
