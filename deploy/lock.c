/* The stack lock (see lock.h): flock for liveness, the file's text for the holder's name. */
#include "deploy/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "compiler/arena.h"

static void copy_field(char *dst, size_t n, json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  snprintf(dst, n, "%s", s ? s : "?");
}

/* Parse the holder from the lock file's text; false when empty or not a holder. */
static bool parse_info(int fd, LockInfo *info) {
  char buf[2048];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  json_error_t je;
  json_t *o = json_loads(buf, 0, &je);
  memset(info, 0, sizeof *info);
  if (!json_is_object(o)) {
    json_decref(o);
    snprintf(info->owner, sizeof info->owner, "?");
    snprintf(info->host, sizeof info->host, "?");
    return true;      /* unreadable, but someone wrote it: treat as held by "?" */
  }
  copy_field(info->owner, sizeof info->owner, o, "owner");
  copy_field(info->host, sizeof info->host, o, "host");
  copy_field(info->op, sizeof info->op, o, "operation");
  copy_field(info->time, sizeof info->time, o, "time");
  json_t *pid = json_object_get(o, "pid");
  info->pid = json_is_integer(pid) ? (long)json_integer_value(pid) : 0;
  json_decref(o);
  return true;
}

static void this_host(char *out, size_t n) {
  if (gethostname(out, n) != 0)
    snprintf(out, n, "localhost");
  out[n - 1] = '\0';
}

static void describe(char *out, size_t n, const LockInfo *h) {
  snprintf(out, n, "%s on %s (pid %ld, platc %s) since %s", h->owner, h->host, h->pid,
           h->op[0] ? h->op : "?", h->time);
}

bool lock_read(const char *path, LockInfo *info) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = parse_info(fd, info);
  close(fd);
  return ok;
}

bool lock_acquire(Lock *lk, const char *path, const char *op, char *warn, size_t wlen,
                  char *err, size_t errlen) {
  lk->fd = -1;
  lk->path = NULL;
  if (warn && wlen)
    warn[0] = '\0';
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot open the lock: %s", path, strerror(errno));
    return false;
  }
  LockInfo h;
  char who[512];
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK && parse_info(fd, &h)) {
      describe(who, sizeof who, &h);
      snprintf(err, errlen, "the stack is locked by %s; wait for that run to finish", who);
    } else if (errno == EWOULDBLOCK) {
      snprintf(err, errlen, "the stack is locked by another run that is starting; try again");
    } else {
      snprintf(err, errlen, "%s: cannot lock: %s", path, strerror(errno));
    }
    close(fd);
    return false;
  }
  char host[256];
  this_host(host, sizeof host);
  if (parse_info(fd, &h)) {
    describe(who, sizeof who, &h);
    if (strcmp(h.host, host) != 0) {
      snprintf(err, errlen, "the stack is locked by %s; if that run is gone, free the lock "
               "with `platc state unlock`", who);
      flock(fd, LOCK_UN);
      close(fd);
      return false;
    }
    /* Named here but not flock-held: its holder died without releasing it. */
    if (warn && wlen)
      snprintf(warn, wlen, "took over the lock of %s, which is no longer running", who);
  }
  struct passwd *pw = getpwuid(getuid());
  char when[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "owner", pw ? pw->pw_name : "?", "host",
                        host, "pid", (json_int_t)getpid(), "operation", op, "time", when);
  char *text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
  json_decref(o);
  size_t len = text ? strlen(text) : 0;
  bool ok = text && ftruncate(fd, 0) == 0 && pwrite(fd, text, len, 0) == (ssize_t)len &&
            fsync(fd) == 0;
  free(text);
  if (!ok) {
    snprintf(err, errlen, "%s: cannot write the lock: %s", path, strerror(errno));
    flock(fd, LOCK_UN);
    close(fd);
    return false;
  }
  lk->fd = fd;
  lk->path = plat_xstrdup(path);
  return true;
}

void lock_release(Lock *lk) {
  if (lk->fd < 0)
    return;
  if (ftruncate(lk->fd, 0) == 0)
    fsync(lk->fd);
  flock(lk->fd, LOCK_UN);
  close(lk->fd);
  lk->fd = -1;
  free(lk->path);
  lk->path = NULL;
}

bool lock_force_unlock(const char *path, LockInfo *info, bool *was_locked, char *err,
                       size_t errlen) {
  *was_locked = false;
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return true;
    snprintf(err, errlen, "%s: cannot open the lock: %s", path, strerror(errno));
    return false;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    LockInfo h;
    char who[512] = "another run";
    if (parse_info(fd, &h))
      describe(who, sizeof who, &h);
    snprintf(err, errlen, "the lock is held by %s, which is running on this machine; stop it "
             "rather than unlocking", who);
    close(fd);
    return false;
  }
  *was_locked = parse_info(fd, info);
  bool ok = ftruncate(fd, 0) == 0 && fsync(fd) == 0;
  if (!ok)
    snprintf(err, errlen, "%s: cannot clear the lock: %s", path, strerror(errno));
  flock(fd, LOCK_UN);
  close(fd);
  return ok;
}
