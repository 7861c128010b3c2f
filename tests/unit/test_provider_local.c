/* Unit tests of the built-in `local` provider (providers/local.c), on real files in a fresh
 * project folder: File create (parents, exact mode, size and sha256, no temporary file
 * left, atomic replacement seen through an open descriptor), read back with drift and
 * deletion, diff decisions (path replaces, content and mode update in place, normalised
 * paths compare alike), update, delete (idempotent, refuses what is not a file), the path
 * rules (inside the project, not in .plat/, no symbolic link out), schema defaults,
 * non-UTF-8 content, Directory's life cycle, and messages that name provider, operation
 * and resource. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/provider_fixture.h"

typedef ProvFix Fix;

static int setup(void **state) { return prov_fix_setup(state, "local"); }
static int teardown(void **state) { return prov_fix_teardown(state); }

static json_t *file_in(const char *path, const char *content, const char *mode) {
  json_t *o = json_pack("{s:s}", "path", path);
  if (content) json_object_set_new(o, "content", json_string(content));
  if (mode) json_object_set_new(o, "mode", json_string(mode));
  return o;
}

static void test_create_file(void **state) {
  Fix *f = *state;
  json_t *in = file_in("out/a/hello.txt", "hello\n", "0640");
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_CREATE, "File", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_string_equal(r.id, "out/a/hello.txt");
  assert_int_equal(json_integer_value(json_object_get(r.outputs, "size")), 6);
  assert_string_equal(sget(r.outputs, "sha256"),
                      "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  assert_int_equal(json_array_size(r.secrets), 0);
  char *text = read_text(at(f->root, "out/a/hello.txt"));
  assert_non_null(text);
  assert_string_equal(text, "hello\n");
  free(text);
  struct stat st;
  assert_int_equal(stat(at(f->root, "out/a/hello.txt"), &st), 0);
  assert_int_equal(st.st_mode & 07777, 0640);   /* exactly, whatever the umask */
  /* the temporary file is gone: the folder holds the file and nothing else */
  assert_int_equal(count_entries(at(f->root, "out/a")), 1);
  prov_res_free(&r);
  json_decref(in);
}

static void test_defaults_from_schema(void **state) {
  Fix *f = *state;
  json_t *in = file_in("empty.txt", NULL, NULL);
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_CREATE, "File", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_int_equal(json_integer_value(json_object_get(r.outputs, "size")), 0);
  prov_res_free(&r);
  struct stat st;
  assert_int_equal(stat(at(f->root, "empty.txt"), &st), 0);
  assert_int_equal(st.st_mode & 07777, 0644);   /* mode = "0644" from local.plat */
  assert_int_equal(run_op(f->p, PROV_READ, "File", "empty.txt", in, NULL, NULL, &r), PROV_OK);
  assert_string_equal(sget(r.inputs, "content"), "");
  assert_string_equal(sget(r.inputs, "mode"), "0644");
  prov_res_free(&r);
  json_decref(in);
}

static void test_read_sees_drift_and_deletion(void **state) {
  Fix *f = *state;
  json_t *in = file_in("cfg.json", "{}", "0600");
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_CREATE, "File", NULL, in, NULL, NULL, &r), PROV_OK);
  json_t *outs = json_incref(r.outputs);
  prov_res_free(&r);

  assert_int_equal(run_op(f->p, PROV_READ, "File", "cfg.json", in, outs, NULL, &r), PROV_OK);
  assert_string_equal(sget(r.inputs, "content"), "{}");
  assert_string_equal(sget(r.inputs, "mode"), "0600");
  assert_true(json_equal(r.outputs, outs));
  prov_res_free(&r);

  /* someone edits the file by hand and changes its mode */
  write_text(at(f->root, "cfg.json"), "{\"x\": 1}");
  chmod(at(f->root, "cfg.json"), 0644);
  assert_int_equal(run_op(f->p, PROV_READ, "File", "cfg.json", in, outs, NULL, &r), PROV_OK);
  assert_string_equal(sget(r.inputs, "content"), "{\"x\": 1}");
  assert_string_equal(sget(r.inputs, "mode"), "0644");
  assert_int_equal(json_integer_value(json_object_get(r.outputs, "size")), 8);
  assert_string_not_equal(sget(r.outputs, "sha256"), sget(outs, "sha256"));
  prov_res_free(&r);

  /* ... then deletes it */
  unlink(at(f->root, "cfg.json"));
  assert_int_equal(run_op(f->p, PROV_READ, "File", "cfg.json", in, outs, NULL, &r), PROV_GONE);
  assert_null(r.message);
  prov_res_free(&r);

  /* a folder where the file was is not this resource either */
  mkdir(at(f->root, "cfg.json"), 0755);
  assert_int_equal(run_op(f->p, PROV_READ, "File", "cfg.json", in, outs, NULL, &r), PROV_GONE);
  prov_res_free(&r);
  json_decref(outs);
  json_decref(in);
}

