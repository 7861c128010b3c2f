/* The stack lock: one run at a time per stack.  A lock file under .plat/ held with
 * flock(2), so the kernel frees it when its holder dies, and holding the holder's name
 * (owner, host, pid, operation, time) so a refused run says who has it.  A file that still
 * names a holder on this host although nobody holds the flock is a run that died: it is
 * taken over with a warning.  One naming another host (a shared folder) is refused until
 * `platc state unlock`. */
#ifndef PLAT_LOCK_H
#define PLAT_LOCK_H

#include <stdbool.h>
#include <stddef.h>

typedef struct LockInfo {
  char owner[64];      /* user name */
  char host[256];
  long pid;
  char op[32];         /* deploy, destroy, refresh, ... */
  char time[32];       /* RFC 3339, UTC */
} LockInfo;

typedef struct Lock {
  int fd;              /* -1 when not held */
  char *path;
} Lock;

/* Take the lock at [path] for operation [op].  On success, [warn] holds a warning (empty
 * when none: set when a dead holder's lock was taken over).  On failure, [err] says who
 * holds it and what to do. */
bool lock_acquire(Lock *lk, const char *path, const char *op, char *warn, size_t wlen,
                  char *err, size_t errlen);
/* Release a held lock (clears the holder's name first). */
void lock_release(Lock *lk);
/* `platc state unlock`: clear a lock left by a holder that is not running here.  Refuses
 * (false, [err]) while a live process holds it; [info] gets the holder that was cleared. */
bool lock_force_unlock(const char *path, LockInfo *info, bool *was_locked, char *err,
                       size_t errlen);
/* The holder named in the lock file, if any (false when the file is absent or empty). */
bool lock_read(const char *path, LockInfo *info);

#endif
