/* The .platb file: pb_write turns a module (vm/program.h) into bytes, pb_load reads them
 * back through the bounded reader of vm/pbio.h and hands the result to the verifier
 * (vm/verify.c) before anyone can run it.  The layout is docs/bytecode.md's "File format":
 * a fixed header, then sections in a fixed order, each an id, a length and its content.
 * Reading checks what the layout itself says (lengths, counts, enum ranges, booleans,
 * no trailing bytes); cross-references between tables are the verifier's. */
#include "vm/platb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm/srchash.h"

/* Section ids, in file order. */
enum {
  SEC_STRS = 1, SEC_CONSTS, SEC_LOCS, SEC_FUNCS, SEC_GLOBALS, SEC_PARAMS, SEC_CHECKS,
  SEC_RTYPES, SEC_RESDECLS, SEC_POLICIES, SEC_TESTS, SEC_MOVED, SEC_OUTPUTS, SEC_SOURCES,
  SEC__END
};
static const char *const section_names[] = {
  [SEC_STRS] = "the string table", [SEC_CONSTS] = "the constant pool",
  [SEC_LOCS] = "the location table", [SEC_FUNCS] = "the functions",
  [SEC_GLOBALS] = "the globals", [SEC_PARAMS] = "the params",
  [SEC_CHECKS] = "the refinement checks", [SEC_RTYPES] = "the resource types",
  [SEC_RESDECLS] = "the resource declarations", [SEC_POLICIES] = "the policies",
  [SEC_TESTS] = "the tests", [SEC_MOVED] = "the moved declarations",
  [SEC_OUTPUTS] = "the outputs", [SEC_SOURCES] = "the source list",
};

/* ---- writing ------------------------------------------------------------------------ */

/* An optional index: 0 for BC_NONE, else index + 1. */
static void w_opt(PbBuf *b, uint32_t idx) { pbw_uv(b, idx == BC_NONE ? 0 : (uint64_t)idx + 1); }

static void w_const(PbBuf *b, const BcConst *c) {
  pbw_u8(b, c->kind);
  switch (c->kind) {
  case BK_INT: pbw_sv(b, c->u.i); break;
  case BK_FLOAT: pbw_f64(b, c->u.f); break;
  case BK_STR: pbw_uv(b, c->u.str); break;
  case BK_BOOL: pbw_u8(b, c->u.b ? 1 : 0); break;
  case BK_NULL: break;
  case BK_LIST:
    pbw_uv(b, c->n);
    for (uint32_t i = 0; i < c->n; i++) pbw_uv(b, c->u.items[i]);
    break;
  case BK_MAP:
    pbw_uv(b, c->n);
    for (uint32_t i = 0; i < c->n; i++) {
      pbw_uv(b, c->u.map.keys[i]);
      pbw_uv(b, c->u.map.vals[i]);
    }
    break;
  default: break;
  }
}

static void w_func(PbBuf *b, const BcFunc *f) {
  pbw_uv(b, f->name);
  pbw_u8(b, f->kind);
  pbw_uv(b, f->nparams);
  pbw_uv(b, f->nslots);
  pbw_uv(b, f->nenv);
  pbw_uv(b, f->maxstack);
  pbw_uv(b, f->loc);
  pbw_uv(b, f->ncode);
  pbw_bytes(b, f->code, f->ncode);
  /* the line table as pc deltas: each entry's pc minus the previous one's */
  pbw_uv(b, f->nlines);
  uint32_t prev = 0;
  for (uint32_t i = 0; i < f->nlines; i++) {
    pbw_uv(b, f->lines[i].pc - prev);
    pbw_uv(b, f->lines[i].loc);
    prev = f->lines[i].pc;
  }
}

/* Write section [id] whose content [fill] writes into a scratch buffer. */
static void w_section(PbBuf *out, uint8_t id, const BcModule *m,
                      void (*fill)(PbBuf *b, const BcModule *m)) {
  PbBuf s;
  pbw_init(&s);
  fill(&s, m);
  pbw_u8(out, id);
  pbw_uv(out, s.len);
  pbw_bytes(out, s.p, s.len);
  pbw_free(&s);
}

