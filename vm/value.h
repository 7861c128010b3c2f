/* Runtime values of the Plat VM, and the runtime context (Rt) that allocates them.
 * A Val is 16 bytes: a tag, flags and a payload; strings, lists and maps live in the run's
 * arena and are immutable once built.  Two marks travel with values as the checker says
 * they do statically: VF_SECRET on a value (and VD_SECRET on every container holding one)
 * and VT_UNKNOWN, a deploy-time value that names the resource outputs it waits for.
 * Errors raised here and in the stdlib unwind to the VM with longjmp (rt_error), as in
 * Lua: everything is arena-allocated, so unwinding leaks nothing. */
#ifndef PLAT_VALUE_H
#define PLAT_VALUE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/arena.h"

typedef enum ValTag {
  VT_NULL,
  VT_BOOL,
  VT_INT,        /* int64; overflow is a runtime error, never wraps */
  VT_FLOAT,      /* double, always finite (NaN and infinities are runtime errors) */
  VT_STR,        /* valid UTF-8, no NUL bytes inside */
  VT_LIST,
  VT_MAP,        /* maps and records alike: string keys, kept sorted by bytes, unique */
  VT_RES,        /* a resource or component instance: as.node is its graph node */
  VT_UNKNOWN,    /* known only after deploy: as.u names the outputs it waits for */
} ValTag;

/* Val.flags */
enum { VF_SECRET = 1 };
/* VList.deep / VMap.deep: what the container holds anywhere inside (itself excluded) */
enum { VD_SECRET = 1, VD_UNKNOWN = 2 };

typedef struct VStr VStr;
typedef struct VList VList;
typedef struct VMap VMap;
typedef struct VUnknown VUnknown;

typedef struct Val {
  uint8_t tag;           /* ValTag */
  uint8_t flags;         /* VF_SECRET */
  uint32_t node;         /* VT_RES: the graph node (vm/graph.h) */
  union {
    bool b;
    int64_t i;
    double f;
    VStr *s;
    VList *l;
    VMap *m;
    VUnknown *u;
  } as;
} Val;

struct VStr {
  uint32_t len;          /* bytes, without the terminating NUL */
  uint32_t hash;         /* val_hash of the bytes (never 0) */
  bool interned;         /* the one copy of its text in Rt's interner: compare pointers */
  char s[];              /* NUL-terminated */
};

struct VList {
  uint32_t n;
  uint8_t deep;          /* VD_* over the items */
  uint8_t renumbered;    /* graph_finish has renumbered the nodes inside (vm/graph.c) */
  Val items[];
};

typedef struct VEntry {
  VStr *key;
  Val val;
} VEntry;

struct VMap {
  uint32_t n;
  uint8_t deep;          /* VD_* over the values */
  uint8_t renumbered;    /* as VList.renumbered */
  VEntry e[];            /* sorted by key bytes (memcmp, then length), keys unique */
};

/* What a deploy-time value waits for: output [attr] of graph node [node] ([attr] NULL:
 * the resource as a whole, e.g. an id). */
typedef struct VRef {
  uint32_t node;
  const VStr *attr;
} VRef;

struct VUnknown {
  uint32_t n;            /* >= 1 */
  uint8_t renumbered;    /* as VList.renumbered */
  VRef refs[];           /* sorted by (node, attr bytes), unique */
};

/* ---- the runtime context ------------------------------------------------------------ */
#define RT_ERRMAX 1024

typedef struct Rt {
  Arena arena;           /* every value of the run */
  size_t used, limit;    /* bytes allocated through rt_alloc, and the cap (0: none) */
  jmp_buf *on_error;     /* where rt_error jumps: set by rt_protect */
  char errmsg[RT_ERRMAX];/* the last error's message, without location */
  VStr **itab;           /* the interner: open addressing, power-of-two capacity */
  uint32_t *ihash;       /* itab[i]->hash, 0 for empty: probes read this dense array, not
                            each string (a cache miss per probe on 400,000 strings) */
  uint32_t icap, icount;
  const char *base_dir;  /* folder that file(), fileexists(), templatefile() resolve
                            relative paths against: the calling module's (set by the VM) */
  void *vm;              /* the VM that owns this runtime, for hooks */
  /* templatefile(path, vars): render a template with [vars] in scope (set by the VM) */
  Val (*template_hook)(struct Rt *rt, const char *path, const char *text, size_t len, Val vars);
} Rt;

/* A fresh runtime whose allocations are capped at [limit] bytes (0: unlimited). */
void rt_init(Rt *rt, size_t limit);
/* Free every value of the run. */
void rt_free(Rt *rt);
/* Run fn(rt, ud) so that an rt_error inside returns here: 0 when fn returned, -1 when it
 * raised (the message is in rt->errmsg).  Calls nest. */
int rt_protect(Rt *rt, void (*fn)(Rt *rt, void *ud), void *ud);
/* Raise a runtime error: [fmt] is the message without location ("index 3 out of range for
 * a list of 2 items"); the VM adds file:line:col and the Plat stack trace.  Never returns.
 * Messages never include a secret value's text. */
