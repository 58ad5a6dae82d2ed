// The rating page: keyboard-first rating with a prefetched next item, idempotent submits
// (each carries a client token; unsent ones wait in a localStorage outbox) and active-time
// tracking. Server text is put in the page with textContent; only the output and message
// HTML, already sanitised by the server, goes through innerHTML.
(function () {
  "use strict";

  const cfg = JSON.parse(document.getElementById("rate-config").textContent);
  const app = document.getElementById("rate-app");
  const form = document.getElementById("rate-form");
  const comment = document.getElementById("comment");
  const inputBody = document.getElementById("input-body");
  const outputBody = document.getElementById("output-body");
  const criteria = cfg.rubric.criteria;
  const rows = Array.from(app.querySelectorAll(".crit"));
  const flagButtons = Array.from(app.querySelectorAll(".flag"));
  const reasonButtons = Array.from(app.querySelectorAll(".reason"));
  const skipPanel = field("skip-panel");
  const skipText = skipPanel.querySelector(".skip-text");
  const IDLE_MS = 60000;
  const RENEW_MS = 60000;
  const OUTBOX_KEY = "rate-outbox:" + cfg.queue.id + ":" + cfg.user;

  const state = {
    items: [],            // ready items; items[0] is on screen unless editing
    scores: {},
    flags: new Set(),
    focus: 0,
    mode: "loading",      // loading | rate | edit | empty
    editing: null,
    flagMenu: false,
    skipReason: "",
    empty: null,          // {reason, message} once the server has nothing more
    progress: cfg.progress,
    outbox: loadOutbox(),
    chain: Promise.resolve(),
    flushing: null,
    lastShown: null,
  };

  function field(name) { return app.querySelector('[data-field="' + name + '"]'); }
  function url(template, id) { return template.replace("{id}", String(id)); }

  // --- Requests -------------------------------------------------------------------------------

  async function api(method, address, body) {
    const response = await fetch(address, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": cfg.csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.detail) || "The server answered " + response.status);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // Requests that change the reviewer's leases run one after another, in order.
  function serial(task) {
    const run = state.chain.then(task);
    state.chain = run.catch(function () {});
    return run;
  }

  function holding() { return state.items.map(function (i) { return i.item; }); }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- The ready list and the outbox --------------------------------------------------------

  function accept(data) {
    if (data.progress) { setProgress(data.progress); }
    if (!data.next) {
      if (data.reason === "busy") {
        setTimeout(fill, 1500);  // others are claiming the last items this instant
      } else if (data.reason) {
        state.empty = { reason: data.reason, message: data.message };
      }
      return false;
    }
    if (state.items.some(function (i) { return i.item === data.next.item; })) { return false; }
    state.items.push(data.next);
    return true;
  }

  async function fill() {
    while (state.items.length < 2 && !state.empty) {
      let data;
      try {
        data = await serial(function () { return api("POST", cfg.urls.next, { holding: holding() }); });
      } catch (error) {
        toast(error.message, "error");
        break;
      }
      if (!accept(data)) { break; }
    }
    if (state.mode === "loading" || state.mode === "empty") { showFirst(); }
  }

  function loadOutbox() {
    try { return JSON.parse(localStorage.getItem(OUTBOX_KEY) || "[]"); } catch (e) { return []; }
  }

  function saveOutbox() {
    const plain = state.outbox.map(function (e) { return { kind: e.kind, item: e.item, body: e.body }; });
    try { localStorage.setItem(OUTBOX_KEY, JSON.stringify(plain)); } catch (e) { /* private mode */ }
  }

  function enqueue(entry) {
    state.outbox.push(entry);
    saveOutbox();
    flush();
  }

  function flush() {
    if (!state.flushing) {
      state.flushing = flushOutbox().finally(function () { state.flushing = null; });
    }
    return state.flushing;
  }

  async function flushOutbox() {
    let delay = 500;
    while (state.outbox.length) {
      const entry = state.outbox[0];
      const address = url(entry.kind === "skip" ? cfg.urls.skip : cfg.urls.submit, entry.item);
      entry.sending = true;
      try {
        const data = await serial(function () {
          return api("POST", address, Object.assign({}, entry.body, { holding: holding() }));
        });
        state.outbox.shift();
        saveOutbox();
        accept(data);
        delay = 500;
      } catch (error) {
        entry.sending = false;
        if (!error.status || error.status >= 500 || error.status === 429) {
          toast("Network trouble: your rating is kept and will be sent again.", "warn", "net");
          await sleep(delay);
          delay = Math.min(delay * 2, 30000);
          continue;
        }
        state.outbox.shift();
        saveOutbox();
        toast(error.message, "error");
        if (entry.payload && error.status === 400) { restore(entry); }
      }
    }
    await fill();
  }

  // --- Showing an item ------------------------------------------------------------------------

  function setProgress(p) {
    Object.assign(state.progress, p);
    renderProgress();
  }

  function renderProgress() {
    const p = state.progress;
    field("complete").textContent = String(p.complete);
    field("items").textContent = String(p.items);
    field("today").textContent = String(p.today || 0);
    field("mine").textContent = String(p.mine);
    field("quota").textContent = p.quota === null || p.quota === undefined ? "" : " / " + p.quota;
    field("queue-bar").style.width = (p.items ? Math.round(100 * p.complete / p.items) : 0) + "%";
  }

  function renderInput(view) {
    inputBody.replaceChildren();
    (view.messages || []).forEach(function (m) {
      const bubble = document.createElement("div");
      bubble.className = "bubble role-" + (m.role === "user" || m.role === "assistant" ||
        m.role === "system" ? m.role : "other");
      const role = document.createElement("div");
      role.className = "bubble-role";
      role.textContent = m.role;
      const body = document.createElement("div");
      body.className = "md";
      body.innerHTML = m.html; // sanitised by the server (annotate.rendering)
      bubble.append(role, body);
      inputBody.append(bubble);
    });
    if (view.variables && view.variables.length) {
      const table = document.createElement("table");
      table.className = "vars";
      view.variables.forEach(function (pair) {
        const tr = document.createElement("tr");
        const th = document.createElement("th");
        const td = document.createElement("td");
        th.textContent = pair[0];
        td.textContent = pair[1];
        tr.append(th, td);
        table.append(tr);
      });
      inputBody.append(table);
    }
    if (view.html) {
      const body = document.createElement("div");
      body.className = "md";
      body.innerHTML = view.html; // sanitised by the server
      inputBody.append(body);
    }
  }

  function renderOthers(others) {
    if (!others || !others.length) { return; }
    const box = document.createElement("div");
    box.className = "others small";
    const title = document.createElement("strong");
    title.textContent = "Other reviewers";
    box.append(title);
    others.forEach(function (o) {
      const line = document.createElement("div");
      const parts = Object.keys(o.scores).map(function (k) { return k + " " + o.scores[k]; });
      line.textContent = o.reviewer + ": " + parts.join(", ") + (o.comment ? " — " + o.comment : "");
      box.append(line);
    });
    outputBody.append(box);
  }

  function show(item, prefill) {
    state.lastShown = item;
    state.scores = prefill ? Object.assign({}, prefill.scores) : {};
    state.flags = new Set(prefill ? prefill.flags : []);
    comment.value = prefill ? prefill.comment || "" : "";
    state.flagMenu = false;
    renderInput(item.input);
    outputBody.innerHTML = item.output_html; // sanitised by the server
    renderOthers(item.others);
    const ctx = item.context;
    field("context").textContent = ctx ? [ctx.prompt && ctx.prompt + " v" + ctx.prompt_version,
      ctx.model].filter(Boolean).join(" · ") : "";
    field("item-label").textContent = "item " + item.item;
    inputBody.scrollTop = 0;
    outputBody.scrollTop = 0;
    timer.reset(prefill && prefill.active_ms ? prefill.active_ms : 0);
    const firstMissing = criteria.findIndex(function (c) { return !(c.name in state.scores); });
    render();
    focusCriterion(firstMissing === -1 ? 0 : firstMissing, true);
  }

  function showFirst() {
    if (state.mode === "edit") { return; }
    if (state.items.length) {
      state.mode = "rate";
      app.dataset.state = "rate";
      field("empty").hidden = true;
      if (state.lastShown !== state.items[0]) { show(state.items[0], state.items[0].previous); }
      return;
    }
    if (state.empty) {
      state.mode = "empty";
      app.dataset.state = "empty";
      field("empty").hidden = false;
      field("empty-title").textContent = state.empty.reason === "done" ? "All done for now" : "No more items";
      field("empty-message").textContent = state.empty.message || "";
      state.lastShown = null;
    } else {
      state.mode = "loading";
      app.dataset.state = "loading";
    }
  }

  function restore(entry) {
    state.items.unshift(entry.payload);
    state.lastShown = null;
    state.mode = "rate";
    show(entry.payload, { scores: entry.body.scores || {}, flags: entry.body.flags || [],
                          comment: entry.body.comment || "", active_ms: entry.body.active_ms });
    state.lastShown = entry.payload;
    app.dataset.state = "rate";
  }

  // --- The form -------------------------------------------------------------------------------

  function anchorText(criterion, score) {
    if (score === undefined || Number.isNaN(score)) { return ""; }
    const text = criterion.anchors[String(score)];
    return score + (text ? " — " + text : "");
  }

  function render() {
    rows.forEach(function (row, index) {
      const c = criteria[index];
      const score = state.scores[c.name];
      const buttons = row.querySelectorAll(".level");
      let tabbable = null;
      buttons.forEach(function (b) {
        const on = Number(b.dataset.score) === score;
        b.setAttribute("aria-checked", on ? "true" : "false");
        b.classList.toggle("is-selected", on);
        b.tabIndex = -1;
        if (on) { tabbable = b; }
      });
      (tabbable || buttons[0]).tabIndex = 0;
      row.classList.toggle("is-focused", index === state.focus);
      row.classList.toggle("is-done", score !== undefined);
      row.querySelector(".anchor-hint").textContent = anchorText(c, score);
    });
    flagButtons.forEach(function (b) {
      b.setAttribute("aria-pressed", state.flags.has(b.dataset.flag) ? "true" : "false");
    });
    app.classList.toggle("flag-menu", state.flagMenu);
    app.classList.toggle("is-flagged", state.flags.size > 0);
  }

  let movingFocus = false;  // focus moved by the script, not by the reviewer

  function focusCriterion(index, moveDom) {
    state.focus = Math.max(0, Math.min(criteria.length - 1, index));
    render();
    if (moveDom) {
      const target = rows[state.focus].querySelector('.level[tabindex="0"]');
      movingFocus = true;
      if (target) { target.focus({ preventScroll: true }); }
      movingFocus = false;
      rows[state.focus].scrollIntoView({ block: "nearest" });
    }
  }

  function setScore(index, score) {
    const c = criteria[index];
    if (score < c.min || score > c.max) { return false; }
    state.scores[c.name] = score;
    render();
    return true;
  }

  function currentValues() {
    return { scores: Object.assign({}, state.scores), comment: comment.value,
             flags: Array.from(state.flags) };
  }

  function missingCriteria() {
    return criteria.filter(function (c) { return !(c.name in state.scores); });
  }

  function submitCurrent() {
    if (state.mode === "edit") { saveEdit(); return; }
    if (state.mode !== "rate" || !state.items.length) { return; }
    const missing = missingCriteria();
    if (missing.length && !state.flags.size) {
      focusCriterion(criteria.indexOf(missing[0]), true);
      toast("Score " + missing.map(function (c) { return c.name; }).join(", ") +
        " first, or flag the item (F).", "warn");
      rows[state.focus].classList.add("shake");
      setTimeout(function () { rows[state.focus].classList.remove("shake"); }, 400);
      return;
    }
    const current = state.items.shift();
    const values = currentValues();
    enqueue({ kind: "submit", item: current.item, payload: current, body: {
      client_token: uuid(), scores: values.scores, comment: values.comment, flags: values.flags,
      active_ms: timer.take(), rubric_version: cfg.rubric.id } });
    state.progress.today = (state.progress.today || 0) + 1;
    state.progress.mine += 1;
    renderProgress();
    state.lastShown = null;
    showFirst();
    toast(values.flags.length ? "Flagged and submitted." : "Submitted.", "ok", "submit", "U undoes");
  }

  function skipCurrent(reason) {
    closeSkip();
    if (state.mode !== "rate" || !state.items.length) { return; }
    const current = state.items.shift();
    enqueue({ kind: "skip", item: current.item, payload: current, body: { reason: reason || "" } });
    state.lastShown = null;
    showFirst();
    toast("Skipped.", "ok", "submit");
  }

  async function undo() {
    if (state.mode === "edit") { return; }
    const last = state.outbox[state.outbox.length - 1];
    if (last && !last.sending && last.payload) {
      // Not sent yet: take it back here.
      state.outbox.pop();
      saveOutbox();
      if (last.kind === "submit") { state.progress.mine -= 1; state.progress.today -= 1; }
      renderProgress();
      restore(last);
      toast("Taken back.", "ok", "submit");
      return;
    }
    try {
      await flush();
      const data = await serial(function () { return api("POST", cfg.urls.undo, {}); });
      if (data.progress) { setProgress(data.progress); }
      state.progress.today = Math.max(0, (state.progress.today || 0) - 1);
      renderProgress();
      state.items = state.items.filter(function (i) { return i.item !== data.next.item; });
      state.items.unshift(data.next);
      state.empty = null;
      state.lastShown = null;
      state.mode = "rate";
      showFirst();
      toast("Undone: the item is back with your scores.", "ok", "submit");
    } catch (error) {
      toast(error.message, "error");
    }
  }

  // --- Skip panel, flags, drawers, help ------------------------------------------------------

  function openSkip() {
    if (state.mode !== "rate") { return; }
    state.skipReason = "";
    skipText.value = "";
    reasonButtons.forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    skipPanel.hidden = false;
    skipPanel.querySelector('[data-action="skip-confirm"]').focus();
  }

  function closeSkip() {
    if (skipPanel.hidden) { return; }
    skipPanel.hidden = true;
    focusCriterion(state.focus, true);
  }

  function pickReason(index) {
    const button = reasonButtons[index];
    if (!button) { return; }
    state.skipReason = button.dataset.reason;
    reasonButtons.forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
  }

  function confirmSkip() { skipCurrent(skipText.value.trim() || state.skipReason); }

  function toggleFlag(index) {
    const button = flagButtons[index];
    if (!button) { return; }
    const flag = button.dataset.flag;
    if (state.flags.has(flag)) { state.flags.delete(flag); } else { state.flags.add(flag); }
    render();
  }

  function toggleDrawer(name) {
    const drawer = field(name);
    const opening = drawer.hidden;
    closeOverlays();
    drawer.hidden = !opening;
    if (opening && name === "history") { loadHistory(); }
  }

  function closeOverlays() {
    let closed = false;
    ["guidelines", "history", "help"].forEach(function (name) {
      if (!field(name).hidden) { field(name).hidden = true; closed = true; }
    });
    if (!skipPanel.hidden) { closeSkip(); closed = true; }
    if (state.flagMenu) { state.flagMenu = false; render(); closed = true; }
    return closed;
  }

  async function loadHistory() {
    const list = field("history-list");
    list.replaceChildren();
    let data;
    try { data = await api("GET", cfg.urls.history); } catch (error) { toast(error.message, "error"); return; }
    (data.results || []).forEach(function (a) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "history-item";
      button.dataset.annotation = a.id;
      const scores = document.createElement("span");
      scores.className = "history-scores";
      scores.textContent = Object.keys(a.scores).map(function (k) { return k + " " + a.scores[k]; })
        .join(" · ") + (a.flags.length ? " · flagged: " + a.flags.join(", ") : "");
      const preview = document.createElement("span");
      preview.className = "history-preview small muted";
      preview.textContent = "item " + a.item_id + ": " + a.preview;
      button.append(scores, preview);
      li.append(button);
      list.append(li);
    });
    if (!list.children.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "Nothing rated yet.";
      list.append(li);
    } else {
      list.querySelector("button").focus();
    }
  }

  async function startEdit(annotationId) {
    let data;
    try { data = await api("GET", url(cfg.urls.annotation, annotationId)); } catch (error) {
      toast(error.message, "error");
      return;
    }
    closeOverlays();
    state.mode = "edit";
    state.editing = data;
    app.dataset.state = "edit";
    field("edit-banner").hidden = false;
    field("edit-item").textContent = String(data.item.item);
    show(data.item, { scores: data.scores, flags: data.flags, comment: data.comment });
  }

  function stopEdit() {
    state.mode = "rate";
    state.editing = null;
    field("edit-banner").hidden = true;
    state.lastShown = null;
    showFirst();
  }

  async function saveEdit() {
    const values = currentValues();
    if (missingCriteria().length && !values.flags.length) {
      toast("Score every criterion, or flag the item.", "warn");
      return;
    }
    try {
      await api("PATCH", url(cfg.urls.annotation, state.editing.annotation), values);
      toast("Your change is saved.", "ok");
      stopEdit();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  function toggleHelp() {
    const help = field("help");
    const opening = help.hidden;
    closeOverlays();
    help.hidden = !opening;
    if (opening) { help.querySelector("button").focus(); } else { focusCriterion(state.focus, true); }
  }

  // --- Toasts ---------------------------------------------------------------------------------

  function toast(message, kind, key, hint) {
    const box = field("toasts");
    if (key) {
      const old = box.querySelector('[data-key="' + key + '"]');
      if (old) { old.remove(); }
    }
    const note = document.createElement("div");
    note.className = "toast toast-" + (kind || "ok");
    note.setAttribute("role", kind === "error" ? "alert" : "status");
    if (key) { note.dataset.key = key; }
    note.textContent = message;
    if (hint) {
      const k = document.createElement("span");
      k.className = "toast-hint";
      k.textContent = hint;
      note.append(k);
    }
    box.append(note);
    setTimeout(function () { note.remove(); }, kind === "error" ? 7000 : 2500);
  }

  // --- Active time and lease renewal --------------------------------------------------------

  const timer = {
    ms: 0, last: performance.now(), lastInput: performance.now(),
    tick: function () {
      const now = performance.now();
      const dt = Math.min(now - this.last, 2000);
      this.last = now;
      if (document.visibilityState === "visible" && now - this.lastInput < IDLE_MS) { this.ms += dt; }
      const s = Math.floor(this.ms / 1000);
      field("timer").textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    },
    reset: function (ms) { this.ms = ms || 0; this.last = performance.now(); this.tick(); },
    take: function () { this.tick(); return Math.round(this.ms); },
  };

  function markActive() { timer.lastInput = performance.now(); }

  setInterval(function () { timer.tick(); }, 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { timer.last = performance.now(); } else { timer.tick(); }
  });
  ["pointerdown", "pointermove", "wheel", "touchstart", "input"].forEach(function (type) {
    document.addEventListener(type, markActive, { passive: true });
  });
  document.addEventListener("scroll", markActive, { passive: true, capture: true });

  setInterval(function () {
    if (state.mode !== "rate" || !state.items.length) { return; }
    if (performance.now() - timer.lastInput > 2 * RENEW_MS) { return; }
    api("POST", url(cfg.urls.renew, state.items[0].item), {}).catch(function () {});
  }, RENEW_MS);

  // --- Events ---------------------------------------------------------------------------------

  function isTyping(target) {
    if (!target || !target.tagName) { return false; }
    return target.tagName === "TEXTAREA" || target.isContentEditable ||
      (target.tagName === "INPUT" && ["text", "search", "password", "email", "number"]
        .indexOf(target.type) !== -1);
  }

  function digit(event) {
    if (!/^[0-9]$/.test(event.key)) { return null; }
    const n = Number(event.key);
    return n === 0 ? 10 : n;
  }

  function onKey(event) {
    markActive();
    if (event.defaultPrevented || event.isComposing) { return; }
    const key = event.key;
    if (key === "Escape") {
      if (isTyping(event.target) && event.target !== skipText) { event.target.blur(); focusCriterion(state.focus, true); return; }
      if (closeOverlays()) { return; }
      if (state.mode === "edit") { stopEdit(); }
      return;
    }
    if (isTyping(event.target)) {
      if (key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (event.target === skipText) { confirmSkip(); return; }
        event.target.blur();
        submitCurrent();
      } else if (key === "Enter" && event.target === skipText) {
        event.preventDefault();
        confirmSkip();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (!field("help").hidden) {
      if (key === "?") { event.preventDefault(); toggleHelp(); }
      return;
    }
    if (!skipPanel.hidden) {
      const d = digit(event);
      if (d !== null) { event.preventDefault(); pickReason(d - 1); return; }
      if (key === "Enter" || key === "s" || key === "S") { event.preventDefault(); confirmSkip(); }
      return;
    }
    if (!field("history").hidden && field("history").contains(event.target)) {
      const buttons = Array.from(field("history").querySelectorAll(".history-item"));
      const at = buttons.indexOf(event.target);
      if (key === "ArrowDown" || key === "ArrowUp") {
        event.preventDefault();
        const next = buttons[Math.max(0, Math.min(buttons.length - 1, at + (key === "ArrowDown" ? 1 : -1)))];
        if (next) { next.focus(); }
        return;
      }
      if (key === "Enter" && at !== -1) { event.preventDefault(); startEdit(buttons[at].dataset.annotation); return; }
    }
    if (state.flagMenu) {
      const d = digit(event);
      if (d !== null) { event.preventDefault(); toggleFlag(d - 1); return; }
      if (key === "f" || key === "F") { event.preventDefault(); state.flagMenu = false; render(); return; }
    }
    if (state.mode !== "rate" && state.mode !== "edit") {
      if (key === "?") { event.preventDefault(); toggleHelp(); }
      if (key === "u" || key === "U") { event.preventDefault(); undo(); }
      return;
    }
    const d = digit(event);
    if (d !== null) {
      event.preventDefault();
      if (setScore(state.focus, d)) {
        focusCriterion(state.focus + 1 < criteria.length ? state.focus + 1 : state.focus, true);
      }
      return;
    }
    switch (key) {
      case "ArrowDown": case "j": event.preventDefault(); focusCriterion(state.focus + 1, true); break;
      case "ArrowUp": case "k": event.preventDefault(); focusCriterion(state.focus - 1, true); break;
      case "ArrowLeft": case "ArrowRight": {
        event.preventDefault();
        const c = criteria[state.focus];
        const now = state.scores[c.name];
        const step = key === "ArrowRight" ? 1 : -1;
        setScore(state.focus, now === undefined ? (step > 0 ? c.min : c.max) : now + step);
        focusCriterion(state.focus, true);
        break;
      }
      case "Enter": event.preventDefault(); submitCurrent(); break;
      case "s": case "S": event.preventDefault(); if (state.mode === "rate") { openSkip(); } break;
      case "f": case "F": event.preventDefault(); state.flagMenu = true; render(); break;
      case "u": case "U": event.preventDefault(); undo(); break;
      case "c": case "C": event.preventDefault(); comment.focus(); break;
      case "g": case "G": event.preventDefault(); toggleDrawer("guidelines"); break;
      case "h": case "H": event.preventDefault(); toggleDrawer("history"); break;
      case "?": event.preventDefault(); toggleHelp(); break;
      default: break;
    }
  }

  document.addEventListener("keydown", onKey);

  app.addEventListener("click", function (event) {
    const level = event.target.closest(".level");
    if (level) {
      const index = rows.indexOf(level.closest(".crit"));
      setScore(index, Number(level.dataset.score));
      focusCriterion(index, false);
      return;
    }
    const flag = event.target.closest(".flag");
    if (flag) { toggleFlag(flagButtons.indexOf(flag)); return; }
    const reason = event.target.closest(".reason");
    if (reason) { pickReason(reasonButtons.indexOf(reason)); return; }
    const historyItem = event.target.closest(".history-item");
    if (historyItem) { startEdit(historyItem.dataset.annotation); return; }
    const action = event.target.closest("[data-action]");
    if (!action) { return; }
    switch (action.dataset.action) {
      case "skip": openSkip(); break;
      case "skip-confirm": confirmSkip(); break;
      case "skip-cancel": closeSkip(); break;
      case "flag": state.flagMenu = !state.flagMenu; render(); break;
      case "undo": undo(); break;
      case "guidelines": toggleDrawer("guidelines"); break;
      case "history": toggleDrawer("history"); break;
      case "help": toggleHelp(); break;
      case "close": closeOverlays(); break;
      case "retry": state.empty = null; fill(); break;
      default: break;
    }
  });

  form.addEventListener("submit", function (event) { event.preventDefault(); submitCurrent(); });

  app.addEventListener("focusin", function (event) {
    const row = event.target.closest && event.target.closest(".crit");
    if (!row) { return; }
    if (rows.indexOf(row) !== state.focus) { state.focus = rows.indexOf(row); render(); }
    const level = event.target.closest(".level");
    if (level && !movingFocus && !level.classList.contains("is-selected")) {
      // A level reached with Tab or the arrow keys shows what it means before it is chosen.
      row.querySelector(".anchor-hint").textContent =
        anchorText(criteria[state.focus], Number(level.dataset.score));
    }
  });

  app.addEventListener("mouseover", function (event) {
    const level = event.target.closest && event.target.closest(".level");
    if (!level) { return; }
    const row = level.closest(".crit");
    const c = criteria[rows.indexOf(row)];
    row.querySelector(".anchor-hint").textContent = anchorText(c, Number(level.dataset.score));
  });

  app.addEventListener("mouseout", function (event) {
    const level = event.target.closest && event.target.closest(".level");
    if (level) { render(); }
  });

  // --- Start ----------------------------------------------------------------------------------

  renderProgress();
  render();
  flush();
})();
