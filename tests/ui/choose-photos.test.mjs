// Tests of Choose photos…'s logic (ui/choose-photos.js) with Node's built-in test runner. The
// `chosen_photos` and `choose_photos` commands are stand-ins that answer the way the backend
// does: the state with its sentences, progress over the channel, then what was added or why not.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ChoosePhotos } from "../../ui/choose-photos.js";

const PICKER = {
  picker: true,
  chosen: 0,
  explanation: "PhotoLink sees only the photos you choose in Google Photos.",
  expired: null,
};

/** A backend stand-in: each call waits until the test ends it. */
function backend() {
  const calls = [];
  const pending = [];
  let channel = null;
  const invoke = (command, args) => {
    calls.push({ command, args });
    if (command === "choose_photos") channel = args.onProgress;
    return new Promise((resolve, reject) => pending.push({ command, resolve, reject }));
  };
  const next = (command) => {
    const index = pending.findIndex((call) => call.command === command);
    assert.ok(index >= 0, `a pending ${command}`);
    return pending.splice(index, 1)[0];
  };
  return {
    invoke,
    calls,
    makeChannel: (onMessage) => ({ send: onMessage }),
    progress: (message) => channel.send(message),
    next,
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Timers the test runs by hand. */
function timers() {
  const pending = [];
  const later = (task, milliseconds) => {
    const timer = { task, milliseconds, cancelled: false };
    pending.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };
  return { later, live: () => pending.filter((timer) => !timer.cancelled) };
}

function chooser(server, clock = timers()) {
  const added = [];
  const chooser = new ChoosePhotos(server.invoke, server.makeChannel, () => {}, () => added.push(true), clock.later);
  return { chooser, added };
}

test("an account whose photos do not come from the Picker shows nothing and cannot choose", async () => {
  const server = backend();
  const { chooser: photos } = chooser(server);
  const refreshed = photos.refresh();
  server.next("chosen_photos").resolve({ picker: false, chosen: 0, explanation: null, expired: null });
  await refreshed;
  assert.equal(photos.picker, false);
  await photos.choose();
  assert.deepEqual(
    server.calls.map((call) => call.command),
    ["chosen_photos"],
  );
});

test("choosing shows the wait with its time allowed, then what was added, and lists the gallery again", async () => {
  const server = backend();
  const { chooser: photos, added } = chooser(server);
  const refreshed = photos.refresh();
  server.next("chosen_photos").resolve(PICKER);
  await refreshed;
  assert.equal(photos.explanation, PICKER.explanation);

  const choosing = photos.choose();
  assert.equal(photos.state, "waiting");
  await photos.choose(); // a second click while choosing asks for nothing more
  assert.equal(server.calls.filter((call) => call.command === "choose_photos").length, 1);
  server.progress({ step: "waiting", timeoutSeconds: 1800, message: "This ends in 30 minutes." });
  assert.equal(photos.message, "This ends in 30 minutes.");
  server.progress({ step: "reading", message: "Reading the photos you chose…" });
  assert.equal(photos.state, "reading");
  server.next("choose_photos").resolve("Added 3 photos.");
  await settle();
  assert.equal(photos.state, "done");
  assert.equal(photos.message, "Added 3 photos.");
  assert.equal(added.length, 1, "the gallery lists the photos chosen");
  server.next("chosen_photos").resolve({ ...PICKER, chosen: 3, explanation: "Choose again to add more." });
  await choosing;
  assert.equal(photos.chosen, 3);
  assert.equal(photos.explanation, "Choose again to add more.");
  server.progress({ step: "waiting", message: "late" });
  assert.equal(photos.message, "Added 3 photos.", "a late progress message is dropped");
});

test("a failed choice says why and lists nothing again", async () => {
  const server = backend();
  const { chooser: photos, added } = chooser(server);
  const refreshed = photos.refresh();
  server.next("chosen_photos").resolve(PICKER);
  await refreshed;
  const choosing = photos.choose();
  server.next("choose_photos").reject("Choosing photos ended: Google Photos waited too long for Done.");
  await choosing;
  assert.equal(photos.state, "failed");
  assert.match(photos.message, /waited too long/);
  assert.equal(added.length, 0);
  assert.equal(photos.busy, false, "choosing again is possible");
});

test("expired links are said, and answers that arrive after a disconnect are dropped", async () => {
  const server = backend();
  const { chooser: photos, added } = chooser(server);
  const refreshed = photos.refresh();
  server.next("chosen_photos").resolve({ ...PICKER, chosen: 2, expired: "Choose again to see them in full." });
  await refreshed;
  assert.equal(photos.expired, "Choose again to see them in full.");

  const choosing = photos.choose();
  const late = photos.refresh();
  photos.reset();
  server.next("chosen_photos").resolve({ ...PICKER, chosen: 9 });
  server.next("choose_photos").resolve("Added 9 photos.");
  await Promise.all([choosing, late]);
  assert.equal(photos.picker, false);
  assert.equal(photos.chosen, 0);
  assert.equal(photos.state, "idle");
  assert.equal(photos.message, "");
  assert.equal(added.length, 0);
});

test("the window asks again when Google's links expire, so that it says so without a restart", async () => {
  const server = backend();
  const clock = timers();
  const { chooser: photos } = chooser(server, clock);
  const refreshed = photos.refresh();
  server.next("chosen_photos").resolve({ ...PICKER, chosen: 3, expiresInSeconds: 120 });
  await refreshed;
  assert.equal(photos.expired, "");
  assert.deepEqual(clock.live().map((timer) => timer.milliseconds), [121000]);

  clock.live()[0].task();
  server.next("chosen_photos").resolve({ ...PICKER, chosen: 3, expired: "Choose again to see them in full." });
  await settle();
  assert.equal(photos.expired, "Choose again to see them in full.");
  assert.deepEqual(clock.live().length, 0, "the first timer was spent, and no other is needed");

  const again = photos.refresh();
  server.next("chosen_photos").resolve({ ...PICKER, chosen: 3, expiresInSeconds: 60 });
  await again;
  photos.reset();
  assert.equal(clock.live().length, 0, "a disconnect cancels the timer");
});
