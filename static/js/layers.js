/*
 * BürgerGIS map layers (shared by the city map and the embed).
 *
 * BGIS.layer(map, cfg) creates one catalog layer: GeoJSON from the OGC API (optionally
 * clustered), vector tiles (maplibre-gl, loaded only when switched on) or raster tiles.
 * Popups are built with DOM APIs (textContent), so attribute values are never parsed as HTML.
 * BGIS.mount(map, page) runs after all layers exist; when the layers shown at start have
 * loaded, <html data-map-ready="true"> is set and the "bgis:ready" event fires.
 */
(function () {
  'use strict';
  var BGIS = (window.BGIS = window.BGIS || {});
  var MAX_ZOOM = 19;
  BGIS.layers = {};
  BGIS.order = [];
  BGIS.errors = [];

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, key) {
      return key in values ? values[key] : m;
    });
  }
  BGIS.fmt = fmt;

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  BGIS.esc = esc;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  BGIS.el = el;

  BGIS.formatDate = function (iso) {
    if (!iso) return '';
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
    if (!m) return String(iso);
    return BGIS.page && BGIS.page.lang === 'en' ? m[0] : m[3] + '.' + m[2] + '.' + m[1];
  };

  BGIS.t = function (key, values) {
    var texts = (BGIS.page && BGIS.page.texts) || {};
    return fmt(texts[key] || key, values || {});
  };

  /* Attribution shown by Leaflet while the layer is visible (Leaflet inserts it as HTML and
     shows identical strings once, so layers of the same source share one line). */
  function attribution(cfg) {
    var parts = [cfg.license];
    if (cfg.dataDate) parts.push(BGIS.t('dataDate') + ' ' + BGIS.formatDate(cfg.dataDate));
    return '© ' + esc(cfg.attribution) + ' (' + parts.filter(Boolean).map(esc).join(', ') + ')';
  }

  function isUrl(value) {
    return typeof value === 'string' && /^https?:\/\/[^\s<>"]+$/.test(value);
  }

  /* Numbers as people write them, exactly like services/formatting.py number(): at most two
     decimals without trailing zeros, German 42,5 and 57.550 (English 42.5 and 57,550); numbers
     below 10 000 such as years stay ungrouped (DIN 5008). */
  BGIS.formatNumber = function (value) {
    var de = !(BGIS.page && BGIS.page.lang === 'en');
    var text = Math.abs(value).toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
    var parts = text.split('.'), whole = parts[0];
    if (Math.abs(value) >= 10000) whole = whole.replace(/\B(?=(\d{3})+$)/g, de ? '.' : ',');
    var result = whole + (parts[1] ? (de ? ',' : '.') + parts[1] : '');
    return (value < 0 && result !== '0' ? '-' : '') + result;
  };

  /* A number is followed by its unit after a no-break space ("57.550 €", maps/layers.py). */
  function displayValue(field, value) {
    if (value === true) return BGIS.t('yes');
    if (value === false) return BGIS.t('no');
    if (field.type === 'date') return BGIS.formatDate(value);
    if (typeof value === 'number' && isFinite(value)) {
      return BGIS.formatNumber(value) + (field.unit ? '\u00a0' + field.unit : '');
    }
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  /* The colour of a feature from the layer's classes (style.by_attribute), else null.
     Keys are compared as text, as the server writes them (maps/styling.py). */
  BGIS.classColor = function (cfg, props) {
    var c = cfg.classes;
    if (!c || !props) return null;
    var value = props[c.attribute];
    if (value === null || value === undefined) return null;
    var i;
    for (i = 0; i < c.categories.length; i++) {
      if (c.categories[i].key === String(value)) return c.categories[i].color;
    }
    if (typeof value !== 'number') return null;
    for (i = 0; i < c.ranges.length; i++) {
      var r = c.ranges[i];
      if ((r.min === null || value >= r.min) && (r.max === null || value < r.max)) return r.color;
    }
    return null;
  };

  function featureLabel(cfg, props, fid) {
    var v = cfg.labelField ? props[cfg.labelField] : null;
    return v === null || v === undefined || v === '' ? String(fid) : String(v);
  }
  BGIS.featureLabel = featureLabel;

  BGIS.listUrl = function (cfg, fid) {
    var params = new URLSearchParams(), hasFid = fid !== undefined && fid !== null;
    if (hasFid) params.set('fid', String(fid));
    if (BGIS.page && BGIS.page.lang !== 'de') params.set('lang', BGIS.page.lang);
    if (BGIS.page && BGIS.page.showPast) params.set('alle', '1');
    var query = params.toString();
    return cfg.urls.list + (query ? '?' + query : '') +
      (hasFid ? '#f-' + encodeURIComponent(String(fid)) : '');
  };

  /* The popup of one feature: title, the layer's popup fields, a link to the table.
     Service layers add their part (Kaufanfrage link, opening status) via static/js/services.js. */
  BGIS.popupContent = function (cfg, props, fid, layer) {
    var box = el('div', { class: 'bgis-popup', tabindex: '-1' });
    box.appendChild(el('h2', { class: 'bgis-popup-title' }, featureLabel(cfg, props, fid)));
    box.appendChild(el('p', { class: 'bgis-popup-layer' }, cfg.title));
    if (cfg.service && BGIS.servicePopup) BGIS.servicePopup(box, cfg, props, fid, layer);
    var dl = el('dl');
    cfg.fields.forEach(function (field) {
      var value = props[field.name];
      if (value === null || value === undefined || value === '') return;
      dl.appendChild(el('dt', { 'data-field': field.name }, field.label));
      var dd = el('dd', { 'data-field': field.name });
      if (isUrl(value)) {
        dd.appendChild(el('a', { href: value, rel: 'noopener noreferrer', target: '_blank' }, value));
      } else {
        dd.textContent = displayValue(field, value);
      }
      dl.appendChild(dd);
    });
    box.appendChild(dl);
    if (fid !== undefined && fid !== null) {
      var p = el('p', { class: 'bgis-popup-links' });
      p.appendChild(el('a', { href: BGIS.listUrl(cfg, fid) }, BGIS.t('list')));
      box.appendChild(p);
    }
    return box;
  };

  function markerIcon(cfg, props) {
    var own = BGIS.classColor(cfg, props) || cfg.style.color;
    var color = /^#[0-9a-fA-F]{6}$/.test(own) ? own : '#1f6fb2';
    var icon = /^[a-z0-9-]{1,40}$/.test(cfg.icon || '') ?
      '<span class="bgis-icon" style="--icon: url(/static/vendor/fontawesome/svgs/solid/' + cfg.icon + '.svg)"></span>' : '';
    return L.divIcon({
      className: 'bgis-marker',
      html: '<span class="bgis-dot" style="background:' + color + '">' + icon + '</span>',
      iconSize: [22, 22],
      iconAnchor: [11, 11],
      popupAnchor: [0, -10],
    });
  }

  function pathStyle(cfg, feature) {
    var s = cfg.style, own = BGIS.classColor(cfg, feature && feature.properties);
    return {
      color: own || s.color, weight: s.weight, opacity: 0.9,
      fillColor: own || s.fill, fillOpacity: cfg.geometry === 'polygon' ? s.fillOpacity : 0,
    };
  }

  /* The fixed pane of a layer (areas below lines below points, maps/layers.py draw_order). */
  function pane(map, cfg) {
    if (!cfg.pane) return undefined;
    var name = cfg.pane.pane;
    if (!map.getPane(name)) {
      var node = map.createPane(name);
      node.style.zIndex = String(cfg.pane.zIndex);
      node.classList.add('bgis-pane');
    }
    return name;
  }

  /* GeoJSON features from /ogc/collections/{id}/items, fetched when first shown. */
  var FeatureLayer = L.FeatureGroup.extend({
    initialize: function (cfg) {
      L.FeatureGroup.prototype.initialize.call(this, [], { attribution: attribution(cfg) });
      this.cfg = cfg;
      this.byId = {};
      this._loading = null;
    },
    onAdd: function (map) {
      L.FeatureGroup.prototype.onAdd.call(this, map);
      this.load();
    },
    load: function () {
      if (!this._loading) {
        var url = this.cfg.urls.items + '?f=json&limit=' + Math.max(1, this.cfg.limit) +
          (this.cfg.itemsQuery ? '&' + this.cfg.itemsQuery : '');
        /* no-cache = revalidate (ETag → 304): a staff edit (new layer version) shows at once */
        this._loading = fetch(url, { cache: 'no-cache', headers: { Accept: 'application/geo+json' } })
          .then(function (r) {
            if (!r.ok) throw new Error('HTTP ' + r.status);
            return r.json();
          })
          .then(this._fill.bind(this));
      }
      return this._loading;
    },
    _fill: function (data) {
      var cfg = this.cfg, self = this;
      var geo = L.geoJSON(data, {
        pane: this.pane,
        style: function (feature) { return pathStyle(cfg, feature); },
        pointToLayer: function (feature, latlng) {
          var label = featureLabel(cfg, feature.properties || {}, feature.id);
          var marker = L.marker(latlng, { icon: markerIcon(cfg, feature.properties), title: label, keyboard: true });
          marker.on('add', function () {
            var node = marker.getElement();
            if (node) node.setAttribute('aria-label', label + ' (' + cfg.title + ')');
          });
          return marker;
        },
        onEachFeature: function (feature, layer) {
          var props = feature.properties || {};
          layer.feature = feature;
          layer.bindPopup(function (l) { return BGIS.popupContent(cfg, props, feature.id, l); },
            { maxWidth: 320, autoPanPadding: [20, 20] });
          if (feature.id !== undefined && feature.id !== null) self.byId[String(feature.id)] = layer;
        },
      });
      this.all = geo.getLayers();
      if (cfg.render === 'cluster' && L.markerClusterGroup) {
        this.cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
        this.cluster.addLayer(geo);
        this.addLayer(this.cluster);
      } else {
        this.addLayer(geo);
      }
      this.geo = geo;
      this.count = Object.keys(this.byId).length;
      if (this.only) this.setOnly(this.only);
      return this;
    },
    /* Show only features whose attribute has one value ({attribute, value}), or all (null). */
    setOnly: function (only) {
      this.only = only;
      if (!this.geo) return;
      var target = this.cluster || this.geo;
      this.all.forEach(function (layer) {
        var props = (layer.feature && layer.feature.properties) || {};
        var keep = !only || String(props[only.attribute]) === String(only.value);
        if (keep && !target.hasLayer(layer)) target.addLayer(layer);
        if (!keep && target.hasLayer(layer)) target.removeLayer(layer);
      });
    },
    /* Open the popup of a feature (zooming into its cluster if needed). */
    openFeature: function (fid) {
      var layer = this.byId[String(fid)];
      if (!layer) return false;
      if (this.cluster) {
        this.cluster.zoomToShowLayer(layer, function () { layer.openPopup(); });
      } else {
        layer.openPopup();
      }
      return true;
    },
  });

  /* External layers (another authority's service, tiles through /extern): once the visible
     tiles are in, ask whether the service answered and say so beside the layer's name. */
  function externStatus(cfg) {
    var box = document.querySelector('[data-extern-status="' + cfg.id + '"]');
    if (!box || !window.fetch) return;
    fetch(cfg.urls.status, { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        box.textContent = s.ok ? '' : BGIS.t('externUnavailable', { title: cfg.title });
        box.hidden = s.ok;
      })
      .catch(function () {});
  }

  /* Raster tiles /tiles/{id}/{z}/{x}/{y}.png, limited to the layer's extent. */
  function rasterLayer(cfg, paneName) {
    var opts = {
      pane: paneName || 'tilePane',
      attribution: attribution(cfg), opacity: cfg.style.opacity, minZoom: cfg.minzoom,
      maxNativeZoom: Math.min(cfg.maxzoom, MAX_ZOOM), maxZoom: MAX_ZOOM,
    };
    if (cfg.bbox) opts.bounds = L.latLngBounds([cfg.bbox[1], cfg.bbox[0]], [cfg.bbox[3], cfg.bbox[2]]);
    var layer = L.tileLayer(cfg.urls.png, opts);
    layer.cfg = cfg;
    layer.load = function () { return Promise.resolve(layer); };
    if (cfg.urls.status) layer.on('load', function () { externStatus(cfg); });
    return layer;
  }

  BGIS.layer = function (map, cfg) {
    var layer, paneName = pane(map, cfg);
    if (cfg.render === 'raster') layer = rasterLayer(cfg, paneName);
    else if (cfg.render === 'vectortiles') layer = BGIS.vectorTileLayer(cfg, paneName);
    else { layer = new FeatureLayer(cfg); layer.pane = paneName; }
    BGIS.layers[cfg.id] = layer;
    BGIS.order.push(cfg.id);
    return layer;
  };

  /* ---- vector tiles: maplibre-gl and static/js/vectortiles.js load when first shown ---- */

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error('script ' + src)); };
      document.head.appendChild(s);
    });
  }
  var vectorCode = null;
  function loadVectorCode() {
    if (!vectorCode) {
      document.head.appendChild(el('link', { rel: 'stylesheet', href: '/static/vendor/maplibre-gl/maplibre-gl.css' }));
      vectorCode = loadScript('/static/vendor/maplibre-gl/maplibre-gl.js')
        .then(function () { return loadScript('/static/vendor/maplibre-gl-leaflet/leaflet-maplibre-gl.js'); })
        .then(function () { return loadScript('/static/js/vectortiles.js'); });
    }
    return vectorCode;
  }

  var VectorTileLayer = L.LayerGroup.extend({
    initialize: function (cfg) {
      L.LayerGroup.prototype.initialize.call(this, [], { attribution: attribution(cfg) });
      this.cfg = cfg;
      this._loading = null;
    },
    onAdd: function (map) {
      L.LayerGroup.prototype.onAdd.call(this, map);
      map.on('click', this._onClick, this);
      this.load();
    },
    onRemove: function (map) {
      map.off('click', this._onClick, this);
      L.LayerGroup.prototype.onRemove.call(this, map);
    },
    load: function () {
      var self = this;
      if (!this._loading) {
        this._loading = loadVectorCode().then(function () { return BGIS.vectorTiles.start(self); });
      }
      return this._loading;
    },
    _onClick: function (e) {
      if (BGIS.picking || BGIS.measuring) return;  /* "Was gilt hier?" and measuring take this click */
      if (this.gl && BGIS.vectorTiles) BGIS.vectorTiles.click(this, e);
    },
  });
  BGIS.vectorTileLayer = function (cfg, paneName) {
    var layer = new VectorTileLayer(cfg);
    layer.pane = paneName;
    return layer;
  };

  /* ---- page glue ---- */

  function status(message) {
    var box = document.getElementById('map-status');
    if (!box) return;
    box.hidden = !message;
    box.textContent = message || '';
  }
  BGIS.status = status;

  BGIS.visibleIds = function () {
    return BGIS.order.filter(function (id) { return BGIS.map.hasLayer(BGIS.layers[id]); });
  };

  /* The current view as URL parameters (same names as the server understands). */
  BGIS.viewParams = function (extra) {
    var map = BGIS.map, c = map.getCenter(), params = new URLSearchParams();
    params.toString = function () {
      return URLSearchParams.prototype.toString.call(this).replace(/%2C/g, ',');
    };
    params.set('center', c.lat.toFixed(5) + ',' + c.lng.toFixed(5));
    params.set('zoom', String(Math.round(map.getZoom())));
    params.set('layers', BGIS.visibleIds().join(','));
    if (BGIS.page.basemap !== 'default') params.set('basemap', BGIS.page.basemap);
    if (BGIS.page.lang !== 'de') params.set('lang', BGIS.page.lang);
    if (BGIS.page.showPast) params.set('alle', '1');
    Object.keys(extra || {}).forEach(function (k) {
      if (extra[k] === null) params.delete(k); else params.set(k, extra[k]);
    });
    return params;
  };

  /* Links marked data-view-link="/path" always carry the current view (data-view-lang and
     data-view-all="1"/"0" change the language or switch past entries on/off). */
  BGIS.updateViewLinks = function () {
    document.querySelectorAll('a[data-view-link]').forEach(function (a) {
      var extra = a.dataset.viewLang ? { lang: a.dataset.viewLang === 'de' ? null : a.dataset.viewLang } : {};
      if (a.dataset.viewAll) extra.alle = a.dataset.viewAll === '1' ? '1' : null;
      a.href = a.dataset.viewLink + '?' + BGIS.viewParams(extra).toString();
    });
  };

  /* Show a layer (if hidden) and open the popup of one of its features. */
  BGIS.showFeature = function (layerId, fid, latlng, bbox) {
    var layer = BGIS.layers[layerId];
    if (!layer) return Promise.resolve(false);
    if (!BGIS.map.hasLayer(layer)) {
      BGIS.map.addLayer(layer);
      BGIS.map.fire('bgis:layerchange', { id: layerId, visible: true });
    }
    if (bbox && (bbox[0] !== bbox[2] || bbox[1] !== bbox[3])) {
      BGIS.map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], { maxZoom: BGIS.page.featureZoom });
    } else if (latlng) {
      BGIS.map.setView(latlng, Math.max(BGIS.map.getZoom(), BGIS.page.featureZoom));
    }
    return layer.load().then(function () {
      return layer.openFeature ? layer.openFeature(fid) : false;
    });
  };

  function accessiblePopups(map) {
    var opener = null;
    map.on('popupopen', function (e) {
      var node = e.popup.getElement();
      L.DomEvent.on(node, 'keydown', function (ev) {
        if (ev.key === 'Escape') map.closePopup();
      });
      var close = node.querySelector('.leaflet-popup-close-button');
      if (close) close.setAttribute('aria-label', BGIS.t('close'));
      var active = document.activeElement;
      if (active && active.classList.contains('leaflet-marker-icon')) {
        opener = active;
        var box = e.popup.getElement().querySelector('.bgis-popup');
        if (box) box.focus({ preventScroll: true });
      }
    });
    map.on('popupclose', function () {
      if (opener && document.body.contains(opener)) opener.focus({ preventScroll: true });
      opener = null;
    });
  }

  function whenShownLoaded() {
    var pending = BGIS.visibleIds().map(function (id) {
      var layer = BGIS.layers[id];
      return layer.load().catch(function (err) {
        BGIS.errors.push({ layer: id, error: String(err) });
        status(BGIS.t('loadError', { title: layer.cfg.title }));
      });
    });
    return Promise.all(pending);
  }

  /* "nur freie Lose" / "nur verfügbare Fahrzeuge": a map switch for a service layer, shown while
     the layer is on the map; it keeps only features with one value (cfg.service.only). */
  var OnlyControl = L.Control.extend({
    options: { position: 'topright' },
    initialize: function (layer, only, label, options) {
      L.setOptions(this, options);
      this.layer = layer;
      this.only = only;
      this.label = label;
    },
    onAdd: function (map) {
      var box = L.DomUtil.create('div', 'leaflet-bar bgis-only');
      var id = 'bgis-only-' + this.layer.cfg.id;
      var input = el('input', { type: 'checkbox', id: id, 'data-only-layer': this.layer.cfg.id });
      var label = el('label', { for: id });
      label.appendChild(input);
      label.appendChild(el('span', {}, this.label));
      box.appendChild(label);
      L.DomEvent.disableClickPropagation(box);
      var self = this;
      input.addEventListener('change', function () {
        self.layer.setOnly(input.checked ? self.only : null);
      });
      function sync() { box.hidden = !map.hasLayer(self.layer); }
      map.on('layeradd layerremove', sync);
      sync();
      return box;
    },
  });

  function onlyControls(map) {
    BGIS.order.forEach(function (id) {
      var layer = BGIS.layers[id], service = layer.cfg.service;
      if (!service || !service.only || !layer.setOnly) return;
      var only = { attribute: service.only.attribute, value: service.only.value };
      /* the embed's top right holds "Große Karte öffnen" and the legend */
      var position = BGIS.page.mode === 'embed' ? 'topleft' : 'topright';
      new OnlyControl(layer, only, service.only.label, { position: position }).addTo(map);
    });
  }

  /* Runs before the layers are created: language, texts and routes. */
  BGIS.setup = function (map, page) {
    BGIS.map = map;
    BGIS.page = page;
  };

  BGIS.mount = function () {
    var map = BGIS.map, page = BGIS.page;
    accessiblePopups(map);
    onlyControls(map);
    if (BGIS.mountPage) BGIS.mountPage(map, page);
    if (BGIS.mountServices) BGIS.mountServices(map, page);
    if (BGIS.mountAccess) BGIS.mountAccess(map, page); /* static/js/access.js */
    BGIS.ready = whenShownLoaded().then(function () {
      if (page.feature) {
        var layer = BGIS.layers[page.feature[0]];
        if (layer && layer.openFeature) layer.openFeature(page.feature[1]);
      }
      BGIS.readyAt = performance.now();
      document.documentElement.setAttribute('data-map-ready', 'true');
      document.dispatchEvent(new CustomEvent('bgis:ready'));
    });
  };
})();
