// Account list: the linked accounts as the window lists them, from the status's `accounts`
// ({ id, name, provider, state, chosen }), and choosing one with the `chooseAccount` call.
//
// - The list shows when there is something to choose or add: more than one account, or one
//   that is not simply disconnected. A single account that never connected looks as it always
//   did (the Connect view alone).
// - An account without a name yet (its sign-in is waiting) is named by its state.
// - With several providers in the settings, Add account (and Connect) first asks which one
//   (`providerChoices`); with one it goes straight on.
// - Choosing is one call at a time from the window's point of view: a later choice wins, and
//   the answer or failure of an earlier one is dropped. The status event shows the result.

const STATE_TEXT = {
  disconnected: "Not connected",
  waiting: "Waiting for your browser",
  exchanging: "Finishing sign-in",
  connected: "Connected",
  error: "Needs attention",
};

/** The accounts of `status`, as the list shows them. */
export function accountItems(status) {
  return (status.accounts ?? []).map((account) => ({
    id: account.id,
    name: account.name ?? (account.state === "waiting" ? "New account" : "Account"),
    provider: account.provider ?? "",
    state: account.state,
    stateText: STATE_TEXT[account.state] ?? account.state,
    chosen: account.chosen,
  }));
}

/** Whether the window shows the list (and its Add account button). */
export function showsAccountList(status) {
  const accounts = status.accounts ?? [];
  return accounts.length > 1 || accounts.some((account) => account.state !== "disconnected");
}

/** Whether every account of `status` is connected (and there is one): a start that restored
 * them all. */
export function everyAccountConnected(status) {
  const accounts = status.accounts ?? [];
  return accounts.length > 0 && accounts.every((account) => account.state === "connected");
}

/** The providers Add account offers, as `{ id, name }`, in the settings' order. */
export function providerChoices(status) {
  return (status.providers ?? []).map(({ id, name }) => ({ id, name }));
}

/** Whether Add account (and Connect) asks which provider first: the settings have several. */
export function asksWhichProvider(status) {
  return (status.providers ?? []).length > 1;
}

/** The id of the chosen account, or null. */
export function chosenId(status) {
  const chosen = (status.accounts ?? []).find((account) => account.chosen);
  return chosen ? chosen.id : null;
}

/** The index the arrow, Home and End keys move focus to in a list of `count`, or null. */
export function nextIndex(key, index, count) {
  if (count === 0) return null;
  switch (key) {
    case "ArrowDown":
    case "ArrowRight":
      return (index + 1) % count;
    case "ArrowUp":
    case "ArrowLeft":
      return (index - 1 + count) % count;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

export class AccountChooser {
  /**
   * @param choose the `chooseAccount` call (resolves when the backend has chosen)
   * @param onProblem called with the sentence of a choice that failed, unless a later one was made
   */
  constructor(choose, onProblem) {
    this.choose = choose;
    this.onProblem = onProblem;
    this.asked = 0;
  }

  /** Chooses account `id`; resolves once answered. */
  async pick(id) {
    const ask = ++this.asked;
    try {
      await this.choose(id);
    } catch (error) {
      if (ask === this.asked) this.onProblem(String(error));
    }
  }
}
