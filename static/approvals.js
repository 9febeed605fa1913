// The approval queue tells its reader when new requests arrive, without reloading the page
// under their hands: it polls the count and shows a link when it grows.
(function () {
  "use strict";
  var counter = document.getElementById("pending-count");
  var banner = document.getElementById("queue-updates");
  if (!counter || !banner || !window.fetch) {
    return;
  }
  var shown = parseInt(counter.getAttribute("data-pending"), 10) || 0;
  function check() {
    fetch("/admin/approvals/count", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && typeof body.pending === "number" && body.pending > shown) {
          banner.hidden = false;
        }
      })
      .catch(function () {});
  }
  window.setInterval(check, 10000);
})();

// "Select all" checks or clears every request on the page for the bulk decision; it only
// appears when this script runs, since without it each box is checked by hand.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  var label = document.getElementById("select-all-label");
  if (!all || !label) {
    return;
  }
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.pick-request"));
  label.hidden = false;
  function reflect() {
    var checked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = checked === boxes.length && checked > 0;
    all.indeterminate = checked > 0 && checked < boxes.length;
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    reflect();
  });
  boxes.forEach(function (box) { box.addEventListener("change", reflect); });
})();
