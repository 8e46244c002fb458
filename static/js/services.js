/*
 * The city services on the map (issue 7): popups of service layers, the nearest open
 * Bürgerbüro and the "Was gilt hier?" control.
 *
 * - Holzverkauf: a free lot links to the Kaufanfrage (/holzverkauf/anfrage?los=…); reserved
 *   or sold lots say so and have no link.
 * - Bürgeramt: the opening status is evaluated by the server each time a popup opens
 *   (/dienste/buergeramt/status.json, sent with no-store), so a page left open for hours never
 *   shows a stale "Jetzt geöffnet".
 * - "Was gilt hier?": a map button; while pressed, the next click on the map opens "Mein Ort"
 *   (/mein-ort?lat=…&lon=…) for that point. Keyboard: the hint offers a link for the map
 *   centre, Enter on the focused map uses the centre too, Escape cancels.
 * Everything is built with DOM APIs (textContent, setAttribute), never from HTML strings.
 */
(function () {
  'use strict';
  var BGIS = (window.BGIS = window.BGIS || {});

  function t(key, values) { return BGIS.t(key, values); }
  function has(value) { return value !== undefined && value !== null && value !== ''; }

  /* Every link to a citizen page keeps the page language (lang=en). */
  function query(route, params) {
    var all = new URLSearchParams(params);
    if (BGIS.page && BGIS.page.lang && BGIS.page.lang !== 'de') all.set('lang', BGIS.page.lang);
    return route + '?' + all.toString();
  }

  /* The weekly opening-hours table ({caption, days: [{weekday, hours, today, open}], note}). */
  function weekTable(week) {
    var wrap = BGIS.el('div', { class: 'bgis-week' });
    if (!week || !week.days) {
      wrap.appendChild(BGIS.el('p', { class: 'week-note' }, (week && week.unreadable) || ''));
      return wrap;
    }
    var table = BGIS.el('table', { class: 'week-table' });
    table.appendChild(BGIS.el('caption', { class: 'visually-hidden' }, week.caption));
    var body = BGIS.el('tbody');
    week.days.forEach(function (day) {
      var tr = BGIS.el('tr', day.today ? { class: 'today', 'aria-current': 'date' } : {});
      if (!day.open) tr.setAttribute('data-closed', '');
      var th = BGIS.el('th', { scope: 'row' }, day.weekday + (day.today ? ' (' + week.today_label + ')' : ''));
      tr.appendChild(th);
      tr.appendChild(BGIS.el('td', {}, day.hours));
      body.appendChild(tr);
    });
    table.appendChild(body);
    wrap.appendChild(table);
    if (week.note) wrap.appendChild(BGIS.el('p', { class: 'week-note' }, week.note));
    return wrap;
  }

  /* ---- popups ---- */

  function lotPart(box, cfg, props, fid) {
    var status = props[cfg.service.statusField];
    if (!has(status)) return;
    var p = BGIS.el('p', { class: 'bgis-service bgis-lot-status', 'data-status': String(status) });
    if (String(status) === cfg.service.free && has(fid)) {
      p.appendChild(BGIS.el('span', {}, t('lotFree') + ' '));
      var link = BGIS.el('a', { class: 'bgis-request', href: query(BGIS.page.routes.lotRequest, { los: String(fid) }) },
        t('requestLot'));
      if (BGIS.page.mode === 'embed') {
        link.setAttribute('target', '_blank');
        link.setAttribute('rel', 'noopener');
      }
      p.appendChild(link);
    } else {
      p.classList.add('bgis-lot-unavailable');
      p.textContent = t('lotUnavailable', { status: String(status) });
    }
    box.appendChild(p);
  }

  /* The status line is filled in place (no popup.update(), which would rebuild the content
     and move the keyboard focus). */
  function officePart(box, fid, props) {
    if (!has(fid)) return;
    /* the raw opening_hours syntax and the bare booking URL are replaced by the table and a button */
    box.classList.add('bgis-popup-office');
    var p = BGIS.el('p', { class: 'bgis-service bgis-opening', 'data-state': 'loading', 'aria-live': 'polite' },
      t('openingLoading'));
    box.appendChild(p);
    var url = props && props.termin_url;
    if (has(url) && /^https?:\/\//.test(String(url))) {
      var book = BGIS.el('a', { class: 'bgis-book', href: String(url), rel: 'noopener noreferrer', target: '_blank' },
        t('book'));
      box.appendChild(BGIS.el('p', { class: 'bgis-book-line' }, '')).appendChild(book);
    }
    var slot = BGIS.el('div', { class: 'bgis-week-slot' });
    box.appendChild(slot);
    fetch(query(BGIS.page.routes.officeStatus, { id: String(fid) }),
      { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (data) {
        var status = data.office.status;
        p.setAttribute('data-state', status.state);
        p.textContent = status.text;
        slot.appendChild(weekTable(data.office.week));
      })
      .catch(function () {
        p.setAttribute('data-state', 'error');
        p.textContent = t('openingError');
      });
  }

  /* Any layer whose definition declares a request form (service.request): a link to
     /anfrage/<layer>/<feature> when the feature's status accepts requests. */
  function requestPart(box, cfg, props, fid) {
    var form = cfg.service.request;
    if (!has(fid)) return;
    var field = form.statusField || form.status_field;  /* keys may arrive camel-cased */
    if (field && form.requestable.length &&
        form.requestable.indexOf(String(props[field])) < 0) return;
    var p = BGIS.el('p', { class: 'bgis-service bgis-request-line' });
    var link = BGIS.el('a', { class: 'bgis-request', href: form.url + encodeURIComponent(String(fid)) },
      form.label);
    if (BGIS.page.mode === 'embed') {
      link.setAttribute('target', '_blank');
      link.setAttribute('rel', 'noopener');
    }
    p.appendChild(link);
    box.appendChild(p);
  }

  BGIS.servicePopup = function (box, cfg, props, fid) {
    if (cfg.service.role === 'holzverkauf') lotPart(box, cfg, props, fid);
    else if (cfg.service.request) requestPart(box, cfg, props, fid);
    if (cfg.service.role === 'buergeramt') officePart(box, fid, props);
  };

  /* ---- "In der Nähe" for the Bürgeramt layer: the nearest office open now ---- */

  function officeItem(layerId, office) {
    return {
      layer: layerId, id: office.id, label: office.name || office.id, lat: office.lat, lon: office.lon,
      distance_m: office.distance_m, status: office.status.text,
    };
  }

  /* Resolves to {heading, items} (items as in the result lists of page.js). */
  BGIS.nearestOffice = function (latlng) {
    var layerId = BGIS.page.officeLayer;
    var url = query(BGIS.page.routes.officeOpen, { lat: latlng.lat.toFixed(6), lon: latlng.lng.toFixed(6) });
    return fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (data) {
        if (data.office) return { heading: t('officeOpenNow'), items: [officeItem(layerId, data.office)] };
        if (data.opens_next) return { heading: t('officeNoneOpen'), items: [officeItem(layerId, data.opens_next)] };
        return { heading: t('searchNone'), items: [] };
      });
  };

  /* ---- "Was gilt hier?" ---- */

  function placeUrl(latlng) {
    var p = latlng.wrap();
    return query(BGIS.page.routes.myPlace, { lat: p.lat.toFixed(6), lon: p.lng.toFixed(6) });
  }

  var PlaceControl = L.Control.extend({
    options: { position: 'topright' },

    onAdd: function (map) {
      var box = L.DomUtil.create('div', 'leaflet-bar bgis-place');
      this.button = BGIS.el('button', {
        type: 'button', class: 'bgis-place-button', 'aria-pressed': 'false', 'aria-controls': 'bgis-place-hint',
      }, t('myPlace'));
      this.hint = BGIS.el('div', { id: 'bgis-place-hint', class: 'bgis-place-hint', role: 'status' });
      this.hint.hidden = true;
      this.hint.appendChild(BGIS.el('p', {}, t('myPlaceHint')));
      this.centre = BGIS.el('a', { class: 'bgis-place-centre', href: placeUrl(map.getCenter()) }, t('myPlaceCenter'));
      var cancel = BGIS.el('button', { type: 'button', class: 'bgis-place-cancel' }, t('myPlaceCancel'));
      this.hint.appendChild(this.centre);
      this.hint.appendChild(cancel);
      box.appendChild(this.button);
      box.appendChild(this.hint);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      L.DomEvent.on(this.button, 'click', function () { this.set(!BGIS.picking); }, this);
      L.DomEvent.on(cancel, 'click', function () { this.set(false); this.button.focus(); }, this);
      map.on('click', this._pick, this);
      map.on('moveend', this._centre, this);
      L.DomEvent.on(map.getContainer(), 'keydown', this._key, this);
      L.DomEvent.on(document, 'keydown', this._escape, this);
      return box;
    },

    set: function (active) {
      BGIS.picking = active;
      this.button.setAttribute('aria-pressed', active ? 'true' : 'false');
      this.hint.hidden = !active;
      this._map.getContainer().classList.toggle('bgis-picking', active);
      if (active) this._centre();
    },

    go: function (latlng) {
      this.set(false);
      window.location.assign(placeUrl(latlng));
    },

    _pick: function (e) { if (BGIS.picking) this.go(e.latlng); },
    _centre: function () { this.centre.setAttribute('href', placeUrl(this._map.getCenter())); },
    _key: function (e) {
      if (BGIS.picking && e.key === 'Enter' && e.target === this._map.getContainer()) this.go(this._map.getCenter());
    },
    _escape: function (e) {
      if (BGIS.picking && e.key === 'Escape') { this.set(false); this.button.focus(); }
    },
  });

  BGIS.mountServices = function (map, page) {
    if (page.mode !== 'full' || !page.routes.myPlace) return;
    BGIS.placeControl = new PlaceControl().addTo(map);
  };
})();