static void test_read_by_id_for_import(void **state) {
  Fix *f = *state;
  mkdir(at(f->root, "etc"), 0755);
  write_text(at(f->root, "etc/motd"), "hi");
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_READ, "File", "etc/motd", NULL, NULL, NULL, &r), PROV_OK);
  assert_string_equal(sget(r.inputs, "path"), "etc/motd");
  assert_string_equal(sget(r.inputs, "content"), "hi");
  assert_string_equal(r.id, "etc/motd");
  prov_res_free(&r);
}

/* Recovery after a kill during create: no id was recorded, the inputs find the file. */
static void test_read_by_inputs_for_recovery(void **state) {
  Fix *f = *state;
  json_t *in = file_in("half/made.txt", "x", NULL);
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_READ, "File", NULL, in, NULL, NULL, &r), PROV_GONE);
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_CREATE, "File", NULL, in, NULL, NULL, &r), PROV_OK);
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_READ, "File", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_string_equal(r.id, "half/made.txt");
  assert_string_equal(sget(r.inputs, "content"), "x");
  prov_res_free(&r);
  json_decref(in);
}

static void test_non_utf8_content_reads_as_null(void **state) {
  Fix *f = *state;
  write_text(at(f->root, "bin"), "\xff\xfe");
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_READ, "File", "bin", NULL, NULL, NULL, &r), PROV_OK);
  assert_true(json_is_null(json_object_get(r.inputs, "content")));
  assert_int_equal(json_integer_value(json_object_get(r.outputs, "size")), 2);
  prov_res_free(&r);
}

static void test_diff_decisions(void **state) {
  Fix *f = *state;
  json_t *old = file_in("out/a.txt", "one", "0644");
  struct {
    json_t *new_in;
    ProvDiffKind kind;
    const char *changed, *replaces;
  } cases[] = {
      {file_in("out/a.txt", "one", "0644"), PROV_DIFF_NONE, "[]", "[]"},
      {file_in("./out//a.txt", "one", NULL), PROV_DIFF_NONE, "[]", "[]"},
      {file_in("out/a.txt", "two", "0644"), PROV_DIFF_UPDATE, "[\"content\"]", "[]"},
      {file_in("out/a.txt", "one", "0600"), PROV_DIFF_UPDATE, "[\"mode\"]", "[]"},
      {file_in("out/b.txt", "two", "0644"), PROV_DIFF_REPLACE, "[\"content\",\"path\"]",
       "[\"path\"]"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ProvRes r;
    assert_int_equal(run_op(f->p, PROV_DIFF, "File", NULL, old, NULL, cases[i].new_in, &r),
                     PROV_OK);
    assert_int_equal(r.diff, cases[i].kind);
    char *c = dump(r.changed), *rp = dump(r.replaces);
    assert_string_equal(c, cases[i].changed);
    assert_string_equal(rp, cases[i].replaces);
    free(c);
    free(rp);
    prov_res_free(&r);
    json_decref(cases[i].new_in);
  }
  json_decref(old);
}

static void test_update_is_atomic(void **state) {
  Fix *f = *state;
  json_t *in = file_in("a.txt", "old content", NULL);
  json_t *in2 = file_in("a.txt", "new content!", "0600");
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_CREATE, "File", NULL, in, NULL, NULL, &r), PROV_OK);
  prov_res_free(&r);
  /* a reader holding the old file keeps seeing all of it: the new one is a new inode
     renamed over the path, never the old one rewritten in place */
  int fd = open(at(f->root, "a.txt"), O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(run_op(f->p, PROV_UPDATE, "File", "a.txt", in, NULL, in2, &r), PROV_OK);
  assert_int_equal(json_integer_value(json_object_get(r.outputs, "size")), 12);
  prov_res_free(&r);
  char buf[64] = "";
  assert_int_equal(read(fd, buf, sizeof buf - 1), 11);
  assert_string_equal(buf, "old content");
  close(fd);
  char *text = read_text(at(f->root, "a.txt"));
  assert_string_equal(text, "new content!");
  free(text);
  struct stat st;
  stat(at(f->root, "a.txt"), &st);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(count_entries(f->root), 1);   /* no temporary file left */
  json_decref(in);
  json_decref(in2);
}

