/* Byte-level helpers of the stdB built-ins: Base64 and hex codecs, secret-safe argument
 * display for messages, and capped reads of files relative to the module's folder.
 * Base64 is written out here rather than taken from OpenSSL's EVP_Decode*, which accepts
 * input Go's StdEncoding (and so Terraform) refuses, such as missing padding. */
#include "stdlib/bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sl_b64_encode(SBuf *b, const void *data, size_t n) {
  const unsigned char *p = data;
  char q[4];
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    q[0] = b64[v >> 18], q[1] = b64[(v >> 12) & 63], q[2] = b64[(v >> 6) & 63], q[3] = b64[v & 63];
    sb_add(b, q, 4);
  }
  if (i < n) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
    q[0] = b64[v >> 18], q[1] = b64[(v >> 12) & 63];
    q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
    q[3] = '=';
    sb_add(b, q, 4);
  }
}

static int b64_digit(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

char *sl_b64_decode(Rt *rt, const char *s, size_t n, size_t *len) {
  char *out = rt_alloc(rt, n / 4 * 3 + 4);
  size_t o = 0;
  uint32_t acc = 0;
  int have = 0, pad = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      /* padding only completes a group of two or three digits, and ends the text */
      if (have < 2 || pad + have >= 4) return NULL;
      pad++;
      continue;
    }
    int d = b64_digit(c);
    if (d < 0 || pad) return NULL;
    acc = acc << 6 | (uint32_t)d;
    if (++have == 4) {
      out[o++] = (char)(acc >> 16), out[o++] = (char)(acc >> 8), out[o++] = (char)acc;
      acc = 0, have = 0;
    }
  }
  if (have == 0 && pad == 0) { out[o] = 0; *len = o; return out; }
  if (have + pad != 4) return NULL;
  /* the unused low bits of the last digit must be zero, as Go's strict decoder wants */
  if (have == 2) {
    if (acc & 0xF) return NULL;
    out[o++] = (char)(acc >> 4);
  } else {
    if (acc & 0x3) return NULL;
    out[o++] = (char)(acc >> 10), out[o++] = (char)(acc >> 2);
  }
  out[o] = 0;
  *len = o;
  return out;
}

void *sl_grow(Rt *rt, void *p, uint32_t n, uint32_t *cap, size_t size) {
  if (n < *cap) return p;
  if (*cap > UINT32_MAX / 2) rt_error(rt, "too many items");
  uint32_t ncap = *cap ? *cap * 2 : 16;
  void *np = rt_alloc(rt, (size_t)ncap * size);
  if (n) memcpy(np, p, (size_t)n * size);
  *cap = ncap;
  return np;
}

int sl_hexdigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void sl_hex(SBuf *b, const unsigned char *p, size_t n) {
  static const char hx[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    char q[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
    sb_add(b, q, 2);
  }
}

const char *sl_show_arg(Rt *rt, Val v, uint32_t max) {
  if (val_has_secret(v)) return "(sensitive value)";
  SBuf b;
  sb_init(&b, rt);
  val_show(&b, v, max);
  sb_addc(&b, 0);
  return b.p;
}

const char *sl_resolve_path(Rt *rt, const char *path) {
  SBuf b;
  sb_init(&b, rt);
  if (path[0] == '~' && (path[1] == '/' || path[1] == 0)) {
    const char *home = getenv("HOME");
    sb_adds(&b, home && *home ? home : "/");
    sb_adds(&b, path + 1);
  } else if (path[0] == '/') {
    sb_adds(&b, path);
  } else {
    const char *base = rt->base_dir && *rt->base_dir ? rt->base_dir : ".";
    sb_adds(&b, base);
    if (b.len && b.p[b.len - 1] != '/') sb_addc(&b, '/');
    sb_adds(&b, path);
  }
  sb_addc(&b, 0);
  return b.p;
}

char *sl_read_file(Rt *rt, const char *fn, Val path, size_t *len) {
  const char *shown = sl_show_arg(rt, path, 200);
  const char *full = sl_resolve_path(rt, path.as.s->s);
  int fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      rt_error(rt, "%s: no file exists at %s; this function works only with files that are part "
               "of the configuration, not with files a resource creates", fn, shown);
    rt_error(rt, "%s: cannot read %s: %s", fn, shown, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    rt_error(rt, "%s: %s is not a regular file", fn, shown);
  }
  if ((unsigned long long)st.st_size > SL_FILE_MAX) {
    close(fd);
    rt_error(rt, "%s: %s is larger than %u MiB", fn, shown, SL_FILE_MAX >> 20);
  }
  /* read to the end rather than trusting st_size: the file may change under us */
  size_t cap = (size_t)st.st_size + 1, n = 0;
  char *buf = rt_alloc(rt, cap + 1);
  for (;;) {
    if (n == cap) {
      if (cap > SL_FILE_MAX) {
        close(fd);
        rt_error(rt, "%s: %s is larger than %u MiB", fn, shown, SL_FILE_MAX >> 20);
      }
      char *nb = rt_alloc(rt, cap * 2 + 1);
      memcpy(nb, buf, n);
      buf = nb, cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      rt_error(rt, "%s: cannot read %s: %s", fn, shown, strerror(e));
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = 0;
  *len = n;
  return buf;
}
