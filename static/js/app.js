// The one dialog: htmx loads a fragment into #dialog-content, Bootstrap shows it.
(function () {
  const el = document.getElementById("dialog");
  if (!el) return;
  // focus: false — Bootstrap would focus the modal itself once shown, taking the focus away from a
  // scan box the first characters of a scan are already being typed into.
  const modal = bootstrap.Modal.getOrCreateInstance(el, { focus: false });
  document.body.addEventListener("htmx:afterSwap", (e) => {
    if (e.detail.target.id === "dialog-content" && !el.classList.contains("show")) modal.show();
    const focus = e.detail.target.querySelector("[autofocus]");
    if (focus) focus.focus();
  });
  el.addEventListener("shown.bs.modal", () => {
    const focus = el.querySelector("[autofocus]");
    if (focus) focus.focus();
  });
  // A dialog whose work changed the page asks for a refresh when it closes.
  // Codes still queued in its scan box are sent first: closing never drops a scan.
  el.addEventListener("hidden.bs.modal", () => {
    const idle = window.scanQueueIdle || ((then) => then());
    idle(() => {
      const marker = el.querySelector("[data-refresh-on-close]");
      document.getElementById("dialog-content").innerHTML = "";
      if (marker) window.location.reload();
    });
  });
  document.body.addEventListener("closeDialog", () => modal.hide());
})();
// Ask before destructive actions: <form data-confirm="…">.
document.addEventListener("submit", (e) => {
  const message = e.target.dataset && e.target.dataset.confirm;
  if (message && !window.confirm(message)) e.preventDefault();
});
