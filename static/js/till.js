// The till's numpad and its numbers pop-up (no inline script: the Content-Security-Policy runs none).
//   Pick a cart line (click it, or focus it with Tab), type on the numpad, "Set quantity".
//   A scan that added a tracked product without its number opens that line's pop-up.
(function () {
  const pad = document.querySelector("[data-numpad]");
  const value = pad && pad.querySelector("[data-numpad-value]");
  const label = pad && pad.querySelector("[data-numpad-line-label]");
  let picked = null; // the line's quantity URL

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function pick(row) {
    document.querySelectorAll(".cart-line.table-active").forEach((r) => r.classList.remove("table-active"));
    row.classList.add("table-active");
    picked = row.dataset.quantityUrl;
    if (label) label.textContent = row.querySelector("td").textContent.trim().split(/\s+/)[0];
    if (value) value.value = "";
  }

  document.addEventListener("click", (e) => {
    const row = e.target.closest && e.target.closest(".cart-line");
    if (row && !e.target.closest("input, button, a, select")) pick(row);
    const key = e.target.closest && e.target.closest("[data-numpad-key]");
    if (key && value) {
      const k = key.dataset.numpadKey;
      if (k === "back") value.value = value.value.slice(0, -1);
      else if (value.value.length < 14 && !(k === "." && value.value.includes("."))) value.value += k;
    }
    if (e.target.closest && e.target.closest("[data-numpad-apply]") && picked && value && value.value) {
      htmx
        .ajax("POST", picked, { target: "#cart", swap: "innerHTML", values: { quantity: value.value }, headers: { "X-CSRFToken": csrf() } })
        .then(() => {
          // A refusal is said beside the numpad too, where the quantity was typed.
          const error = document.querySelector("#cart [data-cart-error]");
          const said = pad.querySelector("[data-numpad-error]");
          if (said) said.textContent = error ? error.textContent : "";
        });
      value.value = "";
    }
  });
  document.addEventListener("focusin", (e) => {
    const row = e.target.closest && e.target.closest(".cart-line");
    if (row) pick(row);
  });
  // Keep the picked line picked when the cart is drawn again.
  htmx.onLoad((root) => {
    if (!root.querySelectorAll) return;
    if (picked) {
      const row = document.querySelector(`.cart-line[data-quantity-url="${picked}"]`);
      if (row) row.classList.add("table-active");
    }
    const open = root.querySelector("[data-open-numbers]");
    if (open) openWhenIdle(open.dataset.openNumbers);
  });
  // The main box numbered a unit while a line's pop-up is open: its count is drawn again (the
  // list only, never the pop-up's own box). A pop-up nobody has used, whose line is now numbered
  // in full, closes: it has nothing left to ask, and the cart is drawn already (no reload).
  document.addEventListener("scan:answered", (e) => {
    if (!e.target.matches("[data-till-scan]")) return;
    // Its content is there from the moment it is asked to open (and gone once closed), while
    // Bootstrap's "show" comes only at the end of its fade.
    const dialog = document.getElementById("dialog");
    const popup = dialog && dialog.querySelector("[data-numbers-form]");
    if (!popup) return;
    htmx.ajax("GET", `${popup.getAttribute("action")}?part=list`, { target: "#numbers-list", swap: "innerHTML" }).then(() => {
      const box = popup.querySelector("[data-scan-input]");
      const untouched = !box.value && !dialog.querySelector("[data-scan-answer]") && !dialog.contains(document.activeElement);
      if (!untouched || !dialog.querySelector("[data-numbers-complete]")) return;
      dialog.querySelectorAll("[data-refresh-on-close]").forEach((el) => el.removeAttribute("data-refresh-on-close"));
      const modal = bootstrap.Modal.getOrCreateInstance(dialog);
      // Bootstrap ignores hide() while the pop-up is still fading in: then once it is shown.
      if (dialog.classList.contains("show")) modal.hide();
      else dialog.addEventListener("shown.bs.modal", () => modal.hide(), { once: true });
    });
  });
  // The pop-up opens once the scanner pauses (nothing typed for a moment, no code waiting): opened
  // in the middle of the next code, it would take the rest of it. A later answer that numbered
  // the line already (that next code was its serial) drew the cart without the request: then no pop-up.
  function openWhenIdle(url) {
    if (window.scanTyping && window.scanTyping(document.getElementById("dialog"))) {
      setTimeout(() => openWhenIdle(url), 60);
      return;
    }
    const still = [...document.querySelectorAll("[data-open-numbers]")].some((el) => el.dataset.openNumbers === url);
    if (still) htmx.ajax("GET", url, { target: "#dialog-content", swap: "innerHTML" });
  }
})();
