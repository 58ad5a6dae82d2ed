// Your recent ratings (the history drawer) and editing one of them: the old values are kept
// by the server, and the page goes back to the item it was rating when you are done.

import { fillUrl } from "./api.js";

// page: state, view, server, urls, show, showFirst, setMode, closeOverlays, currentValues,
// missingCriteria
export function createEditor(page) {
  const { state, view } = page;

  function historyEntry(a) {
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
    return li;
  }

  async function loadHistory() {
    const list = view.field("history-list");
    list.replaceChildren();
    let data;
    try { data = await page.server.request("GET", page.urls.history); } catch (error) { view.toast(error.message, "error"); return; }
    (data.results || []).forEach(function (a) { list.append(historyEntry(a)); });
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
    try { data = await page.server.request("GET", fillUrl(page.urls.annotation, annotationId)); } catch (error) {
      view.toast(error.message, "error");
      return;
    }
    page.closeOverlays();
    state.editing = data;
    page.setMode("edit");
    view.field("edit-banner").hidden = false;
    view.field("edit-item").textContent = String(data.item.item);
    page.show(data.item, { scores: data.scores, flags: data.flags, comment: data.comment });
  }

  function stopEdit() {
    state.mode = "rate";
    state.editing = null;
    view.field("edit-banner").hidden = true;
    state.lastShown = null;
    page.showFirst();
  }

  async function saveEdit() {
    const values = page.currentValues();
    if (page.missingCriteria().length && !values.flags.length) {
      view.toast("Score every criterion, or flag the item.", "warn");
      return;
    }
    try {
      await page.server.request("PATCH", fillUrl(page.urls.annotation, state.editing.annotation), values);
      view.toast("Your change is saved.", "ok");
      stopEdit();
    } catch (error) {
      view.toast(error.message, "error");
    }
  }

  return { loadHistory: loadHistory, startEdit: startEdit, stopEdit: stopEdit, saveEdit: saveEdit };
}
