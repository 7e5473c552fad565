// Tests of Save original…'s logic (ui/save-original.js) with Node's built-in test runner. The
// `save_original` and `cancel_save` commands are stand-ins that answer the way the backend does:
// progress over the channel, then the sentence to show, `null` for a closed dialog, or an error.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SaveOriginal, sizeText } from "../../ui/save-original.js";

/** A backend stand-in: `save_original` waits until the test ends it through `finish`. */
function backend() {
  const calls = [];
  let channel = null;
  let finish = null;
  const invoke = (command, args) => {
    calls.push({ command, args });
    if (command === "cancel_save") return Promise.resolve(null);
    channel = args.onProgress;
    return new Promise((resolve, reject) => {
      finish = { resolve, reject };
    });
  };
  const makeChannel = (onMessage) => ({ send: onMessage });
  return {
    invoke,
    makeChannel,
    calls,
    progress: (bytes, total) => channel.send({ bytes, total }),
    finish: () => finish,
  };
}

const photo = { id: "AAAAAAAAAAAAAAAAAAAAAA", title: "Sea" };
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a save asks for the photo by id and title, then shows progress and the sentence", async () => {
  const server = backend();
  const messages = [];
  const saver = new SaveOriginal(server.invoke, server.makeChannel, () => messages.push(saver.message));
  const saving = saver.save(photo);
  assert.equal(saver.state, "choosing");
  assert.equal(saver.busy, true);
  assert.deepEqual(server.calls[0].command, "save_original");
  assert.equal(server.calls[0].args.id, photo.id);
  assert.equal(server.calls[0].args.title, "Sea");

  server.progress(0, 2_000_000);
  assert.equal(saver.state, "saving");
  assert.equal(saver.message, "Saving the original… 0% of 2.0 MB");
  server.progress(150_000, 2_000_000); // 7%: the same step, not announced again
  assert.equal(saver.message, "Saving the original… 0% of 2.0 MB");
  assert.equal(saver.fraction, 0.075);
  server.progress(900_000, 2_000_000);
  assert.equal(saver.message, "Saving the original… 40% of 2.0 MB");

  server.finish().resolve("Saved Sea.png.");
  await saving;
  assert.equal(saver.state, "saved");
  assert.equal(saver.message, "Saved Sea.png.");
  assert.equal(saver.busy, false);
  server.progress(2_000_000, 2_000_000); // late: ignored
  assert.equal(saver.message, "Saved Sea.png.");
  assert.equal(new Set(messages).size, 4, messages.join(" | "));
});

test("without a size the bytes so far are shown", async () => {
  const server = backend();
  const saver = new SaveOriginal(server.invoke, server.makeChannel, () => {});
  saver.save(photo);
  server.progress(3_100_000, null);
  assert.equal(saver.fraction, null);
  assert.equal(saver.message, "Saving the original… 3.1 MB");
});

test("a closed dialog ends quietly and a failure shows the backend's sentence", async () => {
  const server = backend();
  const saver = new SaveOriginal(server.invoke, server.makeChannel, () => {});
  let saving = saver.save(photo);
  server.finish().resolve(null);
  await saving;
  assert.equal(saver.state, "idle");
  assert.equal(saver.message, "");

  saving = saver.save(photo);
  server.finish().reject("The original was not saved: the disk is full.");
  await saving;
  assert.equal(saver.state, "failed");
  assert.equal(saver.message, "The original was not saved: the disk is full.");
  saver.photoChanged();
  assert.equal(saver.state, "idle");
  assert.equal(saver.message, "");
});

test("one save at a time, and Cancel reaches the backend only while saving", async () => {
  const server = backend();
  const saver = new SaveOriginal(server.invoke, server.makeChannel, () => {});
  await saver.cancel();
  assert.equal(server.calls.length, 0, "nothing to cancel");
  const saving = saver.save(photo);
  await saver.save(photo);
  assert.equal(server.calls.length, 1, "a second save started");
  saver.photoChanged();
  assert.equal(saver.state, "choosing", "a save in progress was forgotten");
  await saver.cancel();
  assert.equal(server.calls[1].command, "cancel_save");
  server.finish().reject("Saving was cancelled. Nothing was saved.");
  await saving;
  await settle();
  assert.equal(saver.state, "failed");
});

test("sizes are written in words", () => {
  assert.equal(sizeText(0), "0 KB");
  assert.equal(sizeText(850_000), "850 KB");
  assert.equal(sizeText(12_400_000), "12.4 MB");
  assert.equal(sizeText(1_200_000_000), "1.2 GB");
});
