/* The encoding built-ins (stdlib/encoding.c) and typed decoding (stdlib/conform.c), called
 * directly: Terraform's encodings byte for byte where it defines them (Go's Base64,
 * QueryEscape, HTML-safe JSON, double-quoted YAML), decoders' errors with their exact
 * messages, secrets never quoted, hostile input (deep nesting, alias bombs) bounded. */
#include "tests/unit/stdlib_harness.h"

#include "compiler/source.h"
#include "stdlib/bytes.h"
#include "stdlib/conform.h"

static Val SEC(const char *s) { return val_mark_secret(S(s)); }

static void test_base64(void **s) {
  (void)s;
  OK("\"SGVsbG8gV29ybGQ=\"", base64encode, S("Hello World"));
  OK("\"\"", base64encode, S(""));
  OK("\"YQ==\"", base64encode, S("a"));
  OK("\"YWI=\"", base64encode, S("ab"));
  OK("\"YWJj\"", base64encode, S("abc"));
  OK("\"w6k=\"", base64encode, S("\xc3\xa9"));
  OK("\"Hello World\"", base64decode, S("SGVsbG8gV29ybGQ="));
  OK("\"\"", base64decode, S(""));
  OK("\"abc\"", base64decode, S("YW\r\nJj"));          /* CR and LF skipped, as Go */
  ERR("base64decode: failed to decode base64 data \"YQ\"", base64decode, S("YQ"));
  ERR("base64decode: failed to decode base64 data \"Y===\"", base64decode, S("Y==="));
  ERR("base64decode: failed to decode base64 data \"YR==\"", base64decode, S("YR=="));  /* bits left over */
  ERR("base64decode: failed to decode base64 data \"YQ==YQ==\"", base64decode, S("YQ==YQ=="));
  ERR("base64decode: failed to decode base64 data \"a*==\"", base64decode, S("a*=="));
  ERR("base64decode: failed to decode base64 data (sensitive value)", base64decode, SEC("!!"));
  /* bytes that are not UTF-8, or a NUL: not a Plat string */
  ERR("base64decode: the result of decoding the provided string is not valid UTF-8 (byte 0)",
      base64decode, S("/w=="));
  ERR("base64decode: the result of decoding the provided string contains a NUL character",
      base64decode, S("AA=="));
}

static void test_base64gzip(void **s) {
  (void)s;
  /* the gzip stream decompresses back: check the header and that it is Base64 */
  Val a[] = {S("hello, hello, hello, hello")};
  Val out = t_val(sl_base64gzip, a, 1);
  Val d[] = {out};
  size_t len;
  char *raw = sl_b64_decode(&T_rt, out.as.s->s, out.as.s->len, &len);
  assert_non_null(raw);
  assert_true(len > 18);
  assert_int_equal((unsigned char)raw[0], 0x1f);      /* gzip magic */
  assert_int_equal((unsigned char)raw[1], 0x8b);
  assert_int_equal((unsigned char)raw[2], 8);         /* deflate */
  (void)d;
  /* deterministic */
  assert_string_equal(t_ok(sl_base64gzip, a, 1), t_json(out));
  OK("\"H4sIAAAAAAAAAwMAAAAAAAAAAAA=\"", base64gzip, S(""));
}

static void test_textencoding(void **s) {
  (void)s;
  OK("\"SABpAA==\"", textencodebase64, S("Hi"), S("UTF-16LE"));
  OK("\"AEgAaQ==\"", textencodebase64, S("Hi"), S("UTF-16BE"));
  OK("\"6Q==\"", textencodebase64, S("\xc3\xa9"), S("ISO-8859-1"));
  OK("\"gA==\"", textencodebase64, S("\xe2\x82\xac"), S("windows-1252"));
  OK("\"K0FINC0=\"", textencodebase64, S("~"), S("UTF-7"));   /* one byte grows to five */
  OK("\"Hi\"", textdecodebase64, S("SABpAA=="), S("UTF-16LE"));
  OK("\"\xc3\xa9\"", textdecodebase64, S("6Q=="), S("ISO-8859-1"));
  OK("\"\"", textdecodebase64, S(""), S("UTF-16LE"));
  ERR("textencodebase64: \"no-such-encoding\" is not a supported IANA encoding name or alias",
      textencodebase64, S("x"), S("no-such-encoding"));
  ERR("textencodebase64: the given string contains characters that cannot be represented in "
      "ISO-8859-1", textencodebase64, S("\xe2\x82\xac"), S("ISO-8859-1"));
  ERR("textdecodebase64: the given value is not valid base64: \"!!\"", textdecodebase64, S("!!"),
      S("UTF-8"));
  ERR("textdecodebase64: the given value is not valid UTF-8 text", textdecodebase64, S("/w=="),
      S("UTF-8"));
}

