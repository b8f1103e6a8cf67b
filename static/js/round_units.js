// Round set-up, step 2: quick picks (all, none, one kind) and a whole group at once.
document.querySelectorAll("[data-pick]").forEach(function (button) {
  button.addEventListener("click", function () {
    var pick = button.dataset.pick;
    document.querySelectorAll("input[data-kind]").forEach(function (box) {
      if (pick === "all" || pick === "none") { box.checked = pick === "all"; }
      else if (box.dataset.kind === pick) { box.checked = true; }
    });
  });
});
document.querySelectorAll("input[data-group]").forEach(function (toggle) {
  toggle.addEventListener("change", function () {
    document.querySelectorAll('input[data-member="' + toggle.dataset.group + '"]').forEach(function (box) { box.checked = toggle.checked; });
  });
});
