// comptoir back office, Today: refreshes #today-live from its data-live
// address every data-refresh ms (3 s), so a new sale shows within 5 s.
// Vendored and served by head office (no CDN, no inline script).
(function () {
  "use strict";
  var el = document.getElementById("today-live");
  if (!el || !window.fetch) { return; }
  var url = el.getAttribute("data-live");
  var every = parseInt(el.getAttribute("data-refresh"), 10) || 3000;
  function tick() {
    fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "error" })
      .then(function (r) {
        // Only the fragment itself: never a login page after the session ended.
        if (!r.ok || r.headers.get("x-comptoir-fragment") !== "today") { throw new Error("stale"); }
        return r.text();
      })
      .then(function (html) { el.innerHTML = html; el.setAttribute("data-updated", String(Date.now())); })
      .catch(function () { el.setAttribute("data-stale", "true"); })
      .then(function () { window.setTimeout(tick, every); });
  }
  window.setTimeout(tick, every);
}());
