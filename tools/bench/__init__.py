"""scripts/bench: the integration against the RESTful configuration it replaces."""
