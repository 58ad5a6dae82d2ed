// Report page: poll the report row through the API while a worker computes it, show progress,
// and reload the page when it finishes. No HTML is built from server text.
(function () {
  "use strict";

  var FINISHED = ["succeeded", "failed", "cancelled"];

  function setBar(bar) {
    var p = parseFloat(bar.getAttribute("data-progress")) || 0;
    p = Math.max(0, Math.min(1, p));
    bar.style.width = Math.round(p * 100) + "%";
    return p;
  }

  function setText(root, name, text) {
    var el = root.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = text; }
    return el;
  }

  function render(root, report) {
    var status = setText(root, "status", report.status);
    if (status) { status.className = "status status-" + report.status; }
    var bar = root.querySelector('[data-field="progress-bar"]');
    if (bar) {
      bar.setAttribute("data-progress", report.progress);
      setText(root, "percent", Math.round(setBar(bar) * 100) + "% done.");
    }
    if (report.error) {
      var error = setText(root, "error", report.error);
      if (error) { error.hidden = false; }
    }
  }

  function poll(root, delay) {
    var url = root.getAttribute("data-report-poll-url");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (report) {
        render(root, report);
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
    document.querySelectorAll('[data-field="progress-bar"][data-progress]').forEach(setBar);
    var root = document.querySelector("[data-report-poll-url]");
    if (root && FINISHED.indexOf(root.getAttribute("data-status")) === -1) {
      poll(root, 1000);
    }
  });
})();