_Noreturn void rt_error(Rt *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* [n] bytes, zeroed, 8-aligned; an rt_error past the memory limit. */
void *rt_alloc(Rt *rt, size_t n);

/* ---- constructors ------------------------------------------------------------------- */
static inline Val val_null(void) { Val v = { .tag = VT_NULL }; return v; }
static inline Val val_bool(bool b) { Val v = { .tag = VT_BOOL }; v.as.b = b; return v; }
static inline Val val_int(int64_t i) { Val v = { .tag = VT_INT }; v.as.i = i; return v; }
/* An rt_error when [f] is NaN or infinite ("the result is not a finite number"). */
Val val_float(Rt *rt, double f);
static inline Val val_res(uint32_t node) { Val v = { .tag = VT_RES }; v.node = node; return v; }

/* A string of [n] bytes copied from [s]; an rt_error if they are not valid UTF-8 or hold a
 * NUL byte (say what was being made: [what] is e.g. "the result of base64decode"). */
Val val_str(Rt *rt, const char *s, size_t n);
Val val_str_checked(Rt *rt, const char *s, size_t n, const char *what);
Val val_cstr(Rt *rt, const char *s);
/* The interned string with these bytes (trusted to be valid UTF-8). */
VStr *val_intern(Rt *rt, const char *s, size_t n);
/* Make room for [n] more interned strings (a module's string table) in one step. */
void val_intern_reserve(Rt *rt, uint32_t n);
uint32_t val_hash(const char *s, size_t n);

/* Lists: allocate with val_list_new, fill items[0..n), then val_list_done computes the
 * deep marks and returns the value. */
VList *val_list_new(Rt *rt, uint32_t n);
Val val_list_done(VList *l);
Val val_list_of(Rt *rt, const Val *items, uint32_t n);   /* copies [items] */

/* Maps (and records): collect entries with a MapBuilder in any order; val_map_done sorts
 * them, keeps the last of equal keys, computes the deep marks. */
typedef struct MapBuilder {
  Rt *rt;
  VEntry *e;
  uint32_t n, cap;
} MapBuilder;
void mb_init(MapBuilder *b, Rt *rt, uint32_t cap_hint);
void mb_put(MapBuilder *b, VStr *key, Val val);
void mb_put_cstr(MapBuilder *b, const char *key, Val val);
Val val_map_done(MapBuilder *b);
/* The value at [key] ([n] bytes), or NULL: binary search. */
const Val *val_map_get(const VMap *m, const char *key, size_t n);

/* A deploy-time value waiting for [refs] ([n] >= 1, any order, duplicates allowed). */
Val val_unknown(Rt *rt, const VRef *refs, uint32_t n);
/* The unknown that waits for everything the unknowns inside [vals] wait for (they may be
 * unknown themselves or containers holding unknowns): what an operation on them gives. */
Val val_unknown_of(Rt *rt, const Val *vals, uint32_t n);

/* ---- marks -------------------------------------------------------------------------- */
static inline bool val_is_secret(Val v) { return (v.flags & VF_SECRET) != 0; }
/* Secret itself or anywhere inside. */
bool val_has_secret(Val v);
/* Unknown itself or anywhere inside. */
bool val_has_unknown(Val v);
static inline Val val_mark_secret(Val v) { v.flags |= VF_SECRET; return v; }
/* [v] without any secret mark, itself or inside (nonsensitive): copies containers. */
Val val_strip_secret(Rt *rt, Val v);

/* ---- operations --------------------------------------------------------------------- */
/* Structural equality: int 1 equals float 1.0; marks are ignored; unknowns compare by
 * identity of what they wait for (the VM never asks: equality on unknowns is unknown). */
bool val_equal(Val a, Val b);
/* A total order for sort(), set functions and map keys: null < bool < numbers < strings <
 * lists < maps; numbers by value; strings by bytes. */
int val_compare(Val a, Val b);
/* "string", "int", "list", ...: for messages. */
const char *val_type_name(Val v);

/* A growable string in the run's arena, for building results. */
typedef struct SBuf {
  Rt *rt;
  char *p;
  uint32_t len, cap;
} SBuf;
void sb_init(SBuf *b, Rt *rt);
void sb_add(SBuf *b, const char *s, size_t n);
void sb_addc(SBuf *b, char c);
void sb_adds(SBuf *b, const char *s);
void sb_addf(SBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text as a string value (validated as UTF-8 unless [trusted]). */
Val sb_val(SBuf *b, bool trusted);

/* Canonical JSON of [v] into [b]: keys sorted, no spaces, floats with the shortest text
 * that reads back exactly ("1.5", "1e+300"), ints as ints, non-ASCII as UTF-8, control
 * characters escaped.  Unknowns and resources are an rt_error (the graph writer prints
 * them itself).  Secrets are written as they are: callers that print redact first. */
void val_write_json(SBuf *b, Val v);
/* The text of [v] as Plat source, for messages (secrets shown as [secret]), cut at
 * [max] bytes with "...". */
void val_show(SBuf *b, Val v, uint32_t max);

#endif
