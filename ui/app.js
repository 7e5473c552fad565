// PhotoLink window: shows the connection status the backend reports and, once connected, the
// account's photos (gallery.js). The backend holds every secret; this page only sees the status,
// photo titles and `photo:` image URLs.
//
// Only what the first screen needs is imported here: the photos' modules (the gallery and
// Choose photos, with the grid, the viewer and what they import) load once the first status is
// painted, so that the window's first frame does not wait for them (see `photos`).

import {
  AccountChooser,
  accountItems,
  asksWhichProvider,
  chosenId,
  everyAccountConnected,
  nextIndex,
  providerChoices,
  showsAccountList,
} from "./account-list.js";
import * as signIn from "./sign-in.js";

const { invoke, Channel } = window.__TAURI__.core;

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
const chooser = new AccountChooser(signIn.chooseAccount, (problem) => showNotice(problem, "warning"));

let current = null;
let dismissedNotice = 0;
let everyAccountConnectedMarked = false;

// ---- Status -------------------------------------------------------------------------------

function render(status) {
  if (current && status.revision < current.revision) return; // an older answer arriving late
  const previous = current ? current.state : null;
  const previousAccount = current ? chosenId(current) : null;
  current = status;
  renderAccounts(status);
  if (!everyAccountConnectedMarked && everyAccountConnected(status)) {
    everyAccountConnectedMarked = true;
    // A user-timing mark at the first frame that paints every linked account connected (a start
    // that restored them all); the benchmark reads it.
    requestAnimationFrame(() => performance.mark("accounts-connected"));
  }

  statusElement.dataset.state = status.state;
  $("status-text").textContent = STATUS_TEXT[status.state] ?? status.state;
  // Before connecting, with several providers, the one is chosen only once Connect asks which.
  renderProvider(status.state === "disconnected" && asksWhichProvider(status) ? null : status.provider);

  for (const state of STATES) $(`view-${state}`).hidden = state !== status.state;
  if (status.state === "error") {
    $("error-message").textContent = status.message;
    $("retry").hidden = !status.retryable;
  }
  if (status.state === "connected") {
    renderAccount(status);
    // The photos start loading once `connected` is on screen: the first page and its
    // thumbnails take the processor from the frame that shows it otherwise.
    if (previous !== "connected") {
      photos(({ gallery, choosePhotos }) => {
        afterNextPaint(() => current.state === "connected" && gallery.start());
        choosePhotos.refresh();
      });
    } else if (previousAccount !== chosenId(status)) {
      // Another account chosen: its own gallery, from its first page.
      photos(({ gallery, choosePhotos }) => {
        gallery.stop();
        afterNextPaint(() => current.state === "connected" && gallery.start());
        choosePhotos.refresh();
      });
    }
  } else if (previous === "connected") {
    photos(({ gallery, choosePhotos }) => {
      gallery.stop();
      choosePhotos.reset();
    });
  }
  renderNotice(status.notice);
  renderWarning(status.warning);
  if (previous !== status.state) keepFocusVisible();
}

// ---- Photos -------------------------------------------------------------------------------

let firstStatusPainted;
/** Settles once the frame that paints the first status has been painted. */
const firstPaint = new Promise((resolve) => (firstStatusPainted = resolve));
/** The gallery and Choose photos, once their modules have loaded (after the first paint). */
let photoViews = null;

/**
 * Runs `task` with `{ gallery, choosePhotos }`: at once (as a microtask) once their modules have
 * loaded, which starts after the first status is painted. Tasks run in the order given.
 */
function photos(task) {
  photoViews ??= firstPaint.then(loadPhotoViews);
  photoViews.then(task).catch((error) => showNotice(`PhotoLink could not show your photos: ${error}`, "warning"));
}

async function loadPhotoViews() {
  const [{ Gallery }, { bindChoosePhotos }] = await Promise.all([import("./gallery.js"), import("./choose-photos.js")]);
  const gallery = new Gallery(invoke);
  // Photos chosen in Google Photos: the gallery lists them afresh.
  const choosePhotos = bindChoosePhotos(invoke, Channel, () => gallery.start());
  return { gallery, choosePhotos };
}

/** Runs `task` once the next frame has been painted (the task after that frame's callbacks). */
function afterNextPaint(task) {
  requestAnimationFrame(() => setTimeout(task, 0));
}

