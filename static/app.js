// Progressive enhancement only: every page works without this file.
// Highlights the timeline row a reader jumped to from the overview strip.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const mark = () => {
    document.querySelectorAll(".events li.target").forEach((row) => row.classList.remove("target"));
    const id = decodeURIComponent(window.location.hash.slice(1));
    const row = id && document.getElementById(id);
    if (row && row.closest(".events")) {
      row.classList.add("target");
    }
  };
  window.addEventListener("hashchange", mark);
  mark();
});
