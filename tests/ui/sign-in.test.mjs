// Tests of the sign-in plugin's window API (crates/tauri-plugin-sign-in/guest-js/index.js) and
// of the copy the window imports (ui/sign-in.js), with a stand-in for `window.__TAURI__` that
// records what a call asks of the backend.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

import * as signIn from "../../ui/sign-in.js";

const shipped = new URL("../../crates/tauri-plugin-sign-in/guest-js/index.js", import.meta.url);
const copied = new URL("../../ui/sign-in.js", import.meta.url);

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

test("the window's copy of the module is the one the plugin ships", async () => {
  assert.equal(await readFile(copied, "utf8"), await readFile(shipped, "utf8"));
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
  ];
  for (const [call] of calls) await call();
  assert.deepEqual(
    invoked,
    calls.map(([, command]) => [`plugin:sign-in|${command}`, undefined]),
  );
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