static void test_url(void **s) {
  (void)s;
  OK("\"Hello+World%21\"", urlencode, S("Hello World!"));
  OK("\"abc-_.~XYZ09\"", urlencode, S("abc-_.~XYZ09"));
  OK("\"a%2Fb%3Fc%3Dd%26e\"", urlencode, S("a/b?c=d&e"));
  OK("\"%E2%98%83\"", urlencode, S("\xe2\x98\x83"));
  OK("\"\"", urlencode, S(""));
  OK("\"Hello World!\"", urldecode, S("Hello+World%21"));
  OK("\"\xe2\x98\x83\"", urldecode, S("%e2%98%83"));
  OK("\"a/b\"", urldecode, S("a/b"));
  ERR("urldecode: invalid URL escape \"%zz\"", urldecode, S("x%zz"));
  ERR("urldecode: invalid URL escape \"%4\"", urldecode, S("%4"));
  ERR("urldecode: invalid URL escape", urldecode, SEC("%zz"));
  ERR("urldecode: the decoded text is not valid UTF-8 (byte 0)", urldecode, S("%ff"));
  ERR("urldecode: the decoded text contains a NUL character", urldecode, S("%00"));
}

static void test_jsonencode(void **s) {
  (void)s;
  OK("\"{\\\"a\\\":1,\\\"b\\\":[true,null,\\\"x\\\"]}\"", jsonencode,
     MAP(2, "b", LST(3, B(true), N(), S("x")), "a", I(1)));
  /* Go's HTML-safe escapes, also in keys */
  Val a[] = {MAP(1, "<k>", S("a<b>&c\xe2\x80\xa8"))};
  assert_string_equal(t_val(sl_jsonencode, a, 1).as.s->s,
                      "{\"\\u003ck\\u003e\":\"a\\u003cb\\u003e\\u0026c\\u2028\"}");
  Val b[] = {F(1.5)};
  assert_string_equal(t_val(sl_jsonencode, b, 1).as.s->s, "1.5");
  Val c[] = {S("\xc3\xa9\n")};
  assert_string_equal(t_val(sl_jsonencode, c, 1).as.s->s, "\"\xc3\xa9\\n\"");
  Val d[] = {LST(0)};
  assert_string_equal(t_val(sl_jsonencode, d, 1).as.s->s, "[]");
}

static void test_jsondecode_raw(void **s) {
  (void)s;
  OK("{\"a\":[1,2.5,\"x\",null,false]}", jsondecode, S("{\"a\": [1, 2.5, \"x\", null, false]}"));
  OK("\"\xc3\xa9\"", jsondecode, S("\"\\u00e9\""));
  OK("-9223372036854775808", jsondecode, S("-9223372036854775808"));
  ERR("jsondecode: invalid JSON at line 1, column 4: invalid token near 'nope'", jsondecode,
      S("nope"));
  ERR("jsondecode: invalid JSON at line 1, column 4", jsondecode, SEC("nope"));
  ERR("jsondecode: invalid JSON at line 1, column 10: duplicate object key near '\"a\"'", jsondecode,
      S("{\"a\":1,\"a\":2}"));
  ERR("jsondecode: at line 1, column 8: a string holds \\u0000, which Plat strings cannot",
      jsondecode, S("\"\\u0000\""));
  ERR("jsondecode: invalid JSON at line 1, column 20: too big integer near '99999999999999999999'",
      jsondecode, S("99999999999999999999"));
}

