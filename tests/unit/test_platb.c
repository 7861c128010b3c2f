/* vm/platb.c, vm/verify.c, vm/pbio.c: the .platb file and its verifier.  A hand-made
 * module that uses every table round-trips to the same bytes; each verifier rule is shown
 * a module (or a file) that breaks exactly it, and the message is checked; a file cut at
 * every byte, and files with random bit flips, are refused or load, never crash; compiled
 * examples (when the compiler is linked in) verify and round-trip too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compiler/builtins.h"
#include "compiler/compiler.h"
#include "compiler/emit.h"
#include "vm/platb.h"
#include "vm/vm.h"

/* ---- a tiny assembler ---------------------------------------------------------------- */
typedef struct Asm {
  uint8_t b[512];
  uint32_t n;
} Asm;

static void op(Asm *a, BcOp o) { a->b[a->n++] = (uint8_t)o; }
static void u8(Asm *a, uint32_t v) { a->b[a->n++] = (uint8_t)v; }
static void u16(Asm *a, uint32_t v) { u8(a, v & 0xff); u8(a, v >> 8); }
static void u32(Asm *a, uint32_t v) { u16(a, v & 0xffff); u16(a, v >> 16); }

static void set_code(BcModule *m, uint32_t fn, const Asm *a, uint16_t maxstack) {
  BcFunc *f = &m->funcs[fn];
  f->code = arena_alloc(&m->arena, a->n);
  memcpy(f->code, a->b, a->n);
  f->ncode = a->n;
  f->maxstack = maxstack;
  f->lines = arena_calloc(&m->arena, 1, sizeof *f->lines);
  f->lines[0] = (BcLine){0, 0};
  f->nlines = 1;
}

/* ---- the reference module: every table used ------------------------------------------- */
enum { S_MAIN, S_FILE, S_X, S_A, S_B, S_SERVICE, S_FILETYPE, S_LOCAL, S_BODY, S_RULE, S_TEST,
       S_CHECK, S_INT, S_PRED, S_TITLE, S_OLD, S_NEW, S_SITE, S_DOT, NSTRS };
static const char *const strs[NSTRS] = {
  "main", "main.plat", "x", "a", "b", "Service", "local.File", "local", "body", "rule", "test",
  "check", "int", "x > 0", "files stay", "old", "new", "site", ".",
};
enum { K_42, K_A, K_B, K_AB, K_MAP, K_FLOAT, K_TRUE, K_NULL, NCONSTS };
enum { F_MAIN, F_COMP, F_BODY, F_RULE, F_TEST, F_CHECK, NFUNCS };

