/* Compile-time constants: the values the checker folds (ints, floats, strings, bools,
 * null, lists, records) and the operations on them, so refinements are checked at compile
 * time whenever the value is constant (§3) and constant mistakes (1 / 0) are caught.
 * A fold that cannot be done (an unsupported built-in, a result over the size limits)
 * is "unknown", never an error; only real faults (overflow, division by zero) are. */
#ifndef PLAT_CONSTEVAL_H
#define PLAT_CONSTEVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/arena.h"
#include "compiler/ast.h"
#include "compiler/builtins.h"

typedef enum ValKind { V_NULL, V_BOOL, V_INT, V_FLOAT, V_STRING, V_LIST, V_RECORD } ValKind;

typedef struct Value Value;
typedef struct ValField { const char *key; uint32_t klen; const Value *val; } ValField;

struct Value {
  ValKind kind;
  uint32_t n;                 /* string bytes, list items, record fields */
  union {
    bool b;
    int64_t i;
    double f;
    const char *s;            /* NUL-terminated, n bytes */
    const Value **items;
    const ValField *fields;   /* in written order; keys unique */
  } u;
};

/* Past these sizes a constant is "unknown" rather than folded, so `"${s}${s}"` repeated
 * cannot blow up the compiler. */
#define CV_MAX_STRING (1u << 20)
#define CV_MAX_ITEMS (1u << 16)

typedef enum CvStatus { CV_OK, CV_UNKNOWN, CV_FAULT } CvStatus;

const Value *cv_null(void);
const Value *cv_bool(bool b);
const Value *cv_int(Arena *a, int64_t i);
const Value *cv_float(Arena *a, double f);
const Value *cv_string(Arena *a, const char *s, uint32_t n);   /* copies [s] */
/* [items]/[fields] are copied. */
const Value *cv_list(Arena *a, const Value *const *items, uint32_t n);
const Value *cv_record(Arena *a, const ValField *fields, uint32_t n);

/* Fold an operator.  CV_OK sets *out; CV_FAULT sets *fault to a message ("integer
 * overflow in 9223372036854775807 + 1", "division by zero"); CV_UNKNOWN: not foldable. */
CvStatus cv_unary(Arena *a, UnaryOp op, const Value *v, const Value **out, const char **fault);
CvStatus cv_binary(Arena *a, BinaryOp op, const Value *l, const Value *r, const Value **out,
                   const char **fault);
/* Fold a call of built-in [id] on constant [args]. */
CvStatus cv_call(Arena *a, BuiltinId id, const Value *const *args, uint32_t n,
                 const Value **out, const char **fault);
/* The value of a record field or list item, or NULL. */
const Value *cv_member(const Value *rec, const char *key, uint32_t klen);

bool cv_equal(const Value *a, const Value *b);
/* Append the text form of [v] (as Plat source: 42, "x", [1, 2], { a = 1 }) to an arena
 * string, shortened with "..." past [max] bytes. */
const char *cv_show(Arena *a, const Value *v, uint32_t max);

#endif
