/* placeholder: the type checker (chk_node, chk_other) is being written */
#include "compiler/checker.h"

void chk_node(Checker *c, Sym *s) { (void)c; (void)s; }
void chk_other(Checker *c, Decl *d) { (void)c; (void)d; }
