// The Plat extension's client: starts `platc lsp` (plat.server.path, plat.server.args) over
// stdio for .plat files and restarts it when those settings change.  Everything else
// (diagnostics, hover, formatting, ...) comes from the server; see docs/lsp.md.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const cfg = vscode.workspace.getConfiguration("plat");
  const command = cfg.get("server.path", "platc");
  const args = cfg.get("server.args", ["lsp"]);
  return { command, args, transport: TransportKind.stdio };
}

async function start(context) {
  client = new LanguageClient("plat", "Plat language server", serverOptions(), {
    documentSelector: [{ scheme: "file", language: "plat" }, { scheme: "untitled", language: "plat" }],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.plat"),
    },
  });
  context.subscriptions.push(client);
  await client.start();
}

async function activate(context) {
  await start(context);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration("plat.server")) return;
      if (client) await client.stop();
      await start(context);
    }));
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
