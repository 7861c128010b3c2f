/* Hashes and identifiers: md5, sha1, sha256, sha512 (hex), base64sha256, base64sha512,
 * their file* forms (the bytes of a file, any content), uuidv5 (RFC 4122 name-based) and
 * uuid (random: the one function here that is not reproducible), and rsadecrypt.  Digests are OpenSSL's
 * EVP; the text hashed is the string's UTF-8 bytes, as Terraform hashes them. */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <string.h>

#include "stdlib/bytes.h"
#include "stdlib/stdlib.h"

typedef enum HashOut { HEX, B64 } HashOut;

static Val digest(Rt *rt, const char *fn, const EVP_MD *md, const void *p, size_t n, HashOut out) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int dn = 0;
  if (!EVP_Digest(p, n, d, &dn, md, NULL)) rt_error(rt, "%s: the digest failed", fn);
  SBuf b;
  sb_init(&b, rt);
  if (out == HEX) sl_hex(&b, d, dn);
  else sl_b64_encode(&b, d, dn);
  return sb_val(&b, true);
}

static Val str_digest(Rt *rt, const char *fn, const EVP_MD *md, const Val *args, HashOut out) {
  return digest(rt, fn, md, args[0].as.s->s, args[0].as.s->len, out);
}

static Val file_digest(Rt *rt, const char *fn, const EVP_MD *md, const Val *args, HashOut out) {
  size_t n;
  char *p = sl_read_file(rt, fn, args[0], &n);
  return digest(rt, fn, md, p, n, out);
}

#define HASH(name, md, out) \
  Val sl_##name(Rt *rt, const Val *args, uint32_t n) { \
    (void)n; return str_digest(rt, #name, md(), args, out); \
  } \
  Val sl_file##name(Rt *rt, const Val *args, uint32_t n) { \
    (void)n; return file_digest(rt, "file" #name, md(), args, out); \
  }
HASH(md5, EVP_md5, HEX)
HASH(sha1, EVP_sha1, HEX)
HASH(sha256, EVP_sha256, HEX)
HASH(sha512, EVP_sha512, HEX)
HASH(base64sha256, EVP_sha256, B64)
HASH(base64sha512, EVP_sha512, B64)
#undef HASH

/* ---- UUIDs -------------------------------------------------------------------------------- */
static Val uuid_text(Rt *rt, const unsigned char u[16]) {
  SBuf b;
  sb_init(&b, rt);
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) sb_addc(&b, '-');
    sl_hex(&b, u + i, 1);
  }
  return sb_val(&b, true);
}

/* A UUID in its text forms Go's uuid.Parse reads: 8-4-4-4-12 hex, optionally in braces or
 * after "urn:uuid:", or 32 hex digits. */
static bool parse_uuid(const char *s, size_t n, unsigned char u[16]) {
  if (n == 45 && strncmp(s, "urn:uuid:", 9) == 0) s += 9, n -= 9;
  else if (n == 38 && s[0] == '{' && s[37] == '}') s += 1, n -= 2;
  bool dashed = n == 36;
  if (!dashed && n != 32) return false;
  int k = 0;
  for (size_t i = 0; i < n; i++) {
    if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (s[i] != '-') return false;
      continue;
    }
    int hi = sl_hexdigit(s[i]), lo = i + 1 < n ? sl_hexdigit(s[i + 1]) : -1;
    if (hi < 0 || lo < 0) return false;
    u[k++] = (unsigned char)(hi << 4 | lo);
    i++;
  }
  return k == 16;
}

