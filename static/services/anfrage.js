/* Request forms: a live character counter under each text field (the limit is shown, never
   silently enforced — the server explains what is too long and keeps the text). */
(function () {
  'use strict';
  document.querySelectorAll('[data-counter-for]').forEach(function (hint) {
    var field = document.getElementById(hint.getAttribute('data-counter-for'));
    if (!field) return;
    var limit = parseInt(field.getAttribute('data-limit') || '0', 10);
    if (!limit) return;
    function update() {
      var used = field.value.length;
      hint.textContent = used + ' von ' + limit + ' Zeichen' + (used > limit ? ' – bitte kürzen' : '');
      hint.classList.toggle('field-error', used > limit);
    }
    field.addEventListener('input', update);
    update();
  });
}());
