// The wall screen (大屏) turns its pages by itself: every data-seconds it shows the next
// page; after the last one it fetches fresh figures (the same page, re-drawn by the server)
// and starts again from the first. Without JavaScript the page's <noscript> refresh moves
// to the next page instead, and the page links work by hand.
(function () {
  "use strict";
  var screen = document.querySelector("[data-live]");
  if (!screen) { return; }
  var seconds = parseInt(screen.dataset.seconds, 10) || 10;
  var current = (parseInt(screen.dataset.current, 10) || 1) - 1;
  var timer = null;

  function pages() { return screen.querySelectorAll("[data-live-page]"); }
  function show(index) {
    Array.prototype.forEach.call(pages(), function (page, n) { page.hidden = n !== index; });
    Array.prototype.forEach.call(screen.querySelectorAll("[data-live-link]"), function (link, n) {
      if (n === index) { link.setAttribute("aria-current", "page"); } else { link.removeAttribute("aria-current"); }
    });
    current = index;
  }
  function schedule() { window.clearTimeout(timer); timer = window.setTimeout(turn, seconds * 1000); }
  function refresh() {
    return fetch(window.location.pathname + "?page=1", { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        if (fresh) { screen.innerHTML = fresh.innerHTML; }
      });
  }
  function turn() {
    if (current + 1 < pages().length) {
      show(current + 1);
      schedule();
      return;
    }
    refresh().catch(function () { /* keep the figures shown; try again next round */ })
      .then(function () { show(0); schedule(); });
  }
  screen.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-live-link]");
    if (!link) { return; }
    event.preventDefault();
    show(parseInt(link.dataset.liveLink, 10) - 1);
    schedule();
  });
  show(Math.min(current, pages().length - 1));
  schedule();
})();
