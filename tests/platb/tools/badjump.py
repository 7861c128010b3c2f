#!/usr/bin/env python3
"""badjump.py IN.platb OUT.platb: copy a .platb with the first jump of its main function
aimed 900 bytes past its end, for the verifier's CLI test (tests/run_platb.sh).  Reads the
layout of docs/bytecode.md and the operand widths of vm/opcodes.def; prints the function's
name and code length.  Exit 1 when main has no jump."""
import re
import sys

WIDTH = {'k': 4, 's': 4, 'g': 4, 'f': 4, 'j': 4, 'r': 4, 'p': 4, 'q': 4,
         'l': 2, 'e': 2, 'b': 2, 'n': 2, 'm': 1}
ops = re.findall(r'^OP\((\w+),\s*"([^"]*)"', open('vm/opcodes.def').read(), re.M)


def uv(b, i):
    v = shift = 0
    while True:
        v |= (b[i] & 0x7f) << shift
        shift += 7
        i += 1
        if not b[i - 1] & 0x80:
            return v, i


b = bytearray(open(sys.argv[1], 'rb').read())
i = 48
while True:
    sec = b[i]
    length, j = uv(b, i + 1)
    if sec == 4:
        break
    i = j + length
n, j = uv(b, j)          # function count
main, j = uv(b, j)       # main + 1
main -= 1
for f in range(n):
    name, j = uv(b, j)
    j += 1               # kind
    for _ in range(5):   # params, slots, env, maxstack, loc
        _, j = uv(b, j)
    ncode, j = uv(b, j)
    code = j
    if f == main:
        pc = 0
        while pc < ncode:
            name_, operands = ops[b[code + pc]]
            if 'j' in operands:
                at = code + pc + 1 + sum(WIDTH[c] for c in operands[:operands.index('j')])
                end = pc + 1 + sum(WIDTH[c] for c in operands)
                b[at:at + 4] = (ncode + 900 - end).to_bytes(4, 'little', signed=True)
                open(sys.argv[2], 'wb').write(b)
                print(ncode + 900, ncode)
                sys.exit(0)
            pc += 1 + sum(WIDTH[c] for c in operands)
        sys.exit(1)
    j = code + ncode
    nlines, j = uv(b, j)
    for _ in range(2 * nlines):
        _, j = uv(b, j)
sys.exit(1)
