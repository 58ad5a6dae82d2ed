// The rating page: keyboard-first rating with a prefetched next item, idempotent submits
// (each carries a client token; unsent ones wait in the outbox) and active-time tracking.
// This module holds the page's state and actions; requests, the outbox, drawing, keys and the
// timer live in the modules beside it.

import { createApi, fillUrl, uuid } from "./api.js";
import { createEditor } from "./history.js";
import { createKeys } from "./keys.js";
import { createOutbox } from "./outbox.js";
import { createView } from "./render.js";
import { createTimer } from "./timer.js";

const RENEW_MS = 60000;
const cfg = JSON.parse(document.getElementById("rate-config").textContent);
const app = document.getElementById("rate-app");
const form = document.getElementById("rate-form");
const comment = document.getElementById("comment");
const criteria = cfg.rubric.criteria;
const view = createView(app, criteria);
const { rows, flagButtons, field } = view;
const reasonButtons = Array.from(app.querySelectorAll(".reason"));
const skipPanel = field("skip-panel");
const skipText = skipPanel.querySelector(".skip-text");
const server = createApi(cfg.csrf);
const timer = createTimer(function (text) { field("timer").textContent = text; });

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
  lastShown: null,
};

function holding() { return state.items.map(function (i) { return i.item; }); }
function render() { view.form(state); }
function toast(message, kind, key, hint) { view.toast(message, kind, key, hint); }

const outbox = createOutbox("rate-outbox:" + cfg.queue.id + ":" + cfg.user, cfg.urls, {
  send: function (address, body) {
    return server.serial(function () {
      return server.request("POST", address, Object.assign({}, body, { holding: holding() }));
    });
  },
  accept: accept,
  trouble: function () { toast("Network trouble: your rating is kept and will be sent again.", "warn", "net"); },
  refused: function (entry, error) {
    toast(error.message, "error");
    if (entry.payload && error.status === 400) { restore(entry); }
  },
  done: fill,
});

// --- The ready list ---------------------------------------------------------------------------

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
      data = await server.serial(function () {
        return server.request("POST", cfg.urls.next, { holding: holding() });
      });
    } catch (error) {
      toast(error.message, "error");
      break;
    }
    if (!accept(data)) { break; }
  }
  if (state.mode === "loading" || state.mode === "empty") { showFirst(); }
}

function setProgress(p) {
  Object.assign(state.progress, p);
  view.progress(state.progress);
}

// --- Showing an item --------------------------------------------------------------------------

function show(item, prefill) {
  state.lastShown = item;
  state.scores = prefill ? Object.assign({}, prefill.scores) : {};
  state.flags = new Set(prefill ? prefill.flags : []);
  comment.value = prefill ? prefill.comment || "" : "";
  state.flagMenu = false;
  view.item(item);
  timer.reset(prefill && prefill.active_ms ? prefill.active_ms : 0);
  const firstMissing = criteria.findIndex(function (c) { return !(c.name in state.scores); });
  render();
  focusCriterion(firstMissing === -1 ? 0 : firstMissing, true);
}

function setMode(mode) {
  state.mode = mode;
  app.dataset.state = mode;
}

function showFirst() {
  if (state.mode === "edit") { return; }
  if (state.items.length) {
    setMode("rate");
    field("empty").hidden = true;
    if (state.lastShown !== state.items[0]) { show(state.items[0], state.items[0].previous); }
    return;
  }
  if (state.empty) {
    setMode("empty");
    field("empty").hidden = false;
    field("empty-title").textContent = state.empty.reason === "done" ? "All done for now" : "No more items";
    field("empty-message").textContent = state.empty.message || "";
    state.lastShown = null;
  } else {
    setMode("loading");
  }
}

