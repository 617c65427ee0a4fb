// Marks the passage named in the URL fragment (#passage-ID) in the source
// reader, and follows later fragment changes.
(function () {
  function mark() {
    document.querySelectorAll("mark.current").forEach(function (m) { m.classList.remove("current"); });
    var id = decodeURIComponent(location.hash.replace(/^#passage-/, ""));
    if (!id || id === location.hash) return;
    var first = null;
    document.querySelectorAll("mark[data-passages]").forEach(function (m) {
      if (m.dataset.passages.split(" ").indexOf(id) >= 0) {
        m.classList.add("current");
        if (!first) first = m;
      }
    });
    if (first) first.scrollIntoView({ block: "center" });
  }
  window.addEventListener("hashchange", mark);
  mark();
})();
