"""Medusa 2 for the contract tests and `make run` with SHOP_PLATFORM=medusa."""
