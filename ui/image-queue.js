// Image queue: loads `<img>` sources a few at a time, so that scrolling through thousands of
// photos never has more than `limit` thumbnails in flight through the `photo:` scheme.
//
// - `load(image, url, done)` queues a load; `done(ok)` is called once it ends.
// - `cancel(image)` drops a queued load, or stops one in flight by clearing `src` (a recycled
//   tile calls it, so photos scrolled away are never waited for).
// - Loads start in the order asked (the grid asks for the tiles on screen first).

export class ImageQueue {
  constructor(limit) {
    this.limit = limit;
    /** Loads waiting for a free slot: image → { url, done }. Map keeps insertion order. */
    this.waiting = new Map();
    /** Loads in flight: image → { url, done, finish }. */
    this.running = new Map();
  }

  load(image, url, done) {
    this.cancel(image);
    this.waiting.set(image, { url, done });
    this.pump();
  }

  cancel(image) {
    this.waiting.delete(image);
    const load = this.running.get(image);
    if (!load) return;
    this.running.delete(image);
    image.removeEventListener("load", load.finish);
    image.removeEventListener("error", load.finish);
    image.removeAttribute("src"); // stops the download
    this.pump();
  }

  pump() {
    while (this.running.size < this.limit && this.waiting.size > 0) {
      const [image, load] = this.waiting.entries().next().value;
      this.waiting.delete(image);
      this.start(image, load);
    }
  }

  start(image, load) {
    const finish = (event) => {
      if (this.running.get(image) !== load) return;
      this.running.delete(image);
      image.removeEventListener("load", finish);
      image.removeEventListener("error", finish);
      load.done(event.type === "load" && image.naturalWidth > 0);
      this.pump();
    };
    load.finish = finish;
    this.running.set(image, load);
    image.addEventListener("load", finish);
    image.addEventListener("error", finish);
    image.src = load.url;
  }
}
