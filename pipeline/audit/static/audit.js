// The meeting page: a click on a segment (or a memo bullet's time) plays the audio from there,
// and the segment being played is highlighted. No framework; served from this site only.
(function () {
  "use strict";
  function player() { return document.getElementById("player"); }

  function seek(start) {
    var audio = player();
    if (!audio || isNaN(start)) return;
    audio.currentTime = start;
    var played = audio.play();
    if (played && played.catch) played.catch(function () { /* autoplay refused: the position is set */ });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.closest("details, form, .refs")) return;  // editing, or a plain jump to a segment
    var el = target.closest("[data-start]");
    if (!el) return;
    seek(parseFloat(el.getAttribute("data-start")));
    var seg = el.closest(".seg") || document.getElementById((el.getAttribute("href") || "").slice(1));
    document.querySelectorAll(".seg.target").forEach(function (s) { s.classList.remove("target"); });
    if (seg) seg.classList.add("target");
  });

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key === "Enter" && el instanceof Element && el.matches(".seg[data-start]")) {
      seek(parseFloat(el.getAttribute("data-start")));
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var audio = player();
    if (!audio) return;
    var segs = Array.prototype.slice.call(document.querySelectorAll(".seg[data-end]"));
    audio.addEventListener("timeupdate", function () {
      var t = audio.currentTime;
      segs.forEach(function (s) {
        var on = t >= parseFloat(s.getAttribute("data-start")) && t < parseFloat(s.getAttribute("data-end"));
        s.classList.toggle("playing", on);
      });
    });
  });
})();
