"""Constants for the MediaScribe integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "mediascribe"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "MediaScribe"
SCAN_INTERVAL: Final = timedelta(seconds=5)
REQUEST_TIMEOUT: Final = 10.0
# After one failed poll the next comes this soon, with the entities still
# showing the last status; a second failure makes them unavailable.
RETRY_DELAY: Final = timedelta(seconds=1)
# A command counts as done only when the server reports its effect; a server
# that needs a moment is read back this often, for at most this long.
VERIFY_INTERVAL: Final = 0.5
VERIFY_WINDOW: Final = 3.0
# A recording whose position has not advanced for this long (the third poll
# at the 5-second interval) is stalled; a healthy one advances every second.
STALL_AFTER: Final = timedelta(seconds=12.5)