static BcModule *mk(void) {
  BcModule *m = bc_new();
  Arena *ar = &m->arena;
  m->nstrs = NSTRS;
  m->strs = arena_calloc(ar, NSTRS, sizeof *m->strs);
  for (int i = 0; i < NSTRS; i++) {
    m->strs[i].s = arena_strdup(ar, strs[i]);
    m->strs[i].len = (uint32_t)strlen(strs[i]);
  }
  m->nconsts = NCONSTS;
  m->consts = arena_calloc(ar, NCONSTS, sizeof *m->consts);
  m->consts[K_42] = (BcConst){.kind = BK_INT, .u.i = -42};
  m->consts[K_A] = (BcConst){.kind = BK_STR, .u.str = S_A};
  m->consts[K_B] = (BcConst){.kind = BK_STR, .u.str = S_B};
  uint32_t *items = arena_calloc(ar, 2, sizeof *items);
  items[0] = K_A;
  items[1] = K_B;
  m->consts[K_AB] = (BcConst){.kind = BK_LIST, .n = 2, .u.items = items};
  uint32_t *keys = arena_calloc(ar, 1, sizeof *keys), *vals = arena_calloc(ar, 1, sizeof *vals);
  keys[0] = S_A;
  vals[0] = K_42;
  m->consts[K_MAP] = (BcConst){.kind = BK_MAP, .n = 1, .u.map = {keys, vals}};
  m->consts[K_FLOAT] = (BcConst){.kind = BK_FLOAT, .u.f = 1.5};
  m->consts[K_TRUE] = (BcConst){.kind = BK_BOOL, .u.b = true};
  m->consts[K_NULL] = (BcConst){.kind = BK_NULL};
  m->nlocs = 2;
  m->locs = arena_calloc(ar, 2, sizeof *m->locs);
  m->locs[0] = (BcLoc){S_FILE, 1, 1};
  m->locs[1] = (BcLoc){S_FILE, 3, 5};

  m->nfuncs = NFUNCS;
  m->funcs = arena_calloc(ar, NFUNCS, sizeof *m->funcs);
  m->main = F_MAIN;
  m->funcs[F_MAIN] = (BcFunc){.name = S_MAIN, .kind = FK_MAIN, .nslots = 1, .loc = 0};
  m->funcs[F_COMP] = (BcFunc){.name = S_SERVICE, .kind = FK_COMPONENT, .nenv = 2, .loc = 1};
  m->funcs[F_BODY] = (BcFunc){.name = S_BODY, .kind = FK_BODY, .nparams = 1, .nslots = 1, .loc = 1};
  m->funcs[F_RULE] = (BcFunc){.name = S_RULE, .kind = FK_RULE, .nparams = 1, .nslots = 1, .loc = 1};
  m->funcs[F_TEST] = (BcFunc){.name = S_TEST, .kind = FK_TEST, .loc = 1};
  m->funcs[F_CHECK] = (BcFunc){.name = S_CHECK, .kind = FK_CHECK, .nparams = 1, .nslots = 1, .loc = 1};
  Asm a = {0};
  /* main: a dependency mark closed by SETGD, a param, a record, a loop with an
   * accumulator, a check, a built-in call, && and ?? */
  op(&a, OP_DEPS); op(&a, OP_PARAM); u32(&a, 0); op(&a, OP_SETGD); u32(&a, 0);
  op(&a, OP_CONST); u32(&a, K_42); op(&a, OP_CONST); u32(&a, K_FLOAT);
  op(&a, OP_RECORD); u32(&a, K_AB); u16(&a, 2); op(&a, OP_SETL); u16(&a, 0);
  op(&a, OP_GETL); u16(&a, 0); op(&a, OP_DUP);
  op(&a, OP_CALL); u32(&a, F_CHECK); u16(&a, 1); op(&a, OP_CHECKR); u32(&a, 0);
  op(&a, OP_CALLB); u16(&a, BI_length); u16(&a, 1);
  op(&a, OP_TRUE); op(&a, OP_JFK); u32(&a, 1); op(&a, OP_FALSE); op(&a, OP_POP);
  op(&a, OP_NULL); op(&a, OP_JNN); u32(&a, 1); op(&a, OP_NULL);
  op(&a, OP_SETG); u32(&a, 1);
  op(&a, OP_RET);
  set_code(m, F_MAIN, &a, 2);
  m->funcs[F_MAIN].nslots = 2;
  /* the component: reads its environment and calls its body, which shares it */
  a.n = 0;
  op(&a, OP_GETE); u16(&a, 1); op(&a, OP_CALL); u32(&a, F_BODY); u16(&a, 1);
  op(&a, OP_ACCNEW); op(&a, OP_ACCADD); op(&a, OP_ACCLIST); op(&a, OP_RET);
  set_code(m, F_COMP, &a, 1);
  a.n = 0;
  op(&a, OP_GETE); u16(&a, 0); op(&a, OP_GETL); u16(&a, 0); op(&a, OP_ADD); op(&a, OP_RET);
  set_code(m, F_BODY, &a, 2);
  a.n = 0;
  op(&a, OP_GETL); u16(&a, 0); op(&a, OP_RESGET); u32(&a, S_A); u8(&a, RG_INPUT); op(&a, OP_RET);
  set_code(m, F_RULE, &a, 1);
  a.n = 0;
  op(&a, OP_TRUE); op(&a, OP_CONST); u32(&a, K_A); op(&a, OP_ASSERT); u32(&a, S_PRED);
  op(&a, OP_NULL); op(&a, OP_RET);
  set_code(m, F_TEST, &a, 2);
  a.n = 0;
  op(&a, OP_TRUE); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);

  m->nglobals = 2;
  m->globals = arena_calloc(ar, 2, sizeof *m->globals);
  m->globals[0] = (BcGlobal){S_X, S_DOT, GK_PARAM, true, 0};
  m->globals[1] = (BcGlobal){S_SITE, S_DOT, GK_RESOURCE, true, 1};
  m->nparams = 1;
  m->params = arena_calloc(ar, 1, sizeof *m->params);
  m->params[0] = (BcParam){S_X, 0, PK_INT, false, true, K_42, BC_NONE, S_INT, 0, S_INT};
  m->nchecks = 1;
  m->checks = arena_calloc(ar, 1, sizeof *m->checks);
  m->checks[0] = (BcCheck){S_INT, S_PRED, 0};
  m->nrtypes = 2;
  m->rtypes = arena_calloc(ar, 2, sizeof *m->rtypes);
  m->rtypes[0] = (BcRType){S_FILETYPE, S_LOCAL, BC_NONE, BC_NONE, K_MAP, S_DOT};
  m->rtypes[1] = (BcRType){S_SERVICE, BC_NONE, F_COMP, K_AB, BC_NONE, S_DOT};
  m->nresdecls = 1;
  m->resdecls = arena_calloc(ar, 1, sizeof *m->resdecls);
  m->resdecls[0] = (BcResDecl){S_SITE, 0, RD_KEYED | RD_PROTECT, K_AB, BC_NONE, S_DOT, 1};
  m->npolicies = 1;
  m->policies = arena_calloc(ar, 1, sizeof *m->policies);
  BcRule *rules = arena_calloc(ar, 1, sizeof *rules);
  rules[0] = (BcRule){1, F_RULE, F_RULE, 1};
  m->policies[0] = (BcPolicy){S_TITLE, 0, 1, rules, 1};
  m->ntests = 1;
  m->tests = arena_calloc(ar, 1, sizeof *m->tests);
  m->tests[0] = (BcTest){S_TITLE, F_TEST, S_DOT, 1};
  m->nmoved = 1;
  m->moved = arena_calloc(ar, 1, sizeof *m->moved);
  m->moved[0] = (BcMoved){S_OLD, S_NEW, 1};
  m->noutputs = 1;
  m->outputs = arena_calloc(ar, 1, sizeof *m->outputs);
  m->outputs[0] = (BcOutput){S_X, 0};
  m->nsources = 1;
  m->sources = arena_calloc(ar, 1, sizeof *m->sources);
  m->sources[0] = S_FILE;
  strcpy(m->source_hash, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  return m;
}

/* Verify [m] (freed): expect failure with a message containing [want]. */
static void expect_bad(BcModule *m, const char *want) {
  char err[PB_ERRMAX];
  bool ok = pb_verify(m, "t.platb", err);
  if (ok || !strstr(err, want)) {
    fprintf(stderr, "expected a failure containing \"%s\", got %s: \"%s\"\n", want, ok ? "success" : "failure", err);
    fail();
  }
  assert_true(strncmp(err, "t.platb: ", 9) == 0);
  bc_free(m);
}

static uint8_t *write_mod(const BcModule *m, size_t *len) { return pb_write(m, len); }

/* Load [n] bytes: expect failure with [want] in the message. */
static void expect_load_bad(const uint8_t *b, size_t n, const char *want) {
  char err[PB_ERRMAX];
  BcModule *m = pb_load(b, n, "t.platb", err);
  if (m || !strstr(err, want)) {
    fprintf(stderr, "expected a load failure containing \"%s\", got %s: \"%s\"\n", want, m ? "success" : "failure", err);
    bc_free(m);
    fail();
  }
}

