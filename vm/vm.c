/* The Plat VM: a stack machine over the bytecode of vm/program.h (instruction set in
 * vm/opcodes.def, model in docs/vm.md).  One loop runs every frame kind (main, fns,
 * resource bodies, component instances, refinement checks, policy rules, tests); calls
 * push frames instead of recursing in C, so depth is a counted limit, not the C stack.
 * Values are vm/value.h's, allocated in the run's Rt; errors unwind with rt_error to
 * vm_run, which turns the frame stack into a Plat stack trace.  Resources become graph
 * nodes (vm/graph.h) with the dependencies gathered while their inputs were computed. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stdlib/conform.h"
#include "stdlib/stdlib.h"
#include "vm/vm.h"
#include "vm/platb.h"

typedef struct DepRef { uint32_t off, len; } DepRef;   /* a slice of Vm.pool */

typedef struct Frame {
  uint32_t fn;
  uint32_t pc, ipc;          /* next instruction; the current one (for errors) */
  uint32_t base;             /* locals start here in Vm.stack; operands after them */
  uint32_t sp0;              /* operand stack base (base + nslots) */
  uint32_t nacc, nmarks;     /* accumulator and mark stack heights at entry */
  Val *env;                  /* the component instance's environment, or NULL */
  uint32_t nenv;             /* its slots */
  DepRef *envdeps;
  uint32_t inst;             /* the instance around this frame, or GN_NONE */
  uint32_t node;             /* FK_COMPONENT: the instance being built */
  Val key;                   /* FK_BODY: the copy's key (null if none), for traces */
  bool to_c;                 /* returning from it ends the run loop (vm_call) */
} Frame;

typedef struct NodeInfo {
  uint32_t rtype, decl;
  Val members;               /* instances: their resources by member name */
  DepRef outdeps;            /* instances: what reading an output depends on (all of them) */
  Val outslots;              /* instances: the env slot of each output, in the outputs map's
                                key order (a list of ints), or null (an older module) */
  DepRef *envdeps;           /* instances: their environment's dependencies, per slot */
  uint32_t nenv;
} NodeInfo;

struct Vm {
  const BcModule *m;
  VmOptions opt;
  Rt rt;
  Graph *g;
  Val *consts;               /* built once at start */
  VStr **strs;               /* interned */
  Val *globals;
  DepRef *gdeps;
  bool *gset;
  Val *stack; DepRef *sdeps; uint32_t sp, stackcap;
  Frame *frames; uint32_t nframes, capframes;
  Val *acc; uint32_t nacc, capacc;
  uint32_t *accstart; uint32_t naccs, capaccs;
  uint32_t *deps; uint32_t ndeps, capdeps;      /* the gathering */
  uint32_t *marks; uint32_t nmarks, capmarks;
  uint32_t *pool; uint32_t npool, cappool;      /* recorded dependency slices */
  NodeInfo *info; uint32_t ninfo, capinfo;
  uint64_t steps;
  const char *root_dir;      /* the root module's folder (rt.base_dir's default) */
  const char **dirs;         /* per file string: its folder, made when a call needs it */
  uint64_t pushes;           /* frames pushed so far: a body's locals are intact while equal */
  struct {                   /* the locals of the body that just returned an instance's params */
    const VMap *map; uint32_t base; uint64_t pushes;
  } given;
  bool protect_next;         /* the next CALL is a protected sub-evaluation (try, can) */
  uint32_t prot_depth, prot_pc;   /* where the last protected CALL returned to */
  VStr *failed;              /* what a failed sub-evaluation gives: a value only try and can see */
  char try_err[RT_ERRMAX];   /* the last failed sub-evaluation's message */
  char *scratch; size_t nscratch, capscratch;   /* text being built (addresses, strings) */
  /* Every address made so far in [aset_g]: two keyed copies with one key (a plan-time list
     holding a string twice) would be one address twice. Open addressing: node + 1. */
  uint64_t *aset; uint32_t acap, acount;   /* hash << 32 | node + 1 */
  const Graph *aset_g;
  bool addr_check;           /* in vm_run's evaluation (tests instantiate as they like) */
};

#define GROW(arr, n, cap, need) do { \
    if ((need) > (cap)) { \
      uint32_t nc_ = (cap) ? (cap) : 64; \
      while (nc_ < (need)) nc_ *= 2; \
      (arr) = plat_xrealloc((arr), (size_t)nc_ * sizeof *(arr)); \
      (cap) = nc_; \
    } \
  } while (0)

/* ---- scratch text: built in one malloc'd buffer, copied once into the run's arena ---- */

static void sc_add(Vm *vm, const char *p, size_t n) {
  if (vm->nscratch + n + 1 > vm->capscratch) {
    size_t nc = vm->capscratch ? vm->capscratch : 256;
    while (nc < vm->nscratch + n + 1) nc *= 2;
    if (nc > ((size_t)1 << 32)) rt_error(&vm->rt, "string too long");
    vm->scratch = plat_xrealloc(vm->scratch, nc);
    vm->capscratch = nc;
  }
  memcpy(vm->scratch + vm->nscratch, p, n);
  vm->nscratch += n;
}
static void sc_adds(Vm *vm, const char *p) { sc_add(vm, p, strlen(p)); }

/* The scratch text as a string value (valid UTF-8 by construction: pieces of strings). */
static Val sc_val(Vm *vm) {
  size_t n = vm->nscratch;
  VStr *vs = rt_alloc(&vm->rt, sizeof *vs + n + 1);
  vs->len = (uint32_t)n;
  memcpy(vs->s, vm->scratch ? vm->scratch : "", n);
  vs->s[n] = 0;
  vs->hash = val_hash(vs->s, n);
  vs->interned = false;
  Val v = {.tag = VT_STR};
  v.as.s = vs;
  return v;
}

/* ---- set up ---------------------------------------------------------------------------- */

static Val build_const(Vm *vm, uint32_t k) {
  const BcConst *c = &vm->m->consts[k];
  switch (c->kind) {
  case BK_INT: return val_int(c->u.i);
  case BK_FLOAT: return val_float(&vm->rt, c->u.f);
  case BK_NULL: return val_null();
  case BK_BOOL: return val_bool(c->u.b);
  case BK_STR: {
    if (c->u.str >= vm->m->nstrs) rt_error(&vm->rt, "corrupt module: string %u", c->u.str);
    Val v = {.tag = VT_STR};
    v.as.s = vm->strs[c->u.str];
    return v;
  }
  case BK_LIST: {
    VList *l = val_list_new(&vm->rt, c->n);
    for (uint32_t i = 0; i < c->n; i++) {
      if (c->u.items[i] >= k) rt_error(&vm->rt, "corrupt module: constant %u", k);
      l->items[i] = vm->consts[c->u.items[i]];
    }
    return val_list_done(l);
  }
  case BK_MAP: {
    MapBuilder b;
    mb_init(&b, &vm->rt, c->n);
    for (uint32_t i = 0; i < c->n; i++) {
      if (c->u.map.vals[i] >= k || c->u.map.keys[i] >= vm->m->nstrs)
        rt_error(&vm->rt, "corrupt module: constant %u", k);
      mb_put(&b, vm->strs[c->u.map.keys[i]], vm->consts[c->u.map.vals[i]]);
    }
    return val_map_done(&b);
  }
  }
  rt_error(&vm->rt, "corrupt module: constant %u has kind %u", k, c->kind);
}

static void load(Rt *rt, void *ud) {
  Vm *vm = ud;
  (void)rt;
  const BcModule *m = vm->m;
  vm->strs = rt_alloc(&vm->rt, (size_t)(m->nstrs ? m->nstrs : 1) * sizeof *vm->strs);
  val_intern_reserve(&vm->rt, m->nstrs);
  for (uint32_t i = 0; i < m->nstrs; i++) vm->strs[i] = val_intern(&vm->rt, m->strs[i].s, m->strs[i].len);
  vm->consts = rt_alloc(&vm->rt, (size_t)(m->nconsts ? m->nconsts : 1) * sizeof *vm->consts);
  for (uint32_t i = 0; i < m->nconsts; i++) vm->consts[i] = build_const(vm, i);
}

Vm *vm_new(const BcModule *m, const VmOptions *opt) {
  Vm *vm = plat_xcalloc(1, sizeof *vm);
  vm->m = m;
  if (opt) vm->opt = *opt;
  if (!vm->opt.max_steps) vm->opt.max_steps = VM_DEFAULT_STEPS;
  if (!vm->opt.max_memory) vm->opt.max_memory = VM_DEFAULT_MEMORY;
  if (!vm->opt.max_depth) vm->opt.max_depth = VM_DEFAULT_DEPTH;
  rt_init(&vm->rt, vm->opt.max_memory);
  vm->rt.vm = vm;
  vm->globals = plat_xcalloc(m->nglobals ? m->nglobals : 1, sizeof *vm->globals);
  vm->gdeps = plat_xcalloc(m->nglobals ? m->nglobals : 1, sizeof *vm->gdeps);
  vm->gset = plat_xcalloc(m->nglobals ? m->nglobals : 1, sizeof *vm->gset);
  return vm;
}

void vm_free(Vm *vm) {
  if (!vm) return;
  rt_free(&vm->rt);
  free(vm->globals); free(vm->gdeps); free(vm->gset);
  free(vm->stack); free(vm->sdeps); free(vm->frames); free(vm->acc); free(vm->accstart);
  free(vm->deps); free(vm->marks); free(vm->pool); free(vm->info); free(vm->scratch);
  free(vm->aset);
  free(vm);
}

Rt *vm_rt(Vm *vm) { return &vm->rt; }

/* ---- dependencies ------------------------------------------------------------------------ */

static void dep_add(Vm *vm, uint32_t node) {
  if (!vm->nmarks) return;
  if (vm->ndeps > vm->marks[vm->nmarks - 1] && vm->deps[vm->ndeps - 1] == node) return;
  GROW(vm->deps, vm->ndeps, vm->capdeps, vm->ndeps + 1);
  vm->deps[vm->ndeps++] = node;
}

