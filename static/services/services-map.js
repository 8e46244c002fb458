/* Small Leaflet maps of the service pages (no inline script: CSP script-src 'self').
 * #lot-map: wood lots from <script type="application/json" id="lot-data">, coloured by status
 *           (@color: the class colour of style.by_attribute, as on the city map and the list),
 *           with a link to the Kaufanfrage for free lots.
 * #pick-map: click to choose a point for "Mein Ort" (navigates to data-pick?lat=&lon=).
 */
(function () {
  "use strict";
  var HAMELN = [52.1037, 9.3563];

  function baseMap(el) {
    var map = L.map(el, { scrollWheelZoom: false }).setView(HAMELN, 12);
    var url = el.getAttribute("data-basemap");
    if (url) {
      L.tileLayer(url, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    }
    return map;
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span;
  }

  /* Texts and the request route come from the page (data-*), so English pages stay English. */
  function popup(props, el) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = (el.getAttribute("data-lot-label") || "Los") + " " + props.fid;
    box.appendChild(title);
    ["holzart", "sortiment", "menge_rm", "preis_rm", "status"].forEach(function (key) {
      if (props[key]) {
        box.appendChild(document.createElement("br"));
        box.appendChild(text(props[key]));
      }
    });
    if (props.status === "frei") {
      var link = document.createElement("a");
      var url = new URL(el.getAttribute("data-request") || "/holzverkauf/anfrage", window.location.href);
      url.searchParams.set("los", props.fid);
      link.href = url.pathname + url.search;
      link.className = "button";
      link.textContent = el.getAttribute("data-request-label") || "Kaufanfrage";
      box.appendChild(document.createElement("br"));
      box.appendChild(link);
    }
    return box;
  }

  function lotMap(el) {
    var data = document.getElementById("lot-data");
    var features = data ? JSON.parse(data.textContent) : [];
    var map = baseMap(el);
    var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
      style: function (f) {
        var colour = f.properties["@color"] || "#1f6fb2";  /* the layer's class colour */
        return { color: colour, fillColor: colour, weight: 2, fillOpacity: 0.45 };
      },
      onEachFeature: function (f, l) {
        l.bindPopup(popup(f.properties, el));
      }
    }).addTo(map);
    if (features.length) {
      map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    }
    el.setAttribute("data-ready", String(features.length));
  }

  /* data-pick may already carry a query (lang=en): lat/lon are added to it. */
  function pickUrl(target, latlng) {
    var url = new URL(target, window.location.href);
    url.searchParams.set("lat", latlng.lat.toFixed(6));
    url.searchParams.set("lon", latlng.lng.toFixed(6));
    return url.pathname + url.search;
  }

  function pickMap(el) {
    var map = baseMap(el);
    var target = el.getAttribute("data-pick");
    var lat = parseFloat(el.getAttribute("data-lat")), lon = parseFloat(el.getAttribute("data-lon"));
    if (!isNaN(lat) && !isNaN(lon)) {
      L.circleMarker([lat, lon], { radius: 8, color: "#c0392b", fillOpacity: 0.6 }).addTo(map);
      map.setView([lat, lon], 14);
    }
    map.on("click", function (e) {
      window.location.href = pickUrl(target, e.latlng);
    });
    el.setAttribute("data-ready", "1");
  }

  /* "Mein Standort": the browser's location fills the hidden lat/lon fields of the form. */
  function locateForm(form) {
    var button = form.querySelector("button");
    var status = document.getElementById("locate-status");
    if (!navigator.geolocation) { return; }
    form.hidden = false;
    form.addEventListener("submit", function (e) {
      if (form.elements.lat.value) { return; }
      e.preventDefault();
      if (status) { status.textContent = button.getAttribute("data-busy"); }
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(6);
        form.elements.lon.value = pos.coords.longitude.toFixed(6);
        form.submit();
      }, function () {
        if (status) { status.textContent = button.getAttribute("data-error"); }
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }

  var lots = document.getElementById("lot-map");
  if (lots && window.L) { lotMap(lots); }
  var pick = document.getElementById("pick-map");
  if (pick && window.L) { pickMap(pick); }
  var locate = document.querySelector("form[data-locate]");
  if (locate) { locateForm(locate); }
})();
