"""Deploy step: create each service's database if missing, run its Alembic migrations, and
declare the broker topology (every handler's queue) before any service starts.

    python -m deploy.migrate                       # every service
    python -m deploy.migrate identity tenancy      # some
    python -m deploy.migrate --revision identity -m "add documents"   # new migration
"""

from __future__ import annotations

import argparse
import sys

from alembic import command

from chassis.config import SERVICE_NAMES, Settings
from chassis.entrypoints import declare_topology
from chassis.migrations import alembic_config, upgrade
from deploy.catalogue import SERVICE_CLASSES, load_class


def migrate(
    settings: Settings, services: list[str] | tuple[str, ...] = SERVICE_NAMES, quiet: bool = False
) -> None:
    for service in services:
        created = upgrade(service, settings.database_url(service))
        queues = declare_topology(
            load_class(SERVICE_CLASSES[service]), settings.nameko_config(service)
        )
        if not quiet:
            print(
                f"  {service:<10} database {settings.database_name(service)}"
                f"{' (created)' if created else ''}, migrated; {len(queues)} event queues"
            )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.migrate")
    parser.add_argument("services", nargs="*", metavar="SERVICE", help=", ".join(SERVICE_NAMES))
    parser.add_argument("--revision", metavar="SERVICE", choices=SERVICE_NAMES)
    parser.add_argument("-m", "--message", default="change")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.services) - set(SERVICE_NAMES))
    if unknown:
        parser.error(f"unknown services: {', '.join(unknown)}")
    settings = Settings()
    if args.revision:
        url = settings.database_url(args.revision)
        upgrade(args.revision, url)
        command.revision(
            alembic_config(args.revision, url), message=args.message, autogenerate=True
        )
        return 0
    migrate(settings, args.services or SERVICE_NAMES)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
