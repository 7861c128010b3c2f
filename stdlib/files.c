/* Files and paths: file, filebase64, fileexists, fileset, templatefile, abspath,
 * basename, dirname, pathexpand.  Relative paths are relative to the calling module's
 * folder (rt->base_dir), never to the current directory, so a module reads the same files
 * wherever platc runs.  Reads are capped (SL_FILE_MAX), fileset's walk is bounded, and
 * templatefile hands the text to rt->template_hook, which the VM implements. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/source.h"
#include "stdlib/bytes.h"
#include "stdlib/stdlib.h"

/* ---- reading ----------------------------------------------------------------------------- */
static char *read_text(Rt *rt, const char *fn, Val path, size_t *len) {
  char *p = sl_read_file(rt, fn, path, len);
  if (utf8_check(p, *len) < *len || memchr(p, 0, *len))
    rt_error(rt, "%s: contents of %s are not valid UTF-8; use the filebase64 function to obtain "
             "the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) "
             "to obtain file hashing results instead", fn, sl_show_arg(rt, path, 200));
  return p;
}

Val sl_file(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  size_t len;
  char *p = read_text(rt, "file", args[0], &len);
  return val_str_checked(rt, p, len, "file: the contents");
}

Val sl_filebase64(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  size_t len;
  char *p = sl_read_file(rt, "filebase64", args[0], &len);
  SBuf b;
  sb_init(&b, rt);
  sl_b64_encode(&b, p, len);
  return sb_val(&b, true);
}

Val sl_fileexists(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *full = sl_resolve_path(rt, args[0].as.s->s);
  struct stat st;
  if (stat(full, &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return val_bool(false);
    rt_error(rt, "fileexists: cannot look at %s: %s", sl_show_arg(rt, args[0], 200), strerror(errno));
  }
  if (S_ISREG(st.st_mode)) return val_bool(true);
  rt_error(rt, "fileexists: %s is %s, not a regular file", sl_show_arg(rt, args[0], 200),
           S_ISDIR(st.st_mode) ? "a directory" : "a special file");
}

Val sl_templatefile(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  size_t len;
  char *p = read_text(rt, "templatefile", args[0], &len);
  if (!rt->template_hook)
    rt_error(rt, "templatefile: templates cannot be rendered here (no template engine attached)");
  return rt->template_hook(rt, sl_resolve_path(rt, args[0].as.s->s), p, len, args[1]);
}

/* ---- paths, as Go's path/filepath treats them ------------------------------------------- */
/* Lexically cleaned [s]: no repeated '/', no "." parts, ".." resolved where it can be;
 * "" becomes ".". */
static Val clean(Rt *rt, const char *s, size_t n) {
  bool rooted = n && s[0] == '/';
  char *out = rt_alloc(rt, n + 2);
  size_t o = 0, dotdot = 0;   /* out[dotdot..] may be backtracked over */
  if (rooted) out[o++] = '/', dotdot = 1;
  for (size_t i = 0; i < n;) {
    if (s[i] == '/') { i++; continue; }
    if (s[i] == '.' && (i + 1 == n || s[i + 1] == '/')) { i++; continue; }
    if (s[i] == '.' && s[i + 1] == '.' && (i + 2 == n || s[i + 2] == '/')) {
      i += 2;
      if (o > dotdot) {
        /* drop the last element */
        o--;
        while (o > dotdot && out[o] != '/') o--;
      } else if (!rooted) {
        if (o > 0) out[o++] = '/';
        out[o++] = '.', out[o++] = '.';
        dotdot = o;
      }
      continue;
    }
    if ((rooted && o != 1) || (!rooted && o != 0)) out[o++] = '/';
    while (i < n && s[i] != '/') out[o++] = s[i++];
  }
  if (o == 0) out[o++] = '.';
  return val_str(rt, out, o);
}

Val sl_basename(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *s = args[0].as.s->s;
  size_t len = args[0].as.s->len;
  if (!len) return val_cstr(rt, ".");
  while (len > 0 && s[len - 1] == '/') len--;
  if (!len) return val_cstr(rt, "/");
  size_t start = len;
  while (start > 0 && s[start - 1] != '/') start--;
  return val_str(rt, s + start, len - start);
}

Val sl_dirname(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *s = args[0].as.s->s;
  size_t len = args[0].as.s->len, cut = len;
  while (cut > 0 && s[cut - 1] != '/') cut--;
  return clean(rt, s, cut);
}

Val sl_pathexpand(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *s = args[0].as.s->s;
  if (s[0] != '~') return args[0];
  if (s[1] != 0 && s[1] != '/')
    rt_error(rt, "pathexpand: cannot expand a user-specific home directory (~user) in %s",
             sl_show_arg(rt, args[0], 200));
  return val_cstr(rt, sl_resolve_path(rt, s));
}

Val sl_abspath(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  const char *s = args[0].as.s->s;
  SBuf b;
  sb_init(&b, rt);
  if (s[0] != '/') {
    const char *base = rt->base_dir && *rt->base_dir ? rt->base_dir : ".";
    if (base[0] != '/') {
      char cwd[4096];
      if (!getcwd(cwd, sizeof cwd)) rt_error(rt, "abspath: cannot read the current directory: %s", strerror(errno));
      sb_adds(&b, cwd);
      sb_addc(&b, '/');
    }
    sb_adds(&b, base);
    sb_addc(&b, '/');
  }
  sb_adds(&b, s);
  return clean(rt, b.p, b.len);
}

/* ---- fileset ----------------------------------------------------------------------------- */
#define GLOB_MAX_PATTERNS 1024    /* after {a,b} expansion */
#define GLOB_MAX_STEPS 1000000u   /* matching work per call */
#define WALK_MAX_ENTRIES 200000u  /* directory entries looked at per call */
#define WALK_MAX_DEPTH 64
#define GLOB_MAX_LEN 4096       /* bytes of pattern: bounds the matcher's recursion */

typedef struct Glob {
  Rt *rt;
  const char **pats;
  uint32_t npats, cappats;
  uint32_t steps;
  uint32_t entries;
  Val *found;
  uint32_t nfound, capfound;
  Val arg;              /* the pattern, for messages */
} Glob;

/* Expand the first {a,b,...} group of [p] (prefix [pre] already done), recursively. */
static void expand(Glob *g, const char *p) {
  size_t n = strlen(p), open = n;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '\\' && i + 1 < n) { i++; continue; }
    if (p[i] == '[') { while (i < n && p[i] != ']') i++; continue; }
    if (p[i] == '{') { open = i; break; }
  }
  if (open == n) {
    if (g->npats == GLOB_MAX_PATTERNS)
      rt_error(g->rt, "fileset: the pattern %s has too many {...} alternatives",
               sl_show_arg(g->rt, g->arg, 100));
    g->pats = sl_grow(g->rt, g->pats, g->npats, &g->cappats, sizeof *g->pats);
    g->pats[g->npats++] = p;
    return;
  }
  /* find the matching '}' and the top-level commas */
  int depth = 0;
  size_t close = n;
  for (size_t i = open; i < n; i++) {
    if (p[i] == '\\' && i + 1 < n) { i++; continue; }
    if (p[i] == '{') depth++;
    if (p[i] == '}' && --depth == 0) { close = i; break; }
  }
  if (close == n)
    rt_error(g->rt, "fileset: the pattern %s has an unclosed '{'", sl_show_arg(g->rt, g->arg, 100));
  size_t start = open + 1;
  depth = 0;
  for (size_t i = open + 1; i <= close; i++) {
    if (p[i] == '\\' && i + 1 < close) { i++; continue; }
    if (p[i] == '{') depth++;
    if (p[i] == '}' && depth > 0 && i != close) depth--;
    if ((p[i] == ',' && depth == 0) || i == close) {
      size_t alen = i - start, tail = n - close - 1;
      char *q = rt_alloc(g->rt, open + alen + tail + 1);
      memcpy(q, p, open);
      memcpy(q + open, p + start, alen);
      memcpy(q + open + alen, p + close + 1, tail);
      q[open + alen + tail] = 0;
      expand(g, q);
      start = i + 1;
    }
  }
}

