// Release-loop pages: progress bars from data attributes, polling a report a worker computes
// (reload when it finishes), and a confirmation before moving a label. No inline script or
// style anywhere; no HTML is built from server text.
(function () {
  "use strict";

  var FINISHED = ["succeeded", "failed", "cancelled"];

  function setBar(bar) {
    var scale = parseFloat(bar.getAttribute("data-scale")) || 1;
    var share = (parseFloat(bar.getAttribute("data-progress")) || 0) / scale;
    share = Math.max(0, Math.min(1, share));
    bar.style.width = Math.round(share * 100) + "%";
    return share;
  }

  function setText(root, name, text) {
    var el = root.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = text; }
    return el;
  }

  function render(root, report) {
    var status = setText(root, "status", report.status);
    if (status) { status.className = "status status-" + report.status; }
    var bar = root.querySelector(".bar[data-progress]");
    if (bar) {
      bar.setAttribute("data-progress", report.progress);
      setText(root, "percent", Math.round(setBar(bar) * 100) + "% done");
    }
    if (report.error) {
      var error = setText(root, "error", report.error);
      if (error) { error.hidden = false; }
    }
  }

  function poll(root, delay) {
    var url = root.getAttribute("data-version-poll-url");
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
    document.querySelectorAll(".bar[data-progress]").forEach(setBar);
    document.querySelectorAll("[data-version-poll-url]").forEach(function (root) {
      if (root.getAttribute("data-version-poll-url")) { poll(root, 1000); }
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
