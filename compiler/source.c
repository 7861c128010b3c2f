/* Sources, line tables, UTF-8 and the string interner: see source.h. */
#include "compiler/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void source_init(SourceMap *sm) { memset(sm, 0, sizeof *sm); }

void source_free(SourceMap *sm) {
  for (uint32_t i = 0; i < sm->nfiles; i++) {
    free(sm->files[i].path);
    free(sm->files[i].text);
    free(sm->files[i].lines);
  }
  free(sm->files);
  memset(sm, 0, sizeof *sm);
}

/* Register [text] ([len] bytes, NUL at text[len], malloc'd) under [path]; takes the text. */
static uint32_t adopt(SourceMap *sm, const char *path, char *text, size_t len) {
  if (sm->nfiles == sm->cap) {
    sm->cap = sm->cap ? sm->cap * 2 : 8;
    sm->files = plat_xrealloc(sm->files, sm->cap * sizeof *sm->files);
  }
  SourceFile *f = &sm->files[sm->nfiles];
  memset(f, 0, sizeof *f);
  f->path = plat_xstrdup(path);
  f->text = text;
  f->len = (uint32_t)len;
  return sm->nfiles++;
}

uint32_t source_add(SourceMap *sm, const char *path, const char *text, size_t len) {
  if (len > SOURCE_MAX_BYTES) len = 0;
  char *copy = plat_xmalloc(len + 1);
  if (len) memcpy(copy, text, len);
  copy[len] = 0;
  return adopt(sm, path, copy, len);
}

/* Fault in the pages of a large fresh buffer in one call, before read() fills it a page
 * fault at a time (where MADV_POPULATE_WRITE is missing, Linux < 5.14, it does nothing). */
