/* The byte level of .platb files: a growable output buffer and the one bounds-checked
 * reader every loaded byte goes through (vm/pbio.h).  Varints are canonical LEB128, so a
 * value has exactly one encoding and a file written by pb_write reads back and writes
 * again to the same bytes.  Nothing here knows the module's structure (vm/platb.c does). */
#include "vm/pbio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/arena.h"
#include "compiler/source.h"

/* ---- writing ------------------------------------------------------------------------ */
void pbw_init(PbBuf *b) { b->p = NULL; b->len = b->cap = 0; }

void pbw_free(PbBuf *b) {
  free(b->p);
  pbw_init(b);
}

static void pbw_reserve(PbBuf *b, size_t n) {
  if (b->cap - b->len >= n) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < n) {
    if (cap > SIZE_MAX / 2) { fprintf(stderr, "platc: out of memory\n"); abort(); }
    cap *= 2;
  }
  b->p = plat_xrealloc(b->p, cap);
  b->cap = cap;
}

void pbw_bytes(PbBuf *b, const void *s, size_t n) {
  if (!n) return;
  pbw_reserve(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

void pbw_u8(PbBuf *b, uint8_t v) { pbw_bytes(b, &v, 1); }

void pbw_uv(PbBuf *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    tmp[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
  } while (v);
  pbw_bytes(b, tmp, n);
}

void pbw_sv(PbBuf *b, int64_t v) {
  /* zigzag: small negative numbers stay short */
  uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
  pbw_uv(b, u);
}

void pbw_f64(PbBuf *b, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  uint8_t tmp[8];
  for (int i = 0; i < 8; i++) tmp[i] = (uint8_t)(u >> (8 * i));
  pbw_bytes(b, tmp, 8);
}

void pbw_str(PbBuf *b, const char *s, size_t n) {
  pbw_uv(b, n);
  pbw_bytes(b, s, n);
}

/* ---- files ------------------------------------------------------------------------- */
char *pb_slurp(const char *path, size_t max, size_t *len) {
  *len = 0;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  int err = 0;
  if (fstat(fd, &st) != 0) err = errno;
  else if (!S_ISREG(st.st_mode)) err = EINVAL;
  else if ((uint64_t)st.st_size > max) err = EFBIG;
  if (err) {
    close(fd);
    errno = err;
    return NULL;
  }
  size_t n = (size_t)st.st_size, got = 0;
  char *buf = plat_xmalloc(n + 1);
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  int e = errno;
  close(fd);
  if (got != n) {
    free(buf);
    errno = e ? e : EIO;
    return NULL;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

/* ---- reading ------------------------------------------------------------------------ */
void pbr_init(PbReader *r, const char *name, const uint8_t *data, size_t len) {
  memset(r, 0, sizeof *r);
  r->base = data;
  r->len = r->total = data ? len : 0;
  r->name = name ? name : "<platb>";
  r->what = "the header";
}

static bool pbr_vfail(PbReader *r, const char *kind, const char *fmt, va_list ap) {
  if (r->failed) return false;
  r->failed = true;
  int n = snprintf(r->err, sizeof r->err, "%s: %s: ", r->name, kind);
  if (n < 0 || (size_t)n >= sizeof r->err) return false;
  vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
  return false;
}

bool pbr_fail(PbReader *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pbr_vfail(r, "corrupt", fmt, ap);
  va_end(ap);
  return false;
}

bool pbr_failk(PbReader *r, const char *kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pbr_vfail(r, kind, fmt, ap);
  va_end(ap);
  return false;
}

void pbr_window(PbReader *sub, const PbReader *r, size_t n) {
  *sub = *r;
  sub->len = r->pos + n;
}

/* Out of bytes: the file is cut short, or (in a window) a section's length is wrong. */
static bool pbr_truncated(PbReader *r) {
  if (r->len < r->total)
    return pbr_fail(r, "%s ends in the middle of an entry (at byte %zu)", r->what, r->len);
  return pbr_failk(r, "truncated", "the file ends inside %s (%zu bytes)", r->what, r->len);
}

uint8_t pbr_u8(PbReader *r) {
  if (r->failed) return 0;
  if (r->pos >= r->len) { pbr_truncated(r); return 0; }
  return r->base[r->pos++];
}

bool pbr_bytes(PbReader *r, void *out, size_t n) {
  if (r->failed) return false;
  if (r->len - r->pos < n) return pbr_truncated(r);
  memcpy(out, r->base + r->pos, n);
  r->pos += n;
  return true;
}

uint64_t pbr_uv(PbReader *r, uint64_t max, const char *what) {
  if (r->failed) return 0;
  size_t start = r->pos;
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    if (r->pos >= r->len) { pbr_truncated(r); return 0; }
    uint8_t byte = r->base[r->pos++];
    uint64_t bits = byte & 0x7f;
    /* the tenth byte may only carry bit 63, and must be the last */
    if (shift == 63 && byte > 1) {
      pbr_fail(r, "%s: integer at byte %zu does not fit in 64 bits", what, start);
      return 0;
    }
    v |= bits << shift;
    if (!(byte & 0x80)) {
      /* canonical form only: a last byte of 0 (after the first) is a longer spelling */
      if (byte == 0 && shift > 0) {
        pbr_fail(r, "%s: integer at byte %zu is not in its shortest form", what, start);
        return 0;
      }
      break;
    }
  }
  if (v > max) {
    pbr_fail(r, "%s %llu at byte %zu is over the limit of %llu", what, (unsigned long long)v,
             start, (unsigned long long)max);
    return 0;
  }
  return v;
}

uint32_t pbr_count(PbReader *r, uint32_t max, size_t minsize, const char *what) {
  size_t start = r->pos;
  uint32_t n = (uint32_t)pbr_uv(r, max, what);
  if (r->failed) return 0;
  if (minsize && n > (r->len - r->pos) / minsize) {
    pbr_failk(r, r->len < r->total ? "corrupt" : "truncated",
              "%s %u at byte %zu is more than the %zu bytes left in %s can hold", what, n,
              start, r->len - r->pos, r->what);
    return 0;
  }
  return n;
}

int64_t pbr_sv(PbReader *r) {
  uint64_t u = pbr_uv(r, UINT64_MAX, "integer");
  return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

double pbr_f64(PbReader *r) {
  uint8_t tmp[8];
  if (!pbr_bytes(r, tmp, 8)) return 0;
  uint64_t u = 0;
  for (int i = 0; i < 8; i++) u |= (uint64_t)tmp[i] << (8 * i);
  double d;
  memcpy(&d, &u, 8);
  return d;
}

const char *pbr_str(PbReader *r, uint32_t max, uint32_t *n, const char *what) {
  *n = 0;
  size_t start = r->pos;
  uint32_t len = (uint32_t)pbr_uv(r, max, what);
  if (r->failed) return NULL;
  if (r->len - r->pos < len) { pbr_truncated(r); return NULL; }
  const char *s = (const char *)r->base + r->pos;
  size_t bad = utf8_check(s, len);
  if (bad != len) {
    pbr_fail(r, "%s at byte %zu is not valid UTF-8 (byte %zu of the string)", what, start, bad);
    return NULL;
  }
  if (memchr(s, 0, len)) {
    pbr_fail(r, "%s at byte %zu holds a NUL byte", what, start);
    return NULL;
  }
  r->pos += len;
  *n = len;
  return s;
}
