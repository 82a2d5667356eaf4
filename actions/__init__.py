"""Kramar's custom actions (rasa-sdk), one module per topic.

`shop_client` is the one way every action reaches the shop backend.
"""
