"""Check the integration against the newest Home Assistant release."""