/** The list of linked accounts (the chosen one marked) with Add account. */
function renderAccounts(status) {
  const nav = $("accounts");
  nav.hidden = !showsAccountList(status);
  if (nav.hidden) return;
  const list = $("account-list");
  const focusedId = document.activeElement && document.activeElement.dataset.accountId;
  list.replaceChildren(
    ...accountItems(status).map((account) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "account-chip";
      button.dataset.testid = "account";
      button.dataset.state = account.state;
      button.dataset.accountId = String(account.id);
      if (account.chosen) button.setAttribute("aria-current", "true");
      button.tabIndex = account.chosen ? 0 : -1;
      const avatar = document.createElement("span");
      avatar.className = "chip-avatar";
      avatar.setAttribute("aria-hidden", "true");
      avatar.textContent = initial(account.name);
      const text = document.createElement("span");
      text.className = "chip-text";
      const name = document.createElement("span");
      name.className = "chip-name";
      name.textContent = account.name;
      const detail = document.createElement("span");
      detail.className = "chip-detail";
      detail.textContent = account.provider ? `${account.provider} · ${account.stateText}` : account.stateText;
      text.append(name, detail);
      const dot = document.createElement("span");
      dot.className = "chip-dot";
      dot.setAttribute("aria-hidden", "true");
      button.append(avatar, text, dot);
      button.addEventListener("click", () => account.chosen || chooser.pick(account.id));
      item.append(button);
      return item;
    }),
  );
  if (focusedId !== undefined) list.querySelector(`[data-account-id="${focusedId}"]`)?.focus();
}

// Arrow keys, Home and End move between the accounts; Enter or Space chooses (as buttons do).
$("account-list").addEventListener("keydown", (event) => {
  const buttons = [...$("account-list").querySelectorAll("button")];
  const index = buttons.indexOf(document.activeElement);
  const next = nextIndex(event.key, index, buttons.length);
  if (index < 0 || next === null) return;
  event.preventDefault();
  for (const [i, button] of buttons.entries()) button.tabIndex = i === next ? 0 : -1;
  buttons[next].focus();
});

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

/** Runs a sign-in call from a button, disabling it meanwhile; failures show as a notice. */
async function run(button, call) {
  button.disabled = true;
  try {
    return await call();
  } catch (error) {
    showNotice(String(error), "warning");
  } finally {
    button.disabled = false;
  }
}

// ---- Which provider ---------------------------------------------------------------------------

/** The button that opened the provider chooser: focus goes back to it. */
let chooserOpener = null;

/** Connect or Add account from `button`: `call` at once with one provider, else a sign-in at the one the person picks. */
function atAProvider(button, call) {
  if (!current || !asksWhichProvider(current)) return run(button, call);
  chooserOpener = button;
  const options = $("provider-options");
  options.replaceChildren(
    ...providerChoices(current).map((provider) => {
      const item = document.createElement("li");
      const option = document.createElement("button");
      option.type = "button";
      option.className = "button subtle provider-option";
      option.dataset.testid = "provider-option";
      option.dataset.providerId = provider.id;
      option.textContent = provider.name;
      option.addEventListener("click", () => {
        closeProviderChooser();
        run(button, () => signIn.addAccount(provider.id));
      });
      item.append(option);
      return item;
    }),
  );
  $("provider-chooser").hidden = false;
  options.querySelector("button")?.focus();
}

function closeProviderChooser() {
  $("provider-chooser").hidden = true;
  if (chooserOpener && chooserOpener.offsetParent !== null) chooserOpener.focus();
  chooserOpener = null;
}

// Escape closes the chooser; arrow keys, Home and End move between its providers.
$("provider-chooser").addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    event.preventDefault();
    closeProviderChooser();
    return;
  }
  const options = [...$("provider-options").querySelectorAll("button")];
  const index = options.indexOf(document.activeElement);
  const next = nextIndex(event.key, index, options.length);
  if (index < 0 || next === null) return;
  event.preventDefault();
  options[next].focus();
});
$("provider-chooser-cancel").addEventListener("click", closeProviderChooser);

$("connect").addEventListener("click", (event) => atAProvider(event.currentTarget, signIn.connect));
// "Try again" repeats what failed: start-up (restoring the saved connection) or connecting.
$("retry").addEventListener("click", (event) => run(event.currentTarget, signIn.retry));
$("cancel").addEventListener("click", (event) => run(event.currentTarget, signIn.cancel));
$("open-browser-again").addEventListener("click", (event) => run(event.currentTarget, signIn.openBrowserAgain));
$("copy-link").addEventListener("click", (event) => run(event.currentTarget, signIn.copyLink));
$("disconnect").addEventListener("click", (event) => run(event.currentTarget, signIn.disconnect));
$("add-account").addEventListener("click", (event) => atAProvider(event.currentTarget, () => signIn.addAccount()));
$("notice-dismiss").addEventListener("click", () => {
  if (current && current.notice) dismissedNotice = current.notice.id;
  noticeElement.hidden = true;
});

// ---- Start --------------------------------------------------------------------------------

async function start() {
  // Listen first, then pull: events sent before the listener existed are lost.
  await signIn.onConnectionChanged(render);
  render(await signIn.status());
  requestAnimationFrame(() => {
    // A user-timing mark at the frame that paints the first status; the benchmark reads it.
    performance.mark("status-painted");
    setTimeout(firstStatusPainted, 0);
  });
  // The photos' modules load in the tasks after that frame, connected or not.
  photos(() => {});
}

start().catch((error) => showNotice(`PhotoLink could not start its window: ${error}`, "warning"));
