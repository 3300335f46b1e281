// Tabs of the client form. Without JavaScript all panels stay visible one below the other.
(function () {
  "use strict";
  function initTabs(root) {
    var links = Array.prototype.slice.call(root.querySelectorAll("[data-tab]"));
    var panels = Array.prototype.slice.call(root.querySelectorAll(".tabpanel"));
    function show(key) {
      links.forEach(function (link) {
        link.setAttribute("aria-selected", link.dataset.tab === key ? "true" : "false");
      });
      panels.forEach(function (panel) {
        panel.hidden = panel.id !== "tab-" + key;
      });
    }
    links.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        show(link.dataset.tab);
        history.replaceState(null, "", "#tab-" + link.dataset.tab);
      });
    });
    // Open the first tab holding an error, else the one in the URL, else the first.
    var withError = panels.filter(function (p) { return p.querySelector(".has-error"); })[0];
    var fromHash = panels.filter(function (p) { return "#" + p.id === location.hash; })[0];
    var start = withError || fromHash || panels[0];
    root.classList.add("js");
    if (start) { show(start.id.replace("tab-", "")); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-tabs]").forEach(initTabs);
  });
})();
