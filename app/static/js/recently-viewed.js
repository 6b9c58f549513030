// A page cached for every guest has a placeholder where "Recently viewed" goes: fill it with this
// visitor's row (app/routes/recently_viewed.py, fragment), read from their own session.
(function () {
  "use strict";
  document.querySelectorAll("[data-recently-viewed-src]").forEach(function (placeholder) {
    fetch(placeholder.getAttribute("data-recently-viewed-src"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (html.trim()) {
          placeholder.innerHTML = html;
        }
      })
      .catch(function () { /* the row is a convenience: the page works without it */ });
  });
})();
