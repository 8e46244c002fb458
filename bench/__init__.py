"""Benchmarks (``make bench``): BürgerGIS side by side with peer servers on the same data."""
