/* platc test [PATH...|FILE.platb] [-c NAME=VALUE]... [--config FILE.json] [--filter TEXT]:
 * run the program's `test` blocks (docs/language.md §6.14) on the VM.  The program runs
 * first (params from the configuration, else their defaults); then each test runs on its
 * own, its instances made without deploying anything, deploy-time values unknown (an
 * assert that needs one fails and says so).  Exit 1 when a test fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vm/vm.h"

static const char *usage = "platc test [PATH...|FILE.platb] [-c NAME=VALUE]... [--config FILE.json] [--filter TEXT]";

static int help(void) {
  printf("usage: %s\n\n"
         "Run the `test` blocks of the program at PATH (default: the current folder), each\n"
         "on its own, and report each as ok or FAILED with the failing assert's location.\n\n"
         "Options:\n"
         "  -c NAME=VALUE        a value for a top-level param (else its default)\n"
         "      --config FILE    param values from a JSON object\n"
         "      --filter TEXT    run only the tests whose title contains TEXT\n"
         "  -h, --help           show this help\n\n"
         "Exit status: 0 every test passed, 1 a test failed or the program has errors,\n"
         "2 usage or I/O error.\n", usage);
  return 0;
}

int cmd_test(int argc, char **argv) {
  const char **paths = plat_xcalloc((size_t)argc + 1, sizeof *paths);
  uint32_t npaths = 0;
  VmConfig *cfg = NULL;
  uint32_t ncfg = 0;
  const char *filter = NULL;
  int rc = 2;
  static const char *const known[] = {"--config", "--filter", "--help"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { rc = help(); goto done; }
    if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 || strcmp(a, "--filter") == 0) {
      if (i + 1 >= argc) { cli_usage_error("test", usage, "%s needs a value", a); goto done; }
      const char *v = argv[++i];
      char err[600];
      if (a[1] == 'c' && !vm_config_arg(v, &cfg, &ncfg)) {
        cli_usage_error("test", usage, "-c needs NAME=VALUE, not '%s'", v);
        goto done;
      }
      if (strcmp(a, "--config") == 0 && !vm_config_load(v, &cfg, &ncfg, err, sizeof err)) {
        fprintf(stderr, "platc test: %s\n", err);
        goto done;
      }
      if (strcmp(a, "--filter") == 0) filter = v;
      continue;
    }
    if (a[0] == '-' && a[1]) { cli_unknown_option("test", usage, a, known, 3); goto done; }
    paths[npaths++] = a;
  }
  CliProgram prog;
  if ((rc = cli_load_program("test", paths, npaths, &prog, NULL, NULL)) != 0) goto done;
  const BcModule *m = prog.mod;
  VmOptions opt = {0};
  opt.config = cfg;
  opt.nconfig = ncfg;
  opt.no_policies = true;
  opt.no_finish = true;
  Vm *vm = vm_new(m, &opt);
  Graph g;
  graph_init(&g, vm_rt(vm));
  VmError err;
  uint32_t passed = 0, failed = 0;
  if (!vm_run(vm, &g, &err)) {
    fprintf(stderr, "platc test: the program failed before its tests could run:\n");
    vm_error_print(&err, stderr);
    rc = 1;
  } else {
    for (uint32_t t = 0; t < m->ntests; t++) {
      const char *title = m->strs[m->tests[t].title].s;
      if (filter && !strstr(title, filter)) continue;
      if (vm_run_test(vm, t, &err)) {
        printf("test \"%s\" ... ok\n", title);
        passed++;
      } else {
        printf("test \"%s\" ... FAILED\n", title);
        fflush(stdout);
        vm_error_print(&err, stdout);
        failed++;
      }
    }
    printf("%u test%s: %u passed, %u failed\n", passed + failed, passed + failed == 1 ? "" : "s", passed, failed);
    rc = failed ? 1 : 0;
  }
  graph_free(&g);
  vm_free(vm);
  cli_program_free(&prog);
done:
  vm_config_free(cfg, ncfg);
  free(paths);
  return rc;
}
