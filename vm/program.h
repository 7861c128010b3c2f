/* The in-memory bytecode module: what the compiler (compiler/emit.c) produces, what the
 * .platb reader (vm/platb.c) loads and verifies, and what the VM (vm/vm.c) runs.  It holds
 * no pointer into the front end: a module read from a .platb is complete without sources
 * (locations are stored as file/line/column).  Everything lives in the module's own arena.
 * The instruction set is vm/opcodes.def; the file format and what the verifier checks are
 * in docs/bytecode.md, the run-time model in docs/vm.md.
 *
 * Indices between tables are plain uint32_t; BC_NONE means "none".  Invariants a verifier
 * must establish (the VM relies on them only where it cannot check cheaply, and checks the
 * rest at run time) are written on each field as "(verify: ...)". */
#ifndef PLAT_PROGRAM_H
#define PLAT_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/arena.h"

#define BC_NONE UINT32_MAX
#define BC_FORMAT_VERSION 1

typedef enum BcOp {
#define OP(name, operands, pops, pushes, doc) OP_##name,
#include "vm/opcodes.def"
#undef OP
  OP__COUNT
} BcOp;

/* RESGET modes: where property s of a resource or instance is read from. */
typedef enum BcResGet {
  RG_INPUT = 0,          /* an input of a resource (defaults filled) or a param of an instance */
  RG_OUTPUT = 1,         /* a provider output: an unknown waiting for (node, s), unless the run's
                            outputs oracle knows it (VmOptions.known_output) */
  RG_COMP_OUTPUT = 2,    /* an output of a component instance */
  RG_MEMBER = 3,         /* a resource declared inside an instance (or its keyed copies) */
  RG__COUNT
} BcResGet;

/* ---- strings and constants -------------------------------------------------------------- */

/* A string of the module: names, property keys, addresses, file paths, messages and string
 * constants all refer to these by index.  The VM interns each once at load. */
typedef struct BcStr {
  const char *s;         /* NUL-terminated (verify: valid UTF-8, no NUL inside) */
  uint32_t len;
} BcStr;

typedef enum BcConstKind {
  BK_INT, BK_FLOAT, BK_STR, BK_LIST, BK_MAP, BK_NULL, BK_BOOL,
  BK__COUNT
} BcConstKind;

/* A constant.  Lists and maps refer to constants of lower index only (verify), so the VM
 * builds each once, in order, when it loads the module; a folded record costs nothing per
 * use. */
typedef struct BcConst {
  uint8_t kind;          /* BcConstKind */
  uint32_t n;            /* BK_LIST: items; BK_MAP: entries; else 0 */
  union {
    int64_t i;           /* BK_INT */
    double f;            /* BK_FLOAT (verify: finite) */
    bool b;              /* BK_BOOL */
    uint32_t str;        /* BK_STR: string index */
    uint32_t *items;     /* BK_LIST: n constant indices, each < this constant's */
    struct {
      uint32_t *keys;    /* n string indices, sorted by bytes (memcmp, then length), unique */
      uint32_t *vals;    /* n constant indices, each < this constant's */
    } map;               /* BK_MAP */
  } u;
} BcConst;

/* ---- locations ------------------------------------------------------------------------- */

/* A source location, for runtime errors, stack traces and the graph's "location". */
typedef struct BcLoc {
  uint32_t file;         /* string index: the file's path as diagnostics show it */
  uint32_t line, col;    /* 1-based; col in code points, as `platc check` counts */
} BcLoc;

/* The line table of a function: the instruction at [pc] and those after it, up to the next
 * entry, come from location [loc]. */
typedef struct BcLine {
  uint32_t pc;           /* (verify: strictly increasing, the first is 0, each < ncode) */
  uint32_t loc;          /* index in BcModule.locs */
} BcLine;

/* ---- functions ------------------------------------------------------------------------- */

typedef enum BcFnKind {
  FK_MAIN,               /* the module's entry: evaluates every declaration in order */
  FK_FN,                 /* a user `fn`: sees globals and its parameters only */
  FK_COMPONENT,          /* a component's body: run per instance with a fresh environment
                            whose slots 0..nparams-1 hold the params (in ResType input order);
                            returns LIST 2 of [outputs map, members map], or LIST 3
                            with a third item: a list of ints, the environment slot of
                            each output in the outputs map's key order, so that a read
                            of one output depends on what that output read.  Its last
                            environment slot (nenv - 1) holds the outputs map, stored with
                            SETED so its dependencies are those of every output: what a
                            read of an instance's output depends on */
  FK_BODY,               /* a resource body: (loop variables...) -> the map of given inputs;
                            shares its caller's environment */
  FK_CHECK,              /* a refinement predicate: (value) -> bool */
  FK_RULE,               /* a policy rule's condition or message: (resource) -> bool/string */
  FK_TEST,               /* a test's body: () -> null */
  FK_EXPR,               /* anything else the compiler splits out (depends_on lists, ...) */
  FK__COUNT
} BcFnKind;

