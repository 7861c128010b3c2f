/* platc fmt [--check] [--diff] [PATH...]
 * Formats .plat files in the canonical style (compiler/fmt.c; docs/fmt.md).  A folder is
 * searched recursively for *.plat files (sorted, hidden entries skipped); a file changes
 * on disk only when its text changes, through a temporary file renamed over it, keeping
 * its mode.  Exit: 0 done (or nothing to change), 1 syntax errors or, with --check or
 * --diff, files that would change; 2 usage, I/O or internal errors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "compiler/compiler.h"

static const char *usage = "platc fmt [--check] [--diff] [--color auto|always|never] [PATH...|-]";

static void print_usage(FILE *out) {
  fputs("Usage: platc fmt [options] [PATH...]\n"
        "\n"
        "Format Plat source in the one canonical style (docs/fmt.md). Each PATH is a .plat\n"
        "file or a folder, searched recursively for *.plat files; without a PATH the current\n"
        "folder is formatted. Files are rewritten in place, and only when they change.\n"
        "'-' (or --stdin) formats standard input to standard output.\n"
        "\n"
        "Options:\n"
        "      --check      write nothing; list the files that would change\n"
        "      --diff       write nothing; print a unified diff of what would change\n"
        "      --stdin      format standard input to standard output (like '-')\n"
        "      --color WHEN auto (the default), always or never, for syntax errors\n"
        "  -h, --help       show this help\n"
        "\n"
        "A file with syntax errors is never reformatted: its errors are printed to stderr\n"
        "(errors that lose no text, such as an unknown decorator, are left to 'platc check').\n"
        "Exit status: 0 formatted (or already formatted), 1 syntax errors, or files that\n"
        "would change under --check or --diff, 2 usage, I/O or internal error.\n",
        out);
}

static const char *const options[] = {"--check", "--diff", "--stdin", "--color", "--help"};

typedef struct FmtRun {
  bool check, diff, color;
  int rc;                 /* worst status so far */
} FmtRun;

static void worse(FmtRun *r, int rc) {
  if (rc > r->rc) r->rc = rc;
}

static bool want_color(int mode) {
  if (mode == 1) return true;
  if (mode == 2) return false;
  const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
  if (no && *no) return false;
  if (term && strcmp(term, "dumb") == 0) return false;
  return isatty(fileno(stderr));
}

/* ---- unified diff --------------------------------------------------------------------- */

typedef struct Lines {
  const char **s;         /* start of each line */
  size_t *n;              /* its length, newline included */
  size_t count;
} Lines;

static Lines split_lines(const char *t, size_t len) {
  Lines l = {0};
  size_t cap = 0;
  for (size_t i = 0; i < len;) {
    size_t j = i;
    while (j < len && t[j] != '\n') j++;
    if (j < len) j++;
    if (l.count == cap) {
      cap = cap ? cap * 2 : 64;
      l.s = plat_xrealloc(l.s, cap * sizeof *l.s);
      l.n = plat_xrealloc(l.n, cap * sizeof *l.n);
    }
    l.s[l.count] = t + i;
    l.n[l.count++] = j - i;
    i = j;
  }
  return l;
}

static bool line_eq(const Lines *a, size_t i, const Lines *b, size_t j) {
  return a->n[i] == b->n[j] && memcmp(a->s[i], b->s[j], a->n[i]) == 0;
}

static void put_line(char mark, const Lines *l, size_t i) {
  putchar(mark);
  fwrite(l->s[i], 1, l->n[i], stdout);
  if (l->n[i] == 0 || l->s[i][l->n[i] - 1] != '\n') fputs("\n\\ No newline at end of file\n", stdout);
}

/* An edit script as a sequence of ops: '=' keep, '-' delete from a, '+' insert from b. */
typedef struct Edit { char op; size_t a, b; } Edit;

#define DIFF_MAX_D 1000  /* beyond this many edits, one hunk replaces the middle */

/* Myers' O(ND) diff of a[off_a, off_a+la) and b[off_b, off_b+lb), keeping for each d only
 * the 2d+1 diagonals it reached (O(D^2) memory); false when more than DIFF_MAX_D edits. */
