"""Constants for the MediaScribe integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "mediascribe"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "MediaScribe"
SCAN_INTERVAL: Final = timedelta(seconds=5)
REQUEST_TIMEOUT: Final = 10.0
# One quick retry inside a poll rides out a dropped keep-alive connection or a
# single proxy hiccup without flapping every entity to unavailable.
RETRY_DELAY: Final = 0.5
