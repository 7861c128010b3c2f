/* External providers: an executable platc-provider-<name> started with posix_spawn (no
 * shell; its path and a fixed argv, never a user string in a command line) that speaks
 * JSON-RPC 2.0 over its stdin and stdout with Content-Length framing, as docs/providers.md
 * specifies.  Everything it sends is untrusted: headers and bodies are size-capped, every
 * field is type-checked, and a crash, garbage, an oversized message, a wrong id or a hang
 * (killed at the deadline) becomes an error naming the provider with the tail of its
 * stderr, never a crash or hang of platc.  A provider that died is started again on the
 * next call. */
#define _GNU_SOURCE   /* posix_spawn_file_actions_addchdir_np */
#include "providers/impl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compiler/compiler.h"

#define EXT_PROTOCOL_VERSION 1
#define EXT_MAX_HEADER 4096            /* bytes of headers before a body */
#define EXT_MAX_MESSAGE (64u << 20)    /* bytes of one body */
#define EXT_ERR_TAIL 2048              /* bytes of stderr kept for messages */
#define EXT_MAX_NOTIFICATIONS 10000    /* notifications skipped while waiting for a reply */
#define EXT_MAX_TEXT 1000              /* bytes of a provider's error message kept */
#define EXT_REAP_GRACE_MS 2000         /* to exit after closing its stdout */

extern char **environ;

typedef struct Ext {
  pthread_mutex_t lock;        /* one request at a time: the stream is not multiplexed */
  char *name, *exe, *root;
  json_t *config;
  int64_t start_timeout_ms;
  pid_t pid;                   /* 0: not running */
  int to_child, from_child, err_child;
  char *buf;                   /* bytes read from its stdout, not yet a message */
  size_t blen, bcap;
  char tail[EXT_ERR_TAIL];     /* the last bytes of its stderr (a ring) */
  size_t tail_len, tail_pos;
  int64_t next_id;
  char *schema;
  size_t schema_len;
} Ext;

typedef enum RpcStatus { RPC_OK, RPC_ERROR, RPC_DEAD, RPC_TIMEOUT } RpcStatus;

/* ---- the child's stderr ------------------------------------------------------------------ */
static void tail_add(Ext *E, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    E->tail[E->tail_pos] = s[i];
    E->tail_pos = (E->tail_pos + 1) % EXT_ERR_TAIL;
    if (E->tail_len < EXT_ERR_TAIL) E->tail_len++;
  }
}

/* The last lines of stderr, each as "\n  | line", control bytes shown as '?'; "" if none. */
static char *tail_text(const Ext *E) {
  size_t n = E->tail_len, start = (E->tail_pos + EXT_ERR_TAIL - n) % EXT_ERR_TAIL;
  char *raw = plat_xmalloc(n + 1);
  for (size_t i = 0; i < n; i++) raw[i] = E->tail[(start + i) % EXT_ERR_TAIL];
  raw[n] = '\0';
  while (n && (raw[n - 1] == '\n' || raw[n - 1] == '\r')) raw[--n] = '\0';
  const char *from = raw;
  if (E->tail_len == EXT_ERR_TAIL) {   /* the ring cut a line: start at the next whole one */
    const char *nl = strchr(raw, '\n');
    if (nl) from = nl + 1;
  }
  if (!*from) {
    free(raw);
    return plat_xstrdup("");
  }
  char *out = plat_xmalloc(strlen(from) * 5 + 32);
  size_t k = (size_t)sprintf(out, "\n  its stderr ended with:\n  | ");
  for (const char *c = from; *c; c++) {
    if (*c == '\n') {
      memcpy(out + k, "\n  | ", 5);
      k += 5;
    } else {
      unsigned char u = (unsigned char)*c;
      out[k++] = (u < 0x20 && u != '\t') || u == 0x7f ? '?' : (char)u;
    }
  }
  out[k] = '\0';
  free(raw);
  return out;
}

/* Read what its stderr holds.  At end of file the pipe is closed: poll would report a
 * closed pipe at once on every call, and waiting for a reply would spin. */