static void test_delete(void **state) {
  Fix *f = *state;
  json_t *in = file_in("d/x.txt", "x", NULL);
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_CREATE, "File", NULL, in, NULL, NULL, &r), PROV_OK);
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_DELETE, "File", "d/x.txt", in, NULL, NULL, &r), PROV_OK);
  prov_res_free(&r);
  assert_int_equal(access(at(f->root, "d/x.txt"), F_OK), -1);
  /* deleting what is gone is fine: a retried or resumed delete must not fail */
  assert_int_equal(run_op(f->p, PROV_DELETE, "File", "d/x.txt", in, NULL, NULL, &r), PROV_OK);
  prov_res_free(&r);
  /* a folder at the path is not removed by a File's delete */
  mkdir(at(f->root, "d/x.txt"), 0755);
  assert_int_equal(run_op(f->p, PROV_DELETE, "File", "d/x.txt", in, NULL, NULL, &r), PROV_ERROR);
  assert_non_null(strstr(r.message, "no longer a regular file"));
  prov_res_free(&r);
  assert_int_equal(access(at(f->root, "d/x.txt"), F_OK), 0);
  json_decref(in);
}

static void test_paths_stay_in_the_project(void **state) {
  Fix *f = *state;
  const char *bad[] = {"../escape.txt", "a/../../escape.txt", "/etc/passwd", ".plat/state.json",
                       "./.plat", "", "."};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_t *in = file_in(bad[i], "x", NULL);
    ProvRes r;
    assert_int_equal(run_op(f->p, PROV_CHECK, "File", NULL, in, NULL, NULL, &r), PROV_OK);
    assert_int_equal(json_array_size(r.problems), 1);
    assert_string_equal(sget(json_array_get(r.problems, 0), "property"), "path");
    prov_res_free(&r);
    assert_int_equal(run_op(f->p, PROV_CREATE, "File", NULL, in, NULL, NULL, &r), PROV_ERROR);
    prov_res_free(&r);
    json_decref(in);
  }
  /* an absolute path inside the project is fine, and its id is relative */
  json_t *in = file_in(at(f->root, "abs.txt"), "x", NULL);
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_CREATE, "File", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_string_equal(r.id, "abs.txt");
  prov_res_free(&r);
  json_decref(in);
  /* a symbolic link on the way that leads out is refused, and nothing is written there */
  char *outside = make_root();
  assert_int_equal(symlink(outside, at(f->root, "link")), 0);
  in = file_in("link/evil.txt", "x", NULL);
  assert_int_equal(run_op(f->p, PROV_CREATE, "File", NULL, in, NULL, NULL, &r), PROV_ERROR);
  assert_non_null(strstr(r.message, "symbolic link"));
  prov_res_free(&r);
  assert_int_equal(count_entries(outside), 0);
  assert_int_equal(run_op(f->p, PROV_READ, "File", "link/evil.txt", in, NULL, NULL, &r),
                   PROV_ERROR);
  prov_res_free(&r);
  json_decref(in);
  rm_rf(outside);
  free(outside);
}

static void test_check_mode_and_content(void **state) {
  Fix *f = *state;
  json_t *in = json_pack("{s:s,s:i,s:s}", "path", "a", "content", 3, "mode", "999");
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_CHECK, "File", NULL, in, NULL, NULL, &r), PROV_OK);
  char *d = dump(r.problems);
  assert_non_null(strstr(d, "\"property\":\"mode\""));
  assert_non_null(strstr(d, "\"property\":\"content\""));
  free(d);
  prov_res_free(&r);
  json_decref(in);
  in = file_in("a", "", "4755");   /* setuid is refused */
  assert_int_equal(run_op(f->p, PROV_CREATE, "File", NULL, in, NULL, NULL, &r), PROV_ERROR);
  prov_res_free(&r);
  json_decref(in);
}

