// Poll a job's status and update its page; reload once when it finishes (to show the file).
(function () {
  "use strict";
  var root = document.getElementById("job");
  if (!root || root.dataset.finished === "1") { return; }
  var url = root.dataset.statusUrl;
  function set(name, text) {
    var el = root.querySelector('[data-job="' + name + '"]');
    if (el) { el.textContent = text; }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.finished) { window.location.reload(); return; }
        set("label", s.label);
        set("message", s.message);
        set("count", s.total ? s.done + " / " + s.total : "");
        var bar = root.querySelector('[data-job="bar"]');
        if (bar) { bar.value = s.percent; bar.textContent = s.percent + "%"; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
