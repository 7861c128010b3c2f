/* Content-Length framing for the language server (see jsonrpc.h).  Input is buffered and
 * split here; nothing in this file parses JSON except rpc_write's serialisation.  Errors
 * never stop the stream: a bad header block is dropped up to the next "Content-Length",
 * an oversized body is counted off as it arrives.  The buffer holds at most one message
 * (capped) plus what arrived with it. */
#include "lsp/jsonrpc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "compiler/arena.h"

#define READ_CHUNK 65536

/* memmem is a GNU extension; this is the only search the framing needs. */
static const char *find(const char *h, size_t hlen, const char *n, size_t nlen) {
  if (nlen > hlen) return NULL;
  for (const char *p = h, *end = h + hlen - nlen; p <= end; p++) {
    p = memchr(p, n[0], (size_t)(end - p) + 1);
    if (!p) return NULL;
    if (memcmp(p, n, nlen) == 0) return p;
  }
  return NULL;
}

void rpc_init(RpcReader *r, int fd, size_t max) {
  memset(r, 0, sizeof *r);
  r->fd = fd;
  r->max = max;
}

void rpc_free(RpcReader *r) {
  free(r->buf);
  memset(r, 0, sizeof *r);
}

/* Drop consumed bytes, then make room for [more]. */
static void reserve(RpcReader *r, size_t more) {
  if (r->pos) {
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
  }
  if (r->len + more + 1 > r->cap) {
    size_t cap = r->cap ? r->cap : READ_CHUNK;
    while (cap < r->len + more + 1) cap *= 2;
    r->buf = plat_xrealloc(r->buf, cap);
    r->cap = cap;
  }
}

/* Count off bytes of an oversized body from [data]; returns how many were used. */
static size_t drop_skipped(RpcReader *r, const char *data, size_t len) {
  (void)data;
  size_t k = len < r->skip ? len : r->skip;
  r->skip -= k;
  return k;
}

void rpc_feed(RpcReader *r, const char *data, size_t len) {
  if (r->skip) {
    size_t k = drop_skipped(r, data, len);
    data += k;
    len -= k;
  }
  if (!len) return;
  reserve(r, len);
  memcpy(r->buf + r->len, data, len);
  r->len += len;
  r->buf[r->len] = 0;
}

size_t rpc_fill(RpcReader *r, int timeout_ms) {
  if (r->fd < 0 || r->eof) return 0;
  struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
  int pr;
  do pr = poll(&pfd, 1, timeout_ms); while (pr < 0 && errno == EINTR);
  if (pr < 0) { r->eof = true; return 0; }
  if (pr == 0) return 0;
  char chunk[READ_CHUNK];
  ssize_t n;
  do n = read(r->fd, chunk, sizeof chunk); while (n < 0 && errno == EINTR);
  if (n <= 0) {
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) r->eof = true;
    return 0;
  }
  rpc_feed(r, chunk, (size_t)n);
  return (size_t)n;
}

/* Skip to the next "Content-Length" after the start of the buffered input (resync after
 * garbage); with none, keep only a tail that could be the start of one. */
static void resync(RpcReader *r) {
  static const char key[] = "Content-Length";
  const char *start = r->buf + r->pos + 1;
  const char *end = r->buf + r->len;
  const char *hit = start < end ? find(start, (size_t)(end - start), key, sizeof key - 1) : NULL;
  if (hit) {
    r->pos = (size_t)(hit - r->buf);
    return;
  }
  /* keep only a tail that may be the start of one cut by the read */
  size_t avail = start < end ? (size_t)(end - start) : 0, keep = sizeof key - 2;
  if (keep > avail) keep = avail;
  while (keep > 0 && memcmp(end - keep, key, keep) != 0) keep--;
  r->pos = r->len - keep;
}

static RpcStatus fail(RpcReader *r, char *err, size_t errlen, const char *msg) {
  snprintf(err, errlen, "%s", msg);
  resync(r);
  return RPC_ERROR;
}

