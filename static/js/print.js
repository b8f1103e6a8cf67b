// Print buttons ([data-print]) open the browser's print dialog (an inline onclick would break
// the Content-Security-Policy). A button may be rendered disabled so that it cannot be used
// before the page is complete: this script sits at the end of the page, so it runs (and
// enables the button) only once a streamed document has fully arrived.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.disabled = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
