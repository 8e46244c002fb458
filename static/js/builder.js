/*
 * Embed builder (/embed/builder): the preview and the iframe snippet follow the form; the
 * preview reports its view (postMessage "bgis:view"), which becomes centre and zoom.
 * Without JavaScript the form is submitted and the server renders snippet and preview.
 */
(function () {
  'use strict';
  var form = document.getElementById('builder-form');
  var preview = document.getElementById('preview');
  var snippet = document.getElementById('snippet');
  if (!form || !preview || !snippet) return;
  var base = form.dataset.publicUrl;

  function embedQuery(withView) {
    var data = new FormData(form), params = new URLSearchParams();
    var layers = data.getAll('layers');
    if (layers.length) params.set('layers', layers.join(','));
    if (withView && data.get('center')) params.set('center', data.get('center'));
    if (withView && data.get('zoom')) params.set('zoom', data.get('zoom'));
    if (data.get('basemap')) params.set('basemap', 'none');
    if (data.get('lang') && data.get('lang') !== 'de') params.set('lang', data.get('lang'));
    return params.toString().replace(/%2C/g, ',');
  }

  function updateSnippet() {
    var data = new FormData(form);
    var frame = document.createElement('iframe');
    var query = embedQuery(true);
    frame.setAttribute('src', base + '/embed' + (query ? '?' + query : ''));
    frame.setAttribute('title', preview.title.replace(/^[^:]*:\s*/, ''));
    frame.setAttribute('width', String(data.get('width') || '600'));
    frame.setAttribute('height', String(data.get('height') || '450'));
    frame.setAttribute('style', 'border:0;max-width:100%');
    frame.setAttribute('loading', 'lazy');
    frame.setAttribute('referrerpolicy', 'strict-origin-when-cross-origin');
    snippet.value = frame.outerHTML;
  }

  var lastPreview = embedQuery(false);
  function reloadPreview() {
    var query = embedQuery(false);
    if (query === lastPreview) return;
    lastPreview = query;
    preview.src = '/embed?' + embedQuery(true);
  }

  form.addEventListener('change', function (e) {
    var sizeField = e.target.name === 'width' || e.target.name === 'height';
    if (sizeField) {
      preview.setAttribute('width', e.target.form.width.value);
      preview.setAttribute('height', e.target.form.height.value);
    } else if (e.target.name === 'center' || e.target.name === 'zoom') {
      preview.src = '/embed?' + embedQuery(true);
    } else {
      reloadPreview();
    }
    updateSnippet();
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); updateSnippet(); });

  window.addEventListener('message', function (e) {
    if (e.origin !== window.location.origin || e.source !== preview.contentWindow) return;
    if (!e.data || e.data.type !== 'bgis:view') return;
    form.center.value = e.data.center.join(',');
    form.zoom.value = String(e.data.zoom);
    updateSnippet();
  });

  document.getElementById('copy').addEventListener('click', function () {
    var status = document.getElementById('copy-status');
    function done() { status.textContent = status.dataset.done; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(snippet.value).then(done, function () {
        snippet.select(); document.execCommand('copy'); done();
      });
    } else {
      snippet.select(); document.execCommand('copy'); done();
    }
  });
})();
