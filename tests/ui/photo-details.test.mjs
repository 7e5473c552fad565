// Tests of the viewer's details line (ui/photo-details.js) under Node's test runner: the date
// taken, the pixels and the file's size, each only when known, in the person's locale.
import assert from "node:assert/strict";
import { test } from "node:test";

import { detailsText, fileSize } from "../../ui/photo-details.js";

test("the date taken, the pixels and the file size are shown as far as they are known", () => {
  const photo = { taken_at: "2019-03-14T10:00:00", width: 4032, height: 3024, bytes: 3_518_417 };
  assert.equal(detailsText(photo, "en-US"), "March 14, 2019 at 10:00 AM · 4,032 × 3,024 pixels · 3.5 MB");
  assert.equal(detailsText({ ...photo, bytes: null }, "en-GB"), "14 March 2019 at 10:00 · 4,032 × 3,024 pixels");
  assert.equal(detailsText({ taken_at: null, width: 1200, height: null, bytes: 900 }, "en-US"), "900 bytes");
  assert.equal(detailsText({ taken_at: "not a date", width: 1200, height: 800 }, "en-US"), "1,200 × 800 pixels");
  assert.equal(detailsText({}, "en-US"), "");
});

test("a file size is in the largest decimal unit it reaches once rounded", () => {
  assert.equal(fileSize(1, "en-US"), "1 byte");
  assert.equal(fileSize(820_400, "en-US"), "820.4 kB");
  assert.equal(fileSize(999_999, "en-US"), "1 MB");
  assert.equal(fileSize(2_500_000_000, "de-DE"), "2,5\u00a0GB", "German puts a no-break space before the unit");
});
