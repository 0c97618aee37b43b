"""`python -m quality_monitor`: one run; prints what it exports and pushes it when a Pushgateway is set.

Exit codes: 0 published (or nothing to publish: no samples, or none above the floors, said in the log),
2 the run cannot publish honest values (a source that cannot be read, samples that do not match the
reference), 3 the Pushgateway is down or refused. In every failure nothing is pushed, so the gateway
keeps the last good values and `push_time_seconds` ages (the staleness alert).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from quality_monitor.config import MonitorConfig
from quality_monitor.errors import MonitorError
from quality_monitor.export import exposition, push
from quality_monitor.monitor import ReferenceLoader, run, source_of

log = logging.getLogger("quality_monitor")


def main(environ: Mapping[str, str] = os.environ, reference_of: ReferenceLoader | None = None) -> int:
    """One run; `reference_of` replaces the MLflow download (tests)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = MonitorConfig.from_env(environ)
    try:
        result = run(config, reference_of)
        if not result.versions:
            what = "no samples" if not result.samples else f"{result.samples} samples, no version above the floors"
            log.warning(
                "%s: %s in the last %d s of %s: nothing to publish, nothing pushed",
                config.model,
                what,
                config.window_seconds,
                source_of(config),
            )
            return 0
        sys.stdout.write(exposition(result))
        if config.pushgateway_url:
            push(result, config.pushgateway_url)
            log.info("pushed %d version(s) to %s", len(result.versions), config.pushgateway_url)
    except MonitorError as error:
        log.error("%s", error)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
