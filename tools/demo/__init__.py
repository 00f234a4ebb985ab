"""Home Assistant with this integration, next to a MediaScribe server, as processes."""


class DemoError(Exception):
    """The demo could not be started or did not behave as expected."""
