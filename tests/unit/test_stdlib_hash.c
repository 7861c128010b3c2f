/* The hash and identifier built-ins (stdlib/hash.c): digests checked against known values
 * (computed independently), the file* forms on real files relative to the module folder,
 * uuidv5 against RFC 4122 / Terraform's documented examples, uuid's shape. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/unit/stdlib_harness.h"

static void test_string_hashes(void **s) {
  (void)s;
  OK("\"5eb63bbbe01eeed093cb22bb8f5acdc3\"", md5, S("hello world"));
  OK("\"2aae6c35c94fcfb415dbe95f408b9ce91ee846ed\"", sha1, S("hello world"));
  OK("\"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9\"", sha256, S("hello world"));
  OK("\"309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0"
     "cfd830e81f605dcf7dc5542e93ae9cd76f\"", sha512, S("hello world"));
  OK("\"uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=\"", base64sha256, S("hello world"));
  OK("\"MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==\"",
     base64sha512, S("hello world"));
  /* empty input */
  OK("\"d41d8cd98f00b204e9800998ecf8427e\"", md5, S(""));
  OK("\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"", sha256, S(""));
  OK("\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"", base64sha256, S(""));
  /* the UTF-8 bytes of the text */
  OK("\"66ddcd97cfdeabb2f6fb8a999b4bc76f\"", md5, S("\xc3\xa9"));
  OK("\"bf15be717ac1b080b4f1c456692825891ff5073d\"", sha1, S("\xc3\xa9"));
}

static void test_uuidv5(void **s) {
  (void)s;
  OK("\"a5008fae-b28c-5ba5-96cd-82b4c53552d6\"", uuidv5, S("dns"), S("www.terraform.io"));
  OK("\"9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5\"", uuidv5, S("url"), S("https://www.terraform.io/"));
  OK("\"42d5e23b-3a02-5135-85c6-52d1102f1f00\"", uuidv5, S("oid"), S("1.2.3"));
  OK("\"a951fb6d-5aab-5a72-8e2e-9aa8df8d1f8f\"", uuidv5, S("x500"), S("cn=x"));
  OK("\"4ebd0208-8328-5d69-8c44-ec50939c0967\"", uuidv5, S("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), S(""));
  OK("\"7d7313f1-0942-5e6f-b973-3f572a58fe4d\"", uuidv5, S("12345678123456781234567812345678"), S("\xc3\xa9"));
  OK("\"7d7313f1-0942-5e6f-b973-3f572a58fe4d\"", uuidv5, S("{12345678-1234-5678-1234-567812345678}"), S("\xc3\xa9"));
  OK("\"7d7313f1-0942-5e6f-b973-3f572a58fe4d\"", uuidv5, S("urn:uuid:12345678-1234-5678-1234-567812345678"), S("\xc3\xa9"));
  ERR("uuidv5: namespace \"DNS\" is neither one of \"dns\", \"url\", \"oid\", \"x500\" nor a UUID",
      uuidv5, S("DNS"), S("x"));
  ERR("uuidv5: namespace \"12345678-1234-5678-1234-56781234567g\" is neither one of \"dns\", \"url\", "
      "\"oid\", \"x500\" nor a UUID", uuidv5, S("12345678-1234-5678-1234-56781234567g"), S("x"));
  ERR("uuidv5: namespace (sensitive value) is neither one of \"dns\", \"url\", \"oid\", \"x500\" nor a UUID",
      uuidv5, val_mark_secret(S("nope")), S("x"));
}

static void test_uuid(void **s) {
  (void)s;
  Val a = t_val(sl_uuid, NULL, 0), b = t_val(sl_uuid, NULL, 0);
  assert_int_equal(a.as.s->len, 36);
  assert_int_equal(a.as.s->s[14], '4');                       /* version 4 */
  assert_non_null(strchr("89ab", a.as.s->s[19]));             /* RFC 4122 variant */
  assert_int_equal(a.as.s->s[8], '-');
  assert_int_equal(a.as.s->s[23], '-');
  assert_string_not_equal(a.as.s->s, b.as.s->s);
}

static char dir[64];

static int files_setup(void **state) {
  t_setup(state);
  snprintf(dir, sizeof dir, "/tmp/plat-hash-XXXXXX");
  if (!mkdtemp(dir)) return -1;
  char p[128];
  snprintf(p, sizeof p, "%s/hello.txt", dir);
  FILE *f = fopen(p, "wb");
  fputs("hello world", f);
  fclose(f);
  snprintf(p, sizeof p, "%s/bin.dat", dir);
  f = fopen(p, "wb");
  fwrite("\xff\x00\xfe", 1, 3, f);                            /* not UTF-8: hashes still work */
  fclose(f);
  T_rt.base_dir = dir;
  return 0;
}

static int files_teardown(void **state) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) return -1;
  return t_teardown(state);
}

static void test_file_hashes(void **s) {
  (void)s;
  OK("\"5eb63bbbe01eeed093cb22bb8f5acdc3\"", filemd5, S("hello.txt"));
  OK("\"2aae6c35c94fcfb415dbe95f408b9ce91ee846ed\"", filesha1, S("hello.txt"));
  OK("\"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9\"", filesha256, S("hello.txt"));
  OK("\"309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0"
     "cfd830e81f605dcf7dc5542e93ae9cd76f\"", filesha512, S("hello.txt"));
  OK("\"uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=\"", filebase64sha256, S("./hello.txt"));
  OK("\"MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==\"",
     filebase64sha512, S("hello.txt"));
  char abs[128];
  snprintf(abs, sizeof abs, "%s/bin.dat", dir);
  OK("\"13a18f27d9e54107c1d22c7d67f55018\"", filemd5, S("bin.dat"));
  OK("\"13a18f27d9e54107c1d22c7d67f55018\"", filemd5, S(abs));   /* absolute: base_dir unused */
  ERR("filemd5: no file exists at \"missing.txt\"; this function works only with files that are part "
      "of the configuration, not with files a resource creates", filemd5, S("missing.txt"));
  ERR("filesha256: \".\" is not a regular file", filesha256, S("."));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_string_hashes, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_uuidv5, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_uuid, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_file_hashes, files_setup, files_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
