// Tests of the sign-in plugin's window API (crates/tauri-plugin-sign-in/guest-js/index.js) and
// of the copy the window imports (ui/sign-in.js), with a stand-in for `window.__TAURI__` that
// records what a call asks of the backend.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

import * as signIn from "../../ui/sign-in.js";

const shipped = new URL("../../crates/tauri-plugin-sign-in/guest-js/index.js", import.meta.url);
const copies = ["../../ui/sign-in.js", "../../examples/sign-in/ui/sign-in.js"].map((path) => new URL(path, import.meta.url));
const example = new URL("../../examples/sign-in/", import.meta.url);

/** A stand-in `window.__TAURI__`: `invoke` answers `answer(command)`, `listen` keeps handlers. */
function standIn(answer = () => null) {
  const invoked = [];
  const handlers = new Map();
  globalThis.window = {
    __TAURI__: {
      core: { invoke: async (command, args) => (invoked.push([command, args]), answer(command)) },
      event: {
        listen: async (name, handler) => {
          handlers.set(name, handler);
          return () => handlers.delete(name);
        },
      },
    },
  };
  return { invoked, handlers };
}

test("the windows' copies of the module are the one the plugin ships", async () => {
  for (const copy of copies) assert.equal(await readFile(copy, "utf8"), await readFile(shipped, "utf8"), copy.pathname);
});

test("the example app is at most 150 lines of its own code", async () => {
  const own = ["src/main.rs", "build.rs", "ui/index.html", "ui/app.js"];
  const texts = await Promise.all(own.map((path) => readFile(new URL(path, example), "utf8")));
  const lines = texts.reduce((sum, text) => sum + text.split("\n").filter((line) => line.trim()).length, 0);
  assert.ok(lines > 0 && lines <= 150, `${lines} lines`);
});

test("each call invokes the plugin's command of that name, with no arguments", async () => {
  const { invoked } = standIn();
  const calls = [
    [signIn.status, "status"],
    [signIn.connect, "connect"],
    [signIn.retry, "retry"],
    [signIn.cancel, "cancel"],
    [signIn.openBrowserAgain, "open_browser_again"],
    [signIn.copyLink, "copy_link"],
    [signIn.disconnect, "disconnect"],
    [signIn.addAccount, "add_account"],
  ];
  for (const [call] of calls) await call();
  assert.deepEqual(
    invoked,
    calls.map(([, command]) => [`plugin:sign-in|${command}`, undefined]),
  );
});

test("adding an account at a provider names the provider by its id", async () => {
  const { invoked } = standIn();
  await signIn.addAccount("work");
  assert.deepEqual(invoked, [["plugin:sign-in|add_account", { provider: "work" }]]);
});

test("choosing an account names it by its id", async () => {
  const { invoked } = standIn();
  await signIn.chooseAccount(1);
  assert.deepEqual(invoked, [["plugin:sign-in|choose_account", { id: 1 }]]);
});

test("the status is the backend's answer and a failure rejects with its sentence", async () => {
  standIn((command) => {
    if (command.endsWith("|copy_link")) throw "No sign-in is waiting for your browser.";
    return { revision: 3, state: "connected" };
  });
  assert.deepEqual(await signIn.status(), { revision: 3, state: "connected" });
  await assert.rejects(signIn.copyLink(), (error) => error === "No sign-in is waiting for your browser.");
});

test("a change of the connection reaches the handler as the status, until it stops listening", async () => {
  const { handlers } = standIn();
  const seen = [];
  const stop = await signIn.onConnectionChanged((status) => seen.push(status.state));
  handlers.get(signIn.CONNECTION_CHANGED)({ payload: { state: "waiting" } });
  assert.deepEqual(seen, ["waiting"]);
  assert.equal(signIn.CONNECTION_CHANGED, "connection-changed");
  stop();
  assert.equal(handlers.size, 0);
});
