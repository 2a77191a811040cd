/* 共享区域图层: narrow the checkbox list of people as the officer types (name or office).  Ticked boxes
   stay ticked when hidden, so a filter never drops a choice.  No data leaves the page. */
(function () {
  "use strict";
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter"));
    if (!list) return;
    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      list.querySelectorAll("li[data-text]").forEach(function (item) {
        var text = item.getAttribute("data-text").toLowerCase();
        var box = item.querySelector("input[type=checkbox]");
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        item.hidden = !match && !(box && box.checked);
      });
    });
    input.setAttribute("data-ready", "1"); // the filter is live (tests wait for this)
  });
})();
