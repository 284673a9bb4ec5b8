// Agenda pages work without this file. It only proposes the browser's time zone: on a page with a day
// picker and no zone chosen yet, it reloads the page once with ?tz= set to the browser's zone.
(function () {
  "use strict";
  var form = document.querySelector("form[data-tz-form]");
  var params = new URLSearchParams(window.location.search);
  if (!form || params.has("tz") || typeof Intl === "undefined") { return; }
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  var input = form.querySelector("input[name=tz]");
  if (!zone || !input || input.value === zone) { return; }
  params.set("tz", zone);
  window.location.replace(window.location.pathname + "?" + params.toString());
}());
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var problems = document.getElementById("problems");
  if (problems) { problems.focus(); }
});
