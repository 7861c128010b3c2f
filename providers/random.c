/* The built-in `random` provider (providers/schemas/random.plat): Id, Integer, Password and
 * Uuid.  Values come from OpenSSL's RAND_bytes, drawn without modulo bias (rejection
 * sampling), are made once at create and live only in state: read gives back what state
 * holds, and any change of an input, a `keepers` value included, forces a new value.
 * Password.result is secret (its schema says so); nothing here ever prints a value. */
#include "providers/impl.h"

#include <inttypes.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"

#define RANDOM_MAX_BYTES 1024        /* Id.bytes */
#define RANDOM_MAX_LENGTH 4096       /* Password.length */

static const char class_upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char class_lower[] = "abcdefghijklmnopqrstuvwxyz";
static const char class_numeric[] = "0123456789";
static const char class_special[] = "!@#$%&*()-_=+[]{}<>:?";

/* ---- unbiased randomness ---------------------------------------------------------------- */
static bool rand_fill(void *buf, size_t n) {
  return n == 0 || RAND_bytes(buf, (int)n) == 1;
}

/* A uniform value in [0, n) (n > 0): draws below 2^64 mod n are rejected, so every value
 * is equally likely.  False if the generator fails. */
static bool rand_below(uint64_t n, uint64_t *out) {
  uint64_t reject = (0 - n) % n;   /* 2^64 mod n */
  for (;;) {
    uint64_t r;
    if (!rand_fill(&r, sizeof r)) return false;
    if (r >= reject) {
      *out = r % n;
      return true;
    }
  }
}

/* ---- reading inputs ------------------------------------------------------------------- */
static bool get_int(const json_t *in, const char *k, json_int_t *v) {
  const json_t *j = json_object_get(in, k);
  if (!json_is_integer(j)) return false;
  *v = json_integer_value(j);
  return true;
}

static bool get_bool(const json_t *in, const char *k, bool *v) {
  const json_t *j = json_object_get(in, k);
  if (!json_is_boolean(j)) return false;
  *v = json_is_true(j);
  return true;
}

static void check_keepers(const json_t *in, json_t *problems) {
  const json_t *k = json_object_get(in, "keepers");
  if (!k) return;
  if (!json_is_object(k)) {
    prov_problem(problems, "keepers", "keepers must be a map of strings");
    return;
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)k, key, v)
    if (!json_is_string(v)) {
      prov_problem(problems, "keepers", "keepers[\"%s\"] must be a string", key);
      return;
    }
}

typedef struct Classes {
  bool upper, lower, numeric, special;
} Classes;

static int nclasses(Classes c) { return c.upper + c.lower + c.numeric + c.special; }

static void check_inputs(const char *type, const json_t *in, json_t *problems) {
  check_keepers(in, problems);
  json_int_t a, b;
  if (strcmp(type, "Id") == 0) {
    if (!get_int(in, "bytes", &a) || a < 1 || a > RANDOM_MAX_BYTES)
      prov_problem(problems, "bytes", "bytes must be an integer from 1 to %d",
                   RANDOM_MAX_BYTES);
  } else if (strcmp(type, "Integer") == 0) {
    bool ha = get_int(in, "min", &a), hb = get_int(in, "max", &b);
    if (!ha) prov_problem(problems, "min", "min must be an integer");
    if (!hb) prov_problem(problems, "max", "max must be an integer");
    if (ha && hb && a > b)
      prov_problem(problems, "max", "max (%" PRId64 ") is less than min (%" PRId64 ")",
                   (int64_t)b, (int64_t)a);
  } else if (strcmp(type, "Password") == 0) {
    Classes c = {0};
    bool ok = true;
    static const char *const names[] = {"upper", "lower", "numeric", "special"};
    bool *fl[] = {&c.upper, &c.lower, &c.numeric, &c.special};
    for (int i = 0; i < 4; i++)
      if (!get_bool(in, names[i], fl[i])) {
        prov_problem(problems, names[i], "%s must be true or false", names[i]);
        ok = false;
      }
    if (!get_int(in, "length", &a) || a < 1 || a > RANDOM_MAX_LENGTH) {
      prov_problem(problems, "length", "length must be an integer from 1 to %d",
                   RANDOM_MAX_LENGTH);
    } else if (ok && nclasses(c) == 0) {
      prov_problem(problems, NULL, "a password needs at least one of upper, lower, numeric "
                                   "and special");
    } else if (ok && a < nclasses(c)) {
      prov_problem(problems, "length", "length %" PRId64 " cannot hold one character of "
                   "each of the %d classes enabled", (int64_t)a, nclasses(c));
    }
  }
}

/* ---- making values -------------------------------------------------------------------- */
static const char *sget(const json_t *o, const char *k) {
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "";
}