static void dep_use(Vm *vm, DepRef d) {
  if (!vm->nmarks || !d.len) return;
  GROW(vm->deps, vm->ndeps, vm->capdeps, vm->ndeps + d.len);
  memcpy(vm->deps + vm->ndeps, vm->pool + d.off, d.len * sizeof *vm->deps);
  vm->ndeps += d.len;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Close the innermost mark: what it gathered, sorted and unique, as a pool slice.  The
 * gathered nodes stay in the list, so an enclosing gathering sees them too. */
static DepRef dep_close(Vm *vm) {
  DepRef r = {0, 0};
  if (!vm->nmarks) return r;
  uint32_t from = vm->marks[--vm->nmarks];
  uint32_t n = vm->ndeps - from;
  if (!n) return r;
  GROW(vm->pool, vm->npool, vm->cappool, vm->npool + n);
  uint32_t *p = vm->pool + vm->npool;
  memcpy(p, vm->deps + from, n * sizeof *p);
  qsort(p, n, sizeof *p, cmp_u32);
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++)
    if (!k || p[k - 1] != p[i]) p[k++] = p[i];
  r.off = vm->npool;
  r.len = k;
  vm->npool += k;
  return r;
}

/* ---- errors and traces ------------------------------------------------------------------- */

static void loc_text(const Vm *vm, uint32_t loc, char *out, size_t cap) {
  out[0] = 0;
  if (loc >= vm->m->nlocs) return;
  const BcLoc *l = &vm->m->locs[loc];
  if (l->file >= vm->m->nstrs || !l->line) return;
  snprintf(out, cap, "%s:%u:%u", vm->m->strs[l->file].s, l->line, l->col);
}

static void pc_loc_text(const Vm *vm, uint32_t fn, uint32_t pc, char *out, size_t cap) {
  out[0] = 0;
  const BcLoc *l = bc_loc_at(vm->m, fn, pc);
  if (!l || l->file >= vm->m->nstrs || !l->line) return;
  snprintf(out, cap, "%s:%u:%u", vm->m->strs[l->file].s, l->line, l->col);
}

/* The folder of the source file the current instruction of [f] comes from: the base of
 * relative paths for file(), templatefile() and the like; the root module's when the
 * module has no location for it (cached per file string). */
static const char *call_dir(Vm *vm, const Frame *f) {
  const BcLoc *l = bc_loc_at(vm->m, f->fn, f->ipc);
  if (!l || l->file >= vm->m->nstrs) return vm->root_dir;
  if (!vm->dirs) vm->dirs = rt_alloc(&vm->rt, (size_t)vm->m->nstrs * sizeof *vm->dirs);
  if (!vm->dirs[l->file]) {
    const char *path = vm->m->strs[l->file].s;
    const char *slash = strrchr(path, '/');
    vm->dirs[l->file] = slash ? arena_strndup(&vm->rt.arena, path, (size_t)(slash - path) + (slash == path)) : ".";
  }
  return vm->dirs[l->file];
}

static const char *node_addr(const Vm *vm, uint32_t node) {
  return node < vm->g->nnodes ? vm->g->nodes[node].addr : "?";
}

static void describe_frame(Vm *vm, const Frame *f, char *out, size_t cap) {
  const BcFunc *fn = &vm->m->funcs[f->fn];
  const char *name = fn->name < vm->m->nstrs ? vm->m->strs[fn->name].s : "?";
  switch (fn->kind) {
  case FK_COMPONENT:
    snprintf(out, cap, "instance %s of %s", node_addr(vm, f->node), name + (strncmp(name, "component ", 10) ? 0 : 10));
    break;
  case FK_BODY: {
    const char *rn = strncmp(name, "resource ", 9) ? name : name + 9;
    char key[128] = "";
    if (f->key.tag == VT_STR) {
      SBuf b;
      sb_init(&b, &vm->rt);
      val_write_json(&b, f->key);
      snprintf(key, sizeof key, "[%.*s]", (int)(b.len < 100 ? b.len : 100), b.p);
    }
    if (f->inst != GN_NONE) snprintf(out, cap, "resource %s.%s%s", node_addr(vm, f->inst), rn, key);
    else snprintf(out, cap, "resource %s%s", rn, key);
    break;
  }
  default: snprintf(out, cap, "%s", name); break;
  }
}

static void fill_error(Vm *vm, VmError *err) {
  memset(err, 0, sizeof *err);
  snprintf(err->msg, sizeof err->msg, "%s", vm->rt.errmsg);
  bool first = true;
  for (uint32_t i = vm->nframes; i-- > 0;) {
    Frame *f = &vm->frames[i];
    if (first) { pc_loc_text(vm, f->fn, f->ipc, err->loc, sizeof err->loc); first = false; }
    if (err->ntrace == VM_MAX_TRACE) { err->ndropped++; continue; }
    VmFrame *vf = &err->trace[err->ntrace++];
    static char what[256];
    describe_frame(vm, f, what, sizeof what);
    vf->what = arena_strdup(&vm->rt.arena, what);
    pc_loc_text(vm, f->fn, f->ipc, vf->loc, sizeof vf->loc);
  }
}

void vm_error_print(const VmError *e, FILE *out) {
  if (e->loc[0]) fprintf(out, "%s: error: %s\n", e->loc, e->msg);
  else fprintf(out, "error: %s\n", e->msg);
  for (uint32_t i = 0; i < e->ntrace; i++) {
    if (e->trace[i].loc[0]) fprintf(out, "  at %s (%s)\n", e->trace[i].what, e->trace[i].loc);
    else fprintf(out, "  at %s\n", e->trace[i].what);
  }
  if (e->ndropped) fprintf(out, "  ... %u more frames\n", e->ndropped);
}

/* ---- frames --------------------------------------------------------------------------------- */

static void push_frame(Vm *vm, uint32_t fn, uint32_t nargs, Val *env, DepRef *envdeps,
                       uint32_t nenv, uint32_t inst) {
  const BcModule *m = vm->m;
  if (fn >= m->nfuncs) rt_error(&vm->rt, "corrupt module: function %u", fn);
  const BcFunc *f = &m->funcs[fn];
  if (nargs != f->nparams)
    rt_error(&vm->rt, "corrupt module: %u arguments for a function of %u", nargs, f->nparams);
  if (vm->nframes >= vm->opt.max_depth)
    rt_error(&vm->rt, "calls nested too deeply (the limit is %u; raise it with --max-depth)",
             vm->opt.max_depth);
  GROW(vm->frames, vm->nframes, vm->capframes, vm->nframes + 1);
  vm->pushes++;
  Frame *fr = &vm->frames[vm->nframes++];
  memset(fr, 0, sizeof *fr);
  fr->fn = fn;
  fr->base = vm->sp - nargs;
  fr->sp0 = fr->base + f->nslots;
  uint32_t need = fr->sp0 + f->maxstack + 8;
  if (need > vm->stackcap) {
    uint32_t nc = vm->stackcap ? vm->stackcap : 1024;
    while (nc < need) nc *= 2;
    vm->stack = plat_xrealloc(vm->stack, (size_t)nc * sizeof *vm->stack);
    vm->sdeps = plat_xrealloc(vm->sdeps, (size_t)nc * sizeof *vm->sdeps);
    vm->stackcap = nc;
  }
  for (uint32_t i = fr->base; i < fr->sp0; i++) {
    if (i >= fr->base + nargs) vm->stack[i] = val_null();
    vm->sdeps[i] = (DepRef){0, 0};
  }
  vm->sp = fr->sp0;
  fr->nacc = vm->naccs;
  fr->nmarks = vm->nmarks;
  fr->env = env;
  fr->envdeps = envdeps;
  fr->nenv = env ? nenv : 0;
  fr->inst = inst;
  fr->node = GN_NONE;
  fr->key = val_null();
}

/* ---- values ----------------------------------------------------------------------------------- */

static bool is_unknown(Val v) { return v.tag == VT_UNKNOWN; }
static Val unknown2(Vm *vm, Val a, Val b) {
  Val vs[2] = {a, b};
  Val u = val_unknown_of(&vm->rt, vs, 2);
  if (val_is_secret(a) || val_is_secret(b)) u = val_mark_secret(u);
  return u;
}
static Val marks2(Val r, Val a, Val b) {
  if (val_is_secret(a) || val_is_secret(b)) r = val_mark_secret(r);
  return r;
}

static const char *tname(Val v) { return val_type_name(v); }

static Val arith(Vm *vm, BcOp op, Val a, Val b) {
  Rt *rt = &vm->rt;
  if (is_unknown(a) || is_unknown(b)) return unknown2(vm, a, b);
  Val r;
  if (a.tag == VT_INT && b.tag == VT_INT) {
    int64_t x = a.as.i, y = b.as.i, z;
    switch (op) {
    case OP_ADD: if (__builtin_add_overflow(x, y, &z)) rt_error(rt, "integer overflow in %" PRId64 " + %" PRId64, x, y); break;
    case OP_SUB: if (__builtin_sub_overflow(x, y, &z)) rt_error(rt, "integer overflow in %" PRId64 " - %" PRId64, x, y); break;
    case OP_MUL: if (__builtin_mul_overflow(x, y, &z)) rt_error(rt, "integer overflow in %" PRId64 " * %" PRId64, x, y); break;
    case OP_DIV:
      if (y == 0) rt_error(rt, "division by zero");
      if (x == INT64_MIN && y == -1) rt_error(rt, "integer overflow in %" PRId64 " / -1", x);
      z = x / y;
      break;
    case OP_MOD:
      if (y == 0) rt_error(rt, "division by zero (in %%)");
      z = (x == INT64_MIN && y == -1) ? 0 : x % y;
      break;
    default: z = 0;
    }
    r = val_int(z);
  } else if ((a.tag == VT_INT || a.tag == VT_FLOAT) && (b.tag == VT_INT || b.tag == VT_FLOAT)) {
    double x = a.tag == VT_INT ? (double)a.as.i : a.as.f, y = b.tag == VT_INT ? (double)b.as.i : b.as.f, z;
    switch (op) {
    case OP_ADD: z = x + y; break;
    case OP_SUB: z = x - y; break;
    case OP_MUL: z = x * y; break;
    case OP_DIV: if (y == 0) rt_error(rt, "division by zero"); z = x / y; break;
    default: rt_error(rt, "%% needs two ints, not %s and %s", tname(a), tname(b));
    }
    r = val_float(rt, z);
  } else if (op == OP_ADD && a.tag == VT_STR && b.tag == VT_STR) {
    vm->nscratch = 0;
    sc_add(vm, a.as.s->s, a.as.s->len);
    sc_add(vm, b.as.s->s, b.as.s->len);
    r = sc_val(vm);
  } else if (op == OP_ADD && a.tag == VT_LIST && b.tag == VT_LIST) {
    VList *l = val_list_new(rt, a.as.l->n + b.as.l->n);
    memcpy(l->items, a.as.l->items, a.as.l->n * sizeof(Val));
    memcpy(l->items + a.as.l->n, b.as.l->items, b.as.l->n * sizeof(Val));
    r = val_list_done(l);
  } else {
    rt_error(rt, "cannot apply '%s' to %s and %s", bc_ops[op].name, tname(a), tname(b));
  }
  return marks2(r, a, b);
}

