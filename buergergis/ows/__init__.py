"""OGC web services for older clients and geoportals: WMS 1.3.0 and WMTS 1.0.0 (rendered by
MapServer from mapfiles generated out of the layer catalog). No Flask in here."""
