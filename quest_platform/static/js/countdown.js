// The timed quiz's countdown. The server keeps the real clock; this only shows it.
// The clock is hidden from screen readers; a polite status region announces milestones
// (half time, 5 and 1 minutes, 30 and 10 seconds, time up), never every second.
// The page gives each message in its singular and plural forms (data-text-*-one, -other);
// the page language's plural rules choose between them.
(function () {
  "use strict";
  const box = document.getElementById("countdown");
  if (!box) {
    return;
  }
  const clock = box.querySelector(".countdown-clock");
  const status = document.getElementById("countdown-status");
  const total = Number(box.dataset.secondsLeft);
  const endsAt = performance.now() + total * 1000;
  const half = Math.floor(total / 2);
  const milestones = [300, 60, 30, 10].filter((seconds) => seconds < total);
  if (half > 60 && !milestones.includes(half)) {
    milestones.push(half);
  }
  milestones.sort((a, b) => b - a);
  const plurals = new Intl.PluralRules(document.documentElement.lang || "en");
  const text = (name, values) =>
    box.dataset[name].replace(/\{(\w+)\}/g, (match, key) => String(values[key]));
  // "1 minute left", "2 minutes left": the form of the page language for this number.
  const counted = (name, num) =>
    text(plurals.select(num) === "one" ? `${name}One` : `${name}Other`, { num });

  function announce(left) {
    if (left >= 60) {
      return counted("textMinutes", Math.round(left / 60));
    }
    return counted("textSeconds", left);
  }

  function tick() {
    const left = Math.max(0, Math.ceil((endsAt - performance.now()) / 1000));
    const minutes = Math.floor(left / 60);
    const seconds = String(left % 60).padStart(2, "0");
    clock.textContent = text("textLeft", { time: `${minutes}:${seconds}` });
    while (milestones.length && left <= milestones[0]) {
      const reached = milestones.shift();
      if (left === reached) {
        status.textContent = announce(reached);
      }
    }
    if (left === 0) {
      status.textContent = box.dataset.textUp;
      box.classList.add("countdown-over");
      return;
    }
    window.setTimeout(tick, 250);
  }
  if (total > 0) {
    tick();
  }
})();
