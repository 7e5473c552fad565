// Virtual grid: shows a list of thousands of photos with only the tiles near the screen in the
// DOM. The grid element is as tall as every known photo would make it (plus a row of
// placeholders while more may follow), so the scrollbar reflects what is known; tiles are
// absolutely positioned with `transform`, all of one size computed from the column count.
// The photos are grouped by month (timeline.js): each month starts a new row under its
// heading, which stays at the top of the window while its month is scrolled through (sticky,
// within a band as tall as the month). The headings are in a layer of their own over the grid,
// hidden from assistive technology (each tile's label says its date), never focusable.
//
// Each animation frame that something changed (scroll, resize, new photos):
//   1. reads the layout once: the grid's box and the window's height (width comes from a
//      ResizeObserver, the top bar's height too), nothing else, and never after a write;
//   2. computes the rows on screen and one screen above and below;
//   3. releases the tiles and month headings outside that range (their image loads are dropped
//      or cancelled) and places those inside it, reusing released tiles;
//   4. once scrolling has paused for SETTLE_MS, asks the image queue for the thumbnails of the
//      placed tiles, those on screen first (a fast scroll past thousands of photos loads none
//      of the tiles it only flew by);
//   5. tells the owner when that range reaches the last known photo, to fetch the next page.

import { Months, TimelineLayout, monthKey, monthLabel } from "./timeline.js";

