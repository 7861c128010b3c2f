/* The stack's configuration as the commands take it: `-c NAME=VALUE` and `--config
 * FILE.json`, turned into VmConfig entries the VM reads by each param's type (vm/vm.h).
 * Parsing the values themselves is the VM's, since it knows the types. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "vm/vm.h"

static void add(VmConfig **cfg, uint32_t *n, char *name, char *text, bool json) {
  *cfg = plat_xrealloc(*cfg, (*n + 1) * sizeof **cfg);
  (*cfg)[(*n)++] = (VmConfig){name, text, json};
}

bool vm_config_arg(const char *arg, VmConfig **cfg, uint32_t *n) {
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg) return false;
  add(cfg, n, strndup(arg, (size_t)(eq - arg)), plat_xstrdup(eq + 1), false);
  return true;
}

bool vm_config_load(const char *path, VmConfig **cfg, uint32_t *n, char *err, size_t errcap) {
  json_error_t je;
  json_t *root = json_load_file(path, JSON_ALLOW_NUL, &je);
  if (!root) {
    snprintf(err, errcap, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    return false;
  }
  if (!json_is_object(root)) {
    snprintf(err, errcap, "%s: the configuration must be a JSON object of param names to values", path);
    json_decref(root);
    return false;
  }
  /* sorted keys: the order of the file never matters */
  size_t nk = json_object_size(root), k = 0;
  const char **keys = plat_xcalloc(nk ? nk : 1, sizeof *keys);
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v) keys[k++] = key;
  for (size_t i = 1; i < nk; i++)
    for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
      const char *t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t;
    }
  for (size_t i = 0; i < nk; i++) {
    char *text = json_dumps(json_object_get(root, keys[i]), JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) continue;
    add(cfg, n, plat_xstrdup(keys[i]), plat_xstrdup(text), true);
    free(text);
  }
  free(keys);
  json_decref(root);
  return true;
}

void vm_config_free(VmConfig *cfg, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    free((char *)cfg[i].name);
    free((char *)cfg[i].text);
  }
  free(cfg);
}
