// ecs-exposure dashboard: the only script (served from this origin; the CSP allows no other).
// Everything works without it; it only submits a filter form when one of its lists changes.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select.autosubmit").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.requestSubmit(); }
    });
  });
});
