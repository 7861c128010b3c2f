/* The resource graph: what a run of the VM produces and what `platc graph`, `plan`,
 * `deploy` and `test` consume (docs/graph.md).  The VM appends nodes as it evaluates
 * (vm/vm.h); graph_finish sorts them by address and renumbers every reference, so output
 * never depends on evaluation order.  The writers (graph_write_json/dot/mermaid) print a
 * finished graph byte-for-byte deterministically, with secrets redacted and deploy-time
 * values marked with the outputs they wait for. */
#ifndef PLAT_GRAPH_H
#define PLAT_GRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler/source.h"
#include "vm/value.h"

#define GN_NONE UINT32_MAX

typedef enum GNodeKind {
  GN_RESOURCE,           /* a provider resource: local.File */
  GN_INSTANCE,           /* a component instance: its resources are its children */
} GNodeKind;

typedef struct GNode {
  GNodeKind kind;
  uint32_t addrlen;      /* strlen(addr): set by graph_add (while the text is in cache) */
  const char *addr;      /* site, api.cfg, workers["billing"].cfg: unique in the graph */
  const char *type;      /* local.File, Service, net.Service: as users write it */
  const char *provider;  /* local, random; NULL for instances */
  const char *module;    /* the module folder or file that declares it, as shown */
  Span span;             /* the declaration, for messages */
  uint32_t parent;       /* the enclosing instance, or GN_NONE */
  const char *key;       /* the keyed-copy key, or NULL */
  Val inputs;            /* VT_MAP: every input, defaults filled; may hold unknowns and
                            secrets.  For an instance: its params */
  Val outputs;           /* instances: VT_MAP of their outputs; resources: VT_NULL (the
                            provider makes them; reads of them are unknowns) */
  uint32_t *deps;        /* implicit dependencies: nodes whose values the inputs read */
  uint32_t ndeps;
  uint32_t *explicit_deps;  /* @depends_on, after expanding instances and keyed copies */
  uint32_t nexplicit;
  /* lifecycle options (an instance's apply to every resource inside it) */
  bool protect, create_before_destroy;
  const char **ignore_changes; uint32_t nignore;      /* property names */
  const char **replace_on_change; uint32_t nreplace;
} GNode;

typedef enum PolicyOutcome {
  PO_DENY,               /* a deny rule fired: the plan fails */
  PO_WARN,               /* a warn rule fired */
  PO_UNKNOWN,            /* the condition waits for deploy-time values: evaluated later */
} PolicyOutcome;

typedef struct PolicyResult {
  const char *policy;    /* the policy's title */
  PolicyOutcome outcome;
  uint32_t node;         /* the offending resource */
  const char *message;   /* the rule's message (secret parts redacted), or NULL when unknown */
  Span span;             /* the rule */
} PolicyResult;

typedef struct GMoved {
  const char *from, *to; /* addresses */
  Span span;
} GMoved;

/* A location for the writers: the file path, 1-based line and column of [s], or NULL when
 * it has none (built-ins, or a graph whose sources are gone). */
typedef const char *(*GraphLocate)(void *ud, Span s, uint32_t *line, uint32_t *col);

typedef struct Graph {
  Rt *rt;                /* owns every value in the graph */
  GNode *nodes; uint32_t nnodes, capnodes;
  Val outputs;           /* VT_MAP: the root module's outputs */
  PolicyResult *policies; uint32_t npolicies, cappolicies;
  GMoved *moved; uint32_t nmoved, capmoved;
  const char *source_hash;  /* hex SHA-256 of the program (the .platb's source hash) */
  bool finished;
  /* How the writers print a Span as "file:line:col" (docs/graph.md "location"): set by
   * whoever fills the graph; NULL writes null.  graph_locate_sources reads a SourceMap. */
  GraphLocate locate;
  void *locate_ud;
} Graph;

/* An empty graph whose values live in [rt]. */
void graph_init(Graph *g, Rt *rt);
void graph_free(Graph *g);     /* frees the arrays; the values belong to the Rt */
/* Append a node (copied) and return its index.  The node and its two dependency arrays are
 * copied (the arrays into the Rt); strings and values are borrowed and must live in the Rt
 * (or longer).  It sets addrlen: a node's addr must not change afterwards. */
uint32_t graph_add(Graph *g, const GNode *n);
void graph_add_policy(Graph *g, const PolicyResult *r);
void graph_add_moved(Graph *g, const GMoved *m);
/* Sort nodes by address (then renumber parents, dependencies and the nodes that unknowns
 * in inputs and outputs wait for), sort and dedupe dependency lists, sort policy results
 * by (address, policy, span).  After this, node order is the output order.  It also gives
 * every resource the lifecycle options of the instances around it (protect,
 * create_before_destroy, explicit dependencies), so each resource is complete on its own;
 * the VM may do that itself too (it is idempotent).  References to nodes out of range are
 * dropped.  Call once. */
void graph_finish(Graph *g);
/* The node with address [addr], or GN_NONE (binary search; after graph_finish). */
uint32_t graph_find(const Graph *g, const char *addr);

/* Writers (docs/graph.md) of a finished graph.  Each returns false on a write error (errno
 * set) or a value nested deeper than GRAPH_MAX_DEPTH; graph_write_error() says which. */
bool graph_write_json(const Graph *g, FILE *out);
bool graph_write_dot(const Graph *g, FILE *out);
bool graph_write_mermaid(const Graph *g, FILE *out);
#define GRAPH_MAX_DEPTH 2048
/* Why the last writer on this thread returned false ("cannot write: No space left on
 * device"), for messages. */
const char *graph_write_error(void);
/* A GraphLocate over a SourceMap (compiler/source.h) given as [ud]. */
const char *graph_locate_sources(void *ud, Span s, uint32_t *line, uint32_t *col);

#endif
