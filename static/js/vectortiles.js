/*
 * Vector tile layers (style.tiles): maplibre-gl draws /tiles/{id}/{z}/{x}/{y}.mvt inside
 * Leaflet (maplibre-gl-leaflet). Loaded by layers.js only when such a layer is first shown,
 * so neither the embed nor the city map pay for maplibre up front. The style (sources, source
 * layer, colours by class) is the layer's published MapLibre style; a click opens the same
 * popup as other layers.
 */
(function () {
  'use strict';
  var BGIS = window.BGIS;

  /* The layer's published MapLibre style (/ogc/collections/{id}/styles/default?f=mapbox):
     the same colours and classes as the GeoJSON layers, the SLD and the legend. */
  function glStyle(cfg) {
    var url = '/ogc/collections/' + encodeURIComponent(cfg.id) + '/styles/default?f=mapbox';
    return fetch(url, { cache: 'no-cache' }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    });
  }

  BGIS.vectorTiles = {
    /* Create the maplibre layer inside the BürgerGIS layer group; resolves when loaded. */
    start: function (group) {
      return glStyle(group.cfg).then(function (style) {
        group.styleLayers = style.layers.map(function (l) { return l.id; });
        var options = { style: style, interactive: false };
        if (group.pane) options.pane = group.pane;
        group.gl = L.maplibreGL(options);
        group.addLayer(group.gl);
        return new Promise(function (resolve, reject) {
          var glMap = group.gl.getMaplibreMap();
          if (!glMap) return reject(new Error('WebGL'));
          glMap.once('load', function () { resolve(group); });
          glMap.once('error', function (e) { reject(e.error || new Error('maplibre')); });
        });
      });
    },
    /* Popup for the feature under a map click. */
    click: function (group, e) {
      var glMap = group.gl.getMaplibreMap();
      if (!glMap || !glMap.loaded()) return;
      var hits = glMap.queryRenderedFeatures(glMap.project([e.latlng.lng, e.latlng.lat]),
        { layers: group.styleLayers });
      if (!hits.length) return;
      var props = hits[0].properties || {};
      L.popup({ maxWidth: 320 }).setLatLng(e.latlng)
        .setContent(BGIS.popupContent(group.cfg, props, props.fid)).openOn(group._map);
    },
  };
})();
