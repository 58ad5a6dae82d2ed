// The queue builder's live count: whenever the chosen versions, models or ids change, ask the
// preview endpoint how many outputs the choice takes and show it. Without this script, the
// form's "Preview the count" button shows the same count from the server.
(function () {
  "use strict";
  var FIELDS = ["prompt_versions", "models", "output_ids"];

  function setup(box) {
    var form = box.closest("form");
    var prefix = box.getAttribute("data-prefix");
    var url = box.getAttribute("data-preview-url");
    var count = box.querySelector(".preview-count");
    var arms = box.querySelector(".preview-arms");
    var timer = null;
    var asked = 0;

    function name(field) { return prefix ? prefix + "-" + field : field; }

    function query() {
      var params = new URLSearchParams();
      var data = new FormData(form);
      FIELDS.forEach(function (field) {
        data.getAll(name(field)).forEach(function (value) { params.append(field, value); });
      });
      return params;
    }

    function show(body, ok) {
      arms.textContent = "";
      if (!ok) {
        count.textContent = body.detail || "The choice could not be counted.";
        return;
      }
      count.textContent = body.count + (body.count === 1 ? " output" : " outputs") + " chosen";
      body.arms.forEach(function (arm) {
        var li = document.createElement("li");
        li.textContent = arm.prompt_version + " · " + arm.model + ": " + arm.count;
        arms.appendChild(li);
      });
    }

    function refresh() {
      var mine = ++asked;
      fetch(url + "?" + query().toString(), { credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (body) { return [body, response.ok]; });
        })
        .then(function (result) { if (mine === asked) { show(result[0], result[1]); } })
        .catch(function () { if (mine === asked) { count.textContent = "Could not count the outputs."; } });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    }

    FIELDS.forEach(function (field) {
      form.querySelectorAll('[name="' + name(field) + '"]').forEach(function (input) {
        input.addEventListener("change", later);
        input.addEventListener("input", later);
      });
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".output-choice[data-preview-url]").forEach(setup);
  });
})();
