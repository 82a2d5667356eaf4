"""Kramar's reference shop backend: a small aiohttp + SQLAlchemy order service.

It stands in for a real shop so the assistant has something honest to talk to:
orders, cancellations, address changes, returns and support tickets.
Run it with ``python -m bot.shop``; the API is described in ``openapi.yaml``.
"""
