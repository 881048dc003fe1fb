// Live word counts for the fields marked data-word-limit. Progressive
// enhancement only: the limits are in each field's hint, the server renders
// the count on every page and enforces the limits, so forms work without it.
(function () {
  "use strict";

  // Count as the server does: runs of characters between white space.
  function count(text) {
    var t = text.trim();
    return t === "" ? 0 : t.split(/\s+/).length;
  }

  function message(n, limit) {
    if (n > limit) {
      return n + " of " + limit + " words: " + (n - limit) + " too many";
    }
    return n + " of " + limit + " words";
  }

  var fields = document.querySelectorAll("[data-word-limit]");
  if (fields.length === 0) {
    return;
  }

  // One polite live region, updated a moment after typing stops, so a
  // screen reader hears the count without an announcement per key.
  var status = document.createElement("div");
  status.className = "visually-hidden";
  status.setAttribute("aria-live", "polite");
  status.setAttribute("role", "status");
  document.body.appendChild(status);

  Array.prototype.forEach.call(fields, function (field) {
    var limit = parseInt(field.getAttribute("data-word-limit"), 10);
    var counter = document.getElementById(field.id + "-count");
    if (!counter || !(limit > 0)) {
      return;
    }
    var timer = null;
    field.addEventListener("input", function () {
      var n = count(field.value);
      var text = message(n, limit);
      counter.textContent = text;
      counter.classList.toggle("field-error", n > limit);
      clearTimeout(timer);
      timer = setTimeout(function () {
        status.textContent = field.labels && field.labels[0] ? field.labels[0].textContent + ": " + text : text;
      }, 1000);
    });
  });
})();
