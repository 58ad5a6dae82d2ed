// Poll a job row through the API and show its progress; no HTML is built from server text.
(function () {
  "use strict";

  function setBars(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      var p = parseFloat(bar.getAttribute("data-progress")) || 0;
      bar.style.width = Math.round(Math.max(0, Math.min(1, p)) * 100) + "%";
    });
  }

  function render(root, job) {
    var fields = ["status", "rows_seen", "rows_created", "rows_existing", "rows_failed", "error"];
    fields.forEach(function (name) {
      var el = root.querySelector('[data-field="' + name + '"]');
      if (el && job[name] !== undefined && job[name] !== null) {
        el.textContent = String(job[name]);
        if (name === "status") { el.className = "status status-" + job.status; }
      }
    });
    var bar = root.querySelector('[data-field="progress-bar"]');
    if (bar) { bar.setAttribute("data-progress", job.progress); }
    var list = root.querySelector('[data-field="row_errors"]');
    if (list && Array.isArray(job.row_errors)) {
      list.replaceChildren();
      job.row_errors.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        list.appendChild(li);
      });
    }
    setBars(root);
  }

  function poll(root) {
    var url = root.getAttribute("data-poll-url");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (job) {
        render(root, job);
        if (["succeeded", "failed", "cancelled"].indexOf(job.status) === -1) {
          setTimeout(function () { poll(root); }, 1000);
        }
      })
      .catch(function () { setTimeout(function () { poll(root); }, 3000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setBars(document);
    document.querySelectorAll("[data-poll-url]").forEach(function (root) {
      if (root.getAttribute("data-finished") !== "1") { poll(root); }
    });
  });
})();
