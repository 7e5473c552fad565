// PhotoLink window: shows the connection status the backend reports and the account's photos.
// The backend holds every secret; this page only sees the status and `photo:` image URLs.
"use strict";

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

const STATES = ["disconnected", "waiting", "exchanging", "connected", "error"];
const STATUS_TEXT = {
  disconnected: "Not connected",
  waiting: "Waiting for your browser",
  exchanging: "Finishing sign-in",
  connected: "Connected",
  error: "Not connected",
};
const SCOPE_WORDS = {
  "photos:read": "See your photos",
  profile: "See your name and e-mail",
  openid: "Confirm who you are",
  email: "See your e-mail",
};

const $ = (id) => document.getElementById(id);
const statusElement = document.querySelector('[data-testid="connection-status"]');
const noticeElement = document.querySelector('[data-testid="notice"]');
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

let current = null;
let dismissedNotice = 0;

// ---- Status -------------------------------------------------------------------------------

function render(status) {
  if (current && status.revision < current.revision) return; // an older answer arriving late
  const previous = current ? current.state : null;
  current = status;

  statusElement.dataset.state = status.state;
  $("status-text").textContent = STATUS_TEXT[status.state] ?? status.state;
  renderProvider(status.provider);

  for (const state of STATES) $(`view-${state}`).hidden = state !== status.state;
  if (status.state === "error") {
    $("error-message").textContent = status.message;
    $("retry").hidden = !status.retryable;
  }
  if (status.state === "connected") {
    renderAccount(status);
    if (previous !== "connected") resetGallery(true);
  } else if (previous === "connected") {
    resetGallery(false);
  }
  renderNotice(status.notice);
  renderWarning(status.warning);
  if (previous !== status.state) keepFocusVisible();
}

function renderProvider(provider) {
  const name = provider ? provider.name : "your photo service";
  for (const element of document.querySelectorAll(".provider-name")) element.textContent = name;
  let detail = "";
  if (provider && provider.embedded) detail = provider.issuer ? `built-in demo · ${provider.issuer}` : "built-in demo";
  else if (provider && provider.issuer) detail = provider.issuer;
  document.querySelector(".provider-issuer").textContent = detail;
}

function renderAccount(status) {
  $("account-name").textContent = status.account;
  $("account-email").textContent = status.email ?? "";
  $("account-email").hidden = !status.email;
  $("avatar").textContent = initial(status.account);
  const list = $("scopes");
  list.replaceChildren(
    ...status.scopes.map((scope) => {
      const item = document.createElement("li");
      item.textContent = scope;
      if (SCOPE_WORDS[scope]) item.title = SCOPE_WORDS[scope];
      return item;
    }),
  );
}

function initial(name) {
  const letter = [...(name || "?").trim()][0] ?? "?";
  return letter.toUpperCase();
}

function renderNotice(notice) {
  if (!notice || notice.id <= dismissedNotice) {
    noticeElement.hidden = true;
    return;
  }
  showNotice(notice.message, notice.tone);
}

/** A warning that stays while its cause lasts (e.g. the keyring cannot keep the connection). */
function renderWarning(warning) {
  const element = document.querySelector('[data-testid="storage-warning"]');
  $("storage-warning-text").textContent = warning ?? "";
  element.hidden = !warning;
}

function showNotice(message, tone) {
  $("notice-text").textContent = message;
  noticeElement.classList.toggle("warning", tone === "warning");
  noticeElement.hidden = false;
}

/** After the view changes, focus the new view's first button if focus was lost with the old one. */
function keepFocusVisible() {
  const active = document.activeElement;
  if (active && active !== document.body && active.offsetParent !== null) return;
  const view = document.querySelector(".view:not([hidden])");
  const target = view && view.querySelector("button:not([hidden]):not(:disabled)");
  (target || $("main")).focus({ preventScroll: true });
}

// ---- Commands -----------------------------------------------------------------------------

/** Runs a command from a button, disabling it meanwhile; failures show as a notice. */
async function run(button, command, args) {
  button.disabled = true;
  try {
    return await invoke(command, args);
  } catch (error) {
    showNotice(String(error), "warning");
  } finally {
    button.disabled = false;
  }
}

$("connect").addEventListener("click", (event) => run(event.currentTarget, "connect"));
// "Try again" repeats what failed: start-up (restoring the saved connection) or connecting.
$("retry").addEventListener("click", (event) => run(event.currentTarget, "retry"));
$("cancel").addEventListener("click", (event) => run(event.currentTarget, "cancel"));
$("open-browser-again").addEventListener("click", (event) => run(event.currentTarget, "open_browser_again"));
$("copy-link").addEventListener("click", (event) => run(event.currentTarget, "copy_link"));
$("disconnect").addEventListener("click", (event) => run(event.currentTarget, "disconnect"));
$("notice-dismiss").addEventListener("click", () => {
  if (current && current.notice) dismissedNotice = current.notice.id;
  noticeElement.hidden = true;
});

// ---- Photos -------------------------------------------------------------------------------

const gallery = { photos: [], nextPageToken: null, loading: false, started: false, generation: 0 };

function resetGallery(load) {
  gallery.generation += 1;
  gallery.photos = [];
  gallery.nextPageToken = null;
  gallery.loading = false;
  gallery.started = false;
  $("grid").replaceChildren();
  $("gallery-problem").hidden = true;
  $("gallery-empty").hidden = true;
  $("gallery-count").textContent = "";
  $("load-more").hidden = true;
  if ($("lightbox").open) $("lightbox").close();
  if (load) loadPage();
}

