"""Rasa input channels that Kramar loads through credentials.yml."""
