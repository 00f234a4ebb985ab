"""End-to-end tests: the demo's simulator and Home Assistant as real processes."""
