"""Helpers shared by Kramar's tests: the running stack and a chat client."""
