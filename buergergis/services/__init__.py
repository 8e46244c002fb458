"""City services on top of the layers (issue 7): opening hours, Holzverkauf, feeds, "Mein Ort".

Modules: ``config`` (which layer plays which service role), ``opening`` (OSM opening_hours in
Europe/Berlin with Lower Saxony's holidays), ``filters`` (hide past offers), ``holz``
(Kaufanfrage workflow), ``edit`` (single-feature edits as new layer versions), ``feeds``
(Atom), ``report`` ("Mein Ort") and ``admin`` (the staff pages under ``/admin/dienste``).
SQL lives in ``buergergis.store.services``; the citizen routes in ``buergergis.web.services``.
"""
