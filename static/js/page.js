/*
 * The city map page: layer panel, permalink, search, "nächstgelegene …" and the phone layout.
 * Everything here works on server-rendered HTML (templates/maps/index.html); the map and its
 * layers come from layers.js.
 */
(function () {
  'use strict';
  var BGIS = window.BGIS;

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  /* ---- permalink: the URL always holds centre, zoom and visible layers ---- */
  function updateUrl() {
    var params = BGIS.viewParams();
    window.history.replaceState(null, '', window.location.pathname + '?' + params.toString());
    BGIS.updateViewLinks();
  }

  /* ---- layer panel ---- */
  function syncCheckboxes() {
    $all('input[data-layer]').forEach(function (box) {
      var layer = BGIS.layers[box.dataset.layer];
      box.checked = !!layer && BGIS.map.hasLayer(layer);
    });
  }

  function zoomHints() {
    var zoom = BGIS.map.getZoom();
    $all('[data-minzoom]').forEach(function (hint) {
      hint.hidden = zoom >= Number(hint.dataset.minzoom);
    });
  }

  function bindLayerPanel(map) {
    $all('input[data-layer]').forEach(function (box) {
      box.addEventListener('change', function () {
        var layer = BGIS.layers[box.dataset.layer];
        if (!layer) return;
        if (box.checked) {
          map.addLayer(layer);
          layer.load().catch(function () {
            BGIS.status(BGIS.t('loadError', { title: layer.cfg.title }));
          });
        } else {
          map.removeLayer(layer);
        }
        updateUrl();
      });
    });
    map.on('bgis:layerchange', function () { syncCheckboxes(); updateUrl(); });
  }

  function bindPanelToggle() {
    var button = $('#panel-toggle'), panel = $('#panel');
    if (!button || !panel) return;
    button.hidden = false;
    var narrow = window.matchMedia('(max-width: 47.99em)');
    function set(open) {
      button.setAttribute('aria-expanded', open ? 'true' : 'false');
      document.body.classList.toggle('panel-closed', !open);
      window.setTimeout(function () { BGIS.map.invalidateSize(); }, 0);
    }
    set(!narrow.matches);
    button.addEventListener('click', function () {
      set(button.getAttribute('aria-expanded') !== 'true');
    });
  }

  /* ---- result lists (search and nearest) ---- */
  function resultList(container, items, describe) {
    var list = BGIS.el('ul', { class: 'results' });
    items.forEach(function (item) {
      var li = BGIS.el('li');
      var button = BGIS.el('button', { type: 'button', class: 'result' });
      button.appendChild(BGIS.el('span', { class: 'result-label' }, item.label));
      button.appendChild(BGIS.el('span', { class: 'result-meta' }, describe(item)));
      button.addEventListener('click', function () {
        closePanelOnPhone();
        BGIS.showFeature(item.layer, item.id, [item.lat, item.lon], item.bbox);
      });
      li.appendChild(button);
      list.appendChild(li);
    });
    container.appendChild(list);
  }

  function closePanelOnPhone() {
    var button = $('#panel-toggle');
    if (button && window.matchMedia('(max-width: 47.99em)').matches) {
      button.setAttribute('aria-expanded', 'false');
      document.body.classList.add('panel-closed');
    }
  }

  function layerTitle(id) {
    var layer = BGIS.layers[id];
    return layer ? layer.cfg.title : id;
  }

  /* ---- search ---- */
  function bindSearch() {
    var form = $('#search-form'), input = $('#search-q'), out = $('#search-results');
    if (!form || !input || !out) return;
    var controller = null, timer = null;

    /* A 503 means "search is busy" (the server's search slots): one quiet retry after a
       moment, then the server's own message (German or English, as the page). */
    function run(retried) {
      var q = input.value.trim();
      if (q.length < 2) return;
      if (controller) controller.abort();
      window.clearTimeout(timer);
      controller = new AbortController();
      var params = new URLSearchParams({ q: q, lang: BGIS.page.lang });
      fetch(BGIS.page.routes.search + '?' + params, { signal: controller.signal })
        .then(function (r) {
          if (r.status === 503 && !retried) {
            timer = window.setTimeout(function () { run(true); }, 1500);
            return null;
          }
          if (r.status === 503) {
            return r.json().then(function (body) {
              var err = new Error('busy'); err.text = body.description; throw err;
            });
          }
          if (!r.ok) throw new Error('HTTP ' + r.status);
          return r.json();
        })
        .then(function (data) {
          if (!data) return;
          out.textContent = '';
          var n = data.results.length;
          out.appendChild(BGIS.el('p', { class: 'result-count' },
            n ? BGIS.t('searchHits', { n: n }) : BGIS.t('searchNone')));
          resultList(out, data.results, function (item) {
            return [item.layer_title, item.detail].filter(Boolean).join(' · ');
          });
        })
        .catch(function (err) {
          if (err.name === 'AbortError') return;
          out.textContent = err.text || BGIS.t('searchError');
        });
    }
    form.addEventListener('submit', function (e) { e.preventDefault(); run(false); });
    input.addEventListener('input', function () {
      window.clearTimeout(timer);
      if (input.value.trim().length >= 3) timer = window.setTimeout(function () { run(false); }, 300);
    });
  }

  /* ---- "nächstgelegene …" ---- */
  function position() {
    if (BGIS.lastLocation) return Promise.resolve({ latlng: BGIS.lastLocation, located: true });
    var centre = { latlng: BGIS.map.getCenter(), located: false };
    if (!navigator.geolocation) return Promise.resolve(centre);
    return new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(function (pos) {
        BGIS.lastLocation = L.latLng(pos.coords.latitude, pos.coords.longitude);
        resolve({ latlng: BGIS.lastLocation, located: true });
      }, function () { resolve(centre); }, { timeout: 8000, maximumAge: 60000 });
    });
  }

  function distanceText(metres) {
    var d = metres < 1000 ? Math.round(metres) + ' m' : (metres / 1000).toFixed(1).replace('.', BGIS.page.lang === 'de' ? ',' : '.') + ' km';
    return BGIS.t('distance', { d: d });
  }

  /* The nearest features of a layer; for the Bürgeramt layer the nearest office open now
     (static/js/services.js). Resolves to {heading, items, describe}. */
  /* The nearest features of a loaded layer with one attribute value ("nächstes freies Los"),
     measured in the browser from the features the map already has. */
  function nearestWhere(layerId, only, latlng) {
    var layer = BGIS.layers[layerId];
    if (!layer || !layer.load) return Promise.reject(new Error('layer'));
    return layer.load().then(function () {
      var items = (layer.all || []).filter(function (l) {
        var props = (l.feature && l.feature.properties) || {};
        return String(props[only.attribute]) === only.value;
      }).map(function (l) {
        var at = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
        return {
          layer: layerId, id: l.feature.id, lat: at.lat, lon: at.lng,
          label: BGIS.featureLabel(layer.cfg, l.feature.properties || {}, l.feature.id),
          distance_m: BGIS.map.distance(latlng, at),
        };
      });
      items.sort(function (a, b) { return a.distance_m - b.distance_m; });
      return {
        heading: null, items: items.slice(0, 3),
        describe: function (item) { return layerTitle(item.layer) + ' · ' + distanceText(item.distance_m); },
      };
    });
  }

  function nearest(layerId, latlng, only) {
    if (only) return nearestWhere(layerId, only, latlng);
    if (BGIS.nearestOffice && layerId === BGIS.page.officeLayer) {
      return BGIS.nearestOffice(latlng).then(function (found) {
        found.describe = function (item) { return item.status + ' · ' + distanceText(item.distance_m); };
        return found;
      });
    }
    var params = new URLSearchParams({
      layer: layerId, lon: latlng.lng.toFixed(6), lat: latlng.lat.toFixed(6), limit: '3',
    });
    return fetch(BGIS.page.routes.nearest + '?' + params)
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (data) {
        return {
          heading: null, items: data.results,
          describe: function (item) { return layerTitle(item.layer) + ' · ' + distanceText(item.distance_m); },
        };
      });
  }

  function bindNearest() {
    var form = $('#nearest-form'), select = $('#nearest-layer'), out = $('#nearest-results');
    if (!form || !select || !out) return;
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      out.textContent = BGIS.t('loading');
      position().then(function (pos) {
        var option = select.options[select.selectedIndex];
        var only = option && option.dataset.onlyAttribute ?
          { attribute: option.dataset.onlyAttribute, value: option.dataset.onlyValue } : null;
        return nearest(select.value, pos.latlng, only).then(function (found) {
          out.textContent = '';
          out.appendChild(BGIS.el('p', { class: 'result-count' },
            BGIS.t(pos.located ? 'nearestFromLocation' : 'nearestFromCenter')));
          if (found.heading) out.appendChild(BGIS.el('p', { class: 'result-count' }, found.heading));
          resultList(out, found.items, found.describe);
        });
      }).catch(function () { out.textContent = BGIS.t('searchError'); });
    });
  }

  BGIS.mountPage = function (map, page) {
    if (page.mode !== 'full') return;
    bindPanelToggle();
    bindLayerPanel(map);
    bindSearch();
    bindNearest();
    map.on('locationfound', function (e) { BGIS.lastLocation = e.latlng; });
    map.on('locationerror', function () { BGIS.status(BGIS.t('locateError')); });
    map.on('moveend', updateUrl);
    map.on('zoomend', zoomHints);
    map.whenReady(function () { syncCheckboxes(); zoomHints(); updateUrl(); });
  };
})();
