"""What the apps' pages share, and the only part of inventory's interface other apps import.

``views`` (the active company's mixins and list view, request-input helpers), ``tables``
(pagination that never counts a million rows, quantity/date/expiry columns, table attributes),
``filters`` (bounded search box, date range, partner/item filter, search narrowing), ``choices``
(the select-or-type-ahead fields and their sources) and ``widgets``. Everything else under
``inventory.views``, ``forms``, ``tables``, ``filters``, ``admin`` and ``urls`` is inventory's own
(import-linter holds this: ``pyproject.toml``).
"""