static void test_jsondecode_deep(void **s) {
  (void)s;
  /* 100,000 nested arrays: refused without a stack overflow */
  size_t n = 100000;
  char *t = test_malloc(2 * n + 1);
  memset(t, '[', n);
  memset(t + n, ']', n);
  t[2 * n] = 0;
  Val a[] = {S(t)};
  test_free(t);
  const char *e = t_err(sl_jsondecode, a, 1);
  assert_non_null(strstr(e, "jsondecode: invalid JSON"));
}

static void test_conform(void **s) {
  (void)s;
  const char *srv = "[\"record\",[\"name\",\"string\"],[\"port\",\"int\",80],[\"tls\",[\"optional\",\"bool\"]],"
                    "[\"tier\",[\"enum\",\"web\",\"worker\"],\"web\"]]";
  SBuf d;
  sb_init(&d, &T_rt);
  sb_addf(&d, "[\"record\",[\"servers\",[\"list\",%s]]]", srv);
  sb_addc(&d, 0);
  Val desc = S(d.p);
  OK("{\"servers\":[{\"name\":\"a\",\"port\":80,\"tier\":\"web\",\"tls\":null},"
     "{\"name\":\"b\",\"port\":8443,\"tier\":\"worker\",\"tls\":true}]}", jsondecode,
     S("{\"servers\":[{\"name\":\"a\"},{\"name\":\"b\",\"port\":8443.0,\"tls\":true,\"tier\":\"worker\",\"x\":1}],\"extra\":1}"),
     desc);
  ERR("jsondecode: at .servers[1].port: expected int, found string \"80\"", jsondecode,
      S("{\"servers\":[{\"name\":\"a\"},{\"name\":\"b\",\"port\":\"80\"}]}"), desc);
  ERR("jsondecode: at .servers[1].port: expected int, found string", jsondecode,
      SEC("{\"servers\":[{\"name\":\"a\"},{\"name\":\"b\",\"port\":\"80\"}]}"), desc);
  ERR("jsondecode: at .servers[0]: missing field 'name' (string)", jsondecode,
      S("{\"servers\":[{}]}"), desc);
  ERR("jsondecode: at .servers[0].tier: expected one of \"web\", \"worker\", found string \"db\"",
      jsondecode, S("{\"servers\":[{\"name\":\"a\",\"tier\":\"db\"}]}"), desc);
  ERR("jsondecode: expected an object, found a list", jsondecode, S("[]"), desc);
  ERR("jsondecode: at .servers: expected a list, found null", jsondecode, S("{\"servers\":null}"), desc);
  ERR("jsondecode: at .servers[0].port: expected int, found float 1.5", jsondecode,
      S("{\"servers\":[{\"name\":\"a\",\"port\":1.5}]}"), desc);
  /* maps: keys that are not names are shown quoted */
  OK("{\"a b\":1.0,\"c\":2.5}", jsondecode, S("{\"a b\":1,\"c\":2.5}"), S("[\"map\",\"float\"]"));
  ERR("jsondecode: at [\"a b\"]: expected float, found bool true", jsondecode, S("{\"a b\":true}"),
      S("[\"map\",\"float\"]"));
  /* secret parts are marked */
  Val a[] = {S("{\"k\":\"v\"}"), S("[\"record\",[\"k\",[\"secret\",\"string\"]]]")};
  Val v = t_val(sl_jsondecode, a, 2);
  assert_true(val_has_secret(v));
  assert_true(val_is_secret(v.as.m->e[0].val));
  /* any: as decoded */
  OK("[1,\"x\"]", jsondecode, S("[1,\"x\"]"), S("\"any\""));
  /* hostile descriptors (a corrupt module) are errors, not crashes */
  ERR("jsondecode: the type descriptor is malformed (a corrupt module?)", jsondecode, S("1"), S("[\"nope\"]"));
  ERR("jsondecode: the type descriptor is malformed (a corrupt module?)", jsondecode, S("1"), S("{"));
  ERR("jsondecode: the type descriptor is malformed (a corrupt module?)", jsondecode, S("{}"),
      S("[\"record\",[1,\"int\"]]"));
  ERR("jsondecode: the type descriptor is malformed (a corrupt module?)", jsondecode, S("[1]"),
      S("[\"list\"]"));
  ERR("yamldecode: the type descriptor is malformed (a corrupt module?)", yamldecode, S("1"), I(3));
}