static Val compare(Vm *vm, BcOp op, Val a, Val b) {
  Rt *rt = &vm->rt;
  if (op == OP_EQ || op == OP_NE) {
    if (val_has_unknown(a) || val_has_unknown(b)) return unknown2(vm, a, b);
    bool eq = val_equal(a, b);
    Val r = val_bool(op == OP_EQ ? eq : !eq);
    if (val_has_secret(a) || val_has_secret(b)) r = val_mark_secret(r);
    return r;
  }
  if (is_unknown(a) || is_unknown(b)) return unknown2(vm, a, b);
  int c;
  bool na = a.tag == VT_INT || a.tag == VT_FLOAT, nb = b.tag == VT_INT || b.tag == VT_FLOAT;
  if (na && nb) c = val_compare(a, b);
  else if (a.tag == VT_STR && b.tag == VT_STR) c = val_compare(a, b);
  else rt_error(rt, "cannot compare %s and %s", tname(a), tname(b));
  bool r = op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0;
  return marks2(val_bool(r), a, b);
}

static void show(Vm *vm, SBuf *b, Val v) { (void)vm; val_show(b, v, 80); }

static Val index_val(Vm *vm, Val o, Val i) {
  Rt *rt = &vm->rt;
  if (is_unknown(o) || is_unknown(i)) return unknown2(vm, o, i);
  Val r;
  if (o.tag == VT_LIST) {
    if (i.tag != VT_INT) rt_error(rt, "a list is indexed by an int, not %s", tname(i));
    if (i.as.i < 0 || (uint64_t)i.as.i >= o.as.l->n)
      rt_error(rt, "index %" PRId64 " out of range for a list of %u item%s", i.as.i, o.as.l->n,
               o.as.l->n == 1 ? "" : "s");
    r = o.as.l->items[i.as.i];
  } else if (o.tag == VT_MAP) {
    if (i.tag != VT_STR) rt_error(rt, "a map is indexed by a string, not %s", tname(i));
    const Val *p = val_map_get(o.as.m, i.as.s->s, i.as.s->len);
    if (!p) {
      if (val_is_secret(i)) rt_error(rt, "key [secret] not found in the map");
      SBuf b;
      sb_init(&b, rt);
      show(vm, &b, i);
      sb_addc(&b, 0);
      rt_error(rt, "key %s not found in the map (it has %u key%s)", b.p, o.as.m->n, o.as.m->n == 1 ? "" : "s");
    }
    r = *p;
  } else if (o.tag == VT_NULL) {
    rt_error(rt, "cannot index null");
  } else {
    rt_error(rt, "cannot index %s", tname(o));
  }
  return marks2(r, o, i);
}

static void str_part(Vm *vm, Val v) {
  char num[64];
  switch (v.tag) {
  case VT_STR: sc_add(vm, v.as.s->s, v.as.s->len); break;
  case VT_INT: sc_add(vm, num, (size_t)snprintf(num, sizeof num, "%" PRId64, v.as.i)); break;
  case VT_FLOAT: {
    SBuf b;
    sb_init(&b, &vm->rt);
    val_write_json(&b, v);
    sc_add(vm, b.p, b.len);
    break;
  }
  case VT_BOOL: sc_adds(vm, v.as.b ? "true" : "false"); break;
  case VT_NULL: sc_adds(vm, "null"); break;
  default: rt_error(&vm->rt, "cannot interpolate %s into a string (use jsonencode)", tname(v));
  }
}

/* ---- params ----------------------------------------------------------------------------------- */

typedef struct JsonConv { const char *what; json_t *j; Val out; } JsonConv;

static void json_conv(Rt *rt, void *ud) {
  JsonConv *c = ud;
  c->out = sl_json_value(rt, c->what, c->j, 0);
}

