// Export pages: poll running export jobs and show their progress; hide options that do not
// apply to the chosen kind. No HTML is built from server text.
(function () {
  "use strict";
  var DONE = ["succeeded", "failed", "cancelled"];

  function setBars(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      var p = parseFloat(bar.getAttribute("data-progress")) || 0;
      bar.style.width = Math.round(Math.max(0, Math.min(1, p)) * 100) + "%";
    });
  }

  function render(root, job) {
    ["status", "rows", "sha256", "error"].forEach(function (name) {
      var el = root.querySelector('[data-field="' + name + '"]');
      if (el && job[name] !== undefined && job[name] !== null && job[name] !== "") {
        el.textContent = String(job[name]);
        if (name === "status") { el.className = "status status-" + job.status; }
      }
    });
    var bar = root.querySelector('[data-field="progress-bar"]');
    if (bar) { bar.setAttribute("data-progress", job.progress); }
    root.querySelectorAll("[data-show-when]").forEach(function (el) {
      el.hidden = el.getAttribute("data-show-when") !== job.status;
    });
    setBars(root);
  }

  function poll(root) {
    fetch(root.getAttribute("data-poll-url"), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (job) {
        render(root, job);
        if (DONE.indexOf(job.status) === -1) {
          setTimeout(function () { poll(root); }, 1000);
        } else if (root.getAttribute("data-reload-when-done") === "1") {
          window.location.reload();  // the finished page shows the datasheet
        }
      })
      .catch(function () { setTimeout(function () { poll(root); }, 3000); });
  }

  function kindOptions(form) {
    var kind = form.querySelector('select[name="kind"]');
    if (!kind) { return; }
    function apply() {
      form.querySelectorAll("[data-kinds]").forEach(function (el) {
        el.hidden = el.getAttribute("data-kinds").split(" ").indexOf(kind.value) === -1;
      });
    }
    kind.addEventListener("change", apply);
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setBars(document);
    document.querySelectorAll("[data-poll-url]").forEach(function (root) {
      if (root.getAttribute("data-finished") !== "1") { poll(root); }
    });
    var form = document.getElementById("export-form");
    if (form) { kindOptions(form); }
  });
})();