/* ---- round trip ---------------------------------------------------------------------- */
static void test_reference_verifies(void **state) {
  (void)state;
  BcModule *m = mk();
  char err[PB_ERRMAX];
  if (!pb_verify(m, "t.platb", err)) fprintf(stderr, "%s\n", err);
  assert_true(pb_verify(m, "t.platb", err));
  bc_free(m);
}

static void test_round_trip(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n1, n2;
  uint8_t *b1 = write_mod(m, &n1);
  assert_memory_equal(b1, PB_MAGIC, PB_MAGIC_LEN);
  char err[PB_ERRMAX];
  BcModule *l = pb_load(b1, n1, "t.platb", err);
  if (!l) fprintf(stderr, "%s\n", err);
  assert_non_null(l);
  assert_string_equal(l->source_hash, m->source_hash);
  assert_int_equal(l->nfuncs, NFUNCS);
  assert_int_equal(l->consts[K_42].u.i, -42);
  assert_true(l->consts[K_FLOAT].u.f == 1.5);
  assert_int_equal(l->params[0].deflt, K_42);
  assert_int_equal(l->params[0].members, BC_NONE);
  assert_int_equal(l->params[0].desc, S_INT);
  assert_true(l->params[0].secret);
  assert_int_equal(l->rtypes[0].fn, BC_NONE);
  assert_int_equal(l->resdecls[0].flags, RD_KEYED | RD_PROTECT);
  assert_string_equal(l->strs[l->sources[0]].s, "main.plat");
  uint8_t *b2 = write_mod(l, &n2);
  assert_int_equal(n1, n2);
  assert_memory_equal(b1, b2, n1);
  free(b1);
  free(b2);
  bc_free(l);
  bc_free(m);
}

static void test_no_hash_round_trips(void **state) {
  (void)state;
  BcModule *m = mk();
  m->source_hash[0] = 0;
  size_t n;
  uint8_t *b = write_mod(m, &n);
  char err[PB_ERRMAX];
  BcModule *l = pb_load(b, n, "t.platb", err);
  assert_non_null(l);
  assert_string_equal(l->source_hash, "");
  free(b);
  bc_free(l);
  bc_free(m);
}

/* ---- file-level rules ------------------------------------------------------------------ */
static void test_bad_magic(void **state) {
  (void)state;
  expect_load_bad((const uint8_t *)"resource x: local.File {}\n", 26,
                  "t.platb: not a .platb file: it does not start with the .platb magic bytes");
  expect_load_bad((const uint8_t *)"", 0, "not a .platb file");
}

static void test_magic_text_mode(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = write_mod(m, &n);
  memmove(b + 7, b + 8, n - 8);   /* \r\n -> \n */
  expect_load_bad(b, n - 1, "text-mode transfer");
  free(b);
  bc_free(m);
}

static void test_newer_version(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = write_mod(m, &n);
  b[8] = BC_FORMAT_VERSION + 1;
  char want[128];
  snprintf(want, sizeof want, "t.platb: unsupported: format version %d is newer than this platc reads (%d)",
           BC_FORMAT_VERSION + 1, BC_FORMAT_VERSION);
  expect_load_bad(b, n, want);
  free(b);
  bc_free(m);
}

static void test_header_flags(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = write_mod(m, &n);
  b[13] = 1;
  expect_load_bad(b, n, "corrupt: header flags 0x100 set");
  free(b);
  bc_free(m);
}

static void test_trailing_bytes(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = write_mod(m, &n);
  b = realloc(b, n + 3);
  memset(b + n, 0, 3);
  expect_load_bad(b, n + 3, "corrupt: 3 bytes after the last section");
  free(b);
  bc_free(m);
}

/* Every prefix of a real file is refused, never read past (ASan watches). */
static void test_truncated_everywhere(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = write_mod(m, &n);
  for (size_t cut = 0; cut < n; cut++) {
    uint8_t *p = malloc(cut ? cut : 1);
    memcpy(p, b, cut);
    char err[PB_ERRMAX];
    BcModule *l = pb_load(p, cut, "t.platb", err);
    if (l) fprintf(stderr, "a file cut at byte %zu of %zu loaded\n", cut, n);
    assert_null(l);
    assert_true(strncmp(err, "t.platb: ", 9) == 0);
    if (cut >= PB_MAGIC_LEN) assert_non_null(strstr(err, "truncated"));
    free(p);
  }
  free(b);
  bc_free(m);
}

/* Section i's first byte: walk the section headers. */
static size_t section_at(const uint8_t *b, size_t n, int which) {
  size_t pos = PB_HEADER_LEN;
  for (int i = 1; i < which && pos < n; i++) {
    pos++;   /* id */
    uint64_t len = 0;
    int shift = 0;
    while (b[pos] & 0x80) { len |= (uint64_t)(b[pos++] & 0x7f) << shift; shift += 7; }
    len |= (uint64_t)b[pos++] << shift;
    pos += len;
  }
  return pos;
}

static void test_section_order(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = write_mod(m, &n);
  size_t at = section_at(b, n, 2);
  b[at] = 9;
  expect_load_bad(b, n, "corrupt: expected the constant pool (section 2)");
  free(b);
  bc_free(m);
}

static void test_section_too_long(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = write_mod(m, &n);
  size_t at = section_at(b, n, 14);   /* the source list: short, one-byte length */
  b[at + 1] = 0x7f;
  expect_load_bad(b, n, "truncated: the source list");
  free(b);
  bc_free(m);
}