/* An Id's outputs from its [n] bytes: hex, unpadded base64url, decimal; NULL on OOM. */
static json_t *id_outputs(const unsigned char *buf, size_t n) {
  char *hex = plat_xmalloc(n * 2 + 1);
  for (size_t i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", buf[i]);
  hex[2 * n] = '\0';
  /* base64url without padding: EVP's standard alphabet, two letters swapped, '=' cut */
  char *b64 = plat_xmalloc((n + 2) / 3 * 4 + 1);
  int bl = EVP_EncodeBlock((unsigned char *)b64, buf, (int)n);
  while (bl > 0 && b64[bl - 1] == '=') bl--;
  b64[bl] = '\0';
  for (int i = 0; i < bl; i++) b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
  BIGNUM *bn = BN_bin2bn(buf, (int)n, NULL);
  char *dec = bn ? BN_bn2dec(bn) : NULL;
  json_t *out = dec ? json_pack("{s:s,s:s,s:s}", "hex", hex, "b64_url", b64, "dec", dec) : NULL;
  OPENSSL_free(dec);
  BN_free(bn);
  free(hex);
  free(b64);
  return out;
}

static ProvStatus make_id(const json_t *in, ProvRes *res) {
  json_int_t n = 0;
  get_int(in, "bytes", &n);
  unsigned char buf[RANDOM_MAX_BYTES];
  if (!rand_fill(buf, (size_t)n)) return prov_fail(res, PROV_ERROR, "RAND_bytes failed");
  res->outputs = id_outputs(buf, (size_t)n);
  OPENSSL_cleanse(buf, sizeof buf);
  if (!res->outputs) return prov_fail(res, PROV_ERROR, "out of memory converting to decimal");
  res->id = plat_xstrdup(sget(res->outputs, "hex"));
  return PROV_OK;
}

static ProvStatus make_integer(const json_t *in, ProvRes *res) {
  json_int_t lo = 0, hi = 0;
  get_int(in, "min", &lo);
  get_int(in, "max", &hi);
  uint64_t span = (uint64_t)hi - (uint64_t)lo, r;
  bool ok = span == UINT64_MAX ? rand_fill(&r, sizeof r) : rand_below(span + 1, &r);
  if (!ok) return prov_fail(res, PROV_ERROR, "RAND_bytes failed");
  json_int_t v = (json_int_t)((uint64_t)lo + r);
  res->outputs = json_pack("{s:I}", "result", v);
  res->id = prov_strdupf("%" PRId64, (int64_t)v);
  return PROV_OK;
}

static bool pick(const char *set, char *out) {
  uint64_t i;
  if (!rand_below(strlen(set), &i)) return false;
  *out = set[i];
  return true;
}

static ProvStatus make_password(const json_t *in, ProvRes *res) {
  json_int_t len = 0;
  Classes c = {0};
  get_int(in, "length", &len);
  get_bool(in, "upper", &c.upper);
  get_bool(in, "lower", &c.lower);
  get_bool(in, "numeric", &c.numeric);
  get_bool(in, "special", &c.special);
  char all[128] = "";
  const char *chosen[4];
  int nc = 0;
  if (c.upper) strcat(all, chosen[nc++] = class_upper);
  if (c.lower) strcat(all, chosen[nc++] = class_lower);
  if (c.numeric) strcat(all, chosen[nc++] = class_numeric);
  if (c.special) strcat(all, chosen[nc++] = class_special);
  size_t n = (size_t)len;
  char *pw = plat_xmalloc(n + 1);
  bool ok = true;
  /* one of each class first, the rest from all of them, then an unbiased shuffle so the
     guaranteed characters sit anywhere */
  for (size_t i = 0; ok && i < n; i++) ok = pick(i < (size_t)nc ? chosen[i] : all, &pw[i]);
  for (size_t i = n - 1; ok && i > 0; i--) {
    uint64_t j;
    ok = rand_below(i + 1, &j);
    if (ok) {
      char t = pw[i];
      pw[i] = pw[j];
      pw[j] = t;
    }
  }
  pw[n] = '\0';
  if (ok) {
    res->outputs = json_pack("{s:s}", "result", pw);
    res->id = plat_xstrdup("none");   /* the id is printed; the password never is */
  }
  OPENSSL_cleanse(pw, n);
  free(pw);
  return ok ? PROV_OK : prov_fail(res, PROV_ERROR, "RAND_bytes failed");
}

static void uuid_text(const unsigned char b[16], char out[37]) {
  static const char hx[] = "0123456789abcdef";
  size_t k = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[k++] = '-';
    out[k++] = hx[b[i] >> 4];
    out[k++] = hx[b[i] & 15];
  }
  out[k] = '\0';
}

static ProvStatus make_uuid(ProvRes *res) {
  unsigned char b[16];
  if (!rand_fill(b, sizeof b)) return prov_fail(res, PROV_ERROR, "RAND_bytes failed");
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
  char s[37];
  uuid_text(b, s);
  res->outputs = json_pack("{s:s}", "result", s);
  res->id = plat_xstrdup(s);
  return PROV_OK;
}

/* ---- import: rebuild a value from its id ------------------------------------------------- */
static bool is_hex(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n % 2 || n > 2 * RANDOM_MAX_BYTES) return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return false;
  return true;
}

