// A button marked data-print opens the print dialog (an inline onclick would break the CSP).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
