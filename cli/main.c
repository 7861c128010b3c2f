/* placeholder: replaced by the CLI work */
#include "compiler/compiler.h"
int main(int argc, char **argv) {
  (void)argc; (void)argv;
  printf("platc %s\n", PLAT_VERSION);
  return 0;
}
