/* Secrets at rest: AES-256-GCM (OpenSSL EVP) over each secret value written to state or
 * the journal.  The key is derived from PLAT_PASSPHRASE with scrypt and the stack's salt,
 * or read from a per-stack key file (32 random bytes, mode 0600) made on first use.  Each
 * sealed value is bound to where it lives (associated data: lineage, address, property),
 * so a ciphertext copied to another resource or stack does not open. */
#ifndef PLAT_CRYPT_H
#define PLAT_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPT_KEY_BYTES 32
#define CRYPT_SALT_BYTES 16
/* Sealed text: "v1:" + base64(12-byte nonce | ciphertext | 16-byte tag). */
#define CRYPT_PREFIX "v1:"

typedef struct CryptKey {
  uint8_t k[CRYPT_KEY_BYTES];
  bool from_passphrase;     /* derived from PLAT_PASSPHRASE (else the key file) */
  uint8_t source[32];       /* with a passphrase: SHA-256 of salt and passphrase, which
                               tells whether this key can stand for another derivation */
} CryptKey;

/* The key for a stack.  With [passphrase] (non-NULL, non-empty): scrypt(passphrase, salt)
 * where the salt is read from [salt_path], made (random, 0600) when absent.  Else the key
 * file at [key_path], made (random, 0600, whole or not at all) when absent.  [known] (may be NULL) is a
 * key this process derived earlier: when it came from the same passphrase and salt it is
 * taken as is, since scrypt costs a tenth of a second on purpose.  Returns false with a
 * message in [err] ([errlen] bytes) when a file cannot be read or made or is malformed. */
bool crypt_key_load(CryptKey *key, const char *passphrase, const char *salt_path,
                    const char *key_path, const CryptKey *known, char *err, size_t errlen);

/* Seal [len] bytes of [plain] bound to [aad]; returns malloc'd NUL-terminated text. */
char *crypt_seal(const CryptKey *key, const char *aad, const void *plain, size_t len);
/* Open sealed [text] bound to [aad]: returns malloc'd plaintext (NUL-terminated, length in
 * *len) or NULL with a message in [err] when it is malformed or does not authenticate
 * (wrong key, wrong place, tampered). */
char *crypt_open(const CryptKey *key, const char *aad, const char *text, size_t *len,
                 char *err, size_t errlen);
/* Is [text] a sealed value (by its prefix)? */
bool crypt_is_sealed(const char *text);

/* For tests: called while a key or salt file is being made, after the file exists in some
 * form and before its bytes are all written (a test kills the process there). */
extern void (*crypt_hook_making)(void);
/* For tests: make them the fallback way, as on a file system without O_TMPFILE. */
extern bool crypt_no_tmpfile;

/* Wipe [n] bytes at [p] in a way the compiler cannot drop. */
void crypt_wipe(void *p, size_t n);

#endif
