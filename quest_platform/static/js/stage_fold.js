// The stage list of a stage page: folded on a phone, so the task comes first, and opened on a
// screen wide enough to show it as a sidebar. Without this script it stays folded, one tap away.
(function () {
  "use strict";
  const wide = window.matchMedia("(min-width: 60rem)");
  const folds = document.querySelectorAll("details[data-open-when-wide]");
  const follow = () => {
    for (const fold of folds) {
      fold.open = wide.matches;
    }
  };
  follow();
  wide.addEventListener("change", follow);
})();
