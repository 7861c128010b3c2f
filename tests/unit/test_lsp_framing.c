/* Unit tests of the language server's framing (lsp/jsonrpc.h): whole messages, messages
 * split at every byte, several in one read, case-insensitive header names with
 * Content-Type, leading line breaks, and each malformed case with its message and the
 * recovery after it (resync on the next Content-Length); an oversized body skipped without
 * being stored; rpc_write's exact bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lsp/jsonrpc.h"

static RpcStatus next(RpcReader *r, char **body, char *err) {
  size_t len;
  return rpc_next(r, body, &len, err, 256);
}

static void expect_body(RpcReader *r, const char *want) {
  char *body, err[256];
  assert_int_equal(next(r, &body, err), RPC_MSG);
  assert_string_equal(body, want);
  free(body);
}

static void expect_error(RpcReader *r, const char *want) {
  char *body, err[256];
  assert_int_equal(next(r, &body, err), RPC_ERROR);
  assert_null(body);
  assert_string_equal(err, want);
}

static void expect_none(RpcReader *r) {
  char *body, err[256];
  assert_int_equal(next(r, &body, err), RPC_NONE);
}

static void test_whole_and_split(void **state) {
  (void)state;
  static const char msg[] = "Content-Length: 7\r\n\r\n{\"a\":1}";
  RpcReader r;
  rpc_init(&r, -1, 1024);
  rpc_feed(&r, msg, strlen(msg));
  expect_body(&r, "{\"a\":1}");
  expect_none(&r);
  /* one byte at a time: nothing until the last byte */
  for (size_t i = 0; i < strlen(msg); i++) {
    expect_none(&r);
    rpc_feed(&r, msg + i, 1);
  }
  expect_body(&r, "{\"a\":1}");
  rpc_free(&r);
}

static void test_several_and_headers(void **state) {
  (void)state;
  static const char msgs[] = "Content-Length: 2\r\n\r\n{}"
                             "\r\n"   /* a stray line break between messages */
                             "content-length:3\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[1]"
                             "Content-Length: 0\r\n\r\n";
  RpcReader r;
  rpc_init(&r, -1, 1024);
  rpc_feed(&r, msgs, strlen(msgs));
  expect_body(&r, "{}");
  expect_body(&r, "[1]");
  expect_body(&r, "");
  expect_none(&r);
  rpc_free(&r);
}

static void test_malformed_then_recovers(void **state) {
  (void)state;
  RpcReader r;
  rpc_init(&r, -1, 1024);
  static const char a[] = "Content-Type: x\r\n\r\nContent-Length: 2\r\n\r\n{}";
  rpc_feed(&r, a, strlen(a));
  expect_error(&r, "malformed message header: no Content-Length");
  expect_body(&r, "{}");
  static const char b[] = "Content-Length: 1x\r\n\r\nContent-Length: 2\r\n\r\nab";
  rpc_feed(&r, b, strlen(b));
  expect_error(&r, "malformed message header: expected 'Content-Length: N'");
  expect_body(&r, "ab");
  static const char c[] = "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx";
  rpc_feed(&r, c, strlen(c));
  expect_error(&r, "malformed message header: expected 'Content-Length: N'");
  static const char d[] = "no colon here\r\n\r\nContent-Length: 1\r\n\r\nz";
  rpc_feed(&r, d, strlen(d));
  expect_error(&r, "malformed message header: expected 'Content-Length: N'");
  expect_body(&r, "z");
  static const char e[] = "Content-Length: 184467440737095516160\r\n\r\n";
  rpc_feed(&r, e, strlen(e));
  expect_error(&r, "malformed message header: expected 'Content-Length: N'");
  expect_none(&r);
  /* 9000 bytes without an end of header: an error, not a growing buffer */
  char junk[9000];
  memset(junk, 'x', sizeof junk);
  rpc_feed(&r, junk, sizeof junk);
  expect_error(&r, "malformed message: no end of header (\\r\\n\\r\\n) within 8192 bytes");
  assert_true(r.len - r.pos < 16);
  static const char f[] = "\r\n\r\nContent-Length: 1\r\n\r\nq";
  rpc_feed(&r, f, strlen(f));
  expect_body(&r, "q");
  rpc_free(&r);
}

static void test_oversized_skipped(void **state) {
  (void)state;
  RpcReader r;
  rpc_init(&r, -1, 16);
  static const char h[] = "Content-Length: 100\r\n\r\n0123456789";
  rpc_feed(&r, h, strlen(h));
  expect_error(&r, "message of 100 bytes is over the limit of 16 bytes; skipped");
  assert_int_equal(r.skip, 90);
  char chunk[45];
  memset(chunk, 'y', sizeof chunk);
  rpc_feed(&r, chunk, sizeof chunk);
  rpc_feed(&r, chunk, sizeof chunk);   /* the body's end: nothing of it is kept */
  assert_int_equal(r.skip, 0);
  expect_none(&r);
  static const char ok[] = "Content-Length: 2\r\n\r\nok";
  rpc_feed(&r, ok, strlen(ok));
  expect_body(&r, "ok");
  /* at the limit is fine */
  static const char at[] = "Content-Length: 16\r\n\r\n0123456789abcdef";
  rpc_feed(&r, at, strlen(at));
  expect_body(&r, "0123456789abcdef");
  rpc_free(&r);
}

static void test_write(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  json_t *m = json_pack("{s:s, s:i}", "jsonrpc", "2.0", "id", 1);
  assert_true(rpc_write(fds[1], m));
  json_decref(m);
  close(fds[1]);
  char buf[128] = {0};
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  assert_true(n > 0);
  assert_string_equal(buf, "Content-Length: 24\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1}");
  /* and read back through the reader from a real fd */
  assert_int_equal(pipe(fds), 0);
  assert_int_equal(write(fds[1], buf, strlen(buf)), (ssize_t)strlen(buf));
  close(fds[1]);
  RpcReader r;
  rpc_init(&r, fds[0], 1024);
  while (rpc_fill(&r, 1000) > 0) {}
  assert_true(r.eof);
  expect_body(&r, "{\"jsonrpc\":\"2.0\",\"id\":1}");
  rpc_free(&r);
  close(fds[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_whole_and_split),
      cmocka_unit_test(test_several_and_headers),
      cmocka_unit_test(test_malformed_then_recovers),
      cmocka_unit_test(test_oversized_skipped),
      cmocka_unit_test(test_write),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