static void test_csvdecode(void **s) {
  (void)s;
  OK("[{\"a\":\"1\",\"b\":\"2\"},{\"a\":\"3\",\"b\":\"4\"}]", csvdecode, S("a,b\n1,2\n3,4\n"));
  OK("[{\"a\":\"1\",\"b\":\"2\"}]", csvdecode, S("a,b\r\n1,2"));
  OK("[]", csvdecode, S("a,b\n"));
  OK("[{\"a\":\"x,y\",\"b\":\"say \\\"hi\\\"\\nbye\"}]", csvdecode,
     S("a,b\n\"x,y\",\"say \"\"hi\"\"\nbye\"\n"));
  OK("[{\"a\":\"\",\"b\":\"\"}]", csvdecode, S("a,b\n\n,\n\n"));   /* empty lines skipped */
  OK("[{\"\xc3\xa9\":\" x \"}]", csvdecode, S("\xc3\xa9\n x \n"));
  ERR("csvdecode: missing header line", csvdecode, S(""));
  ERR("csvdecode: missing header line", csvdecode, S("\n\n"));
  ERR("csvdecode: CSV parse error on line 3: wrong number of fields (1, the header has 2)",
      csvdecode, S("a,b\n1,2\n3\n"));
  ERR("csvdecode: CSV parse error on line 2, column 2: bare \" in non-quoted field", csvdecode,
      S("a\nx\"y\n"));
  ERR("csvdecode: CSV parse error on line 2, column 1: extraneous or missing \" in quoted-field",
      csvdecode, S("a\n\"open\n"));
  ERR("csvdecode: CSV parse error on line 2, column 5: extraneous or missing \" in quoted-field",
      csvdecode, S("a\n\"ab\"c\n"));
  ERR("csvdecode: duplicate column name \"a\"", csvdecode, S("a,a\n1,2\n"));
}

static void test_yamlencode(void **s) {
  (void)s;
  Val a[] = {MAP(2, "c", S("d"), "a", S("b"))};
  assert_string_equal(t_val(sl_yamlencode, a, 1).as.s->s, "\"a\": \"b\"\n\"c\": \"d\"\n");
  Val b[] = {MAP(2, "foo", LST(3, I(1), I(2), I(3)), "bar", S("baz"))};
  assert_string_equal(t_val(sl_yamlencode, b, 1).as.s->s, "\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n");
  Val c[] = {MAP(2, "foo", LST(3, I(1), MAP(2, "a", S("b"), "c", S("d")), I(3)), "bar", S("baz"))};
  assert_string_equal(t_val(sl_yamlencode, c, 1).as.s->s,
                      "\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n");
  Val d[] = {I(1)};
  assert_string_equal(t_val(sl_yamlencode, d, 1).as.s->s, "1\n");
  Val e[] = {LST(4, N(), B(false), F(2.5), S("true"))};
  assert_string_equal(t_val(sl_yamlencode, e, 1).as.s->s, "- null\n- false\n- 2.5\n- \"true\"\n");
  Val f[] = {MAP(2, "e", LST(0), "m", MAP(0))};
  assert_string_equal(t_val(sl_yamlencode, f, 1).as.s->s, "\"e\": []\n\"m\": {}\n");
  Val g[] = {MAP(1, "t", S("line1\nline2\n"))};
  assert_string_equal(t_val(sl_yamlencode, g, 1).as.s->s, "\"t\": |\n  line1\n  line2\n");
  Val i[] = {LST(2, S("x\n..."), S("..."))};   /* a document end marker, not content */
  assert_string_equal(t_val(sl_yamlencode, i, 1).as.s->s, "- |-\n  x\n  ...\n- \"...\"\n");
  Val j[] = {S("x\n...")};
  assert_string_equal(t_val(sl_yamlencode, j, 1).as.s->s, "|-\n  x\n  ...\n");
  Val h[] = {S("\xc3\xa9\t")};
  assert_string_equal(t_val(sl_yamlencode, h, 1).as.s->s, "\"\xc3\xa9\\t\"\n");
}

