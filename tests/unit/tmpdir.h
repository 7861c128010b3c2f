/* A fresh folder under /tmp for a unit test, and its removal afterwards: depth first,
 * symbolic links removed and never followed, no shell.  Header-only; the tests that work
 * on real files (state, journal, stacks, the executor, the checker's imports, the
 * language server's workspace) share it. */
#ifndef PLAT_TEST_TMPDIR_H
#define PLAT_TEST_TMPDIR_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Make "/tmp/<prefix>-XXXXXX" into [buf] ([n] bytes); false when it cannot be made. */
static inline bool tmpdir_make(char *buf, size_t n, const char *prefix) {
  if ((size_t)snprintf(buf, n, "/tmp/%s-XXXXXX", prefix) >= n)
    return false;
  return mkdtemp(buf) != NULL;
}

/* Remove [name] in the folder [dfd], and everything in it when it is a folder. */
static inline bool tmpdir_remove_at(int dfd, const char *name, int depth) {
  struct stat sb;
  if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
    return false;
  if (!S_ISDIR(sb.st_mode))
    return unlinkat(dfd, name, 0) == 0;
  int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 && depth < 64 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0)
      close(fd);
    return false;
  }
  bool ok = true;
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      ok = tmpdir_remove_at(fd, e->d_name, depth + 1) && ok;
  closedir(d);
  return unlinkat(dfd, name, AT_REMOVEDIR) == 0 && ok;
}

/* Remove [path] and everything in it; false when something could not be removed. */
static inline bool tmpdir_remove(const char *path) {
  return tmpdir_remove_at(AT_FDCWD, path, 0);
}

#endif
