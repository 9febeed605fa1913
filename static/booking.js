// Booking page enhancements; the page works without them.
(function () {
  "use strict";
  var select = document.getElementById("tz");
  var form = document.getElementById("zone-form");
  if (!select || !form) {
    return;
  }
  // First visit without a chosen zone: show times in the browser's own zone.
  var params = new URLSearchParams(window.location.search);
  var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!params.has("tz") && browserZone && browserZone !== select.value) {
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === browserZone;
    });
    if (known) {
      params.set("tz", browserZone);
      window.location.replace(window.location.pathname + "?" + params.toString());
      return;
    }
  }
  select.addEventListener("change", function () {
    form.submit();
  });
  var button = document.getElementById("zone-submit");
  if (button) {
    button.hidden = true;
  }
})();