static void test_yamldecode(void **s) {
  (void)s;
  OK("{\"a\":1,\"b\":[true,null,\"x\",2.5,\"07\",-3,255,8]}", yamldecode,
     S("a: 1\nb: [true, ~, x, 2.5, \"07\", -3, 0xff, 0o10]\n"));
  OK("null", yamldecode, S(""));
  /* YAML 1.2: yes/no/on/off are strings, keys are the text written (Terraform differs) */
  OK("{\"n\":\"no\",\"on\":\"off\",\"y\":\"yes\"}", yamldecode, S("on: off\ny: yes\nn: no\n"));
  OK("\"hello\"", yamldecode, S("hello"));
  OK("{\"f\":3.0,\"i\":2,\"n\":null,\"s\":\"1\",\"t\":true}", yamldecode,
     S("s: !!str 1\ni: !!int \"2\"\nf: !!float 3\nn: !!null null\nt: !!bool true\n"));
  /* anchors, aliases and merge keys */
  OK("{\"base\":{\"a\":1,\"b\":2},\"d\":{\"a\":1,\"b\":3,\"c\":4}}", yamldecode,
     S("base: &b {a: 1, b: 2}\nd:\n  <<: *b\n  b: 3\n  c: 4\n"));
  OK("{\"x\":{\"a\":1},\"y\":{\"a\":1}}", yamldecode, S("x: &a {a: 1}\ny: *a\n"));
  ERR("yamldecode: unexpected extra content after the first document", yamldecode,
      S("a: 1\n---\nb: 2\n"));
  ERR("yamldecode: a mapping has a key twice", yamldecode, S("a: 1\na: 2\n"));
  ERR("yamldecode: unsupported tag !custom (Plat reads !!str, !!int, !!float, !!bool and !!null)",
      yamldecode, S("!custom x"));
  ERR("yamldecode: .inf is not a finite number (Plat numbers are finite)", yamldecode, S(".inf"));
  ERR("yamldecode: x is not a valid int", yamldecode, S("!!int x"));
  ERR("yamldecode: a mapping key must be a scalar (Plat map keys are strings)", yamldecode,
      S("? [a]\n: 1\n"));
  ERR("yamldecode: unknown anchor nope referenced", yamldecode, S("a: *nope\n"));
  ERR("yamldecode: the integer 99999999999999999999 is out of range", yamldecode,
      S("99999999999999999999"));
  const char *e = t_err(sl_yamldecode, (Val[]){S("a: [1, 2\n")}, 1);
  assert_non_null(strstr(e, "yamldecode: invalid YAML on line 2"));
  e = t_err(sl_yamldecode, (Val[]){SEC("a: [1, 2\n")}, 1);
  assert_string_equal(e, "yamldecode: invalid YAML on line 2");
}

