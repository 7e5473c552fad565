#!/usr/bin/env bash
# Regenerates every app icon in src-tauri/icons/ from packaging/icon.svg.
# Needs rsvg-convert (apt: librsvg2-bin) and the pinned Tauri CLI (npm ci at the repository root).
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rsvg-convert --width 1024 --height 1024 packaging/icon.svg --output "$work/icon-1024.png"
npx --no-install tauri icon "$work/icon-1024.png" --output src-tauri/icons
# The other standard sizes of the Linux icon theme (hicolor), so no desktop has to scale.
npx --no-install tauri icon "$work/icon-1024.png" --output src-tauri/icons --png 16,24,48,256
# PhotoLink is a desktop app: the mobile icon sets are not shipped.
rm -rf src-tauri/icons/android src-tauri/icons/ios
