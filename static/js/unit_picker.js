// Picking units from a long list: per-group "select all" boxes ([data-group]) that show
// when a group is partly picked, quick buttons ([data-pick] = all | none | a unit kind), and
// live counts of picked units ([data-picked-count], [data-group-count]). Works on any
// [data-picker] container whose unit boxes carry data-member="<group id>". Without
// JavaScript the boxes still work one by one.
(function () {
  "use strict";
  var root = document.querySelector("[data-picker]");
  if (!root) { return; }
  var each = function (selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); };
  function members(group) { return document.querySelectorAll('input[data-member="' + group + '"]'); }

  function refresh() {
    var total = 0;
    each("input[data-group]", function (toggle) {
      var boxes = members(toggle.dataset.group), picked = 0;
      Array.prototype.forEach.call(boxes, function (box) { if (box.checked) { picked += 1; } });
      total += picked;
      toggle.checked = boxes.length > 0 && picked === boxes.length;
      toggle.indeterminate = picked > 0 && picked < boxes.length;
      each('[data-group-count="' + toggle.dataset.group + '"]', function (el) { el.textContent = picked; });
    });
    each("[data-picked-count]", function (el) { el.textContent = total; });
  }

  each("input[data-group]", function (toggle) {
    toggle.addEventListener("change", function () {
      Array.prototype.forEach.call(members(toggle.dataset.group), function (box) {
        if (!box.disabled) { box.checked = toggle.checked; }
      });
      refresh();
    });
  });
  each("[data-pick]", function (button) {
    button.addEventListener("click", function () {
      var pick = button.dataset.pick;
      each("input[data-member]", function (box) {
        if (box.disabled) { return; }
        if (pick === "all" || pick === "none") { box.checked = pick === "all"; }
        else if (box.dataset.kind === pick) { box.checked = true; }
      });
      refresh();
    });
  });
  root.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[data-member]")) { refresh(); }
  });
  // Boxes outside the container (tied to a form by its form="" attribute) report here too.
  each("input[data-member]", function (box) {
    if (!root.contains(box)) { box.addEventListener("change", refresh); }
  });
  refresh();
})();
