// Poll job rows through the API while a worker runs them, and show their progress: imports,
// exports, agreement and judge reports, scorecards, comparisons, generation runs. No HTML is
// built from server text.
//
// Markup: an element with data-poll-url (empty: nothing to poll) and data-finished="1" once the
// job is done. Inside it, [data-field=NAME] shows the job's NAME (the status also gets its
// class), [data-field=progress-bar] (else the first .bar[data-progress]) the progress,
// [data-field=percent] "N% done", [data-field=error] the error (unhidden), [data-field=row_errors]
// one list item per error, and [data-show-when=STATUS] is shown only at that status. With
// data-reload-when-done="1" the page reloads once the job finishes (it then shows the result).
// Anywhere on the page, .bar[data-progress] is drawn as a share of data-scale (default 1).
(function () {
  "use strict";

  var FINISHED = ["succeeded", "failed", "cancelled"];
  var SPECIAL = ["progress-bar", "percent", "error", "row_errors"];

  function setBar(bar) {
    var scale = parseFloat(bar.getAttribute("data-scale")) || 1;
    var share = (parseFloat(bar.getAttribute("data-progress")) || 0) / scale;
    share = Math.max(0, Math.min(1, share));
    bar.style.width = Math.round(share * 100) + "%";
    return share;
  }

  function present(value) {
    return value !== undefined && value !== null && value !== "";
  }

  function render(root, job) {
    root.querySelectorAll("[data-field]").forEach(function (el) {
      var name = el.getAttribute("data-field");
      if (SPECIAL.indexOf(name) !== -1 || !present(job[name])) { return; }
      el.textContent = String(job[name]);
      if (name === "status") { el.className = "status status-" + job.status; }
    });
    var bar = root.querySelector('[data-field="progress-bar"]') ||
      root.querySelector(".bar[data-progress]");
    if (bar && present(job.progress)) {
      bar.setAttribute("data-progress", job.progress);
      var share = setBar(bar);
      root.querySelectorAll('[data-field="percent"]').forEach(function (el) {
        el.textContent = Math.round(share * 100) + "% done.";
      });
    }
    if (present(job.error)) {
      root.querySelectorAll('[data-field="error"]').forEach(function (el) {
        el.textContent = job.error;
        el.hidden = false;
      });
    }
    var list = root.querySelector('[data-field="row_errors"]');
    if (list && Array.isArray(job.row_errors)) {
      list.replaceChildren();
      job.row_errors.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        list.appendChild(li);
      });
    }
    root.querySelectorAll("[data-show-when]").forEach(function (el) {
      el.hidden = el.getAttribute("data-show-when") !== job.status;
    });
  }

  function poll(root, delay) {
    fetch(root.getAttribute("data-poll-url"),
          { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (job) {
        render(root, job);
        if (FINISHED.indexOf(job.status) === -1) {
          setTimeout(function () { poll(root, 1000); }, 1000);
        } else if (root.getAttribute("data-reload-when-done") === "1") {
          window.location.reload();
        }
      })
      .catch(function () {  // back off while the server is unreachable, up to 15 s
        setTimeout(function () { poll(root, Math.min(delay * 2, 15000)); }, delay);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".bar[data-progress]").forEach(setBar);
    document.querySelectorAll("[data-poll-url]").forEach(function (root) {
      if (root.getAttribute("data-poll-url") && root.getAttribute("data-finished") !== "1") {
        poll(root, 1000);
      }
    });
  });
})();
