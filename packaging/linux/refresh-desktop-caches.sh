#!/bin/sh
# Runs after PhotoLink is installed, upgraded or removed (deb postinst/postrm, rpm %post/%postun).
# Refreshes the desktop-entry MIME cache so that com.example.photolink: links reach the installed
# app (or stop pointing at a removed one) right away, and the icon cache for the new icons.
# Distributions whose desktop-file-utils and icon themes carry their own triggers do this too;
# running it again is harmless, and a missing tool is not an error.
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q /usr/share/applications || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f /usr/share/icons/hicolor/index.theme ]; then
  gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
fi
exit 0