static Val param_value(Vm *vm, uint32_t p) {
  const BcModule *m = vm->m;
  Rt *rt = &vm->rt;
  if (p >= m->nparams) rt_error(rt, "corrupt module: param %u", p);
  const BcParam *bp = &m->params[p];
  const char *name = m->strs[bp->name].s;
  const VmConfig *c = NULL;
  for (uint32_t i = 0; i < vm->opt.nconfig; i++)
    if (strcmp(vm->opt.config[i].name, name) == 0) c = &vm->opt.config[i];   /* the last wins */
  Val v;
  if (!c) {
    if (bp->deflt == BC_NONE) {
      char where[300];
      loc_text(vm, bp->loc, where, sizeof where);
      /* every command takes -c; `platc config set` keeps it in the stack (plan, deploy) */
      rt_error(rt, "the required param '%s' has no value: give it with -c %s=VALUE, or keep it in "
               "the stack with `platc config set %s VALUE` (declared at %s)", name, name, name, where);
    }
    v = vm->consts[bp->deflt];
  } else {
    const char *t = c->text;
    const char *tyname = m->strs[bp->type].s;
    if (bp->optional && !c->json && strcmp(t, "null") == 0) v = val_null();
    else if (c->json || bp->kind == PK_JSON) {
      json_error_t je;
      json_t *j = json_loads(t, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
      if (!j) rt_error(rt, "param '%s': the value is not valid JSON (%s)", name, je.text);
      char what[300];
      snprintf(what, sizeof what, "param '%s'", name);
      /* converted under protection: an error in the value (a NUL, nesting too deep) must
         not leak jansson's tree, which is malloc'd, not the run's */
      JsonConv jc = {what, j, val_null()};
      int failed_conv = rt_protect(rt, json_conv, &jc);
      json_decref(j);
      if (failed_conv) {
        char again[RT_ERRMAX];
        snprintf(again, sizeof again, "%s", rt->errmsg);
        rt_error(rt, "%s", again);
      }
      v = jc.out;
      if (bp->desc != BC_NONE && bp->desc < m->nstrs) {
        v = sl_conform(rt, what, v, m->strs[bp->desc].s, bp->secret);
      }
      bool ok = true;
      switch (bp->kind) {
      case PK_STRING: ok = v.tag == VT_STR; break;
      case PK_INT: ok = v.tag == VT_INT; break;
      case PK_FLOAT: ok = v.tag == VT_INT || v.tag == VT_FLOAT; if (v.tag == VT_INT) v = val_float(rt, (double)v.as.i); break;
      case PK_BOOL: ok = v.tag == VT_BOOL; break;
      default: ok = v.tag == VT_LIST || v.tag == VT_MAP; break;
      }
      if (bp->optional && v.tag == VT_NULL) ok = true;
      if (!ok) rt_error(rt, "param '%s' is %s, but the value given is %s", name, tyname, tname(v));
    } else {
      char *end = NULL;
      errno = 0;
      switch (bp->kind) {
      case PK_INT: {
        long long x = strtoll(t, &end, 10);
        if (!*t || *end || errno) rt_error(rt, "param '%s' is %s, but '%s' is not an int", name, tyname, t);
        v = val_int(x);
        break;
      }
      case PK_FLOAT: {
        double x = strtod(t, &end);
        if (!*t || *end || errno || !isfinite(x)) rt_error(rt, "param '%s' is %s, but '%s' is not a number", name, tyname, t);
        v = val_float(rt, x);
        break;
      }
      case PK_BOOL:
        if (strcmp(t, "true") == 0) v = val_bool(true);
        else if (strcmp(t, "false") == 0) v = val_bool(false);
        else rt_error(rt, "param '%s' is %s, but '%s' is not true or false", name, tyname, t);
        break;
      default: v = val_str_checked(rt, t, strlen(t), "a param's value"); break;
      }
    }
    if (bp->members != BC_NONE && v.tag == VT_STR) {
      Val ms = vm->consts[bp->members];
      bool found = false;
      for (uint32_t i = 0; ms.tag == VT_LIST && i < ms.as.l->n; i++)
        if (val_equal(ms.as.l->items[i], v)) found = true;
      if (!found) rt_error(rt, "param '%s' is %s, but '%s' is not one of them", name, tyname, v.as.s->s);
    }
  }
  if (bp->secret) v = val_mark_secret(v);
  return v;
}

/* ---- resources ------------------------------------------------------------------------------ */

static int key_order(const VStr *a, const VStr *b) {
  if (a == b) return 0;
  int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
  return c ? c : (a->len < b->len ? -1 : a->len > b->len);
}

/* The given inputs over the type's defaults: a linear merge of two sorted maps. */
static Val with_defaults(Vm *vm, uint32_t defaults, Val given) {
  if (defaults == BC_NONE) return given;
  Val d = vm->consts[defaults];
  if (d.tag != VT_MAP || given.tag != VT_MAP) return given;
  const VMap *x = d.as.m, *y = given.as.m;
  /* the compiler usually filled them in already: then the given map is the answer */
  uint32_t i = 0, j = 0;
  while (i < x->n && j < y->n) {
    int c = key_order(x->e[i].key, y->e[j].key);
    if (c < 0) break;
    if (c == 0) i++;
    j++;
  }
  if (i == x->n) return given;
  i = 0;
  j = 0;
  VMap *m = rt_alloc(&vm->rt, sizeof *m + (size_t)(x->n + y->n) * sizeof(VEntry));
  uint32_t k = 0;
  while (i < x->n || j < y->n) {
    int c = i == x->n ? 1 : j == y->n ? -1 : key_order(x->e[i].key, y->e[j].key);
    if (c < 0) m->e[k++] = x->e[i++];
    else if (c > 0) m->e[k++] = y->e[j++];
    else { m->e[k++] = y->e[j++]; i++; }
  }
  m->n = k;
  m->deep = x->deep | y->deep;
  (void)0;
  Val r = {.tag = VT_MAP, .flags = given.flags};
  r.as.m = m;
  return r;
}

static void explicit_add(Vm *vm, Val v, uint32_t **out, uint32_t *n, uint32_t *cap, int depth) {
  if (depth > 8) return;
  if (v.tag == VT_RES) { GROW(*out, *n, *cap, *n + 1); (*out)[(*n)++] = v.node; }
  else if (v.tag == VT_LIST) for (uint32_t i = 0; i < v.as.l->n; i++) explicit_add(vm, v.as.l->items[i], out, n, cap, depth + 1);
  else if (v.tag == VT_MAP) for (uint32_t i = 0; i < v.as.m->n; i++) explicit_add(vm, v.as.m->e[i].val, out, n, cap, depth + 1);
}

static void sc_json_str(Vm *vm, const VStr *k) {
  sc_add(vm, "\"", 1);
  for (uint32_t i = 0; i < k->len; i++) {
    unsigned char c = (unsigned char)k->s[i];
    if (c == '"' || c == '\\') { char e[2] = {'\\', (char)c}; sc_add(vm, e, 2); }
    else if (c < 0x20) { char e[8]; snprintf(e, sizeof e, "\\u%04x", c); sc_adds(vm, e); }
    else sc_add(vm, k->s + i, 1);
  }
  sc_add(vm, "\"", 1);
}

static const char *make_addr(Vm *vm, uint32_t inst, const char *name, Val key, const char **keyout) {
  vm->nscratch = 0;
  if (inst != GN_NONE) { sc_adds(vm, node_addr(vm, inst)); sc_add(vm, ".", 1); }
  sc_adds(vm, name);
  *keyout = NULL;
  if (key.tag == VT_STR) {
    if (val_has_secret(key)) rt_error(&vm->rt, "a resource key may not be secret");
    *keyout = key.as.s->s;
    sc_add(vm, "[", 1);
    sc_json_str(vm, key.as.s);
    sc_add(vm, "]", 1);
  } else if (key.tag == VT_UNKNOWN) {
    rt_error(&vm->rt, "the key of a copy of '%s' is known only after deploy", name);
  } else if (key.tag != VT_NULL) {
    rt_error(&vm->rt, "the key of a copy of '%s' must be a string, not %s", name, tname(key));
  }
  char *out = rt_alloc(&vm->rt, vm->nscratch + 1);
  memcpy(out, vm->scratch, vm->nscratch);
  out[vm->nscratch] = 0;
  return out;
}

static const char **names_of(Vm *vm, uint32_t k, uint32_t *n) {
  *n = 0;
  if (k == BC_NONE || k >= vm->m->nconsts) return NULL;
  Val l = vm->consts[k];
  if (l.tag != VT_LIST) return NULL;
  const char **out = rt_alloc(&vm->rt, (l.as.l->n + 1) * sizeof *out);
  for (uint32_t i = 0; i < l.as.l->n; i++)
    if (l.as.l->items[i].tag == VT_STR) out[(*n)++] = l.as.l->items[i].as.s->s;
  return out;
}

/* Per-param dependencies.  A component instance's body keeps each param's value in a local
 * of its own, right after its loop variables and in key order, stored with what it read
 * (compiler/emit.c, emit_fields).  When a body returns a map whose values are exactly those
 * locals, note where they are; MKRES, which follows before any other call, gives each param
 * the dependencies of its own local instead of those of every param.  A module compiled
 * otherwise fails the check and keeps the shared dependencies. */
static void note_given(Vm *vm, const BcFunc *fn, uint32_t base, const VMap *mp) {
  vm->given.map = NULL;
  if (!mp->n || fn->nslots < (uint32_t)fn->nparams + mp->n) return;
  uint32_t first = base + fn->nparams;
  for (uint32_t k = 0; k < mp->n; k++)
    if (memcmp(&vm->stack[first + k], &mp->e[k].val, sizeof(Val)) != 0) return;
  vm->given.map = mp;
  vm->given.base = first;
  vm->given.pushes = vm->pushes;
}

static DepRef param_deps(Vm *vm, Val inputs, const VStr *name, DepRef all) {
  if (inputs.tag != VT_MAP || vm->given.map != inputs.as.m || vm->given.pushes != vm->pushes) return all;
  const VMap *mp = inputs.as.m;
  for (uint32_t k = 0; k < mp->n; k++)
    if (mp->e[k].key->len == name->len && memcmp(mp->e[k].key->s, name->s, name->len) == 0)
      return vm->sdeps[vm->given.base + k];
  return (DepRef){0, 0};   /* not given: its default, a constant */
}

static uint32_t addr_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* Has an address equal to [addr] (hash [h]) been made in the current graph?  Entries keep
 * their hash, so a probe compares text only when the hashes agree and growing never
 * rehashes the text: a program makes 300,000 addresses. */
static bool addr_seen(Vm *vm, const char *addr, uint32_t h) {
  if (vm->aset_g != vm->g) {     /* a new graph: start over */
    free(vm->aset);
    vm->aset = NULL;
    vm->acap = vm->acount = 0;
    vm->aset_g = vm->g;
  }
  if (!vm->acap) return false;
  for (uint32_t i = h & (vm->acap - 1); vm->aset[i]; i = (i + 1) & (vm->acap - 1))
    if ((uint32_t)(vm->aset[i] >> 32) == h &&
        strcmp(vm->g->nodes[(uint32_t)vm->aset[i] - 1].addr, addr) == 0)
      return true;
  return false;
}

static void addr_note(Vm *vm, uint32_t node, uint32_t h) {
  if ((vm->acount + 1) * 2 > vm->acap) {
    uint32_t ncap = vm->acap ? vm->acap * 2 : 1024;
    uint64_t *nt = plat_xzalloc(ncap, sizeof *nt);
    for (uint32_t i = 0; i < vm->acap; i++)
      if (vm->aset[i]) {
        uint32_t j = (uint32_t)(vm->aset[i] >> 32) & (ncap - 1);
        while (nt[j]) j = (j + 1) & (ncap - 1);
        nt[j] = vm->aset[i];
      }
    free(vm->aset);
    vm->aset = nt;
    vm->acap = ncap;
  }
  uint32_t j = h & (vm->acap - 1);
  while (vm->aset[j]) j = (j + 1) & (vm->acap - 1);
  vm->aset[j] = (uint64_t)h << 32 | (node + 1);
  vm->acount++;
}

/* MKRES: make the node; for a component, push its instance frame (returns true). */
static bool mkres(Vm *vm, uint32_t r, Val key, Val inputs, Val depends, Frame *caller) {
  const BcModule *m = vm->m;
  Rt *rt = &vm->rt;
  if (r >= m->nresdecls) rt_error(rt, "corrupt module: resource declaration %u", r);
  const BcResDecl *rd = &m->resdecls[r];
  const BcRType *ty = &m->rtypes[rd->rtype];
  DepRef deps = dep_close(vm);
  if (inputs.tag != VT_MAP) rt_error(rt, "corrupt module: resource inputs are %s", tname(inputs));
  GNode n = {0};
  n.kind = ty->fn != BC_NONE ? GN_INSTANCE : GN_RESOURCE;
  uint32_t inst = caller->inst;
  if (rd->flags & RD_TEST) inst = GN_NONE;
  n.addr = make_addr(vm, inst, m->strs[rd->name].s, key, &n.key);
  n.type = m->strs[ty->name].s;
  n.provider = ty->provider != BC_NONE ? m->strs[ty->provider].s : NULL;
  n.module = m->strs[rd->module].s;
  n.span = (Span){rd->loc, 0, 0};
  n.parent = inst;
  n.inputs = with_defaults(vm, ty->defaults, inputs);
  n.outputs = val_null();
  n.deps = deps.len ? vm->pool + deps.off : NULL;   /* pool may be NULL: no null + 0 */
  n.ndeps = deps.len;
  uint32_t *ex = NULL, nex = 0, capex = 0;
  explicit_add(vm, depends, &ex, &nex, &capex, 0);
  n.explicit_deps = ex;
  n.nexplicit = nex;
  n.protect = (rd->flags & RD_PROTECT) != 0;
  n.create_before_destroy = (rd->flags & RD_CBD) != 0;
  n.ignore_changes = names_of(vm, rd->ignore, &n.nignore);
  n.replace_on_change = names_of(vm, rd->replace, &n.nreplace);
  uint32_t ah = vm->addr_check ? addr_hash(n.addr) : 0;
  if (vm->addr_check && addr_seen(vm, n.addr, ah)) {
    free(ex);
    rt_error(rt, "two copies of '%s' have the same key: %s is made twice (the keys of a "
             "`for` must be distinct: use distinct(...) or a map)", m->strs[rd->name].s, n.addr);
  }
  uint32_t node = graph_add(vm->g, &n);
  if (vm->addr_check) addr_note(vm, node, ah);
  free(ex);
  GROW(vm->info, vm->ninfo, vm->capinfo, node + 1);
  while (vm->ninfo <= node) vm->info[vm->ninfo++] = (NodeInfo){BC_NONE, BC_NONE, {0}, {0, 0}, {0}, NULL, 0};
  vm->info[node].rtype = rd->rtype;
  vm->info[node].decl = r;
  vm->info[node].members = val_null();
  vm->info[node].outslots = val_null();
  if (ty->fn == BC_NONE) return false;
  /* a component instance: its environment holds the params, in their declared order */
  if (ty->fn >= m->nfuncs) rt_error(rt, "corrupt module: function %u", ty->fn);
  const BcFunc *cf = &m->funcs[ty->fn];
  Val *env = rt_alloc(rt, (size_t)(cf->nenv ? cf->nenv : 1) * sizeof *env);
  DepRef *envdeps = rt_alloc(rt, (size_t)(cf->nenv ? cf->nenv : 1) * sizeof *envdeps);
  Val pnames = ty->params != BC_NONE ? vm->consts[ty->params] : val_null();
  Val in = vm->g->nodes[node].inputs;
  for (uint32_t i = 0; pnames.tag == VT_LIST && i < pnames.as.l->n && i < cf->nenv; i++) {
    VStr *pn = pnames.as.l->items[i].as.s;
    const Val *pv = val_map_get(in.as.m, pn->s, pn->len);
    env[i] = pv ? *pv : val_null();
    envdeps[i] = param_deps(vm, inputs, pn, deps);
  }
  push_frame(vm, ty->fn, 0, env, envdeps, cf->nenv, node);
  vm->frames[vm->nframes - 1].node = node;
  return true;
}

/* What output [name] of an instance was computed from: its own environment slot's
 * dependencies when the component says where each output is (FK_COMPONENT's third result),
 * else those of every output. */
static DepRef comp_output_deps(Vm *vm, const NodeInfo *ni, Val outputs, const VStr *name) {
  if (ni->outslots.tag != VT_LIST || outputs.tag != VT_MAP || !ni->envdeps) return ni->outdeps;
  const VMap *om = outputs.as.m;
  uint32_t i = 0;
  while (i < om->n && !(om->e[i].key->len == name->len && memcmp(om->e[i].key->s, name->s, name->len) == 0)) i++;
  if (i >= om->n || i >= ni->outslots.as.l->n) return ni->outdeps;
  Val sl = ni->outslots.as.l->items[i];
  if (sl.tag != VT_INT || sl.as.i < 0 || sl.as.i >= (int64_t)ni->nenv) rt_error(&vm->rt, "corrupt module: output slot");
  return ni->envdeps[sl.as.i];
}

/* Reading param [name] of instance [node]: what that param was computed from (its
 * environment slot's dependencies); false when they are not known (then every param's). */
static bool instance_param_deps(Vm *vm, uint32_t node, const VStr *name) {
  if (node >= vm->ninfo || !vm->info[node].envdeps || vm->info[node].rtype >= vm->m->nrtypes) return false;
  const NodeInfo *ni = &vm->info[node];
  uint32_t pk = vm->m->rtypes[ni->rtype].params;
  Val pn = pk < vm->m->nconsts ? vm->consts[pk] : val_null();
  if (pn.tag != VT_LIST) return false;
  for (uint32_t i = 0; i < pn.as.l->n && i < ni->nenv; i++) {
    const VStr *p = pn.as.l->items[i].tag == VT_STR ? pn.as.l->items[i].as.s : NULL;
    if (p && p->len == name->len && memcmp(p->s, name->s, name->len) == 0) {
      dep_use(vm, ni->envdeps[i]);
      return true;
    }
  }
  return false;
}

static Val resget(Vm *vm, Val o, uint32_t s, uint8_t mode) {
  Rt *rt = &vm->rt;
  if (o.tag == VT_NULL) return val_null();
  if (o.tag == VT_UNKNOWN) return o;
  if (o.tag != VT_RES || o.node >= vm->g->nnodes) rt_error(rt, "cannot read property '%s' of %s", vm->strs[s]->s, tname(o));
  const GNode *n = &vm->g->nodes[o.node];
  const VStr *name = vm->strs[s];
  const Val *p;
  switch (mode) {
  case RG_INPUT:
    /* a param of an instance: the instance itself, and what its params read */
    dep_add(vm, o.node);
    if (n->kind != GN_RESOURCE && !instance_param_deps(vm, o.node, name))
      for (uint32_t i = 0; i < n->ndeps; i++) dep_add(vm, n->deps[i]);
    p = n->inputs.tag == VT_MAP ? val_map_get(n->inputs.as.m, name->s, name->len) : NULL;
    return p ? *p : val_null();
  case RG_OUTPUT: {
    dep_add(vm, o.node);
    Val v;
    if (vm->opt.known_output && vm->opt.known_output(vm->opt.ud, rt, n->addr, name->s, &v)) return v;
    VRef ref = {o.node, name};
    return val_unknown(rt, &ref, 1);
  }
  case RG_COMP_OUTPUT:
    /* a reference to the instance, and exactly what this output was computed from */
    dep_add(vm, o.node);
    if (o.node < vm->ninfo) dep_use(vm, comp_output_deps(vm, &vm->info[o.node], n->outputs, name));
    p = n->outputs.tag == VT_MAP ? val_map_get(n->outputs.as.m, name->s, name->len) : NULL;
    return p ? *p : val_null();
  case RG_MEMBER: {
    Val mm = o.node < vm->ninfo ? vm->info[o.node].members : val_null();
    p = mm.tag == VT_MAP ? val_map_get(mm.as.m, name->s, name->len) : NULL;
    return p ? *p : val_null();
  }
  default: rt_error(rt, "corrupt module: RESGET mode %u", mode);
  }
}

/* Built-ins that only move items around or count them: called even when items of their
 * arguments are unknown, as Terraform does (an unknown inside a container is not an
 * unknown container; docs/vm.md "Unknowns").  [need] is how deep each argument must be
 * known: 0 the value itself, 1 its items too (flatten's lists, zipmap's keys); the last
 * entry repeats for variadic ones. */
static bool known_to(Val v, int depth) {
  if (v.tag == VT_UNKNOWN) return false;
  if (depth == 0 || !val_has_unknown(v)) return true;
  if (v.tag == VT_LIST) {
    for (uint32_t i = 0; i < v.as.l->n; i++) if (!known_to(v.as.l->items[i], depth - 1)) return false;
  } else if (v.tag == VT_MAP) {
    for (uint32_t i = 0; i < v.as.m->n; i++) if (!known_to(v.as.m->e[i].val, depth - 1)) return false;
  }
  return true;
}

static bool shape_known(uint32_t id, const Val *args, uint32_t n) {
  const char *need;
  switch (id) {
  case BI_length: case BI_keys: case BI_values: case BI_concat: case BI_reverse: case BI_one:
  case BI_merge: case BI_coalescelist: case BI_element: case BI_slice: case BI_chunklist:
  case BI_lookup:
    need = "0"; break;
  case BI_flatten: need = "1"; break;
  case BI_zipmap: need = "10"; break;
  default: return false;
  }
  size_t nn = strlen(need);
  for (uint32_t i = 0; i < n; i++)
    if (!known_to(args[i], need[i < nn ? i : nn - 1] - '0')) return false;
  return true;
}

/* ---- try and can: protected sub-evaluations ------------------------------------------------
 * The compiler makes each argument of try/can a body function of no parameters whose locals
 * start as a copy of its caller's (so it reads the same loop variables and fn parameters),
 * and calls it as `NULL`, `CALLB try 1` (arm), `POP`, `CALL f 0`.  The armed CALL runs the body in
 * a nested, protected run: a runtime error there unwinds to here, the VM's stacks are put
 * back as they were, and the call gives vm->failed instead of a value; `CALLB try n` right
 * after the last such CALL then picks the first argument that did not fail (`can`: whether its one argument did).  Limits
 * and corrupt modules are not caught: they end the run as anywhere else. */
typedef struct Protected { uint32_t fn; Val out; } Protected;

static Val run(Vm *vm, uint32_t stop);

static void do_protected(Rt *rt, void *ud) {
  Vm *vm = rt->vm;
  Protected *p = ud;
  uint32_t depth = vm->nframes;
  Frame *caller = &vm->frames[depth - 1];
  Val *env = caller->env;
  DepRef *envdeps = caller->envdeps;
  uint32_t nenv = caller->nenv, inst = caller->inst, cbase = caller->base;
  uint32_t cslots = vm->m->funcs[caller->fn].nslots;
  push_frame(vm, p->fn, 0, env, envdeps, nenv, inst);
  Frame *fr = &vm->frames[vm->nframes - 1];
  fr->to_c = true;
  uint32_t k = vm->m->funcs[p->fn].nslots < cslots ? vm->m->funcs[p->fn].nslots : cslots;
  memcpy(vm->stack + fr->base, vm->stack + cbase, k * sizeof *vm->stack);
  memcpy(vm->sdeps + fr->base, vm->sdeps + cbase, k * sizeof *vm->sdeps);
  p->out = run(vm, depth + 1);
}

static Val protected_call(Vm *vm, uint32_t fn) {
  Rt *rt = &vm->rt;
  uint32_t nframes = vm->nframes, sp = vm->sp, naccs = vm->naccs, nacc = vm->nacc, nmarks = vm->nmarks;
  Protected p = {fn, val_null()};
  if (rt_protect(rt, do_protected, &p) == 0) return p.out;
  if (strncmp(rt->errmsg, "corrupt module", 14) == 0 || vm->steps > vm->opt.max_steps ||
      strncmp(rt->errmsg, "memory limit exceeded", 21) == 0 || strncmp(rt->errmsg, "calls nested too deeply", 23) == 0) {
    char again[RT_ERRMAX];
    snprintf(again, sizeof again, "%s", rt->errmsg);
    rt_error(rt, "%s", again);
  }
  snprintf(vm->try_err, sizeof vm->try_err, "%s", rt->errmsg);
  vm->nframes = nframes;
  vm->sp = sp;
  vm->naccs = naccs;
  vm->nacc = nacc;
  if (vm->nmarks > nmarks) vm->nmarks = nmarks;   /* what it gathered stays gathered */
  if (!vm->failed) vm->failed = val_str(rt, "<failed>", 8).as.s;   /* not interned: no user string is it */
  Val f = {.tag = VT_STR};
  f.as.s = vm->failed;
  return f;
}

static bool failed(const Vm *vm, Val v) { return v.tag == VT_STR && vm->failed && v.as.s == vm->failed; }

static Val try_result(Vm *vm, uint32_t id, const Val *args, uint32_t n) {
  if (id == BI_can) {
    if (n != 1) rt_error(&vm->rt, "corrupt module: can with %u arguments", n);
    if (failed(vm, args[0])) return val_bool(false);
    if (args[0].tag == VT_UNKNOWN) return args[0];   /* it may still fail when known */
    return val_bool(true);
  }
  for (uint32_t i = 0; i < n; i++)
    if (!failed(vm, args[i])) return args[i];
  rt_error(&vm->rt, "try: no argument could be evaluated; the last failed with: %s", vm->try_err);
}

/* The table's entries for the VM's own built-ins (stdlib/table.c needs one per built-in).
 * The VM never calls them; the checker's constant folding does, with arguments that were
 * all evaluated without error. */
Val sl_can(Rt *rt, const Val *args, uint32_t n) { (void)rt; (void)args; (void)n; return val_bool(true); }
Val sl_try(Rt *rt, const Val *args, uint32_t n) { (void)rt; (void)n; return args[0]; }
Val sl_issensitive(Rt *rt, const Val *args, uint32_t n) { (void)rt; (void)n; return val_bool(val_is_secret(args[0])); }

/* ---- the loop ----------------------------------------------------------------------------- */

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

#define PUSH(v) (vm->stack[vm->sp++] = (v))
#define POPV() (vm->stack[--vm->sp])
#define TOP() (vm->stack[vm->sp - 1])

#ifdef VM_CHECKED
static void check_stack(Vm *vm, const Frame *f, uint32_t pops, uint32_t pushes) {
  const BcFunc *fn = &vm->m->funcs[f->fn];
  if (vm->sp < f->sp0 + pops || vm->sp - pops + pushes > f->sp0 + fn->maxstack)
    rt_error(&vm->rt, "corrupt module: operand stack out of bounds in '%s'", vm->m->strs[fn->name].s);
}
#endif

/* Run until the frame at depth [stop] returns; returns its value. */
static Val run(Vm *vm, uint32_t stop) {
  const BcModule *m = vm->m;
  Rt *rt = &vm->rt;
  uint8_t insn_size[256] = {0};
  for (uint32_t i = 0; i < OP__COUNT; i++) insn_size[i] = (uint8_t)bc_insn_size((uint8_t)i);
  for (;;) {
    Frame *f = &vm->frames[vm->nframes - 1];
    const BcFunc *fn = &m->funcs[f->fn];
    if (f->pc >= fn->ncode) rt_error(rt, "corrupt module: '%s' runs off its end", m->strs[fn->name].s);
    if (++vm->steps > vm->opt.max_steps)
      rt_error(rt, "the program ran more than %" PRIu64 " steps (raise the limit with --max-steps)", vm->opt.max_steps);
    const uint8_t *ip = fn->code + f->pc;
    uint8_t op = ip[0];
    if (op >= OP__COUNT) rt_error(rt, "corrupt module: opcode %u", op);
    uint32_t size = insn_size[op];
    if (f->pc + size > fn->ncode) rt_error(rt, "corrupt module: truncated instruction");
    f->ipc = f->pc;
    f->pc += size;
    const uint8_t *a = ip + 1;
    /* Stack bounds are the verifier's (vm/verify.c checks every function's depth against
     * maxstack; the compiler's output is right by construction), so the loop does not
     * re-check them; VM_CHECKED builds (the fuzzer) do. */
#ifdef VM_CHECKED
    {
      const BcOpInfo *in = &bc_ops[op];
      uint32_t n = 0;
      if (in->pops < 0) n = rd16(ip + size - 2);   /* the count is always the last operand */
      uint32_t pops = in->pops == -1 ? n : in->pops == -2 ? 2 * n : (uint32_t)in->pops;
      check_stack(vm, f, pops, in->pushes);
    }
#endif
    switch ((BcOp)op) {
    case OP_NOP: break;
    case OP_CONST: {
      uint32_t k = rd32(a);
      if (k >= m->nconsts) rt_error(rt, "corrupt module: constant %u", k);
      PUSH(vm->consts[k]);
      break;
    }
    case OP_NULL: PUSH(val_null()); break;
    case OP_TRUE: PUSH(val_bool(true)); break;
    case OP_FALSE: PUSH(val_bool(false)); break;
    case OP_POP: vm->sp--; break;
    case OP_DUP: { Val v = TOP(); PUSH(v); break; }
    case OP_GETL: case OP_SETL: case OP_SETLD: {
      uint32_t l = rd16(a);
      if (l >= fn->nslots) rt_error(rt, "corrupt module: local %u", l);
      uint32_t i = f->base + l;
      if (op == OP_GETL) { dep_use(vm, vm->sdeps[i]); PUSH(vm->stack[i]); }
      else { vm->stack[i] = POPV(); vm->sdeps[i] = op == OP_SETLD ? dep_close(vm) : (DepRef){0, 0}; }
      break;
    }
    case OP_GETG: case OP_SETG: case OP_SETGD: {
      uint32_t g = rd32(a);
      if (g >= m->nglobals) rt_error(rt, "corrupt module: global %u", g);
      if (op == OP_GETG) {
        if (!vm->gset[g]) rt_error(rt, "'%s' is read before it is evaluated", m->strs[m->globals[g].name].s);
        dep_use(vm, vm->gdeps[g]);
        PUSH(vm->globals[g]);
      } else {
        vm->globals[g] = POPV();
        vm->gset[g] = true;
        vm->gdeps[g] = op == OP_SETGD ? dep_close(vm) : (DepRef){0, 0};
      }
      break;
    }
    case OP_GETE: case OP_SETE: case OP_SETED: {
      uint32_t e = rd16(a);
      if (!f->env || e >= f->nenv) rt_error(rt, "corrupt module: environment slot %u", e);
      if (op == OP_GETE) { dep_use(vm, f->envdeps[e]); PUSH(f->env[e]); }
      else { f->env[e] = POPV(); f->envdeps[e] = op == OP_SETED ? dep_close(vm) : (DepRef){0, 0}; }
      break;
    }
    case OP_DEPS:
      GROW(vm->marks, vm->nmarks, vm->capmarks, vm->nmarks + 1);
      vm->marks[vm->nmarks++] = vm->ndeps;
      break;
    case OP_DEPDROP:
      if (vm->nmarks <= f->nmarks) rt_error(rt, "corrupt module: DEPDROP without DEPS");
      vm->ndeps = vm->marks[--vm->nmarks];
      break;
    case OP_LIST: {
      uint32_t n = rd16(a);
      vm->sp -= n;
      Val l = val_list_of(rt, vm->stack + vm->sp, n);
      PUSH(l);
      break;
    }
    case OP_RECORD: {
      uint32_t k = rd32(a), n = rd16(a + 4);
      if (k >= m->nconsts || vm->consts[k].tag != VT_LIST || vm->consts[k].as.l->n != n)
        rt_error(rt, "corrupt module: RECORD keys");
      VList *keys = vm->consts[k].as.l;
      vm->sp -= n;
      VMap *mp = rt_alloc(rt, sizeof *mp + (size_t)n * sizeof(VEntry));
      mp->n = n;
      uint8_t deep = 0;
      for (uint32_t i = 0; i < n; i++) {
        Val v = vm->stack[vm->sp + i];
        mp->e[i].key = keys->items[i].as.s;
        mp->e[i].val = v;
        if (i && val_compare(keys->items[i - 1], keys->items[i]) >= 0) rt_error(rt, "corrupt module: RECORD keys not sorted");
        if (v.flags & VF_SECRET) deep |= VD_SECRET;
        if (v.tag == VT_UNKNOWN) deep |= VD_UNKNOWN;
        if (v.tag == VT_LIST) deep |= v.as.l->deep;
        if (v.tag == VT_MAP) deep |= v.as.m->deep;
      }
      mp->deep = deep;
      Val r = {.tag = VT_MAP};
      r.as.m = mp;
      PUSH(r);
      break;
    }
    case OP_MAP: {
      uint32_t n = rd16(a);
      vm->sp -= 2 * n;
      MapBuilder b;
      mb_init(&b, rt, n);
      bool sec = false;
      Val unk = val_null();
      for (uint32_t i = 0; i < n; i++) {
        Val k = vm->stack[vm->sp + 2 * i], v = vm->stack[vm->sp + 2 * i + 1];
        if (k.tag == VT_UNKNOWN) { unk = k; continue; }
        if (k.tag != VT_STR) rt_error(rt, "a map key must be a string, not %s", tname(k));
        if (val_is_secret(k)) sec = true;
        mb_put(&b, val_intern(rt, k.as.s->s, k.as.s->len), v);
      }
      Val r = unk.tag == VT_UNKNOWN ? unk : val_map_done(&b);
      PUSH(sec ? val_mark_secret(r) : r);
      break;
    }
    case OP_STR: {
      uint32_t n = rd16(a);
      vm->sp -= n;
      Val *parts = vm->stack + vm->sp;
      bool sec = false, unk = false;
      for (uint32_t i = 0; i < n; i++) {
        if (val_is_secret(parts[i])) sec = true;
        if (parts[i].tag == VT_UNKNOWN) unk = true;
      }
      Val r;
      if (unk) r = val_unknown_of(rt, parts, n);
      else if (n == 1 && parts[0].tag == VT_STR) r = parts[0];
      else {
        vm->nscratch = 0;
        for (uint32_t i = 0; i < n; i++) str_part(vm, parts[i]);
        r = sc_val(vm);
      }
      PUSH(sec ? val_mark_secret(r) : r);
      break;
    }
    case OP_SECRET: TOP() = val_mark_secret(TOP()); break;
    case OP_NEG: {
      Val v = POPV();
      if (v.tag == VT_UNKNOWN) PUSH(v);
      else if (v.tag == VT_INT) {
        if (v.as.i == INT64_MIN) rt_error(rt, "integer overflow in -(%" PRId64 ")", v.as.i);
        PUSH(marks2(val_int(-v.as.i), v, v));
      } else if (v.tag == VT_FLOAT) PUSH(marks2(val_float(rt, -v.as.f), v, v));
      else rt_error(rt, "cannot negate %s", tname(v));
      break;
    }
    case OP_NOT: {
      Val v = POPV();
      if (v.tag == VT_UNKNOWN) PUSH(v);
      else if (v.tag == VT_BOOL) PUSH(marks2(val_bool(!v.as.b), v, v));
      else rt_error(rt, "cannot apply '!' to %s", tname(v));
      break;
    }
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD: {
      Val b = POPV(), x = POPV();
      PUSH(arith(vm, (BcOp)op, x, b));
      break;
    }
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
      Val b = POPV(), x = POPV();
      PUSH(compare(vm, (BcOp)op, x, b));
      break;
    }
    case OP_GETF: case OP_GETFD: {
      uint32_t s = rd32(a);
      if (s >= m->nstrs) rt_error(rt, "corrupt module: string %u", s);
      Val o = POPV();
      if (o.tag == VT_UNKNOWN) { PUSH(o); break; }
      if (o.tag != VT_MAP) rt_error(rt, "cannot read field '%s' of %s", vm->strs[s]->s, tname(o));
      const Val *p = val_map_get(o.as.m, vm->strs[s]->s, vm->strs[s]->len);
      Val r;
      if (p) r = *p;
      else if (op == OP_GETFD) {
        uint32_t k = rd32(a + 4);
        if (k >= m->nconsts) rt_error(rt, "corrupt module: constant %u", k);
        r = vm->consts[k];
      } else rt_error(rt, "the record has no field '%s'", vm->strs[s]->s);
      PUSH(val_is_secret(o) ? val_mark_secret(r) : r);
      break;
    }
    case OP_INDEX: {
      Val i = POPV(), o = POPV();
      PUSH(index_val(vm, o, i));
      break;
    }
    case OP_RESGET: {
      uint32_t s = rd32(a);
      if (s >= m->nstrs) rt_error(rt, "corrupt module: string %u", s);
      Val o = POPV();
      PUSH(resget(vm, o, s, a[4]));
      break;
    }
    case OP_JMP: case OP_JF: case OP_IFU: case OP_JFK: case OP_JTK: case OP_JNN: {
      int32_t rel = (int32_t)rd32(a);
      bool jump = false;
      if (op == OP_JMP) jump = true;
      else if (op == OP_JF) {
        Val c = POPV();
        if (c.tag == VT_UNKNOWN) rt_error(rt, "the condition is known only after deploy");
        if (c.tag != VT_BOOL) rt_error(rt, "a condition must be a bool, not %s", tname(c));
        jump = !c.as.b;
      } else if (op == OP_IFU) jump = TOP().tag == VT_UNKNOWN;
      else if (op == OP_JNN) { if (TOP().tag != VT_NULL) jump = true; else vm->sp--; }
      else {
        Val c = TOP();
        if (c.tag != VT_BOOL) rt_error(rt, "'%s' needs a bool, not %s", op == OP_JFK ? "&&" : "||", tname(c));
        if (c.as.b == (op == OP_JTK)) jump = true; else vm->sp--;
      }
      if (jump) {
        int64_t t = (int64_t)f->pc + rel;
        if (t < 0 || t >= fn->ncode) rt_error(rt, "corrupt module: jump out of '%s'", m->strs[fn->name].s);
        f->pc = (uint32_t)t;
      }
      break;
    }
    case OP_FORPREP: case OP_FORNEXT: {
      uint32_t l = rd16(a);
      int32_t rel = (int32_t)rd32(a + 2);
      if (l + 1 >= fn->nslots) rt_error(rt, "corrupt module: local %u", l);
      Val c = vm->stack[f->base + l];
      Val *pos = &vm->stack[f->base + l + 1];
      bool jump = false;
      if (op == OP_FORPREP) {
        *pos = val_int(0);
        if (c.tag == VT_UNKNOWN) { PUSH(c); jump = true; }
        else if (c.tag != VT_LIST && c.tag != VT_MAP) rt_error(rt, "cannot iterate over %s", tname(c));
      } else {
        if (pos->tag != VT_INT || (c.tag != VT_LIST && c.tag != VT_MAP)) rt_error(rt, "corrupt module: FORNEXT");
        uint32_t n = c.tag == VT_LIST ? c.as.l->n : c.as.m->n;
        if ((uint64_t)pos->as.i >= n) jump = true;
        else {
          uint32_t i = (uint32_t)pos->as.i;
          pos->as.i++;
          Val k, v;
          if (c.tag == VT_LIST) { k = val_int(i); v = c.as.l->items[i]; }
          else { k = (Val){.tag = VT_STR}; k.as.s = c.as.m->e[i].key; v = c.as.m->e[i].val; }
          if (val_is_secret(c)) { k = val_mark_secret(k); v = val_mark_secret(v); }
          PUSH(k);
          PUSH(v);
        }
      }
      if (jump) {
        int64_t t = (int64_t)f->pc + rel;
        if (t < 0 || t >= fn->ncode) rt_error(rt, "corrupt module: jump out of '%s'", m->strs[fn->name].s);
        f->pc = (uint32_t)t;
      }
      break;
    }
    case OP_ACCNEW:
      GROW(vm->accstart, vm->naccs, vm->capaccs, vm->naccs + 1);
      vm->accstart[vm->naccs++] = vm->nacc;
      break;
    case OP_ACCADD: case OP_ACCPUT: {
      if (vm->naccs <= f->nacc) rt_error(rt, "corrupt module: no accumulator");
      uint32_t n = op == OP_ACCADD ? 1 : 2;
      GROW(vm->acc, vm->nacc, vm->capacc, vm->nacc + n);
      vm->sp -= n;
      memcpy(vm->acc + vm->nacc, vm->stack + vm->sp, n * sizeof(Val));
      if (op == OP_ACCPUT && vm->acc[vm->nacc].tag != VT_STR && vm->acc[vm->nacc].tag != VT_UNKNOWN)
        rt_error(rt, "a map key must be a string, not %s", tname(vm->acc[vm->nacc]));
      vm->nacc += n;
      break;
    }
    case OP_ACCLIST: case OP_ACCMAP: {
      if (vm->naccs <= f->nacc) rt_error(rt, "corrupt module: no accumulator");
      uint32_t from = vm->accstart[--vm->naccs];
      uint32_t n = vm->nacc - from;
      Val r;
      if (op == OP_ACCLIST) r = val_list_of(rt, n ? vm->acc + from : NULL, n);   /* acc may be NULL */
      else {
        MapBuilder b;
        mb_init(&b, rt, n / 2);
        bool sec = false;
        Val unk = val_null();
        for (uint32_t i = 0; i + 1 < n; i += 2) {
          Val k = vm->acc[from + i];
          if (k.tag == VT_UNKNOWN) { unk = k; continue; }
          if (k.tag != VT_STR) rt_error(rt, "corrupt module: a map key is %s", tname(k));   /* ACCADD, then ACCMAP */
          if (val_is_secret(k)) sec = true;
          mb_put(&b, k.as.s->interned ? k.as.s : val_intern(rt, k.as.s->s, k.as.s->len), vm->acc[from + i + 1]);
        }
        r = unk.tag == VT_UNKNOWN ? unk : val_map_done(&b);
        if (sec) r = val_mark_secret(r);
      }
      vm->nacc = from;
      PUSH(r);
      break;
    }
    case OP_CALL: {
      uint32_t fi = rd32(a), n = rd16(a + 4);
      if (fi >= m->nfuncs) rt_error(rt, "corrupt module: function %u", fi);
      const BcFunc *cf = &m->funcs[fi];
      bool body = cf->kind == FK_BODY;
      if (vm->protect_next) {
        vm->protect_next = false;
        if (!body || n) rt_error(rt, "corrupt module: a protected call of '%s'", m->strs[cf->name].s);
        uint32_t after = f->pc, depth = vm->nframes;   /* f may move: frames can grow */
        PUSH(protected_call(vm, fi));
        vm->prot_depth = depth;
        vm->prot_pc = after;
        break;
      }
      Val key = val_null();
      if (body && vm->sp >= f->sp0 + n + 1) key = vm->stack[vm->sp - n - 1];
      push_frame(vm, fi, n, body ? f->env : NULL, body ? f->envdeps : NULL, body ? f->nenv : 0,
                 body ? f->inst : GN_NONE);
      if (body) vm->frames[vm->nframes - 1].key = key;
      break;
    }
    case OP_CALLB: {
      uint32_t id = rd16(a), n = rd16(a + 2);
      if (id >= BI__COUNT) rt_error(rt, "corrupt module: built-in %u", id);
      vm->sp -= n;
      Val *args = vm->stack + vm->sp;
      Val r;
      if (id == BI_try || id == BI_can) {
        /* right after a protected CALL: pick the result; anywhere else: arm the next CALL */
        if (vm->prot_depth == vm->nframes && vm->prot_pc == f->ipc) r = try_result(vm, id, args, n);
        else { vm->protect_next = true; r = val_null(); }
        vm->prot_depth = 0;
      }
      else if (id == BI_issensitive && n == 1) r = val_bool(val_is_secret(args[0]));
      else if (id == BI_sensitive && n == 1) r = val_mark_secret(args[0]);
      else if (id == BI_nonsensitive && n == 1) r = val_strip_secret(rt, args[0]);
      else {
        bool unk = false, sec = false;
        for (uint32_t i = 0; i < n; i++) {
          if (val_has_unknown(args[i])) unk = true;
          if (val_has_secret(args[i])) sec = true;
        }
        if (unk && !shape_known(id, args, n)) r = val_unknown_of(rt, args, n);
        else {
          SlFn sf = sl_fn((BuiltinId)id);
          if (!sf) rt_error(rt, "built-in '%s' is not implemented", bi_get((BuiltinId)id)->name);
          /* Built-ins see the values with their marks: the result's mark is the VM's
             business (below), but an error message must know not to quote a secret. */
          Val *plain = args;
          /* file(), templatefile(), ...: relative to the folder of the module the call is
             written in (Terraform's path.module), not the root module's */
          if (bi_get((BuiltinId)id)->flags & BF_PLAN) rt->base_dir = call_dir(vm, f);
          /* a .platb is verified but not typed: never hand a built-in what it cannot take */
          char why[320];
          if (!pb_args_fit((int)id, plain, n, why, sizeof why)) rt_error(rt, "%s", why);
          r = sf(rt, plain, n);
        }
        if (sec) r = val_mark_secret(r);
      }
      PUSH(r);
      break;
    }
    case OP_RET: {
      Val r = POPV();
      Frame done = *f;
      vm->sp = done.base;
      if (vm->naccs > done.nacc) { vm->nacc = vm->accstart[done.nacc]; vm->naccs = done.nacc; }
      if (vm->nmarks > done.nmarks) { vm->ndeps = vm->marks[done.nmarks]; vm->nmarks = done.nmarks; }
      vm->nframes--;
      if (fn->kind == FK_BODY && r.tag == VT_MAP) note_given(vm, fn, done.base, r.as.m);
      if (fn->kind == FK_COMPONENT && done.node != GN_NONE) {
        /* [outputs, members] of the instance */
        if (r.tag != VT_LIST || r.as.l->n < 2 || r.as.l->n > 3) rt_error(rt, "corrupt module: a component returns %s", tname(r));
        vm->g->nodes[done.node].outputs = r.as.l->items[0];
        NodeInfo *ni = &vm->info[done.node];
        ni->members = r.as.l->items[1];
        if (fn->nenv) ni->outdeps = done.envdeps[fn->nenv - 1];
        if (r.as.l->n == 3) ni->outslots = r.as.l->items[2];
        ni->envdeps = done.envdeps;
        ni->nenv = fn->nenv;
        r = val_res(done.node);
      }
      if (vm->nframes < stop || done.to_c) return r;
      PUSH(r);
      break;
    }
    case OP_PARAM: PUSH(param_value(vm, rd32(a))); break;
    case OP_CHECKR: {
      uint32_t q = rd32(a);
      if (q >= m->nchecks) rt_error(rt, "corrupt module: check %u", q);
      Val ok = POPV();
      Val v = TOP();
      if (ok.tag == VT_BOOL && !ok.as.b) {
        const BcCheck *c = &m->checks[q];
        char where[300];
        loc_text(vm, c->loc, where, sizeof where);
        SBuf b;
        sb_init(&b, rt);
        val_show(&b, v, 60);
        sb_addc(&b, 0);
        rt_error(rt, "%s is not a valid %s: `%s` is false (the refinement is at %s)", b.p,
                 m->strs[c->type].s, m->strs[c->pred].s, where);
      }
      break;
    }
    case OP_MKRES: {
      uint32_t r = rd32(a);
      Val dep = POPV(), in = POPV(), key = POPV();
      if (!mkres(vm, r, key, in, dep, f)) PUSH(val_res(vm->g->nnodes - 1));
      break;
    }
    case OP_ASSERT: {
      uint32_t s = rd32(a);
      Val msg = POPV(), c = POPV();
      const char *text = s < m->nstrs ? m->strs[s].s : "?";
      if (c.tag == VT_UNKNOWN || val_has_unknown(msg))
        rt_error(rt, "assertion `%s` needs values known only after deploy", text);
      if (c.tag != VT_BOOL) rt_error(rt, "an assertion must be a bool, not %s", tname(c));
      if (!c.as.b) {
        if (msg.tag == VT_STR && !val_is_secret(msg)) rt_error(rt, "assertion failed: %s", msg.as.s->s);
        rt_error(rt, "assertion failed: `%s`", text);
      }
      break;
    }
    case OP__COUNT: rt_error(rt, "corrupt module: opcode %u", op);
    }
  }
}

