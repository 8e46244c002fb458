/*
 * Print (issue 16): the "Drucken" button of the city map opens a small dialog (paper A4/A3,
 * portrait/landscape, an optional title); "PDF erstellen" opens /druck.pdf with the map's own
 * view parameters (the same names as the permalink, BGIS.viewParams) — the server draws the map
 * from the same tiles and composes the PDF with legend, scale, north arrow, date and attribution.
 */
(function () {
  'use strict';
  var BGIS = window.BGIS = window.BGIS || {};

  function el(tag, attrs, text) { return BGIS.el(tag, attrs, text); }

  function radios(name, legend, choices, checked) {
    var set = el('fieldset', { class: 'print-choice' });
    set.appendChild(el('legend', {}, legend));
    choices.forEach(function (c) {
      var id = 'print-' + name + '-' + c[0];
      var input = el('input', { type: 'radio', name: name, id: id, value: c[0] });
      if (c[0] === checked) input.checked = true;
      var label = el('label', { for: id }, c[1]);
      set.appendChild(input);
      set.appendChild(label);
    });
    return set;
  }

  var PrintControl = L.Control.extend({
    options: { position: 'topright' },

    initialize: function (texts) { this.t = texts; this.dialog = null; this.opener = null; },

    onAdd: function () {
      var t = this.t;
      var box = L.DomUtil.create('div', 'leaflet-bar bgis-tools bgis-print');
      this.button = el('button', { type: 'button', class: 'bgis-tool bgis-print-button', 'aria-haspopup': 'dialog', title: t.print });
      this.button.appendChild(el('span', { class: 'bgis-tool-icon bgis-tool-print', 'aria-hidden': 'true' }));
      this.button.appendChild(el('span', { class: 'bgis-tool-label' }, t.print));
      L.DomEvent.on(this.button, 'click', this.open, this);
      box.appendChild(this.button);
      L.DomEvent.disableClickPropagation(box);
      return box;
    },

    build: function () {
      var t = this.t, self = this;
      var d = el('dialog', { class: 'print-dialog', id: 'print-dialog', 'aria-labelledby': 'print-title' });
      var form = el('form', { method: 'get', action: '/druck.pdf', target: '_blank', id: 'print-form' });
      form.appendChild(el('h2', { id: 'print-title' }, t.print_title));
      form.appendChild(radios('format', t.paper, [['A4', 'A4'], ['A3', 'A3']], 'A4'));
      form.appendChild(radios('orientation', t.orientation, [['landscape', t.landscape], ['portrait', t.portrait]], 'landscape'));
      form.appendChild(el('label', { for: 'print-heading' }, t.print_heading));
      var heading = el('input', { id: 'print-heading', name: 'title', type: 'text', maxlength: '80', autocomplete: 'off' });
      form.appendChild(heading);
      form.appendChild(el('p', { class: 'hint' }, t.print_hint));
      var row = el('div', { class: 'print-row' });
      var link = el('a', { id: 'print-link', class: 'button', target: '_blank', rel: 'noopener' }, t.print_make);
      var close = el('button', { type: 'button', class: 'button button-secondary print-close' }, t.close);
      close.addEventListener('click', function () { d.close(); });
      row.appendChild(link);
      row.appendChild(close);
      form.appendChild(row);
      form.addEventListener('change', function () { self.update(); });
      form.addEventListener('input', function () { self.update(); });
      form.addEventListener('submit', function (ev) { ev.preventDefault(); link.click(); });
      d.appendChild(form);
      d.addEventListener('close', function () {
        if (self.opener && document.body.contains(self.opener)) self.opener.focus({ preventScroll: true });
      });
      document.body.appendChild(d);
      return d;
    },

    /* The PDF address: the map's view plus paper, orientation and title. */
    url: function () {
      var form = this.dialog.querySelector('form');
      var extra = {
        format: form.querySelector('input[name=format]:checked').value,
        orientation: form.querySelector('input[name=orientation]:checked').value,
        feature: null,
      };
      var title = form.querySelector('#print-heading').value.trim();
      if (title) extra.title = title;
      return '/druck.pdf?' + BGIS.viewParams(extra).toString();
    },

    update: function () {
      this.dialog.querySelector('#print-link').setAttribute('href', this.url());
    },

    open: function () {
      this.dialog = this.dialog || this.build();
      this.opener = this.button;
      this.update();
      if (!this.dialog.open) this.dialog.showModal();
      this.dialog.querySelector('input[name=format]:checked').focus();
    },
  });

  BGIS.mountPrint = function (map, texts) {
    BGIS.printControl = new PrintControl(texts).addTo(map);
    return BGIS.printControl;
  };
})();
