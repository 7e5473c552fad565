// Gallery: the connected account's photos. Ties together
//
// | piece       | what it is                                                  | file           |
// | ----------- | ----------------------------------------------------------- | -------------- |
// | PhotoList   | the photos known so far, page by page, offline and back     | photo-list.js  |
// | VirtualGrid | the grid, with only the tiles near the screen in the DOM    | grid.js        |
// | Months      | the photos by month, and where tiles and headings lie       | timeline.js    |
// | ImageQueue  | thumbnails load at most IMAGE_LOADS at a time               | image-queue.js |
// | Viewer      | one photo large, with previous and next                     | viewer.js      |
//
// and shows the gallery's states around the grid: how many photos, an empty library, a page
// that failed (with Try again) and the offline notice.

import { VirtualGrid } from "./grid.js";
import { ImageQueue } from "./image-queue.js";
import { PhotoList } from "./photo-list.js";
import { countText } from "./timeline.js";
import { Viewer } from "./viewer.js";

/** Thumbnails loading at once through the `photo:` scheme. */
const IMAGE_LOADS = 6;

const $ = (id) => document.getElementById(id);

export class Gallery {
  constructor(invoke) {
    this.list = new PhotoList(invoke, () => this.changed(), () => this.grid.shownCount());
    /** Between start() and stop(): only then is a page asked for. */
    this.active = false;
    const list = this.list;
    const loadMore = () => (this.active ? list.loadMore() : Promise.resolve());
    // What the grid and the viewer see: no placeholders or further pages after a failure or
    // while stopped.
    const source = {
      count: () => list.photos.length,
      photo: (index) => list.photos[index],
      photos: () => list.photos,
      hasMore: () => this.active && list.hasMore && !list.problem,
      loadMore,
    };
    // Back in the grid, the photo shown last is scrolled to and focused (if still listed).
    this.viewer = new Viewer(
      source,
      (index) => {
        if (list.photos[index]) this.grid.reveal(index);
      },
      invoke,
    );
    this.grid = new VirtualGrid($("grid"), $("grid-months"), source, new ImageQueue(IMAGE_LOADS), {
      open: (index) => this.viewer.open(index),
      nearEnd: loadMore,
    });
    $("gallery-retry").addEventListener("click", () => list.retry());
  }

  /** Shows the photos of the account just connected, from a fresh list. */
  start() {
    this.active = true;
    this.list.reset();
    this.list.loadMore();
  }

  /** Forgets the photos shown (disconnected); nothing is asked for until the next start(). */
  stop() {
    this.active = false;
    this.list.reset();
    this.viewer.close();
    this.grid.clear();
  }

  changed() {
    const { photos, problem, offline, started, loading } = this.list;
    const count = photos.length;
    $("gallery-offline").hidden = !offline;
    $("gallery-problem").hidden = !problem;
    if (problem) $("gallery-problem-text").textContent = `Your photos could not be loaded. ${problem}`;
    $("gallery-empty").hidden = !(started && count === 0 && !problem && !loading && !this.list.hasMore);
    $("gallery-count").textContent = countText(count, this.list.hasMore, this.list.newestFirst);
    this.grid.invalidate();
    this.viewer.refresh();
  }
}