static bool myers(const Lines *a, size_t la, const Lines *b, size_t lb, size_t off_a, size_t off_b,
                  Edit **out, size_t *nout) {
  long n = (long)la, m = (long)lb, max = n + m;
  if (max > DIFF_MAX_D) max = DIFF_MAX_D;
  long off = max + 1;
  long *v = plat_xcalloc((size_t)(2 * max + 3), sizeof *v);
  long **trace = plat_xcalloc((size_t)max + 1, sizeof *trace);
  long dfound = -1, dlast = -1;
  for (long d = 0; d <= max; d++) {
    for (long k = -d; k <= d; k += 2) {
      long x;
      if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) x = v[off + k + 1];
      else x = v[off + k - 1] + 1;
      long y = x - k;
      while (x < n && y < m && line_eq(a, off_a + (size_t)x, b, off_b + (size_t)y)) x++, y++;
      v[off + k] = x;
      if (x >= n && y >= m) { dfound = d; break; }
    }
    trace[d] = plat_xmalloc((size_t)(2 * d + 1) * sizeof **trace);
    memcpy(trace[d], v + off - d, (size_t)(2 * d + 1) * sizeof *v);
    dlast = d;
    if (dfound >= 0) break;
  }
  bool ok = dfound >= 0;
  if (ok) {
    /* walk back through the trace, collecting edits in reverse */
    size_t k2 = 0;
    Edit *e = plat_xmalloc(((size_t)(n + m) + 1) * sizeof *e);
    long x = n, y = m;
    for (long d = dfound; d >= 0; d--) {
      long k = x - y, pk = 0, px = 0, py = 0;
      if (d > 0) {
        const long *vd = trace[d - 1];   /* vd[k + d - 1] is diagonal k after round d-1 */
        if (k == -d || (k != d && vd[k - 1 + d - 1] < vd[k + 1 + d - 1])) pk = k + 1;
        else pk = k - 1;
        px = vd[pk + d - 1];
        py = px - pk;
      }
      while (x > px && y > py) { x--, y--; e[k2++] = (Edit){'=', (size_t)x, (size_t)y}; }
      if (d > 0) {
        if (x == px) { y--; e[k2++] = (Edit){'+', (size_t)x, (size_t)y}; }
        else { x--; e[k2++] = (Edit){'-', (size_t)x, (size_t)y}; }
      }
    }
    for (size_t i = 0; i < k2 / 2; i++) { Edit t = e[i]; e[i] = e[k2 - 1 - i]; e[k2 - 1 - i] = t; }
    *out = e;
    *nout = k2;
  }
  for (long d = 0; d <= dlast; d++) free(trace[d]);
  free(trace);
  free(v);
  return ok;
}

/* Print `diff -u`-style hunks (3 lines of context) between [a] and [b]. */
static void print_diff(const char *path, const char *a_text, size_t a_len, const char *b_text,
                       size_t b_len) {
  Lines a = split_lines(a_text, a_len), b = split_lines(b_text, b_len);
  size_t pre = 0;
  while (pre < a.count && pre < b.count && line_eq(&a, pre, &b, pre)) pre++;
  size_t suf = 0;
  while (suf < a.count - pre && suf < b.count - pre &&
         line_eq(&a, a.count - 1 - suf, &b, b.count - 1 - suf))
    suf++;
  size_t la = a.count - pre - suf, lb = b.count - pre - suf;
  Edit *mid = NULL;
  size_t nmid = 0;
  if (!myers(&a, la, &b, lb, pre, pre, &mid, &nmid)) {
    /* too different: delete the middle, insert the new middle */
    free(mid);
    mid = plat_xmalloc((la + lb + 1) * sizeof *mid);
    nmid = 0;
    for (size_t i = 0; i < la; i++) mid[nmid++] = (Edit){'-', i, 0};
    for (size_t j = 0; j < lb; j++) mid[nmid++] = (Edit){'+', la, j};
  }
  /* the whole script, with the common prefix and suffix as keeps */
  size_t n = pre + nmid + suf;
  Edit *e = plat_xmalloc((n + 1) * sizeof *e);
  size_t k = 0;
  for (size_t i = 0; i < pre; i++) e[k++] = (Edit){'=', i, i};
  for (size_t i = 0; i < nmid; i++) e[k++] = (Edit){mid[i].op, mid[i].a + pre, mid[i].b + pre};
  for (size_t i = 0; i < suf; i++) e[k++] = (Edit){'=', a.count - suf + i, b.count - suf + i};
  free(mid);
  printf("--- %s\n+++ %s (formatted)\n", path, path);
  const size_t ctx = 3;
  for (size_t i = 0; i < n;) {
    if (e[i].op == '=') { i++; continue; }
    /* a hunk: from ctx keeps before this change to ctx keeps after the last change that
     * is within 2*ctx keeps of the previous one */
    size_t start = i >= ctx ? i - ctx : 0;
    while (start < i && e[start].op != '=') start++;
    size_t end = i, keeps = 0;
    for (size_t j = i; j < n; j++) {
      if (e[j].op == '=') {
        if (++keeps > 2 * ctx) break;
      } else {
        keeps = 0;
        end = j;
      }
    }
    size_t stop = end + 1;
    for (size_t c = 0; c < ctx && stop < n && e[stop].op == '='; c++) stop++;
    size_t a0 = e[start].a, b0 = e[start].b, na = 0, nb = 0;
    for (size_t j = start; j < stop; j++) {
      if (e[j].op != '+') na++;
      if (e[j].op != '-') nb++;
    }
    printf("@@ -%zu,%zu +%zu,%zu @@\n", na ? a0 + 1 : a0, na, nb ? b0 + 1 : b0, nb);
    for (size_t j = start; j < stop; j++) {
      if (e[j].op == '=') put_line(' ', &a, e[j].a);
      else if (e[j].op == '-') put_line('-', &a, e[j].a);
      else put_line('+', &b, e[j].b);
    }
    i = stop;
  }
  free(e);
  free(a.s), free(a.n), free(b.s), free(b.n);
}

