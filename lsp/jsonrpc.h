/* JSON-RPC 2.0 framing over a byte stream, as LSP speaks it: "Content-Length: N\r\n\r\n"
 * then N bytes of JSON.  The reader buffers what the fd has (never blocking unless asked),
 * splits it into message bodies, and turns malformed framing into an error it can recover
 * from (it resynchronises on the next "Content-Length").  Memory stays bounded: a body over
 * the cap is skipped as it arrives, never stored.  Parsing the JSON is the server's job. */
#ifndef PLAT_LSP_JSONRPC_H
#define PLAT_LSP_JSONRPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define RPC_MAX_HEADER 8192     /* a header block longer than this is malformed */

typedef struct RpcReader {
  int fd;                 /* -1: only what rpc_feed gives (unit tests) */
  char *buf;              /* buffered input: [pos, len) not yet consumed */
  size_t len, pos, cap;
  size_t max;             /* Content-Length cap */
  size_t skip;            /* body bytes of an oversized message still to drop */
  bool eof;               /* the fd reached end of input (or failed) */
} RpcReader;

typedef enum RpcStatus {
  RPC_MSG,                /* a body: *body (malloc'd, NUL-terminated, caller frees), *len */
  RPC_NONE,               /* no complete message buffered yet */
  RPC_ERROR,              /* malformed framing or an oversized message: [err] says which */
} RpcStatus;

void rpc_init(RpcReader *r, int fd, size_t max);
void rpc_free(RpcReader *r);
/* Append [len] bytes at [data] to the buffer (what rpc_fill does with the fd's bytes). */
void rpc_feed(RpcReader *r, const char *data, size_t len);
/* Read what the fd has, waiting at most [timeout_ms] (-1: until something arrives, 0: not
 * at all).  Returns the number of bytes read; 0 on timeout or end of input (r->eof set). */
size_t rpc_fill(RpcReader *r, int timeout_ms);
/* Take the next message out of the buffer (no I/O).  On RPC_ERROR, [err] ([errlen] bytes)
 * holds a message for the client and the reader has skipped past the bad bytes. */
RpcStatus rpc_next(RpcReader *r, char **body, size_t *len, char *err, size_t errlen);

/* Write [msg] framed to [fd] (the whole of it, retrying short writes).  Returns false if
 * the output is closed or failing.  Does not take [msg]'s reference. */
bool rpc_write(int fd, json_t *msg);

#endif
