// The quiz editor's questions, enhanced: "Add question" and "Add choice" add blocks on the page
// (no save needed), a question shows the fields of its type, and "correct" is a radio button
// for one correct choice, a tick box for several. Without this script the page still works: it
// offers one empty question, and four choice fields per question.
(function () {
  "use strict";
  const list = document.getElementById("question-list");
  const template = document.getElementById("question-template");
  const status = document.getElementById("question-status");
  if (!list || !template || !status) {
    return;
  }
  let nextIndex = Number(list.dataset.nextIndex);

  const announce = (name, number) => {
    status.textContent = status.dataset[name].replace("{number}", String(number));
  };

  // One correct choice: radio buttons; several: tick boxes. Short answers: no choices.
  function showType(block) {
    const type = block.querySelector("select[name$='-type']").value;
    block.querySelector("[data-kind='choices']").hidden = type === "short";
    block.querySelector("[data-kind='short']").hidden = type !== "short";
    block.querySelectorAll(".choice-correct").forEach((input) => {
      const wanted = type === "multiple" ? "checkbox" : "radio";
      if (input.type !== wanted) {
        input.type = wanted;
      }
    });
  }

  function enhance(block) {
    block.querySelector("select[name$='-type']").addEventListener("change", () => showType(block));
    const addChoice = block.querySelector(".add-choice");
    addChoice.hidden = false;
    addChoice.querySelector("button").addEventListener("click", () => {
      const rows = block.querySelectorAll(".choice-row");
      const last = rows[rows.length - 1];
      const row = last.cloneNode(true);
      const lastIndex = Number(last.querySelector(".choice-correct").value);
      const index = lastIndex + 1;
      const number = rows.length + 1;
      // Field names and ids end in the choice's index; labels and placeholders name its number.
      row.querySelectorAll("[id], [for], [name]").forEach((element) => {
        for (const attribute of ["id", "for", "name"]) {
          const value = element.getAttribute(attribute);
          if (value && attribute !== "name") {
            element.setAttribute(attribute, value.replace(new RegExp(`-${lastIndex}$`), `-${index}`));
          }
        }
      });
      const text = row.querySelector(".choice-text");
      text.name = text.name.replace(new RegExp(`-${lastIndex}$`), `-${index}`);
      text.value = "";
      text.placeholder = text.placeholder.replace(String(rows.length), String(number));
      const correct = row.querySelector(".choice-correct");
      correct.value = String(index);
      correct.checked = false;
      row.querySelectorAll("label").forEach((label) => {
        label.innerHTML = label.innerHTML.replace(String(rows.length), String(number));
      });
      last.after(row);
      text.focus();
      announce("textChoice", number);
    });
    showType(block);
  }

  list.querySelectorAll(".question-block").forEach(enhance);

  const addQuestion = document.getElementById("add-question");
  addQuestion.parentElement.hidden = false;
  addQuestion.addEventListener("click", () => {
    const index = nextIndex;
    nextIndex += 1;
    const number = list.querySelectorAll(".question-block").length + 1;
    const html = template.innerHTML
      .replaceAll("__index__", String(index))
      .replaceAll("__number__", String(number));
    list.insertAdjacentHTML("beforeend", html);
    const block = list.lastElementChild;
    enhance(block);
    block.querySelector("textarea[name$='-prompt']").focus();
    announce("textAdded", number);
  });
})();
