/* The query methods of the language server (hover, completion, definition, ...): owned by
 * lspq, who replaces this placeholder.  lspsrv committed it empty only so that the server
 * links before the query methods land; initialize advertises only what is registered here.
 * Handlers are registered with lsp_register (lsp/lsp.h). */
#include "lsp/lsp.h"

void lsp_features_register(LspServer *s) { (void)s; }