typedef struct BcFunc {
  uint32_t name;         /* string index: "main", "fqdn", "Service", "body of api", ... */
  uint8_t kind;          /* BcFnKind */
  uint16_t nparams;      /* arguments arrive in locals 0..nparams-1 (verify: <= nslots) */
  uint16_t nslots;       /* locals, parameters included */
  uint16_t nenv;         /* FK_COMPONENT: environment slots of an instance; else 0 */
  uint16_t maxstack;     /* operand stack the code needs (verify: recompute, must match) */
  uint32_t loc;          /* the declaration, for stack traces */
  uint8_t *code;         /* instructions (vm/opcodes.def) */
  uint32_t ncode;        /* (verify: the last instruction is RET or JMP: no falling off) */
  BcLine *lines;         /* (verify: nlines >= 1 when ncode > 0) */
  uint32_t nlines;
} BcFunc;

/* ---- declarations ---------------------------------------------------------------------- */

/* A global slot: a top-level let, param, resource or output of some module. */
typedef enum BcGlobalKind { GK_LET, GK_PARAM, GK_RESOURCE, GK_OUTPUT, GK__COUNT } BcGlobalKind;
typedef struct BcGlobal {
  uint32_t name;         /* string index */
  uint32_t module;       /* string index: the module's path as shown */
  uint8_t kind;          /* BcGlobalKind */
  bool root;             /* declared in a root module (eval reads root names) */
  uint32_t loc;
} BcGlobal;

/* How `-c name=text` is read for a param: by its type. */
typedef enum BcParamKind {
  PK_STRING,             /* the text as is (strings and unions of strings) */
  PK_INT, PK_FLOAT, PK_BOOL,
  PK_JSON,               /* lists, maps, records: the text is JSON */
  PK__COUNT
} BcParamKind;

/* A top-level param of the root module (the stack's configuration). */
typedef struct BcParam {
  uint32_t name;         /* string index */
  uint32_t global;       /* the global slot it is stored in */
  uint8_t kind;          /* BcParamKind */
  bool optional;         /* T?: null accepted */
  bool secret;           /* secret T: the value is marked secret */
  uint32_t deflt;        /* constant index, or BC_NONE: required */
  uint32_t members;      /* a union's members: constant index of a BK_LIST of strings, or BC_NONE */
  uint32_t type;         /* string index: the type as written, for messages */
  uint32_t loc;
  uint32_t desc;         /* string index: the type's descriptor (stdlib/conform.h), which a
                            value given as JSON is converted to and checked against; BC_NONE:
                            none (added after format 1's first commit: a reader of an older
                            file sets BC_NONE) */
} BcParam;

/* A refinement checked at run time (CHECKR): "V is not a valid TYPE: `PRED` is false". */
typedef struct BcCheck {
  uint32_t type;         /* string index: the refined type as users name it ("Port") */
  uint32_t pred;         /* string index: the predicate as written */
  uint32_t loc;          /* the refinement's location */
} BcCheck;

/* A resource type: a provider's (local.File) or a component (Service). */
typedef struct BcRType {
  uint32_t name;         /* string index: "local.File", "Service", "net.Service" */
  uint32_t provider;     /* string index ("local"), or BC_NONE for components */
  uint32_t fn;           /* components: their FK_COMPONENT function; BC_NONE for providers */
  uint32_t params;       /* components: constant index of a BK_LIST of the param names in
                            environment-slot order; BC_NONE for providers */
  uint32_t defaults;     /* constant index of a BK_MAP of the inputs (params) with a default,
                            or BC_NONE */
  uint32_t module;       /* string index: where it is declared */
} BcRType;

enum {
  RD_KEYED = 1,          /* `for`: one copy per key */
  RD_COND = 2,           /* `if` */
  RD_PROTECT = 4,        /* @protect */
  RD_CBD = 8,            /* @create_before_destroy */
  RD_TEST = 16,          /* an instance made by a test's `let` */
};

