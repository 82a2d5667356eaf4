"""Kramar's custom actions (rasa-sdk), one module per topic.

`shops` is the one way every action reaches the shop, whatever its platform.
"""
