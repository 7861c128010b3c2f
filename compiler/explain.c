/* The long explanation of a diagnostic code: its section of docs/diagnostics.md, which is
 * embedded in the binary, so `platc explain`, SARIF rule help and the web page are one
 * text.  A section starts at its heading line `## E0200: summary` and ends before the next
 * `#`/`##` heading or `<a id=...>` anchor outside a code fence; trailing blank lines and
 * `---` rules are dropped.  Nothing here prints. */
#include "compiler/compiler.h"

#include <string.h>

static bool starts_with(const char *s, const char *end, const char *prefix) {
  size_t n = strlen(prefix);
  return (size_t)(end - s) >= n && memcmp(s, prefix, n) == 0;
}

static const char *line_end(const char *s, const char *end) {
  const char *e = memchr(s, '\n', (size_t)(end - s));
  return e ? e : end;
}

const char *plat_explain(DiagCode code, size_t *len) {
  *len = 0;
  if ((int)code < 0 || code >= DIAG__COUNT) return NULL;
  const PlatEmbedded *doc = plat_embedded_find("docs/diagnostics.md");
  if (!doc) return NULL;
  const char *name = diag_code_name(code);
  size_t nl = strlen(name);
  const char *end = doc->data + doc->len, *sec = NULL;
  bool fence = false;
  for (const char *s = doc->data; s < end;) {
    const char *e = line_end(s, end);
    if (starts_with(s, e, "```")) {
      fence = !fence;
    } else if (!fence && !sec && starts_with(s, e, "## ") && (size_t)(e - s) > 3 + nl &&
               memcmp(s + 3, name, nl) == 0 && s[3 + nl] == ':') {
      sec = s;
    } else if (!fence && sec && (starts_with(s, e, "# ") || starts_with(s, e, "## ") ||
                                 starts_with(s, e, "<a id="))) {
      end = s;
      break;
    }
    s = e < end ? e + 1 : end;
  }
  if (!sec) return NULL;
  /* drop trailing blank lines and horizontal rules */
  for (;;) {
    while (end > sec && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r')) end--;
    const char *ls = end;
    while (ls > sec && ls[-1] != '\n') ls--;
    if (ls > sec && end - ls == 3 && memcmp(ls, "---", 3) == 0) { end = ls; continue; }
    break;
  }
  *len = (size_t)(end - sec);
  return sec;
}
