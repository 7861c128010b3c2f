/* The source hash of a program (vm/srchash.h): SHA-256 from OpenSSL's libcrypto, already
 * a dependency for the stdlib's hashes, over the source files in path order, so the same
 * sources always give the same hash whatever order the loader read them in. */
#include "vm/srchash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/arena.h"

static int cmp_source(const void *a, const void *b) {
  return strcmp(((const PbSource *)a)->path, ((const PbSource *)b)->path);
}

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void pb_hash_sources(PbSource *srcs, uint32_t n, uint8_t out[PB_HASH_LEN]) {
  if (n) qsort(srcs, n, sizeof *srcs, cmp_source);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
    fprintf(stderr, "platc: OpenSSL cannot compute SHA-256\n");
    abort();
  }
  static const char tag[] = "platc source hash 1";
  EVP_DigestUpdate(ctx, tag, sizeof tag);   /* with its NUL */
  for (uint32_t i = 0; i < n; i++) {
    uint8_t len[8];
    size_t plen = strlen(srcs[i].path);
    put_le(len, plen, 4);
    EVP_DigestUpdate(ctx, len, 4);
    EVP_DigestUpdate(ctx, srcs[i].path, plen);
    put_le(len, srcs[i].len, 8);
    EVP_DigestUpdate(ctx, len, 8);
    if (srcs[i].len) EVP_DigestUpdate(ctx, srcs[i].text, srcs[i].len);
  }
  unsigned int olen = 0;
  EVP_DigestFinal_ex(ctx, out, &olen);
  EVP_MD_CTX_free(ctx);
}

void pb_hash_sourcemap(const SourceMap *sm, uint8_t out[PB_HASH_LEN]) {
  PbSource *srcs = plat_xcalloc(sm->nfiles ? sm->nfiles : 1, sizeof *srcs);
  uint32_t n = 0;
  for (uint32_t i = 0; i < sm->nfiles; i++) {
    const SourceFile *f = &sm->files[i];
    if (f->builtin) continue;
    srcs[n++] = (PbSource){f->path, f->text, f->len};
  }
  pb_hash_sources(srcs, n, out);
  free(srcs);
}

void pb_hash_hex(const uint8_t h[PB_HASH_LEN], char out[2 * PB_HASH_LEN + 1]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < PB_HASH_LEN; i++) {
    out[2 * i] = hex[h[i] >> 4];
    out[2 * i + 1] = hex[h[i] & 15];
  }
  out[2 * PB_HASH_LEN] = 0;
}
