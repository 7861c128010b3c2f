/* platc build [PATH...] [-o FILE]: compile a program to a .platb module (docs/bytecode.md)
 * that every program-taking command runs without its sources.  Checks and compiles
 * through cli_load_program, verifies what it is about to write (a compiler bug never
 * becomes a file), and writes it atomically: a temporary file renamed over FILE. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "compiler/compiler.h"
#include "vm/platb.h"

static const char *usage = "platc build [PATH...] [-o FILE]";

static int help(void) {
  printf("usage: %s\n\n"
         "Check and compile the Plat program at PATH (a folder is one module of all its .plat\n"
         "files, a file a one-file module; none: the current folder) into a .platb module:\n"
         "bytecode, constants and locations, verified, with the SHA-256 of the sources.\n"
         "`platc graph`, `platc eval` and `platc check --policies` take the .platb in place\n"
         "of the sources; `platc disasm` prints it.\n\n"
         "Options:\n"
         "  -o, --output FILE  write FILE (`-` for standard output); the default is NAME.platb\n"
         "                     in the current folder, NAME being the last part of the first\n"
         "                     PATH without .plat (the current folder's name for `.`)\n"
         "  -h, --help         show this help\n\n"
         "The same sources always give the same bytes. Exit status: 0 written, 1 the program\n"
         "has errors (shown as `platc check` shows them), 2 usage or I/O error.\n",
         usage);
  return 0;
}

/* NAME.platb for the first path: its last component without ".plat"; for "." or "..", the
 * name of that folder as the system resolves it. */
static char *default_output(const char *path) {
  char *abs = NULL;
  const char *p = path;
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/') n--;
  char *trim = plat_xmalloc(n + 1);
  memcpy(trim, p, n);
  trim[n] = 0;
  const char *base = strrchr(trim, '/');
  base = base ? base + 1 : trim;
  if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
    abs = realpath(trim, NULL);
    const char *b = abs ? strrchr(abs, '/') : NULL;
    base = b && b[1] ? b + 1 : "main";
  }
  size_t bl = strlen(base);
  if (bl > 5 && strcmp(base + bl - 5, ".plat") == 0) bl -= 5;
  char *out = plat_xmalloc(bl + 7);
  memcpy(out, base, bl);
  memcpy(out + bl, ".platb", 7);
  free(trim);
  free(abs);
  return out;
}

/* Write [n] bytes to [path] through a temporary file in the same folder and a rename. */
static bool write_atomic(const char *path, const uint8_t *b, size_t n) {
  size_t pl = strlen(path);
  char *tmp = plat_xmalloc(pl + 16);
  bool direct = cli_write_in_place(path);
  snprintf(tmp, pl + 16, direct ? "%s" : "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    fprintf(stderr, "platc build: cannot write %s: %s\n", path, strerror(errno));
    free(tmp);
    return false;
  }
  bool ok = fwrite(b, 1, n, f) == n;
  ok = (fflush(f) == 0) && ok;
  ok = (direct || fsync(fileno(f)) == 0) && ok;
  int err = errno;
  ok = (fclose(f) == 0) && ok;
  if (ok && !direct && rename(tmp, path) != 0) { err = errno; ok = false; }
  if (!ok) {
    fprintf(stderr, "platc build: cannot write %s: %s\n", path, strerror(err ? err : EIO));
    if (!direct)
      unlink(tmp);
  }
  free(tmp);
  return ok;
}

int cmd_build(int argc, char **argv) {
  const char **paths = plat_xmalloc(((size_t)argc + 1) * sizeof *paths);
  uint32_t npaths = 0;
  const char *out = NULL;
  bool opts = true;
  int rc = 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!opts || a[0] != '-' || a[1] == 0) { paths[npaths++] = a; continue; }
    if (strcmp(a, "--") == 0) { opts = false; continue; }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { rc = help(); goto done; }
    if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      if (i + 1 >= argc) { cli_usage_error("build", usage, "option '%s' needs a file name", a); goto done; }
      out = argv[++i];
      continue;
    }
    if (strncmp(a, "--output=", 9) == 0) { out = a + 9; continue; }
    if (strncmp(a, "-o", 2) == 0) { out = a + 2; continue; }
    static const char *const known[] = {"--output", "--help"};
    cli_unknown_option("build", usage, a, known, 2);
    goto done;
  }
  if (out && !*out) { cli_usage_error("build", usage, "the output file name is empty"); goto done; }
  CliProgram prog;
  rc = cli_load_program("build", paths, npaths, &prog, NULL, NULL);
  if (rc != 0) goto done;
  char err[PB_ERRMAX];
  if (!pb_verify(prog.mod, "the compiled module", err)) {
    /* the compiler made something the verifier refuses: a bug, never written out */
    fprintf(stderr, "platc build: internal error: %s\n", err);
    cli_program_free(&prog);
    rc = 2;
    goto done;
  }
  size_t n;
  uint8_t *bytes = pb_write(prog.mod, &n);
  cli_program_free(&prog);
  char *dflt = NULL;
  if (!out) out = dflt = default_output(npaths ? paths[0] : ".");
  if (strcmp(out, "-") == 0) {
    rc = fwrite(bytes, 1, n, stdout) == n ? 0 : 2;
    if (rc) fprintf(stderr, "platc build: cannot write the module to standard output\n");
  } else {
    rc = write_atomic(out, bytes, n) ? 0 : 2;
  }
  free(bytes);
  free(dflt);
done:
  free(paths);
  return rc;
}
