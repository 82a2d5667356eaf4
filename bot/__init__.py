"""Kramar: a customer-service assistant for online shops, built on Rasa."""
