// The one dialog: htmx loads a fragment into #dialog-content, Bootstrap shows it.
(function () {
  const el = document.getElementById("dialog");
  if (!el) return;
  const modal = bootstrap.Modal.getOrCreateInstance(el);
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
  el.addEventListener("hidden.bs.modal", () => {
    const marker = el.querySelector("[data-refresh-on-close]");
    document.getElementById("dialog-content").innerHTML = "";
    if (marker) window.location.reload();
  });
  document.body.addEventListener("closeDialog", () => modal.hide());
})();
// Ask before destructive actions: <form data-confirm="…">.
document.addEventListener("submit", (e) => {
  const message = e.target.dataset && e.target.dataset.confirm;
  if (message && !window.confirm(message)) e.preventDefault();
});
