/* AES-256-GCM sealing of secret values, with keys from a passphrase (scrypt) or a key
 * file.  OpenSSL's EVP does the cryptography; this file only frames it.  See crypt.h. */
#define _GNU_SOURCE   /* O_TMPFILE, AT_EMPTY_PATH */
#include "deploy/crypt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "compiler/arena.h"
#include "deploy/util.h"

#define NONCE_BYTES 12
#define TAG_BYTES 16
/* scrypt cost: about 0.1 s and 32 MiB here, once per run. */
#define SCRYPT_N (1u << 15)
#define SCRYPT_R 8u
#define SCRYPT_P 1u
#define SCRYPT_MAXMEM (64u << 20)

void crypt_wipe(void *p, size_t n) {
  volatile unsigned char *q = p;
  while (n--)
    *q++ = 0;
}

void (*crypt_hook_making)(void);
bool crypt_no_tmpfile;

/* Give the unnamed file [fd] the name [path]; fails with EEXIST if the name exists. */
static int name_unnamed(int fd, const char *path) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
    return 0;
  int saved = errno;
  if (saved != ENOENT || access("/proc/self/fd", F_OK) == 0) {
    errno = saved;
    return -1;
  }
  /* no /proc: name the descriptor itself (allowed with CAP_DAC_READ_SEARCH) */
  return linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH);
}

static void sync_dir(const char *dir) {
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)fsync(dfd);
    close(dfd);
  }
}

/* Make [path] holding the [n] bytes at [data], whole or not at all: they are written and
 * synced in an unnamed file of its folder (O_TMPFILE), which linkat then names, failing if
 * the name exists.  A run killed at any instant leaves no file or the whole one; created
 * with O_EXCL and then written, a first run killed between the two left an empty key file
 * that every later run refused.  Where the file system has no O_TMPFILE, or the unnamed
 * file cannot be named (no /proc, no privilege), it falls back to O_EXCL and write.
 * Returns 1 made, 0 the name exists (a concurrent run made it), -1 failed (errno set). */
static int make_whole(const char *path, const uint8_t *data, size_t n) {
  const char *slash = strrchr(path, '/');
  size_t dlen = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 1;
  char *dir = plat_xmalloc(dlen + 1);
  memcpy(dir, slash ? path : ".", dlen);
  dir[dlen] = '\0';
  int rc = -1, saved = 0;
  int fd = crypt_no_tmpfile ? (errno = EOPNOTSUPP, -1)
                            : open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    if (crypt_hook_making)
      crypt_hook_making();
    errno = 0;
    bool ok = write(fd, data, n) == (ssize_t)n && fsync(fd) == 0;
    int named = ok ? name_unnamed(fd, path) : -1;
    saved = errno ? errno : EIO;   /* a short write sets none */
    close(fd);
    if (named == 0)
      rc = 1;
    else if (ok && saved == EEXIST)
      rc = 0;
    else if (!ok || (saved != ENOENT && saved != EPERM))
      goto done;
  } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    saved = errno;
    goto done;
  }
  if (rc < 0) {   /* the fallback */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      saved = errno;
      rc = saved == EEXIST ? 0 : -1;
      goto done;
    }
    if (crypt_hook_making)
      crypt_hook_making();
    errno = 0;
    bool ok = write(fd, data, n) == (ssize_t)n && fsync(fd) == 0;
    saved = errno ? errno : EIO;
    ok = close(fd) == 0 && ok;
    if (!ok) {
      unlink(path);
      goto done;
    }
    rc = 1;
  }
  sync_dir(dir);   /* the new name on disk too */
done:
  free(dir);
  errno = saved;
  return rc;
}

/* Read exactly [n] bytes from [path] into [out], or make the file with [n] random bytes
 * (mode 0600, never two different ones: see make_whole). */
static bool load_or_make(const char *path, uint8_t *out, size_t n, const char *what,
                         char *err, size_t errlen) {
  for (int attempt = 0; attempt < 2; attempt++) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      uint8_t buf[CRYPT_KEY_BYTES + 1];
      ssize_t got = read(fd, buf, sizeof buf);
      close(fd);
      if (got == 0) {
        /* a first run killed between creating and writing it, where the file system has
           no O_TMPFILE (make_whole): no secret can have been sealed with it */
        dp_seterr(err, errlen, "%s: malformed %s file (0 bytes, expected %zu): a run killed "
                  "while making it leaves it empty, and then nothing was sealed with it: "
                  "remove it and run again", path, what, n);
        return false;
      }
      if (got != (ssize_t)n) {
        dp_seterr(err, errlen, "%s: malformed %s file (%zd bytes, expected %zu)", path, what,
               got, n);
        crypt_wipe(buf, sizeof buf);
        return false;
      }
      memcpy(out, buf, n);
      crypt_wipe(buf, sizeof buf);
      return true;
    }
    if (errno != ENOENT) {
      dp_seterr(err, errlen, "%s: cannot read the %s file: %s", path, what, strerror(errno));
      return false;
    }
    if (RAND_bytes(out, (int)n) != 1) {
      dp_seterr(err, errlen, "%s: no randomness available for the %s", path, what);
      return false;
    }
    int made = make_whole(path, out, n);
    if (made == 1)
      return true;
    crypt_wipe(out, n);
    if (made == 0)
      continue;          /* made by a concurrent run: read theirs */
    dp_seterr(err, errlen, "%s: cannot create the %s file: %s", path, what, strerror(errno));
    return false;
  }
  dp_seterr(err, errlen, "%s: the %s file keeps changing", path, what);
  return false;
}

