// Drawing the rating page: progress, the item (input, output, others' ratings), the form and
// toasts, and the output panel's scrolling. Server text goes in with textContent; only the
// output and message HTML, already sanitised by the server (annotate.rendering), uses innerHTML.

export function createView(app, criteria) {
  const inputBody = document.getElementById("input-body");
  const outputBody = document.getElementById("output-body");
  const rows = Array.from(app.querySelectorAll(".crit"));
  const flagButtons = Array.from(app.querySelectorAll(".flag"));

  function field(name) { return app.querySelector('[data-field="' + name + '"]'); }

  function progress(p) {
    field("complete").textContent = String(p.complete);
    field("items").textContent = String(p.items);
    field("today").textContent = String(p.today || 0);
    field("mine").textContent = String(p.mine);
    field("quota").textContent = p.quota === null || p.quota === undefined ? "" : " / " + p.quota;
    field("queue-bar").style.width = (p.items ? Math.round(100 * p.complete / p.items) : 0) + "%";
  }

  function bubble(m) {
    const box = document.createElement("div");
    box.className = "bubble role-" + (m.role === "user" || m.role === "assistant" ||
      m.role === "system" ? m.role : "other");
    const role = document.createElement("div");
    role.className = "bubble-role";
    role.textContent = m.role;
    const body = document.createElement("div");
    body.className = "md";
    body.innerHTML = m.html; // sanitised by the server
    box.append(role, body);
    return box;
  }

  function variables(pairs) {
    const table = document.createElement("table");
    table.className = "vars";
    pairs.forEach(function (pair) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      const td = document.createElement("td");
      th.textContent = pair[0];
      td.textContent = pair[1];
      tr.append(th, td);
      table.append(tr);
    });
    return table;
  }

  function input(view) {
    inputBody.replaceChildren();
    (view.messages || []).forEach(function (m) { inputBody.append(bubble(m)); });
    if (view.variables && view.variables.length) { inputBody.append(variables(view.variables)); }
    if (view.html) {
      const body = document.createElement("div");
      body.className = "md";
      body.innerHTML = view.html; // sanitised by the server
      inputBody.append(body);
    }
  }

  function others(list) {
    if (!list || !list.length) { return; }
    const box = document.createElement("div");
    box.className = "others small";
    const title = document.createElement("strong");
    title.textContent = "Other reviewers";
    box.append(title);
    list.forEach(function (o) {
      const line = document.createElement("div");
      const parts = Object.keys(o.scores).map(function (k) { return k + " " + o.scores[k]; });
      line.textContent = o.reviewer + ": " + parts.join(", ") + (o.comment ? " — " + o.comment : "");
      box.append(line);
    });
    outputBody.append(box);
  }

  function item(shown) {
    input(shown.input);
    outputBody.innerHTML = shown.output_html; // sanitised by the server
    others(shown.others);
    const ctx = shown.context;
    field("context").textContent = ctx ? [ctx.prompt && ctx.prompt + " v" + ctx.prompt_version,
      ctx.model].filter(Boolean).join(" · ") : "";
    field("item-label").textContent = "item " + shown.item;
    inputBody.scrollTop = 0;
    outputBody.scrollTop = 0;
    moreCue();
  }

  function anchorText(criterion, score) {
    if (score === undefined || Number.isNaN(score)) { return ""; }
    const text = criterion.anchors[String(score)];
    return score + (text ? " — " + text : "");
  }

  function form(state) {
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

  function hint(level) {
    const row = level.closest(".crit");
    row.querySelector(".anchor-hint").textContent =
      anchorText(criteria[rows.indexOf(row)], Number(level.dataset.score));
  }

  function toast(message, kind, key, extra) {
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
    if (extra) {
      const k = document.createElement("span");
      k.className = "toast-hint";
      k.textContent = extra;
      note.append(k);
    }
    box.append(note);
    setTimeout(function () { note.remove(); }, kind === "error" ? 7000 : 2500);
  }

  // --- The output panel: scroll keys and the "more below" cue ------------------------------

  function overflows() { return outputBody.scrollHeight > outputBody.clientHeight + 1; }

  function moreCue() {
    const rest = outputBody.scrollHeight - outputBody.clientHeight - outputBody.scrollTop;
    field("more-below").hidden = !(overflows() && rest > 4);
  }

  // Scroll the output panel for Space, PageDown, PageUp, Home or End; false if it does not
  // overflow (nothing to scroll there).
  function scrollOutput(key, shift) {
    if (!overflows()) { return false; }
    const page = Math.max(40, outputBody.clientHeight - 40);
    if (key === "Home") { outputBody.scrollTop = 0; }
    else if (key === "End") { outputBody.scrollTop = outputBody.scrollHeight; }
    else if (key === "PageUp" || (key === " " && shift)) { outputBody.scrollTop -= page; }
    else { outputBody.scrollTop += page; }
    moreCue();
    return true;
  }

  // On a narrow screen the panels stack: bring the next item's question into view.
  function revealQuestion() {
    if (window.matchMedia("(max-width: 900px)").matches) {
      document.getElementById("input-title").scrollIntoView({ block: "start" });
    }
  }

  outputBody.addEventListener("scroll", moreCue, { passive: true });
  window.addEventListener("resize", moreCue, { passive: true });

  return {
    rows: rows, flagButtons: flagButtons, outputBody: outputBody, inputBody: inputBody,
    field: field, progress: progress, item: item, form: form, hint: hint, anchorText: anchorText,
    toast: toast, scrollOutput: scrollOutput, moreCue: moreCue, revealQuestion: revealQuestion,
  };
}