static void drain_stderr(Ext *E) {
  char b[4096];
  while (E->err_child >= 0) {
    ssize_t r = read(E->err_child, b, sizeof b);
    if (r > 0) tail_add(E, b, (size_t)r);
    else if (r < 0 && errno == EINTR) continue;
    else {
      if (r == 0) {
        close(E->err_child);
        E->err_child = -1;
      }
      break;
    }
  }
}

/* ---- the process --------------------------------------------------------------------------- */
static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* How a reaped child ended, in words. */
static char *exit_words(int status) {
  if (WIFEXITED(status)) return prov_strdupf("exited with status %d", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return prov_strdupf("was killed by signal %d (%s)", WTERMSIG(status),
                        strsignal(WTERMSIG(status)));
  return plat_xstrdup("stopped");
}

/* Kill the provider (its whole process group) and reap it. */
static void ext_kill(Ext *E) {
  if (E->pid > 0) {
    kill(-E->pid, SIGKILL);
    kill(E->pid, SIGKILL);
    while (waitpid(E->pid, NULL, 0) < 0 && errno == EINTR) {}
    drain_stderr(E);
  }
  E->pid = 0;
  close_fd(&E->to_child);
  close_fd(&E->from_child);
  close_fd(&E->err_child);
  E->blen = 0;
}

/* After its stdout closed: give it EXT_REAP_GRACE_MS to exit, then kill it.  Returns how
 * it ended, in words.  The grace is counted on the clock, not in polls: a process whose
 * files are closed is not yet reaped, and a loaded machine can keep it in between for a
 * while. */
static char *ext_reap(Ext *E) {
  int status = 0;
  char *words = NULL;
  int64_t deadline = prov_now_ms() + EXT_REAP_GRACE_MS;
  while (E->pid > 0) {
    pid_t w = waitpid(E->pid, &status, WNOHANG);
    if (w == E->pid) {
      words = exit_words(status);
      E->pid = 0;
      break;
    }
    if (w < 0 && errno != EINTR) break;
    int64_t left = deadline - prov_now_ms();
    if (left <= 0) break;
    if (E->err_child >= 0) {
      struct pollfd pf = {E->err_child, POLLIN, 0};
      if (poll(&pf, 1, left < 10 ? (int)left : 10) > 0) drain_stderr(E);
    } else {
      struct timespec ts = {0, 2 * 1000000};   /* 2 ms between looks */
      nanosleep(&ts, NULL);
    }
  }
  if (!words) words = plat_xstrdup("closed its stdout and was killed");
  drain_stderr(E);
  ext_kill(E);
  return words;
}

/* The environment for the child: platc's, without the passphrase that unlocks state. */
static char **child_env(void) {
  size_t n = 0;
  while (environ && environ[n]) n++;
  char **env = plat_xcalloc(n + 1, sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "PLAT_PASSPHRASE", 15) != 0) env[k++] = environ[i];
  env[k] = NULL;
  return env;
}

static bool ext_spawn(Ext *E, char **why) {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    *why = prov_strdupf("cannot make pipes: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
      if (in[i] >= 0) close(in[i]);
      if (out[i] >= 0) close(out[i]);
      if (err[i] >= 0) close(err[i]);
    }
    return false;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addchdir_np(&fa, E->root);   /* runs in the project folder */
  posix_spawnattr_init(&at);
  /* its own process group, so a hung provider is killed with whatever it started; signals
     at their defaults and none blocked, whatever platc does with SIGPIPE */
  sigset_t none, dfl;
  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGPIPE);
  sigaddset(&dfl, SIGINT);
  sigaddset(&dfl, SIGTERM);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &dfl);
  posix_spawnattr_setpgroup(&at, 0);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                    POSIX_SPAWN_SETSIGDEF);
  char *argv[] = {E->exe, NULL};
  char **env = child_env();
  pid_t pid;
  int rc = posix_spawn(&pid, E->exe, &fa, &at, argv, env);
  free(env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    *why = prov_strdupf("cannot start %s: %s", E->exe, strerror(rc));
    return false;
  }
  E->pid = pid;
  E->to_child = in[1];
  E->from_child = out[0];
  E->err_child = err[0];
  fcntl(E->to_child, F_SETFL, fcntl(E->to_child, F_GETFL) | O_NONBLOCK);
  fcntl(E->from_child, F_SETFL, fcntl(E->from_child, F_GETFL) | O_NONBLOCK);
  fcntl(E->err_child, F_SETFL, fcntl(E->err_child, F_GETFL) | O_NONBLOCK);
  E->blen = 0;
  E->tail_len = E->tail_pos = 0;
  return true;
}