/* ---- writing -------------------------------------------------------------------------- */

/* Replace [path] by [len] bytes at [text]: a temporary file in the same folder, the old
 * mode (and owner, when allowed), fsync, then rename, so readers never see half a file.
 * A symbolic link is followed: its target is rewritten and the link stays. */
static bool write_atomic(const char *path, const char *text, size_t len) {
  char *real = realpath(path, NULL);
  const char *target = real ? real : path;
  struct stat st;
  if (stat(target, &st) != 0) {
    fprintf(stderr, "platc fmt: cannot write '%s': %s\n", path, strerror(errno));
    free(real);
    return false;
  }
  size_t tl = strlen(target);
  char *tmp = plat_xmalloc(tl + 32);
  const char *slash = strrchr(target, '/');
  size_t dl = slash ? (size_t)(slash - target) + 1 : 0;
  memcpy(tmp, target, dl);
  snprintf(tmp + dl, tl + 32 - dl, ".%s.fmt-XXXXXX", target + dl);
  int fd = mkstemp(tmp);
  bool ok = fd >= 0;
  const char *what = "create a temporary file for";
  if (ok) {
    for (size_t off = 0; ok && off < len;) {
      ssize_t w = write(fd, text + off, len - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) { ok = false; what = "write"; break; }
      off += (size_t)w;
    }
    if (ok && fchmod(fd, st.st_mode & 07777) != 0) { ok = false; what = "set the mode of"; }
    if (ok) (void)!fchown(fd, st.st_uid, st.st_gid);   /* best effort: root keeps owners */
    if (ok && fsync(fd) != 0) { ok = false; what = "write"; }
    int saved = errno;
    if (close(fd) != 0 && ok) { ok = false; what = "write"; saved = errno; }
    errno = saved;
    if (ok && rename(tmp, target) != 0) { ok = false; what = "replace"; }
    if (!ok) { saved = errno; unlink(tmp); errno = saved; }
  }
  if (!ok) fprintf(stderr, "platc fmt: cannot %s '%s': %s\n", what, path, strerror(errno));
  free(tmp);
  free(real);
  return ok;
}

/* ---- one source ----------------------------------------------------------------------- */

/* Format source [id] of [p] (read from [path], or stdin when [to_stdout]). */
static void format_one(FmtRun *r, Plat *p, uint32_t id, const char *path, bool to_stdout) {
  const SourceFile *sf = source_file(&p->sources, id);
  uint32_t errors = p->diags.nerrors;
  size_t len = 0;
  char *out = plat_format(p, id, &len);
  if (!out) {
    if (p->diags.nerrors > errors) {
      plat_render(p, stderr, PLAT_FMT_TEXT, r->color);
      const char *summary = plat_summary(p);
      fprintf(stderr, "platc fmt: '%s' has syntax errors%s%s; it was not formatted\n", path,
              summary ? ": " : "", summary ? summary : "");
      worse(r, 1);
    } else {
      fprintf(stderr, "platc fmt: internal error: formatting '%s' would change its meaning or "
                      "lose a comment; it was left unchanged (please report this)\n", path);
      worse(r, 2);
    }
    return;
  }
  bool same = len == sf->len && memcmp(out, sf->text, len) == 0;
  if (r->check || r->diff) {
    if (!same) {
      if (r->check) printf("%s\n", path);
      if (r->diff) print_diff(path, sf->text, sf->len, out, len);
      worse(r, 1);
    }
  } else if (to_stdout) {
    if (len && fwrite(out, 1, len, stdout) != len) worse(r, 2);
  } else if (!same && !write_atomic(path, out, len)) {
    worse(r, 2);
  }
  free(out);
}

static void format_path_file(FmtRun *r, const char *path) {
  Plat *p = plat_new();
  uint32_t id = source_read(&p->sources, path);
  if (id == UINT32_MAX) {
    fprintf(stderr, "platc fmt: cannot read '%s': %s\n", path, strerror(errno));
    worse(r, 2);
  } else {
    format_one(r, p, id, path, false);
  }
  plat_free(p);
}

