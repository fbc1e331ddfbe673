"""A launcher for test_shutdown.py: deploy.local's Platform starting some of its processes
and supervising them, as `make run` does; prints their pids as JSON once they are started.

    python -m tests.integration.launcher <var dir> <process name>...

The platform's settings come from the environment.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from deploy.local import Platform, stop_on_signals


def main(argv: list[str]) -> int:
    stop_on_signals()
    platform = Platform(var=Path(argv[0]), mail_sink=True)
    try:
        platform.spawn(argv[1:])
        print(json.dumps({n: p.pid for n, p in platform.processes.items()}), flush=True)
        platform.supervise()
    except KeyboardInterrupt:
        pass
    finally:
        platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
