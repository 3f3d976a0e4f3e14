// Applies the chosen theme before the page paints (no flash). The choice is kept in this browser.
(function () {
  try {
    var t = localStorage.getItem("steward-theme");
    if (t === "dark" || t === "light") document.documentElement.setAttribute("data-theme", t);
  } catch (e) { /* storage may be off */ }
})();