static void f_strs(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nstrs);
  for (uint32_t i = 0; i < m->nstrs; i++) pbw_str(b, m->strs[i].s, m->strs[i].len);
}
static void f_consts(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nconsts);
  for (uint32_t i = 0; i < m->nconsts; i++) w_const(b, &m->consts[i]);
}
static void f_locs(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nlocs);
  for (uint32_t i = 0; i < m->nlocs; i++) {
    pbw_uv(b, m->locs[i].file);
    pbw_uv(b, m->locs[i].line);
    pbw_uv(b, m->locs[i].col);
  }
}
static void f_funcs(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nfuncs);
  w_opt(b, m->main);
  for (uint32_t i = 0; i < m->nfuncs; i++) w_func(b, &m->funcs[i]);
}
static void f_globals(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nglobals);
  for (uint32_t i = 0; i < m->nglobals; i++) {
    const BcGlobal *g = &m->globals[i];
    pbw_uv(b, g->name);
    pbw_uv(b, g->module);
    pbw_u8(b, g->kind);
    pbw_u8(b, g->root ? 1 : 0);
    pbw_uv(b, g->loc);
  }
}
static void f_params(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nparams);
  for (uint32_t i = 0; i < m->nparams; i++) {
    const BcParam *p = &m->params[i];
    pbw_uv(b, p->name);
    pbw_uv(b, p->global);
    pbw_u8(b, p->kind);
    pbw_u8(b, p->optional ? 1 : 0);
    pbw_u8(b, p->secret ? 1 : 0);
    w_opt(b, p->deflt);
    w_opt(b, p->members);
    pbw_uv(b, p->type);
    pbw_uv(b, p->loc);
    w_opt(b, p->desc);
  }
}
static void f_checks(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nchecks);
  for (uint32_t i = 0; i < m->nchecks; i++) {
    pbw_uv(b, m->checks[i].type);
    pbw_uv(b, m->checks[i].pred);
    pbw_uv(b, m->checks[i].loc);
  }
}
static void f_rtypes(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nrtypes);
  for (uint32_t i = 0; i < m->nrtypes; i++) {
    const BcRType *t = &m->rtypes[i];
    pbw_uv(b, t->name);
    w_opt(b, t->provider);
    w_opt(b, t->fn);
    w_opt(b, t->params);
    w_opt(b, t->defaults);
    pbw_uv(b, t->module);
  }
}
static void f_resdecls(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nresdecls);
  for (uint32_t i = 0; i < m->nresdecls; i++) {
    const BcResDecl *r = &m->resdecls[i];
    pbw_uv(b, r->name);
    pbw_uv(b, r->rtype);
    pbw_uv(b, r->flags);
    w_opt(b, r->ignore);
    w_opt(b, r->replace);
    pbw_uv(b, r->module);
    pbw_uv(b, r->loc);
  }
}
static void f_policies(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->npolicies);
  for (uint32_t i = 0; i < m->npolicies; i++) {
    const BcPolicy *p = &m->policies[i];
    pbw_uv(b, p->title);
    pbw_uv(b, p->rtype);
    pbw_uv(b, p->loc);
    pbw_uv(b, p->nrules);
    for (uint32_t j = 0; j < p->nrules; j++) {
      pbw_u8(b, p->rules[j].kind);
      pbw_uv(b, p->rules[j].cond);
      pbw_uv(b, p->rules[j].msg);
      pbw_uv(b, p->rules[j].loc);
    }
  }
}
static void f_tests(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->ntests);
  for (uint32_t i = 0; i < m->ntests; i++) {
    pbw_uv(b, m->tests[i].title);
    pbw_uv(b, m->tests[i].fn);
    pbw_uv(b, m->tests[i].module);
    pbw_uv(b, m->tests[i].loc);
  }
}
static void f_moved(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nmoved);
  for (uint32_t i = 0; i < m->nmoved; i++) {
    pbw_uv(b, m->moved[i].from);
    pbw_uv(b, m->moved[i].to);
    pbw_uv(b, m->moved[i].loc);
  }
}
static void f_outputs(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->noutputs);
  for (uint32_t i = 0; i < m->noutputs; i++) {
    pbw_uv(b, m->outputs[i].name);
    pbw_uv(b, m->outputs[i].global);
  }
}
static void f_sources(PbBuf *b, const BcModule *m) {
  pbw_uv(b, m->nsources);
  for (uint32_t i = 0; i < m->nsources; i++) pbw_uv(b, m->sources[i]);
}

