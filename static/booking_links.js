// Booking links: a Copy button beside each address puts it on the clipboard. Without this
// script the address is still there to select and copy by hand.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button.copy-link");
  Array.prototype.forEach.call(buttons, function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { status.textContent = "Copied"; };
      var byHand = function () {
        field.select();
        status.textContent = document.execCommand("copy") ? "Copied" : "Press Ctrl+C to copy";
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, byHand);
      } else {
        byHand();
      }
    });
  });
})();