static void test_section_left_over(void **state) {
  (void)state;
  BcModule *m = mk();
  m->nsources = 0;   /* the section's count says 0 but its length below says 2 */
  size_t n;
  uint8_t *b = write_mod(m, &n);
  /* last section: id 14, length 1, count 0 -> length 2 with a stray byte after */
  assert_int_equal(b[n - 3], 14);
  assert_int_equal(b[n - 2], 1);
  b = realloc(b, n + 1);
  b[n - 2] = 2;
  b[n] = 0;
  expect_load_bad(b, n + 1, "corrupt: the source list (at byte");
  expect_load_bad(b, n + 1, "has 1 bytes left over after its last entry");
  free(b);
  bc_free(m);
}

static void test_varint_not_shortest(void **state) {
  (void)state;
  BcModule *m = mk();
  m->nsources = 0;
  size_t n;
  uint8_t *b = write_mod(m, &n);
  /* the last section's count 0 spelled as 0x80 0x00 */
  b = realloc(b, n + 1);
  b[n - 2] = 2;
  b[n - 1] = 0x80;
  b[n] = 0;
  expect_load_bad(b, n + 1, "is not in its shortest form");
  free(b);
  bc_free(m);
}

/* The byte level: extremes round-trip; more than 64 bits is refused, never shifted. */
static void test_varints(void **state) {
  (void)state;
  PbBuf b;
  pbw_init(&b);
  pbw_uv(&b, UINT64_MAX);
  pbw_sv(&b, INT64_MIN);
  pbw_sv(&b, INT64_MAX);
  pbw_sv(&b, -1);
  pbw_f64(&b, -0.5);
  PbReader r;
  pbr_init(&r, "t.platb", b.p, b.len);
  assert_true(pbr_uv(&r, UINT64_MAX, "x") == UINT64_MAX);
  assert_true(pbr_sv(&r) == INT64_MIN);
  assert_true(pbr_sv(&r) == INT64_MAX);
  assert_true(pbr_sv(&r) == -1);
  assert_true(pbr_f64(&r) == -0.5);
  assert_false(r.failed);
  assert_int_equal(r.pos, b.len);
  pbw_free(&b);
  static const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81, 0x01};
  pbr_init(&r, "t.platb", eleven, sizeof eleven);
  pbr_uv(&r, UINT64_MAX, "count");
  assert_true(r.failed);
  assert_string_equal(r.err, "t.platb: corrupt: count: integer at byte 0 does not fit in 64 bits");
  static const uint8_t over[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02};
  pbr_init(&r, "t.platb", over, sizeof over);
  pbr_uv(&r, UINT64_MAX, "count");
  assert_true(r.failed);
  static const uint8_t big[] = {0x81, 0x01};
  pbr_init(&r, "t.platb", big, sizeof big);
  pbr_uv(&r, 100, "string count");
  assert_string_equal(r.err, "t.platb: corrupt: string count 129 at byte 0 is over the limit of 100");
}

static void test_count_past_file(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = write_mod(m, &n);
  /* the string count claims 2^27 strings in a file of a few hundred bytes */
  size_t at = section_at(b, n, 1);
  size_t len_at = at + 1;
  assert_true(b[len_at] < 0x80 || b[len_at + 1] < 0x80);
  size_t count_at = len_at + ((b[len_at] & 0x80) ? 2 : 1);
  assert_int_equal(b[count_at], NSTRS);
  uint8_t *p = malloc(n + 3);
  memcpy(p, b, count_at);
  p[count_at] = 0x80; p[count_at + 1] = 0x80; p[count_at + 2] = 0x80; p[count_at + 3] = 0x40;
  memcpy(p + count_at + 4, b + count_at + 1, n - count_at - 1);
  /* the section's own length is now 3 short of its content: adjust it */
  p[len_at] = (uint8_t)(p[len_at] + 3);
  expect_load_bad(p, n + 3, "string count 134217728");
  free(p);
  free(b);
  bc_free(m);
}

static void test_string_not_utf8_in_file(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = write_mod(m, &n);
  uint8_t *p = NULL;
  for (size_t i = 0; i + 7 <= n && !p; i++)
    if (memcmp(b + i, "Service", 7) == 0) p = b + i;
  assert_non_null(p);
  p[0] = 0xff;
  expect_load_bad(b, n, "is not valid UTF-8");
  p[0] = 0;
  expect_load_bad(b, n, "holds a NUL byte");
  free(b);
  bc_free(m);
}

static void test_bad_boolean(void **state) {
  (void)state;
  BcModule *m = mk();
  m->consts[K_TRUE].u.b = true;
  size_t n;
  uint8_t *b = write_mod(m, &n);
  /* the BOOL constant is kind 6 then 1; find it in the constant pool */
  size_t at = section_at(b, n, 2), end = section_at(b, n, 3);
  bool found = false;
  for (size_t i = at + 2; i + 1 < end; i++)
    if (b[i] == BK_BOOL && b[i + 1] == 1 && b[i + 2] == BK_NULL) { b[i + 1] = 2; found = true; break; }
  assert_true(found);
  expect_load_bad(b, n, "is 2, not a boolean");
  free(b);
  bc_free(m);
}

static void test_unknown_constant_kind(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = write_mod(m, &n);
  size_t at = section_at(b, n, 2);
  /* id, length (1 byte), count, first constant's kind */
  assert_int_equal(b[at + 3], BK_INT);
  b[at + 3] = 77;
  expect_load_bad(b, n, "constant kind 77");
  free(b);
  bc_free(m);
}

/* ---- table rules ----------------------------------------------------------------------- */
static void test_string_not_utf8(void **state) {
  (void)state;
  BcModule *m = mk();
  m->strs[S_B].s = "\xc3";
  m->strs[S_B].len = 1;
  expect_bad(m, "t.platb: corrupt: string 4 is not valid UTF-8");
}

static void test_const_string_index(void **state) {
  (void)state;
  BcModule *m = mk();
  m->consts[K_A].u.str = 999;
  expect_bad(m, "string constant: string index 999 out of range (19 strings)");
}