/** Narrowest tile; the column count is as many as fit. */
const MIN_TILE_WIDTH = 220;
const GAP = 16;
/** Title and date under the image, borders included (the CSS uses the same value). */
const CAPTION_HEIGHT = 64;
/** A month heading's height above its first row (the CSS uses the same value). */
const HEADING_HEIGHT = 48;
/** Images are shown 3:2, cropped to fill. */
const IMAGE_RATIO = 2 / 3;
/** How long scrolling must pause before thumbnails start loading. */
const SETTLE_MS = 120;
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export class VirtualGrid {
  /**
   * @param element the grid element (`role="list"`), positioned, empty
   * @param headings the month headings' layer, as large as the grid and over it, empty
   * @param source `{ count(), photo(index), photos(), hasMore() }`: the known photos
   * @param queue the ImageQueue thumbnails load through
   * @param handlers `{ open(index), nearEnd() }`
   */
  constructor(element, headings, source, queue, handlers) {
    this.element = element;
    this.headings = headings;
    this.months = new Months();
    /** The TimelineLayout drawn last. */
    this.timeline = null;
    /** month part's first index → its heading band placed now. */
    this.bands = new Map();
    /** How much of the window's top the sticky top bar covers. */
    this.topbarHeight = 0;
    this.source = source;
    this.queue = queue;
    this.handlers = handlers;
    this.width = element.clientWidth;
    this.columns = 0;
    this.rowHeight = 0;
    /** index → tile element placed now (photos and placeholders). */
    this.placed = new Map();
    this.spareTiles = [];
    this.sparePlaceholders = [];
    this.frameAsked = false;
    this.shownEnd = 0;
    this.lastScroll = -Infinity;
    this.settleTimer = null;

    new ResizeObserver((entries) => {
      this.width = entries[entries.length - 1].contentRect.width;
      this.invalidate();
    }).observe(element);
    const topbar = document.querySelector(".topbar");
    new ResizeObserver(() => {
      this.topbarHeight = topbar.offsetHeight;
      this.headings.style.setProperty("--sticky-top", `${this.topbarHeight}px`);
    }).observe(topbar);
    window.addEventListener(
      "scroll",
      () => {
        this.lastScroll = performance.now();
        this.invalidate();
      },
      { passive: true },
    );
    window.addEventListener("resize", () => this.invalidate());
    element.addEventListener("click", (event) => {
      const tile = event.target.closest(".tile");
      if (tile) this.handlers.open(Number(tile.dataset.index));
    });
  }

  /** Redraws at the next animation frame (once, however often it is called). */
  invalidate() {
    if (this.frameAsked) return;
    this.frameAsked = true;
    requestAnimationFrame(() => {
      this.frameAsked = false;
      this.draw();
    });
  }

  /** One past the last photo on screen or above it: what a refreshed list must still hold. */
  shownCount() {
    return this.shownEnd;
  }

  /** Removes every tile (the list was replaced by another account's or emptied). */
  clear() {
    for (const index of [...this.placed.keys()]) this.release(index);
    for (const band of this.bands.values()) band.remove();
    this.bands.clear();
    this.months = new Months();
    this.timeline = null;
    this.element.style.height = "0px";
    this.invalidate();
  }

  /** Scrolls the tile of `index` into view and focuses it (after the viewer closes). */
  reveal(index) {
    if (!this.timeline) return;
    const rect = this.element.getBoundingClientRect();
    const top = rect.top + this.timeline.place(index).top;
    const covered = this.topbarHeight + HEADING_HEIGHT; // the top bar and a month's heading
    if (top < covered || top + this.rowHeight > window.innerHeight) {
      window.scrollTo({ top: window.scrollY + top - (window.innerHeight - this.rowHeight) / 2, behavior: "instant" });
    }
    this.draw();
    const tile = this.placed.get(index);
    if (tile && tile.classList.contains("tile-slot")) tile.firstChild.focus({ preventScroll: true });
  }

  draw() {
    // 1. Read.
    const rect = this.element.getBoundingClientRect();
    const viewportHeight = window.innerHeight;
    if (this.width <= 0) return; // hidden

    // 2. Layout and range.
    const previous = this.timeline;
    const resized = this.layout();
    const regrouped = this.months.update(this.source.photos());
    const count = this.source.count();
    const columns = this.columns;
    // The last known month's last row is filled, and one more row follows, while more may come.
    const lastMonth = this.months.sections.at(-1);
    const filled = lastMonth ? lastMonth.count % columns : 0;
    const placeholders = this.source.hasMore() ? ((columns - filled) % columns) + columns : 0;
    const total = count + placeholders;
    const timeline = new TimelineLayout(this.months.sections, total, {
      columns,
      rowHeight: this.rowHeight,
      headingHeight: HEADING_HEIGHT,
    });
    this.timeline = timeline;
    this.element.style.height = `${Math.max(0, timeline.height - GAP)}px`;
    // Every placed tile moves when the columns or the months changed.
    if (resized || regrouped) for (const [index, tile] of this.placed) this.position(tile, index);

    let top = -rect.top; // how far the window's top is into the grid
    if (previous && previous.columns !== columns && top > 0) top = this.keepAnchor(top, previous, timeline);
    const [visibleStart, visibleEnd] = timeline.range(top, top + viewportHeight);
    const [start, end] = timeline.range(top - viewportHeight, top + 2 * viewportHeight);
    this.shownEnd = Math.min(count, visibleEnd);

    // 3. Write: release what left the range, place what is in it (on-screen tiles first).
    for (const index of [...this.placed.keys()]) {
      if (index < start || index >= end || this.kindOf(index, count) !== this.placed.get(index).dataset.kind) {
        this.release(index);
      }
    }
    const onScreenStart = Math.min(Math.max(start, visibleStart), end);
    const placing = order(start, end, onScreenStart, Math.min(Math.max(onScreenStart, visibleEnd), end));
    for (const index of placing) this.place(index, count);
    this.placeHeadings(timeline.headingsIn(top - viewportHeight, top + 2 * viewportHeight));

    // 4. Thumbnails, once scrolling pauses.
    this.loadImages(placing);

    // 5. Near the end of what is known: ask for more.
    if (end >= count && this.source.hasMore()) this.handlers.nearEnd();
  }

  loadImages(indexes) {
    clearTimeout(this.settleTimer);
    const wait = this.lastScroll + SETTLE_MS - performance.now();
    if (wait > 0) {
      this.settleTimer = setTimeout(() => this.invalidate(), wait);
      return;
    }
    for (const index of indexes) {
      const tile = this.placed.get(index);
      if (!tile || !tile.thumbnail) continue;
      const frame = tile.querySelector(".tile-image");
      const image = frame.firstChild;
      this.queue.load(image, tile.thumbnail, (ok) => {
        if (ok) image.classList.add("loaded");
        else frame.classList.add("broken");
      });
      tile.thumbnail = null;
    }
  }

  /** Sizes the tiles for the grid's width; whether anything changed. */
  layout() {
    const columns = Math.max(1, Math.floor((this.width + GAP) / (MIN_TILE_WIDTH + GAP)));
    const tileWidth = (this.width - (columns - 1) * GAP) / columns;
    const imageHeight = Math.round(tileWidth * IMAGE_RATIO);
    const rowHeight = imageHeight + CAPTION_HEIGHT + GAP;
    if (columns === this.columns && rowHeight === this.rowHeight && tileWidth === this.tileWidth) return false;
    this.columns = columns;
    this.rowHeight = rowHeight;
    this.tileWidth = tileWidth;
    this.element.dataset.columns = String(columns);
    this.element.style.setProperty("--tile-width", `${tileWidth}px`);
    this.element.style.setProperty("--image-height", `${imageHeight}px`);
    this.element.style.setProperty("--caption-height", `${CAPTION_HEIGHT}px`);
    this.headings.style.setProperty("--heading-height", `${HEADING_HEIGHT}px`);
    return true;
  }

  /** After the column count changed: scrolls so that the photo at the top stays at the top. */
  keepAnchor(top, previous, timeline) {
    const anchor = previous.rowStart(previous.partAt(top), top);
    const within = Math.min(1, Math.max(0, (top - previous.place(anchor).top) / previous.rowHeight));
    const newTop = timeline.place(anchor).top + within * timeline.rowHeight;
    window.scrollTo({ top: window.scrollY + newTop - top, behavior: "instant" });
    return newTop;
  }

  /** Shows the headings of `parts` (and no other), each in a band as tall as its month. */
  placeHeadings(parts) {
    const wanted = new Map(parts.map((part) => [part.start, part]));
    for (const [start, band] of this.bands) {
      const part = wanted.get(start);
      if (!part || band.dataset.month !== monthKey(part.month)) {
        band.remove();
        this.bands.delete(start);
      }
    }
    for (const part of parts) {
      let band = this.bands.get(part.start);
      if (!band) {
        band = newBand(part.month);
        this.bands.set(part.start, band);
        this.headings.append(band);
      }
      band.style.top = `${part.top}px`;
      band.style.height = `${part.height - GAP}px`;
    }
  }

  kindOf(index, count) {
    return index < count ? "photo" : "placeholder";
  }

  place(index, count) {
    const kind = this.kindOf(index, count);
    let tile = this.placed.get(index);
    if (kind === "placeholder") {
      if (tile) return;
      tile = this.sparePlaceholders.pop() ?? newPlaceholder();
    } else {
      const photo = this.source.photo(index);
      if (tile && tile.dataset.photoId === photo.id) {
        tile.setAttribute("aria-setsize", this.source.hasMore() ? "-1" : String(count));
        return;
      }
      if (tile) this.release(index);
      tile = this.spareTiles.pop() ?? newTile();
      this.show(tile, photo, index, count);
    }
    this.placed.set(index, tile);
    this.position(tile, index);
    if (!tile.isConnected) this.element.append(tile);
  }

  position(tile, index) {
    const { top, column } = this.timeline.place(index);
    tile.style.transform = `translate(${column * (this.tileWidth + GAP)}px, ${top}px)`;
  }

  show(tile, photo, index, count) {
    const button = tile.firstChild;
    const [frame, caption] = button.children;
    const image = frame.firstChild;
    const [title, date] = caption.children;
    tile.dataset.photoId = photo.id;
    tile.setAttribute("aria-posinset", String(index + 1));
    tile.setAttribute("aria-setsize", this.source.hasMore() ? "-1" : String(count));
    button.dataset.index = String(index);
    const taken = formatDate(photo.taken_at);
    button.setAttribute("aria-label", taken ? `${photo.title}, ${taken}, open large` : `${photo.title}, open large`);
    title.textContent = photo.title;
    title.title = photo.title;
    date.textContent = taken;
    frame.classList.remove("broken");
    image.classList.remove("loaded");
    tile.thumbnail = photo.thumbnail; // loaded by loadImages
  }

  release(index) {
    const tile = this.placed.get(index);
    this.placed.delete(index);
    tile.remove();
    if (tile.dataset.kind === "placeholder") {
      this.sparePlaceholders.push(tile);
    } else {
      const image = tile.querySelector("img");
      this.queue.cancel(image);
      image.removeAttribute("src"); // a spare tile holds no picture
      tile.thumbnail = null;
      delete tile.dataset.photoId;
      this.spareTiles.push(tile);
    }
  }
}

