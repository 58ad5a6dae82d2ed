// The rating page's keyboard: one handler per situation (typing, a dialog open, the history
// drawer, the flag menu, rating), tried in turn. Each returns true once it has dealt with the key.
// Space and the page keys scroll the output panel; Space never scores (on a focused score
// button it would otherwise "click" it).

const SCROLL_KEYS = [" ", "PageDown", "PageUp", "Home", "End"];

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

function stop(event) { event.preventDefault(); return true; }

export function createKeys(page) {
  const { state, view, actions } = page;

  function escape(event) {
    if (event.key !== "Escape") { return false; }
    if (isTyping(event.target) && event.target !== page.skipText) {
      event.target.blur();
      actions.focusCriterion(state.focus, true);
    } else if (!actions.closeOverlays() && state.mode === "edit") {
      actions.stopEdit();
    }
    return true;
  }

  function typing(event) {
    if (!isTyping(event.target)) { return false; }
    const inSkip = event.target === page.skipText;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey || inSkip)) {
      event.preventDefault();
      if (inSkip) { actions.confirmSkip(); } else { event.target.blur(); actions.submit(); }
    }
    return true;
  }

  function help(event) {
    if (view.field("help").hidden) { return false; }
    if (event.key === "?") { stop(event); actions.toggleHelp(); }
    return true;
  }

  function skipDialog(event) {
    if (page.skipPanel.hidden) { return false; }
    const d = digit(event);
    if (d !== null) { stop(event); actions.pickReason(d - 1); }
    else if (["Enter", "s", "S"].indexOf(event.key) !== -1) { stop(event); actions.confirmSkip(); }
    return true;
  }

  function history(event) {
    const drawer = view.field("history");
    if (drawer.hidden || !drawer.contains(event.target)) { return false; }
    const buttons = Array.from(drawer.querySelectorAll(".history-item"));
    const at = buttons.indexOf(event.target);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = buttons[Math.max(0, Math.min(buttons.length - 1, at + step))];
      if (next) { next.focus(); }
      return stop(event);
    }
    if (event.key === "Enter" && at !== -1) {
      actions.startEdit(buttons[at].dataset.annotation);
      return stop(event);
    }
    return false;
  }

  function flagMenu(event) {
    if (!state.flagMenu) { return false; }
    const d = digit(event);
    if (d !== null) { actions.toggleFlag(d - 1); return stop(event); }
    if (event.key === "f" || event.key === "F") { actions.setFlagMenu(false); return stop(event); }
    return false;
  }

  function scrolling(event) {
    if (SCROLL_KEYS.indexOf(event.key) === -1) { return false; }
    const target = event.target && event.target.closest ? event.target : null;
    if (target && target.closest(".panel-body")) { return true; }  // a focused panel scrolls itself
    if (target && target.closest("button, a, select") && !target.closest(".scale")) {
      return false;  // Space presses a focused button or link as usual
    }
    if (view.scrollOutput(event.key, event.shiftKey) || event.key === " ") { event.preventDefault(); }
    return true;
  }

  function notRating(event) {
    if (state.mode === "rate" || state.mode === "edit") { return false; }
    if (event.key === "?") { stop(event); actions.toggleHelp(); }
    if (event.key === "u" || event.key === "U") { stop(event); actions.undo(); }
    return true;
  }

  function score(event) {
    const d = digit(event);
    if (d === null) { return false; }
    if (actions.setScore(state.focus, d)) {
      const last = page.criteria.length - 1;
      actions.focusCriterion(Math.min(state.focus + 1, last), true);
    }
    return stop(event);
  }

  function nudge(step) {
    const c = page.criteria[state.focus];
    const now = state.scores[c.name];
    actions.setScore(state.focus, now === undefined ? (step > 0 ? c.min : c.max) : now + step);
    actions.focusCriterion(state.focus, true);
  }

  const SHORTCUTS = {
    ArrowDown: function () { actions.focusCriterion(state.focus + 1, true); },
    ArrowUp: function () { actions.focusCriterion(state.focus - 1, true); },
    ArrowLeft: function () { nudge(-1); },
    ArrowRight: function () { nudge(1); },
    Enter: function () { actions.submit(); },
    s: function () { if (state.mode === "rate") { actions.openSkip(); } },
    f: function () { actions.setFlagMenu(true); },
    u: function () { actions.undo(); },
    c: function () { page.comment.focus(); },
    g: function () { actions.toggleDrawer("guidelines"); },
    h: function () { actions.toggleDrawer("history"); },
    "?": function () { actions.toggleHelp(); },
  };
  SHORTCUTS.j = SHORTCUTS.ArrowDown;
  SHORTCUTS.k = SHORTCUTS.ArrowUp;

  function shortcut(event) {
    const key = event.key.length === 1 && event.key !== "?" ? event.key.toLowerCase() : event.key;
    const run = Object.prototype.hasOwnProperty.call(SHORTCUTS, key) ? SHORTCUTS[key] : null;
    if (!run) { return false; }
    run();
    return stop(event);
  }

  const BEFORE_MODIFIERS = [escape, typing];
  const HANDLERS = [help, skipDialog, history, flagMenu, scrolling, notRating, score, shortcut];

  function onKeyDown(event) {
    page.timer.markActive();
    if (event.defaultPrevented || event.isComposing) { return; }
    if (BEFORE_MODIFIERS.some(function (handle) { return handle(event); })) { return; }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    HANDLERS.some(function (handle) { return handle(event); });
  }

  // A button "clicks" on Space's keyup: never on a score, which Space must not set.
  function onKeyUp(event) {
    if (event.key === " " && event.target.closest && event.target.closest(".scale")) {
      event.preventDefault();
    }
  }

  return { onKeyDown: onKeyDown, onKeyUp: onKeyUp };
}