static void test_message_names_provider_op_resource(void **state) {
  Fix *f = *state;
  json_t *in = file_in(".plat/x", "x", NULL);
  ProvReq q = {.type = "File", .address = "app.cfg", .inputs = in};
  ProvRes r;
  assert_int_equal(prov_call(f->p, PROV_CREATE, &q, &r), PROV_ERROR);
  assert_non_null(strstr(r.message, "provider 'local'"));
  assert_non_null(strstr(r.message, "create of local.File \"app.cfg\""));
  assert_non_null(strstr(r.message, ".plat/"));
  prov_res_free(&r);
  q.type = "Fil";
  assert_int_equal(prov_call(f->p, PROV_CREATE, &q, &r), PROV_ERROR);
  assert_non_null(strstr(r.message, "no resource type 'Fil' (it has: File, Directory)"));
  prov_res_free(&r);
  json_decref(in);
}

static void test_directory_life_cycle(void **state) {
  Fix *f = *state;
  json_t *in = json_pack("{s:s,s:s}", "path", "out/deep/dir", "mode", "0750");
  json_t *in2 = json_pack("{s:s,s:s}", "path", "out/deep/dir", "mode", "0700");
  ProvRes r;
  assert_int_equal(run_op(f->p, PROV_CREATE, "Directory", NULL, in, NULL, NULL, &r), PROV_OK);
  assert_string_equal(r.id, "out/deep/dir");
  prov_res_free(&r);
  struct stat st;
  assert_int_equal(stat(at(f->root, "out/deep/dir"), &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_int_equal(st.st_mode & 07777, 0750);
  assert_int_equal(run_op(f->p, PROV_READ, "Directory", "out/deep/dir", in, NULL, NULL, &r),
                   PROV_OK);
  assert_string_equal(sget(r.inputs, "mode"), "0750");
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_DIFF, "Directory", NULL, in, NULL, in2, &r), PROV_OK);
  assert_int_equal(r.diff, PROV_DIFF_UPDATE);
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_UPDATE, "Directory", "out/deep/dir", in, NULL, in2, &r),
                   PROV_OK);
  prov_res_free(&r);
  stat(at(f->root, "out/deep/dir"), &st);
  assert_int_equal(st.st_mode & 07777, 0700);
  /* a folder with files in it is not deleted */
  write_text(at(f->root, "out/deep/dir/keep"), "k");
  assert_int_equal(run_op(f->p, PROV_DELETE, "Directory", "out/deep/dir", in2, NULL, NULL, &r),
                   PROV_ERROR);
  assert_non_null(strstr(r.message, "not empty"));
  prov_res_free(&r);
  assert_int_equal(access(at(f->root, "out/deep/dir/keep"), F_OK), 0);
  unlink(at(f->root, "out/deep/dir/keep"));
  assert_int_equal(run_op(f->p, PROV_DELETE, "Directory", "out/deep/dir", in2, NULL, NULL, &r),
                   PROV_OK);
  prov_res_free(&r);
  assert_int_equal(run_op(f->p, PROV_READ, "Directory", "out/deep/dir", in2, NULL, NULL, &r),
                   PROV_GONE);
  prov_res_free(&r);
  json_decref(in);
  json_decref(in2);
}

static void test_open_refuses_config(void **state) {
  (void)state;
  char *root = make_root();
  ProvConfig cfg = {.project_root = root};
  ProvRegistry *reg = prov_registry_new(&cfg);
  json_t *conf = json_pack("{s:s}", "x", "y");
  char *err = NULL;
  assert_null(prov_open(reg, "local", conf, &err));
  assert_non_null(strstr(err, "provider 'local': it takes no configuration"));
  free(err);
  json_decref(conf);
  prov_registry_free(reg);
  rm_rf(root);
  free(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_defaults_from_schema, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_sees_drift_and_deletion, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_by_id_for_import, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_by_inputs_for_recovery, setup, teardown),
      cmocka_unit_test_setup_teardown(test_non_utf8_content_reads_as_null, setup, teardown),
      cmocka_unit_test_setup_teardown(test_diff_decisions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_update_is_atomic, setup, teardown),
      cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
      cmocka_unit_test_setup_teardown(test_paths_stay_in_the_project, setup, teardown),
      cmocka_unit_test_setup_teardown(test_check_mode_and_content, setup, teardown),
      cmocka_unit_test_setup_teardown(test_message_names_provider_op_resource, setup, teardown),
      cmocka_unit_test_setup_teardown(test_directory_life_cycle, setup, teardown),
      cmocka_unit_test(test_open_refuses_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