/* One character class at p ("[...]"): does it hold the code point c?  *end is past ']'. */
static bool class_match(const char *p, int32_t c, const char **end) {
  const char *q = p + 1;
  bool neg = *q == '^' || *q == '!';
  if (neg) q++;
  bool hit = false, first = true;
  while (*q && (*q != ']' || first)) {
    first = false;
    int k;
    if (*q == '\\' && q[1]) q++;
    int32_t lo = utf8_decode(q, strlen(q), &k), hi = lo;
    q += k > 0 ? k : 1;
    if (q[0] == '-' && q[1] && q[1] != ']') {
      q++;
      if (*q == '\\' && q[1]) q++;
      hi = utf8_decode(q, strlen(q), &k);
      q += k > 0 ? k : 1;
    }
    if (lo <= c && c <= hi) hit = true;
  }
  if (*q != ']') return false;   /* not reached: classes_closed checked the pattern */
  *end = q + 1;
  return hit != neg;
}

static bool match(Glob *g, const char *p, const char *s) {
  for (;;) {
    if (++g->steps > GLOB_MAX_STEPS)
      rt_error(g->rt, "fileset: the pattern %s takes too long to match", sl_show_arg(g->rt, g->arg, 100));
    if (!*p) return !*s;
    if (p[0] == '*' && p[1] == '*') {
      /* "**" as a whole path element matches any number of elements, itself included */
      const char *rest = p + 2;
      while (*rest == '*') rest++;
      if (*rest == 0) return true;
      if (*rest == '/') {
        rest++;
        for (const char *t = s;; t++) {
          if ((t == s || t[-1] == '/') && match(g, rest, t)) return true;
          if (!*t) return false;
        }
      }
      p = rest - 1;   /* "a**b": an ordinary star */
    }
    if (*p == '*') {
      for (const char *t = s;; t++) {
        if (match(g, p + 1, t)) return true;
        if (!*t || *t == '/') return false;
      }
    }
    if (!*s) return false;
    if (*p == '?' || *p == '[') {
      if (*s == '/') return false;
      int k;
      int32_t c = utf8_decode(s, strlen(s), &k);
      if (*p == '[') {
        const char *end;
        if (!class_match(p, c, &end)) return false;
        p = end;
      } else {
        p++;
      }
      s += k > 0 ? k : 1;
      continue;
    }
    if (*p == '\\' && p[1]) p++;
    if (*p != *s) return false;
    p++, s++;
  }
}

