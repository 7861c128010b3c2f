/* The provider interface: the one door through which plan, deploy, refresh and import touch
 * real resources.  A provider (built-in `local` and `random`, or an external executable
 * speaking JSON-RPC over stdio, docs/providers.md) answers six operations per resource type
 * — check, diff, create, read, update, delete — on jansson objects (property -> value).
 * This layer adds what every caller needs: lookup by name, schema defaults, deadlines,
 * retries of transient errors with backoff, messages naming provider, operation and
 * resource, and the marking (and redaction) of secret values.  It knows nothing of the
 * graph, the VM or state: those build on it. */
#ifndef PLAT_PROVIDER_H
#define PLAT_PROVIDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an operation came to.  Only PROV_OK carries results (and PROV_GONE for read). */
typedef enum ProvStatus {
  PROV_OK,
  PROV_ERROR,       /* failed for good; ProvRes.message says why */
  PROV_TRANSIENT,   /* failed, nothing happened, worth another try: prov_call retries it
                       itself, so a caller sees it only once the attempts are used up */
  PROV_TIMEOUT,     /* the deadline passed (an external provider is killed: it may have
                       done the operation or not; refresh with read to know) */
  PROV_GONE,        /* read: the resource no longer exists */
} ProvStatus;

typedef enum ProvOp {
  PROV_CHECK, PROV_DIFF, PROV_CREATE, PROV_READ, PROV_UPDATE, PROV_DELETE,
  PROV_NOPS
} ProvOp;

typedef enum ProvDiffKind {
  PROV_DIFF_NONE,      /* nothing to do */
  PROV_DIFF_UPDATE,    /* update in place */
  PROV_DIFF_REPLACE,   /* delete and create (a property in ProvRes.replaces changed) */
} ProvDiffKind;

/* One operation's request.  Which fields an operation reads:
 *   check   type inputs                     -> problems
 *   diff    type inputs outputs new_inputs  -> diff changed replaces
 *   create  type inputs                     -> id outputs
 *   read    type id [inputs outputs]        -> id inputs outputs, or PROV_GONE; with only
 *                                              an id (import) the provider rebuilds inputs;
 *           type inputs (no id)             -> the same, found by its inputs: recovery asks
 *                                              whether a create that began and never ended
 *                                              made anything (a file by its path)
 *   update  type id inputs outputs new_inputs -> outputs
 *   delete  type id inputs outputs          -> (nothing; deleting what is gone is ok)
 * inputs/outputs are the stored (old) values except in check and create.  Objects are
 * borrowed, never changed.  Missing inputs take the schema's defaults before the provider
 * sees them, so stored and desired inputs compare alike. */
typedef struct ProvReq {
  const char *type;          /* resource type inside the provider: "File" */
  const char *address;       /* the resource's address, only for messages; may be NULL */
  const char *id;
  json_t *inputs;
  json_t *outputs;
  json_t *new_inputs;
  json_t *secret_inputs;     /* array of input names whose value is secret, or NULL: their
                                values are redacted from every message */
} ProvReq;

/* One operation's result, owned by the caller: free with prov_res_free. */
typedef struct ProvRes {
  ProvStatus status;
  char *message;             /* for anything but PROV_OK: "provider 'local': create of
                                local.File "app": <why>" (secret values redacted) */
  char *id;                  /* create, read */
  json_t *inputs;            /* read: the inputs as they are now (drift shows here) */
  json_t *outputs;           /* create, read, update */
  json_t *problems;          /* check: array of {"property": name or null, "message"} */
  ProvDiffKind diff;
  json_t *changed;           /* diff: sorted names of the inputs that changed */
  json_t *replaces;          /* diff: the sorted subset of those that force replacement */
  json_t *secrets;           /* create, read, update: sorted names of secret outputs, so
                                callers redact and encrypt them (never NULL after OK) */
  uint32_t attempts;         /* how many tries prov_call made */
} ProvRes;

/* Time, injectable so tests of backoff are exact and fast.  now_ms is monotonic.
 * Deadlines of external calls always run on the real clock (a child lives in real time);
 * the clock here times backoff between attempts. */
typedef struct ProvClock {
  int64_t (*now_ms)(void *ctx);
  void (*sleep_ms)(void *ctx, int64_t ms);
  void *ctx;
} ProvClock;

#define PROV_DEFAULT_TIMEOUT_MS 60000
#define PROV_DEFAULT_START_TIMEOUT_MS 10000
#define PROV_DEFAULT_ATTEMPTS 5
#define PROV_DEFAULT_BACKOFF_MS 250
#define PROV_DEFAULT_BACKOFF_MAX_MS 8000

