// Timeline: the known photos grouped by the month they were taken, in the order they are listed,
// where each tile and month heading lies in the grid, and the words for months and counts.
// No DOM here (tested under Node: tests/ui/timeline.test.mjs); grid.js draws what this says.
//
// - A month is a run of photos listed one after another that were taken in the same month (in
//   the time zone the window shows dates in). The photos are never reordered: a source whose
//   order is not strictly by date (a OneDrive folder walk) shows a month again where it comes
//   again, under a heading of its own. A run of photos without a date is a month of its own,
//   "Date unknown".
// - The layout is the grid's: every month starts a new row under its heading; rows are
//   `rowHeight` apart (a tile's height plus the gap). Placeholders for photos still to come
//   continue the last month.

/** A photo's month, `{ year, month }` (month 1–12), or null when it has no usable date. */
export function monthOf(takenAt) {
  if (typeof takenAt !== "string" || takenAt === "") return null;
  const date = new Date(takenAt);
  if (Number.isNaN(date.getTime())) return null;
  return { year: date.getFullYear(), month: date.getMonth() + 1 };
}

function sameMonth(a, b) {
  return a === b || (a !== null && b !== null && a.year === b.year && a.month === b.month);
}

/** The photos grouped into runs of one month: `sections`, each `{ month, start, count }`. */
export class Months {
  constructor() {
    this.sections = [];
    this.photos = null;
    this.grouped = 0;
  }

  /**
   * Brings the months up to date with `photos`: only the photos added since the last call are
   * grouped when the list grew; a list replaced or shortened is grouped again from the start.
   * @returns whether anything changed
   */
  update(photos) {
    if (photos !== this.photos || photos.length < this.grouped) {
      this.photos = photos;
      this.sections = [];
      this.grouped = 0;
    }
    if (photos.length === this.grouped) return false;
    let last = this.sections[this.sections.length - 1];
    for (let index = this.grouped; index < photos.length; index += 1) {
      const month = monthOf(photos[index].taken_at);
      if (last && sameMonth(last.month, month)) {
        last.count += 1;
      } else {
        last = { month, start: index, count: 1 };
        this.sections.push(last);
      }
    }
    this.grouped = photos.length;
    return true;
  }
}

/**
 * Where every slot (a photo, or a placeholder after the known photos) and every month heading
 * lies in the grid, for a column count and row height.
 */
export class TimelineLayout {
  /**
   * @param sections the months (`Months.sections`)
   * @param slots photos plus placeholders: the placeholders extend the last month (or, before
   *   any photo is known, make a part of their own, with no heading)
   * @param sizes `{ columns, rowHeight, headingHeight }`
   */
  constructor(sections, slots, { columns, rowHeight, headingHeight }) {
    this.columns = columns;
    this.rowHeight = rowHeight;
    this.headingHeight = headingHeight;
    this.slots = slots;
    /** `{ month, start, count, top, rowsTop, height, heading }` for each part. */
    this.parts = [];
    let top = 0;
    sections.forEach((section, n) => {
      const last = n === sections.length - 1;
      const count = last ? Math.max(section.count, slots - section.start) : section.count;
      top = this.add(section.month, section.start, count, top, true);
    });
    if (sections.length === 0 && slots > 0) this.add(null, 0, slots, top, false);
    this.height = top;
  }

  add(month, start, count, top, heading) {
    const rowsTop = top + (heading ? this.headingHeight : 0);
    const height = rowsTop - top + Math.ceil(count / this.columns) * this.rowHeight;
    this.parts.push({ month, start, count, top, rowsTop, height, heading });
    return top + height;
  }

  /** The part that holds slot `index` (the last one for an index past the end). */
  partOf(index) {
    return this.search((part) => part.start <= index);
  }

  /** The last part that starts at or above `y` (the first when `y` is above them all). */
  partAt(y) {
    return this.search((part) => part.top <= y);
  }

  /** The last part for which `before(part)` holds (they hold for a prefix), else the first. */
  search(before) {
    let low = 0;
    let high = this.parts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (before(this.parts[middle])) low = middle;
      else high = middle - 1;
    }
    return this.parts[low];
  }

  /** The top of slot `index`'s row, and its column. */
  place(index) {
    const part = this.partOf(index);
    const within = index - part.start;
    return {
      top: part.rowsTop + Math.floor(within / this.columns) * this.rowHeight,
      column: within % this.columns,
    };
  }

  /**
   * The slots whose rows reach between `from` and `to` (grid coordinates, `from` < `to`), as
   * `[start, end)`; a heading counts as the top of its first row. Above the grid the range is
   * empty at its start, below it empty at its end.
   */
  range(from, to) {
    if (this.parts.length === 0 || to < 0) return [0, 0];
    if (from >= this.height) return [this.slots, this.slots];
    const first = this.partAt(from);
    const last = this.partAt(to);
    const start = this.rowStart(first, from);
    const end = Math.min(last.start + last.count, this.rowStart(last, to) + this.columns);
    return [start, Math.min(end, this.slots)];
  }

  /** The first slot of the row of `part` that reaches `y` (its first or last row beyond them). */
  rowStart(part, y) {
    const rows = Math.ceil(part.count / this.columns);
    const row = Math.min(rows - 1, Math.max(0, Math.floor((y - part.rowsTop) / this.rowHeight)));
    return part.start + row * this.columns;
  }

  /** The parts with a heading whose box reaches between `from` and `to`. */
  headingsIn(from, to) {
    if (this.parts.length === 0) return [];
    const parts = [];
    for (let n = this.parts.indexOf(this.partAt(from)); n < this.parts.length; n += 1) {
      const part = this.parts[n];
      if (part.top > to) break;
      if (part.heading && part.top + part.height > from) parts.push(part);
    }
    return parts;
  }
}

/** "November 2026" in the person's locale; "Date unknown" for photos without a date. */
export function monthLabel(month, locale) {
  if (month === null) return "Date unknown";
  const format = new Intl.DateTimeFormat(locale, { month: "long", year: "numeric" });
  return format.format(new Date(month.year, month.month - 1, 1));
}

/** A month's key for the DOM (`2026-11`, or `none`): machine-readable, as `<time datetime>`. */
export function monthKey(month) {
  return month === null ? "none" : `${String(month.year).padStart(4, "0")}-${String(month.month).padStart(2, "0")}`;
}

/**
 * "10,000 photos", "1 photo", "1,200 photos so far" (more pages to come) in the person's locale,
 * then ", newest first" when the service says it lists them so.
 */
export function countText(count, more, newestFirst, locale) {
  if (count === 0) return "";
  const number = new Intl.NumberFormat(locale).format(count);
  return `${number} photo${count === 1 ? "" : "s"}${more ? " so far" : ""}${newestFirst ? ", newest first" : ""}`;
}
