// Tests of the window's photo list (ui/photo-list.js) with Node's built-in test runner:
// `node --test tests/ui/*.test.mjs` (the UI is plain ES modules with no package.json of its own;
// Node 20.19 and later recognise them by their syntax). The `photos` command is a stand-in that answers from a script of
// pages, the way the backend answers the window.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OFFLINE_RETRY_MS, PhotoList } from "../../ui/photo-list.js";

/** A `photos` command answering each call with the next scripted answer (an Error throws). */
function scripted(...answers) {
  const calls = [];
  const invoke = async (command, args) => {
    calls.push(args.pageToken);
    const answer = answers.shift();
    if (answer === undefined) throw new Error("no more answers scripted");
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { invoke, calls };
}

const photo = (id) => ({ id, title: id, thumbnail: `photo://localhost/${id}/thumbnail` });
const page = (ids, next = null, offline) => ({ photos: ids.map(photo), next_page_token: next, offline });
const ids = (list) => list.photos.map((p) => p.id);
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("pages are appended in order and a photo listed twice is kept once", async () => {
  const { invoke, calls } = scripted(page(["a", "b"], "t1"), page(["b", "c"], null));
  const list = new PhotoList(invoke, () => {}, () => 0);
  await list.loadMore();
  await list.loadMore();
  assert.deepEqual(ids(list), ["a", "b", "c"]);
  assert.deepEqual(calls, [null, "t1"]);
  assert.equal(list.hasMore, false);
  await list.loadMore(); // complete: no further call
  assert.equal(calls.length, 2);
});

test("the list is newest first as far as the latest answer says so", async () => {
  const newest = { ...page(["a"], "t1"), newest_first: true };
  const { invoke } = scripted(newest, page(["b"], "t2"), { ...page(["c"]), newest_first: "yes" });
  const list = new PhotoList(invoke, () => {}, () => 0);
  assert.equal(list.newestFirst, false, "nothing is claimed before an answer");
  await list.loadMore();
  assert.equal(list.newestFirst, true);
  await list.loadMore();
  assert.equal(list.newestFirst, false, "an answer without the field claims no order");
  await list.loadMore();
  assert.equal(list.newestFirst, false, "only true claims it");
  list.reset();
  assert.equal(list.newestFirst, false);
});

test("a failed page stops loading until Try again", async () => {
  const { invoke, calls } = scripted(page(["a"], "t1"), new Error("Test Photos had a problem (HTTP 500)."), page(["b"]));
  const list = new PhotoList(invoke, () => {}, () => 0);
  await list.loadMore();
  await list.loadMore();
  assert.equal(list.problem, "Error: Test Photos had a problem (HTTP 500).");
  await list.loadMore(); // nothing by itself after a failure
  assert.equal(calls.length, 2);
  await list.retry();
  assert.equal(list.problem, null);
  assert.deepEqual(ids(list), ["a", "b"]);
  assert.deepEqual(calls, [null, "t1", "t1"]);
});

test("concurrent requests for more share one call", async () => {
  const { invoke, calls } = scripted(page(["a"], "t1"));
  const list = new PhotoList(invoke, () => {}, () => 0);
  await Promise.all([list.loadMore(), list.loadMore(), list.loadMore()]);
  assert.equal(calls.length, 1);
});

test("answers to requests made before a reset are ignored", async () => {
  let release;
  const invoke = () => new Promise((resolve) => (release = () => resolve(page(["old"]))));
  const list = new PhotoList(invoke, () => {}, () => 0);
  const loading = list.loadMore();
  list.reset();
  release();
  await loading;
  assert.deepEqual(ids(list), []);
});

test("offline, the first page is asked for again every interval, and an online answer replaces the saved list as far as it is shown", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { invoke, calls } = scripted(
    page(["s1", "s2"], "saved", true),
    page(["s3"], null, true),
    page(["s1"], null, true), // still offline at the first retry
    page(["n1", "n2"], "fresh"), // online: a fresh list, loaded as far as the grid shows
    page(["n3", "n4"], "fresh2"),
  );
  let changes = 0;
  const list = new PhotoList(invoke, () => (changes += 1), () => 3);
  await list.loadMore();
  await list.loadMore();
  assert.equal(list.offline, true);
  assert.deepEqual(ids(list), ["s1", "s2", "s3"]);

  t.mock.timers.tick(OFFLINE_RETRY_MS - 1);
  await settle();
  assert.equal(calls.length, 2, "asked again too early");
  t.mock.timers.tick(1);
  await settle();
  assert.equal(calls.length, 3);
  assert.equal(list.offline, true);
  assert.deepEqual(ids(list), ["s1", "s2", "s3"], "a saved answer replaced the list");

  t.mock.timers.tick(OFFLINE_RETRY_MS);
  for (let i = 0; i < 5; i += 1) await settle();
  assert.equal(list.offline, false);
  assert.deepEqual(ids(list), ["n1", "n2", "n3", "n4"]);
  assert.deepEqual(calls.slice(3), [null, "fresh"]);
  assert.equal(list.nextPageToken, "fresh2");
  assert.ok(changes > 0);
});

test("an answer without the offline field is online", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { invoke, calls } = scripted(page(["a"], null));
  const list = new PhotoList(invoke, () => {}, () => 0);
  await list.loadMore();
  assert.equal(list.offline, false);
  t.mock.timers.tick(OFFLINE_RETRY_MS * 2);
  await settle();
  assert.equal(calls.length, 1, "an online list was asked for again");
});
