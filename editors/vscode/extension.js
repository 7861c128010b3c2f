// The Plat extension's client: starts `platc lsp` (plat.server.path, plat.server.args) over
// stdio for .plat files and restarts it when those settings change.  Everything else
// (diagnostics, hover, formatting, ...) comes from the server; see docs/lsp.md.  The one
// thing the client adds: the "explain E0207" code action runs the server's `platc.explain`
// command, whose result is Markdown, and the client shows it in a preview beside the code.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const cfg = vscode.workspace.getConfiguration("plat");
  const command = cfg.get("server.path", "platc");
  const args = cfg.get("server.args", ["lsp"]);
  return { command, args, transport: TransportKind.stdio };
}

// Show the {code, markdown} the server answers platc.explain with.
async function showExplanation(result) {
  if (!result || typeof result.markdown !== "string") return;
  const doc = await vscode.workspace.openTextDocument({ language: "markdown", content: result.markdown });
  try {
    await vscode.commands.executeCommand("markdown.showPreviewToSide", doc.uri);
  } catch (e) {   // no Markdown preview (a minimal editor): the text itself
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }
}

const middleware = {
  // the client registers platc.explain from the server's executeCommandProvider and sends
  // it as workspace/executeCommand; what comes back is shown here
  async executeCommand(command, args, next) {
    const result = await next(command, args);
    if (command === "platc.explain") await showExplanation(result);
    return result;
  },
};

async function start(context) {
  client = new LanguageClient("plat", "Plat language server", serverOptions(), {
    documentSelector: [{ scheme: "file", language: "plat" }, { scheme: "untitled", language: "plat" }],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.plat"),
    },
    middleware,
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

module.exports = { activate, deactivate, middleware };