static void (*const fillers[])(PbBuf *, const BcModule *) = {
  [SEC_STRS] = f_strs, [SEC_CONSTS] = f_consts, [SEC_LOCS] = f_locs, [SEC_FUNCS] = f_funcs,
  [SEC_GLOBALS] = f_globals, [SEC_PARAMS] = f_params, [SEC_CHECKS] = f_checks,
  [SEC_RTYPES] = f_rtypes, [SEC_RESDECLS] = f_resdecls, [SEC_POLICIES] = f_policies,
  [SEC_TESTS] = f_tests, [SEC_MOVED] = f_moved, [SEC_OUTPUTS] = f_outputs,
  [SEC_SOURCES] = f_sources,
};

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* The 32 bytes of a hex hash; all zero for "" (no hash) or anything that is not one. */
static void hash_bytes(const char *hex, uint8_t out[PB_HASH_LEN]) {
  memset(out, 0, PB_HASH_LEN);
  if (strlen(hex) != 2 * PB_HASH_LEN) return;
  for (int i = 0; i < PB_HASH_LEN; i++) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) { memset(out, 0, PB_HASH_LEN); return; }
    out[i] = (uint8_t)(hi << 4 | lo);
  }
}

uint8_t *pb_write(const BcModule *m, size_t *len) {
  PbBuf b;
  pbw_init(&b);
  pbw_bytes(&b, PB_MAGIC, PB_MAGIC_LEN);
  uint8_t word[4] = {BC_FORMAT_VERSION & 0xff, (BC_FORMAT_VERSION >> 8) & 0xff, 0, 0};
  pbw_bytes(&b, word, 4);
  memset(word, 0, 4);
  pbw_bytes(&b, word, 4);              /* flags */
  uint8_t h[PB_HASH_LEN];
  hash_bytes(m->source_hash, h);
  pbw_bytes(&b, h, PB_HASH_LEN);
  for (uint8_t id = SEC_STRS; id < SEC__END; id++) w_section(&b, id, m, fillers[id]);
  *len = b.len;
  return b.p;
}

/* ---- reading ------------------------------------------------------------------------ */

/* Arrays of [n] items in the module's arena (n is bounded by the file's size already). */
#define NEW(m, n, T) ((T *)arena_calloc(&(m)->arena, (n) ? (n) : 1, sizeof(T)))

static uint32_t r_idx(PbReader *r, const char *what) {
  return (uint32_t)pbr_uv(r, BC_MAX_ITEMS, what);
}

static uint32_t r_opt(PbReader *r, const char *what) {
  uint64_t v = pbr_uv(r, BC_MAX_ITEMS, what);
  return v == 0 ? BC_NONE : (uint32_t)(v - 1);
}

static bool r_bool(PbReader *r, const char *what) {
  size_t at = r->pos;
  uint8_t v = pbr_u8(r);
  if (v > 1) pbr_fail(r, "%s at byte %zu is %u, not a boolean (0 or 1)", what, at, v);
  return v == 1;
}

static uint8_t r_enum(PbReader *r, uint8_t count, const char *what) {
  size_t at = r->pos;
  uint8_t v = pbr_u8(r);
  if (v >= count) pbr_fail(r, "%s %u at byte %zu is not one of the %u known", what, v, at, count);
  return v;
}