static void test_yaml_bomb(void **s) {
  (void)s;
  /* a "billion laughs": shared, not copied, so decoding is cheap; converting it to a
   * typed value walks the tree and stops at the step limit */
  SBuf b;
  sb_init(&b, &T_rt);
  sb_adds(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
  for (int i = 1; i < 10; i++) {
    sb_addf(&b, "a%d: &a%d [", i, i);
    for (int k = 0; k < 10; k++) sb_addf(&b, "%s*a%d", k ? ", " : "", i - 1);
    sb_adds(&b, "]\n");
  }
  sb_addc(&b, 0);
  Val raw[] = {S(b.p)};
  Val v = t_val(sl_yamldecode, raw, 1);
  assert_int_equal(v.tag, VT_MAP);
  Val typed[] = {S(b.p), S("[\"map\",\"any\"]")};
  (void)t_val(sl_yamldecode, typed, 2);    /* any: no walk below the map */
  Val deep[] = {S(b.p), S("[\"map\",[\"list\",\"any\"]]")};
  (void)t_val(sl_yamldecode, deep, 2);
  Val all[] = {S(b.p), S("[\"record\",[\"a9\",[\"list\",[\"list\",[\"list\",[\"list\",[\"list\","
                         "[\"list\",[\"list\",[\"list\",[\"list\",[\"list\",\"string\"]]]]]]]]]]]]")};
  assert_string_equal(t_err(sl_yamldecode, all, 2), "yamldecode: the decoded value has more than 2000000 parts");
  /* nesting: 5,000 levels of flow sequences is refused, not a stack overflow */
  SBuf n;
  sb_init(&n, &T_rt);
  for (int i = 0; i < 5000; i++) sb_addc(&n, '[');
  for (int i = 0; i < 5000; i++) sb_addc(&n, ']');
  sb_addc(&n, 0);
  Val nest[] = {S(n.p)};
  assert_non_null(strstr(t_err(sl_yamldecode, nest, 1), "yamldecode:"));
}

/* Random and mutated inputs to every decoder and parser: each call returns or raises a
 * clean error (never a crash, a hang or a sanitizer report); the run is deterministic. */
static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint32_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t)rng; }

static void t_try(SlFn fn, const Val *args, uint32_t n) {
  TCall c = {fn, args, n, val_null()};
  if (rt_protect(&T_rt, t_do, &c) != 0) assert_true(T_rt.errmsg[0] != 0);
}

static void test_random_inputs(void **s) {
  (void)s;
  static const char *seeds[] = {
    "{\"a\": [1, 2.5, \"x\", null, {\"b\": true}]}", "a: [1, {b: &x c}, *x]\n<<: {d: 1}\n",
    "a,b\n\"1\",2\n", "- !!int 3\n- !!str x\n- ~\n", "SGVsbG8=", "%41+%zz", "[[[]]]",
  };
  SlFn fns[] = {sl_jsondecode, sl_yamldecode, sl_csvdecode, sl_base64decode, sl_urldecode};
  char buf[96];
  for (int round = 0; round < 3000; round++) {
    const char *seed = seeds[next() % (sizeof seeds / sizeof seeds[0])];
    size_t n = strlen(seed);
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, seed, n);
    /* mutate: flip, insert or cut a few bytes, keeping the text free of NUL */
    for (int m = next() % 4; m >= 0; m--) {
      size_t at = n ? next() % n : 0;
      switch (next() % 3) {
      case 0: if (n) buf[at] = (char)(1 + next() % 255); break;
      case 1: if (n + 1 < sizeof buf) { memmove(buf + at + 1, buf + at, n - at); buf[at] = (char)(1 + next() % 127); n++; } break;
      default: n = at; break;
      }
    }
    buf[n] = 0;
    /* val_str refuses bytes that are not UTF-8: those are the VM's to refuse, not ours */
    Val str;
    if (utf8_check(buf, n) < n) continue;
    str = S(buf);
    for (size_t f = 0; f < sizeof fns / sizeof fns[0]; f++) {
      Val a[] = {str, S("[\"map\",[\"list\",\"int\"]]")};
      t_try(fns[f], a, f < 2 && (round & 1) ? 2 : 1);
    }
    Val c2[] = {str, I((int64_t)(next() % 40) - 4), I((int64_t)(next() % 300) - 10)};
    t_try(sl_cidrsubnet, c2, 3);
    t_try(sl_cidrhost, c2, 2);
    Val t2[] = {str, S("2018-01-02T23:12:01Z")};
    t_try(sl_formatdate, t2, 2);
    Val t3[] = {S("2018-01-02T23:12:01Z"), str};
    t_try(sl_timeadd, t3, 2);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_base64, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_base64gzip, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_textencoding, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_url, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_jsonencode, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_jsondecode_raw, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_jsondecode_deep, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_conform, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_csvdecode, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_yamlencode, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_yamldecode, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_yaml_bomb, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_random_inputs, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
