// Runs inside an embedded booking or manage page (`?embed=1`): tells the page that frames it
// how tall this page is and, once a booking is made, what was booked. Neither message carries
// anything secret: the manage link stays inside the frame.
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  function post(message) {
    window.parent.postMessage(message, "*");
  }
  // The body's own height, not the document's: that is never less than the frame, so a page
  // that gets shorter (a confirmation after the times) would keep the frame tall.
  function reportHeight() {
    var style = window.getComputedStyle(document.body);
    var height = document.body.getBoundingClientRect().height +
      parseFloat(style.marginTop) + parseFloat(style.marginBottom);
    post({ type: "convene:height", height: Math.ceil(height) });
  }
  reportHeight();
  if (window.ResizeObserver) {
    new ResizeObserver(reportHeight).observe(document.body);
  }
  var booked = document.querySelector("[data-convene-booked]");
  if (booked) {
    try {
      post({ type: "convene:booked", detail: JSON.parse(booked.getAttribute("data-convene-booked")) });
    } catch (ignored) {
      // A page without a readable summary sends no event rather than a wrong one.
    }
  }
})();
