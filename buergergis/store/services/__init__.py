"""SQL of the city services (``buergergis.services``): queries, requests, edits, change log.

Identifiers only via ``buergergis.store.sql`` (quoted, from validated definitions), values only
as bind parameters. Nothing here knows Flask.
"""
