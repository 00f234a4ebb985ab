"""Start Home Assistant like `hass`, without its Python patch-level check.

Home Assistant 2026.2 refuses Python 3.13.0 and 3.13.1 at start-up: its
3.13.2 floor is there for a CPython bug in interrupted backup uploads, which
the demo does not use. Everything else (arguments, OS check, the one instance
per config directory lock) is Home Assistant's own `__main__`.
"""

import sys

from homeassistant import __main__ as hass_main

if __name__ == "__main__":
    hass_main.validate_python = lambda: None
    sys.exit(hass_main.main())
