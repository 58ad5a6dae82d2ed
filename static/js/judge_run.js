// Judge run page: poll the run through the API and show its counters and totals as they change.
// Text only (textContent); no HTML is built from server data.
(function () {
  "use strict";

  var FINISHED = ["succeeded", "failed", "cancelled"];
  var COUNTERS = ["status", "done_calls", "total_calls", "cached_calls", "error_calls", "retries",
                  "tokens_in", "tokens_out", "cost", "error"];
  var TOTALS = ["latency_ms_p50", "latency_ms_p95", "parse_errors", "repaired"];

  function setText(root, name, value) {
    var el = root.querySelector('[data-field="' + name + '"]');
    if (el && value !== undefined && value !== null) { el.textContent = String(value); }
    return el;
  }

  function setBar(root, progress) {
    var bar = root.querySelector('[data-field="progress-bar"]');
    if (!bar) { return; }
    if (progress !== undefined) { bar.setAttribute("data-progress", progress); }
    var p = parseFloat(bar.getAttribute("data-progress")) || 0;
    bar.style.width = Math.round(Math.max(0, Math.min(1, p)) * 100) + "%";
  }

  function render(root, run) {
    COUNTERS.forEach(function (name) { setText(root, name, run[name]); });
    var totals = run.totals || {};
    TOTALS.forEach(function (name) { setText(root, name, totals[name]); });
    var status = root.querySelector('[data-field="status"]');
    if (status) { status.className = "status status-" + run.status; }
    setBar(root, run.progress);
    var finished = FINISHED.indexOf(run.status) !== -1;
    root.querySelectorAll("[data-show-while]").forEach(function (el) { el.hidden = finished; });
    root.querySelectorAll("[data-show-when]").forEach(function (el) {
      el.hidden = el.getAttribute("data-show-when") !== run.status;
    });
    return finished;
  }

  function poll(root, delay) {
    fetch(root.getAttribute("data-run-poll-url"),
          { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (run) {
        if (!render(root, run)) { setTimeout(function () { poll(root, 1000); }, 1000); }
      })
      .catch(function () {
        setTimeout(function () { poll(root, Math.min(delay * 2, 15000)); }, delay);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("judge-run");
    if (!root) { return; }
    setBar(root);
    if (root.getAttribute("data-finished") !== "1") { poll(root, 1000); }
  });
})();