/* ---- framing ------------------------------------------------------------------------------- */
/* A printable excerpt of bytes the provider sent, for "it sent garbage" messages. */
static char *excerpt(const char *s, size_t n) {
  size_t m = n < 40 ? n : 40;
  char *out = plat_xmalloc(m * 4 + 8);
  size_t k = 0;
  for (size_t i = 0; i < m; i++) {
    unsigned char u = (unsigned char)s[i];
    if (u >= 0x20 && u < 0x7f && u != '\\') out[k++] = (char)u;
    else k += (size_t)sprintf(out + k, "\\x%02x", u);
  }
  if (n > m) k += (size_t)sprintf(out + k, "...");
  out[k] = '\0';
  return out;
}

/* A whole message at the front of E->buf: 1 with *body, *blen and *consumed, 0 if more bytes
 * are needed, -1 with *why if what is there can never be a message. */
static int frame(Ext *E, const char **body, size_t *blen, size_t *consumed, char **why) {
  const char *b = E->buf;
  size_t n = E->blen;
  const char *end = NULL;
  for (size_t i = 0; i + 3 < n && i < EXT_MAX_HEADER; i++)
    if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
      end = b + i;
      break;
    }
  if (!end) {
    /* a header line is printable ASCII; anything else is garbage right away */
    for (size_t i = 0; i < n && i < EXT_MAX_HEADER; i++) {
      unsigned char u = (unsigned char)b[i];
      if ((u < 0x20 && u != '\r' && u != '\n' && u != '\t') || u >= 0x7f) {
        char *ex = excerpt(b, n);
        *why = prov_strdupf("it sent garbage instead of a Content-Length header: \"%s\"", ex);
        free(ex);
        return -1;
      }
    }
    if (n >= EXT_MAX_HEADER) {
      char *ex = excerpt(b, n);
      *why = prov_strdupf("it sent more than %d bytes without the blank line that ends "
                          "the headers: \"%s\"", EXT_MAX_HEADER, ex);
      free(ex);
      return -1;
    }
    return 0;
  }
  long long len = -1;
  for (const char *line = b; line < end;) {
    const char *nl = line;
    while (nl < end && !(nl[0] == '\r' && nl[1] == '\n')) nl++;
    const char *colon = memchr(line, ':', (size_t)(nl - line));
    if (!colon) {
      char *ex = excerpt(line, (size_t)(nl - line));
      *why = prov_strdupf("it sent a header line without ':': \"%s\"", ex);
      free(ex);
      return -1;
    }
    if ((size_t)(colon - line) == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
      const char *v = colon + 1;
      while (v < nl && *v == ' ') v++;
      long long x = 0;
      const char *d = v;
      for (; d < nl && *d >= '0' && *d <= '9' && x <= (long long)EXT_MAX_MESSAGE; d++)
        x = x * 10 + (*d - '0');
      if (d == v || (d < nl && !(*d >= '0' && *d <= '9') && *d != ' ')) {
        char *ex = excerpt(line, (size_t)(nl - line));
        *why = prov_strdupf("it sent a Content-Length that is not a number: \"%s\"", ex);
        free(ex);
        return -1;
      }
      if (x > (long long)EXT_MAX_MESSAGE || (d < nl && *d >= '0' && *d <= '9')) {
        *why = prov_strdupf("it announced a message larger than the limit of %u MiB",
                            EXT_MAX_MESSAGE >> 20);
        return -1;
      }
      len = x;
    }
    line = nl + 2;
  }
  if (len < 0) {
    *why = prov_strdupf("it sent a message without a Content-Length header");
    return -1;
  }
  size_t hdr = (size_t)(end - b) + 4;
  if (n - hdr < (size_t)len) return 0;
  *body = b + hdr;
  *blen = (size_t)len;
  *consumed = hdr + (size_t)len;
  return 1;
}