/** The indexes of [start, end), on-screen ones ([visibleStart, visibleEnd)) first, then below, then above. */
function order(start, end, visibleStart, visibleEnd) {
  const indexes = [];
  for (let index = visibleStart; index < visibleEnd; index += 1) indexes.push(index);
  for (let index = visibleEnd; index < end; index += 1) indexes.push(index);
  for (let index = visibleStart - 1; index >= start; index -= 1) indexes.push(index);
  return indexes;
}

function newTile() {
  const tile = document.createElement("div");
  tile.className = "tile-slot";
  tile.dataset.kind = "photo";
  tile.setAttribute("role", "listitem");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tile";
  button.dataset.testid = "photo";
  const frame = document.createElement("span");
  frame.className = "tile-image";
  const image = document.createElement("img");
  image.alt = "";
  image.decoding = "async";
  image.loading = "eager"; // only tiles near the screen exist; the queue decides when they load
  const fallback = document.createElement("span");
  fallback.className = "tile-fallback";
  fallback.textContent = "Could not load this photo";
  frame.append(image, fallback);
  const caption = document.createElement("span");
  caption.className = "tile-caption";
  const title = document.createElement("span");
  title.className = "tile-title";
  const date = document.createElement("span");
  date.className = "tile-date";
  caption.append(title, date);
  button.append(frame, caption);
  tile.append(button);
  return tile;
}

/** A month's band: as tall as the month, holding its heading, which sticks within it. */
function newBand(month) {
  const band = document.createElement("div");
  band.className = "month-band";
  band.dataset.month = monthKey(month);
  const heading = document.createElement("p");
  heading.className = "month-heading";
  heading.dataset.testid = "month-heading";
  const time = document.createElement("time");
  if (month !== null) time.dateTime = monthKey(month);
  time.textContent = monthLabel(month);
  heading.append(time);
  band.append(heading);
  return band;
}

function newPlaceholder() {
  const placeholder = document.createElement("div");
  placeholder.className = "tile-slot tile-placeholder";
  placeholder.dataset.kind = "placeholder";
  placeholder.setAttribute("aria-hidden", "true");
  return placeholder;
}

function formatDate(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : dateFormat.format(date);
}
