"""`make bench`: python -m tests.perf [--requests N] [--warmup N].

eventlet must patch the standard library before anything else is imported (nameko needs it).
"""

import warnings

# eventlet announces on import that it is in maintenance mode; nameko 2 needs it all the same.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet

eventlet.monkey_patch()

import sys

import chassis  # noqa: F401  (quiets eventlet's other deprecation warnings)
from tests.perf.bench_gateway import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
