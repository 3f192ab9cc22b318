// Starts `regen lsp` for .regen files. Plain JavaScript: `npm install` in this
// folder, then "Developer: Install Extension from Location…" (or symlink it into
// ~/.vscode/extensions). No build step.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("regen").get("path") || "regen";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "regen",
    "regen",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "regen" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
