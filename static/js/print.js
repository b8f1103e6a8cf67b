// Print buttons ([data-print]) open the browser's print dialog. A button that waits for a
// streamed document ([data-print-wait], rendered disabled) is enabled by this script, which
// sits at the end of the page and so runs only once the whole document has arrived.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.disabled = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
