/* Replays inputs through the fuzz target without libFuzzer: `replay FILE|DIR...` calls
 * LLVMFuzzerTestOneInput once per file (a folder's files in sorted order).  Built with the
 * normal compiler against libplat.a, so the seeds and tests/fuzz/regressions/ run in every
 * test pass, under SAN=1 too.  Exits 1 if it found nothing to replay (never vacuous). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Under AddressSanitizer, check for leaks after each input, so a leak is blamed on the
 * input that caused it rather than reported once at exit. */
#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPLAY_LSAN 1
#endif
#endif
#ifdef REPLAY_LSAN
#include <sanitizer/lsan_interface.h>
#endif

static unsigned long replayed;

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); return 1; }
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc(cap);
  if (!buf) abort();
  size_t n;
  while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      if (!buf) abort();
    }
  }
  int err = ferror(f);
  fclose(f);
  if (err) { free(buf); perror(path); return 1; }
  /* Name the input first: if it crashes, this is the last line before the report. */
  fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
  LLVMFuzzerTestOneInput(buf, len);
  free(buf);
  replayed++;
#ifdef REPLAY_LSAN
  if (__lsan_do_recoverable_leak_check()) {
    fprintf(stderr, "replay: %s leaks memory (report above)\n", path);
    return 1;
  }
#endif
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) { perror(path); return 1; }
  if (!S_ISDIR(st.st_mode)) return replay_file(path);
  DIR *d = opendir(path);
  if (!d) { perror(path); return 1; }
  char **names = NULL;
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    names = realloc(names, (n + 1) * sizeof *names);
    if (!names) abort();
    size_t l = strlen(path) + strlen(e->d_name) + 2;
    names[n] = malloc(l);
    if (!names[n]) abort();
    snprintf(names[n], l, "%s/%s", path, e->d_name);
    n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_str);
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    bad |= replay_path(names[i]);
    free(names[i]);
  }
  free(names);
  return bad;
}

int main(int argc, char **argv) {
  int bad = 0;
  for (int i = 1; i < argc; i++) bad |= replay_path(argv[i]);
  printf("replay: %lu inputs replayed\n", replayed);
  if (replayed == 0) {
    fprintf(stderr, "replay: nothing to replay\n");
    return 1;
  }
  return bad;
}
