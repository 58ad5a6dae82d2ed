// The new-export form: show only the options ([data-kinds="kind ..."]) that apply to the chosen kind.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("export-form");
    var kind = form && form.querySelector('select[name="kind"]');
    if (!kind) { return; }
    function apply() {
      form.querySelectorAll("[data-kinds]").forEach(function (el) {
        el.hidden = el.getAttribute("data-kinds").split(" ").indexOf(kind.value) === -1;
      });
    }
    kind.addEventListener("change", apply);
    apply();
  });
})();