/* ---- running ------------------------------------------------------------------------------ */

typedef struct CallArgs { uint32_t fn; const Val *args; uint32_t n; Val out; } CallArgs;

static void do_call(Rt *rt, void *ud) {
  Vm *vm = rt->vm;
  CallArgs *c = ud;
  uint32_t depth = vm->nframes;
  GROW(vm->stack, vm->sp, vm->stackcap, vm->sp + c->n + 8);
  vm->sdeps = plat_xrealloc(vm->sdeps, (size_t)vm->stackcap * sizeof *vm->sdeps);
  for (uint32_t i = 0; i < c->n; i++) vm->stack[vm->sp++] = c->args[i];
  push_frame(vm, c->fn, c->n, NULL, NULL, 0, GN_NONE);
  vm->frames[vm->nframes - 1].to_c = true;
  c->out = run(vm, depth + 1);
}

bool vm_call(Vm *vm, uint32_t fn, const Val *args, uint32_t n, Val *out, VmError *err) {
  CallArgs c = {fn, args, n, val_null()};
  uint32_t nframes = vm->nframes, sp = vm->sp;
  if (rt_protect(&vm->rt, do_call, &c) != 0) {
    fill_error(vm, err);
    vm->nframes = nframes;
    vm->sp = sp;
    vm->nmarks = 0; vm->ndeps = 0; vm->naccs = 0; vm->nacc = 0;
    return false;
  }
  *out = c.out;
  return true;
}

