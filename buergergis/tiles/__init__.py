"""Tiles: vector tiles built in PostGIS, raster tiles from COGs, a versioned disk cache,
seeding and PMTiles/MBTiles export. ``buergergis.web.tiles`` serves them over HTTP."""
