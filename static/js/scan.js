// Scan boxes. A keyboard-wedge scanner types a whole code and Enter in 20-50 ms, then the next
// code at once. Each Enter queues the code and empties the box in the same instant; the queue is
// sent in order, in batches, one request at a time, and the answer is drawn in a region *beside*
// the box (data-scan-target), never over it, so nothing typed while a request is out is lost.
//
//   <form data-scan-form action="…" data-scan-target="#results" [data-scan-batch="200"]>
//     <input data-scan-input name="number">          the box; each Enter queues its code
//     <input name="quantity" data-scan-reset>         sent with the code it was typed for, then emptied
//     <input type="hidden" name="finished" data-scan-live>  read when sent (a response may change it)
//     <span data-scan-pending></span>                 "3 waiting" while codes are queued
//   </form>
//   data-scan-log="#list" on the form: the answers' rows (data-scan-answer) are kept there.
(function () {
  const queues = new WeakMap();
  let pendingTotal = 0; // codes typed but not yet answered, over every scan box of the page

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function stateOf(form) {
    let state = queues.get(form);
    if (!state) {
      state = { items: [], busy: false, failures: 0 };
      queues.set(form, state);
    }
    return state;
  }

  function showPending(form, state, message) {
    const el = form.querySelector("[data-scan-pending]");
    if (!el) return;
    const waiting = state.items.length + (state.busy ? state.inFlight || 0 : 0);
    el.textContent = message || (waiting ? `${waiting} waiting…` : "");
    form.dataset.scanBusy = waiting ? "true" : "false";
  }

  function enqueue(form, input) {
    const code = input.value.trim();
    input.value = "";
    if (!code) return;
    const fields = [];
    for (const [name, value] of new FormData(form).entries()) {
      if (name !== input.name) fields.push([name, value]);
    }
    form.querySelectorAll("[data-scan-reset]").forEach((el) => { el.value = ""; });
    const state = stateOf(form);
    state.items.push({ code, fields, key: JSON.stringify(fields), name: input.name });
    pendingTotal += 1;
    showPending(form, state);
    pump(form);
  }

  function pump(form) {
    const state = stateOf(form);
    if (state.busy || !state.items.length) return;
    const limit = parseInt(form.dataset.scanBatch || "1", 10) || 1;
    const first = state.items[0];
    let count = 1;
    while (count < state.items.length && count < limit && state.items[count].key === first.key) count++;
    const batch = state.items.splice(0, count);
    state.busy = true;
    state.inFlight = batch.length;
    const body = new FormData();
    const live = new Set(Array.from(form.querySelectorAll("[data-scan-live]")).map((el) => el.name));
    for (const [name, value] of first.fields) if (!live.has(name)) body.append(name, value);
    form.querySelectorAll("[data-scan-live]").forEach((el) => body.append(el.name, el.value));
    batch.forEach((item) => body.append(item.name, item.code));
    const target = document.querySelector(form.dataset.scanTarget);
    // getAttribute: a field named "action" shadows form.action.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true", "HX-Target": target ? target.id : "" },
    })
      .then((response) => response.text().then((html) => ({ response, html })))
      .then(({ response, html }) => {
        state.failures = 0;
        if (response.status >= 500 || response.status === 403) throw new Error(`the server answered ${response.status}`);
        if (target && target.isConnected) {
          htmx.swap(target, html, { swapStyle: "innerHTML" });
          keepAnswers(form, target);
        }
        form.dispatchEvent(new CustomEvent("scan:answered", { bubbles: true }));
        pendingTotal -= batch.length;
        state.busy = false;
        showPending(form, state);
        refocus(form);
        pump(form);
      })
      .catch((error) => {
        // Not sent: the codes go back to the front of the queue, in order, and are tried again.
        state.items.unshift(...batch);
        state.busy = false;
        state.failures += 1;
        const wait = Math.min(1000 * state.failures, 5000);
        showPending(form, state, `${state.items.length} not sent yet (${error.message}); trying again…`);
        setTimeout(() => pump(form), wait);
      });
  }

  // <form data-scan-log="#log">: each answer's rows (data-scan-answer) move into that list, newest
  // first, so a refused code stays in sight while the next ones are answered.
  function keepAnswers(form, target) {
    const log = form.dataset.scanLog && document.querySelector(form.dataset.scanLog);
    if (!log) return;
    target.querySelectorAll("[data-scan-answer]").forEach((row) => log.prepend(row));
    while (log.children.length > 30) log.lastElementChild.remove();
  }

  function refocus(form) {
    const active = document.activeElement;
    if (!active || active === document.body) {
      const input = form.querySelector("[data-scan-input]");
      if (input && input.offsetParent !== null) input.focus();
    }
  }

  // When a key was last typed in a scan box: a scanner's code is being typed until it pauses.
  let lastKeyAt = 0;
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLInputElement && e.target.matches("[data-scan-input]")) lastKeyAt = Date.now();
  }, true);
  // Is a code being typed into a scan box outside ``inside`` (or are typed codes still waiting)?
  window.scanTyping = function (inside) {
    const active = document.activeElement;
    const box = active instanceof HTMLInputElement && active.matches("[data-scan-input]") && !(inside && inside.contains(active));
    return pendingTotal > 0 || (box && (active.value !== "" || Date.now() - lastKeyAt < 250));
  };
  document.addEventListener("keydown", (e) => {
    const input = e.target;
    if (e.key !== "Enter" || !(input instanceof HTMLInputElement) || !input.matches("[data-scan-input]")) return;
    const form = input.closest("form[data-scan-form]");
    if (!form) return;
    e.preventDefault();
    enqueue(form, input);
  });
  // The form's own button (or Enter in another of its fields) queues what is in the box.
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-scan-form]")) return;
    e.preventDefault();
    const input = form.querySelector("[data-scan-input]");
    if (input) enqueue(form, input);
  });
  // Waiting codes are not thrown away by a closing dialog or a leaving page without a word.
  window.addEventListener("beforeunload", (e) => {
    if (pendingTotal > 0) { e.preventDefault(); e.returnValue = ""; }
  });
  // Runs ``then`` once every typed code has been answered (the dialog waits for it before it reloads the page).
  window.scanQueueIdle = function (then) {
    if (pendingTotal <= 0) return then();
    setTimeout(() => window.scanQueueIdle(then), 50);
  };
})();
