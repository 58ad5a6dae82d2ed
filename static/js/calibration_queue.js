// The calibration queue's live forecast: whenever the version, judge, criterion, N or design
// change, ask the preview endpoint for the frame and the expected interval widths and show
// them. Without this script, the form's "Preview the forecast" button shows the same numbers.
(function () {
  "use strict";
  var FIELDS = ["version", "judge_version", "criterion", "budget", "sampling"];

  function fixed(value, digits) {
    return value === null || value === undefined ? "undefined" : Number(value).toFixed(digits);
  }

  function setup(box) {
    var form = box.closest("form");
    var url = box.getAttribute("data-preview-url");
    var out = box.querySelector("#calibration-forecast");
    var table = out.querySelector(".forecast-widths");
    var reason = out.querySelector(".forecast-reason");
    var timer = null;
    var asked = 0;

    function text(selector, value) { out.querySelector(selector).textContent = value; }

    function show(body, ok) {
      text(".forecast-source", "");
      text(".forecast-pilot", "");
      if (!ok) {
        table.hidden = true;
        reason.hidden = true;
        text(".forecast-frame", body.detail || "The plan could not be checked.");
        return;
      }
      var f = body.forecast;
      text(".forecast-frame", body.judge + " scored " + body.frame + " outputs on \u201c" +
        body.criterion + "\u201d: uniform sampling gives each a probability of " +
        fixed(body.uniform_probability, 4) + ".");
      text(".forecast-source", "Active sampling's uncertainty: " + body.uncertainty_source_text + ".");
      table.hidden = Boolean(f.reason);
      reason.hidden = !f.reason;
      if (f.reason) {
        reason.textContent = "The forecast is undefined (" + f.pilot + " pilot outputs): " + f.reason + ".";
        return;
      }
      text(".w-human", fixed(f.human_only, 3));
      text(".w-uniform", fixed(f.uniform, 3));
      text(".w-active", fixed(f.active, 3));
      text(".e-uniform", fixed(f.human_equivalent_uniform, 0));
      text(".e-active", fixed(f.human_equivalent_active, 0));
      text(".forecast-pilot", "Pilot: " + f.pilot + " outputs humans already rated.");
    }

    function refresh() {
      var params = new URLSearchParams();
      var data = new FormData(form);
      FIELDS.forEach(function (field) {
        data.getAll(field).forEach(function (value) { params.append(field, value); });
      });
      var mine = ++asked;
      fetch(url + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (body) { return [body, response.ok]; });
        })
        .then(function (result) { if (mine === asked) { show(result[0], result[1]); } })
        .catch(function () { if (mine === asked) { text(".forecast-frame", "Could not reach the forecast."); } });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    }

    FIELDS.forEach(function (field) {
      form.querySelectorAll('[name="' + field + '"]').forEach(function (input) {
        input.addEventListener("change", later);
        input.addEventListener("input", later);
      });
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".calibration-plan[data-preview-url]").forEach(setup);
  });
})();
