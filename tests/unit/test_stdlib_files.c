/* The file and path built-ins (stdlib/files.c) on a real folder tree: paths relative to
 * the module folder (rt->base_dir), "~" expansion, UTF-8 refused as Terraform refuses it,
 * fileset's globs (*, **, ?, [..], {a,b}) without following linked folders, templatefile
 * through the VM's hook, and Go's path rules for basename/dirname/abspath. */
#include "stdlib/bytes.h"
#include "tests/unit/stdlib_harness.h"
#include "tests/unit/stdlib_tmpdir.h"

static int files_setup(void **state) {
  if (t_dir_setup(state) != 0) return -1;
  t_mkdir("sub");
  t_mkdir("sub/deep");
  t_put("a.txt", "hello\n", 6);
  t_put("bin.dat", "\xff", 1);
  t_put("nul.txt", "a\0b", 3);
  t_put(".hidden", "", 0);
  t_put("sub/b.txt", "b", 1);
  t_put("sub/c.json", "{}", 2);
  t_put("sub/deep/d.txt", "d", 1);
  t_put("tpl.tmpl", "Hello ${name}", 13);
  if (symlink("sub", t_in_dir("%s/link")) != 0) return -1;   /* a linked folder: not walked */
  setenv("HOME", T_dir, 1);
  return 0;
}

static void test_file(void **s) {
  (void)s;
  OK("\"hello\\n\"", file, S("a.txt"));
  OK("\"hello\\n\"", file, S("./sub/../a.txt"));
  OK("\"hello\\n\"", file, S("~/a.txt"));
  OK("\"hello\\n\"", file, S(t_in_dir("%s/a.txt")));
  OK("\"\"", file, S(".hidden"));
  ERR("file: contents of \"bin.dat\" are not valid UTF-8; use the filebase64 function to obtain the "
      "Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file "
      "hashing results instead", file, S("bin.dat"));
  ERR("file: contents of \"nul.txt\" are not valid UTF-8; use the filebase64 function to obtain the "
      "Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file "
      "hashing results instead", file, S("nul.txt"));
  ERR("file: no file exists at \"nope.txt\"; this function works only with files that are part of the "
      "configuration, not with files a resource creates", file, S("nope.txt"));
  ERR("file: \"sub\" is not a regular file", file, S("sub"));
  ERR("file: no file exists at (sensitive value); this function works only with files that are part of "
      "the configuration, not with files a resource creates", file, val_mark_secret(S("nope.txt")));
  OK("\"/w==\"", filebase64, S("bin.dat"));
  OK("\"YQBi\"", filebase64, S("nul.txt"));
  OK("\"\"", filebase64, S(".hidden"));
}

static void test_file_too_large(void **s) {
  (void)s;
  FILE *f = fopen(t_in_dir("%s/big"), "wb");
  assert_non_null(f);
  assert_int_equal(fseek(f, SL_FILE_MAX, SEEK_SET), 0);     /* sparse: one byte past the cap */
  fputc('x', f);
  fclose(f);
  ERR("file: \"big\" is larger than 16 MiB", file, S("big"));
  ERR("filesha256: \"big\" is larger than 16 MiB", filesha256, S("big"));
}

static void test_fileexists(void **s) {
  (void)s;
  OK("true", fileexists, S("a.txt"));
  OK("true", fileexists, S("~/sub/b.txt"));
  OK("false", fileexists, S("nope"));
  OK("false", fileexists, S("a.txt/x"));
  ERR("fileexists: \"sub\" is a directory, not a regular file", fileexists, S("sub"));
}

static void test_fileset(void **s) {
  (void)s;
  OK("[\"a.txt\",\"nul.txt\"]", fileset, S("."), S("*.txt"));
  OK("[\"a.txt\",\"nul.txt\",\"sub/b.txt\",\"sub/deep/d.txt\"]", fileset, S("."), S("**/*.txt"));
  OK("[\"b.txt\",\"c.json\"]", fileset, S("sub"), S("*"));
  OK("[\"sub/b.txt\",\"sub/c.json\"]", fileset, S("."), S("sub/{b,c}.*"));
  OK("[\"sub/b.txt\",\"sub/c.json\"]", fileset, S(""), S("./sub/[b-c].*"));
  OK("[\"sub/c.json\"]", fileset, S("."), S("sub/[!b].*"));
  OK("[\"a.txt\"]", fileset, S("."), S("?.txt"));
  OK("[\".hidden\",\"a.txt\",\"bin.dat\",\"nul.txt\",\"sub/b.txt\",\"sub/c.json\",\"sub/deep/d.txt\","
     "\"tpl.tmpl\"]", fileset, S("."), S("**"));
  OK("[\"sub/deep/d.txt\"]", fileset, S("."), S("sub/**/d.txt"));
  OK("[\"sub/deep/d.txt\"]", fileset, S("."), S("**/deep/*"));
  OK("[\"b.txt\",\"deep/d.txt\"]", fileset, S("~/sub"), S("**/*.txt"));
  OK("[]", fileset, S("."), S("*.nothing"));
  OK("[]", fileset, S("no-such-dir"), S("*"));
  OK("[\"a.txt\"]", fileset, S(t_in_dir("%s")), S("{a,zz}.txt"));
  ERR("fileset: the pattern \"[a.txt\" has an unclosed '['", fileset, S("."), S("[a.txt"));
  ERR("fileset: the pattern \"{a.txt\" has an unclosed '{'", fileset, S("."), S("{a.txt"));
  /* a pattern that backtracks exponentially stops at the step limit */
  t_put("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", 0);
  ERR("fileset: the pattern \"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\" takes too long to match",
      fileset, S("."), S("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"));
}

