/* libFuzzer target over the whole front end: lexer, parser, checker, renderers, formatter.
 * An input is the text of one .plat file; an input starting with byte 0x01 is instead a
 * provider schema (the rest of the bytes), parsed in schema mode.  Beyond "no crash, no
 * leak, no hang" it checks properties the issue promises: JSON and SARIF output is valid
 * JSON, rendering is deterministic, and `fmt` is idempotent and yields parseable text.
 * The same entry point serves tests/fuzz/replay.c, which replays files without libFuzzer. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/compiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PATH "fuzz.plat"
#define SCHEMA_MARK 0x01
#define MAX_INPUT ((size_t)1 << 20)

static void die(const char *what, const char *a, size_t alen, const char *b, size_t blen) {
  fprintf(stderr, "fuzz_check: %s\n", what);
  if (a) fprintf(stderr, "---- first (%zu bytes)\n%.*s\n", alen, (int)alen, a);
  if (b) fprintf(stderr, "---- second (%zu bytes)\n%.*s\n", blen, (int)blen, b);
  abort();
}

/* Render p's diagnostics in [fmt] into a malloc'd buffer. */
static char *render_mem(Plat *p, PlatFormat fmt, bool color, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  if (!f) abort();
  plat_render(p, f, fmt, color);
  fclose(f);
  return buf;
}

static void check_json(const char *buf, size_t len, const char *what) {
  json_error_t err;
  json_t *j = json_loadb(buf, len, 0, &err);
  if (!j || !(json_is_array(j) || json_is_object(j))) {
    fprintf(stderr, "fuzz_check: %s output is not a JSON array or object (%s at %d:%d)\n", what,
            err.text, err.line, err.column);
    die("invalid JSON", buf, len, NULL, 0);
  }
  json_decref(j);
}

/* Every format, with and without colour; text twice to catch nondeterminism.  SARIF
 * carries the whole rule table (tens of KB) and costs 30x the rest, so only [sarif]
 * inputs (one in 16, by hash) render it, or the fuzzer would spend its time in jansson. */
static void render_all(Plat *p, bool sarif) {
  size_t n1, n2;
  char *t1 = render_mem(p, PLAT_FMT_TEXT, false, &n1);
  char *t2 = render_mem(p, PLAT_FMT_TEXT, false, &n2);
  if (n1 != n2 || memcmp(t1, t2, n1) != 0) die("text rendering differs between two runs", t1, n1, t2, n2);
  free(t1);
  free(t2);
  t1 = render_mem(p, PLAT_FMT_TEXT, true, &n1);
  free(t1);
  t1 = render_mem(p, PLAT_FMT_GCC, false, &n1);
  free(t1);
  t1 = render_mem(p, PLAT_FMT_JSON, false, &n1);
  check_json(t1, n1, "json");
  free(t1);
  if (sarif) {
    t1 = render_mem(p, PLAT_FMT_SARIF, false, &n1);
    check_json(t1, n1, "sarif");
    free(t1);
  }
  (void)plat_summary(p);
}

/* Parse alone (schema or module), dump the AST, render the syntax diagnostics. */
static void fuzz_parse(const char *text, size_t len, bool schema) {
  Plat *p = plat_new();
  uint32_t id = source_add(&p->sources, FUZZ_PATH, text, len);
  p->sources.files[id].builtin = schema;   /* plat_parse parses builtins as schemas */
  AstFile *f = plat_parse(p, id);
  if (!f) die("plat_parse returned NULL", NULL, 0, NULL, 0);
  (void)ast_dump(&p->arena, f);
  render_all(p, false);
  plat_free(p);
}

#ifdef PLAT_FUZZ_CHECK_SOURCE
static bool check_source(Plat *p, const char *text, size_t len) {
  return plat_check_source(p, FUZZ_PATH, text, len);
}
#else
/* The checker has no in-memory entry yet: go through a private temporary file. */
static char tmpdir[64], tmpfile_path[96];
static void cleanup_tmp(void) {
  unlink(tmpfile_path);
  rmdir(tmpdir);
}
static bool check_source(Plat *p, const char *text, size_t len) {
  if (!tmpdir[0]) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/plat-fuzz.XXXXXX");
    if (!mkdtemp(tmpdir)) abort();
    snprintf(tmpfile_path, sizeof tmpfile_path, "%s/" FUZZ_PATH, tmpdir);
    atexit(cleanup_tmp);
  }
  FILE *f = fopen(tmpfile_path, "wb");
  if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) abort();
  const char *paths[] = {tmpfile_path};
  return plat_check_paths(p, paths, 1);
}
#endif

static void fuzz_check(const char *text, size_t len) {
  Plat *p = plat_new();
  (void)check_source(p, text, len);
  uint32_t h = 2166136261u;   /* FNV-1a picks the inputs that also render SARIF */
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)text[i]) * 16777619u;
  render_all(p, (h & 15) == 0);
  plat_free(p);
}

/* Format; when it succeeds, the output must format to itself and parse cleanly. */
static void fuzz_format(const char *text, size_t len, bool schema) {
  Plat *p = plat_new();
  uint32_t id = source_add(&p->sources, FUZZ_PATH, text, len);
  p->sources.files[id].builtin = schema;
  size_t n1 = 0;
  char *once = plat_format(p, id, &n1);
  plat_free(p);
  if (!once) return;   /* syntax errors: formatting refused, as documented */

  Plat *q = plat_new();
  id = source_add(&q->sources, FUZZ_PATH, once, n1);
  q->sources.files[id].builtin = schema;
  size_t n2 = 0;
  char *twice = plat_format(q, id, &n2);
  if (!twice) {
    size_t el;
    char *errs = render_mem(q, PLAT_FMT_TEXT, false, &el);
    die("formatted output does not format again (syntax errors in it?)", once, n1, errs, el);
  }
  if (n1 != n2 || memcmp(once, twice, n1) != 0) die("fmt is not idempotent", once, n1, twice, n2);
  free(once);
  free(twice);
  plat_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_INPUT) return 0;
  const char *text = (const char *)data;
  bool schema = size > 0 && data[0] == SCHEMA_MARK;
  if (schema) {
    text++;
    size--;
  }
  fuzz_parse(text, size, schema);
  if (!schema) fuzz_check(text, size);
  fuzz_format(text, size, schema);
  return 0;
}
