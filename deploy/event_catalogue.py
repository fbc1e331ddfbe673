"""The event table of docs/ARCHITECTURE.md, generated from the contracts and every service's
event handlers (it lives here, not in the chassis, because only deploy knows the services).

    python -m deploy.event_catalogue --write docs/ARCHITECTURE.md   # rewrite the table
    python -m deploy.event_catalogue --check docs/ARCHITECTURE.md   # exit 1 if it is stale
    python -m deploy.event_catalogue                                # print the table
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chassis.contracts.catalogue import between_markers, render_block, replace_between_markers
from chassis.entrypoints import Subscription, event_subscriptions
from deploy.catalogue import SERVICE_CLASSES, load_class


def subscriptions() -> list[Subscription]:
    """Every event handler of every service."""
    return [s for path in SERVICE_CLASSES.values() for s in event_subscriptions(load_class(path))]


def catalogue_block() -> str:
    return render_block(subscriptions())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.event_catalogue")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="MARKDOWN", type=Path)
    action.add_argument("--check", metavar="MARKDOWN", type=Path)
    args = parser.parse_args(argv)
    block = catalogue_block()
    if args.write:
        text = args.write.read_text()
        updated = replace_between_markers(text, block)
        if updated != text:
            args.write.write_text(updated)
        print(f"{args.write}: event catalogue {'rewritten' if updated != text else 'current'}")
    elif args.check:
        if between_markers(args.check.read_text()) != block:
            print(f"{args.check}: the event catalogue is stale; run with --write", file=sys.stderr)
            return 1
    else:
        print(block, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
