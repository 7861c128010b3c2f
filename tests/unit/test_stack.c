/* deploy/stack.c: stacks made on first use, selected, listed and removed under a real
 * project folder; per-stack config with secrets sealed on disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy/engine.h"
#include "deploy/stack.h"
#include "deploy/state.h"
#include "tests/unit/tmpdir.h"

static char root[64];
static char err[1024];

static int setup(void **state) {
  (void)state;
  assert_true(tmpdir_make(root, sizeof root, "platc-stack"));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  assert_true(tmpdir_remove(root));
  return 0;
}

static void test_default_stack_made_on_first_use(void **state) {
  (void)state;
  Stack s;
  assert_true(stack_open(&s, root, NULL, false, err, sizeof err));
  assert_string_equal(s.name, "dev");
  assert_int_equal(access(s.dir, F_OK), 0);
  char cur[128];
  snprintf(cur, sizeof cur, "%s/.plat/current", root);
  assert_int_equal(access(cur, F_OK), 0);
  stack_free(&s);
  /* Another name must be made first; the message lists what exists. */
  assert_false(stack_open(&s, root, "prod", false, err, sizeof err));
  assert_string_equal(err, "no stack 'prod' in this project (there are: dev); make it with "
                           "`platc stack init prod`");
  assert_false(stack_open(&s, root, "../evil", true, err, sizeof err));
  assert_non_null(strstr(err, "not a valid stack name"));
}

static void test_init_select_list_remove(void **state) {
  (void)state;
  Stack s;
  assert_true(stack_open(&s, root, "prod", true, err, sizeof err));
  stack_free(&s);
  assert_true(stack_open(&s, root, "dev", true, err, sizeof err));
  stack_free(&s);
  assert_true(stack_select(root, "prod", err, sizeof err));
  uint32_t n;
  char *cur;
  char **names = stack_list(root, &n, &cur);
  assert_int_equal(n, 2);
  assert_string_equal(names[0], "dev");
  assert_string_equal(names[1], "prod");
  assert_string_equal(cur, "prod");
  stack_list_free(names, n);
  free(cur);
  assert_true(stack_open(&s, root, NULL, false, err, sizeof err));
  assert_string_equal(s.name, "prod");
  /* A stack with resources in its state is not removed without --force. */
  State st;
  state_init(&st, "prod");
  StateRes r = { 0 };
  r.address = strdup("f");
  r.type = strdup("local.File");
  r.provider = strdup("local");
  r.id = strdup("f");
  r.inputs = json_object();
  r.outputs = json_object();
  state_put(&st, &r);
  assert_true(state_save(&st, s.state_path, NULL, err, sizeof err));
  state_free(&st);
  assert_false(stack_remove(root, "prod", false, err, sizeof err));
  assert_non_null(strstr(err, "still has 1 resource: run `platc destroy --stack prod` first"));
  assert_true(stack_remove(root, "prod", true, err, sizeof err));
  assert_int_equal(access(s.dir, F_OK), -1);
  stack_free(&s);
  names = stack_list(root, &n, &cur);
  assert_int_equal(n, 1);
  assert_null(cur);                 /* the selected stack was removed */
  stack_list_free(names, n);
}

static void test_config_secret_sealed(void **state) {
  (void)state;
  Stack s;
  assert_true(stack_open(&s, root, NULL, false, err, sizeof err));
  CryptKey key;
  assert_true(stack_key(&s, NULL, &key, err, sizeof err));
  StackConfig c;
  assert_true(config_load(&s, &key, &c, err, sizeof err));
  config_set(&c, "region", "eu-west", false);
  config_set(&c, "apiToken", "tok-sup3rs3cret", true);
  assert_true(config_save(&s, &key, &c, err, sizeof err));
  config_free(&c);
  FILE *f = fopen(s.config_path, "r");
  char buf[4096];
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  buf[len] = '\0';
  fclose(f);
  assert_null(strstr(buf, "sup3rs3cret"));
  assert_non_null(strstr(buf, "eu-west"));
  assert_true(config_load(&s, &key, &c, err, sizeof err));
  bool secret = false;
  assert_string_equal(config_get(&c, "apiToken", &secret), "tok-sup3rs3cret");
  assert_true(secret);
  assert_string_equal(config_get(&c, "region", &secret), "eu-west");
  assert_false(secret);
  assert_true(config_rm(&c, "region"));
  assert_false(config_rm(&c, "region"));
  assert_null(config_get(&c, "region", NULL));
  config_free(&c);
  /* Corrupt config is refused with the file named. */
  f = fopen(s.config_path, "w");
  fputs("{\"values\": [", f);
  fclose(f);
  assert_false(config_load(&s, &key, &c, err, sizeof err));
  assert_non_null(strstr(err, "corrupt config"));
  config_free(&c);
  stack_free(&s);
}

static void test_peek_makes_nothing(void **state) {
  (void)state;
  Stack s;
  char plat[128];
  snprintf(plat, sizeof plat, "%s/.plat", root);
  assert_false(stack_peek(&s, root, NULL));
  assert_false(stack_peek(&s, root, "prod"));
  assert_int_equal(access(plat, F_OK), -1);       /* nothing made */
  assert_true(stack_open(&s, root, NULL, false, err, sizeof err));
  stack_free(&s);
  assert_true(stack_peek(&s, root, NULL));
  assert_string_equal(s.name, "dev");
  assert_non_null(strstr(s.state_path, "/.plat/stacks/dev/state.json"));
  stack_free(&s);
  assert_false(stack_peek(&s, root, "prod"));
  assert_false(stack_peek(&s, root, "../evil"));
}