static void add_found(Glob *g, const SBuf *rel) {
  g->found = sl_grow(g->rt, g->found, g->nfound, &g->capfound, sizeof *g->found);
  g->found[g->nfound++] = val_str_checked(g->rt, rel->p, rel->len, "fileset: a file name");
}

static void walk(Glob *g, SBuf *rel, const char *dir, int depth) {
  if (depth > WALK_MAX_DEPTH) return;
  /* read the folder's names first and close it, so an error while matching leaks nothing */
  DIR *d = opendir(dir);
  if (!d) return;
  const char **names = NULL;
  uint32_t nn = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (++g->entries > WALK_MAX_ENTRIES) break;
    names = sl_grow(g->rt, names, nn, &cap, sizeof *names);
    size_t len = strlen(e->d_name);
    char *copy = rt_alloc(g->rt, len + 1);
    memcpy(copy, e->d_name, len + 1);
    names[nn++] = copy;
  }
  closedir(d);
  if (g->entries > WALK_MAX_ENTRIES)
    rt_error(g->rt, "fileset: more than %u files and folders under the path", WALK_MAX_ENTRIES);
  for (uint32_t i = 0; i < nn; i++) {
    uint32_t mark = rel->len;
    if (rel->len) sb_addc(rel, '/');
    sb_adds(rel, names[i]);
    SBuf full;
    sb_init(&full, g->rt);
    sb_adds(&full, dir);
    sb_addc(&full, '/');
    sb_adds(&full, names[i]);
    struct stat st, lst;
    if (stat(full.p, &st) == 0) {
      if (S_ISREG(st.st_mode)) {
        bool hit = false;
        for (uint32_t k = 0; k < g->npats && !hit; k++) hit = match(g, g->pats[k], rel->p);
        if (hit) add_found(g, rel);
      } else if (S_ISDIR(st.st_mode) && lstat(full.p, &lst) == 0 && !S_ISLNK(lst.st_mode)) {
        /* symbolic links to folders are not followed: no loops, no escaping the tree */
        walk(g, rel, full.p, depth + 1);
      }
    }
    rel->len = mark;
    rel->p[mark] = 0;
  }
}

/* Every '[' of [p] has its ']' (a ']' right after "[" or "[^" is a member). */
static bool classes_closed(const char *p) {
  for (; *p; p++) {
    if (*p == '\\' && p[1]) { p++; continue; }
    if (*p != '[') continue;
    p++;
    if (*p == '^' || *p == '!') p++;
    if (*p == ']') p++;
    while (*p && *p != ']') {
      if (*p == '\\' && p[1]) p++;
      p++;
    }
    if (!*p) return false;
  }
  return true;
}

static int cmp_val(const void *a, const void *b) {
  const VStr *x = ((const Val *)a)->as.s, *y = ((const Val *)b)->as.s;
  int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

Val sl_fileset(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Glob g = {.rt = rt, .arg = args[1]};
  /* the pattern is cleaned as Terraform joins it to the path: "./x" is "x" */
  const char *pat = args[1].as.s->s;
  while (pat[0] == '.' && pat[1] == '/') pat += 2;
  while (pat[0] == '/') pat++;
  if (strlen(pat) > GLOB_MAX_LEN)
    rt_error(rt, "fileset: the pattern is longer than %u bytes", GLOB_MAX_LEN);
  if (!classes_closed(pat))
    rt_error(rt, "fileset: the pattern %s has an unclosed '['", sl_show_arg(rt, args[1], 100));
  expand(&g, pat);
  const char *dir = sl_resolve_path(rt, args[0].as.s->s);
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return val_list_of(rt, NULL, 0);   /* Terraform: no matches, not an error */
  SBuf rel;
  sb_init(&rel, rt);
  walk(&g, &rel, dir, 0);
  if (g.nfound) qsort(g.found, g.nfound, sizeof *g.found, cmp_val);
  return val_list_of(rt, g.found, g.nfound);
}
