"""The staff area ``/admin``: accounts, uploads, the Upload-Doktor, publish and rollback.

Modules: ``auth`` (accounts, argon2, sessions, tokens, roles), ``uploads`` (safe staging),
``doctor`` and ``diff`` (preview), ``publish`` (publish, replace, rollback, export),
``forms``, ``views`` (wiring, guard, errors), ``pages``/``pages_upload`` (HTML), ``api``
(JSON), ``commands`` (``buergergis user``/``token``).
"""