static bool r_strs(PbReader *r, BcModule *m) {
  m->nstrs = pbr_count(r, BC_MAX_ITEMS, 1, "string count");
  m->strs = NEW(m, m->nstrs, BcStr);
  for (uint32_t i = 0; i < m->nstrs && !r->failed; i++) {
    uint32_t n;
    const char *s = pbr_str(r, BC_MAX_CODE, &n, "string");
    if (!s) break;
    m->strs[i].s = arena_strndup(&m->arena, s, n);
    m->strs[i].len = n;
  }
  return !r->failed;
}

static bool r_consts(PbReader *r, BcModule *m) {
  m->nconsts = pbr_count(r, BC_MAX_ITEMS, 1, "constant count");
  m->consts = NEW(m, m->nconsts, BcConst);
  for (uint32_t i = 0; i < m->nconsts && !r->failed; i++) {
    BcConst *c = &m->consts[i];
    c->kind = r_enum(r, BK__COUNT, "constant kind");
    switch (c->kind) {
    case BK_INT: c->u.i = pbr_sv(r); break;
    case BK_FLOAT: c->u.f = pbr_f64(r); break;
    case BK_STR: c->u.str = r_idx(r, "string index"); break;
    case BK_BOOL: c->u.b = r_bool(r, "boolean constant"); break;
    case BK_NULL: break;
    case BK_LIST:
      c->n = pbr_count(r, BC_MAX_ITEMS, 1, "list constant length");
      c->u.items = NEW(m, c->n, uint32_t);
      for (uint32_t j = 0; j < c->n && !r->failed; j++) c->u.items[j] = r_idx(r, "constant index");
      break;
    case BK_MAP:
      c->n = pbr_count(r, BC_MAX_ITEMS, 2, "map constant length");
      c->u.map.keys = NEW(m, c->n, uint32_t);
      c->u.map.vals = NEW(m, c->n, uint32_t);
      for (uint32_t j = 0; j < c->n && !r->failed; j++) {
        c->u.map.keys[j] = r_idx(r, "string index");
        c->u.map.vals[j] = r_idx(r, "constant index");
      }
      break;
    default: break;
    }
  }
  return !r->failed;
}

static bool r_locs(PbReader *r, BcModule *m) {
  m->nlocs = pbr_count(r, BC_MAX_ITEMS, 3, "location count");
  m->locs = NEW(m, m->nlocs, BcLoc);
  for (uint32_t i = 0; i < m->nlocs && !r->failed; i++) {
    m->locs[i].file = r_idx(r, "string index");
    m->locs[i].line = (uint32_t)pbr_uv(r, UINT32_MAX, "line");
    m->locs[i].col = (uint32_t)pbr_uv(r, UINT32_MAX, "column");
  }
  return !r->failed;
}

static bool r_func(PbReader *r, BcModule *m, BcFunc *f) {
  f->name = r_idx(r, "string index");
  f->kind = r_enum(r, FK__COUNT, "function kind");
  f->nparams = (uint16_t)pbr_uv(r, BC_MAX_SLOTS, "parameter count");
  f->nslots = (uint16_t)pbr_uv(r, BC_MAX_SLOTS, "slot count");
  f->nenv = (uint16_t)pbr_uv(r, BC_MAX_SLOTS, "environment size");
  f->maxstack = (uint16_t)pbr_uv(r, BC_MAX_SLOTS, "stack size");
  f->loc = r_idx(r, "location index");
  f->ncode = pbr_count(r, BC_MAX_CODE, 1, "code length");
  if (r->failed) return false;
  f->code = arena_alloc(&m->arena, f->ncode ? f->ncode : 1);
  if (!pbr_bytes(r, f->code, f->ncode)) return false;
  f->nlines = pbr_count(r, BC_MAX_CODE, 2, "line table length");
  f->lines = NEW(m, f->nlines, BcLine);
  uint64_t pc = 0;
  for (uint32_t i = 0; i < f->nlines && !r->failed; i++) {
    pc += pbr_uv(r, BC_MAX_CODE, "line table step");
    if (pc > BC_MAX_CODE) return pbr_fail(r, "line table entry %u: pc %llu is past the limit", i,
                                          (unsigned long long)pc);
    f->lines[i].pc = (uint32_t)pc;
    f->lines[i].loc = r_idx(r, "location index");
    /* equal pcs (a zero step after the first) are the verifier's to name; keep them */
  }
  return !r->failed;
}

