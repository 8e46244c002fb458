"""Loading: read → normalise (CRS, encoding, validity) → write (staging table + atomic swap)."""
