/* The hash and identifier built-ins (stdlib/hash.c): digests checked against known values
 * (computed independently), the file* forms on real files relative to the module folder,
 * uuidv5 against RFC 4122 / Terraform's documented examples, uuid's shape, rsadecrypt
 * with PKCS #1 and PKCS #8 keys and each refusal. */
#include "tests/unit/stdlib_harness.h"
#include "tests/unit/stdlib_tmpdir.h"

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

/* A throwaway 1024-bit key made for this test (openssl genrsa), in PKCS #1 and PKCS #8
 * form, an encrypted one, an EC one, and "Hello, Plat!" encrypted to it with PKCS #1 v1.5. */
static const char key_pkcs1[] =
  "-----BEGIN RSA PRIVATE KEY-----\n"
  "MIICWwIBAAKBgQDDREg2e3vK9lRBDT0wJ4hA7Nf2hlSvpqKRfXVBrD+wzN78Ue0i\n"
  "OsoWIC3kh4efjM8OQWPkXrccCGm4XuFQ1pyhrkRw9rlOyymSzwb3OUwM6FJfXACw\n"
  "+3aXy2yLzzeg8EX5EqF1XqwXSmnQlAk0oWHP/AgbZGVR6uWjI/K6Y2ch4QIDAQAB\n"
  "AoGATjev5YMZV3fM0DIJbJypS7iT2cB9c88AF991dNUWvi+SsufuYWPDR5GkUIKp\n"
  "pRO2bTNsXDJEjwofrybygns1SitxWoYurA/tx+WQLJiBqk1ApDbRSDbC+kaWj6GF\n"
  "K89cWuTfhIdb5b26sdB6Ya/j9Zjf0RdyWHPLqIj2FG/jizECQQDf9f8fv2dbdvl0\n"
  "tfk33MgEAc+U2O2lKkX6kqjLjLtBab5mB2Y5o8TtMChQ1gW2JGGnY/uCiIHWAzNn\n"
  "f4aqFDavAkEA3zNu1zzRQVcDawKvXJwjZVHVpNqeFd3/uxPKNJLvKA1RA1QvTAjv\n"
  "Y4BDekZ4bJHTn10nBxSN3dhemzDglO5UbwJAbn4CEVqwFmr7JX6F5u6Q65EtJYVk\n"
  "sWDKx5XFmy7iT6Jo4hNydqt6g36H1WHRzYvjdd8Y/cx1Ke3IVZ6QBKcWVwJAddPs\n"
  "DpofiZPKzSIUuxn+IY2q8CUs0TRpvTO8SjbLI+SrwMsfUM9iuK9Mb+9lwULWacm+\n"
  "QaGbJuMDRn/t/xE15wJAGF6IatxfkUUJwCDrq5ku4wyw64LnnRBbeBuy+dS/DbiD\n"
  "Q9ZgRXOntZZOltmnNs7QSBWpYXDUVioa/9Cp/vyebw==\n"
  "-----END RSA PRIVATE KEY-----\n";