const BcModule *vm_module(const Vm *vm) { return vm->m; }

uint32_t vm_node_rtype(const Vm *vm, uint32_t node) {
  return node < vm->ninfo ? vm->info[node].rtype : BC_NONE;
}

static const char *vm_locate(void *ud, Span s, uint32_t *line, uint32_t *col) {
  const Vm *vm = ud;
  if (s.file >= vm->m->nlocs) return NULL;
  const BcLoc *l = &vm->m->locs[s.file];
  if (l->file >= vm->m->nstrs || !l->line) return NULL;
  *line = l->line;
  *col = l->col;
  return vm->m->strs[l->file].s;
}

/* Explicit dependencies on an instance or keyed copies mean every resource inside.  The
 * resources inside each instance are listed once (CSR: in[at[i]..at[i + 1]), ascending)
 * rather than searched for again for every node that names one. */
static void expand_explicit(Vm *vm) {
  Graph *g = vm->g;
  bool any = false;
  for (uint32_t i = 0; i < g->nnodes && !any; i++)
    for (uint32_t j = 0; j < g->nodes[i].nexplicit; j++) {
      uint32_t d = g->nodes[i].explicit_deps[j];
      if (d < g->nnodes && g->nodes[d].kind == GN_INSTANCE) any = true;
    }
  if (!any) return;
  /* rt memory (zeroed, freed with the run, counted against its limit) */
  uint32_t *at = rt_alloc(&vm->rt, ((size_t)g->nnodes + 2) * sizeof *at);
  for (int pass = 0; pass < 2; pass++) {
    uint32_t *in = pass ? rt_alloc(&vm->rt, (size_t)(at[g->nnodes] ? at[g->nnodes] : 1) * sizeof *in) : NULL;
    uint32_t *fill = pass ? rt_alloc(&vm->rt, ((size_t)g->nnodes + 1) * sizeof *fill) : NULL;
    for (uint32_t k = 0; k < g->nnodes; k++) {
      if (g->nodes[k].kind != GN_RESOURCE) continue;
      for (uint32_t p = g->nodes[k].parent, hops = 0; p != GN_NONE && p < g->nnodes && hops < 1000; p = g->nodes[p].parent, hops++) {
        if (pass) in[at[p] + fill[p]++] = k;
        else at[p + 1]++;
      }
    }
    if (!pass) {
      for (uint32_t i = 0; i < g->nnodes; i++) at[i + 1] += at[i];
      continue;
    }
    for (uint32_t i = 0; i < g->nnodes; i++) {
      GNode *n = &g->nodes[i];
      bool names = false;
      for (uint32_t j = 0; j < n->nexplicit; j++)
        if (n->explicit_deps[j] < g->nnodes && g->nodes[n->explicit_deps[j]].kind == GN_INSTANCE) names = true;
      if (!names) continue;
      uint32_t nout = 0;
      for (uint32_t j = 0; j < n->nexplicit; j++) {
        uint32_t d = n->explicit_deps[j];
        if (d < g->nnodes) nout += g->nodes[d].kind == GN_INSTANCE ? at[d + 1] - at[d] : 1;
      }
      uint32_t *out = rt_alloc(&vm->rt, (size_t)(nout ? nout : 1) * sizeof *out), o = 0;
      for (uint32_t j = 0; j < n->nexplicit; j++) {
        uint32_t d = n->explicit_deps[j];
        if (d >= g->nnodes) continue;
        if (g->nodes[d].kind != GN_INSTANCE) { out[o++] = d; continue; }
        memcpy(out + o, in + at[d], (at[d + 1] - at[d]) * sizeof *out);
        o += at[d + 1] - at[d];
      }
      n->explicit_deps = out;
      n->nexplicit = nout;
    }
  }
}