static void test_const_forward_ref(void **state) {
  (void)state;
  BcModule *m = mk();
  m->consts[K_AB].u.items[1] = K_MAP;
  expect_bad(m, "constant 3: item 1 refers to constant 4, not an earlier one");
}

static void test_map_keys_unsorted(void **state) {
  (void)state;
  BcModule *m = mk();
  uint32_t *keys = arena_calloc(&m->arena, 2, sizeof *keys), *vals = arena_calloc(&m->arena, 2, sizeof *vals);
  keys[0] = S_B; keys[1] = S_A;
  vals[0] = vals[1] = K_42;
  m->consts[K_MAP] = (BcConst){.kind = BK_MAP, .n = 2, .u.map = {keys, vals}};
  expect_bad(m, "constant 4: map keys are not sorted and unique (entry 1)");
}

static void test_float_not_finite(void **state) {
  (void)state;
  BcModule *m = mk();
  m->consts[K_FLOAT].u.f = NAN;
  expect_bad(m, "constant 5 is a float that is not finite");
}

static void test_const_too_deep(void **state) {
  (void)state;
  BcModule *m = mk();
  uint32_t n = PB_MAX_CONST_DEPTH + 2;
  BcConst *c = arena_calloc(&m->arena, NCONSTS + n, sizeof *c);
  memcpy(c, m->consts, NCONSTS * sizeof *c);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t *it = arena_calloc(&m->arena, 1, sizeof *it);
    it[0] = NCONSTS + i - 1;
    c[NCONSTS + i] = (BcConst){.kind = BK_LIST, .n = 1, .u.items = it};
  }
  m->consts = c;
  m->nconsts = NCONSTS + n;
  expect_bad(m, "levels deep (the limit is 2048)");
}

static void test_location_zero(void **state) {
  (void)state;
  BcModule *m = mk();
  m->locs[1].line = 0;
  expect_bad(m, "location 1 has line 0, column 5 (both count from 1, or both are 0)");
}

static void test_no_main(void **state) {
  (void)state;
  BcModule *m = mk();
  m->main = BC_NONE;
  expect_bad(m, "no main function");
  m = mk();
  m->main = F_TEST;
  expect_bad(m, "main: function 'test' is of kind 6, expected 0");
}

static void test_unknown_opcode(void **state) {
  (void)state;
  BcModule *m = mk();
  m->funcs[F_CHECK].code[0] = 250;
  expect_bad(m, "unknown opcode 250 at pc 0 of function 'check'");
}

static void test_insn_past_end(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_CONST); u16(&a, 0);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "function 'check', pc 0 (CONST): the instruction's 5 bytes run past the end of the code (3 bytes)");
}

static void test_const_operand(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_CONST); u32(&a, 8); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "function 'check', pc 0 (CONST): constant index 8 out of range (8 constants)");
}

static void test_string_operand(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_GETL); u16(&a, 0); op(&a, OP_GETF); u32(&a, 19); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "function 'check', pc 3 (GETF): string index 19 out of range (19 strings)");
}

static void test_local_operand(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_GETL); u16(&a, 1); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "function 'check', pc 0 (GETL): local slot 1 out of range (1 slots)");
  /* a loop uses l and l + 1 */
  m = mk();
  a.n = 0;
  op(&a, OP_FORPREP); u16(&a, 0); u32(&a, 0); op(&a, OP_TRUE); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "(FORPREP): local slot 1 out of range (1 slots)");
}

static void test_global_operand(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_GETG); u32(&a, 2); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "(GETG): global slot 2 out of range (2 globals)");
}

static void test_other_operands(void **state) {
  (void)state;
  struct { BcOp o; const char *fmt; const char *want; } cases[] = {
    {OP_PARAM, "p", "(PARAM): param 7 out of range (1 params)"},
    {OP_CHECKR, "q", "(CHECKR): refinement check 7 out of range (1)"},
    {OP_MKRES, "r", "(MKRES): resource declaration 7 out of range (1)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    BcModule *m = mk();
    Asm a = {0};
    op(&a, cases[i].o); u32(&a, 7); op(&a, OP_RET);
    set_code(m, F_CHECK, &a, 3);
    expect_bad(m, cases[i].want);
  }
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_GETL); u16(&a, 0); op(&a, OP_RESGET); u32(&a, S_A); u8(&a, RG__COUNT); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "(RESGET): mode 4 out of range (4 modes)");
  m = mk();
  a.n = 0;
  op(&a, OP_CALLB); u16(&a, BI__COUNT); u16(&a, 0); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "(CALLB): built-in");
  m = mk();
  a.n = 0;
  op(&a, OP_CALL); u32(&a, NFUNCS); u16(&a, 0); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "(CALL): function index 6 out of range (6 functions)");
}

static void test_jump_outside(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_TRUE); op(&a, OP_JMP); u32(&a, 906); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "t.platb: corrupt: jump target 912 outside function 'check' (7 bytes), at pc 1 (JMP)");
  m = mk();
  a.n = 0;
  op(&a, OP_TRUE); op(&a, OP_JF); u32(&a, (uint32_t)-20); op(&a, OP_TRUE); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "jump target -14 outside function 'check'");
}

static void test_jump_mid_instruction(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_JMP); u32(&a, 1); op(&a, OP_CONST); u32(&a, 0); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "jump target 6 in function 'check' is not on an instruction boundary, at pc 0 (JMP)");
}

static void test_falls_off_end(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_TRUE);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "control falls off the end of function 'check' (1 bytes) after pc 0 (TRUE)");
}

