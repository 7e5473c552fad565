// Tests of the account list's logic (ui/account-list.js): no DOM, the choose call injected.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  AccountChooser,
  accountItems,
  asksWhichProvider,
  chosenId,
  everyAccountConnected,
  nextIndex,
  providerChoices,
  showsAccountList,
} from "../../ui/account-list.js";

const alex = { id: 0, name: "Alex Rivera", provider: "Demo Photos", state: "connected", chosen: false };
const sam = { id: 1, name: "Sam Lee", provider: "Demo Photos", state: "connected", chosen: true };

test("each account is listed with its name, provider and state, the chosen one marked", () => {
  const items = accountItems({ accounts: [alex, sam] });
  assert.deepEqual(
    items.map((item) => [item.id, item.name, item.provider, item.state, item.stateText, item.chosen]),
    [
      [0, "Alex Rivera", "Demo Photos", "connected", "Connected", false],
      [1, "Sam Lee", "Demo Photos", "connected", "Connected", true],
    ],
  );
  assert.equal(chosenId({ accounts: [alex, sam] }), 1);
  assert.equal(chosenId({ accounts: [] }), null);
});

test("an account whose sign-in waits is named by that", () => {
  const [item] = accountItems({ accounts: [{ id: 2, name: null, provider: "Demo Photos", state: "waiting", chosen: true }] });
  assert.equal(item.name, "New account");
  assert.equal(item.stateText, "Waiting for your browser");
});

test("a single account that never connected shows no list; one connected or several do", () => {
  const lone = { id: 0, name: null, provider: "Demo Photos", state: "disconnected", chosen: true };
  assert.equal(showsAccountList({ accounts: [lone] }), false);
  assert.equal(showsAccountList({}), false, "a status without a list");
  assert.equal(showsAccountList({ accounts: [{ ...alex, chosen: true }] }), true);
  assert.equal(showsAccountList({ accounts: [lone, { ...sam, id: 1, chosen: false }] }), true);
});

test("a start has restored every account once each of them is connected", () => {
  const waiting = { id: 2, name: null, provider: "Demo Photos", state: "waiting", chosen: false };
  assert.equal(everyAccountConnected({ accounts: [{ ...alex, chosen: true }, { ...sam, chosen: false }] }), true);
  assert.equal(everyAccountConnected({ accounts: [{ ...alex, chosen: true }, waiting] }), false);
  assert.equal(everyAccountConnected({ accounts: [] }), false, "no account is not a restored one");
  assert.equal(everyAccountConnected({}), false);
});

test("the arrow keys, Home and End move through the list and wrap", () => {
  assert.equal(nextIndex("ArrowDown", 0, 3), 1);
  assert.equal(nextIndex("ArrowRight", 2, 3), 0);
  assert.equal(nextIndex("ArrowUp", 0, 3), 2);
  assert.equal(nextIndex("Home", 2, 3), 0);
  assert.equal(nextIndex("End", 0, 3), 2);
  assert.equal(nextIndex("Enter", 0, 3), null);
  assert.equal(nextIndex("ArrowDown", 0, 0), null);
});

test("a choice that fails is reported, unless a later choice was made meanwhile", async () => {
  const problems = [];
  const answers = [];
  const chooser = new AccountChooser(
    (id) => new Promise((resolve, reject) => answers.push({ id, resolve, reject })),
    (problem) => problems.push(problem),
  );
  const first = chooser.pick(0);
  const second = chooser.pick(1);
  answers[0].reject("That account is no longer linked.");
  await first;
  assert.deepEqual(problems, [], "the earlier choice's failure is dropped");
  answers[1].reject("That account is no longer linked.");
  await second;
  assert.deepEqual(problems, ["That account is no longer linked."]);
  assert.deepEqual(answers.map((answer) => answer.id), [0, 1]);
});

test("with several providers Add account asks which, listing them in order; with one it does not", () => {
  const demo = { id: "Demo Photos", name: "Demo Photos", issuer: "http://127.0.0.1:1", embedded: false };
  const work = { id: "work", name: "Work Photos", issuer: "https://work.example", embedded: false };
  assert.equal(asksWhichProvider({ providers: [demo, work] }), true);
  assert.deepEqual(providerChoices({ providers: [demo, work] }), [
    { id: "Demo Photos", name: "Demo Photos" },
    { id: "work", name: "Work Photos" },
  ]);
  assert.equal(asksWhichProvider({ providers: [demo] }), false);
  assert.equal(asksWhichProvider({}), false, "a status without providers");
});