/* A `resource` declaration (top level or in a component); MKRES makes one node of it (or
 * one per keyed copy, each MKRES with its key). */
typedef struct BcResDecl {
  uint32_t name;         /* string index: the member name ("cfg"), the address step */
  uint32_t rtype;        /* index in BcModule.rtypes */
  uint32_t flags;        /* RD_* */
  uint32_t ignore;       /* @ignore_changes: constant index of a BK_LIST of strings, or BC_NONE */
  uint32_t replace;      /* @replace_on_change: likewise */
  uint32_t module;       /* string index: the declaring module as shown */
  uint32_t loc;          /* the declaration */
} BcResDecl;

typedef struct BcRule {
  uint8_t kind;          /* 0 deny, 1 warn (RuleKind) */
  uint32_t cond;         /* FK_RULE function: (resource) -> bool */
  uint32_t msg;          /* FK_RULE function: (resource) -> list of string parts (each part
                            redacted on its own when secret) */
  uint32_t loc;
} BcRule;

typedef struct BcPolicy {
  uint32_t title;        /* string index */
  uint32_t rtype;        /* applies to every node of this resource type */
  uint32_t loc;
  BcRule *rules;
  uint32_t nrules;
} BcPolicy;

typedef struct BcTest {
  uint32_t title;        /* string index */
  uint32_t fn;           /* FK_TEST function */
  uint32_t module;       /* string index */
  uint32_t loc;
} BcTest;

typedef struct BcMoved {
  uint32_t from, to;     /* string indices: addresses as the graph prints them */
  uint32_t loc;
} BcMoved;

/* A root output: the module's outputs map is {name: global value}. */
typedef struct BcOutput {
  uint32_t name;         /* string index */
  uint32_t global;
} BcOutput;

/* ---- the module ------------------------------------------------------------------------ */

typedef struct BcModule {
  Arena arena;           /* owns every array and string below */
  char source_hash[65];  /* hex SHA-256 over the program's sources (paths and bytes, in
                            order), NUL-terminated; "" when unknown */
  BcStr *strs; uint32_t nstrs;
  BcConst *consts; uint32_t nconsts;
  BcLoc *locs; uint32_t nlocs;
  BcFunc *funcs; uint32_t nfuncs;
  uint32_t main;         /* the FK_MAIN function */
  BcGlobal *globals; uint32_t nglobals;
  BcParam *params; uint32_t nparams;
  BcCheck *checks; uint32_t nchecks;
  BcRType *rtypes; uint32_t nrtypes;
  BcResDecl *resdecls; uint32_t nresdecls;
  BcPolicy *policies; uint32_t npolicies;
  BcTest *tests; uint32_t ntests;
  BcMoved *moved; uint32_t nmoved;
  BcOutput *outputs; uint32_t noutputs;
  /* The source files hashed into source_hash, as string indices of their paths (sorted by
   * path bytes, unique), so a loader can re-hash them and warn when a .platb is stale.
   * Filled with the hash by pb_stamp (vm/platb.h) after emit_program; may be empty. */
  uint32_t *sources; uint32_t nsources;
} BcModule;

/* Limits a module never exceeds (the compiler reports them, the verifier enforces them). */
#define BC_MAX_CODE (1u << 28)      /* bytes of code per function */
#define BC_MAX_ITEMS (1u << 28)     /* entries of any table */
#define BC_MAX_SLOTS 65535u         /* locals / environment slots / stack per function */

/* Operand formats and stack effects from vm/opcodes.def, for the verifier and disassembler. */
typedef struct BcOpInfo {
  const char *name;      /* "CONST" */
  const char *operands;  /* "k", "lj", ... */
  int8_t pops, pushes;   /* -1: the count operand n; -2: 2 * n */
  const char *doc;
} BcOpInfo;
extern const BcOpInfo bc_ops[OP__COUNT];
/* Bytes of an operand letter ('k' 4, 'l' 2, 'm' 1, ...), 0 for an unknown letter. */
uint32_t bc_operand_size(char letter);
/* Bytes of the whole instruction with opcode [op] (opcode byte included). */
uint32_t bc_insn_size(uint8_t op);

/* An empty module (every table empty, main BC_NONE) in a fresh arena. */
BcModule *bc_new(void);
/* Free [m] and everything it owns; NULL is fine. */
void bc_free(BcModule *m);
/* The location of the instruction at [pc] of function [fn], or NULL when there is none. */
const BcLoc *bc_loc_at(const BcModule *m, uint32_t fn, uint32_t pc);

#endif