RpcStatus rpc_next(RpcReader *r, char **body, size_t *len, char *err, size_t errlen) {
  *body = NULL;
  *len = 0;
  size_t avail = r->len - r->pos;
  if (avail == 0) return RPC_NONE;
  const char *h = r->buf + r->pos;
  /* tolerate line breaks between messages (some clients end a body with one) */
  size_t lead = 0;
  while (lead < avail && (h[lead] == '\r' || h[lead] == '\n')) lead++;
  if (lead) {
    r->pos += lead;
    return rpc_next(r, body, len, err, errlen);
  }
  const char *hend = find(h, avail, "\r\n\r\n", 4);
  if (!hend) {
    if (avail > RPC_MAX_HEADER)
      return fail(r, err, errlen, "malformed message: no end of header (\\r\\n\\r\\n) within 8192 bytes");
    return RPC_NONE;
  }
  size_t hlen = (size_t)(hend - h);
  if (hlen > RPC_MAX_HEADER)
    return fail(r, err, errlen, "malformed message: header longer than 8192 bytes");
  /* header fields: "Name: value\r\n"; only Content-Length matters, Content-Type is free */
  bool have = false, bad = false;
  size_t clen = 0;
  for (const char *line = h; line < hend && !bad;) {
    const char *eol = find(line, (size_t)(hend - line), "\r\n", 2);
    if (!eol) eol = hend;
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    if (!colon) { bad = true; break; }
    size_t nlen = (size_t)(colon - line);
    if (nlen == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
      const char *v = colon + 1;
      while (v < eol && (*v == ' ' || *v == '\t')) v++;
      if (v == eol) bad = true;
      clen = 0;
      for (; v < eol && !bad; v++) {
        if (*v == ' ' || *v == '\t') {       /* trailing blanks only */
          while (v < eol && (*v == ' ' || *v == '\t')) v++;
          if (v != eol) bad = true;
          break;
        }
        if (*v < '0' || *v > '9' || clen > (SIZE_MAX - 9) / 10) { bad = true; break; }
        clen = clen * 10 + (size_t)(*v - '0');
      }
      if (have) bad = true;                  /* two lengths: which one? */
      have = true;
    }
    line = eol + 2;
  }
  if (bad || !have) {
    /* drop this header block: its body, if any, is unreadable without a length */
    r->pos = (size_t)(hend - r->buf) + 3;
    return fail(r, err, errlen, bad ? "malformed message header: expected 'Content-Length: N'"
                                    : "malformed message header: no Content-Length");
  }
  size_t bstart = (size_t)(hend - r->buf) + 4;
  if (clen > r->max) {
    /* never buffer it: drop what is here and count off the rest as it arrives */
    size_t here = r->len - bstart;
    size_t k = here < clen ? here : clen;
    r->pos = bstart + k;
    r->skip = clen - k;
    snprintf(err, errlen, "message of %zu bytes is over the limit of %zu bytes; skipped", clen, r->max);
    return RPC_ERROR;
  }
  if (r->len - bstart < clen) return RPC_NONE;
  char *b = plat_xmalloc(clen + 1);
  memcpy(b, r->buf + bstart, clen);
  b[clen] = 0;
  r->pos = bstart + clen;
  *body = b;
  *len = clen;
  return RPC_MSG;
}

bool rpc_write(int fd, json_t *msg) {
  char *text = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
  if (!text) return false;
  size_t blen = strlen(text);
  char head[64];
  int hl = snprintf(head, sizeof head, "Content-Length: %zu\r\n\r\n", blen);
  bool ok = true;
  const char *parts[2] = {head, text};
  size_t lens[2] = {(size_t)hl, blen};
  for (int i = 0; i < 2 && ok; i++) {
    const char *p = parts[i];
    size_t left = lens[i];
    while (left) {
      ssize_t n = write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) { ok = false; break; }
      p += n;
      left -= (size_t)n;
    }
  }
  free(text);
  return ok;
}
