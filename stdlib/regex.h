/* Regular expressions for regex, regexall and replace(s, "/re/", r): PCRE2 in UTF mode,
 * set up to read Terraform's (Go RE2) patterns as Go does ($ only at the very end, \d \w
 * \s ASCII), each pattern text compiled once per process and cached.  The checker asks
 * sl_regex_shape for the result type of regex/regexall from a constant pattern. */
#ifndef PLAT_SL_REGEX_H
#define PLAT_SL_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/arena.h"
#include "vm/value.h"

/* What one match of a pattern gives (Terraform's rule): the matched text when the pattern
 * has no capture group, the groups' texts in order when they are unnamed, a map from name
 * to text when they are named; a group that took no part in the match gives null. */
typedef enum SlReKind { SL_RE_WHOLE, SL_RE_LIST, SL_RE_NAMED } SlReKind;

typedef struct SlReShape {
  SlReKind kind;
  uint32_t ngroups;      /* capture groups */
  const char **names;    /* SL_RE_NAMED: the name of each group, in group order */
} SlReShape;

/* The shape of pattern [pat] ([len] bytes), with names copied into [a].  False, with
 * *err set to a message (arena text, "error parsing pattern: ... at offset 3"), when the
 * pattern is invalid or mixes named and unnamed groups. */
bool sl_regex_shape(Arena *a, const char *pat, size_t len, SlReShape *out, const char **err);

/* replace(s, "/pat/", repl): every match of [pat] in [s] replaced by [repl], in which
 * $1, ${1}, $name and ${name} stand for groups and $$ for a dollar sign (Go's Expand). */
Val sl_regex_replace(Rt *rt, Val s, const char *pat, uint32_t plen, Val repl);

#endif