static void test_stack_underflow(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_TRUE); op(&a, OP_ADD); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 2);
  expect_bad(m, "function 'check', pc 1 (ADD): needs 2 values on the stack, which holds 1");
  m = mk();
  a.n = 0;
  op(&a, OP_TRUE); op(&a, OP_LIST); u16(&a, 3); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 2);
  expect_bad(m, "(LIST): needs 3 values on the stack, which holds 1");
  m = mk();
  a.n = 0;
  op(&a, OP_TRUE); op(&a, OP_MAP); u16(&a, 1); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 2);
  expect_bad(m, "(MAP): needs 2 values on the stack, which holds 1");
  m = mk();
  a.n = 0;
  op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 2);
  expect_bad(m, "(RET): needs 1 values on the stack, which holds 0");
}

static void test_stack_over_declared(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_TRUE); op(&a, OP_TRUE); op(&a, OP_POP); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "function 'check', pc 1 (TRUE): the operand stack grows to 2, over the function's declared 1");
}

static void test_stack_paths_differ(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  /* if true jump over a push: two depths meet at RET */
  op(&a, OP_TRUE); op(&a, OP_TRUE); op(&a, OP_JF); u32(&a, 1); op(&a, OP_TRUE); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 3);
  expect_bad(m, "function 'check', pc 7 (TRUE): the stack is 2 deep on one path to pc 8 and 1 on another");
}

static void test_call_arity(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_TRUE); op(&a, OP_TRUE); op(&a, OP_CALL); u32(&a, F_RULE); u16(&a, 2); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 2);
  expect_bad(m, "(CALL): calls function 'rule' with 2 arguments; it takes 1");
  m = mk();
  a.n = 0;
  op(&a, OP_CALL); u32(&a, F_MAIN); u16(&a, 0); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "(CALL): calls function 'main', which only the VM may run");
}

static void test_builtin_arity(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_TRUE); op(&a, OP_TRUE); op(&a, OP_CALLB); u16(&a, BI_length); u16(&a, 2); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 2);
  expect_bad(m, "(CALLB): calls built-in length with 2 arguments; it takes 1");
}

static void test_record_keys(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_TRUE); op(&a, OP_RECORD); u32(&a, K_AB); u16(&a, 1); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "RECORD's keys: constant 3 has 2 names, expected 1");
  m = mk();
  a.n = 0;
  op(&a, OP_TRUE); op(&a, OP_RECORD); u32(&a, K_42); u16(&a, 1); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "RECORD's keys: constant 0 is not a list of strings");
  m = mk();
  m->consts[K_AB].u.items[0] = K_B;   /* ["b", "b"] */
  expect_bad(m, "RECORD's keys: the names of constant 3 are not sorted and unique (item 1)");
}

static void test_accumulators(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_TRUE); op(&a, OP_ACCADD); op(&a, OP_TRUE); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "(ACCADD): no accumulator is open");
  m = mk();
  a.n = 0;
  op(&a, OP_ACCNEW); op(&a, OP_TRUE); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "(RET): returns with 1 accumulators and 0 dependency marks open");
}

static void test_dependency_marks(void **state) {
  (void)state;
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_TRUE); op(&a, OP_SETLD); u16(&a, 0); op(&a, OP_TRUE); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "(SETLD): no dependency mark is open");
  m = mk();
  a.n = 0;
  op(&a, OP_DEPS); op(&a, OP_TRUE); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "returns with 0 accumulators and 1 dependency marks open");
}

static void test_line_table(void **state) {
  (void)state;
  BcModule *m = mk();
  m->funcs[F_MAIN].lines[0].pc = 1;
  expect_bad(m, "the line table of function 'main' starts at pc 1, not 0");
  m = mk();
  BcFunc *f = &m->funcs[F_MAIN];
  f->lines = arena_calloc(&m->arena, 3, sizeof *f->lines);
  f->lines[0] = (BcLine){0, 0};
  f->lines[1] = (BcLine){6, 1};
  f->lines[2] = (BcLine){6, 1};
  f->nlines = 3;
  expect_bad(m, "the line table of function 'main' is not increasing (entry 2: pc 6 after 6)");
  m = mk();
  f = &m->funcs[F_MAIN];
  f->lines = arena_calloc(&m->arena, 2, sizeof *f->lines);
  f->lines[0] = (BcLine){0, 0};
  f->lines[1] = (BcLine){2, 1};
  f->nlines = 2;
  expect_bad(m, "entry 1's pc 2 is not on an instruction boundary");
  m = mk();
  m->funcs[F_MAIN].lines[0].loc = 2;
  expect_bad(m, "line table: location index 2 out of range (2 locations)");
  m = mk();
  m->funcs[F_MAIN].nlines = 0;
  expect_bad(m, "function 'main' has code but no line table");
}

static void test_environment(void **state) {
  (void)state;
  /* the body reads environment slot 0: called from main, it has none */
  BcModule *m = mk();
  Asm a = {0};
  op(&a, OP_TRUE); op(&a, OP_CALL); u32(&a, F_BODY); u16(&a, 1); op(&a, OP_RET);
  set_code(m, F_CHECK, &a, 1);
  expect_bad(m, "function 'body' uses environment slot 0, but it may run without an environment");
  /* the component's own slots */
  m = mk();
  m->funcs[F_COMP].code[1] = 5;   /* GETE 5 of 2 */
  expect_bad(m, "function 'Service' uses environment slot 5, but it may run in an environment of 2 slots");
  /* a component whose params do not fit its environment */
  m = mk();
  m->funcs[F_COMP].nenv = 1;
  m->funcs[F_COMP].code[1] = 0;   /* GETE 0 */
  expect_bad(m, "component 1 has 2 params but its function 'Service' only 1 environment slots");
  /* environments only for components */
  m = mk();
  m->funcs[F_RULE].nenv = 3;
  expect_bad(m, "function 'rule' is not a component but has 3 environment slots");
}

