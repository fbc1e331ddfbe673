"""`make bench`: python -m tests.perf [--requests N] [--warmup N] runs every benchmark;
`python -m tests.perf gateway [...]`, `python -m tests.perf import [--rows N]` or
`python -m tests.perf search [--sizes 20000,100000]` or
`python -m tests.perf rebooking [--shifts 1000]` or
`python -m tests.perf evv [--clients 50 --punches 5000 --records 1000000]` or
`python -m tests.perf payroll [--workers 10000 --shifts 5 --profile]` runs one.

eventlet must patch the standard library before anything else is imported (nameko needs it).
"""

import warnings

# eventlet announces on import that it is in maintenance mode; nameko 2 needs it all the same.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet

eventlet.monkey_patch()

import sys

import chassis  # noqa: F401  (quiets eventlet's other deprecation warnings)
from tests.perf import (
    bench_evv,
    bench_gateway,
    bench_import,
    bench_payroll,
    bench_rebooking,
    bench_search,
)

BENCHMARKS = {
    "gateway": bench_gateway.main,
    "import": bench_import.main,
    "search": bench_search.main,
    "rebooking": bench_rebooking.main,
    "evv": bench_evv.main,
    "payroll": bench_payroll.main,
}


def main(argv: list[str]) -> int:
    if argv and argv[0] in BENCHMARKS:
        return BENCHMARKS[argv[0]](argv[1:])
    # No name: every benchmark; the options are the gateway one's, as before imports came.
    return (
        bench_gateway.main(argv)
        or bench_import.main([])
        or bench_search.main([])
        or bench_rebooking.main([])
        or bench_evv.main([])
        or bench_payroll.main([])
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
