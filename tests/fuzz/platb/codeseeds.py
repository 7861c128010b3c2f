#!/usr/bin/env python3
"""codeseeds.py DIR: write seeds for fuzz_platb's code mode into DIR and print how many.
Each seed is four length bytes, the code of the template module's fn, component, body
and rule (tests/fuzz/fuzz_platb.c), then main's code, assembled from instruction names with
the numbering of vm/opcodes.def and built-in ids from stdlib/builtins.def, so the seeds
follow the instruction set.  Jumps are written as labels."""
import os
import re
import struct
import sys

ops = re.findall(r'^OP\((\w+),\s*"([^"]*)"', open('vm/opcodes.def').read(), re.M)
OPS = {name: (i, operands) for i, (name, operands) in enumerate(ops)}
BUILTINS = {name: i for i, name in enumerate(re.findall(r'^BUILTIN\((\w+),', open('stdlib/builtins.def').read(), re.M))}
FMT = {'k': '<I', 's': '<I', 'g': '<I', 'f': '<I', 'r': '<I', 'p': '<I', 'q': '<I', 'j': '<i',
       'l': '<H', 'e': '<H', 'b': '<H', 'n': '<H', 'm': '<B'}


def asm(lines):
    """[('OP', args...) or 'label:'] -> bytes; a jump operand is a label name."""
    def size(op):
        return 1 + sum(struct.calcsize(FMT[c]) for c in OPS[op][1])
    labels, pc = {}, 0
    for ins in lines:
        if isinstance(ins, str):
            labels[ins.rstrip(':')] = pc
        else:
            pc += size(ins[0])
    out, pc = bytearray(), 0
    for ins in lines:
        if isinstance(ins, str):
            continue
        op, args = ins[0], list(ins[1:])
        num, operands = OPS[op]
        end = pc + size(op)
        out.append(num)
        for c, a in zip(operands, args):
            if c == 'j':
                a = labels[a] - end
            if c == 'b':
                a = BUILTINS[a]
            out += struct.pack(FMT[c], a)
        pc = end
    return bytes(out)


RET_NULL = [('NULL',), ('RET',)]
SEEDS = {
    'params-and-lets': [[('PARAM', 0), ('SETG', 0), ('CONST', 2), ('SETG', 1)] + RET_NULL],
    'loop-accumulator': [[('CONST', 4), ('SETL', 0), ('FORPREP', 0, 'end'), ('ACCNEW',), 'top:',
                          ('FORNEXT', 0, 'done'), ('SETL', 2), ('POP',), ('GETL', 2), ('ACCADD',),
                          ('JMP', 'top'), 'done:', ('ACCLIST',), 'end:', ('SETG', 1)] + RET_NULL],
    'resource': [[('DEPS',), ('DEPS',), ('NULL',), ('CONST', 5), ('NULL',), ('MKRES', 0), ('SETGD', 2)] + RET_NULL,
                 [('GETL', 0), ('RET',)], [('CONST', 5), ('CONST', 5), ('LIST', 2), ('RET',)],
                 [('GETL', 0), ('RET',)],
                 [('GETL', 0), ('RESGET', 2, 0), ('NULL',), ('NE',), ('RET',)]],
    'component': [[('DEPS',), ('NULL',), ('CONST', 5), ('NULL',), ('MKRES', 1), ('POP',)] + RET_NULL,
                  [('GETL', 0), ('RET',)],
                  [('GETE', 0), ('POP',), ('CONST', 0), ('CALL', 3, 1), ('POP',), ('CONST', 5), ('CONST', 5),
                   ('LIST', 2), ('RET',)],
                  [('GETE', 1), ('POP',), ('GETL', 0), ('RET',)],
                  [('TRUE',), ('RET',)]],
    'call-and-builtin': [[('CONST', 0), ('CALL', 1, 1), ('CONST', 2), ('CALLB', 'length', 1), ('ADD',),
                          ('SETG', 1)] + RET_NULL,
                         [('GETL', 0), ('CONST', 0), ('ADD',), ('RET',)]],
    'operators-and-jumps': [[('CONST', 0), ('CONST', 1), ('MUL',), ('CONST', 8), ('LT',), ('JFK', 'a'),
                             ('TRUE',), 'a:', ('JTK', 'b'), ('FALSE',), 'b:', ('POP',), ('NULL',),
                             ('JNN', 'c'), ('CONST', 2), 'c:', ('CONST', 3), ('STR', 2), ('SETG', 1)] + RET_NULL],
    'record-map-index': [[('CONST', 0), ('CONST', 1), ('RECORD', 4, 2), ('DUP',), ('GETF', 2), ('POP',),
                          ('CONST', 2), ('CONST', 0), ('MAP', 1), ('CONST', 2), ('INDEX',), ('POP',),
                          ('SECRET',), ('SETG', 1)] + RET_NULL],
}

os.makedirs(sys.argv[1], exist_ok=True)
for name, funcs in SEEDS.items():
    codes = [asm(fn) for fn in funcs] + [b''] * (5 - len(funcs))
    main, rest = codes[0], codes[1:]
    assert all(len(c) < 0x89 for c in rest)
    with open(os.path.join(sys.argv[1], 'code_' + name), 'wb') as f:
        f.write(bytes(len(c) for c in rest) + b''.join(rest) + main)
print(len(SEEDS))
