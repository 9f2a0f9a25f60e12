(function () {
  "use strict";
  // Optional: the page works without it. Hovering (or focusing) a finding outlines the figures
  // it cites in the transcript.
  document.documentElement.setAttribute("data-js", "on");
  function mark(finding, on) {
    (finding.getAttribute("data-facts") || "").split(" ").forEach(function (id) {
      var el = id ? document.getElementById(id) : null;
      if (el) { el.classList.toggle("active", on); }
    });
  }
  var findings = document.querySelectorAll("article.finding");
  for (var i = 0; i < findings.length; i++) {
    (function (f) {
      f.addEventListener("mouseenter", function () { mark(f, true); });
      f.addEventListener("mouseleave", function () { mark(f, false); });
      f.addEventListener("focusin", function () { mark(f, true); });
      f.addEventListener("focusout", function () { mark(f, false); });
    })(findings[i]);
  }
})();
