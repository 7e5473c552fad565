// Photo list: the account's photos as far as they are known, fetched page by page with the
// `photos` command ({ photos, next_page_token, offline }) as the grid or the viewer needs them.
//
// - One page at a time; a page that fails sets `problem` and nothing loads by itself until
//   `retry()` (the backend already retried; repeating it here would hammer a failing service).
// - A photo listed twice (the provider's list changed between pages) is kept once, by id.
// - `newest_first === true` in the latest answer means the service lists newest first.
// - `offline === true` in an answer means the backend showed its saved list because the provider
//   could not be reached. The first page is then asked for again every OFFLINE_RETRY_MS; once an
//   answer comes back online, a fresh list is loaded up to what the grid shows and replaces the
//   saved one in one step, so the scroll position stays. A missing `offline` means online.
// - `reset()` forgets everything; answers to requests made before it are ignored.

export const OFFLINE_RETRY_MS = 15_000;

export class PhotoList {
  /**
   * @param invoke the Tauri command function
   * @param onChange called after every change of the list or its state
   * @param shownCount how many photos, from the first, the window shows or has scrolled past:
   *   a fresh list replacing the saved one is loaded at least that far
   */
  constructor(invoke, onChange, shownCount) {
    this.invoke = invoke;
    this.onChange = onChange;
    this.shownCount = shownCount;
    this.generation = 0;
    this.clear();
  }

  clear() {
    this.photos = [];
    this.ids = new Set();
    this.nextPageToken = null;
    this.started = false;
    this.pending = null;
    this.problem = null;
    this.offline = false;
    this.newestFirst = false;
    clearTimeout(this.offlineTimer);
    this.offlineTimer = null;
  }

  /** Forgets the list (after connecting or disconnecting). */
  reset() {
    this.generation += 1;
    this.clear();
    this.onChange();
  }

  get loading() {
    return this.pending !== null;
  }

  /** Whether more photos may follow the known ones. */
  get hasMore() {
    return !this.started || this.nextPageToken !== null;
  }

  /** Loads the next page unless one is loading, the list is complete or the last page failed. */
  loadMore() {
    if (this.pending) return this.pending;
    if (!this.hasMore || this.problem) return Promise.resolve();
    this.pending = this.fetchNext().finally(() => {
      this.pending = null;
      this.onChange();
    });
    this.onChange();
    return this.pending;
  }

  /** "Try again" after a failed page. */
  retry() {
    this.problem = null;
    return this.loadMore();
  }

  async fetchNext() {
    const generation = this.generation;
    try {
      const page = await this.invoke("photos", { pageToken: this.nextPageToken });
      if (generation !== this.generation) return;
      this.append(page);
      this.noteOffline(page, generation);
    } catch (error) {
      if (generation !== this.generation) return;
      this.problem = String(error);
    }
  }

  append(page) {
    this.started = true;
    this.nextPageToken = page.next_page_token ?? null;
    this.newestFirst = page.newest_first === true;
    for (const photo of page.photos) {
      if (this.ids.has(photo.id)) continue;
      this.ids.add(photo.id);
      this.photos.push(photo);
    }
  }

  noteOffline(page, generation) {
    if (page.offline === true) {
      if (!this.offline) {
        this.offline = true;
        this.scheduleOnlineCheck(generation);
      }
    } else if (this.offline) {
      // Back online in the middle of the saved list: start over from a fresh first page.
      this.scheduleOnlineCheck(generation, 0);
    }
  }

  scheduleOnlineCheck(generation, delay = OFFLINE_RETRY_MS) {
    clearTimeout(this.offlineTimer);
    this.offlineTimer = setTimeout(() => {
      if (generation === this.generation) this.checkOnline(generation);
    }, delay);
  }

  /** Asks for the first page again; online, replaces the saved list with a fresh one. */
  async checkOnline(generation) {
    while (this.pending) await this.pending.catch(() => {});
    if (generation !== this.generation) return;
    this.pending = this.reload(generation).finally(() => {
      this.pending = null;
      this.onChange();
    });
    await this.pending;
  }

  async reload(generation) {
    const wanted = Math.min(this.photos.length, this.shownCount());
    // The fresh pages are gathered apart, so the saved list stays shown until they replace it.
    const fresh = new PhotoList(this.invoke, () => {}, () => 0);
    try {
      do {
        const page = await this.invoke("photos", { pageToken: fresh.nextPageToken });
        if (generation !== this.generation) return;
        if (page.offline === true) {
          this.scheduleOnlineCheck(generation);
          return;
        }
        fresh.append(page);
      } while (fresh.photos.length < wanted && fresh.nextPageToken !== null);
    } catch {
      if (generation === this.generation) this.scheduleOnlineCheck(generation);
      return;
    }
    this.photos = fresh.photos;
    this.ids = fresh.ids;
    this.nextPageToken = fresh.nextPageToken;
    this.newestFirst = fresh.newestFirst;
    this.problem = null;
    this.offline = false;
  }
}