Val sl_uuidv5(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  /* the RFC 4122 namespaces, by Terraform's short names */
  static const struct { const char *name, *uuid; } ns[] = {
    {"dns", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
    {"url", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"},
    {"oid", "6ba7b812-9dad-11d1-80b4-00c04fd430c8"},
    {"x500", "6ba7b814-9dad-11d1-80b4-00c04fd430c8"},
  };
  const VStr *space = args[0].as.s, *name = args[1].as.s;
  unsigned char u[16];
  const char *text = space->s;
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
    if (strcmp(space->s, ns[i].name) == 0) text = ns[i].uuid;
  if (!parse_uuid(text, strlen(text), u))
    rt_error(rt, "uuidv5: namespace %s is neither one of \"dns\", \"url\", \"oid\", \"x500\" "
             "nor a UUID", sl_show_arg(rt, args[0], 60));
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int dn = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) && EVP_DigestUpdate(ctx, u, 16) &&
            EVP_DigestUpdate(ctx, name->s, name->len) && EVP_DigestFinal_ex(ctx, d, &dn);
  EVP_MD_CTX_free(ctx);
  if (!ok) rt_error(rt, "uuidv5: the digest failed");
  d[6] = (unsigned char)((d[6] & 0x0F) | 0x50);   /* version 5 */
  d[8] = (unsigned char)((d[8] & 0x3F) | 0x80);   /* RFC 4122 variant */
  return uuid_text(rt, d);
}

Val sl_uuid(Rt *rt, const Val *args, uint32_t n) {
  (void)args, (void)n;
  unsigned char u[16];
  if (RAND_bytes(u, sizeof u) != 1) rt_error(rt, "uuid: no random bytes available");
  u[6] = (unsigned char)((u[6] & 0x0F) | 0x40);   /* version 4: random */
  u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);
  return uuid_text(rt, u);
}

/* ---- RSA ---------------------------------------------------------------------------------- */
/* OpenSSL asks a callback for the passphrase of an encrypted key: refuse, never prompt. */
static int no_passphrase(char *buf, int size, int rwflag, void *ud) {
  (void)buf, (void)size, (void)rwflag, (void)ud;
  return -1;
}

typedef struct RsaJob { const char *key; size_t keylen; const unsigned char *ct; size_t ctlen;
                        unsigned char *out; size_t outlen; const char *err; } RsaJob;

/* OpenSSL's objects are malloc'd: this part never raises, it reports in job->err. */
static void rsa_decrypt(RsaJob *j) {
  BIO *bio = BIO_new_mem_buf(j->key, (int)j->keylen);
  EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
  BIO_free(bio);
  if (!pk) { j->err = "invalid private key: not a PEM-encoded, unencrypted private key"; return; }
  if (EVP_PKEY_base_id(pk) != EVP_PKEY_RSA) {
    EVP_PKEY_free(pk);
    j->err = "invalid private key: not an RSA key";
    return;
  }
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
  size_t n = 0;
  if (!ctx || EVP_PKEY_decrypt_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
      EVP_PKEY_decrypt(ctx, NULL, &n, j->ct, j->ctlen) <= 0 || n > j->outlen ||
      EVP_PKEY_decrypt(ctx, j->out, &n, j->ct, j->ctlen) <= 0)
    j->err = "failed to decrypt: the ciphertext does not match the key or is not PKCS #1 v1.5";
  j->outlen = n;
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(pk);
}

Val sl_rsadecrypt(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  size_t ctlen;
  char *ct = sl_b64_decode(rt, args[0].as.s->s, args[0].as.s->len, &ctlen);
  if (!ct)
    rt_error(rt, "rsadecrypt: failed to decode input %s: cipher text must be base64-encoded",
             sl_show_arg(rt, args[0], 40));
  RsaJob j = {args[1].as.s->s, args[1].as.s->len, (const unsigned char *)ct, ctlen, NULL, 0, NULL};
  j.outlen = ctlen + 16;           /* the plaintext is never longer than the modulus */
  j.out = rt_alloc(rt, j.outlen + 1);
  rsa_decrypt(&j);
  if (j.err) rt_error(rt, "rsadecrypt: %s", j.err);
  return val_str_checked(rt, (const char *)j.out, j.outlen, "rsadecrypt: the decrypted text");
}