/* ---- one request --------------------------------------------------------------------------- */
static int ms_left(int64_t deadline) {
  int64_t d = deadline - prov_now_ms();
  return d <= 0 ? 0 : d > 1000000 ? 1000000 : (int)d;
}

/* Write all of [data] before [deadline].  SIGPIPE is held back while writing, so a
 * provider that died makes EPIPE here, not the end of platc. */
static RpcStatus write_all(Ext *E, const char *data, size_t n, int64_t deadline, char **why) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  RpcStatus st = RPC_OK;
  bool epipe = false;
  while (n && st == RPC_OK) {
    ssize_t w = write(E->to_child, data, n);
    if (w > 0) {
      data += w;
      n -= (size_t)w;
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && errno == EAGAIN) {
      struct pollfd pf[2] = {{E->to_child, POLLOUT, 0}, {E->err_child, POLLIN, 0}};
      int left = ms_left(deadline);
      if (left == 0) st = RPC_TIMEOUT;
      else if (poll(pf, 2, left) > 0 && pf[1].revents) drain_stderr(E);
    } else {
      epipe = errno == EPIPE;
      st = RPC_DEAD;
      if (!epipe) *why = prov_strdupf("cannot write to it: %s", strerror(errno));
    }
  }
  if (epipe) {
    /* consume the SIGPIPE this thread has pending, if any, before unblocking */
    struct timespec zero = {0, 0};
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) sigtimedwait(&pipe_set, NULL, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (epipe) {
    char *how = ext_reap(E);
    *why = prov_strdupf("it %s before reading its request", how);
    free(how);
  }
  return st;
}

/* Send [method] with [params] (stolen) and wait for its reply until [deadline].
 * RPC_OK: *result (owned).  RPC_ERROR: *error is the JSON-RPC error object (owned).
 * RPC_DEAD / RPC_TIMEOUT: *why; the provider has been killed or has exited. */
