"""Maps from the layer catalog: folium city map, embeds, list pages (no SQL in here)."""
