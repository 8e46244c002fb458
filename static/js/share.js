/*
 * Share (issue 16): the "Teilen" button of the city map and a "Teilen" button in every popup of
 * an object open one dialog with the permalink, a copy button, the device's share sheet (where
 * there is one) and the QR code the server draws (/teilen.svg). Without JavaScript the button is
 * a link to the page /teilen. The server rebuilds every link from validated parameters
 * (/teilen.json), so the dialog shows exactly the text the QR code encodes.
 */
(function () {
  'use strict';
  var BGIS = window.BGIS;
  var button = document.getElementById('share-button');
  if (!BGIS || !BGIS.map || !button) return;
  var texts = JSON.parse(button.dataset.shareTexts || '{}');
  var dialog = null, opener = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function build() {
    var d = el('dialog', { class: 'share-dialog', id: 'share-dialog', 'aria-labelledby': 'share-title' });
    var close = el('button', { type: 'button', class: 'button share-close' }, texts.close);
    close.addEventListener('click', function () { d.close(); });
    d.appendChild(close);
    d.appendChild(el('h2', { id: 'share-title' }, texts.title));
    d.appendChild(el('label', { for: 'share-dialog-url' }, texts.link));
    var input = el('input', { id: 'share-dialog-url', class: 'share-url', type: 'text', readonly: '' });
    input.addEventListener('focus', function () { input.select(); });
    d.appendChild(input);
    var row = el('div', { class: 'share-row' });
    var copy = el('button', { type: 'button', class: 'button', 'data-share-copy': '' }, texts.copy);
    copy.addEventListener('click', function () { copyLink(input); });
    row.appendChild(copy);
    if (navigator.share) {
      var native = el('button', { type: 'button', class: 'button', 'data-share-native': '' }, texts.native);
      native.addEventListener('click', function () {
        navigator.share({ title: document.title, url: input.value }).catch(function () {});
      });
      row.appendChild(native);
    }
    d.appendChild(row);
    d.appendChild(el('p', { class: 'share-status', role: 'status' }));
    var figure = el('p', { class: 'share-qr' });
    figure.appendChild(el('img', { alt: texts.qr_alt, width: '232', height: '232' }));
    d.appendChild(figure);
    d.appendChild(el('p', { class: 'hint' }, texts.qr_hint));
    var list = el('ul', { class: 'share-links' });
    [['svg', texts.download_svg], ['png', texts.download_png]].forEach(function (pair) {
      var li = el('li');
      li.appendChild(el('a', { 'data-share-download': pair[0], download: '' }, pair[1]));
      list.appendChild(li);
    });
    d.appendChild(list);
    d.addEventListener('close', function () {
      if (opener && document.body.contains(opener)) opener.focus({ preventScroll: true });
      opener = null;
    });
    document.body.appendChild(d);
    return d;
  }

  function copyLink(input) {
    var status = dialog.querySelector('.share-status');
    function done(ok) { status.textContent = ok ? texts.copied : texts.copy_failed; }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () {
        input.select();
        done(false);
      });
    } else {
      input.select();
      done(false);
    }
  }

  /* Open the dialog for a link of this service (a path with query, e.g. "/?feature=…"). */
  BGIS.share = function (path, from) {
    dialog = dialog || build();
    opener = from || document.activeElement;
    dialog.querySelector('.share-status').textContent = '';
    return fetch('/teilen.json?url=' + encodeURIComponent(path))
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (data) {
        dialog.querySelector('#share-dialog-url').value = data.url;
        dialog.querySelector('.share-qr img').src = data.svg;
        dialog.querySelector('[data-share-download="svg"]').href = data.svg + '&download=1';
        dialog.querySelector('[data-share-download="png"]').href = data.png + '&download=1';
        dialog.setAttribute('data-share-url', data.url);
        if (!dialog.open) dialog.showModal();
        dialog.querySelector('#share-dialog-url').focus();
        return data;
      })
      .catch(function () {
        window.location.href = '/teilen?url=' + encodeURIComponent(path);
      });
  };

  button.setAttribute('role', 'button');
  button.setAttribute('aria-haspopup', 'dialog');
  button.setAttribute('title', texts.share_view);
  button.addEventListener('click', function (ev) {
    ev.preventDefault();
    BGIS.share('/?' + BGIS.viewParams().toString(), button);
  });
  button.addEventListener('keydown', function (ev) {
    if (ev.key === ' ') { ev.preventDefault(); button.click(); }
  });

  /* The permalink of one object: its layer shown, the map on it, its popup open. */
  function featurePath(layerId, fid, source) {
    var at = source.getLatLng ? source.getLatLng() : source.getBounds().getCenter();
    var zoom = Math.max(Math.round(BGIS.map.getZoom()), BGIS.page.featureZoom);
    var shown = BGIS.visibleIds();
    if (shown.indexOf(layerId) < 0) shown.push(layerId);
    return '/?' + BGIS.viewParams({
      center: at.lat.toFixed(5) + ',' + at.lng.toFixed(5),
      zoom: String(zoom),
      layers: shown.join(','),
      feature: layerId + ':' + fid,
    }).toString();
  }

  function owner(source) {
    var found = null;
    Object.keys(BGIS.layers).forEach(function (id) {
      var layer = BGIS.layers[id];
      if (!found && layer.byId && source.feature &&
          layer.byId[String(source.feature.id)] === source) found = id;
    });
    return found;
  }

  BGIS.map.on('popupopen', function (e) {
    var source = e.popup._source, node = e.popup.getElement();
    var box = node && node.querySelector('.bgis-popup');
    if (!source || !box || box.querySelector('.bgis-popup-share')) return;
    var layerId = owner(source);
    if (!layerId) return;
    var fid = String(source.feature.id);
    var links = box.querySelector('.bgis-popup-links') || box.appendChild(el('p', { class: 'bgis-popup-links' }));
    links.appendChild(document.createTextNode(' · '));
    var share = el('button', { type: 'button', class: 'bgis-popup-share', 'aria-haspopup': 'dialog' }, texts.share);
    share.appendChild(el('span', { class: 'visually-hidden' }, ': ' + texts.share_feature));
    share.addEventListener('click', function () {
      BGIS.share(featurePath(layerId, fid, source), share);
    });
    links.appendChild(share);
  });
})();