static Val hook(Rt *rt, const char *path, const char *text, size_t len, Val vars) {
  SBuf b;
  sb_init(&b, rt);
  sb_adds(&b, strrchr(path, '/') + 1);
  sb_addc(&b, '|');
  sb_add(&b, text, len);
  sb_addc(&b, '|');
  val_write_json(&b, vars);
  return sb_val(&b, false);
}

static void test_templatefile(void **s) {
  (void)s;
  ERR("templatefile: templates cannot be rendered here (no template engine attached)", templatefile,
      S("tpl.tmpl"), MAP(1, "name", S("x")));
  T_rt.template_hook = hook;
  OK("\"tpl.tmpl|Hello ${name}|{\\\"name\\\":\\\"x\\\"}\"", templatefile, S("tpl.tmpl"), MAP(1, "name", S("x")));
  ERR("templatefile: no file exists at \"nope.tmpl\"; this function works only with files that are "
      "part of the configuration, not with files a resource creates", templatefile, S("nope.tmpl"), MAP(0));
  ERR("templatefile: contents of \"bin.dat\" are not valid UTF-8; use the filebase64 function to obtain "
      "the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file "
      "hashing results instead", templatefile, S("bin.dat"), MAP(0));
  T_rt.template_hook = NULL;
}

static void test_paths(void **s) {
  (void)s;
  /* Go's filepath.Base and filepath.Dir */
  OK("\"bar.txt\"", basename, S("foo/bar.txt"));
  OK("\"bar\"", basename, S("foo/bar/"));
  OK("\"/\"", basename, S("///"));
  OK("\".\"", basename, S(""));
  OK("\"\xc3\xa9\"", basename, S("/a/\xc3\xa9"));
  OK("\"foo\"", dirname, S("foo/bar.txt"));
  OK("\"foo/bar\"", dirname, S("foo/bar/"));
  OK("\".\"", dirname, S("bar.txt"));
  OK("\".\"", dirname, S(""));
  OK("\"/\"", dirname, S("/a"));
  OK("\"/\"", dirname, S("/"));
  OK("\"a/c\"", dirname, S("a/b/../c/d"));
  OK("\"../..\"", dirname, S("../../x"));
  OK("\"/\"", dirname, S("/../x"));
  /* abspath: relative to the module folder, cleaned */
  assert_string_equal(t_ok(sl_abspath, (Val[]){S("x/../y")}, 1), t_in_dir("\"%s/y\""));
  assert_string_equal(t_ok(sl_abspath, (Val[]){S("")}, 1), t_in_dir("\"%s\""));
  OK("\"/a/b\"", abspath, S("/a/./b/"));
  OK("\"/\"", abspath, S("/.."));
  /* pathexpand */
  assert_string_equal(t_ok(sl_pathexpand, (Val[]){S("~/x")}, 1), t_in_dir("\"%s/x\""));
  assert_string_equal(t_ok(sl_pathexpand, (Val[]){S("~")}, 1), t_in_dir("\"%s\""));
  OK("\"x/~\"", pathexpand, S("x/~"));
  OK("\"/etc\"", pathexpand, S("/etc"));
  ERR("pathexpand: cannot expand a user-specific home directory (~user) in \"~root/x\"", pathexpand,
      S("~root/x"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_file, files_setup, t_dir_teardown),
    cmocka_unit_test_setup_teardown(test_file_too_large, files_setup, t_dir_teardown),
    cmocka_unit_test_setup_teardown(test_fileexists, files_setup, t_dir_teardown),
    cmocka_unit_test_setup_teardown(test_fileset, files_setup, t_dir_teardown),
    cmocka_unit_test_setup_teardown(test_templatefile, files_setup, t_dir_teardown),
    cmocka_unit_test_setup_teardown(test_paths, files_setup, t_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
