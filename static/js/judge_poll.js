// Judge report page: poll the report while a worker computes it, then reload to show it.
(function () {
  "use strict";

  var FINISHED = ["succeeded", "failed", "cancelled"];

  function setBar(bar, progress) {
    if (progress !== undefined) { bar.setAttribute("data-progress", progress); }
    var p = parseFloat(bar.getAttribute("data-progress")) || 0;
    bar.style.width = Math.round(Math.max(0, Math.min(1, p)) * 100) + "%";
  }

  function poll(root, delay) {
    fetch(root.getAttribute("data-report-poll-url"),
          { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (report) {
        var status = root.querySelector('[data-field="status"]');
        if (status) { status.textContent = report.status; }
        var bar = root.querySelector('[data-field="progress-bar"]');
        if (bar) { setBar(bar, report.progress); }
        if (FINISHED.indexOf(report.status) !== -1) {
          window.location.reload();
        } else {
          setTimeout(function () { poll(root, 1000); }, 1000);
        }
      })
      .catch(function () {
        setTimeout(function () { poll(root, Math.min(delay * 2, 15000)); }, delay);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("judge-report-job");
    if (!root) { return; }
    var bar = root.querySelector('[data-field="progress-bar"]');
    if (bar) { setBar(bar); }
    if (root.getAttribute("data-finished") !== "1") { poll(root, 1000); }
  });
})();
