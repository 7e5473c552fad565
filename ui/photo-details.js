// Photo details: the line the viewer shows under a photo's title, when it was taken and how
// large it is ("28 November 2026 at 15:42 · 4,032 × 3,024 pixels · 3.5 MB"), in the person's
// locale. No DOM here (tested under Node: tests/ui/photo-details.test.mjs).

/** File sizes in decimal units, as the desktop's file managers show them. */
const BYTE_UNITS = [
  [1e9, "gigabyte"],
  [1e6, "megabyte"],
  [1e3, "kilobyte"],
  [1, "byte"],
];

/** When `photo` was taken, its pixels and its file's size, as far as they are known. */
export function detailsText(photo, locale) {
  const parts = [];
  const taken = photo.taken_at ? new Date(photo.taken_at) : null;
  if (taken && !Number.isNaN(taken.getTime())) {
    parts.push(new Intl.DateTimeFormat(locale, { dateStyle: "long", timeStyle: "short" }).format(taken));
  }
  if (photo.width && photo.height) {
    const number = new Intl.NumberFormat(locale);
    parts.push(`${number.format(photo.width)} × ${number.format(photo.height)} pixels`);
  }
  if (photo.bytes) parts.push(fileSize(photo.bytes, locale));
  return parts.join(" · ");
}

/** `bytes` in the largest decimal unit it reaches: "3.5 MB", "820 kB", "512 byte". */
export function fileSize(bytes, locale) {
  // The largest unit of which `bytes` is at least one, once rounded (999,999 bytes is 1 MB).
  const [size, unit] =
    BYTE_UNITS.find(([size]) => Math.round((bytes / size) * 10) >= 10) ?? BYTE_UNITS[BYTE_UNITS.length - 1];
  const format = new Intl.NumberFormat(locale, {
    style: "unit",
    unit,
    unitDisplay: unit === "byte" ? "long" : "short",
    maximumFractionDigits: size === 1 ? 0 : 1,
  });
  return format.format(bytes / size);
}
