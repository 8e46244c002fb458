// „Mein Ort", print view: the "Drucken" button opens the browser's print dialog.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