static bool r_funcs(PbReader *r, BcModule *m) {
  m->nfuncs = pbr_count(r, BC_MAX_ITEMS, 10, "function count");
  m->main = r_opt(r, "main function");
  m->funcs = NEW(m, m->nfuncs, BcFunc);
  for (uint32_t i = 0; i < m->nfuncs && !r->failed; i++) r_func(r, m, &m->funcs[i]);
  return !r->failed;
}

static bool r_globals(PbReader *r, BcModule *m) {
  m->nglobals = pbr_count(r, BC_MAX_ITEMS, 5, "global count");
  m->globals = NEW(m, m->nglobals, BcGlobal);
  for (uint32_t i = 0; i < m->nglobals && !r->failed; i++) {
    BcGlobal *g = &m->globals[i];
    g->name = r_idx(r, "string index");
    g->module = r_idx(r, "string index");
    g->kind = r_enum(r, GK__COUNT, "global kind");
    g->root = r_bool(r, "global's root flag");
    g->loc = r_idx(r, "location index");
  }
  return !r->failed;
}

static bool r_params(PbReader *r, BcModule *m) {
  m->nparams = pbr_count(r, BC_MAX_ITEMS, 10, "param count");
  m->params = NEW(m, m->nparams, BcParam);
  for (uint32_t i = 0; i < m->nparams && !r->failed; i++) {
    BcParam *p = &m->params[i];
    p->name = r_idx(r, "string index");
    p->global = r_idx(r, "global index");
    p->kind = r_enum(r, PK__COUNT, "param kind");
    p->optional = r_bool(r, "param's optional flag");
    p->secret = r_bool(r, "param's secret flag");
    p->deflt = r_opt(r, "constant index");
    p->members = r_opt(r, "constant index");
    p->type = r_idx(r, "string index");
    p->loc = r_idx(r, "location index");
    p->desc = r_opt(r, "string index");
  }
  return !r->failed;
}

static bool r_checks(PbReader *r, BcModule *m) {
  m->nchecks = pbr_count(r, BC_MAX_ITEMS, 3, "refinement check count");
  m->checks = NEW(m, m->nchecks, BcCheck);
  for (uint32_t i = 0; i < m->nchecks && !r->failed; i++) {
    m->checks[i].type = r_idx(r, "string index");
    m->checks[i].pred = r_idx(r, "string index");
    m->checks[i].loc = r_idx(r, "location index");
  }
  return !r->failed;
}

static bool r_rtypes(PbReader *r, BcModule *m) {
  m->nrtypes = pbr_count(r, BC_MAX_ITEMS, 6, "resource type count");
  m->rtypes = NEW(m, m->nrtypes, BcRType);
  for (uint32_t i = 0; i < m->nrtypes && !r->failed; i++) {
    BcRType *t = &m->rtypes[i];
    t->name = r_idx(r, "string index");
    t->provider = r_opt(r, "string index");
    t->fn = r_opt(r, "function index");
    t->params = r_opt(r, "constant index");
    t->defaults = r_opt(r, "constant index");
    t->module = r_idx(r, "string index");
  }
  return !r->failed;
}

static bool r_resdecls(PbReader *r, BcModule *m) {
  m->nresdecls = pbr_count(r, BC_MAX_ITEMS, 7, "resource declaration count");
  m->resdecls = NEW(m, m->nresdecls, BcResDecl);
  for (uint32_t i = 0; i < m->nresdecls && !r->failed; i++) {
    BcResDecl *d = &m->resdecls[i];
    d->name = r_idx(r, "string index");
    d->rtype = r_idx(r, "resource type index");
    d->flags = (uint32_t)pbr_uv(r, UINT32_MAX, "resource declaration flags");
    d->ignore = r_opt(r, "constant index");
    d->replace = r_opt(r, "constant index");
    d->module = r_idx(r, "string index");
    d->loc = r_idx(r, "location index");
  }
  return !r->failed;
}