static void format_stdin(FmtRun *r) {
  size_t cap = 65536, len = 0;
  char *buf = plat_xmalloc(cap);
  for (;;) {
    if (len == cap) {
      if (cap > SOURCE_MAX_BYTES) break;
      cap *= 2;
      buf = plat_xrealloc(buf, cap);
    }
    size_t n = fread(buf + len, 1, cap - len, stdin);
    len += n;
    if (n == 0) break;
  }
  if (ferror(stdin) || len > SOURCE_MAX_BYTES) {
    fprintf(stderr, "platc fmt: cannot read standard input: %s\n",
            len > SOURCE_MAX_BYTES ? "too large" : strerror(errno));
    worse(r, 2);
  } else {
    Plat *p = plat_new();
    uint32_t id = source_add(&p->sources, "<stdin>", buf, len);
    format_one(r, p, id, "<stdin>", !(r->check || r->diff));
    plat_free(p);
  }
  free(buf);
}

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool has_plat_ext(const char *name) {
  size_t n = strlen(name);
  return n > 5 && strcmp(name + n - 5, ".plat") == 0;
}

/* Every *.plat below [dir], in sorted order.  Hidden entries and symbolic links are
 * skipped: no cycles, and no file formatted twice through a link (a link named on the
 * command line is followed).  [depth] bounds the recursion. */
static void format_dir(FmtRun *r, const char *dir, int depth) {
  if (depth > 64) {
    fprintf(stderr, "platc fmt: '%s': folders nested too deeply (limit is 64)\n", dir);
    worse(r, 2);
    return;
  }
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "platc fmt: cannot read '%s': %s\n", dir, strerror(errno));
    worse(r, 2);
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      names = plat_xrealloc(names, cap * sizeof *names);
    }
    names[n++] = plat_xstrdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_cstr);
  size_t dl = strlen(dir);
  bool slash = dl > 0 && dir[dl - 1] == '/';
  for (size_t i = 0; i < n; i++) {
    size_t nl = strlen(names[i]);
    char *full = plat_xmalloc(dl + nl + 2);
    memcpy(full, dir, dl);
    size_t k = dl;
    if (!slash) full[k++] = '/';
    memcpy(full + k, names[i], nl + 1);
    struct stat st;
    if (lstat(full, &st) == 0) {
      if (S_ISDIR(st.st_mode)) format_dir(r, full, depth + 1);
      else if (has_plat_ext(names[i]) && S_ISREG(st.st_mode)) format_path_file(r, full);
    }
    free(full);
    free(names[i]);
  }
  free(names);
}

static void format_path(FmtRun *r, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "platc fmt: cannot read '%s': %s\n", path, strerror(errno));
    worse(r, 2);
  } else if (S_ISDIR(st.st_mode)) {
    format_dir(r, path, 0);
  } else {
    format_path_file(r, path);   /* named explicitly: formatted whatever its extension */
  }
}

int cmd_fmt(int argc, char **argv) {
  FmtRun r = {0};
  int color = 0;
  bool use_stdin = false, opts = true;
  const char **paths = plat_xmalloc(((size_t)argc + 1) * sizeof *paths);
  uint32_t npaths = 0;
  int rc = 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!opts || a[0] != '-') { paths[npaths++] = a; continue; }
    if (strcmp(a, "-") == 0 || strcmp(a, "--stdin") == 0) { use_stdin = true; continue; }
    if (strcmp(a, "--") == 0) { opts = false; continue; }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { print_usage(stdout); rc = 0; goto done; }
    if (strcmp(a, "--check") == 0) { r.check = true; continue; }
    if (strcmp(a, "--diff") == 0) { r.diff = true; continue; }
    if (strncmp(a, "--color", 7) == 0 && (a[7] == 0 || a[7] == '=')) {
      const char *v = a[7] == '=' ? a + 8 : i + 1 < argc ? argv[++i] : NULL;
      if (!v) { cli_usage_error("fmt", usage, "option '--color' needs a value"); goto done; }
      if (strcmp(v, "auto") == 0) color = 0;
      else if (strcmp(v, "always") == 0) color = 1;
      else if (strcmp(v, "never") == 0) color = 2;
      else {
        cli_usage_error("fmt", usage, "invalid value '%s' for --color (expected auto, always or never)", v);
        goto done;
      }
      continue;
    }
    cli_unknown_option("fmt", usage, a, options, 5);
    goto done;
  }
  if (use_stdin && npaths > 0) {
    cli_usage_error("fmt", usage, "'-' (standard input) cannot be combined with paths");
    goto done;
  }
  r.color = want_color(color);
  if (use_stdin) {
    format_stdin(&r);
  } else {
    if (npaths == 0) paths[npaths++] = ".";
    for (uint32_t i = 0; i < npaths; i++) format_path(&r, paths[i]);
  }
  rc = r.rc;
done:
  free(paths);
  return rc;
}
