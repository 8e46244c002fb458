/*
 * List pages (/liste/{layer}): without JavaScript, sorting and filtering go to the server
 * (the sort buttons and the filter submit the form). When all rows are on one page, this
 * script sorts and filters in place instead: keyboard focus stays on the button, aria-sort
 * moves to the sorted column and the row count is announced in the live region.
 */
(function () {
  'use strict';
  var form = document.getElementById('table-form');
  if (!form || form.dataset.clientSortable !== 'true') return;
  var table = form.querySelector('table');
  var tbody = table.tBodies[0];
  var status = document.getElementById('table-count');
  var input = document.getElementById('table-q');
  var rows = Array.prototype.slice.call(tbody.rows).filter(function (r) { return r.cells.length > 1; });
  /* Select boxes filtered by the server (e.g. Holzverkauf status and Holzart). */
  var serverFields = Array.prototype.slice.call(form.querySelectorAll('[data-server-filter]'));
  var total = rows.length;

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  function norm(text) {
    return String(text).toLowerCase()
      .replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue').replace(/ß/g, 'ss')
      .normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  }

  function setUrl(key, value) {
    var params = new URLSearchParams(window.location.search);
    if (value) params.set(key, value); else params.delete(key);
    params.delete('page');
    var query = params.toString();
    window.history.replaceState(null, '', window.location.pathname + (query ? '?' + query : ''));
  }

  function compare(type, a, b) {
    if (a === '' && b !== '') return 1;
    if (b === '' && a !== '') return -1;
    if (type === 'integer' || type === 'float') return Number(a) - Number(b);
    return norm(a).localeCompare(norm(b), document.documentElement.lang || 'de', { numeric: true });
  }

  function sortBy(button) {
    var th = button.closest('th');
    var index = Number(button.dataset.column);
    var descending = th.getAttribute('aria-sort') === 'ascending';
    var type = th.dataset.type;
    rows.sort(function (r1, r2) {
      var c = compare(type, r1.cells[index].dataset.sort, r2.cells[index].dataset.sort);
      return descending ? -c : c;
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
    table.querySelectorAll('th[aria-sort]').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
    var name = button.value.replace(/^-/, '');
    setUrl('sort', (descending ? '-' : '') + name);
    button.value = descending ? name : '-' + name;
    var label = button.textContent.trim();
    status.textContent = countText() + ' · ' + fmt(form.dataset.sortedText, { column: label }) +
      ' (' + (descending ? form.dataset.descending : form.dataset.ascending) + ')';
  }

  function countText() {
    var shown = rows.filter(function (r) { return !r.hidden; }).length;
    return fmt(form.dataset.countText, { shown: shown, total: total });
  }

  function filter() {
    var q = norm(input.value.trim());
    rows.forEach(function (r) { r.hidden = q !== '' && norm(r.textContent).indexOf(q) === -1; });
    status.textContent = countText();
    setUrl('q', input.value.trim());
  }

  function serverFilterChanged() {
    return serverFields.some(function (s) { return s.value !== (s.dataset.initial || ''); });
  }

  form.addEventListener('submit', function (e) {
    if (serverFilterChanged()) return;  /* a new status/Holzart choice: the server filters */
    e.preventDefault();
    var submitter = e.submitter;
    if (submitter && submitter.classList.contains('sort')) sortBy(submitter);
    else filter();
  });
  var timer = null;
  input.addEventListener('input', function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(filter, 200);
  });
})();
