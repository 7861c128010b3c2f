/* The disassembler behind `platc disasm` (pb_disasm, vm/platb.h): a verified module as
 * text — header, tables, then every function's instructions with their operands decoded
 * from vm/opcodes.def (constants previewed, names spelled out, jump targets absolute),
 * each run of instructions under the source line it was compiled from when that file can
 * still be read at its recorded path.  Strings are printed escaped, so a hostile module
 * cannot send control characters to a terminal.  Output is deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/builtins.h"
#include "vm/platb.h"

/* Source files read on demand, by string index of their path. */
typedef struct SrcCache {
  uint32_t path;
  char *text;            /* NULL: not readable */
  size_t len;
  size_t *lines;         /* offset of each line's start */
  uint32_t nlines;
} SrcCache;

typedef struct Dis {
  const BcModule *m;
  FILE *out;
  SrcCache *src;
  uint32_t nsrc;
} Dis;

/* [s] ([n] bytes) as a quoted string, escaped, cut after [max] bytes with "...". */
static void put_str(FILE *out, const char *s, uint32_t n, uint32_t max) {
  fputc('"', out);
  for (uint32_t i = 0; i < n; i++) {
    if (i >= max) { fputs("...", out); break; }
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c == '\n') fputs("\\n", out);
    else if (c == '\t') fputs("\\t", out);
    else if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

static void put_sidx(Dis *d, uint32_t s) {
  if (s == BC_NONE || s >= d->m->nstrs) { fputs("-", d->out); return; }
  put_str(d->out, d->m->strs[s].s, d->m->strs[s].len, 60);
}

/* A plain name (no quotes) when it is one, else quoted. */
static void put_name(Dis *d, uint32_t s) {
  if (s >= d->m->nstrs) { fputs("?", d->out); return; }
  const BcStr *t = &d->m->strs[s];
  bool plain = t->len > 0 && t->len <= 60;
  for (uint32_t i = 0; plain && i < t->len; i++) {
    unsigned char c = (unsigned char)t->s[i];
    plain = c > 0x20 && c < 0x7f && c != '"' && c != '\\';
  }
  if (plain) fputs(t->s, d->out);
  else put_sidx(d, s);
}

static void put_const(Dis *d, uint32_t k) {
  const BcConst *c = &d->m->consts[k];
  switch (c->kind) {
  case BK_INT: fprintf(d->out, "%lld", (long long)c->u.i); break;
  case BK_FLOAT: fprintf(d->out, "%.17g", c->u.f); break;
  case BK_STR: put_sidx(d, c->u.str); break;
  case BK_BOOL: fputs(c->u.b ? "true" : "false", d->out); break;
  case BK_NULL: fputs("null", d->out); break;
  case BK_LIST:
    fputc('[', d->out);
    for (uint32_t i = 0; i < c->n; i++) {
      if (i == 8) { fprintf(d->out, ", ... %u more", c->n - i); break; }
      fprintf(d->out, "%sk%u", i ? ", " : "", c->u.items[i]);
    }
    fputc(']', d->out);
    break;
  case BK_MAP:
    fputc('{', d->out);
    for (uint32_t i = 0; i < c->n; i++) {
      if (i == 8) { fprintf(d->out, ", ... %u more", c->n - i); break; }
      fputs(i ? ", " : "", d->out);
      put_name(d, c->u.map.keys[i]);
      fprintf(d->out, ": k%u", c->u.map.vals[i]);
    }
    fputc('}', d->out);
    break;
  default: fputs("?", d->out);
  }
}

static void put_loc(Dis *d, uint32_t l) {
  if (l >= d->m->nlocs) { fputs("?", d->out); return; }
  const BcLoc *loc = &d->m->locs[l];
  put_name(d, loc->file);
  if (loc->line) fprintf(d->out, ":%u:%u", loc->line, loc->col);
}

static const SrcCache *source(Dis *d, uint32_t path) {
  for (uint32_t i = 0; i < d->nsrc; i++)
    if (d->src[i].path == path) return &d->src[i];
  d->src = plat_xrealloc(d->src, (d->nsrc + 1) * sizeof *d->src);
  SrcCache *c = &d->src[d->nsrc++];
  c->path = path;
  c->text = NULL;
  c->len = 0;
  c->lines = NULL;
  c->nlines = 0;
  size_t len;
  char *buf = pb_slurp(d->m->strs[path].s, SOURCE_MAX_BYTES, &len);
  if (!buf) return c;
  c->text = buf;
  c->len = len;
  uint32_t n = 1;
  for (size_t i = 0; i < len; i++) n += buf[i] == '\n';
  c->lines = plat_xmalloc(n * sizeof *c->lines);
  c->lines[c->nlines++] = 0;
  for (size_t i = 0; i < len; i++)
    if (buf[i] == '\n') c->lines[c->nlines++] = i + 1;
  return c;
}

/* "    3 | text of line 3" when the file can be read. */
static void put_source_line(Dis *d, const BcLoc *loc) {
  if (!loc->line || loc->file >= d->m->nstrs) return;
  const SrcCache *c = source(d, loc->file);
  if (!c->text || loc->line > c->nlines) return;
  size_t i = c->lines[loc->line - 1];
  if (i >= c->len) return;
  size_t end = i;
  while (end < c->len && c->text[end] != '\n') end++;
  if (end > i && c->text[end - 1] == '\r') end--;
  fprintf(d->out, "  %5u | ", loc->line);
  /* the line as written, control characters (but tabs) escaped */
  for (size_t k = i; k < end; k++) {
    unsigned char ch = (unsigned char)c->text[k];
    if ((ch < 0x20 && ch != '\t') || ch == 0x7f) fprintf(d->out, "\\x%02x", ch);
    else fputc(ch, d->out);
  }
  fputc('\n', d->out);
}

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *const rg_names[RG__COUNT] = {"input", "output", "component output", "member"};
static const char *const fk_names[FK__COUNT] = {"main", "fn", "component", "body", "check", "rule", "test", "expr"};
static const char *const gk_names[GK__COUNT] = {"let", "param", "resource", "output"};
static const char *const pk_names[PK__COUNT] = {"string", "int", "float", "bool", "json"};

static void put_insn(Dis *d, const BcFunc *f, uint32_t pc) {
  const BcModule *m = d->m;
  uint8_t op = f->code[pc];
  const BcOpInfo *in = &bc_ops[op];
  uint32_t end = pc + bc_insn_size(op);
  if (in->operands[0]) fprintf(d->out, "    %04u  %-8s", pc, in->name);
  else fprintf(d->out, "    %04u  %s", pc, in->name);
  const uint8_t *p = f->code + pc + 1;
  for (const char *c = in->operands; *c; c++) {
    fputc(' ', d->out);
    switch (*c) {
    case 'k': { uint32_t k = rd32(p); fprintf(d->out, "k%u=", k); put_const(d, k); break; }
    case 's': put_sidx(d, rd32(p)); break;
    case 'l': fprintf(d->out, "l%u", rd16(p)); break;
    case 'e': fprintf(d->out, "e%u", rd16(p)); break;
    case 'g': { uint32_t g = rd32(p); fprintf(d->out, "g%u=", g); put_name(d, m->globals[g].name); break; }
    case 'f': { uint32_t x = rd32(p); fprintf(d->out, "f%u=", x); put_name(d, m->funcs[x].name); break; }
    case 'b': { const Builtin *bi = bi_get((BuiltinId)rd16(p)); fputs(bi ? bi->name : "?", d->out); break; }
    case 'n': fprintf(d->out, "%u", rd16(p)); break;
    case 'j': fprintf(d->out, "-> %04lld", (long long)end + (int32_t)rd32(p)); break;
    case 'r': { uint32_t r = rd32(p); fprintf(d->out, "r%u=", r); put_name(d, m->resdecls[r].name); break; }
    case 'p': { uint32_t x = rd32(p); fprintf(d->out, "p%u=", x); put_name(d, m->params[x].name); break; }
    case 'q': { uint32_t q = rd32(p); fprintf(d->out, "q%u=", q); put_name(d, m->checks[q].type); break; }
    case 'm': fputs(p[0] < RG__COUNT ? rg_names[p[0]] : "?", d->out); break;
    default: break;
    }
    p += bc_operand_size(*c);
  }
  fputc('\n', d->out);
}

static void put_func(Dis *d, uint32_t i) {
  const BcModule *m = d->m;
  const BcFunc *f = &m->funcs[i];
  fprintf(d->out, "\nfunction f%u ", i);
  put_name(d, f->name);
  fprintf(d->out, " (%s, %u params, %u slots, stack %u", fk_names[f->kind], f->nparams, f->nslots, f->maxstack);
  if (f->nenv) fprintf(d->out, ", %u environment slots", f->nenv);
  fputs(") at ", d->out);
  put_loc(d, f->loc);
  fputc('\n', d->out);
  uint32_t line = 0, last_file = BC_NONE, last_line = 0;
  for (uint32_t pc = 0; pc < f->ncode; pc += bc_insn_size(f->code[pc])) {
    /* a new line-table entry: show the source line when it is a different one */
    if (line < f->nlines && f->lines[line].pc == pc) {
      const BcLoc *loc = &m->locs[f->lines[line].loc];
      if (loc->file != last_file || loc->line != last_line) {
        fputs("  ; ", d->out);
        put_loc(d, f->lines[line].loc);
        fputc('\n', d->out);
        put_source_line(d, loc);
        last_file = loc->file;
        last_line = loc->line;
      }
      line++;
    }
    put_insn(d, f, pc);
  }
}

void pb_disasm(const BcModule *m, FILE *out) {
  Dis d = {.m = m, .out = out};
  fprintf(out, "; platb format %d, source hash %s\n", BC_FORMAT_VERSION,
          m->source_hash[0] ? m->source_hash : "(none)");
  fprintf(out, "; %u strings, %u constants, %u locations, %u functions (main f%u), %u globals\n",
          m->nstrs, m->nconsts, m->nlocs, m->nfuncs, m->main, m->nglobals);
  if (m->nsources) {
    fputs("\nsources:\n", out);
    for (uint32_t i = 0; i < m->nsources; i++) { fputs("  ", out); put_name(&d, m->sources[i]); fputc('\n', out); }
  }
  if (m->nconsts) {
    fputs("\nconstants:\n", out);
    for (uint32_t i = 0; i < m->nconsts; i++) { fprintf(out, "  k%-5u ", i); put_const(&d, i); fputc('\n', out); }
  }
  if (m->nglobals) {
    fputs("\nglobals:\n", out);
    for (uint32_t i = 0; i < m->nglobals; i++) {
      const BcGlobal *g = &m->globals[i];
      fprintf(out, "  g%-5u %-8s ", i, gk_names[g->kind]);
      put_name(&d, g->name);
      fputs(g->root ? " (root) in " : " in ", out);
      put_name(&d, g->module);
      fputs(" at ", out);
      put_loc(&d, g->loc);
      fputc('\n', out);
    }
  }
  if (m->nparams) {
    fputs("\nparams:\n", out);
    for (uint32_t i = 0; i < m->nparams; i++) {
      const BcParam *p = &m->params[i];
      fprintf(out, "  p%-5u ", i);
      put_name(&d, p->name);
      fputs(": ", out);
      put_sidx(&d, p->type);
      fprintf(out, " (read as %s%s%s) in g%u", pk_names[p->kind], p->optional ? ", optional" : "",
              p->secret ? ", secret" : "", p->global);
      if (p->deflt != BC_NONE) fprintf(out, ", default k%u", p->deflt);
      if (p->members != BC_NONE) fprintf(out, ", one of k%u", p->members);
      if (p->desc != BC_NONE) { fputs(", as ", out); put_sidx(&d, p->desc); }
      fputc('\n', out);
    }
  }
  if (m->nchecks) {
    fputs("\nrefinement checks:\n", out);
    for (uint32_t i = 0; i < m->nchecks; i++) {
      fprintf(out, "  q%-5u ", i);
      put_name(&d, m->checks[i].type);
      fputs(" where ", out);
      put_sidx(&d, m->checks[i].pred);
      fputs(" at ", out);
      put_loc(&d, m->checks[i].loc);
      fputc('\n', out);
    }
  }
  if (m->nrtypes) {
    fputs("\nresource types:\n", out);
    for (uint32_t i = 0; i < m->nrtypes; i++) {
      const BcRType *t = &m->rtypes[i];
      fprintf(out, "  t%-5u ", i);
      put_name(&d, t->name);
      if (t->provider != BC_NONE) { fputs(" provider ", out); put_name(&d, t->provider); }
      else fprintf(out, " component f%u, params k%u", t->fn, t->params);
      if (t->defaults != BC_NONE) fprintf(out, ", defaults k%u", t->defaults);
      fputc('\n', out);
    }
  }
  if (m->nresdecls) {
    fputs("\nresource declarations:\n", out);
    for (uint32_t i = 0; i < m->nresdecls; i++) {
      const BcResDecl *r = &m->resdecls[i];
      fprintf(out, "  r%-5u ", i);
      put_name(&d, r->name);
      fprintf(out, ": t%u", r->rtype);
      static const char *const flags[] = {"keyed", "conditional", "protect", "create_before_destroy", "test"};
      for (int b = 0; b < 5; b++)
        if (r->flags & (1u << b)) fprintf(out, " %s", flags[b]);
      if (r->ignore != BC_NONE) fprintf(out, " ignore_changes k%u", r->ignore);
      if (r->replace != BC_NONE) fprintf(out, " replace_on_change k%u", r->replace);
      fputs(" at ", out);
      put_loc(&d, r->loc);
      fputc('\n', out);
    }
  }
  if (m->npolicies) {
    fputs("\npolicies:\n", out);
    for (uint32_t i = 0; i < m->npolicies; i++) {
      const BcPolicy *p = &m->policies[i];
      fputs("  ", out);
      put_sidx(&d, p->title);
      fprintf(out, " for t%u:", p->rtype);
      for (uint32_t j = 0; j < p->nrules; j++)
        fprintf(out, " %s(f%u, message f%u)", p->rules[j].kind ? "warn" : "deny", p->rules[j].cond, p->rules[j].msg);
      fputc('\n', out);
    }
  }
  if (m->ntests) {
    fputs("\ntests:\n", out);
    for (uint32_t i = 0; i < m->ntests; i++) {
      fputs("  ", out);
      put_sidx(&d, m->tests[i].title);
      fprintf(out, " f%u\n", m->tests[i].fn);
    }
  }
  if (m->nmoved) {
    fputs("\nmoved:\n", out);
    for (uint32_t i = 0; i < m->nmoved; i++) {
      fputs("  ", out);
      put_name(&d, m->moved[i].from);
      fputs(" -> ", out);
      put_name(&d, m->moved[i].to);
      fputc('\n', out);
    }
  }
  if (m->noutputs) {
    fputs("\noutputs:\n", out);
    for (uint32_t i = 0; i < m->noutputs; i++) {
      fputs("  ", out);
      put_name(&d, m->outputs[i].name);
      fprintf(out, " = g%u\n", m->outputs[i].global);
    }
  }
  for (uint32_t i = 0; i < m->nfuncs; i++) put_func(&d, i);
  for (uint32_t i = 0; i < d.nsrc; i++) {
    free(d.src[i].text);
    free(d.src[i].lines);
  }
  free(d.src);
}
