/* The bytecode module's shared helpers: the opcode table generated from vm/opcodes.def
 * (names, operand formats, stack effects) for the VM, the verifier and the disassembler,
 * and the module's life cycle.  The compiler fills modules (compiler/emit.c), the .platb
 * reader loads them (vm/platb.c); this file does neither. */
#include <stdlib.h>

#include "vm/program.h"

const BcOpInfo bc_ops[OP__COUNT] = {
#define OP(name, operands, pops, pushes, doc) [OP_##name] = {#name, operands, pops, pushes, doc},
#include "vm/opcodes.def"
#undef OP
};

uint32_t bc_operand_size(char letter) {
  switch (letter) {
  case 'k': case 's': case 'g': case 'f': case 'j': case 'r': case 'p': case 'q': return 4;
  case 'l': case 'e': case 'b': case 'n': return 2;
  case 'm': return 1;
  default: return 0;
  }
}

/* Instruction sizes, computed once from the table. */
static uint8_t insn_sizes[OP__COUNT];

uint32_t bc_insn_size(uint8_t op) {
  if (op >= OP__COUNT) return 0;
  if (!insn_sizes[op]) {
    uint32_t size = 1;
    for (const char *p = bc_ops[op].operands; *p; p++) size += bc_operand_size(*p);
    insn_sizes[op] = (uint8_t)size;
  }
  return insn_sizes[op];
}

BcModule *bc_new(void) {
  BcModule *m = plat_xcalloc(1, sizeof *m);
  arena_init(&m->arena);
  m->main = BC_NONE;
  return m;
}

void bc_free(BcModule *m) {
  if (!m) return;
  arena_free(&m->arena);
  free(m);
}

const BcLoc *bc_loc_at(const BcModule *m, uint32_t fn, uint32_t pc) {
  if (fn >= m->nfuncs) return NULL;
  const BcFunc *f = &m->funcs[fn];
  if (!f->nlines) return NULL;
  /* the last entry whose pc is <= [pc]: binary search */
  uint32_t lo = 0, hi = f->nlines;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (f->lines[mid].pc <= pc) lo = mid; else hi = mid;
  }
  uint32_t loc = f->lines[lo].loc;
  return loc < m->nlocs ? &m->locs[loc] : NULL;
}
