// A run of the student's code waits for a grader: ask the server where it is every so often,
// and show the page again once it is graded (the page then puts the focus on the results).
// Without scripts, the page's link does the same by hand.
(function () {
  "use strict";
  const status = document.querySelector("[data-poll]");
  if (!status) {
    return;
  }
  const address = status.dataset.poll;
  let wait = 400;

  function ask() {
    fetch(address, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((run) => {
        if (run && run.finished) {
          window.location.reload();
          return;
        }
        // Ask less often the longer it takes, up to every 3 seconds.
        wait = Math.min(wait * 1.5, 3000);
        window.setTimeout(ask, wait);
      })
      .catch(() => window.setTimeout(ask, 3000));
  }

  window.setTimeout(ask, wait);
})();