typedef struct RunArgs { Graph *g; } RunArgs;

/* The folder relative paths of file(), templatefile(), ... resolve against: the root
 * module's (a folder, or the folder of a one-file module). */
static void set_base_dir(Vm *vm) {
  const BcModule *m = vm->m;
  const char *mod = NULL;
  for (uint32_t i = 0; i < m->nglobals && !mod; i++)
    if (m->globals[i].root && m->globals[i].module < m->nstrs) mod = m->strs[m->globals[i].module].s;
  for (uint32_t i = 0; i < m->nresdecls && !mod; i++)
    if (m->resdecls[i].module < m->nstrs) mod = m->strs[m->resdecls[i].module].s;
  if (!mod || !*mod) return;
  size_t n = strlen(mod);
  if (n > 5 && strcmp(mod + n - 5, ".plat") == 0) {
    const char *slash = strrchr(mod, '/');
    vm->rt.base_dir = slash ? arena_strndup(&vm->rt.arena, mod, (size_t)(slash - mod) + (slash == mod)) : ".";
  } else {
    vm->rt.base_dir = arena_strdup(&vm->rt.arena, mod);
  }
}

static void do_run(Rt *rt, void *ud) {
  Vm *vm = rt->vm;
  (void)ud;
  const BcModule *m = vm->m;
  set_base_dir(vm);
  vm->root_dir = rt->base_dir;
  rt->template_hook = vm_template;
  load(rt, vm);
  if (m->main >= m->nfuncs) rt_error(rt, "corrupt module: no main function");
  push_frame(vm, m->main, 0, NULL, NULL, 0, GN_NONE);
  vm->frames[vm->nframes - 1].to_c = true;
  run(vm, 1);
  /* root outputs */
  MapBuilder b;
  mb_init(&b, rt, m->noutputs);
  for (uint32_t i = 0; i < m->noutputs; i++) {
    const BcOutput *o = &m->outputs[i];
    if (o->global >= m->nglobals || o->name >= m->nstrs) rt_error(rt, "corrupt module: output %u", i);
    mb_put(&b, vm->strs[o->name], vm->globals[o->global]);
  }
  vm->g->outputs = val_map_done(&b);
  for (uint32_t i = 0; i < m->nmoved; i++) {
    GMoved mv = {m->strs[m->moved[i].from].s, m->strs[m->moved[i].to].s, {m->moved[i].loc, 0, 0}};
    graph_add_moved(vm->g, &mv);
  }
  expand_explicit(vm);
}

