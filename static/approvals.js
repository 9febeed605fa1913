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
