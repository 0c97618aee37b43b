"""`python -m quality_monitor`: one run; prints what it exports and pushes it when a Pushgateway is set."""

from __future__ import annotations

import logging
import sys

from quality_monitor.config import MonitorConfig
from quality_monitor.export import exposition, push
from quality_monitor.monitor import run


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = MonitorConfig.from_env()
    result = run(config)
    sys.stdout.write(exposition(result))
    if config.pushgateway_url:
        push(result, config.pushgateway_url)
        logging.getLogger("quality_monitor").info(
            "pushed %d version(s) to %s", len(result.versions), config.pushgateway_url
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
