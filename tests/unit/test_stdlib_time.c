/* The date built-ins (stdlib/time.c): Terraform's documented formatdate examples, every
 * format letter, quoted literals, offsets kept, leap years, negative and fractional
 * durations, the years 0000 and 9999, timecmp across offsets, timestamp's clock and its
 * SOURCE_DATE_EPOCH override, and each error's exact message. */
#include <stdlib.h>

#include "tests/unit/stdlib_harness.h"

static void test_formatdate(void **s) {
  (void)s;
  OK("\"02 Jan 2018 23:12 UTC\"", formatdate, S("DD MMM YYYY hh:mm ZZZ"), S("2018-01-02T23:12:01Z"));
  OK("\"Tuesday, 02-Jan-18 23:12:01 UTC\"", formatdate, S("EEEE, DD-MMM-YY hh:mm:ss ZZZ"),
     S("2018-01-02T23:12:01Z"));
  OK("\"Tue, 02 Jan 2018 23:12:01 -0800\"", formatdate, S("EEE, DD MMM YYYY hh:mm:ss ZZZ"),
     S("2018-01-02T23:12:01-08:00"));
  OK("\"Jan 02, 2018\"", formatdate, S("MMM DD, YYYY"), S("2018-01-02T23:12:01Z"));
  OK("\"11:12pm\"", formatdate, S("HH:mmaa"), S("2018-01-02T23:12:01Z"));
  OK("\"12:05AM\"", formatdate, S("HH:mmAA"), S("2018-01-02T00:05:01Z"));
  OK("\"2018-1-2 3:4:5 3\"", formatdate, S("YYYY-M-D h:m:s H"), S("2018-01-02T03:04:05Z"));
  OK("\"January February\"", formatdate, S("MMMM 'February'"), S("2018-01-02T03:04:05Z"));
  OK("\"2018-01-02T03:04:05\"", formatdate, S("YYYY-MM-DD'T'hh:mm:ss"), S("2018-01-02T03:04:05Z"));
  OK("\"it's 03\"", formatdate, S("'it''s' hh"), S("2018-01-02T03:04:05Z"));
  OK("\"'\"", formatdate, S("''"), S("2018-01-02T03:04:05Z"));
  OK("\"Z +05:30 +0530 +0530 +05:30\"", formatdate, S("'Z' ZZZZZ ZZZZ ZZZ Z"), S("2018-01-02T03:04:05+05:30"));
  OK("\"Z +00:00 +0000 UTC\"", formatdate, S("Z ZZZZZ ZZZZ ZZZ"), S("2018-01-02T03:04:05Z"));
  OK("\"Thursday\"", formatdate, S("EEEE"), S("1970-01-01T00:00:00Z"));
  OK("\"Tuesday 29\"", formatdate, S("EEEE DD"), S("2000-02-29T12:00:00Z"));
  OK("\"Saturday 0000 00\"", formatdate, S("EEEE YYYY YY"), S("0000-01-01T00:00:00Z"));
  OK("\"Friday 9999\"", formatdate, S("EEEE YYYY"), S("9999-12-31T23:59:59Z"));
  OK("\"\xc3\xa9t\xc3\xa9 2018\"", formatdate, S("'\xc3\xa9t\xc3\xa9' YYYY"), S("2018-01-02T03:04:05Z"));
  OK("\"\"", formatdate, S(""), S("2018-01-02T03:04:05Z"));
  /* the wall clock of the timestamp's own offset */
  OK("\"2018-01-01 23:00\"", formatdate, S("YYYY-MM-DD hh:mm"), S("2018-01-01T23:00:00-05:00"));
  ERR("formatdate: invalid date format verb YYY: use a sequence from the table (YYYY, MM, DD, hh, mm, "
      "ss, ...) or quote literal letters ('T')", formatdate, S("YYY"), S("2018-01-02T03:04:05Z"));
  ERR("formatdate: invalid date format verb T: use a sequence from the table (YYYY, MM, DD, hh, mm, "
      "ss, ...) or quote literal letters ('T')", formatdate, S("YYYY-MM-DDThh"), S("2018-01-02T03:04:05Z"));
  ERR("formatdate: unterminated literal '", formatdate, S("'abc"), S("2018-01-02T03:04:05Z"));
}

