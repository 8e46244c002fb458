"""Holzverkauf: the wood-lot page's fields and the status that accepts Kaufanfragen.

The Kaufanfrage itself is the generic request of ``services.anfragen`` (declared in
``layers/holzverkauf.yaml`` under ``service.request``); these names are what the lot list,
the map popups and "Mein Ort" read from the lot layer.
"""

from __future__ import annotations

FREE = "frei"
STATUS = "status"
#: What the lot list shows of a lot.
LOT_FIELDS = (
    "waldort", "holzart", "sortiment", "menge_rm", "preis_rm", STATUS,
    "abholung_von", "abholung_bis", "hinweise", "flaeche_ha",
)  # fmt: skip