static bool r_policies(PbReader *r, BcModule *m) {
  m->npolicies = pbr_count(r, BC_MAX_ITEMS, 4, "policy count");
  m->policies = NEW(m, m->npolicies, BcPolicy);
  for (uint32_t i = 0; i < m->npolicies && !r->failed; i++) {
    BcPolicy *p = &m->policies[i];
    p->title = r_idx(r, "string index");
    p->rtype = r_idx(r, "resource type index");
    p->loc = r_idx(r, "location index");
    p->nrules = pbr_count(r, BC_MAX_ITEMS, 4, "rule count");
    p->rules = NEW(m, p->nrules, BcRule);
    for (uint32_t j = 0; j < p->nrules && !r->failed; j++) {
      p->rules[j].kind = r_enum(r, 2, "rule kind");
      p->rules[j].cond = r_idx(r, "function index");
      p->rules[j].msg = r_idx(r, "function index");
      p->rules[j].loc = r_idx(r, "location index");
    }
  }
  return !r->failed;
}

static bool r_tests(PbReader *r, BcModule *m) {
  m->ntests = pbr_count(r, BC_MAX_ITEMS, 4, "test count");
  m->tests = NEW(m, m->ntests, BcTest);
  for (uint32_t i = 0; i < m->ntests && !r->failed; i++) {
    m->tests[i].title = r_idx(r, "string index");
    m->tests[i].fn = r_idx(r, "function index");
    m->tests[i].module = r_idx(r, "string index");
    m->tests[i].loc = r_idx(r, "location index");
  }
  return !r->failed;
}

static bool r_moved(PbReader *r, BcModule *m) {
  m->nmoved = pbr_count(r, BC_MAX_ITEMS, 3, "moved count");
  m->moved = NEW(m, m->nmoved, BcMoved);
  for (uint32_t i = 0; i < m->nmoved && !r->failed; i++) {
    m->moved[i].from = r_idx(r, "string index");
    m->moved[i].to = r_idx(r, "string index");
    m->moved[i].loc = r_idx(r, "location index");
  }
  return !r->failed;
}

static bool r_outputs(PbReader *r, BcModule *m) {
  m->noutputs = pbr_count(r, BC_MAX_ITEMS, 2, "output count");
  m->outputs = NEW(m, m->noutputs, BcOutput);
  for (uint32_t i = 0; i < m->noutputs && !r->failed; i++) {
    m->outputs[i].name = r_idx(r, "string index");
    m->outputs[i].global = r_idx(r, "global index");
  }
  return !r->failed;
}

static bool r_sources(PbReader *r, BcModule *m) {
  m->nsources = pbr_count(r, BC_MAX_ITEMS, 1, "source count");
  m->sources = NEW(m, m->nsources, uint32_t);
  for (uint32_t i = 0; i < m->nsources && !r->failed; i++) m->sources[i] = r_idx(r, "string index");
  return !r->failed;
}

static bool (*const readers[])(PbReader *, BcModule *) = {
  [SEC_STRS] = r_strs, [SEC_CONSTS] = r_consts, [SEC_LOCS] = r_locs, [SEC_FUNCS] = r_funcs,
  [SEC_GLOBALS] = r_globals, [SEC_PARAMS] = r_params, [SEC_CHECKS] = r_checks,
  [SEC_RTYPES] = r_rtypes, [SEC_RESDECLS] = r_resdecls, [SEC_POLICIES] = r_policies,
  [SEC_TESTS] = r_tests, [SEC_MOVED] = r_moved, [SEC_OUTPUTS] = r_outputs,
  [SEC_SOURCES] = r_sources,
};

