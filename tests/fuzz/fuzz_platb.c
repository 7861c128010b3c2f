/* libFuzzer target over the .platb loader and verifier (vm/platb.h), and the VM behind
 * them.  An input is the bytes of a .platb file.  It must be refused with a message that
 * names the file, or load; a module that loads must write back to exactly the input's
 * bytes (one encoding per module), disassemble, and run on the VM with small step,
 * memory and depth limits to the end or to a runtime error, never to a crash: the
 * verifier's promise is that a verified module is safe to run.  Seeds are compiled
 * examples (tests/fuzz/seed.sh platb).  tests/fuzz/replay.c drives it without libFuzzer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/graph.h"
#include "vm/platb.h"
#include "vm/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.platb"

static void die(const char *what, const char *detail) {
  fprintf(stderr, "fuzz_platb: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[PB_ERRMAX];
  BcModule *m = pb_load(data, size, NAME, err);
  if (!m) {
    if (strncmp(err, NAME ": ", sizeof NAME + 1) != 0) die("a refusal that does not name the file", err);
    return 0;
  }
  /* one encoding per module: what loads writes back to the same bytes */
  size_t n;
  uint8_t *b = pb_write(m, &n);
  if (n != size || memcmp(b, data, n) != 0) die("a loaded module writes back to other bytes", NULL);
  free(b);

  char *text = NULL;
  size_t tlen = 0;
  FILE *f = open_memstream(&text, &tlen);
  if (!f) abort();
  pb_disasm(m, f);
  fclose(f);
  free(text);

  /* run it, small: a verified module may loop or allocate, but only up to the limits */
  VmOptions opt = {.max_steps = 20000, .max_memory = (size_t)8 << 20, .max_depth = 40};
  Vm *vm = vm_new(m, &opt);
  Graph g;
  graph_init(&g, vm_rt(vm));
  VmError e;
  if (vm_run(vm, &g, &e)) {
    FILE *out = fopen("/dev/null", "w");
    if (out) {
      graph_write_json(&g, out);
      fclose(out);
    }
  }
  graph_free(&g);
  vm_free(vm);
  bc_free(m);
  return 0;
}
