// Choose photos… for an account whose photos come from the Google Photos Picker: what the
// Picker means (PhotoLink sees only the photos chosen), the button that opens Google Photos in
// the browser, how far choosing has come (with the time allowed), what was added, and, once
// Google's links have expired, what choosing again does. Every sentence comes from the backend.
//
// `ChoosePhotos` is the logic (no DOM, tested under Node in tests/ui); `bindChoosePhotos` ties
// it to the connected view's elements.

import { channelMaker } from "./save-original.js";

export class ChoosePhotos {
  /**
   * @param invoke the Tauri `invoke`
   * @param makeChannel `(onMessage) => channel`: a Tauri `Channel` whose messages go to `onMessage`
   * @param changed called after every change
   * @param added called after photos were chosen, so that the gallery lists them
   * @param later `(task, milliseconds) => cancel`: runs `task` later (a timer)
   */
  constructor(invoke, makeChannel, changed, added, later) {
    this.invoke = invoke;
    this.makeChannel = makeChannel;
    this.changed = changed;
    this.added = added;
    this.later = later;
    /** Cancels the timer that asks again once Google's links have expired. */
    this.cancelTimer = null;
    /** Whether the account's photos come from the Picker (else nothing of this is shown). */
    this.picker = false;
    this.chosen = 0;
    this.explanation = "";
    /** What choosing again does, once the links to the photos chosen have expired; "" before. */
    this.expired = "";
    /** `idle`, `waiting` (the picker is open in the browser), `reading`, `done` or `failed`. */
    this.state = "idle";
    /** What the person is told about choosing (the live region). */
    this.message = "";
    /** Bumped by reset(): an answer to a call made before is dropped. */
    this.generation = 0;
  }

  get busy() {
    return this.state === "waiting" || this.state === "reading";
  }

  /** Asks the backend whether the account's photos come from the Picker, and what to say. */
  async refresh() {
    const generation = this.generation;
    let state;
    try {
      state = await this.invoke("chosen_photos", {});
    } catch {
      return; // not connected (any more): the connected view is not shown
    }
    if (generation !== this.generation) return;
    this.picker = state.picker;
    this.chosen = state.chosen;
    this.explanation = state.explanation ?? "";
    this.expired = state.expired ?? "";
    this.stopTimer();
    // Google's links expire while the window is open: ask again then, so that it says so.
    if (state.expiresInSeconds) {
      this.cancelTimer = this.later(() => this.refresh(), (state.expiresInSeconds + 1) * 1000);
    }
    this.changed();
  }

  stopTimer() {
    if (this.cancelTimer) this.cancelTimer();
    this.cancelTimer = null;
  }

  /** Choose photos…: resolves when choosing has ended. */
  async choose() {
    if (this.busy || !this.picker) return;
    const generation = this.generation;
    this.set("waiting", "");
    const channel = this.makeChannel((progress) => {
      if (generation !== this.generation || !this.busy) return; // late, or after the end
      this.set(progress.step === "reading" ? "reading" : "waiting", progress.message);
    });
    let outcome;
    try {
      outcome = { state: "done", message: await this.invoke("choose_photos", { onProgress: channel }) };
    } catch (error) {
      outcome = { state: "failed", message: String(error) };
    }
    if (generation !== this.generation) return;
    this.set(outcome.state, outcome.message);
    if (outcome.state === "done") {
      this.added();
      await this.refresh();
    }
  }

  /** Disconnected: forgets everything; answers still on their way are dropped. */
  reset() {
    this.generation += 1;
    this.stopTimer();
    this.picker = false;
    this.chosen = 0;
    this.explanation = "";
    this.expired = "";
    this.set("idle", "");
  }

  set(state, message) {
    this.state = state;
    this.message = message;
    this.changed();
  }
}

/**
 * Ties a `ChoosePhotos` to the connected view's elements.
 * @param added called after photos were chosen
 */
export function bindChoosePhotos(invoke, Channel, added) {
  const $ = (id) => document.getElementById(id);
  const panel = $("picker");
  const button = $("choose-photos");
  const chooser = new ChoosePhotos(
    invoke,
    channelMaker(Channel),
    () => {
      panel.hidden = !chooser.picker;
      $("picker-explanation").textContent = chooser.explanation;
      $("picker-expired").textContent = chooser.expired;
      $("picker-expired").hidden = !chooser.expired;
      // Not `disabled`: a disabled button loses the focus, and the person their place.
      button.setAttribute("aria-disabled", String(chooser.busy));
      const status = $("picker-status");
      status.dataset.state = chooser.state;
      if (status.textContent !== chooser.message) status.textContent = chooser.message;
    },
    added,
    (task, milliseconds) => {
      const timer = setTimeout(task, milliseconds);
      return () => clearTimeout(timer);
    },
  );
  button.addEventListener("click", () => chooser.choose());
  return chooser;
}
