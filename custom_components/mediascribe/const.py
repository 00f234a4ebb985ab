"""Constants for the MediaScribe integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "mediascribe"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "MediaScribe"
SCAN_INTERVAL: Final = timedelta(seconds=5)
REQUEST_TIMEOUT: Final = 10.0
