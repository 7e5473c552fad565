// Pulls the status once on load and shows it, as PhotoLink's page does.
"use strict";

const statusElement = document.querySelector('[data-testid="connection-status"]');
window.__TAURI__.core.invoke("status").then((state) => {
  statusElement.dataset.state = state;
  statusElement.textContent = state;
});