static void test_function_shape(void **state) {
  (void)state;
  BcModule *m = mk();
  m->funcs[F_CHECK].nparams = 2;
  m->funcs[F_CHECK].nslots = 2;
  expect_bad(m, "function 'check' of kind 4 takes 2 parameters, not 1");
  m = mk();
  m->funcs[F_BODY].nslots = 0;
  expect_bad(m, "function 'body' has 1 parameters but 0 slots");
  m = mk();
  m->funcs[F_TEST].ncode = 0;
  expect_bad(m, "function 'test' has no code");
  m = mk();
  m->funcs[F_TEST].kind = FK__COUNT;
  expect_bad(m, "function 4 is of unknown kind 8");
  m = mk();
  m->funcs[F_TEST].name = 400;
  expect_bad(m, "function name: string index 400 out of range");
}

static void test_declarations(void **state) {
  (void)state;
  BcModule *m = mk();
  m->params[0].global = 2;
  expect_bad(m, "param 0: global index 2 out of range (2 globals)");
  m = mk();
  m->params[0].desc = 99;
  expect_bad(m, "param's type descriptor: string index 99 out of range");
  m = mk();
  m->params[0].members = K_A;
  expect_bad(m, "param's members: constant 1 is not a list of strings");
  m = mk();
  m->outputs[0].global = 9;
  expect_bad(m, "output 0: global index 9 out of range (2 globals)");
  m = mk();
  m->resdecls[0].flags |= 1u << 10;
  expect_bad(m, "resource declaration 0 has unknown flags 0x400");
  m = mk();
  m->resdecls[0].rtype = 2;
  expect_bad(m, "resource declaration 0: resource type 2 out of range (2 types)");
  m = mk();
  m->resdecls[0].ignore = K_MAP;
  expect_bad(m, "@ignore_changes: constant 4 is not a list of strings");
  m = mk();
  m->rtypes[0].fn = F_COMP;
  expect_bad(m, "resource type 0 has a provider and a component function");
  m = mk();
  m->rtypes[1].fn = F_BODY;
  expect_bad(m, "component: function 'body' is of kind 3, expected 2");
  m = mk();
  m->rtypes[0].defaults = K_AB;
  expect_bad(m, "resource type 0: its defaults (constant 3) are not a map");
  m = mk();
  m->policies[0].rules[0].cond = F_CHECK;
  expect_bad(m, "policy rule's condition: function 'check' is of kind 4, expected 5");
  m = mk();
  m->policies[0].rtype = 5;
  expect_bad(m, "policy 0: resource type 5 out of range (2 types)");
  m = mk();
  m->tests[0].fn = F_RULE;
  expect_bad(m, "test: function 'rule' is of kind 5, expected 6");
  m = mk();
  m->moved[0].to = 77;
  expect_bad(m, "moved: string index 77 out of range");
  m = mk();
  m->globals[1].loc = 2;
  expect_bad(m, "global: location index 2 out of range (2 locations)");
}

static void test_sources_and_hash(void **state) {
  (void)state;
  BcModule *m = mk();
  uint32_t *s = arena_calloc(&m->arena, 2, sizeof *s);
  s[0] = S_FILE;
  s[1] = S_DOT;   /* "." sorts before "main.plat" */
  m->sources = s;
  m->nsources = 2;
  expect_bad(m, "the source list is not sorted and unique (entry 1)");
  m = mk();
  strcpy(m->source_hash, "xyz");
  expect_bad(m, "the source hash is not 64 hex digits");
}

/* ---- random damage ------------------------------------------------------------------- */
static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Flip 1-4 random bits, [rounds] times: each file is refused with a message or verifies,
 * and then writes back to exactly its own bytes (one encoding per module) and runs on the
 * VM without crashing. */
static void damage(const uint8_t *b, size_t n, uint32_t rounds) {
  uint8_t *p = malloc(n);
  uint32_t loaded = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    memcpy(p, b, n);
    int flips = 1 + (int)(xorshift() % 4);
    for (int i = 0; i < flips; i++) {
      uint64_t x = xorshift();
      p[(x >> 3) % n] ^= (uint8_t)(1u << (x & 7));
    }
    char err[PB_ERRMAX];
    BcModule *l = pb_load(p, n, "t.platb", err);
    if (!l) {
      assert_true(strncmp(err, "t.platb: ", 9) == 0);
      continue;
    }
    loaded++;
    size_t n2;
    uint8_t *b2 = pb_write(l, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(b2, p, n);
    free(b2);
    /* still valid: it runs, to its end or to a runtime error, within small limits */
    VmOptions opt = {.max_steps = 100000, .max_memory = (size_t)16 << 20, .max_depth = 50};
    Vm *vm = vm_new(l, &opt);
    Graph g;
    graph_init(&g, vm_rt(vm));
    VmError e;
    vm_run(vm, &g, &e);
    graph_free(&g);
    vm_free(vm);
    bc_free(l);
  }
  free(p);
  fprintf(stderr, "damage: %u of %u damaged files still verified and ran\n", loaded, rounds);
}

static void test_bit_flips(void **state) {
  (void)state;
  BcModule *m = mk();
  size_t n;
  uint8_t *b = pb_write(m, &n);
  damage(b, n, 3000);
  free(b);
  bc_free(m);
}

