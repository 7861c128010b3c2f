/* Stacks and their configuration: the project's `.plat/` folder holds one folder per
 * stack (`.plat/stacks/<name>/`: state, journal, lock, key, config) and the name of the
 * selected one (`.plat/current`).  A `dev` stack is made on first use.  Config values are
 * the program's top-level params, per stack; secret ones are sealed like secrets in state
 * (docs/state.md).  See docs/stacks.md. */
#ifndef PLAT_STACK_H
#define PLAT_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "deploy/crypt.h"

#define STACK_DEFAULT "dev"
#define STACK_NAME_MAX 64

typedef struct Stack {
  char *root;            /* the project folder (holds .plat/) */
  char *name;
  char *dir;             /* <root>/.plat/stacks/<name> */
  char *state_path, *journal_path, *lock_path, *key_path, *salt_path, *config_path;
} Stack;

/* A stack name is [A-Za-z0-9_.-]{1,64}, not starting with '.' or '-': safe as a folder. */
bool stack_name_valid(const char *name);

/* Open stack [name] (NULL: the selected one, else `dev`) of the project at [root],
 * making `.plat/`, the stack's folder and `.plat/current` on first use when [create];
 * an unknown stack without [create] is an error naming the stacks there are. */
bool stack_open(Stack *s, const char *root, const char *name, bool create, char *err,
                size_t errlen);
void stack_free(Stack *s);
/* Find stack [name] (NULL: the selected one, else `dev`) as stack_open does, but make
 * nothing and say nothing: false when the stack's folder does not exist yet. */
bool stack_peek(Stack *s, const char *root, const char *name);

/* The stacks of the project, sorted (malloc'd array of malloc'd names), and which is
 * selected (*current, malloc'd, or NULL). */
char **stack_list(const char *root, uint32_t *n, char **current);
void stack_list_free(char **names, uint32_t n);
/* Make the selected stack [name] (it must exist). */
bool stack_select(const char *root, const char *name, char *err, size_t errlen);
/* Remove stack [name]'s folder.  Refused while its state holds resources (destroy them
 * first) unless [force]; refused while it is locked. */
bool stack_remove(const char *root, const char *name, bool force, char *err, size_t errlen);

/* The stack's key: from PLAT_PASSPHRASE when set, else its key file (made on first use).
 * [known]: a key derived earlier in this process, or NULL (see crypt_key_load). */
bool stack_key(const Stack *s, const CryptKey *known, CryptKey *key, char *err, size_t errlen);

/* Config: an object name -> {"value": JSON text as given, "secret": bool} in
 * config.json (secret values sealed).  [key] opens secret values (NULL: they stay
 * sealed and config_get refuses them). */
typedef struct StackConfig {
  json_t *values;        /* name -> {"value": "...", "secret": bool}, plaintext in memory */
} StackConfig;

bool config_load(const Stack *s, const CryptKey *key, StackConfig *c, char *err, size_t errlen);
bool config_save(const Stack *s, const CryptKey *key, const StackConfig *c, char *err,
                 size_t errlen);
void config_free(StackConfig *c);
/* Set, read (NULL when absent; *secret tells) and remove one value. */
void config_set(StackConfig *c, const char *name, const char *value, bool secret);
const char *config_get(const StackConfig *c, const char *name, bool *secret);
bool config_rm(StackConfig *c, const char *name);

#endif
