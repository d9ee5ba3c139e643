// "Copy" buttons: each copies the text of the field its data-copy names, and says so in the
// status region of that field. Without script (or a clipboard) the buttons stay hidden and the
// field is still there to select and copy by hand.
(function () {
  "use strict";
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const field = document.getElementById(button.dataset.copy);
    const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(field.value).then(
        () => {
          if (status) {
            status.textContent = button.dataset.copied;
          }
        },
        () => {
          // Refused (no permission): the code is selected for the person to copy.
          field.select();
        },
      );
    });
  });
})();
