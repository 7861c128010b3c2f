/* A stack's state: what platc created, as it last saw it (docs/state.md).  JSON with a
 * format version, a lineage (which history this is) and a serial (which step of it),
 * resources sorted by address with their inputs, outputs, dependencies and provider.
 * Loaded strictly (a corrupt or newer file is refused with a message and never touched),
 * written atomically (temp file, fsync, rename, fsync the folder) and deterministically
 * (sorted keys, two-space indent).  Secret properties are held in plaintext in memory and
 * sealed with AES-256-GCM (deploy/crypt.h) on the way to disk. */
#ifndef PLAT_STATE_H
#define PLAT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "deploy/crypt.h"

#define STATE_FORMAT_VERSION 1
/* A state file larger than this is refused rather than read into memory. */
#define STATE_MAX_BYTES ((size_t)1 << 30)

typedef struct StateRes {
  char *address;        /* site, api.cfg, workers["billing"].cfg */
  char *type;           /* local.File */
  char *provider;       /* local */
  char *id;             /* the provider's id for it */
  json_t *inputs;       /* object: property -> value (plaintext in memory) */
  json_t *outputs;      /* object */
  char **deps; uint32_t ndeps;        /* addresses it depended on when made, sorted */
  char **secret; uint32_t nsecret;    /* secret properties: "inputs.content",
                                         "outputs.result", sorted */
  bool sealed;          /* loaded without a key: secret values are still sealed */
} StateRes;

typedef struct State {
  char lineage[40];     /* a UUID made when the stack's first state is written */
  uint64_t serial;      /* +1 on every write */
  char *stack;
  StateRes *res; uint32_t nres, capres;   /* in no particular order until state_sort */
  uint32_t *idx; uint32_t idxcap;         /* address hash -> index + 1 (0 empty, TOMB gone) */
  bool sorted;                            /* res is sorted by address */
  json_t *outputs;      /* the root outputs, object */
  char **secret_outputs; uint32_t nsecret_outputs;
} State;

/* An empty state for [stack] with a fresh lineage and serial 0. */
void state_init(State *st, const char *stack);
void state_free(State *st);

/* Load [path] into [st].  A missing file gives an empty state (returns true, *exists
 * false).  With [key] NULL, secret values stay sealed (StateRes.sealed): enough to list,
 * not to deploy.  On failure returns false with a message naming the file and what is
 * wrong in [err]; the file is never modified. */
bool state_load(State *st, const char *path, const char *stack, const CryptKey *key,
                bool *exists, char *err, size_t errlen);
/* Tests only: false makes state_load skip its token-by-token reader (the fast path), so
 * that a test can compare what both readers make of the same file. */
extern bool state_fast_load;

/* Write [st] to [path] atomically with serial+1 (st->serial is updated); secret values
 * sealed with [key] (which must be given if any resource has a secret property). */
bool state_save(State *st, const char *path, const CryptKey *key, char *err, size_t errlen);

/* The resource at [address], or NULL (a hash lookup). */
StateRes *state_find(State *st, const char *address);
/* Add or replace a resource (takes ownership of the strings and json it points to).
 * O(1): the order of st->res is not kept; state_sort restores it.  Pointers into st->res
 * are valid until the next put or remove. */
StateRes *state_put(State *st, const StateRes *r);
/* Remove the resource at [address]; false if absent.  O(1). */
bool state_remove(State *st, const char *address);
/* Sort st->res by address (state_save does it; so must anyone listing resources). */
void state_sort(State *st);
void state_res_free(StateRes *r);
/* Is property [path] ("inputs.content") of [r] secret? */
bool state_res_is_secret(const StateRes *r, const char *path);

/* Seal / open one value for [address]'s property [path] of the stack with [lineage]:
 * the sealed form is {"$sealed": "v1:..."}.  Used by state files and the journal. */
json_t *state_seal(const CryptKey *key, const char *lineage, const char *address,
                   const char *path, const json_t *value);
json_t *state_unseal(const CryptKey *key, const char *lineage, const char *address,
                     const char *path, const json_t *sealed, char *err, size_t errlen);

#endif