static void test_bad_timestamps(void **s) {
  (void)s;
  ERR("formatdate: not a valid RFC 3339 timestamp: \"2018-01-02\": missing required time introducer 'T'",
      formatdate, S("YYYY"), S("2018-01-02"));
  ERR("formatdate: not a valid RFC 3339 timestamp: \"2018-01-02T03:04:05\": missing the time zone (Z or +hh:mm)",
      formatdate, S("YYYY"), S("2018-01-02T03:04:05"));
  ERR("formatdate: not a valid RFC 3339 timestamp: \"2021-02-29T00:00:00Z\": the day is out of range",
      formatdate, S("YYYY"), S("2021-02-29T00:00:00Z"));
  ERR("formatdate: not a valid RFC 3339 timestamp: \"2018-13-01T00:00:00Z\": the month is out of range",
      formatdate, S("YYYY"), S("2018-13-01T00:00:00Z"));
  ERR("formatdate: not a valid RFC 3339 timestamp: \"2018-01-01T24:00:00Z\": the hour is out of range",
      formatdate, S("YYYY"), S("2018-01-01T24:00:00Z"));
  ERR("formatdate: not a valid RFC 3339 timestamp: \"2018-01-01T00:00:60Z\": the second is out of range",
      formatdate, S("YYYY"), S("2018-01-01T00:00:60Z"));
  ERR("formatdate: not a valid RFC 3339 timestamp: \"2018-01-01T00:00:00Zx\": extra text after the timestamp",
      formatdate, S("YYYY"), S("2018-01-01T00:00:00Zx"));
  ERR("formatdate: not a valid RFC 3339 timestamp: \"2018-01-01T00:00:00+5:00\": the time zone offset must "
      "be Z or +hh:mm", formatdate, S("YYYY"), S("2018-01-01T00:00:00+5:00"));
  ERR("formatdate: not a valid RFC 3339 timestamp: \"18-01-01T00:00:00Z\": the date must start YYYY-MM-DD",
      formatdate, S("YYYY"), S("18-01-01T00:00:00Z"));
  ERR("formatdate: not a valid RFC 3339 timestamp: \"2018-01-01T00:00:00.Z\": a fraction of a second needs "
      "digits after '.'", formatdate, S("YYYY"), S("2018-01-01T00:00:00.Z"));
  ERR("formatdate: not a valid RFC 3339 timestamp: (sensitive value): the date must start YYYY-MM-DD",
      formatdate, S("YYYY"), val_mark_secret(S("nope")));
  ERR("timeadd: not a valid RFC 3339 timestamp: \"\": the date must start YYYY-MM-DD", timeadd, S(""), S("1s"));
}

