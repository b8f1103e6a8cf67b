// Number keys for paper keying: a digit picks that option of the current question and
// moves on; 0 leaves an optional question blank; Enter saves (Shift+Enter: a new line in
// the opinion). The form works without it.
(function () {
  "use strict";
  var form = document.getElementById("paper-entry");
  if (!form) return;
  var groups = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));

  function radios(group) { return group.querySelectorAll("input[type=radio]"); }
  function current() {
    var active = document.activeElement;
    for (var i = 0; i < groups.length; i++) {
      if (groups[i].contains(active)) return i;
    }
    return -1;
  }
  function focusGroup(index) {
    if (index >= groups.length) {
      var opinion = form.querySelector("textarea");
      (opinion || form.querySelector("button[type=submit]")).focus();
      return;
    }
    var list = radios(groups[index]);
    var checked = groups[index].querySelector("input:checked");
    (checked || list[0]).focus();
  }

  form.addEventListener("keydown", function (event) {
    var inText = event.target.tagName === "TEXTAREA";
    // Enter saves everywhere, the opinion box included; Shift+Enter starts a new line there.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.submit();
      return;
    }
    if (inText || event.ctrlKey || event.metaKey || event.altKey || !/^[0-9]$/.test(event.key)) return;
    var index = current();
    if (index < 0) return;
    var list = radios(groups[index]);
    var pick = null;
    if (event.key === "0") {
      pick = groups[index].querySelector("input[value='']");
    } else {
      var n = parseInt(event.key, 10);
      var options = Array.prototype.filter.call(list, function (r) { return r.value !== ""; });
      pick = options[n - 1] || null;
    }
    event.preventDefault();
    if (!pick) return;
    pick.checked = true;
    focusGroup(index + 1);
  });

  if (groups.length) focusGroup(0);
})();
