/* The operation journal: every provider operation is written here, and flushed to disk,
 * before it starts and after it ends, so that a run killed at any instant leaves a record
 * of what may exist.  One JSON object per line, appended; a torn last line (a kill in the
 * middle of a write) is ignored on reading, any other malformed line is corruption.  The
 * journal is cleared once the state that includes its results has been written. */
#ifndef PLAT_JOURNAL_H
#define PLAT_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A journal line longer than this is corruption (entries hold one resource's values). */
#define JOURNAL_MAX_LINE ((size_t)64 << 20)

typedef struct Journal {
  int fd;
  char *path;
  uint64_t seq;        /* the next entry's sequence number */
} Journal;

/* Open (create) the journal at [path] for appending; [next_seq] continues a journal read
 * with journal_read. */
bool journal_open(Journal *j, const char *path, uint64_t next_seq, char *err, size_t errlen);
void journal_close(Journal *j);
/* Append [entry] (an object; "seq" is added) as one line and fdatasync it.  Secret values
 * must already be sealed (deploy/state.h state_seal). */
bool journal_append(Journal *j, json_t *entry, char *err, size_t errlen);
/* Append without flushing: for an entry whose loss a crash may cause (an operation's end:
 * without it, recovery asks the provider what exists).  The next journal_append or
 * journal_sync flushes it. */
bool journal_append_nosync(Journal *j, json_t *entry, char *err, size_t errlen);
bool journal_sync(Journal *j, char *err, size_t errlen);
/* Empty the journal (after the state holding its results is saved). */
bool journal_clear(Journal *j, char *err, size_t errlen);

/* Read every entry of the journal at [path] into a new array (*entries; an empty array
 * when the file is absent).  *torn tells whether a torn last line was dropped. */
bool journal_read(const char *path, json_t **entries, bool *torn, char *err, size_t errlen);

#endif
