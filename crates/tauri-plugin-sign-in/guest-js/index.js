// The sign-in plugin's window API: a plain ES module, with nothing to build or bundle. Copy it
// next to the window's own modules and import it from there. It needs the app's
// `withGlobalTauri` (it calls `window.__TAURI__`), the `sign-in:default` permission and, for
// `onConnectionChanged`, `core:event:allow-listen`. No call takes or returns a secret; a
// failure rejects with a sentence for people, naming the provider.

/** The event that carries every new status. */
export const CONNECTION_CHANGED = "connection-changed";

const call = (command, args) => window.__TAURI__.core.invoke(`plugin:sign-in|${command}`, args);

/**
 * The current status: `{ revision, state, provider, notice, warning, accounts, providers }`
 * with `state` one of `disconnected`, `waiting`, `exchanging`, `connected` (with `account`,
 * `email`, `scopes`) and `error` (with `message`, `retryable`), the chosen account's;
 * `accounts` lists every account as `{ id, name, provider, state, chosen }`, and `providers`
 * every provider of the settings as `{ id, name, issuer, embedded }`. A status whose
 * `revision` is lower than one already shown is older than it.
 */
export const status = () => call("status");
/** Starts a sign-in for the chosen account: opens the provider's page in the system browser. */
export const connect = () => call("connect");
/** "Try again" after an error: repeats the step that failed (start-up or connect). */
export const retry = () => call("retry");
/** Gives up the sign-in that waits for the browser. */
export const cancel = () => call("cancel");
/** Opens the sign-in page in the browser again. */
export const openBrowserAgain = () => call("open_browser_again");
/** Copies the sign-in page's address to the clipboard. */
export const copyLink = () => call("copy_link");
/** Revokes the chosen account's grant at the provider and forgets it here; the others stay. */
export const disconnect = () => call("disconnect");
/**
 * Adds an account at the provider whose `id` (of the status's `providers`) is given, the
 * settings' first when not: a sign-in for another one, beside those linked (the new one is
 * chosen).
 */
export const addAccount = (provider) => call("add_account", provider === undefined ? undefined : { provider });
/** Chooses the account `id` of `accounts`: the status becomes its own. */
export const chooseAccount = (id) => call("choose_account", { id });

/**
 * Calls `handler` with each new status. Resolves to a function that stops listening. Listen
 * first, then call `status()`: a change sent before the listener existed is not repeated.
 */
export const onConnectionChanged = (handler) =>
  window.__TAURI__.event.listen(CONNECTION_CHANGED, (event) => handler(event.payload));
