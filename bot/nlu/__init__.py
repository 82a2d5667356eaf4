"""Custom Rasa NLU components: rule-based entities and language detection."""
