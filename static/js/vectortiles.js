/*
 * Vector tile layers (style.tiles): maplibre-gl draws /tiles/{id}/{z}/{x}/{y}.mvt inside
 * Leaflet (maplibre-gl-leaflet). Loaded by layers.js only when such a layer is first shown,
 * so neither the embed nor the city map pay for maplibre up front. The source-layer name
 * comes from the TileJSON (/tiles/{id}.json); a click opens the same popup as other layers.
 */
(function () {
  'use strict';
  var BGIS = window.BGIS;

  function glStyle(cfg, tilejson) {
    var vl = tilejson.vector_layers && tilejson.vector_layers[0];
    var s = cfg.style, src = { source: 'bgis', 'source-layer': vl ? vl.id : cfg.id };
    function layer(id, type, filter, paint) {
      return L.extend({ id: id, type: type, filter: filter, paint: paint }, src);
    }
    return {
      version: 8,
      sources: {
        bgis: {
          type: 'vector', minzoom: cfg.minzoom, maxzoom: tilejson.maxzoom || Math.min(cfg.maxzoom, 16),
          tiles: [window.location.origin + cfg.urls.mvt],
        },
      },
      layers: [
        layer('fill', 'fill', ['==', '$type', 'Polygon'], { 'fill-color': s.fill, 'fill-opacity': s.fillOpacity }),
        layer('line', 'line', ['!=', '$type', 'Point'], { 'line-color': s.color, 'line-width': s.weight }),
        layer('circle', 'circle', ['==', '$type', 'Point'], { 'circle-color': s.color, 'circle-radius': 5 }),
      ],
    };
  }

  function tilejson(cfg) {
    return fetch(cfg.urls.tilejson)
      .then(function (r) { return r.ok ? r.json() : {}; })
      .catch(function () { return {}; });
  }

  BGIS.vectorTiles = {
    /* Create the maplibre layer inside the BürgerGIS layer group; resolves when loaded. */
    start: function (group) {
      return tilejson(group.cfg).then(function (tj) {
        group.gl = L.maplibreGL({ style: glStyle(group.cfg, tj), interactive: false });
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
        { layers: ['fill', 'line', 'circle'] });
      if (!hits.length) return;
      var props = hits[0].properties || {};
      L.popup({ maxWidth: 320 }).setLatLng(e.latlng)
        .setContent(BGIS.popupContent(group.cfg, props, props.fid)).openOn(group._map);
    },
  };
})();
