// Tests of the gallery's months (ui/timeline.js) under Node's test runner: grouping the listed
// photos by month without reordering them, the grid's layout with a heading above each month,
// and the words for months and counts. Dates without a time zone are local times, so these
// tests give the same answers in every time zone.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Months, TimelineLayout, countText, monthKey, monthLabel, monthOf } from "../../ui/timeline.js";

const photo = (id, taken_at) => ({ id, title: id, taken_at });
const keys = (months) => months.sections.map((s) => [monthKey(s.month), s.start, s.count]);

test("a photo's month is its local date's; no date or a date JavaScript cannot read is none", () => {
  assert.deepEqual(monthOf("2026-12-01T00:30:00"), { year: 2026, month: 12 });
  assert.deepEqual(monthOf("2019-03-14T10:00:00"), { year: 2019, month: 3 });
  for (const none of [null, undefined, "", "sometime", 12]) assert.equal(monthOf(none), null, String(none));
});

test("photos are grouped in runs of one month in the order listed, never reordered", () => {
  const photos = [
    photo("a", "2026-11-28T15:42:00"),
    photo("b", "2026-11-02T08:00:00"),
    photo("c", "2026-10-31T23:59:00"),
    photo("d", null),
    photo("e", "bad"),
    photo("f", "2025-06-01T10:00:00"),
    photo("g", "2026-11-20T10:00:00"), // a folder walk comes back to November
  ];
  const months = new Months();
  assert.equal(months.update(photos), true);
  assert.deepEqual(keys(months), [
    ["2026-11", 0, 2],
    ["2026-10", 2, 1],
    ["none", 3, 2],
    ["2025-06", 5, 1],
    ["2026-11", 6, 1],
  ]);
});

test("a page appended extends the last month or adds months; a replaced list is grouped again", () => {
  const photos = [photo("a", "2026-11-28T15:42:00"), photo("b", "2026-11-02T08:00:00")];
  const months = new Months();
  months.update(photos);
  const first = months.sections[0];
  assert.equal(months.update(photos), false, "nothing new");
  photos.push(photo("c", "2026-11-01T08:00:00"), photo("d", "2026-09-01T08:00:00"));
  assert.equal(months.update(photos), true);
  assert.deepEqual(keys(months), [
    ["2026-11", 0, 3],
    ["2026-09", 3, 1],
  ]);
  assert.equal(months.sections[0], first, "the months already shown are extended, not rebuilt");

  const fresh = [photo("n", "2024-01-05T08:00:00")];
  months.update(fresh);
  assert.deepEqual(keys(months), [["2024-01", 0, 1]]);
  months.update([]);
  assert.deepEqual(keys(months), []);
});

test("each month starts a new row under its heading and placeholders continue the last month", () => {
  const sections = [
    { month: { year: 2026, month: 11 }, start: 0, count: 5 },
    { month: { year: 2026, month: 10 }, start: 5, count: 2 },
  ];
  // 7 photos and 3 columns: November's 2 rows, October's 1; placeholders fill October's row and
  // one more (slots 7 to 10).
  const layout = new TimelineLayout(sections, 11, { columns: 3, rowHeight: 100, headingHeight: 40 });
  const at = (index) => layout.place(index);
  assert.deepEqual(at(0), { top: 40, column: 0 });
  assert.deepEqual(at(4), { top: 140, column: 1 });
  assert.deepEqual(at(5), { top: 280, column: 0 }, "October starts a row under its heading");
  assert.deepEqual(at(7), { top: 280, column: 2 });
  assert.deepEqual(at(8), { top: 380, column: 0 });
  assert.equal(layout.height, 240 + 40 + 200);
  assert.deepEqual(
    layout.parts.map((p) => [p.top, p.height]),
    [
      [0, 240],
      [240, 240],
    ],
  );

  assert.deepEqual(layout.range(0, 50), [0, 3], "a heading counts as its first row's top");
  assert.deepEqual(layout.range(150, 260), [3, 8], "November's second row to October's first");
  assert.deepEqual(layout.range(-500, 10_000), [0, 11]);
  assert.deepEqual(layout.range(-500, -1), [0, 0], "above the grid");
  assert.deepEqual(layout.range(480, 900), [11, 11], "below the grid");
  assert.deepEqual(
    layout.headingsIn(250, 260).map((p) => p.start),
    [5],
  );
  assert.deepEqual(
    layout.headingsIn(0, 1000).map((p) => p.start),
    [0, 5],
  );
  assert.deepEqual(layout.headingsIn(239, 239).map((p) => p.start), [0], "November's band to its end");
});

test("before any photo, the placeholders make a part without a heading", () => {
  const layout = new TimelineLayout([], 4, { columns: 4, rowHeight: 100, headingHeight: 40 });
  assert.deepEqual(layout.place(0), { top: 0, column: 0 });
  assert.deepEqual(layout.headingsIn(0, 1000), []);
  assert.deepEqual(new TimelineLayout([], 0, { columns: 4, rowHeight: 100, headingHeight: 40 }).range(0, 100), [0, 0]);
});

test("every slot of a large library is placed once, in order, and found where it is placed", () => {
  const photos = [];
  for (let n = 0; n < 10_000; n += 1) {
    const day = 10_000 - n; // one photo a day, newest first
    photos.push(photo(`p${n}`, new Date(2000, 0, day, 12).toISOString().slice(0, 19)));
  }
  const months = new Months();
  months.update(photos);
  for (const columns of [1, 4, 7]) {
    const layout = new TimelineLayout(months.sections, photos.length, { columns, rowHeight: 50, headingHeight: 30 });
    let previous = { top: -1, column: columns - 1 };
    for (let index = 0; index < photos.length; index += 1) {
      const place = layout.place(index);
      const newRow = place.column === 0;
      assert.ok(newRow ? place.top > previous.top : place.top === previous.top && place.column === previous.column + 1, `${index}`);
      const [start, end] = layout.range(place.top + 1, place.top + 2);
      assert.ok(start <= index && index < end, `slot ${index} is not in the range of its row`);
      previous = place;
    }
  }
});

test("months and counts are written in the person's locale", () => {
  assert.equal(monthLabel({ year: 2026, month: 12 }, "en-US"), "December 2026");
  assert.equal(monthLabel({ year: 2026, month: 12 }, "de-DE"), "Dezember 2026");
  assert.equal(monthLabel(null, "en-US"), "Date unknown");
  assert.equal(countText(10_000, false, false, "en-US"), "10,000 photos");
  assert.equal(countText(1_200, true, false, "en-US"), "1,200 photos so far");
  assert.equal(countText(1_200, true, true, "en-US"), "1,200 photos so far, newest first");
  assert.equal(countText(1, false, true, "en-US"), "1 photo, newest first");
  assert.equal(countText(0, true, true, "en-US"), "");
  assert.equal(countText(10_000, false, false, "de-DE"), "10.000 photos");
});