// After a submit or skip: the next item, its question in view on a narrow screen.
function showNext() {
  state.lastShown = null;
  showFirst();
  view.revealQuestion();
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

// --- The form ---------------------------------------------------------------------------------

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

function refuseIncomplete(missing) {
  focusCriterion(criteria.indexOf(missing[0]), true);
  toast("Score " + missing.map(function (c) { return c.name; }).join(", ") +
    " first, or flag the item (F).", "warn");
  const row = rows[state.focus];
  row.classList.add("shake");
  setTimeout(function () { row.classList.remove("shake"); }, 400);
}

function submitCurrent() {
  if (state.mode === "edit") { saveEdit(); return; }
  if (state.mode !== "rate" || !state.items.length) { return; }
  const missing = missingCriteria();
  if (missing.length && !state.flags.size) { refuseIncomplete(missing); return; }
  const current = state.items.shift();
  const values = currentValues();
  outbox.push({ kind: "submit", item: current.item, payload: current, body: {
    client_token: uuid(), scores: values.scores, comment: values.comment, flags: values.flags,
    active_ms: timer.take(), rubric_version: cfg.rubric.id } });
  state.progress.today = (state.progress.today || 0) + 1;
  state.progress.mine += 1;
  view.progress(state.progress);
  showNext();
  toast(values.flags.length ? "Flagged and submitted." : "Submitted.", "ok", "submit", "U undoes");
}

function skipCurrent(reason) {
  closeSkip();
  if (state.mode !== "rate" || !state.items.length) { return; }
  const current = state.items.shift();
  outbox.push({ kind: "skip", item: current.item, payload: current, body: { reason: reason || "" } });
  showNext();
  toast("Skipped.", "ok", "submit");
}

async function undo() {
  if (state.mode === "edit") { return; }
  const last = outbox.takeBackLast();
  if (last) {  // not sent yet: take it back here
    if (last.kind === "submit") { state.progress.mine -= 1; state.progress.today -= 1; }
    view.progress(state.progress);
    restore(last);
    toast("Taken back.", "ok", "submit");
    return;
  }
  try {
    await outbox.flush();
    const data = await server.serial(function () { return server.request("POST", cfg.urls.undo, {}); });
    if (data.progress) { setProgress(data.progress); }
    state.progress.today = Math.max(0, (state.progress.today || 0) - 1);
    view.progress(state.progress);
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

// --- Skip panel, flags, drawers, help -------------------------------------------------------

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

function setFlagMenu(open) { state.flagMenu = open; render(); }

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
  if (state.flagMenu) { setFlagMenu(false); closed = true; }
  return closed;
}

function toggleHelp() {
  const help = field("help");
  const opening = help.hidden;
  closeOverlays();
  help.hidden = !opening;
  if (opening) { help.querySelector("button").focus(); } else { focusCriterion(state.focus, true); }
}

const editor = createEditor({
  state, view, server, urls: cfg.urls, show, showFirst, setMode, closeOverlays,
  currentValues, missingCriteria,
});
const { loadHistory, startEdit, stopEdit, saveEdit } = editor;

// --- Events -----------------------------------------------------------------------------------

const actions = {
  focusCriterion: focusCriterion, setScore: setScore, submit: submitCurrent, undo: undo,
  openSkip: openSkip, confirmSkip: confirmSkip, pickReason: pickReason, toggleFlag: toggleFlag,
  setFlagMenu: setFlagMenu, toggleDrawer: toggleDrawer, toggleHelp: toggleHelp,
  closeOverlays: closeOverlays, startEdit: startEdit, stopEdit: stopEdit,
};
const keys = createKeys({ state, view, actions, criteria, comment, skipPanel, skipText, timer });
document.addEventListener("keydown", keys.onKeyDown);
document.addEventListener("keyup", keys.onKeyUp);

const CLICKS = {
  skip: openSkip, "skip-confirm": confirmSkip, "skip-cancel": closeSkip,
  flag: function () { setFlagMenu(!state.flagMenu); }, undo: undo,
  guidelines: function () { toggleDrawer("guidelines"); },
  history: function () { toggleDrawer("history"); },
  help: toggleHelp, close: closeOverlays,
  retry: function () { state.empty = null; fill(); },
};

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
  if (action && Object.prototype.hasOwnProperty.call(CLICKS, action.dataset.action)) {
    CLICKS[action.dataset.action]();
  }
});

form.addEventListener("submit", function (event) { event.preventDefault(); submitCurrent(); });

app.addEventListener("focusin", function (event) {
  const row = event.target.closest && event.target.closest(".crit");
  if (!row) { return; }
  if (rows.indexOf(row) !== state.focus) { state.focus = rows.indexOf(row); render(); }
  const level = event.target.closest(".level");
  if (level && !movingFocus && !level.classList.contains("is-selected")) {
    view.hint(level);  // a level reached with Tab or arrows shows what it means before it is chosen
  }
});

app.addEventListener("mouseover", function (event) {
  const level = event.target.closest && event.target.closest(".level");
  if (level) { view.hint(level); }
});

app.addEventListener("mouseout", function (event) {
  const level = event.target.closest && event.target.closest(".level");
  if (level) { render(); }
});

setInterval(function () {
  if (state.mode !== "rate" || !state.items.length) { return; }
  if (timer.idleFor() > 2 * RENEW_MS) { return; }
  server.request("POST", fillUrl(cfg.urls.renew, state.items[0].item), {}).catch(function () {});
}, RENEW_MS);

view.progress(state.progress);
render();
outbox.flush();
