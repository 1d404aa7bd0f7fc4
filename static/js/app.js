// The one dialog: htmx loads a fragment into #dialog-content, Bootstrap shows it.
(function () {
  const el = document.getElementById("dialog");
  if (!el) return;
  // focus: false — Bootstrap would focus the modal itself once shown, taking the focus away from a
  // scan box the first characters of a scan are already being typed into.
  const modal = bootstrap.Modal.getOrCreateInstance(el, { focus: false });
  // A scan box outside the dialog that a code is being typed into keeps the focus: a dialog
  // opening meanwhile must not take the rest of that code (it would cut the scan in two).
  const typingElsewhere = () => window.scanTyping && window.scanTyping(el);
  document.body.addEventListener("htmx:afterSwap", (e) => {
    // htmx.swap() (scan.js) fires this with no target in its detail.
    const target = e.detail.target || e.target;
    if (!target || !target.querySelector) return;
    if (target.id === "dialog-content" && !el.classList.contains("show")) modal.show();
    const focus = target.querySelector("[autofocus]");
    if (focus && typingElsewhere()) {
      focus.removeAttribute("autofocus"); // nor may htmx focus it when the swap settles
    } else if (focus) {
      focus.focus();
      // Focused now, at the swap: htmx would focus it again when the swap settles (~20 ms later),
      // taking the focus back from a field the user (or a scanner) has moved to meanwhile.
      if (document.activeElement === focus) focus.removeAttribute("autofocus");
    }
  });
  el.addEventListener("shown.bs.modal", () => {
    const focus = el.querySelector("[autofocus]");
    if (focus && !typingElsewhere()) focus.focus();
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
// Behaviour that used to be inline (onclick=, hx-on:, style=): the Content-Security-Policy runs
// no inline script, so it lives here, delegated, for pages and htmx fragments alike.
// <button data-print> prints the page.
document.addEventListener("click", (e) => {
  if (e.target.closest && e.target.closest("[data-print]")) window.print();
});
// <form data-enter-no-submit>: Enter is a new line in a textarea and does nothing elsewhere
// (a scanner ends each code with Enter).
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && e.target.tagName !== "TEXTAREA" && e.target.closest && e.target.closest("form[data-enter-no-submit]")) e.preventDefault();
});
// <td data-indent="3">: indented by that many rem (set through the CSSOM, which CSP allows).
htmx.onLoad((root) => {
  if (!root.querySelectorAll) return;
  const cells = [...root.querySelectorAll("[data-indent]")];
  if (root.matches("[data-indent]")) cells.push(root);
  cells.forEach((el) => { el.style.paddingLeft = `${Number(el.dataset.indent) || 0}rem`; });
});