bool vm_run(Vm *vm, Graph *g, VmError *err) {
  vm->g = g;
  g->locate = vm_locate;
  g->locate_ud = vm;
  g->source_hash = vm->m->source_hash[0] ? vm->m->source_hash : NULL;
  vm->addr_check = true;
  int failed = rt_protect(&vm->rt, do_run, NULL);
  vm->addr_check = false;
  if (failed != 0) {
    fill_error(vm, err);
    return false;
  }
  vm->nframes = 0;
  vm->sp = 0;
  if (!vm->opt.no_policies && !vm_run_policies(vm, g, err)) return false;
  if (getenv("PLATC_VM_STATS")) fprintf(stderr, "vm: %" PRIu64 " steps, %zu bytes\n", vm->steps, vm->rt.used);
  if (!vm->opt.no_finish) graph_finish(g);
  return true;
}

bool vm_global(Vm *vm, const char *name, Val *out) {
  for (uint32_t i = 0; i < vm->m->nglobals; i++) {
    const BcGlobal *gl = &vm->m->globals[i];
    if (gl->root && gl->name < vm->m->nstrs && strcmp(vm->m->strs[gl->name].s, name) == 0 && vm->gset[i]) {
      *out = vm->globals[i];
      return true;
    }
  }
  return false;
}

bool vm_run_test(Vm *vm, uint32_t t, VmError *err) {
  if (t >= vm->m->ntests) return false;
  Val out;
  return vm_call(vm, vm->m->tests[t].fn, NULL, 0, &out, err);
}