static bool read_header(PbReader *r, BcModule *m) {
  uint8_t magic[PB_MAGIC_LEN];
  if (r->len < PB_MAGIC_LEN || memcmp(r->base, PB_MAGIC, PB_MAGIC_LEN) != 0) {
    /* say what it looks like when that helps: a source file, or a text-mode transfer */
    if (r->len >= 6 && memcmp(r->base + 1, "PLATB", 5) == 0)
      return pbr_failk(r, "not a .platb file", "the magic bytes are damaged (a text-mode "
                       "transfer changes line endings: copy .platb files as binary)");
    return pbr_failk(r, "not a .platb file", "it does not start with the .platb magic bytes "
                     "(build one with `platc build`)");
  }
  pbr_bytes(r, magic, PB_MAGIC_LEN);
  r->what = "the header";
  uint8_t w[4];
  if (!pbr_bytes(r, w, 4)) return false;
  uint32_t version = (uint32_t)w[0] | (uint32_t)w[1] << 8 | (uint32_t)w[2] << 16 | (uint32_t)w[3] << 24;
  if (version > BC_FORMAT_VERSION)
    return pbr_failk(r, "unsupported", "format version %u is newer than this platc reads (%u): "
                     "rebuild it with this platc (`platc build`) or upgrade platc", version,
                     BC_FORMAT_VERSION);
  if (version < BC_FORMAT_VERSION)
    return pbr_failk(r, "unsupported", "format version %u is older than this platc reads (%u): "
                     "rebuild it with `platc build`", version, BC_FORMAT_VERSION);
  if (!pbr_bytes(r, w, 4)) return false;
  uint32_t flags = (uint32_t)w[0] | (uint32_t)w[1] << 8 | (uint32_t)w[2] << 16 | (uint32_t)w[3] << 24;
  if (flags) return pbr_fail(r, "header flags 0x%x set (no flag is defined in format version %u)",
                             flags, BC_FORMAT_VERSION);
  uint8_t h[PB_HASH_LEN];
  if (!pbr_bytes(r, h, PB_HASH_LEN)) return false;
  static const uint8_t zero[PB_HASH_LEN];
  if (memcmp(h, zero, PB_HASH_LEN) == 0) m->source_hash[0] = 0;
  else pb_hash_hex(h, m->source_hash);
  return true;
}

static bool read_module(PbReader *r, BcModule *m) {
  if (!read_header(r, m)) return false;
  for (uint8_t id = SEC_STRS; id < SEC__END; id++) {
    const char *what = section_names[id];
    r->what = what;
    size_t at = r->pos;
    uint8_t got = pbr_u8(r);
    if (r->failed) return false;
    if (got != id)
      return pbr_fail(r, "expected %s (section %u) at byte %zu, found section id %u", what, id, at, got);
    size_t len = (size_t)pbr_uv(r, PB_MAX_FILE, "section length");
    if (r->failed) return false;
    if (len > r->len - r->pos)
      return pbr_failk(r, "truncated", "%s (at byte %zu) says it is %zu bytes long, but only "
                       "%zu bytes are left", what, at, len, r->len - r->pos);
    /* read the section through a window, so nothing in it can reach past its end */
    PbReader sub;
    pbr_window(&sub, r, len);
    readers[id](&sub, m);
    if (sub.failed) {
      memcpy(r->err, sub.err, sizeof r->err);
      r->failed = true;
      return false;
    }
    if (sub.pos != sub.len)
      return pbr_fail(r, "%s (at byte %zu) has %zu bytes left over after its last entry", what,
                      at, sub.len - sub.pos);
    r->pos += len;
  }
  if (r->pos != r->len)
    return pbr_fail(r, "%zu bytes after the last section (at byte %zu)", r->len - r->pos, r->pos);
  return true;
}

BcModule *pb_load(const uint8_t *data, size_t len, const char *name, char err[PB_ERRMAX]) {
  PbReader r;
  pbr_init(&r, name, data, len);
  err[0] = 0;
  if (len > PB_MAX_FILE) {
    snprintf(err, PB_ERRMAX, "%s: too large: %zu bytes (the limit is %zu)", r.name, len, PB_MAX_FILE);
    return NULL;
  }
  BcModule *m = bc_new();
  if (!read_module(&r, m)) {
    memcpy(err, r.err, PB_ERRMAX);
    bc_free(m);
    return NULL;
  }
  if (!pb_verify(m, r.name, err)) {
    bc_free(m);
    return NULL;
  }
  return m;
}