static void test_timeadd(void **s) {
  (void)s;
  OK("\"2017-11-22T00:10:00Z\"", timeadd, S("2017-11-22T00:00:00Z"), S("10m"));
  OK("\"2020-02-29T12:00:00Z\"", timeadd, S("2020-02-28T12:00:00Z"), S("24h"));
  OK("\"1999-12-31T23:59:59Z\"", timeadd, S("2000-01-01T00:00:00Z"), S("-1s"));
  OK("\"2018-01-03T00:12:01+05:30\"", timeadd, S("2018-01-02T23:12:01+05:30"), S("1h"));
  OK("\"2018-01-02T23:12:02Z\"", timeadd, S("2018-01-02T23:12:01.5Z"), S("0.5s"));
  OK("\"2018-01-02T23:12:01Z\"", timeadd, S("2018-01-02T23:12:01.999999999Z"), S("0"));  /* fraction dropped */
  OK("\"2018-01-03T00:42:01Z\"", timeadd, S("2018-01-02T23:12:01Z"), S("1h30m"));
  OK("\"2018-01-02T21:42:01Z\"", timeadd, S("2018-01-02T23:12:01Z"), S("-1.5h"));
  OK("\"2018-01-02T23:12:02Z\"", timeadd, S("2018-01-02T23:12:01Z"), S("500ms500000us0ns"));
  OK("\"2018-01-02T23:12:02Z\"", timeadd, S("2018-01-02T23:12:01Z"), S("1000000\xc2\xb5s"));
  OK("\"0000-01-01T00:00:00Z\"", timeadd, S("0000-01-01T00:00:01Z"), S("-1s"));
  ERR("timeadd: the result is outside the years 0000 to 9999", timeadd, S("9999-12-31T23:59:59Z"), S("1s"));
  ERR("timeadd: the result is outside the years 0000 to 9999", timeadd, S("0000-01-01T00:00:00Z"), S("-1ns"));
  ERR("timeadd: the result is outside the years 0000 to 9999", timeadd, S("2000-01-01T00:00:00Z"),
      S("100000000h"));
  ERR("timeadd: invalid duration \"1d\": unknown unit (use h, m, s, ms, us or ns)", timeadd,
      S("2000-01-01T00:00:00Z"), S("1d"));
  ERR("timeadd: invalid duration \"10\": missing unit", timeadd, S("2000-01-01T00:00:00Z"), S("10"));
  ERR("timeadd: invalid duration \"\": empty duration", timeadd, S("2000-01-01T00:00:00Z"), S(""));
  ERR("timeadd: invalid duration \"h\": expected a number", timeadd, S("2000-01-01T00:00:00Z"), S("h"));
  ERR("timeadd: invalid duration \"99999999999999999999999999999999h\": the duration is too large", timeadd,
      S("2000-01-01T00:00:00Z"), S("99999999999999999999999999999999h"));
}

static void test_timecmp(void **s) {
  (void)s;
  OK("0", timecmp, S("2017-11-22T00:00:00Z"), S("2017-11-22T00:00:00Z"));
  OK("-1", timecmp, S("2017-11-22T00:00:00Z"), S("2017-11-22T01:00:00Z"));
  OK("1", timecmp, S("2017-11-22T01:00:00Z"), S("2017-11-22T00:00:00Z"));
  OK("0", timecmp, S("2017-11-22T01:00:00Z"), S("2017-11-22T00:00:00-01:00"));
  OK("-1", timecmp, S("2017-11-22T00:00:00.1Z"), S("2017-11-22T00:00:00.2Z"));
  OK("1", timecmp, S("9999-12-31T23:59:59Z"), S("0000-01-01T00:00:00Z"));
  ERR("timecmp: not a valid RFC 3339 timestamp: \"x\": the date must start YYYY-MM-DD", timecmp,
      S("2017-11-22T00:00:00Z"), S("x"));
}

static void test_timestamp(void **s) {
  (void)s;
  setenv("SOURCE_DATE_EPOCH", "0", 1);
  OK0("\"1970-01-01T00:00:00Z\"", timestamp);
  setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  OK0("\"2023-11-14T22:13:20Z\"", timestamp);
  OK0("\"2023-11-14T22:13:20Z\"", plantimestamp);
  setenv("SOURCE_DATE_EPOCH", "soon", 1);
  assert_string_equal(t_err(sl_timestamp, NULL, 0),
                      "timestamp: SOURCE_DATE_EPOCH is not a number of seconds since 1970");
  unsetenv("SOURCE_DATE_EPOCH");
  Val now = t_val(sl_timestamp, NULL, 0);
  assert_int_equal(now.as.s->len, 20);                   /* YYYY-MM-DDThh:mm:ssZ */
  Val back[] = {now, S("2024-01-01T00:00:00Z")};
  assert_string_equal(t_ok(sl_timecmp, back, 2), "1");   /* later than this was written */
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_formatdate, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_bad_timestamps, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_timeadd, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_timecmp, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_timestamp, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