static RpcStatus ext_rpc(Ext *E, const char *method, json_t *params, int64_t deadline,
                         json_t **result, json_t **error, char **why) {
  *result = *error = NULL;
  *why = NULL;
  /* a message shows what the provider wrote to stderr during its own request only: older
     lines may hold values (secrets of other resources) this request cannot redact */
  if (strcmp(method, "initialize") != 0) {
    drain_stderr(E);
    E->tail_len = E->tail_pos = 0;
  }
  int64_t id = ++E->next_id;
  json_t *req = json_pack("{s:s,s:I,s:s,s:o}", "jsonrpc", "2.0", "id", (json_int_t)id,
                          "method", method, "params", params ? params : json_object());
  char *body = json_dumps(req, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(req);
  if (!body) {
    *why = plat_xstrdup("cannot encode the request");
    return RPC_DEAD;
  }
  size_t bl = strlen(body);
  char hdr[64];
  int hl = snprintf(hdr, sizeof hdr, "Content-Length: %zu\r\n\r\n", bl);
  char *msg = plat_xmalloc((size_t)hl + bl);
  memcpy(msg, hdr, (size_t)hl);
  memcpy(msg + hl, body, bl);
  free(body);
  RpcStatus st = write_all(E, msg, (size_t)hl + bl, deadline, why);
  free(msg);
  if (st == RPC_TIMEOUT) {
    ext_kill(E);
    *why = prov_strdupf("it did not read its request within the deadline and was killed");
  }
  if (st != RPC_OK) return st;

  uint32_t skipped = 0;
  for (;;) {
    const char *mb;
    size_t ml, used;
    int fr = frame(E, &mb, &ml, &used, why);
    if (fr < 0) {
      ext_kill(E);
      return RPC_DEAD;
    }
    if (fr > 0) {
      json_error_t jerr;
      json_t *m = json_loadb(mb, ml, JSON_REJECT_DUPLICATES, &jerr);
      memmove(E->buf, E->buf + used, E->blen - used);
      E->blen -= used;
      if (!m) {
        *why = prov_strdupf("it sent a message that is not JSON: %s", jerr.text);
        ext_kill(E);
        return RPC_DEAD;
      }
      json_t *jid = json_object_get(m, "id");
      const char *ver = json_string_value(json_object_get(m, "jsonrpc"));
      if (!json_is_object(m) || !ver || strcmp(ver, "2.0") != 0) {
        *why = plat_xstrdup("it sent a message that is not JSON-RPC 2.0 (an object with "
                            "\"jsonrpc\": \"2.0\")");
        json_decref(m);
        ext_kill(E);
        return RPC_DEAD;
      }
      if (!jid && json_is_string(json_object_get(m, "method"))) {
        /* a notification (a log line, say): nothing platc must act on */
        json_decref(m);
        if (++skipped > EXT_MAX_NOTIFICATIONS) {
          *why = prov_strdupf("it sent more than %d notifications without replying",
                              EXT_MAX_NOTIFICATIONS);
          ext_kill(E);
          return RPC_DEAD;
        }
        continue;
      }
      if (!json_is_integer(jid) || json_integer_value(jid) != id) {
        char *got = jid ? json_dumps(jid, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        char *ex = got ? excerpt(got, strlen(got)) : plat_xstrdup("none");
        *why = prov_strdupf("it replied with id %s to request %lld (a wrong id: the "
                            "stream cannot be trusted any more)", ex, (long long)id);
        free(ex);
        free(got);
        json_decref(m);
        ext_kill(E);
        return RPC_DEAD;
      }
      json_t *res = json_object_get(m, "result"), *err = json_object_get(m, "error");
      if (!!res == !!err || (err && !json_is_object(err))) {
        *why = plat_xstrdup("it sent a reply with neither or both of \"result\" and "
                            "\"error\"");
        json_decref(m);
        ext_kill(E);
        return RPC_DEAD;
      }
      *result = json_incref(res);
      *error = json_incref(err);
      json_decref(m);
      return err ? RPC_ERROR : RPC_OK;
    }
    /* need more bytes */
    int left = ms_left(deadline);
    if (left == 0) {
      ext_kill(E);
      *why = prov_strdupf("it did not answer '%s' within the deadline and was killed",
                          method);
      return RPC_TIMEOUT;
    }
    struct pollfd pf[2] = {{E->from_child, POLLIN, 0}, {E->err_child, POLLIN, 0}};
    int pr = poll(pf, 2, left);
    if (pr < 0 && errno != EINTR) {
      ext_kill(E);
      *why = prov_strdupf("poll failed: %s", strerror(errno));
      return RPC_DEAD;
    }
    if (pr <= 0) continue;
    if (pf[1].revents) drain_stderr(E);
    if (pf[0].revents) {
      if (E->blen == E->bcap) {
        size_t cap = E->bcap ? E->bcap * 2 : 65536;
        if (cap > EXT_MAX_MESSAGE + EXT_MAX_HEADER + 65536)
          cap = EXT_MAX_MESSAGE + EXT_MAX_HEADER + 65536;
        E->buf = plat_xrealloc(E->buf, cap);
        E->bcap = cap;
      }
      ssize_t r = read(E->from_child, E->buf + E->blen, E->bcap - E->blen);
      if (r > 0) {
        E->blen += (size_t)r;
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        char *how = ext_reap(E);
        *why = prov_strdupf("it %s without answering '%s'", how, method);
        free(how);
        return RPC_DEAD;
      }
    }
  }
}

/* ---- the handshake --------------------------------------------------------------------------- */
static char *err_text(const json_t *error) {
  const char *m = json_string_value(json_object_get(error, "message"));
  if (!m) return plat_xstrdup("it failed without a message");
  size_t n = strlen(m);
  char *out = plat_xmalloc((n < EXT_MAX_TEXT ? n : EXT_MAX_TEXT) + 4);
  size_t k = 0;
  for (size_t i = 0; i < n && i < EXT_MAX_TEXT; i++) {
    unsigned char u = (unsigned char)m[i];
    out[k++] = u < 0x20 && u != '\n' ? '?' : (char)u;
  }
  if (n > EXT_MAX_TEXT) out[k++] = '.', out[k++] = '.', out[k++] = '.';
  out[k] = '\0';
  return out;
}

/* The reason with the stderr tail after it, malloc'd; frees [why]. */
static char *with_tail(const Ext *E, char *why) {
  char *t = tail_text(E);
  char *s = prov_strdupf("%s%s", why, t);
  free(t);
  free(why);
  return s;
}

static bool ext_start(Ext *E, char **why) {
  if (!ext_spawn(E, why)) return false;
  json_t *params = json_pack("{s:i,s:s,s:s,s:s,s:o}", "protocol_version",
                             EXT_PROTOCOL_VERSION, "platc_version", PLAT_VERSION, "name",
                             E->name, "project_root", E->root, "config",
                             E->config ? json_incref(E->config) : json_object());
  json_t *result, *error;
  int64_t deadline = prov_now_ms() + E->start_timeout_ms;
  RpcStatus st = ext_rpc(E, "initialize", params, deadline, &result, &error, why);
  if (st == RPC_ERROR) {
    char *m = err_text(error);
    *why = prov_strdupf("it refused to start: %s", m);
    free(m);
  } else if (st == RPC_OK) {
    json_t *v = json_object_get(result, "protocol_version");
    if (!json_is_integer(v) || json_integer_value(v) != EXT_PROTOCOL_VERSION) {
      char *got = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
      *why = prov_strdupf("it speaks protocol version %s; platc speaks %d",
                          got ? got : "(none given)", EXT_PROTOCOL_VERSION);
      free(got);
      st = RPC_ERROR;
    }
  }
  json_decref(result);
  json_decref(error);
  if (st != RPC_OK) {
    if (E->pid) ext_kill(E);
    *why = with_tail(E, *why);
    return false;
  }
  return true;
}

/* ---- operations -------------------------------------------------------------------------- */
static json_t *or_empty(const json_t *v) { return v ? json_incref((json_t *)v) : json_object(); }

static bool all_strings(const json_t *a) {
  if (!json_is_array(a)) return false;
  size_t i;
  json_t *v;
  json_array_foreach((json_t *)a, i, v) if (!json_is_string(v)) return false;
  return true;
}

/* Move a checked result into [res]; false with a message if it has the wrong shape. */
static bool take_result(ProvOp op, json_t *r, ProvRes *res) {
  const char *bad = NULL;
  if (!json_is_object(r) && !(op == PROV_DELETE && json_is_null(r))) {
    bad = "the result must be an object";
  } else if (op == PROV_CHECK) {
    json_t *p = json_object_get(r, "problems");
    size_t i;
    json_t *v;
    if (p && !json_is_array(p)) bad = "\"problems\" must be an array";
    json_array_foreach(p, i, v) {
      json_t *prop = json_object_get(v, "property");
      if (!json_is_object(v) || !json_is_string(json_object_get(v, "message")) ||
          (prop && !json_is_string(prop) && !json_is_null(prop)))
        bad = "each problem must be {\"property\": name or null, \"message\": text}";
    }
    if (!bad) res->problems = p ? json_deep_copy(p) : json_array();
  } else if (op == PROV_DIFF) {
    json_t *c = json_object_get(r, "changed"), *rp = json_object_get(r, "replaces");
    if ((c && !all_strings(c)) || (rp && !all_strings(rp)))
      bad = "\"changed\" and \"replaces\" must be arrays of property names";
    else {
      res->changed = c ? json_deep_copy(c) : json_array();
      res->replaces = rp ? json_deep_copy(rp) : json_array();
      res->diff = json_array_size(rp) ? PROV_DIFF_REPLACE
                  : json_array_size(c) ? PROV_DIFF_UPDATE
                                       : PROV_DIFF_NONE;
    }
  } else if (op == PROV_READ && json_is_true(json_object_get(r, "gone"))) {
    res->status = PROV_GONE;
  } else if (op == PROV_CREATE || op == PROV_READ || op == PROV_UPDATE) {
    json_t *id = json_object_get(r, "id"), *in = json_object_get(r, "inputs"),
           *out = json_object_get(r, "outputs"), *sec = json_object_get(r, "secrets");
    if (op == PROV_CREATE && (!json_is_string(id) || !json_string_length(id)))
      bad = "\"id\" must be a non-empty string";
    else if (id && !json_is_string(id)) bad = "\"id\" must be a string";
    else if (out && !json_is_object(out)) bad = "\"outputs\" must be an object";
    else if (in && !json_is_object(in)) bad = "\"inputs\" must be an object";
    else if (sec && !all_strings(sec)) bad = "\"secrets\" must be an array of names";
    else {
      if (id) res->id = plat_xstrdup(json_string_value(id));
      res->outputs = out ? json_deep_copy(out) : json_object();
      if (op == PROV_READ && in) res->inputs = json_deep_copy(in);
      if (sec) res->secrets = json_deep_copy(sec);
    }
  }
  if (bad) {
    prov_fail(res, PROV_ERROR, "it sent a malformed result: %s", bad);
    return false;
  }
  return true;
}

static ProvStatus ext_call_locked(Ext *E, ProvOp op, const ProvReq *req, ProvRes *res,
                                  int64_t deadline_ms);

static ProvStatus ext_call(void *self, ProvOp op, const ProvReq *req, ProvRes *res,
                           int64_t deadline_ms) {
  Ext *E = self;
  pthread_mutex_lock(&E->lock);
  ProvStatus st = ext_call_locked(E, op, req, res, deadline_ms);
  pthread_mutex_unlock(&E->lock);
  return st;
}

static ProvStatus ext_call_locked(Ext *E, ProvOp op, const ProvReq *req, ProvRes *res,
                                  int64_t deadline_ms) {
  char *why = NULL;
  if (E->pid == 0 && !ext_start(E, &why)) {
    prov_fail(res, PROV_ERROR, "it could not be started again: %s", why);
    free(why);
    return res->status;
  }
  json_t *p = json_pack("{s:s}", "type", req->type);
  switch (op) {
  case PROV_CHECK:
  case PROV_CREATE:
    json_object_set_new(p, "inputs", or_empty(req->inputs));
    break;
  case PROV_DIFF:
  case PROV_UPDATE:
    json_object_set_new(p, "old_inputs", or_empty(req->inputs));
    json_object_set_new(p, "old_outputs", or_empty(req->outputs));
    json_object_set_new(p, "new_inputs", or_empty(req->new_inputs));
    break;
  case PROV_READ:
  case PROV_DELETE:
    if (req->inputs) json_object_set(p, "inputs", req->inputs);
    if (req->outputs) json_object_set(p, "outputs", req->outputs);
    break;
  default: break;
  }
  if (req->id && op != PROV_CHECK && op != PROV_CREATE && op != PROV_DIFF)
    json_object_set_new(p, "id", json_string(req->id));
  json_object_set_new(p, "secret_inputs",
                      req->secret_inputs ? json_incref(req->secret_inputs) : json_array());
  json_t *result, *error;
  RpcStatus st = ext_rpc(E, prov_op_name(op), p, deadline_ms, &result, &error, &why);
  if (st == RPC_OK) {
    if (take_result(op, result, res) && res->status != PROV_GONE) res->status = PROV_OK;
  } else if (st == RPC_ERROR) {
    /* -32001: transient, worth retrying (docs/providers.md) */
    json_t *code = json_object_get(error, "code");
    char *m = err_text(error);
    prov_fail(res, json_integer_value(code) == -32001 ? PROV_TRANSIENT : PROV_ERROR, "%s", m);
    free(m);
  } else {
    prov_fail(res, st == RPC_TIMEOUT ? PROV_TIMEOUT : PROV_ERROR, "%s", why);
    res->message = with_tail(E, res->message);
  }
  free(why);
  json_decref(result);
  json_decref(error);
  return res->status;
}

static const char *ext_schema_locked(Ext *E, size_t *len, char **err);

static const char *ext_schema(void *self, size_t *len, char **err) {
  Ext *E = self;
  pthread_mutex_lock(&E->lock);
  const char *s = ext_schema_locked(E, len, err);
  pthread_mutex_unlock(&E->lock);
  return s;
}

static const char *ext_schema_locked(Ext *E, size_t *len, char **err) {
  if (E->schema) {
    *len = E->schema_len;
    return E->schema;
  }
  char *why = NULL;
  if (E->pid == 0 && !ext_start(E, &why)) {
    *err = why;
    return NULL;
  }
  json_t *result, *error;
  RpcStatus st = ext_rpc(E, "schema", json_object(), prov_now_ms() + E->start_timeout_ms,
                         &result, &error, &why);
  json_t *s = json_object_get(result, "schema");
  if (st == RPC_OK && json_is_string(s)) {
    E->schema_len = json_string_length(s);
    E->schema = plat_xmalloc(E->schema_len + 1);
    memcpy(E->schema, json_string_value(s), E->schema_len + 1);
  } else if (st == RPC_OK) {
    *err = plat_xstrdup("its reply to 'schema' has no \"schema\" string");
  } else if (st == RPC_ERROR) {
    *err = err_text(error);
  } else {
    *err = with_tail(E, why);
    why = NULL;
  }
  free(why);
  json_decref(result);
  json_decref(error);
  *len = E->schema_len;
  return E->schema;
}

static void ext_close(void *self) {
  Ext *E = self;
  if (E->pid > 0) {
    /* ask, then close its stdin; kill what is still there a moment later */
    json_t *result, *error;
    char *why = NULL;
    if (ext_rpc(E, "shutdown", NULL, prov_now_ms() + 2000, &result, &error, &why) != RPC_DEAD &&
        E->pid > 0) {
      close_fd(&E->to_child);
      for (int i = 0; i < 100 && E->pid > 0; i++) {
        if (waitpid(E->pid, NULL, WNOHANG) == E->pid) E->pid = 0;
        else {
          struct timespec ts = {0, 10 * 1000000L};
          nanosleep(&ts, NULL);
        }
      }
    }
    free(why);
    json_decref(result);
    json_decref(error);
    ext_kill(E);
  }
  json_decref(E->config);
  free(E->name);
  free(E->exe);
  free(E->root);
  free(E->buf);
  free(E->schema);
  pthread_mutex_destroy(&E->lock);
  free(E);
}

static const ProvVtable ext_vt = {ext_call, ext_schema, ext_close};

bool prov_external_open(const char *name, const char *exe, const char *root, json_t *config,
                        int64_t start_timeout_ms, const ProvVtable **vt, void **self,
                        char **err) {
  Ext *E = plat_xcalloc(1, sizeof *E);
  pthread_mutex_init(&E->lock, NULL);
  E->name = plat_xstrdup(name);
  E->exe = plat_xstrdup(exe);
  E->root = plat_xstrdup(root);
  E->config = config ? json_deep_copy(config) : NULL;
  E->start_timeout_ms = start_timeout_ms;
  E->to_child = E->from_child = E->err_child = -1;
  if (!ext_start(E, err)) {
    ext_close(E);
    return false;
  }
  *vt = &ext_vt;
  *self = E;
  return true;
}
