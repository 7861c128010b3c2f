// Run by s_editors.py with node: loads editors/vscode/extension.js against stand-ins for the
// `vscode` and `vscode-languageclient/node` modules, activates it, and runs the client's
// executeCommand middleware for platc.explain with the answer of a real `platc lsp`
// (argv[3], a JSON file): the Markdown must be opened and previewed.  Prints "ok".
const Module = require("module");
const fs = require("fs");
const [, , extPath, answerPath] = process.argv;
const answer = JSON.parse(fs.readFileSync(answerPath, "utf8"));
const opened = [], commands = [];
let options = null;
const vscode = {
  workspace: {
    getConfiguration: () => ({ get: (k, d) => d }),
    createFileSystemWatcher: () => ({}),
    onDidChangeConfiguration: () => ({ dispose() {} }),
    openTextDocument: async (o) => { opened.push(o); return { uri: "untitled:explain" }; },
  },
  window: { showTextDocument: async () => {} },
  commands: { executeCommand: async (c, a) => { commands.push([c, a]); } },
  ViewColumn: { Beside: -2 },
};
class LanguageClient {
  constructor(id, name, server, opts) { options = opts; this.server = server; }
  async start() {}
  async stop() {}
}
const origLoad = Module._load;
Module._load = function (req, ...rest) {
  if (req === "vscode") return vscode;
  if (req === "vscode-languageclient/node") return { LanguageClient, TransportKind: { stdio: 0 } };
  return origLoad.call(this, req, ...rest);
};
(async () => {
  const ext = require(extPath);
  await ext.activate({ subscriptions: [] });
  const fail = (m) => { console.log("FAIL " + m); process.exit(1); };
  if (!options || !options.middleware || !options.middleware.executeCommand) fail("no executeCommand middleware");
  const got = await options.middleware.executeCommand("platc.explain", [answer.code], async (c, a) => {
    if (c !== "platc.explain" || a[0] !== answer.code) fail("forwarded " + c + " " + a);
    return answer;
  });
  if (got !== answer) fail("the result is not passed on");
  if (opened.length !== 1 || opened[0].language !== "markdown" || opened[0].content !== answer.markdown)
    fail("the Markdown was not opened: " + JSON.stringify(opened));
  if (!commands.length || commands[0][0] !== "markdown.showPreviewToSide") fail("no preview: " + JSON.stringify(commands));
  // another command is passed through untouched
  await options.middleware.executeCommand("other", [], async () => null);
  if (opened.length !== 1) fail("shown for another command");
  console.log("ok");
})();
