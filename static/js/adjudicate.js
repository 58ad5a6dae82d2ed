// The adjudication page: one contested item at a time, every rating side by side, and the
// final scores (prefilled with the median) saved with Enter. Server text goes in as
// textContent; only the server-sanitised output HTML uses innerHTML.
(function () {
  "use strict";

  const cfg = JSON.parse(document.getElementById("adjudicate-config").textContent);
  const app = document.getElementById("adjudicate-app");
  const note = document.getElementById("adj-note");
  const state = { current: null, scores: {}, focus: 0, criteria: [] };

  function field(name) { return app.querySelector('[data-field="' + name + '"]'); }
  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(function () { return null; });
    if (!response.ok) { throw new Error((data && data.detail) || "The server answered " + response.status); }
    return data;
  }

  function toast(message, kind) {
    const box = field("toasts");
    const el = document.createElement("div");
    el.className = "toast toast-" + (kind || "ok");
    el.textContent = message;
    box.append(el);
    setTimeout(function () { el.remove(); }, kind === "error" ? 7000 : 2500);
  }

  function cell(tag, text) { const el = document.createElement(tag); el.textContent = text; return el; }

  function renderRatings(data) {
    const table = field("ratings");
    table.replaceChildren();
    const names = data.rubric.criteria.map(function (c) { return c.name; });
    const head = document.createElement("tr");
    head.append(cell("th", "Reviewer"));
    names.forEach(function (n) { head.append(cell("th", n)); });
    table.append(head);
    const comments = field("comments");
    comments.replaceChildren();
    data.ratings.forEach(function (r) {
      const tr = document.createElement("tr");
      tr.append(cell("td", r.reviewer + (r.rubric_version_id !== data.rubric.id ? " (v" + r.rubric_version + ")" : "")));
      names.forEach(function (n) { tr.append(cell("td", n in r.scores ? String(r.scores[n]) : "—")); });
      table.append(tr);
      if (r.comment || r.flags.length) {
        comments.append(cell("li", r.reviewer + ": " + [r.flags.length ? "flagged " + r.flags.join(", ") : "", r.comment].filter(Boolean).join(" — ")));
      }
    });
    if (data.is_gold) {
      const tr = document.createElement("tr");
      tr.className = "gold-row";
      tr.append(cell("td", "gold"));
      names.forEach(function (n) { tr.append(cell("td", n in data.gold_scores ? String(data.gold_scores[n]) : "—")); });
      table.append(tr);
    }
    field("version").textContent = "(rubric v" + data.rubric.number + ")";
  }

  function renderForm() {
    const box = field("criteria");
    box.replaceChildren();
    state.criteria.forEach(function (c, index) {
      const row = document.createElement("div");
      row.className = "crit" + (index === state.focus ? " is-focused" : "");
      const head = document.createElement("div");
      head.className = "crit-head";
      head.append(cell("span", c.name));
      head.firstChild.className = "crit-name";
      const scale = document.createElement("div");
      scale.className = "scale";
      scale.setAttribute("role", "radiogroup");
      for (let level = c.min; level <= c.max; level += 1) {
        const b = cell("button", String(level));
        b.type = "button";
        b.className = "level" + (state.scores[c.name] === level ? " is-selected" : "");
        b.setAttribute("role", "radio");
        b.setAttribute("aria-checked", state.scores[c.name] === level ? "true" : "false");
        b.title = level + ": " + (c.anchors[String(level)] || "");
        b.dataset.index = String(index);
        b.dataset.score = String(level);
        scale.append(b);
      }
      const hint = cell("div", index === state.focus ? (c.anchors[String(state.scores[c.name])] || c.description) : "");
      hint.className = "anchor-hint small";
      row.append(head, scale, hint);
      box.append(row);
    });
  }

  function show(data) {
    state.current = data;
    state.criteria = data.rubric.criteria;
    state.scores = Object.assign({}, data.adjudication ? data.adjudication.scores : data.suggested);
    state.focus = 0;
    note.value = data.adjudication ? data.adjudication.note : "";
    const item = data.item;
    const input = field("input");
    input.replaceChildren();
    (item.input.messages || []).forEach(function (m) {
      const b = document.createElement("div");
      b.className = "bubble role-" + m.role;
      b.append(cell("div", m.role));
      b.firstChild.className = "bubble-role";
      const body = document.createElement("div");
      body.className = "md";
      body.innerHTML = m.html; // sanitised by the server
      b.append(body);
      input.append(b);
    });
    if (item.input.variables.length) {
      const t = document.createElement("table");
      t.className = "vars";
      item.input.variables.forEach(function (p) {
        const tr = document.createElement("tr");
        tr.append(cell("th", p[0]), cell("td", p[1]));
        t.append(tr);
      });
      input.append(t);
    }
    if (item.input.html) {
      const body = document.createElement("div");
      body.className = "md";
      body.innerHTML = item.input.html; // sanitised by the server
      input.append(body);
    }
    field("output").innerHTML = item.output_html; // sanitised by the server
    const ctx = item.context || {};
    field("context").textContent = [ctx.prompt && ctx.prompt + " v" + ctx.prompt_version, ctx.model].filter(Boolean).join(" · ");
    field("item-label").textContent = "item " + item.item + " · " + data.done_count + " reviews";
    renderRatings(data);
    renderForm();
    app.dataset.state = "rate";
  }

  async function next(after) {
    try {
      const data = await api("POST", cfg.urls.next, { after: after || null });
      field("remaining").textContent = String(data.remaining);
      if (!data.next) {
        app.dataset.state = "empty";
        field("empty").hidden = false;
        app.querySelector(".rate-grid").hidden = true;
        return;
      }
      show(data.next);
    } catch (error) { toast(error.message, "error"); }
  }

  async function save() {
    const missing = state.criteria.filter(function (c) { return !(c.name in state.scores); });
    if (missing.length) { toast("Give a final score for " + missing.map(function (c) { return c.name; }).join(", "), "warn"); return; }
    const item = state.current.item.item;
    try {
      await api("POST", cfg.urls.adjudicate.replace("{id}", String(item)), { scores: state.scores, note: note.value });
      toast("Saved.");
      next(item);
    } catch (error) { toast(error.message, "error"); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.target === note) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save(); }
      if (event.key === "Escape") { note.blur(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || !state.current) { return; }
    const c = state.criteria[state.focus];
    if (/^[0-9]$/.test(event.key)) {
      event.preventDefault();
      const n = Number(event.key) || 10;
      if (n >= c.min && n <= c.max) { state.scores[c.name] = n; state.focus = Math.min(state.focus + 1, state.criteria.length - 1); renderForm(); }
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      state.focus = Math.max(0, Math.min(state.criteria.length - 1, state.focus + (event.key === "ArrowDown" ? 1 : -1)));
      renderForm();
    } else if (event.key === "Enter") { event.preventDefault(); save(); }
    else if (event.key === "n" || event.key === "N") { event.preventDefault(); next(state.current.item.item); }
  });

  app.addEventListener("click", function (event) {
    const level = event.target.closest(".level");
    if (level) {
      const index = Number(level.dataset.index);
      state.scores[state.criteria[index].name] = Number(level.dataset.score);
      state.focus = index;
      renderForm();
      return;
    }
    const action = event.target.closest("[data-action]");
    if (action && action.dataset.action === "skip" && state.current) { next(state.current.item.item); }
  });

  field("form").addEventListener("submit", function (event) { event.preventDefault(); save(); });
  next(null);
})();
