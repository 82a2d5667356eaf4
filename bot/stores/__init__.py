"""Rasa's conversation stores for production: PostgreSQL trackers, Redis locks.

Loaded by the Rasa server through `endpoints.production.yml`.
"""