BcModule *pb_read_file(const char *path, char err[PB_ERRMAX]) {
  size_t n;
  char *buf = pb_slurp(path, PB_MAX_FILE, &n);
  if (!buf) {
    if (errno == EFBIG) snprintf(err, PB_ERRMAX, "%s: too large (the limit is %zu bytes)", path, PB_MAX_FILE);
    else if (errno == EINVAL) snprintf(err, PB_ERRMAX, "%s: cannot read: not a regular file", path);
    else snprintf(err, PB_ERRMAX, "%s: cannot read: %s", path, strerror(errno));
    return NULL;
  }
  BcModule *m = pb_load((const uint8_t *)buf, n, path, err);
  free(buf);
  return m;
}

/* ---- source hash ------------------------------------------------------------------- */

static int cmp_path(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void pb_stamp(BcModule *m, const SourceMap *sm) {
  uint8_t h[PB_HASH_LEN];
  pb_hash_sourcemap(sm, h);
  pb_hash_hex(h, m->source_hash);
  const char **paths = plat_xcalloc(sm->nfiles ? sm->nfiles : 1, sizeof *paths);
  uint32_t n = 0;
  for (uint32_t i = 0; i < sm->nfiles; i++)
    if (!sm->files[i].builtin) paths[n++] = sm->files[i].path;
  if (n) qsort(paths, n, sizeof *paths, cmp_path);
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++)
    if (!k || strcmp(paths[i], paths[k - 1]) != 0) paths[k++] = paths[i];
  n = k;
  /* each path's string: found with one pass over the module's strings (binary search in
   * the sorted paths), the missing ones added */
  uint32_t *idx = plat_xmalloc((n ? n : 1) * sizeof *idx);
  for (uint32_t i = 0; i < n; i++) idx[i] = BC_NONE;
  for (uint32_t s = 0; s < m->nstrs; s++) {
    const char *key = m->strs[s].s;
    const char **hit = bsearch(&key, paths, n, sizeof *paths, cmp_path);
    if (hit && idx[hit - paths] == BC_NONE) idx[hit - paths] = s;
  }
  uint32_t missing = 0;
  for (uint32_t i = 0; i < n; i++) missing += idx[i] == BC_NONE;
  if (missing) {
    m->strs = arena_grow(&m->arena, m->strs, m->nstrs, (size_t)m->nstrs + missing, sizeof *m->strs);
    for (uint32_t i = 0; i < n; i++) {
      if (idx[i] != BC_NONE) continue;
      size_t len = strlen(paths[i]);
      m->strs[m->nstrs].s = arena_strndup(&m->arena, paths[i], len);
      m->strs[m->nstrs].len = (uint32_t)len;
      idx[i] = m->nstrs++;
    }
  }
  m->sources = arena_calloc(&m->arena, n ? n : 1, sizeof *m->sources);
  memcpy(m->sources, idx, n * sizeof *idx);
  m->nsources = n;
  free(idx);
  free(paths);
}

int pb_sources_match(const BcModule *m) {
  if (!m->source_hash[0] || !m->nsources) return -1;
  PbSource *srcs = plat_xcalloc(m->nsources, sizeof *srcs);
  int result = -1;
  uint32_t n = 0;
  for (; n < m->nsources; n++) {
    const char *path = m->strs[m->sources[n]].s;
    size_t len;
    char *text = pb_slurp(path, SOURCE_MAX_BYTES, &len);
    if (!text) break;
    srcs[n] = (PbSource){path, text, len};
  }
  if (n == m->nsources) {
    uint8_t h[PB_HASH_LEN];
    char hex[2 * PB_HASH_LEN + 1];
    pb_hash_sources(srcs, n, h);
    pb_hash_hex(h, hex);
    result = strcmp(hex, m->source_hash) == 0 ? 1 : 0;
  }
  for (uint32_t i = 0; i < n; i++) free((char *)srcs[i].text);
  free(srcs);
  return result;
}
