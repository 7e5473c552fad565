// Viewer: one photo large in a modal `<dialog>`. Left and right arrows (or the buttons) go to
// the previous and next photo, fetching the next page when the known ones run out; Escape (or
// the close button, or a click beside the photo) closes it and puts focus back on the photo's
// tile. A spinner shows while the large image loads; an image that fails says so in place, and
// the arrows keep working. Under the photo, when it was taken and its size (photo-details.js).
// Save original… saves the shown photo's original (save-original.js).

import { detailsText } from "./photo-details.js";
import { bindSaveOriginal } from "./save-original.js";

const $ = (id) => document.getElementById(id);

export class Viewer {
  /**
   * @param source `{ count(), photo(index), hasMore(), loadMore() }`: the known photos
   * @param onClose called with the index of the photo shown last
   * @param invoke the Tauri `invoke`, for Save original…
   */
  constructor(source, onClose, invoke) {
    this.source = source;
    this.onClose = onClose;
    this.dialog = $("lightbox");
    this.image = $("lightbox-image");
    this.shown = -1;
    this.stepping = false;
    this.saver = bindSaveOriginal(invoke, window.__TAURI__.core.Channel, () => this.source.photo(this.shown));

    this.dialog.addEventListener("keydown", (event) => {
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        event.preventDefault();
        this.step(event.key === "ArrowLeft" ? -1 : 1);
      }
    });
    this.dialog.addEventListener("close", () => {
      this.image.removeAttribute("src");
      this.onClose(this.shown);
    });
    this.image.addEventListener("load", () => this.loaded(true));
    this.image.addEventListener("error", () => this.loaded(false));
    $("lightbox-close").addEventListener("click", () => this.close());
    $("lightbox-prev").addEventListener("click", () => this.step(-1));
    $("lightbox-next").addEventListener("click", () => this.step(1));
    // A click on the dark area around the photo closes it.
    this.dialog.querySelector(".lightbox-stage").addEventListener("click", (event) => {
      if (event.target === event.currentTarget) this.close();
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  open(index) {
    this.shown = index;
    this.show();
    if (!this.dialog.open) this.dialog.showModal();
    $("lightbox-close").focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  /** After the list changed: the position line and the arrows follow it. */
  refresh() {
    if (this.dialog.open) this.updateControls();
  }

  async step(delta) {
    if (this.stepping) return;
    const next = this.shown + delta;
    if (next < 0) return;
    this.stepping = true;
    try {
      if (next >= this.source.count() && this.source.hasMore()) await this.source.loadMore();
    } finally {
      this.stepping = false;
    }
    if (!this.dialog.open || next >= this.source.count()) {
      this.updateControls();
      return;
    }
    this.shown = next;
    this.show();
  }

  show() {
    const photo = this.source.photo(this.shown);
    if (!photo) return;
    $("lightbox-title").textContent = photo.title;
    $("lightbox-details").textContent = detailsText(photo);
    $("lightbox-failed").hidden = true;
    $("lightbox-loading").hidden = false;
    this.image.hidden = true;
    this.image.alt = photo.title;
    this.image.decoding = "async";
    this.image.src = photo.image;
    this.saver.photoChanged();
    this.updateControls();
  }

  loaded(ok) {
    if (!this.image.getAttribute("src")) return; // cleared on close
    $("lightbox-loading").hidden = true;
    this.image.hidden = !ok;
    $("lightbox-failed").hidden = ok;
  }

  updateControls() {
    const count = this.source.count();
    const more = this.source.hasMore();
    $("lightbox-position").textContent = `${this.shown + 1} of ${count}${more ? "+" : ""}`;
    $("lightbox-prev").disabled = this.shown <= 0;
    $("lightbox-next").disabled = this.shown >= count - 1 && !more;
  }
}
