/* The operation journal: every provider operation is written here, and flushed to disk,
 * before it starts and after it ends, so that a run killed at any instant leaves a record
 * of what may exist.  One JSON object per line, appended; a torn last line (a kill in the
 * middle of a write) is ignored on reading, any other malformed line is corruption.  The
 * journal is cleared once the state that includes its results has been written.  Writers
 * on several threads share one Journal: appends are serialised and flushes are grouped
 * (journal_wait), so many entries cost one fdatasync. */
#ifndef PLAT_JOURNAL_H
#define PLAT_JOURNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A journal line longer than this is corruption (entries hold one resource's values). */
#define JOURNAL_MAX_LINE ((size_t)64 << 20)

typedef struct Journal {
  int fd;
  char *path;
  /* The rest is guarded by mu once the journal is shared between threads. */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  uint64_t seq;        /* the next entry's sequence number */
  uint64_t durable;    /* every entry with a lower seq is on disk */
  bool syncing;        /* an fdatasync is under way (its leader holds no lock) */
  bool failed;         /* a write or flush failed: nothing later counts as durable */
  char error[512];
  uint64_t nsyncs;     /* fdatasyncs done, for benches and tests */
} Journal;

/* Open (create) the journal at [path] for appending; [next_seq] continues a journal read
 * with journal_read.  journal_close is needed only after a successful open. */
bool journal_open(Journal *j, const char *path, uint64_t next_seq, char *err, size_t errlen);
void journal_close(Journal *j);

/* Append the [n] entries (objects; "seq" is added to each line, not to the objects) in
 * one write, without flushing; *first (may be NULL) gets the first one's seq, the others
 * follow.  Each line is what json_dumps(JSON_SORT_KEYS | JSON_COMPACT) writes for the
 * entry with its "seq".  Secret values must already be sealed (deploy/state.h state_seal).  False with
 * [err] when an entry cannot be encoded (nothing is written then) or the write fails (the
 * journal is failed from then on). */
bool journal_add(Journal *j, json_t *const *entries, size_t n, uint64_t *first, char *err,
                 size_t errlen);
/* Return once entry [seq] (appended) is on disk: once an fdatasync that began after it
 * was written has ended.  The first waiter leads a sync for everything appended so far
 * while others append; later waiters share it or the next one.  False with [err] when the
 * journal failed. */
bool journal_wait(Journal *j, uint64_t seq, char *err, size_t errlen);
/* The seq below which every entry is on disk (thread-safe: a test's hook). */
uint64_t journal_durable(Journal *j);

/* Append [entry] as one line ("seq" is added to the object too) and wait for it to be on
 * disk (journal_add + journal_wait). */
bool journal_append(Journal *j, json_t *entry, char *err, size_t errlen);
/* Append without flushing: for an entry whose loss a crash may cause (an operation's end:
 * without it, recovery asks the provider what exists).  A later wait flushes it. */
bool journal_append_nosync(Journal *j, json_t *entry, char *err, size_t errlen);
/* Wait until everything appended so far is on disk. */
bool journal_sync(Journal *j, char *err, size_t errlen);
/* Empty the journal (after the state holding its results is saved). */
bool journal_clear(Journal *j, char *err, size_t errlen);

/* Read every entry of the journal at [path] into a new array (*entries; an empty array
 * when the file is absent).  *torn tells whether a torn last line was dropped. */
bool journal_read(const char *path, json_t **entries, bool *torn, char *err, size_t errlen);

#endif
