/* The operation journal (see journal.h): append-only JSON lines, each flushed to disk
 * before the operation it announces goes on.  Entries are encoded outside the lock; under
 * it, each line gets its seq and the batch goes out in one write.  Flushes are grouped: a
 * waiter leads one fdatasync for everything written so far, and whoever appended meanwhile
 * waits for the next. */
#include "deploy/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/arena.h"
#include "deploy/jsonw.h"

bool journal_open(Journal *j, const char *path, uint64_t next_seq, char *err, size_t errlen) {
  memset(j, 0, sizeof *j);
  j->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (j->fd < 0) {
    snprintf(err, errlen, "%s: cannot open the journal: %s", path, strerror(errno));
    return false;
  }
  j->path = plat_xstrdup(path);
  j->seq = j->durable = next_seq;
  pthread_mutex_init(&j->mu, NULL);
  pthread_cond_init(&j->cv, NULL);
  return true;
}

void journal_close(Journal *j) {
  if (!j->path)
    return;      /* never opened, or closed already */
  if (j->fd >= 0)
    close(j->fd);
  j->fd = -1;
  free(j->path);
  j->path = NULL;
  pthread_mutex_destroy(&j->mu);
  pthread_cond_destroy(&j->cv);
}

/* Mark the journal failed (under mu): later waits fail with this message. */
static void fail(Journal *j, const char *what, int errnum) {
  if (j->failed)
    return;
  j->failed = true;
  snprintf(j->error, sizeof j->error, "%s: cannot %s the journal: %s", j->path, what,
           strerror(errnum));
}

static bool write_all(int fd, const char *p, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, p + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return false;
    }
    off += (size_t)n;
  }
  return true;
}

/* An entry's own members: names the engine gives (no NUL inside), so strcmp orders them
 * as JSON_SORT_KEYS does. */
typedef struct Member {
  const char *key;
  const json_t *v;
} Member;

static int member_cmp(const void *a, const void *b) {
  return strcmp(((const Member *)a)->key, ((const Member *)b)->key);
}

/* Where one entry's bytes are in the batch being encoded: "seq" goes at [at], between
 * the members sorted before it and those after, so a line is exactly what
 * json_dumps(JSON_SORT_KEYS | JSON_COMPACT) writes for the entry with its "seq". */
typedef struct Span {
  size_t start, at, end;
  bool before, after;    /* members on either side of "seq" */
} Span;

/* Encode object [e] (its own "seq", if any, left out) into [w]. */
static bool encode(JsonW *w, const json_t *e, Span *sp) {
  if (!json_is_object(e))
    return false;
  size_t n = json_object_size(e), k = 0;
  Member small[16], *ms = n <= 16 ? small : plat_xmalloc(n * sizeof *ms);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)e, key, v) {
    if (strcmp(key, "seq") != 0)
      ms[k++] = (Member){ key, v };
  }
  if (k > 1)
    qsort(ms, k, sizeof *ms, member_cmp);
  size_t before = 0;      /* members that sort before "seq" */
  while (before < k && strcmp(ms[before].key, "seq") < 0)
    before++;
  sp->before = before > 0;
  sp->after = before < k;
  sp->start = w->n;
  jw_open(w, '{');
  sp->at = w->n;
  for (size_t i = 0; i < k; i++) {
    /* the first member after "seq" starts a list of its own: seq and its comma go
       between the two */
    jw_item(w, 1, i == 0 || i == before);
    jw_cstr(w, ms[i].key);
    jw_raw(w, ":", 1);
    jw_value(w, ms[i].v, 1);
    if (i + 1 == before)
      sp->at = w->n;
  }
  jw_close(w, '}', 0, true);
  sp->end = w->n;
  if (ms != small)
    free(ms);
  return !w->failed;
}