static const char key_pkcs8[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBAMNESDZ7e8r2VEEN\n"
  "PTAniEDs1/aGVK+mopF9dUGsP7DM3vxR7SI6yhYgLeSHh5+Mzw5BY+RetxwIabhe\n"
  "4VDWnKGuRHD2uU7LKZLPBvc5TAzoUl9cALD7dpfLbIvPN6DwRfkSoXVerBdKadCU\n"
  "CTShYc/8CBtkZVHq5aMj8rpjZyHhAgMBAAECgYBON6/lgxlXd8zQMglsnKlLuJPZ\n"
  "wH1zzwAX33V01Ra+L5Ky5+5hY8NHkaRQgqmlE7ZtM2xcMkSPCh+vJvKCezVKK3Fa\n"
  "hi6sD+3H5ZAsmIGqTUCkNtFINsL6RpaPoYUrz1xa5N+Eh1vlvbqx0Hphr+P1mN/R\n"
  "F3JYc8uoiPYUb+OLMQJBAN/1/x+/Z1t2+XS1+TfcyAQBz5TY7aUqRfqSqMuMu0Fp\n"
  "vmYHZjmjxO0wKFDWBbYkYadj+4KIgdYDM2d/hqoUNq8CQQDfM27XPNFBVwNrAq9c\n"
  "nCNlUdWk2p4V3f+7E8o0ku8oDVEDVC9MCO9jgEN6RnhskdOfXScHFI3d2F6bMOCU\n"
  "7lRvAkBufgIRWrAWavslfoXm7pDrkS0lhWSxYMrHlcWbLuJPomjiE3J2q3qDfofV\n"
  "YdHNi+N13xj9zHUp7chVnpAEpxZXAkB10+wOmh+Jk8rNIhS7Gf4hjarwJSzRNGm9\n"
  "M7xKNssj5KvAyx9Qz2K4r0xv72XBQtZpyb5BoZsm4wNGf+3/ETXnAkAYXohq3F+R\n"
  "RQnAIOurmS7jDLDrguedEFt4G7L51L8NuIND1mBFc6e1lk6W2ac2ztBIFalhcNRW\n"
  "Khr/0Kn+/J5v\n"
  "-----END PRIVATE KEY-----\n";
static const char key_encrypted[] =
  "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
  "MIIC3TBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIzwtCI6f9JPQCAggA\n"
  "MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAECBBCFQLL3vYdRlSMbUIkgsSQiBIIC\n"
  "gNHLvoHI5sMZFlhGAjnSZ94ZhM+MiEVO4ONpP23Qtih7DSlRu8xyDKgj84o8vvwq\n"
  "OLn7f2Al3qHsqhEoOFMYF/Ajz58dINLEhgT7Xdo4X+ChTbQICcdpBYVKMGNdKT93\n"
  "cIROLWUQKbSl6U24JDVptKXRNjNN7gTb+SDlUb3yM/NujPbv0c6/Oi520v4kjqto\n"
  "WwX3HCw8f5hrrTDuJr5onm7YnvfvVGtc2YaZsO33BGThGzM03vJP+url7Dd9y/n5\n"
  "f5HfuPsvULcojuItmvjG8BxrhQD0LC7jYWMKHrPwHKSXFywpcIO7WsGhA0a7nPmX\n"
  "ursScCoGknmW7H8AuUKT8v5ljZ3uAYqHqHUxq0XFPAFiQB95O3c3kNfICRBQqDAZ\n"
  "Wbqp8ADwwDWk2MftKKcL8rn6pZhhMPB3kQ9+W3kORwROB5/+COft9UrMiSvPk8Rx\n"
  "YBgiqf4SKO8VTfVwTSz709rAwZz80L2JkZ9wFwan7k20R/0FAW+/mSTBNLBgU6uI\n"
  "wbGQNU39Erw1FbUVffLaqYU1OSDq0dSp7kckutlo+39/PESTReaLD8dM9o0vbwUf\n"
  "lZ4iTIPEr/cCJzpE3yT28rers3kjcgJSZtJ/il4KiUDLfiFx8TQZH5Gsa4CsqZE1\n"
  "akQQT2LixIUdU1WhLIltlKHLvyDCNhgYyJB+M4ti94X7AkgyQNvQrQSb6vs3fITz\n"
  "SlJoyH+NzARkyTkQZB9RSNXA4Eip3Ybc4K9+j9/QHMNIIK7y8HwbpP3cktjCcleO\n"
  "s/gNb8MZDm7K611PllrZH/dx51860vL/YuNfmAKILACclMejFlqrToDNNT5vbDDu\n"
  "pN05j6D6Mbl47E9KLHZy2S4=\n"
  "-----END ENCRYPTED PRIVATE KEY-----\n";
static const char key_ec[] =
  "-----BEGIN EC PRIVATE KEY-----\n"
  "MHcCAQEEIE9/oE/AgEDtxvbCqo5G7Iav2npfT1AgJ7dLu5gIxtQBoAoGCCqGSM49\n"
  "AwEHoUQDQgAEI7jRksVaGoTSV9tYWM2m5rhymH40JQR08kIqfXstWQX69uaLPi1x\n"
  "6z8BSMvQAQyOe5leYPhOVvGU32QNOMBihA==\n"
  "-----END EC PRIVATE KEY-----\n";
static const char ciphertext[] = "nGbaI+/gB0VF7VZQmcE5lfJ35ZuRrKLze//5alD8TrrSHIyGp0dydRANXxtITlhd678Y8APInI/5yMC2kTT6WQH2XQiiW+XpNrZW67rfLJ8IaltQ6IFsKMa8Ng6xNBYD5hFc9cw9jlp6YVDkFcOI4+K7AweLCl46am35CosJx7Y=";

static void test_rsadecrypt(void **s) {
  (void)s;
  OK("\"Hello, Plat!\"", rsadecrypt, S(ciphertext), S(key_pkcs1));
  OK("\"Hello, Plat!\"", rsadecrypt, S(ciphertext), S(key_pkcs8));
  ERR("rsadecrypt: failed to decode input \"not base64!\": cipher text must be base64-encoded",
      rsadecrypt, S("not base64!"), S(key_pkcs1));
  ERR("rsadecrypt: invalid private key: not a PEM-encoded, unencrypted private key", rsadecrypt,
      S(ciphertext), S(key_encrypted));
  ERR("rsadecrypt: invalid private key: not a PEM-encoded, unencrypted private key", rsadecrypt,
      S(ciphertext), S("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"));
  ERR("rsadecrypt: invalid private key: not an RSA key", rsadecrypt, S(ciphertext), S(key_ec));
  ERR("rsadecrypt: failed to decrypt: the ciphertext does not match the key or is not PKCS #1 v1.5",
      rsadecrypt, S("SGVsbG8="), S(key_pkcs1));
}

static int files_setup(void **state) {
  if (t_dir_setup(state) != 0) return -1;
  t_put("hello.txt", "hello world", 11);
  t_put("bin.dat", "\xff\x00\xfe", 3);                  /* not UTF-8: hashes still work */
  return 0;
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
  OK("\"13a18f27d9e54107c1d22c7d67f55018\"", filemd5, S("bin.dat"));
  OK("\"13a18f27d9e54107c1d22c7d67f55018\"", filemd5, S(t_in_dir("%s/bin.dat")));   /* absolute: base_dir unused */
  ERR("filemd5: no file exists at \"missing.txt\"; this function works only with files that are part "
      "of the configuration, not with files a resource creates", filemd5, S("missing.txt"));
  ERR("filesha256: \".\" is not a regular file", filesha256, S("."));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_string_hashes, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_uuidv5, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_uuid, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_rsadecrypt, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_file_hashes, files_setup, t_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
