// A live game's host screen and player screen (templates/games/host.html and play.html).
// The server keeps the game: which question is open, the clock, every answer and score. This
// page shows what the server sends over Socket.IO (the /games namespace) and sends the host's
// moves and the player's answers, each acknowledged. On every (re)connection the page asks for
// the game as it is now, so a reload, a dropped network or another device carries on where the
// game is. Choices are marked by a shape and a letter, never by colour alone. The clock is
// hidden from screen readers: a polite status line says when 10 seconds are left and when time
// is up, never every second.
(function () {
  "use strict";
  const box = document.getElementById("game");
  if (!box || typeof io === "undefined") {
    return;
  }
  const gameId = Number(box.dataset.game);
  const hosting = box.dataset.role === "host";
  const lang = document.documentElement.lang || "en";
  const plurals = new Intl.PluralRules(lang);
  const SHAPES = ["▲", "◆", "●", "■", "★", "⬟", "✚", "⬢"];
  const LETTERS = "ABCDEFGH";
  const $ = (id) => document.getElementById(id);
  const heading = $("game-heading");
  const text = (name, values) =>
    (box.dataset[name] || "").replace(/\{(\w+)\}/g, (match, key) => String(values[key]));
  const counted = (name, num, values) =>
    text(plurals.select(num) === "one" ? `${name}One` : `${name}Other`, {
      num: num.toLocaleString(lang),
      ...values,
    });

  let game = null;
  let you = null;
  let shownPosition = -1;
  let deadline = null;
  let announced = Infinity;
  let sentPosition = -1;
  let revealAsked = -1;
  let answered = 0;

  const socket = io("/games");

  function setHeading(value) {
    if (heading.textContent !== value) {
      heading.textContent = value;
    }
  }

  function shapeOf(index) {
    const mark = document.createElement("span");
    mark.className = `game-shape game-shape-${index % SHAPES.length}`;
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = SHAPES[index % SHAPES.length];
    return mark;
  }

  function letterOf(index) {
    const letter = document.createElement("span");
    letter.className = "game-letter";
    letter.textContent = LETTERS[index] || String(index + 1);
    return letter;
  }

  function wordsOf(choice) {
    const words = document.createElement("span");
    words.className = "game-words";
    words.textContent = choice;
    return words;
  }

  // The player's controls for the question: a button per choice (one answer), boxes to tick and
  // a send button (several answers), or a text box and a send button (a short answer).
  function playerChoices(question) {
    const holder = $("game-choices");
    const parts = [];
    if (question.type === "short") {
      const label = document.createElement("label");
      label.htmlFor = "game-short";
      label.textContent = text("textYourAnswer", {});
      const input = document.createElement("input");
      input.id = "game-short";
      input.name = "response";
      input.maxLength = 200;
      input.autocomplete = "off";
      parts.push(label, input, sendButton());
    } else {
      question.choices.forEach((choice, index) => {
        if (question.type === "multiple") {
          const label = document.createElement("label");
          label.className = `game-choice game-choice-${index % SHAPES.length}`;
          const tick = document.createElement("input");
          tick.type = "checkbox";
          tick.name = "response";
          tick.value = String(index);
          const words = wordsOf(choice);
          label.append(tick, shapeOf(index), letterOf(index), words);
          parts.push(label);
        } else {
          const button = document.createElement("button");
          button.type = "button";
          button.className = `game-choice game-choice-${index % SHAPES.length}`;
          button.dataset.index = String(index);
          const words = wordsOf(choice);
          button.append(shapeOf(index), letterOf(index), words);
          button.addEventListener("click", () => send([index]));
          parts.push(button);
        }
      });
      if (question.type === "multiple") {
        parts.push(sendButton());
      }
    }
    holder.replaceChildren(...parts);
  }

  function sendButton() {
    const button = document.createElement("button");
    button.type = "submit";
    button.className = "button";
    button.textContent = text("textSend", {});
    return button;
  }

  // The host's screen lists the choices with their shapes and letters.
  function hostChoices(question) {
    const items = question.choices.map((choice, index) => {
      const item = document.createElement("li");
      item.className = `game-choice game-choice-${index % SHAPES.length}`;
      const words = wordsOf(choice);
      item.append(shapeOf(index), letterOf(index), words);
      return item;
    });
    $("game-choices").replaceChildren(...items);
  }

  function setAnswerable(open) {
    for (const control of $("game-choices").querySelectorAll("button, input")) {
      control.disabled = !open;
    }
  }

  function send(response) {
    if (!game || game.status !== "question" || sentPosition === game.position) {
      return;
    }
    const position = game.position;
    sentPosition = position;
    setAnswerable(false);
    socket.emit("answer", { game: gameId, position, response }, (reply) => {
      if (reply && reply.ok) {
        $("game-feedback").textContent = text("textSent", {});
        markChosen(response);
      } else {
        $("game-feedback").textContent = (reply && reply.error) || text("textOffline", {});
        if (!reply || !/answered/.test(reply.error || "")) {
          // Refused for a reason the player can mend (no choice ticked, say): try again.
          sentPosition = -1;
          setAnswerable(deadline === null || performance.now() < deadline);
        }
      }
    });
  }

  // The player's own choices stay marked (by words, not colour alone) until the next question.
  function markChosen(response) {
    if (!Array.isArray(response)) {
      return;
    }
    const choices = $("game-choices").querySelectorAll(".game-choice");
    for (const index of response) {
      const choice = choices[index];
      if (choice && !choice.querySelector(".game-yours")) {
        const mark = document.createElement("em");
        mark.className = "game-yours";
        mark.textContent = text("textYourAnswer", {});
        choice.classList.add("game-choice-chosen");
        choice.append(mark);
      }
    }
  }

  $("game-answer")?.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!game || !game.question) {
      return;
    }
    if (game.question.type === "short") {
      send($("game-short").value);
    } else {
      const ticked = [...$("game-choices").querySelectorAll("input:checked")];
      send(ticked.map((tick) => Number(tick.value)));
    }
  });

  function clockFor(state) {
    if (state.status !== "question" || state.seconds === null) {
      return null;
    }
    if (hosting) {
      return performance.now() + (state.closes_in_ms || 0);
    }
    const extra = (you && you.extra[String(state.question.stage)]) || 0;
    return performance.now() + (state.seconds + extra) * 1000 - state.elapsed_ms;
  }

  function tick() {
    const clock = $("game-clock");
    if (deadline !== null && game && game.status === "question") {
      const left = Math.max(0, Math.ceil((deadline - performance.now()) / 1000));
      clock.textContent = left ? text("textLeft", { time: left }) : text("textUp", {});
      if (left <= 10 && announced > 10 && left > 0) {
        $("game-clock-status").textContent = counted("textSeconds", left, {});
      }
      if (left === 0 && announced > 0) {
        $("game-clock-status").textContent = text("textUp", {});
        if (!hosting) {
          setAnswerable(false);
        }
      }
      announced = left;
      if (hosting && left === 0) {
        askReveal();
      }
    }
    window.setTimeout(tick, 250);
  }

  function scoreLine() {
    if (!you || hosting) {
      return;
    }
    const parts = [you.name, counted("textPoints", you.points, {})];
    // Before the first reveal every player is in first place: nothing to tell yet.
    const revealed =
      game && (game.position > 1 || game.status === "reveal" || game.status === "finished");
    if (you.place && revealed) {
      parts.push(text("textPlace", { place: you.place, total: game ? game.players : "" }));
    }
    if (you.streak > 1) {
      parts.push(text("textStreak", { streak: you.streak }));
    }
    $("game-score").textContent = parts.join(" · ");
  }

  function markAnswers(state) {
    const right = new Set((state.answer && state.answer.choices) || []);
    const choices = $("game-choices").querySelectorAll(".game-choice");
    choices.forEach((choice, index) => {
      choice.classList.toggle("game-choice-right", right.has(index));
      choice.querySelector(".game-right")?.remove();
      if (right.has(index)) {
        const mark = document.createElement("strong");
        mark.className = "game-right";
        mark.textContent = ` ✓ ${text("textRightAnswer", {})}`;
        choice.append(mark);
      }
    });
  }

  function resultLine() {
    if (hosting || !you || !game) {
      return;
    }
    if (game.status === "reveal" || game.status === "finished") {
      if (game.status === "reveal" || you.answered) {
        let line = text("textMissed", {});
        if (you.answered) {
          line = you.correct
            ? `${text("textRight", {})} ${counted("textEarned", you.earned || 0, {})}`
            : text("textWrong", {});
        }
        $("game-feedback").textContent = line;
      }
    }
  }

  function countsTable(state) {
    const rows = state.question.choices.map((choice, index) => {
      const row = countRow(index, choice, state.counts[index] || 0, state.players);
      return row;
    });
    $("game-counts").replaceChildren(...rows);
    // A short answer has no choices to count: its accepted answers are shown instead.
    $("game-counts").closest(".table-scroll").hidden = rows.length === 0;
    const accepted = state.answer && state.answer.accepted;
    $("game-accepted").textContent = accepted ? text("textAccepted", { answers: accepted.join(", ") }) : "";
    $("game-reveal").hidden = state.question.type === "short" && !accepted;
  }

  function countRow(index, choice, count, players) {
    const row = document.createElement("tr");
    const name = document.createElement("th");
    name.scope = "row";
    name.append(shapeOf(index), " ", letterOf(index), ` ${choice}`);
    if ((game.answer.choices || []).includes(index)) {
      const mark = document.createElement("strong");
      mark.textContent = ` ✓ ${text("textRightAnswer", {})}`;
      name.append(mark);
    }
    const figure = document.createElement("td");
    const bar = document.createElement("progress");
    bar.max = Math.max(players, 1);
    bar.value = count;
    bar.setAttribute("aria-hidden", "true");
    figure.append(bar, ` ${counted("textChose", count, {})}`);
    row.append(name, figure);
    return row;
  }

  function placesList(holder, places) {
    const items = places.map((place) => {
      const item = document.createElement("li");
      item.value = place.place;
      item.textContent = `${place.name} · ${counted("textPoints", place.points, {})}`;
      return item;
    });
    holder.replaceChildren(...items);
  }

  function leadersTable(places) {
    const rows = places.map((place) => {
      const row = document.createElement("tr");
      const where = document.createElement("td");
      where.textContent = String(place.place);
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = place.name;
      const points = document.createElement("td");
      points.textContent = place.points.toLocaleString(lang);
      row.append(where, name, points);
      return row;
    });
    $("game-leaders-rows").replaceChildren(...rows);
  }

  function hostControls(state) {
    const move = $("game-move");
    const labels = {
      lobby: "textStart",
      question: "textReveal",
      reveal: state.position >= state.total ? "textPodium" : "textNext",
    };
    move.hidden = state.status === "finished";
    $("game-finish").hidden = state.status === "finished";
    if (labels[state.status]) {
      move.textContent = text(labels[state.status], {});
    }
    move.disabled = state.status === "lobby" && state.players === 0;
    $("game-players").textContent = counted("textPlayers", state.players, {});
    // Past the lobby, the count of answers says how many play.
    $("game-players").hidden = state.status !== "lobby";
    $("game-join").hidden = state.status !== "lobby";
    const lobby = $("game-lobby");
    lobby.hidden = state.status !== "lobby";
    if (state.names) {
      lobby.replaceChildren(
        ...state.names.map((name) => {
          const item = document.createElement("li");
          item.textContent = name;
          return item;
        }),
      );
    }
  }

  function showAnswered(count) {
    answered = count;
    if (game && hosting) {
      $("game-answered").textContent = counted("textAnswered", game.players, { answered: count });
      if (game.status === "question" && game.players > 0 && count >= game.players) {
        askReveal();
      }
    }
  }

  function askReveal() {
    if (!game || game.status !== "question" || revealAsked === game.position) {
      return;
    }
    revealAsked = game.position;
    socket.emit("reveal", { game: gameId, position: game.position }, () => {});
  }

  function render(state) {
    const newQuestion = state.position !== shownPosition;
    game = state;
    box.dataset.status = state.status;
    const asking = state.status === "question" || state.status === "reveal";
    $("game-question").hidden = !asking;
    $("game-podium").hidden = state.status !== "finished";
    if (hosting) {
      hostControls(state);
      $("game-leaders").hidden = state.status !== "reveal";
      $("game-reveal").hidden = state.status !== "reveal";
    }
    if (state.status === "lobby") {
      setHeading(text(hosting ? "textLobbyHost" : "textLobby", {}));
    } else if (asking) {
      setHeading(text("textQuestion", { number: state.position, total: state.total }));
      if (newQuestion) {
        shownPosition = state.position;
        $("game-prompt").textContent = state.question.prompt;
        if (hosting) {
          hostChoices(state.question);
        } else {
          playerChoices(state.question);
          $("game-feedback").textContent = "";
        }
        announced = Infinity;
        heading.focus();
      }
      deadline = clockFor(state);
      if (deadline === null) {
        $("game-clock").textContent = state.status === "question" ? text("textUntimed", {}) : "";
      }
      if (state.status === "question") {
        if (!hosting) {
          const sent = sentPosition === state.position;
          setAnswerable(!sent && (deadline === null || deadline > performance.now()));
          if (sent) {
            $("game-feedback").textContent = text("textSent", {});
          }
        }
        showAnswered(state.answered || 0);
      } else {
        deadline = null;
        // The question is closed: the clock has nothing more to say (all may have answered early).
        $("game-clock").textContent = "";
        if (!hosting) {
          setAnswerable(false);
        }
        markAnswers(state);
        if (hosting) {
          countsTable(state);
          leadersTable(state.leaders || []);
          $("game-answered").textContent = counted("textAnswered", state.players, {
            answered: state.answered || 0,
          });
        }
        resultLine();
      }
    } else if (state.status === "finished") {
      deadline = null;
      setHeading(text("textFinished", {}));
      placesList($("game-podium-list"), state.podium || []);
      resultLine();
    }
    scoreLine();
  }

  function carryOn(reply) {
    if (!reply || !reply.ok) {
      $("game-connection").textContent = (reply && reply.error) || "";
      return;
    }
    $("game-connection").textContent = "";
    if (reply.you) {
      you = reply.you;
      if (you.answered && reply.game.status === "question") {
        sentPosition = reply.game.position;
      }
    }
    render(reply.game);
  }

  socket.on("connect", () => {
    socket.emit(hosting ? "host" : "play", { game: gameId }, carryOn);
  });
  socket.on("disconnect", () => {
    $("game-connection").textContent = text("textOffline", {});
  });
  socket.on("game", (state) => {
    if (state.game === gameId) {
      render(state);
    }
  });
  socket.on("you", (mine) => {
    you = mine;
    resultLine();
    scoreLine();
  });
  socket.on("answered", (news) => {
    if (game && news.position === game.position) {
      showAnswered(news.count);
    }
  });

  if (hosting) {
    $("game-move").addEventListener("click", () => {
      if (!game) {
        return;
      }
      const move = game.status === "question" ? "reveal" : "next";
      if (move === "reveal") {
        revealAsked = game.position;
      }
      socket.emit(move, { game: gameId, position: game.position }, (reply) => {
        if (reply && !reply.ok) {
          $("game-connection").textContent = reply.error;
        }
      });
    });
    $("game-finish").addEventListener("click", () => {
      if (window.confirm(box.dataset.textConfirmFinish)) {
        socket.emit("finish", { game: gameId }, () => {});
      }
    });
  }
  tick();
})();