static ProvStatus import_value(const char *type, const char *id, ProvRes *res) {
  if (strcmp(type, "Id") == 0) {
    if (!is_hex(id))
      return prov_fail(res, PROV_ERROR, "the id of a random.Id is its lowercase hex");
    size_t n = strlen(id) / 2;
    unsigned char buf[RANDOM_MAX_BYTES];
    for (size_t i = 0; i < n; i++) {
      unsigned v;
      sscanf(id + 2 * i, "%2x", &v);
      buf[i] = (unsigned char)v;
    }
    res->outputs = id_outputs(buf, n);
    if (!res->outputs) return prov_fail(res, PROV_ERROR, "out of memory");
    res->inputs = json_pack("{s:I,s:{}}", "bytes", (json_int_t)n, "keepers");
    return PROV_OK;
  }
  if (strcmp(type, "Integer") == 0) {
    int64_t r, lo, hi;
    int used = 0;
    if (sscanf(id, "%" SCNd64 ",%" SCNd64 ",%" SCNd64 "%n", &r, &lo, &hi, &used) != 3 ||
        id[used] || lo > hi || r < lo || r > hi)
      return prov_fail(res, PROV_ERROR, "import a random.Integer with the id "
                                        "\"RESULT,MIN,MAX\" (e.g. \"7,1,10\")");
    res->inputs = json_pack("{s:I,s:I,s:{}}", "min", (json_int_t)lo, "max", (json_int_t)hi,
                            "keepers");
    res->outputs = json_pack("{s:I}", "result", (json_int_t)r);
    free(res->id);
    res->id = prov_strdupf("%" PRId64, r);
    return PROV_OK;
  }
  if (strcmp(type, "Uuid") == 0) {
    bool ok = strlen(id) == 36;
    for (int i = 0; ok && i < 36; i++)
      ok = (i == 8 || i == 13 || i == 18 || i == 23)
               ? id[i] == '-'
               : ((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'));
    if (!ok) return prov_fail(res, PROV_ERROR, "the id of a random.Uuid is the UUID itself");
    res->inputs = json_pack("{s:{}}", "keepers");
    res->outputs = json_pack("{s:s}", "result", id);
    return PROV_OK;
  }
  return prov_fail(res, PROV_ERROR, "a random.%s cannot be imported: its value would "
                                    "have to appear in the id, which is printed", type);
}

static ProvStatus random_call(void *self, ProvOp op, const ProvReq *req, ProvRes *res,
                              int64_t deadline_ms) {
  (void)self, (void)deadline_ms;
  const char *type = req->type;
  switch (op) {
  case PROV_CHECK:
    res->problems = json_array();
    check_inputs(type, req->inputs, res->problems);
    return PROV_OK;
  case PROV_DIFF:
    prov_diff_inputs(req->inputs, req->new_inputs, NULL, res);   /* every change replaces */
    return PROV_OK;
  case PROV_CREATE: {
    json_t *problems = json_array();
    check_inputs(type, req->inputs, problems);
    if (json_array_size(problems)) {
      const json_t *p0 = json_array_get(problems, 0);
      prov_fail(res, PROV_ERROR, "%s", json_string_value(json_object_get(p0, "message")));
      json_decref(problems);
      return res->status;
    }
    json_decref(problems);
    if (strcmp(type, "Id") == 0) return make_id(req->inputs, res);
    if (strcmp(type, "Integer") == 0) return make_integer(req->inputs, res);
    if (strcmp(type, "Password") == 0) return make_password(req->inputs, res);
    return make_uuid(res);
  }
  case PROV_READ:
    /* A lookup by inputs alone: a random value exists only in state, so there is none. */
    if (!req->id || !*req->id)
      return PROV_GONE;
    if (!req->outputs || !json_object_size(req->outputs))
      return import_value(type, req->id, res);
    /* the value lives only in state: it is what state says */
    res->outputs = json_deep_copy(req->outputs);
    return PROV_OK;
  case PROV_UPDATE:
    if (!json_equal(req->inputs, req->new_inputs))
      return prov_fail(res, PROV_ERROR, "a random.%s is never updated in place: every "
                                        "change of its inputs replaces it", type);
    res->outputs = req->outputs ? json_deep_copy(req->outputs) : json_object();
    return PROV_OK;
  case PROV_DELETE: return PROV_OK;   /* nothing outside state to remove */
  default: return prov_fail(res, PROV_ERROR, "unknown operation");
  }
}

static const char *random_schema(void *self, size_t *len, char **err) {
  (void)self;
  const PlatEmbedded *e = plat_embedded_find("providers/schemas/random.plat");
  if (!e) {
    *err = prov_strdupf("the embedded schema providers/schemas/random.plat is missing");
    return NULL;
  }
  *len = e->len;
  return e->data;
}

static void random_close(void *self) { (void)self; }

static const ProvVtable random_vt = {random_call, random_schema, random_close};

bool prov_random_open(const char *name, const char *root, json_t *config,
                      const ProvVtable **vt, void **self, char **err) {
  (void)name, (void)root;
  if (config && json_object_size(config)) {
    *err = prov_strdupf("it takes no configuration");
    return false;
  }
  *vt = &random_vt;
  *self = NULL;
  return true;
}
