// Save original… in the viewer: asks the backend to save the shown photo's original where the
// person chooses in the system's save dialog (the backend opens it; this page names no path),
// then shows how far the save has come, with Cancel, until it says how it ended. One save at a
// time; it goes on when the viewer closes, and the viewer shows it again when reopened.
//
// `SaveOriginal` is the logic (no DOM, tested under Node in tests/ui); `bindSaveOriginal`
// ties it to the viewer's elements.

/** The steps of the announced progress: the live region speaks at most once per step. */
const ANNOUNCE_STEP_PERCENT = 10;

/** `bytes` in words a person reads: "850 KB", "12.4 MB", "1.2 GB". */
export function sizeText(bytes) {
  if (bytes < 1000 * 1000) return `${Math.max(0, Math.round(bytes / 1000))} KB`;
  if (bytes < 1000 * 1000 * 1000) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

export class SaveOriginal {
  /**
   * @param invoke the Tauri `invoke`
   * @param makeChannel `(onMessage) => channel`: a Tauri `Channel` whose messages go to `onMessage`
   * @param changed called after every change of `state`
   */
  constructor(invoke, makeChannel, changed) {
    this.invoke = invoke;
    this.makeChannel = makeChannel;
    this.changed = changed;
    /** `idle`, `choosing` (the save dialog is open), `saving`, `saved` or `failed`. */
    this.state = "idle";
    this.bytes = 0;
    this.total = null;
    /** What the person is told (the live region): changes only at steps worth announcing. */
    this.message = "";
  }

  get busy() {
    return this.state === "choosing" || this.state === "saving";
  }

  /** The fraction saved, `null` while the size is unknown. */
  get fraction() {
    return this.total ? Math.min(1, this.bytes / this.total) : null;
  }

  /** Saves the original of `photo` (`{ id, title }`); resolves when the save has ended. */
  async save(photo) {
    if (this.busy) return;
    this.set("choosing", "");
    this.bytes = 0;
    this.total = null;
    const channel = this.makeChannel((progress) => this.progressed(progress));
    try {
      const saved = await this.invoke("save_original", { id: photo.id, title: photo.title, onProgress: channel });
      if (saved) this.set("saved", saved);
      else this.set("idle", ""); // the dialog was closed without choosing
    } catch (error) {
      this.set("failed", String(error));
    }
  }

  /** Another photo is shown: how the last save ended no longer applies to it. */
  photoChanged() {
    if (!this.busy && this.state !== "idle") this.set("idle", "");
  }

  /** Stops the save in progress; the backend removes what was written. */
  async cancel() {
    if (this.busy) await this.invoke("cancel_save", {});
  }

  progressed({ bytes, total }) {
    if (!this.busy) return; // a late message after the end
    const first = this.state === "choosing";
    const step = (fraction) => Math.floor((fraction * 100) / ANNOUNCE_STEP_PERCENT);
    const before = this.fraction;
    this.bytes = bytes;
    this.total = total ?? null;
    const after = this.fraction;
    const announce = first || (after !== null && before !== null && step(after) !== step(before));
    this.state = "saving";
    if (announce) this.message = this.progressText();
    this.changed();
  }

  /** "Saving the original… 40% of 12.4 MB", or "Saving the original… 3.1 MB" without a size. */
  progressText() {
    if (this.fraction === null) return `Saving the original… ${sizeText(this.bytes)}`;
    const percent = Math.floor((this.fraction * 100) / ANNOUNCE_STEP_PERCENT) * ANNOUNCE_STEP_PERCENT;
    return `Saving the original… ${percent}% of ${sizeText(this.total)}`;
  }

  set(state, message) {
    this.state = state;
    this.message = message;
    this.changed();
  }
}

/** `(onMessage) => channel`: makes Tauri `Channel`s whose messages go to `onMessage`. */
export function channelMaker(Channel) {
  return (onMessage) => {
    const channel = new Channel();
    channel.onmessage = onMessage;
    return channel;
  };
}

/**
 * Ties a `SaveOriginal` to the viewer's Save original… elements.
 * @param currentPhoto `() => photo`: the photo the viewer shows
 */
export function bindSaveOriginal(invoke, Channel, currentPhoto) {
  const $ = (id) => document.getElementById(id);
  const button = $("save-original");
  const cancel = $("save-cancel");
  const bar = $("save-progress");
  const status = $("save-status");
  const saver = new SaveOriginal(
    invoke,
    channelMaker(Channel),
    () => {
      const { state } = saver;
      // Not `disabled`: a disabled button loses the focus, and the person their place.
      button.setAttribute("aria-disabled", String(saver.busy));
      cancel.hidden = !saver.busy;
      bar.hidden = state !== "saving";
      if (saver.fraction === null) bar.removeAttribute("value");
      else bar.value = saver.fraction;
      status.dataset.state = state;
      if (status.textContent !== saver.message) status.textContent = saver.message;
      // Focus must not be lost on a button that disappears.
      if (!saver.busy && document.activeElement === cancel) button.focus();
    },
  );
  button.addEventListener("click", () => {
    const photo = currentPhoto();
    if (photo) saver.save(photo);
  });
  cancel.addEventListener("click", () => saver.cancel());
  return saver;
}