bool crypt_key_load(CryptKey *key, const char *passphrase, const char *salt_path,
                    const char *key_path, const CryptKey *known, char *err, size_t errlen) {
  memset(key, 0, sizeof *key);
  if (passphrase && *passphrase) {
    uint8_t salt[CRYPT_SALT_BYTES];
    if (!load_or_make(salt_path, salt, sizeof salt, "salt", err, errlen))
      return false;
    uint8_t source[32];
    unsigned int slen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool summed = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
                  EVP_DigestUpdate(md, salt, sizeof salt) == 1 &&
                  EVP_DigestUpdate(md, passphrase, strlen(passphrase)) == 1 &&
                  EVP_DigestFinal_ex(md, source, &slen) == 1 && slen == sizeof source;
    EVP_MD_CTX_free(md);
    if (summed && known && known->from_passphrase &&
        CRYPTO_memcmp(known->source, source, sizeof source) == 0) {
      *key = *known;
      crypt_wipe(salt, sizeof salt);
      return true;
    }
    int ok = EVP_PBE_scrypt(passphrase, strlen(passphrase), salt, sizeof salt, SCRYPT_N,
                            SCRYPT_R, SCRYPT_P, SCRYPT_MAXMEM, key->k, sizeof key->k);
    crypt_wipe(salt, sizeof salt);
    if (ok != 1) {
      dp_seterr(err, errlen, "cannot derive the state key from PLAT_PASSPHRASE (scrypt failed)");
      return false;
    }
    key->from_passphrase = true;
    if (summed)
      memcpy(key->source, source, sizeof source);   /* else never taken as [known] */
    return true;
  }
  return load_or_make(key_path, key->k, sizeof key->k, "key", err, errlen);
}

bool crypt_is_sealed(const char *text) {
  return text && strncmp(text, CRYPT_PREFIX, strlen(CRYPT_PREFIX)) == 0;
}

char *crypt_seal(const CryptKey *key, const char *aad, const void *plain, size_t len) {
  if (len > (1u << 30))
    return NULL;
  size_t rawlen = NONCE_BYTES + len + TAG_BYTES;
  uint8_t *raw = plat_xmalloc(rawlen);
  char *out = NULL;
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int n = 0, fin = 0;
  if (!c || RAND_bytes(raw, NONCE_BYTES) != 1 ||
      EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_BYTES, NULL) != 1 ||
      EVP_EncryptInit_ex(c, NULL, NULL, key->k, raw) != 1 ||
      EVP_EncryptUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
      EVP_EncryptUpdate(c, raw + NONCE_BYTES, &n, plain, (int)len) != 1 ||
      EVP_EncryptFinal_ex(c, raw + NONCE_BYTES + n, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, raw + NONCE_BYTES + len) != 1)
    goto done;
  size_t plen = strlen(CRYPT_PREFIX);
  out = plat_xmalloc(plen + 4 * ((rawlen + 2) / 3) + 1);
  memcpy(out, CRYPT_PREFIX, plen);
  EVP_EncodeBlock((uint8_t *)out + plen, raw, (int)rawlen);
done:
  EVP_CIPHER_CTX_free(c);
  crypt_wipe(raw, rawlen);
  free(raw);
  return out;
}

char *crypt_open(const CryptKey *key, const char *aad, const char *text, size_t *len,
                 char *err, size_t errlen) {
  if (!crypt_is_sealed(text)) {
    dp_seterr(err, errlen, "not an encrypted value");
    return NULL;
  }
  const char *b64 = text + strlen(CRYPT_PREFIX);
  size_t blen = strlen(b64);
  if (blen % 4 || blen < 4 * ((NONCE_BYTES + TAG_BYTES + 2) / 3) || blen > (2u << 30)) {
    dp_seterr(err, errlen, "malformed encrypted value");
    return NULL;
  }
  uint8_t *raw = plat_xmalloc(blen / 4 * 3 + 1);
  int rawlen = EVP_DecodeBlock(raw, (const uint8_t *)b64, (int)blen);
  /* EVP_DecodeBlock counts the padding as zero bytes: take them off. */
  if (rawlen >= 0 && b64[blen - 1] == '=')
    rawlen -= b64[blen - 2] == '=' ? 2 : 1;
  if (rawlen < NONCE_BYTES + TAG_BYTES) {
    free(raw);
    dp_seterr(err, errlen, "malformed encrypted value");
    return NULL;
  }
  size_t clen = (size_t)rawlen - NONCE_BYTES - TAG_BYTES;
  char *plain = plat_xmalloc(clen + 1);
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int n = 0, fin = 0;
  bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_BYTES, NULL) == 1 &&
            EVP_DecryptInit_ex(c, NULL, NULL, key->k, raw) == 1 &&
            EVP_DecryptUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) == 1 &&
            EVP_DecryptUpdate(c, (uint8_t *)plain, &n, raw + NONCE_BYTES, (int)clen) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_BYTES,
                                raw + NONCE_BYTES + clen) == 1 &&
            EVP_DecryptFinal_ex(c, (uint8_t *)plain + n, &fin) == 1;
  EVP_CIPHER_CTX_free(c);
  crypt_wipe(raw, (size_t)rawlen);
  free(raw);
  if (!ok) {
    crypt_wipe(plain, clen);
    free(plain);
    dp_seterr(err, errlen, "an encrypted value does not decrypt: wrong key (PLAT_PASSPHRASE or "
                        "key file) or the state was tampered with");
    return NULL;
  }
  plain[clen] = '\0';
  if (len)
    *len = clen;
  return plain;
}
