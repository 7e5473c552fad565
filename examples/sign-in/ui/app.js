// The example's window: the connection's status, and the buttons that change it.
import * as signIn from "./sign-in.js";

const $ = (id) => document.getElementById(id);
const shown = document.querySelector("[data-testid=connection-status]");
const notice = document.querySelector("[data-testid=notice]");
const WORDS = { waiting: "Waiting for your browser", exchanging: "Finishing sign-in" };
let revision = -1;

function render(status) {
  if (status.revision < revision) return; // an older answer arriving late
  revision = status.revision;
  shown.dataset.state = status.state;
  shown.textContent =
    status.state === "connected" ? `Connected as ${status.account}` :
    status.state === "error" ? status.message : WORDS[status.state] ?? "Not connected";
  notice.textContent = status.notice?.message ?? status.warning ?? "";
  notice.hidden = !notice.textContent;
  $("connect").hidden = !["disconnected", "error"].includes(status.state);
  $("cancel").hidden = status.state !== "waiting";
  $("retry").hidden = !(status.state === "error" && status.retryable);
  $("disconnect").hidden = status.state !== "connected";
}

function run(call) {
  call().catch((sentence) => {
    notice.textContent = sentence;
    notice.hidden = false;
  });
}

$("connect").onclick = () => run(signIn.connect);
$("cancel").onclick = () => run(signIn.cancel);
$("retry").onclick = () => run(signIn.retry);
$("disconnect").onclick = () => run(signIn.disconnect);

// Listen first, then pull: a change sent before the listener existed is not repeated.
await signIn.onConnectionChanged(render);
render(await signIn.status());