/* A stack dev whose state holds one resource at [addr]. */
static void save_state_with(const char *addr) {
  Stack s;
  assert_true(stack_open(&s, root, NULL, false, err, sizeof err));
  CryptKey k;
  assert_true(stack_key(&s, NULL, &k, err, sizeof err));
  State st;
  bool exists;
  assert_true(state_load(&st, s.state_path, "dev", &k, &exists, err, sizeof err));
  StateRes r = { 0 };
  r.address = strdup(addr);
  r.type = strdup("local.File");
  r.provider = strdup("local");
  r.id = strdup(addr);
  r.inputs = json_object();
  r.outputs = json_object();
  state_put(&st, &r);
  assert_true(state_save(&st, s.state_path, &k, err, sizeof err));
  state_free(&st);
  stack_free(&s);
}

/* Options of a read-only plan on the test project. */
static EngineOptions plan_options(void) {
  EngineOptions eo = { 0 };
  eo.root = root;
  eo.operation = "plan";
  eo.read_only = true;
  return eo;
}

/* Read the selected stack's state ahead and wait for it. */
static void read_ahead(EnginePrefetch *pf) {
  engine_prefetch_start(pf, root, NULL);
  engine_prefetch_wait(pf);
}

/* The state read ahead is taken only when, under the lock, it is still the file on disk. */
static void test_prefetch_taken_only_if_unchanged(void **state) {
  (void)state;
  EngineOptions eo = plan_options();
  /* No stack yet: nothing is read, and nothing is made. */
  EnginePrefetch pf;
  read_ahead(&pf);
  assert_false(pf.ok);
  char plat[128];
  snprintf(plat, sizeof plat, "%s/.plat", root);
  assert_int_equal(access(plat, F_OK), -1);
  engine_prefetch_end(&pf);

  save_state_with("a");
  read_ahead(&pf);
  assert_true(pf.ok);
  eo.prefetch = &pf;
  Engine e;
  assert_true(engine_open(&e, NULL, &eo, err, sizeof err));
  assert_false(pf.ok);                      /* taken */
  assert_non_null(state_find(&e.st, "a"));
  engine_close(&e);
  engine_prefetch_end(&pf);

  /* Read ahead, then the state moves on (another run saved it): read again. */
  read_ahead(&pf);
  assert_true(pf.ok);
  save_state_with("b");
  assert_true(engine_open(&e, NULL, &eo, err, sizeof err));
  assert_true(pf.ok);                       /* not taken */
  assert_non_null(state_find(&e.st, "a"));
  assert_non_null(state_find(&e.st, "b"));
  assert_int_equal(e.st.serial, 2);
  engine_close(&e);
  engine_prefetch_end(&pf);
}

/* With a passphrase, engine_open takes the read-ahead's key instead of running scrypt a
 * second time, when the salt is the one the read-ahead used.  The read-ahead's key is
 * marked (one bit changed) so that taking it shows. */
static void test_prefetch_key_taken_for_the_same_salt(void **state) {
  (void)state;
  setenv("PLAT_PASSPHRASE", "correct horse", 1);
  save_state_with("a");
  EngineOptions eo = plan_options();
  EnginePrefetch pf;
  read_ahead(&pf);
  assert_true(pf.ok);
  assert_true(pf.have_key);
  pf.key.k[0] ^= 1;
  eo.prefetch = &pf;
  Engine e;
  assert_true(engine_open(&e, NULL, &eo, err, sizeof err));
  assert_memory_equal(e.key.k, pf.key.k, CRYPT_KEY_BYTES);
  engine_close(&e);
  engine_prefetch_end(&pf);

  /* the salt replaced after the read-ahead: derived again, from the new salt */
  read_ahead(&pf);
  assert_true(pf.have_key);
  Stack s;
  assert_true(stack_open(&s, root, NULL, false, err, sizeof err));
  FILE *f = fopen(s.salt_path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite("0123456789abcdef", 1, 16, f), 16);
  fclose(f);
  CryptKey fresh;
  assert_true(stack_key(&s, NULL, &fresh, err, sizeof err));
  assert_memory_not_equal(fresh.k, pf.key.k, CRYPT_KEY_BYTES);
  assert_true(engine_open(&e, NULL, &eo, err, sizeof err));
  assert_memory_equal(e.key.k, fresh.k, CRYPT_KEY_BYTES);
  assert_true(pf.ok);                       /* the state read with the old key: not taken */
  engine_close(&e);
  engine_prefetch_end(&pf);
  stack_free(&s);
  unsetenv("PLAT_PASSPHRASE");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_default_stack_made_on_first_use, setup, teardown),
    cmocka_unit_test_setup_teardown(test_init_select_list_remove, setup, teardown),
    cmocka_unit_test_setup_teardown(test_config_secret_sealed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_peek_makes_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_prefetch_taken_only_if_unchanged, setup, teardown),
    cmocka_unit_test_setup_teardown(test_prefetch_key_taken_for_the_same_salt, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
