/* Run-time check of a built-in call's arguments against its signature (pb_args_fit,
 * vm/platb.h).  The stdlib relies on the checker's typing (stdlib/stdlib.h: "an
 * implementation may rely on their tags"), which a module loaded from a .platb never went
 * through: the verifier proves the bytecode is well formed, not well typed, so the VM
 * checks each argument's shape here before calling, and a hostile module gets a runtime
 * error instead of a crash.  The signature is read from its text in stdlib/builtins.def
 * (BiParam.text: "list<string>", "T?", "string | int"); generics and any accept all. */
#include <stdio.h>
#include <string.h>

#include "compiler/builtins.h"
#include "vm/platb.h"

static void ws(const char **s) {
  while (**s == ' ') (*s)++;
}

/* Past one type (an alternation) without matching: brackets balanced, up to a top-level
 * ',' or ')' or '>' or the end. */
static const char *skip_type(const char *s) {
  int depth = 0;
  for (; *s; s++) {
    if (*s == '<') depth++;
    else if (*s == '>') { if (depth == 0) break; depth--; }
    else if ((*s == ',' || *s == ')') && depth == 0) break;
  }
  return s;
}

static bool fits_alt(const char **s, Val v);

static bool word(const char **s, const char *w) {
  size_t n = strlen(w);
  if (strncmp(*s, w, n) != 0) return false;
  char c = (*s)[n];
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') return false;
  *s += n;
  return true;
}

/* list<X> / map<X>: every element fits X; *s ends past the '>'. */
static bool fits_elems(const char **s, Val v, bool list) {
  ws(s);
  if (**s != '<') return false;
  (*s)++;
  const char *elem = *s, *end = skip_type(elem);
  bool ok = v.tag == (list ? VT_LIST : VT_MAP);
  if (ok) {
    uint32_t n = list ? v.as.l->n : v.as.m->n;
    for (uint32_t i = 0; i < n && ok; i++) {
      const char *t = elem;
      ok = fits_alt(&t, list ? v.as.l->items[i] : v.as.m->e[i].val);
    }
  }
  *s = end;
  if (**s == '>') (*s)++;
  return ok;
}

static bool fits_prim(const char **s, Val v) {
  ws(s);
  if (word(s, "secret")) return fits_prim(s, v);
  if (word(s, "list")) return fits_elems(s, v, true);
  if (word(s, "map")) return fits_elems(s, v, false);
  if (word(s, "string")) return v.tag == VT_STR;
  if (word(s, "int")) return v.tag == VT_INT;
  /* numbers are one kind to users: a float parameter takes an int */
  if (word(s, "float") || word(s, "number")) return v.tag == VT_INT || v.tag == VT_FLOAT;
  if (word(s, "bool")) return v.tag == VT_BOOL;
  /* T, U, any, Match: the implementation takes every value */
  while ((**s >= 'a' && **s <= 'z') || (**s >= 'A' && **s <= 'Z') || (**s >= '0' && **s <= '9') || **s == '_')
    (*s)++;
  return true;
}

static bool fits_alt(const char **s, Val v) {
  bool ok = fits_prim(s, v);
  ws(s);
  if (**s == '?') {
    (*s)++;
    ok = ok || v.tag == VT_NULL;
    ws(s);
  }
  if (**s == '|') {
    (*s)++;
    bool rest = fits_alt(s, v);
    ok = ok || rest;
  }
  return ok;
}

bool pb_args_fit(int id, const Val *args, uint32_t n, char *why, size_t whylen) {
  const Builtin *b = id >= 0 && id < BI__COUNT ? bi_get((BuiltinId)id) : NULL;
  if (!b) {
    snprintf(why, whylen, "built-in %d does not exist", id);
    return false;
  }
  /* a built-in typed by its context (jsondecode) takes that type's descriptor, a string,
   * as one more argument (stdlib/conform.h) */
  uint32_t max = b->nparams + (b->ret_expected ? 1 : 0);
  if (n < b->min_args || (!b->variadic && n > max)) {
    snprintf(why, whylen, "%s: called with %u arguments", b->name, n);
    return false;
  }
  if (b->ret_expected && !b->variadic && n == max && args[n - 1].tag != VT_STR) {
    snprintf(why, whylen, "%s: its type descriptor is a %s, not a string", b->name, val_type_name(args[n - 1]));
    return false;
  }
  for (uint32_t i = 0; i < n && i < b->nparams + (b->variadic ? n : 0); i++) {
    const BiParam *p = &b->params[i < b->nparams ? i : b->nparams - 1];
    const char *t = p->text;
    if (!fits_alt(&t, args[i])) {
      snprintf(why, whylen, "%s: argument %u (%s) is a %s, which does not fit %s", b->name, i + 1,
               p->name, val_type_name(args[i]), p->text);
      return false;
    }
  }
  return true;
}