async function loadPage() {
  if (gallery.loading || (gallery.started && !gallery.nextPageToken)) return;
  const generation = gallery.generation;
  gallery.loading = true;
  $("gallery-problem").hidden = true;
  $("grid-skeleton").hidden = gallery.photos.length > 0 && !gallery.nextPageToken;
  $("load-more").disabled = true;
  try {
    const page = await invoke("photos", { pageToken: gallery.nextPageToken });
    if (generation !== gallery.generation) return;
    gallery.started = true;
    gallery.nextPageToken = page.next_page_token;
    const first = gallery.photos.length;
    gallery.photos.push(...page.photos);
    $("grid").append(...page.photos.map((photo, offset) => tile(photo, first + offset)));
  } catch (error) {
    if (generation !== gallery.generation) return;
    $("gallery-problem-text").textContent = `Your photos could not be loaded. ${error}`;
    $("gallery-problem").hidden = false;
  } finally {
    if (generation === gallery.generation) {
      gallery.loading = false;
      $("grid-skeleton").hidden = true;
      $("load-more").disabled = false;
      $("load-more").hidden = !gallery.nextPageToken;
      $("gallery-empty").hidden = !(gallery.started && gallery.photos.length === 0);
      const count = gallery.photos.length;
      $("gallery-count").textContent =
        count === 0 ? "" : `${count} photo${count === 1 ? "" : "s"}${gallery.nextPageToken ? " so far" : ""}`;
    }
  }
}

function tile(photo, index) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tile";
  button.dataset.testid = "photo";
  button.dataset.index = String(index);
  button.setAttribute("aria-label", `${photo.title}, open large`);

  const frame = document.createElement("div");
  frame.className = "tile-image";
  const image = document.createElement("img");
  image.alt = "";
  image.decoding = "async";
  if (photo.width && photo.height) {
    image.width = photo.width;
    image.height = photo.height;
  }
  image.addEventListener("load", () => image.classList.add("loaded"));
  image.addEventListener("error", () => {
    frame.classList.add("broken");
    frame.textContent = "Could not load this photo";
  });
  image.src = photo.thumbnail;
  frame.append(image);

  const caption = document.createElement("span");
  caption.className = "tile-caption";
  const title = document.createElement("span");
  title.className = "tile-title";
  title.textContent = photo.title;
  title.title = photo.title;
  caption.append(title);
  const date = formatDate(photo.taken_at);
  if (date) {
    const when = document.createElement("span");
    when.className = "tile-date";
    when.textContent = date;
    caption.append(when);
  }

  button.append(frame, caption);
  button.addEventListener("click", () => openLightbox(index));
  item.append(button);
  return item;
}

function formatDate(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : dateFormat.format(date);
}

$("load-more").addEventListener("click", loadPage);
$("gallery-retry").addEventListener("click", loadPage);

// The next page loads by itself when the end of the grid scrolls into view.
new IntersectionObserver(
  (entries) => {
    if (entries.some((entry) => entry.isIntersecting) && current && current.state === "connected" && gallery.nextPageToken) {
      loadPage();
    }
  },
  { rootMargin: "400px" },
).observe($("scroll-sentinel"));

// ---- Lightbox -----------------------------------------------------------------------------

const lightbox = $("lightbox");
let shown = -1;

function openLightbox(index) {
  shown = index;
  showPhoto();
  if (!lightbox.open) lightbox.showModal();
  $("lightbox-close").focus();
}

function showPhoto() {
  const photo = gallery.photos[shown];
  if (!photo) return;
  const image = $("lightbox-image");
  image.src = photo.image;
  image.alt = photo.title;
  $("lightbox-title").textContent = photo.title;
  const total = gallery.photos.length;
  $("lightbox-position").textContent = `${shown + 1} of ${total}${gallery.nextPageToken ? "+" : ""}`;
  $("lightbox-prev").disabled = shown === 0;
  $("lightbox-next").disabled = shown === total - 1 && !gallery.nextPageToken;
}

async function step(delta) {
  let next = shown + delta;
  if (next >= gallery.photos.length && gallery.nextPageToken) await loadPage();
  if (next < 0 || next >= gallery.photos.length) return;
  shown = next;
  showPhoto();
}

lightbox.addEventListener("keydown", (event) => {
  if (event.key === "ArrowLeft") {
    event.preventDefault();
    step(-1);
  } else if (event.key === "ArrowRight") {
    event.preventDefault();
    step(1);
  }
});
lightbox.addEventListener("close", () => {
  $("lightbox-image").removeAttribute("src");
  const tileButton = document.querySelector(`[data-testid="photo"][data-index="${shown}"]`);
  if (tileButton) tileButton.focus();
});
$("lightbox-close").addEventListener("click", () => lightbox.close());
$("lightbox-prev").addEventListener("click", () => step(-1));
$("lightbox-next").addEventListener("click", () => step(1));
// A click on the dark area around the photo closes it.
$("lightbox").querySelector(".lightbox-stage").addEventListener("click", (event) => {
  if (event.target === event.currentTarget) lightbox.close();
});

// ---- Start --------------------------------------------------------------------------------

async function start() {
  // Listen first, then pull: events sent before the listener existed are lost.
  await listen("connection-changed", (event) => render(event.payload));
  render(await invoke("status"));
}

start().catch((error) => showNotice(`PhotoLink could not start its window: ${error}`, "warning"));