bool journal_add(Journal *j, json_t *const *entries, size_t n, uint64_t *first, char *err,
                 size_t errlen) {
  if (first)
    *first = 0;
  /* The entries' bytes, encoded without holding the lock. */
  JsonW body;
  jw_init(&body, true);
  Span small[64], *sp = n <= 64 ? small : plat_xmalloc(n * sizeof *sp);
  bool ok = true;
  for (size_t i = 0; i < n && ok; i++)
    ok = encode(&body, entries[i], &sp[i]);
  if (!ok)
    snprintf(err, errlen, "%s: cannot encode a journal entry", j->path);
  JsonW line;
  jw_init(&line, true);
  if (ok) {
    pthread_mutex_lock(&j->mu);
    if (first)
      *first = j->seq;
    /* The whole batch in one write, newlines included: a kill leaves complete lines
       and at most one torn one, and none of their operations has started. */
    for (size_t i = 0; i < n; i++) {
      char seq[40];
      int k = snprintf(seq, sizeof seq, "%s\"seq\":%" PRIu64 "%s", sp[i].before ? "," : "",
                       j->seq + i, sp[i].after ? "," : "");
      jw_raw(&line, body.p + sp[i].start, sp[i].at - sp[i].start);
      jw_raw(&line, seq, (size_t)k);
      jw_raw(&line, body.p + sp[i].at, sp[i].end - sp[i].at);
      jw_raw(&line, "\n", 1);
    }
    if (j->failed) {
      ok = false;
      snprintf(err, errlen, "%s", j->error);
    } else if (!write_all(j->fd, line.p, line.n)) {
      fail(j, "write", errno);
      ok = false;
      snprintf(err, errlen, "%s", j->error);
    } else {
      j->seq += n;
    }
    pthread_mutex_unlock(&j->mu);
  }
  if (sp != small)
    free(sp);
  jw_free(&body);
  jw_free(&line);
  return ok;
}

bool journal_wait(Journal *j, uint64_t seq, char *err, size_t errlen) {
  pthread_mutex_lock(&j->mu);
  /* (A seq not yet appended waits for everything appended, and no longer.) */
  while (!j->failed && j->durable <= seq && j->durable < j->seq) {
    if (j->syncing) {
      pthread_cond_wait(&j->cv, &j->mu);
      continue;
    }
    /* Lead a sync for everything written so far; others append meanwhile. */
    uint64_t upto = j->seq;
    j->syncing = true;
    pthread_mutex_unlock(&j->mu);
    int rc = fdatasync(j->fd), errnum = errno;
    pthread_mutex_lock(&j->mu);
    j->syncing = false;
    j->nsyncs++;
    if (rc != 0)
      fail(j, "write", errnum);
    else if (upto > j->durable)
      j->durable = upto;
    pthread_cond_broadcast(&j->cv);
  }
  bool ok = !j->failed;
  if (!ok)
    snprintf(err, errlen, "%s", j->error);
  pthread_mutex_unlock(&j->mu);
  return ok;
}

uint64_t journal_durable(Journal *j) {
  pthread_mutex_lock(&j->mu);
  uint64_t d = j->durable;
  pthread_mutex_unlock(&j->mu);
  return d;
}

/* One entry, given the seq it was written with. */
static bool add_one(Journal *j, json_t *entry, uint64_t *seq, char *err, size_t errlen) {
  if (!journal_add(j, &entry, 1, seq, err, errlen))
    return false;
  json_object_set_new(entry, "seq", json_integer((json_int_t)*seq));
  return true;
}

bool journal_append_nosync(Journal *j, json_t *entry, char *err, size_t errlen) {
  uint64_t seq;
  return add_one(j, entry, &seq, err, errlen);
}

bool journal_append(Journal *j, json_t *entry, char *err, size_t errlen) {
  uint64_t seq;
  return add_one(j, entry, &seq, err, errlen) && journal_wait(j, seq, err, errlen);
}

bool journal_sync(Journal *j, char *err, size_t errlen) {
  pthread_mutex_lock(&j->mu);
  uint64_t next = j->seq;
  pthread_mutex_unlock(&j->mu);
  return journal_wait(j, next ? next - 1 : 0, err, errlen);
}

bool journal_clear(Journal *j, char *err, size_t errlen) {
  pthread_mutex_lock(&j->mu);
  bool ok = ftruncate(j->fd, 0) == 0 && fsync(j->fd) == 0;
  if (!ok)
    snprintf(err, errlen, "%s: cannot clear the journal: %s", j->path, strerror(errno));
  pthread_mutex_unlock(&j->mu);
  return ok;
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
