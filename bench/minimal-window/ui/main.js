// Pulls the status once on load, shows it and marks the frame that paints it, as PhotoLink's
// page does.
"use strict";

const statusElement = document.querySelector('[data-testid="connection-status"]');
window.__TAURI__.core.invoke("status").then((state) => {
  statusElement.dataset.state = state;
  statusElement.textContent = state;
  requestAnimationFrame(() => performance.mark("status-painted"));
});
