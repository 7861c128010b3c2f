/* The operation journal (see journal.h): append-only JSON lines, each flushed to disk
 * before the operation it announces goes on. */
#include "deploy/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/arena.h"
#include "deploy/jsonw.h"

bool journal_open(Journal *j, const char *path, uint64_t next_seq, char *err, size_t errlen) {
  j->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  j->path = NULL;
  j->seq = next_seq;
  if (j->fd < 0) {
    snprintf(err, errlen, "%s: cannot open the journal: %s", path, strerror(errno));
    return false;
  }
  j->path = plat_xstrdup(path);
  return true;
}

void journal_close(Journal *j) {
  if (j->fd >= 0)
    close(j->fd);
  j->fd = -1;
  free(j->path);
  j->path = NULL;
}

static bool append(Journal *j, json_t *entry, bool sync, char *err, size_t errlen) {
  json_object_set_new(entry, "seq", json_integer((json_int_t)j->seq));
  /* json_dumps(entry, JSON_SORT_KEYS | JSON_COMPACT)'s bytes, written directly. */
  JsonW w;
  jw_init(&w, true);
  jw_value(&w, entry, 0);
  if (w.failed) {
    jw_free(&w);
    snprintf(err, errlen, "%s: cannot encode a journal entry", j->path);
    return false;
  }
  /* One write of the whole line, newline included: a kill leaves a prefix of it at most. */
  jw_raw(&w, "\n", 1);
  size_t off = 0, len = w.n;
  bool ok = true;
  while (off < len) {
    ssize_t n = write(j->fd, w.p + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    off += (size_t)n;
  }
  jw_free(&w);
  if (!ok || (sync && fdatasync(j->fd) != 0)) {
    snprintf(err, errlen, "%s: cannot write the journal: %s", j->path, strerror(errno));
    return false;
  }
  j->seq++;
  return true;
}

bool journal_append(Journal *j, json_t *entry, char *err, size_t errlen) {
  return append(j, entry, true, err, errlen);
}

bool journal_append_nosync(Journal *j, json_t *entry, char *err, size_t errlen) {
  return append(j, entry, false, err, errlen);
}

bool journal_sync(Journal *j, char *err, size_t errlen) {
  if (fdatasync(j->fd) != 0) {
    snprintf(err, errlen, "%s: cannot write the journal: %s", j->path, strerror(errno));
    return false;
  }
  return true;
}

bool journal_clear(Journal *j, char *err, size_t errlen) {
  if (ftruncate(j->fd, 0) != 0 || fsync(j->fd) != 0) {
    snprintf(err, errlen, "%s: cannot clear the journal: %s", j->path, strerror(errno));
    return false;
  }
  return true;
}

bool journal_read(const char *path, json_t **entries, bool *torn, char *err, size_t errlen) {
  *entries = json_array();
  *torn = false;
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errno == ENOENT)
      return true;
    snprintf(err, errlen, "%s: cannot read the journal: %s", path, strerror(errno));
    json_decref(*entries);
    *entries = NULL;
    return false;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  unsigned long lineno = 0;
  bool ok = true;
  while ((n = getline(&line, &cap, f)) > 0) {
    lineno++;
    bool complete = line[n - 1] == '\n';
    if ((size_t)n > JOURNAL_MAX_LINE) {
      snprintf(err, errlen, "%s:%lu: corrupt journal: a line of %zd bytes", path, lineno, n);
      ok = false;
      break;
    }
    json_error_t je;
    json_t *e = complete ? json_loadb(line, (size_t)n - 1, 0, &je) : NULL;
    if (!complete) {
      /* A kill during the write of the last line: that operation was not yet under way. */
      *torn = true;
      break;
    }
    if (!json_is_object(e) || !json_is_integer(json_object_get(e, "seq"))) {
      json_decref(e);
      snprintf(err, errlen, "%s:%lu: corrupt journal: not an entry", path, lineno);
      ok = false;
      break;
    }
    json_array_append_new(*entries, e);
  }
  free(line);
  fclose(f);
  if (!ok) {
    json_decref(*entries);
    *entries = NULL;
  }
  return ok;
}