/* ---- built-in arguments ------------------------------------------------------------- */
static void test_builtin_args_fit(void **state) {
  (void)state;
  Rt rt;
  rt_init(&rt, 0);
  char why[256];
  Val s = val_cstr(&rt, "abc"), i = val_int(3), nul = val_null();
  Val two[2] = {val_cstr(&rt, "a"), val_cstr(&rt, "b")};
  Val mixed[2] = {val_cstr(&rt, "a"), val_int(1)};
  Val ls = val_list_of(&rt, two, 2), lm = val_list_of(&rt, mixed, 2);
  Val a1[2] = {s, s};
  assert_true(pb_args_fit(BI_endswith, a1, 2, why, sizeof why));
  Val a2[2] = {nul, s};
  assert_false(pb_args_fit(BI_endswith, a2, 2, why, sizeof why));
  assert_string_equal(why, "endswith: argument 1 (s) is a null, which does not fit string");
  Val a3[2] = {s, ls};
  assert_true(pb_args_fit(BI_join, a3, 2, why, sizeof why));
  Val a4[2] = {s, lm};
  assert_false(pb_args_fit(BI_join, a4, 2, why, sizeof why));
  assert_non_null(strstr(why, "join: argument 2"));
  /* generics take anything; numbers take ints */
  assert_true(pb_args_fit(BI_length, &s, 1, why, sizeof why));
  assert_true(pb_args_fit(BI_length, &lm, 1, why, sizeof why));
  assert_true(pb_args_fit(BI_abs, &i, 1, why, sizeof why));
  assert_false(pb_args_fit(BI_abs, &s, 1, why, sizeof why));
  /* arity and ids */
  assert_false(pb_args_fit(BI_endswith, a1, 1, why, sizeof why));
  assert_false(pb_args_fit(BI__COUNT, a1, 1, why, sizeof why));
  /* jsondecode takes its context's type descriptor as one more string */
  assert_true(pb_args_fit(BI_jsondecode, a1, 2, why, sizeof why));
  Val a5[2] = {s, i};
  assert_false(pb_args_fit(BI_jsondecode, a5, 2, why, sizeof why));
  assert_false(pb_args_fit(BI_jsondecode, a1, 3, why, sizeof why));
  rt_free(&rt);
}

/* ---- compiled examples: each verifies, round-trips, refuses every cut and survives damage */
static void test_examples(void **state) {
  (void)state;
  /* every folder of examples/ (run from the repository root), in name order */
  DIR *dir = opendir("examples");
  assert_non_null(dir);
  char *names[64];
  size_t nex = 0;
  for (struct dirent *d; (d = readdir(dir)) && nex < 64;) {
    if (d->d_name[0] == '.') continue;
    char path[512];
    snprintf(path, sizeof path, "examples/%s", d->d_name);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) names[nex++] = strdup(path);
  }
  closedir(dir);
  assert_true(nex >= 4);
  for (size_t i = 0; i < nex; i++) {
    Plat *p = plat_new();
    const char *path = names[i];
    assert_true(plat_check_paths(p, &path, 1));
    assert_int_equal(p->diags.nerrors, 0);
    BcModule *m = emit_program(p);
    assert_non_null(m);
    pb_stamp(m, &p->sources);
    char err[PB_ERRMAX];
    if (!pb_verify(m, path, err)) fprintf(stderr, "%s\n", err);
    assert_true(pb_verify(m, path, err));
    size_t n1, n2;
    uint8_t *b1 = pb_write(m, &n1);
    BcModule *l = pb_load(b1, n1, path, err);
    if (!l) fprintf(stderr, "%s\n", err);
    assert_non_null(l);
    uint8_t *b2 = pb_write(l, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    assert_int_equal(pb_sources_match(l), 1);
    /* a real module cut at every byte */
    for (size_t cut = 0; cut < n1; cut++) {
      BcModule *t = pb_load(b1, cut, path, err);
      assert_null(t);
    }
    damage(b1, n1, 500);
    free(b1);
    free(b2);
    bc_free(l);
    bc_free(m);
    plat_free(p);
    free(names[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_reference_verifies),
    cmocka_unit_test(test_round_trip),
    cmocka_unit_test(test_no_hash_round_trips),
    cmocka_unit_test(test_bad_magic),
    cmocka_unit_test(test_magic_text_mode),
    cmocka_unit_test(test_newer_version),
    cmocka_unit_test(test_header_flags),
    cmocka_unit_test(test_trailing_bytes),
    cmocka_unit_test(test_truncated_everywhere),
    cmocka_unit_test(test_section_order),
    cmocka_unit_test(test_section_too_long),
    cmocka_unit_test(test_section_left_over),
    cmocka_unit_test(test_varint_not_shortest),
    cmocka_unit_test(test_varints),
    cmocka_unit_test(test_count_past_file),
    cmocka_unit_test(test_string_not_utf8_in_file),
    cmocka_unit_test(test_bad_boolean),
    cmocka_unit_test(test_unknown_constant_kind),
    cmocka_unit_test(test_string_not_utf8),
    cmocka_unit_test(test_const_string_index),
    cmocka_unit_test(test_const_forward_ref),
    cmocka_unit_test(test_map_keys_unsorted),
    cmocka_unit_test(test_float_not_finite),
    cmocka_unit_test(test_const_too_deep),
    cmocka_unit_test(test_location_zero),
    cmocka_unit_test(test_no_main),
    cmocka_unit_test(test_unknown_opcode),
    cmocka_unit_test(test_insn_past_end),
    cmocka_unit_test(test_const_operand),
    cmocka_unit_test(test_string_operand),
    cmocka_unit_test(test_local_operand),
    cmocka_unit_test(test_global_operand),
    cmocka_unit_test(test_other_operands),
    cmocka_unit_test(test_jump_outside),
    cmocka_unit_test(test_jump_mid_instruction),
    cmocka_unit_test(test_falls_off_end),
    cmocka_unit_test(test_stack_underflow),
    cmocka_unit_test(test_stack_over_declared),
    cmocka_unit_test(test_stack_paths_differ),
    cmocka_unit_test(test_call_arity),
    cmocka_unit_test(test_builtin_arity),
    cmocka_unit_test(test_record_keys),
    cmocka_unit_test(test_accumulators),
    cmocka_unit_test(test_dependency_marks),
    cmocka_unit_test(test_line_table),
    cmocka_unit_test(test_environment),
    cmocka_unit_test(test_function_shape),
    cmocka_unit_test(test_declarations),
    cmocka_unit_test(test_sources_and_hash),
    cmocka_unit_test(test_bit_flips),
    cmocka_unit_test(test_builtin_args_fit),
    cmocka_unit_test(test_examples),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
