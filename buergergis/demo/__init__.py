"""Synthetic demo data of Hameln ("Beispieldaten – keine amtliche Auskunft").

``buergergis demo generate`` (:mod:`buergergis.demo.generate`) writes ten layers into
``data/`` (see ``data/README.md``); ``layers/*.yaml`` describe them. Nothing is downloaded:
every file is computed from fixed seeds and is byte-for-byte reproducible. The package
import is kept light so that registering the CLI command does not load geopandas.
"""
