// A code race's clock and places, kept live. The server keeps the real clock and the places;
// this shows them. Socket.IO (the /races namespace) says when the places may have changed, and
// the places are then fetched again over HTTP, with the page's own sign-in. Without a socket
// (a school proxy that refuses WebSockets, a dropped connection) the places are fetched every
// 15 seconds instead. When a race that had not started starts, the page reloads to show the
// problem. The clock is hidden from screen readers: a polite status line announces 5 and 1
// minutes, 30 and 10 seconds left and the end (never every second), and another how many have
// solved it, only when that changes.
(function () {
  "use strict";
  const box = document.getElementById("race");
  if (!box) {
    return;
  }
  const raceId = Number(box.dataset.race);
  const clock = box.querySelector(".race-clock");
  const status = document.getElementById("race-status");
  const stateText = document.getElementById("race-state-text");
  const clockStatus = document.getElementById("race-clock-status");
  const rows = document.getElementById("race-places");
  const plurals = new Intl.PluralRules(document.documentElement.lang || "en");
  const text = (name, values) =>
    (box.dataset[name] || "").replace(/\{(\w+)\}/g, (match, key) => String(values[key]));
  let state = box.dataset.state;
  let solved = Number(box.dataset.solved);
  let fetching = false;
  let fetchedAt = 0;
  let startsAt = performance.now() + Number(box.dataset.secondsToStart) * 1000;
  let endsAt = performance.now() + Number(box.dataset.secondsLeft) * 1000;
  // Milestones already past when the page opened are not announced.
  let announced = Number(box.dataset.secondsLeft);
  const counted = (name, num) =>
    text(plurals.select(num) === "one" ? `${name}One` : `${name}Other`, { num });

  function announce(left) {
    const milestone = [300, 60, 30, 10, 0].find((mark) => left <= mark && announced > mark);
    if (milestone === undefined) {
      return;
    }
    announced = left;
    if (milestone === 0) {
      clockStatus.textContent = text("textUp", {});
    } else if (milestone >= 60) {
      clockStatus.textContent = counted("textMinutes", milestone / 60);
    } else {
      clockStatus.textContent = counted("textSeconds", milestone);
    }
  }

  function shown(seconds) {
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const rest = String(seconds % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
  }

  function tick() {
    const now = performance.now();
    if (state === "waiting") {
      const left = Math.max(0, Math.ceil((startsAt - now) / 1000));
      clock.textContent = text("textStarts", { time: shown(left) });
      if (left === 0) {
        refresh();
      }
    } else {
      const left = Math.max(0, Math.ceil((endsAt - now) / 1000));
      clock.textContent = left ? text("textLeft", { time: shown(left) }) : text("textUp", {});
      if (state !== "over") {
        announce(left);
      }
    }
    window.setTimeout(tick, 250);
  }

  function cell(tag, value) {
    const element = document.createElement(tag);
    element.textContent = value;
    if (tag === "th") {
      element.scope = "row";
    }
    return element;
  }

  function render(race) {
    if (race.state !== state) {
      if (state === "waiting") {
        // The problem is on the page only once the race has started.
        window.location.reload();
        return;
      }
      state = race.state;
      box.dataset.state = state;
      const name = state.replace(/(^|_)(\w)/g, (match, start, letter) => letter.toUpperCase());
      stateText.textContent = text(`textState${name}`, {});
    }
    startsAt = performance.now() + race.seconds_to_start * 1000;
    endsAt = performance.now() + race.seconds_left * 1000;
    const places = race.places.map((place) => {
      const row = document.createElement("tr");
      const name = cell("th", place.name);
      if (place.you) {
        row.setAttribute("aria-current", "true");
        const you = document.createElement("strong");
        you.textContent = ` ${box.dataset.textYou}`;
        name.append(you);
      }
      row.append(cell("td", String(place.place)), name, cell("td", place.time));
      row.append(cell("td", place.points.toLocaleString(document.documentElement.lang)));
      return row;
    });
    if (!places.length) {
      const row = document.createElement("tr");
      const empty = cell("td", rows.dataset.empty);
      empty.colSpan = 4;
      row.append(empty);
      places.push(row);
    }
    rows.replaceChildren(...places);
    if (race.solved !== solved) {
      solved = race.solved;
      const form = plurals.select(race.racers) === "one" ? "textSolvedOne" : "textSolvedOther";
      status.textContent = text(form, { solved: race.solved, num: race.racers });
    }
  }

  let again = null;
  function refresh() {
    // One request at a time, and at most one a second (the clock asks at zero until it
    // starts); a change heard meanwhile is fetched right after, never dropped.
    const wait = fetching ? 1000 : fetchedAt + 1000 - performance.now();
    if (wait > 0) {
      if (again === null) {
        again = window.setTimeout(() => {
          again = null;
          refresh();
        }, wait);
      }
      return;
    }
    fetching = true;
    fetchedAt = performance.now();
    fetch(box.dataset.places, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((race) => race && render(race))
      .catch(() => {})
      .finally(() => {
        fetching = false;
      });
  }

  let socket = null;
  if (typeof window.io === "function") {
    socket = window.io("/races", { transports: ["websocket"] });
    socket.on("connect", () => {
      socket.emit("watch", { race: raceId });
      // Anything missed while the connection was down.
      refresh();
    });
    socket.on("changed", (event) => {
      if (event && event.race === raceId) {
        refresh();
      }
    });
  }
  window.setInterval(() => {
    if (!socket || !socket.connected) {
      refresh();
    }
  }, 15000);
  tick();
})();