static void prefault(char *buf, size_t len) {
#ifdef MADV_POPULATE_WRITE
  if (len < ((size_t)1 << 20)) return;
  uintptr_t start = ((uintptr_t)buf + 4095) & ~(uintptr_t)4095;
  uintptr_t end = ((uintptr_t)buf + len) & ~(uintptr_t)4095;
  if (end > start) (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
#else
  (void)buf;
  (void)len;
#endif
}

uint32_t source_read(SourceMap *sm, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return UINT32_MAX;
  struct stat st;
  if (fstat(fd, &st) != 0) { int e = errno; close(fd); errno = e; return UINT32_MAX; }
  if (S_ISDIR(st.st_mode)) { close(fd); errno = EISDIR; return UINT32_MAX; }
  /* Refuse an oversized regular file before allocating for it (a sparse file can claim
   * any size); files that grow while read are caught by the loop below. */
  if (st.st_size > (off_t)SOURCE_MAX_BYTES) { close(fd); errno = EFBIG; return UINT32_MAX; }
  /* Read straight into the buffer the SourceFile keeps, sized from the stat plus the NUL
   * sentinel (and one byte more, so that a file of the size stat said ends at the first
   * read that returns 0 without growing the buffer): one copy of the text, not two. */
  size_t cap = st.st_size > 0 ? (size_t)st.st_size + 2 : 4096, len = 0;
  char *buf = plat_xmalloc(cap);
  prefault(buf, cap);
  for (;;) {
    if (len + 1 == cap) {   /* keep room for the NUL */
      if (cap > SOURCE_MAX_BYTES) { free(buf); close(fd); errno = EFBIG; return UINT32_MAX; }
      cap *= 2;
      buf = plat_xrealloc(buf, cap);
    }
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { free(buf); close(fd); errno = EIO; return UINT32_MAX; }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  if (len > SOURCE_MAX_BYTES) { free(buf); errno = EFBIG; return UINT32_MAX; }
  buf[len] = 0;
  return adopt(sm, path, buf, len);
}

const SourceFile *source_file(const SourceMap *sm, uint32_t file) {
  return file < sm->nfiles ? &sm->files[file] : NULL;
}

static void build_lines(SourceFile *f) {
  if (f->lines) return;
  /* One pass, eight bytes at a time for the ASCII test; memchr finds the newlines. */
  uint32_t n = 1;
  for (const char *p = f->text, *end = f->text + f->len; (p = memchr(p, '\n', (size_t)(end - p))); p++) n++;
  uint64_t high = 0;
  uint32_t i = 0;
  for (; i + 8 <= f->len; i += 8) {
    uint64_t w;
    memcpy(&w, f->text + i, 8);
    high |= w;
  }
  for (; i < f->len; i++) high |= (unsigned char)f->text[i];
  f->ascii = !(high & 0x8080808080808080ull);
  f->lines = plat_xmalloc(n * sizeof *f->lines);
  f->lines[0] = 0;
  uint32_t k = 1;
  for (const char *p = f->text, *end = f->text + f->len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
    f->lines[k++] = (uint32_t)(p - f->text) + 1;
  f->nlines = n;
}

LineCol source_linecol(SourceMap *sm, uint32_t file, uint32_t offset) {
  LineCol lc = {1, 1, 1};
  if (file >= sm->nfiles) return lc;
  SourceFile *f = &sm->files[file];
  build_lines(f);
  if (offset > f->len) offset = f->len;
  /* The compiler and the renderer ask in source order: a few steps forward from the last
     line found beat a binary search whose probes miss the cache on a 600,000-line file. */
  uint32_t lo = f->line_hint < f->nlines ? f->line_hint : 0, hi;
  if (f->lines[lo] <= offset) {
    for (uint32_t k = 0; k < 8 && lo + 1 < f->nlines && f->lines[lo + 1] <= offset; k++) lo++;
    hi = lo + 1 < f->nlines && f->lines[lo + 1] <= offset ? f->nlines - 1 : lo;
  } else {
    hi = lo;
    lo = 0;
  }
  while (lo < hi) {  /* last line start <= offset */
    uint32_t mid = lo + (hi - lo + 1) / 2;
    if (f->lines[mid] <= offset) lo = mid; else hi = mid - 1;
  }
  f->line_hint = lo;
  lc.line = lo + 1;
  uint32_t start = f->lines[lo], col = 1;
  /* A byte-order mark opening the file is not text (the lexer skips it, editors hide
     it, render.c does not show it), so columns on line 1 count from after it. */
  if (lo == 0 && offset >= 3 && f->len >= 3 && memcmp(f->text, "\xEF\xBB\xBF", 3) == 0) start = 3;
  if (f->ascii) col = offset - start + 1;
  for (uint32_t i = start; !f->ascii && i < offset;) {
    int n;
    if (utf8_decode(f->text + i, offset - i, &n) < 0) n = 1;
    i += (uint32_t)n;
    col++;
  }
  lc.col = col;
  lc.byte_col = offset - start + 1;
  return lc;
}

uint32_t source_line_start(SourceMap *sm, uint32_t file, uint32_t line) {
  if (file >= sm->nfiles) return 0;
  SourceFile *f = &sm->files[file];
  build_lines(f);
  if (line == 0) return 0;
  if (line > f->nlines) return f->len;
  return f->lines[line - 1];
}

const char *source_line(SourceMap *sm, uint32_t file, uint32_t line, uint32_t *len) {
  if (file >= sm->nfiles) return NULL;
  SourceFile *f = &sm->files[file];
  build_lines(f);
  if (line == 0 || line > f->nlines) return NULL;
  uint32_t s = f->lines[line - 1], e = s;
  while (e < f->len && f->text[e] != '\n') e++;
  if (e > s && f->text[e - 1] == '\r') e--;
  *len = e - s;
  return f->text + s;
}

/* ---- UTF-8 ------------------------------------------------------------------------ */
int32_t utf8_decode(const char *s, size_t len, int *n) {
  const unsigned char *u = (const unsigned char *)s;
  *n = 1;
  if (len == 0) return -1;
  uint32_t c = u[0];
  if (c < 0x80) return (int32_t)c;
  int need;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) { need = 1; c &= 0x1F; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { need = 2; c &= 0x0F; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { need = 3; c &= 0x07; min = 0x10000; }
  else return -1;
  if ((size_t)need >= len) return -1;
  for (int i = 1; i <= need; i++) {
    if ((u[i] & 0xC0) != 0x80) return -1;
    c = (c << 6) | (u[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return -1;
  *n = need + 1;
  return (int32_t)c;
}

size_t utf8_check(const char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    if ((unsigned char)s[i] < 0x80) { i++; continue; }
    int n;
    if (utf8_decode(s + i, len - i, &n) < 0) return i;
    i += (size_t)n;
  }
  return len;
}

int utf8_encode(uint32_t cp, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
  if (cp < 0x800) { o[0] = (unsigned char)(0xC0 | (cp >> 6)); o[1] = (unsigned char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (cp >> 12)); o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  if (cp > 0x10FFFF) return 0;
  o[0] = (unsigned char)(0xF0 | (cp >> 18)); o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* ---- interner --------------------------------------------------------------------- */

static uint64_t load64(const char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t load32(const char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Eight bytes at a time (an identifier is one or two words), then a full-avalanche
 * finalizer, because tables index by the low bits.  For the last 1-8 bytes, two
 * overlapping 4-byte loads or three single bytes: with the length mixed in first, they
 * determine the bytes exactly, and nothing is read outside [s, s+len). */
uint32_t intern_hash(const char *s, size_t len) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)len;
  for (; len > 8; s += 8, len -= 8) {
    h = (h ^ load64(s)) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  uint64_t w = 0;
  if (len >= 4)
    w = (uint64_t)load32(s) << 32 | load32(s + len - 4);
  else if (len)
    w = (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[len / 2] << 8 |
        (unsigned char)s[len - 1];
  h = (h ^ w) * 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  uint32_t r = (uint32_t)h;
  return r ? r : 1;   /* 0 marks an empty slot */
}

static void intern_alloc_table(Interner *in, uint32_t cap) {
  in->cap = cap;
  in->slots = plat_xzalloc(cap, sizeof *in->slots);
  in->hashes = plat_xzalloc(cap, sizeof *in->hashes);
}

void intern_init(Interner *in, Arena *arena) {
  in->arena = arena;
  in->count = 0;
  intern_alloc_table(in, 1024);
}

void intern_free(Interner *in) {
  free(in->slots);
  free(in->hashes);
  in->slots = NULL;
  in->hashes = NULL;
  in->cap = in->count = 0;
}

/* Move every string into a table of [ncap] slots (a power of two). */
static void intern_rehash(Interner *in, uint32_t ncap) {
  Str **os = in->slots;
  uint32_t *oh = in->hashes, ocap = in->cap;
  intern_alloc_table(in, ncap);
  for (uint32_t i = 0; i < ocap; i++) {
    if (!oh[i]) continue;
    uint32_t j = oh[i] & (ncap - 1);
    while (in->hashes[j]) j = (j + 1) & (ncap - 1);
    in->hashes[j] = oh[i];
    in->slots[j] = os[i];
  }
  free(os);
  free(oh);
}

/* The table is kept at most 3/4 full. */
void intern_reserve(Interner *in, size_t n) {
  uint64_t want = (uint64_t)in->count + n;
  if (want * 4 <= (uint64_t)in->cap * 3) return;
  uint64_t ncap = in->cap;
  while (want * 4 > ncap * 3 && ncap < ((uint64_t)1 << 31)) ncap *= 2;
  intern_rehash(in, (uint32_t)ncap);
}

const Str *intern_hashed(Interner *in, const char *s, size_t len, uint32_t h) {
  uint32_t mask = in->cap - 1, j = h & mask;
  for (uint32_t e; (e = in->hashes[j]); j = (j + 1) & mask) {
    if (e != h) continue;
    const Str *t = in->slots[j];
    if (t->len == len && (len == 0 || memcmp(t->s, s, len) == 0)) return t;
  }
  Str *e = arena_alloc(in->arena, sizeof(Str) + len + 1);
  e->len = (uint32_t)len;
  e->hash = h;
  if (len) memcpy(e->s, s, len);   /* s may be NULL when len is 0 */
  e->s[len] = 0;
  in->hashes[j] = h;
  in->slots[j] = e;
  if (++in->count * 4 > in->cap * 3) intern_rehash(in, in->cap * 2);
  return e;
}

const Str *intern(Interner *in, const char *s, size_t len) {
  return intern_hashed(in, s, len, intern_hash(s, len));
}

const Str *intern_cstr(Interner *in, const char *s) { return intern(in, s, strlen(s)); }
