"""Real shop platforms Kramar is tested against (their set-up, not adapters:
those live in actions/shops/)."""