/* A registry's settings.  Zero means the default everywhere. */
typedef struct ProvConfig {
  const char *project_root;          /* required: relative paths and .plat/providers/ */
  const char *search_path;           /* folders, ':'-separated; NULL: $PLAT_PROVIDER_PATH */
  int64_t timeout_ms[PROV_NOPS];     /* per operation, per attempt */
  int64_t start_timeout_ms;          /* an external provider's start, handshake, schema
                                        and shutdown */
  uint32_t max_attempts;             /* tries of a transient error, the first included */
  int64_t backoff_ms;                /* before the second try; doubles each time ... */
  int64_t backoff_max_ms;            /* ... up to this; each wait is jittered to [d/2, d] */
  uint64_t seed;                     /* of the jitter; 0: random */
  ProvClock clock;                   /* NULL functions: the real clock */
} ProvConfig;

/* An implementation, for the built-ins and for in-process providers a caller registers
 * (tests, the engine's no-op benchmark provider).  [call] fills res->status and, on
 * failure, res->message with the bare reason (this layer adds who and what); it must
 * return before [deadline_ms] (real monotonic clock) or as soon after as it can. */
typedef struct ProvVtable {
  ProvStatus (*call)(void *self, ProvOp op, const ProvReq *req, ProvRes *res,
                     int64_t deadline_ms);
  /* The schema as Plat source (docs/language.md §8), valid until close; NULL with *err
   * (malloc'd) when it cannot be had. */
  const char *(*schema)(void *self, size_t *len, char **err);
  void (*close)(void *self);
} ProvVtable;

typedef struct ProvRegistry ProvRegistry;
typedef struct Provider Provider;

/* A registry for one run.  [cfg] is copied (its strings too). */
ProvRegistry *prov_registry_new(const ProvConfig *cfg);
/* Stops every external provider it started (asks, then kills) and frees everything. */
void prov_registry_free(ProvRegistry *r);

/* Make [name] an in-process provider ([vt], [self]), found before anything else.
 * False if [name] is not a valid provider name or already opened. */
bool prov_registry_add(ProvRegistry *r, const char *name, const ProvVtable *vt, void *self);

/* The provider [name], opened and configured with [config] (a JSON object, borrowed; NULL
 * for none) on first use and the same one afterwards: registered, then built-in, then
 * an executable platc-provider-<name> on the search path (see prov_find_executable).
 * NULL with *err (malloc'd) when there is none or it fails to start. */
Provider *prov_open(ProvRegistry *r, const char *name, json_t *config, char **err);

const char *prov_name(const Provider *p);
/* The executable of an external provider; NULL for an in-process one. */
const char *prov_executable(const Provider *p);

/* The provider's schema as Plat source; NULL with *err (malloc'd) on failure. */
const char *prov_schema(Provider *p, size_t *len, char **err);

/* Run [op] with retries, deadline and messages as described above.  Always fills [res]
 * (its old contents are not freed: prov_res_free it before reusing it) and returns
 * res->status.  Safe to call from several threads at once, on one provider or several;
 * an external provider answers one request at a time, so calls to it take turns. */
ProvStatus prov_call(Provider *p, ProvOp op, const ProvReq *req, ProvRes *res);
void prov_res_free(ProvRes *res);

const char *prov_op_name(ProvOp op);            /* "create" */
const char *prov_status_name(ProvStatus s);     /* "transient error" */

/* A provider name is a Plat identifier: [a-z][a-z0-9_]*, at most 64 bytes, so it is safe
 * in a file name. */
bool prov_name_valid(const char *name);

/* The executable platc-provider-<name> (regular, executable), searched in [search_path]
 * folders (NULL: $PLAT_PROVIDER_PATH), then <project_root>/.plat/providers (when
 * [project_root] is not NULL), then <platc's folder>/../lib/platc/providers.  Malloc'd
 * path or NULL. */
char *prov_find_executable(const char *name, const char *project_root,
                           const char *search_path);
/* The schema an external provider ships for `platc check`: <name>.plat beside the
 * executable prov_find_executable finds.  Malloc'd path or NULL. */
char *prov_find_schema_file(const char *name, const char *project_root);

/* Lowercase hex SHA-256 of [len] bytes into out[65]. */
void prov_sha256_hex(const void *data, size_t len, char out[65]);

#endif
