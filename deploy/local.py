"""The local launcher (`make run`): one process per service and one for the gateway, as in
production.

It checks RabbitMQ and PostgreSQL, generates local secrets once (var/secrets.env), creates and
migrates every database, declares the broker topology, makes sure the operator account exists,
starts every process, waits until /health reports all of them up, and prints where to open the
platform. Ctrl-C, SIGTERM or SIGHUP stops everything, and the processes die with the launcher
even if it is killed outright. Tests and the benchmark use the same Platform class.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

import psycopg2
import requests

from chassis.config import SERVICE_NAMES, Settings
from deploy.bootstrap import ensure_operator, operator_credentials
from deploy.catalogue import GATEWAY_CLASS, SERVICE_CLASSES
from deploy.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent
SECRET_NAMES = (
    "WORKLB_JWT_SECRET",
    "WORKLB_CONTEXT_SECRET",
    "WORKLB_NOTIFICATIONS_KEY",
    "WORKLB_EVV_SIGNING_KEY",
)


# Every service stops within 10 s of SIGTERM (chassis.runner); after this, it is killed.
STOP_GRACE_SECONDS = 12.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Where `make run` catches SMS (deploy/smssink.py) when no provider is configured.
SMS_SINK_PORT = 8026


def _libc_prctl():
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None  # not Linux: children outlive a launcher that is killed outright


_prctl = _libc_prctl()


def die_with(launcher_pid: int):
    """For Popen's preexec_fn: the child (between fork and exec) asks the kernel to send it
    SIGTERM when the launcher dies, however it dies (even SIGKILL), so no service is left
    running as an orphan. SIGTERM, not SIGKILL: the service still stops in order, within its
    10 s (chassis.runner)."""

    def in_child() -> None:
        if _prctl is None:
            return
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != launcher_pid:  # the launcher died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return in_child


class PlatformError(RuntimeError):
    pass


def instances(env: dict[str, str]) -> dict[str, int]:
    """How many processes each service runs when the environment asks for more than one
    (`WORKLB_BOOKING_INSTANCES=3`): service -> count, only those above one. Booking and
    rebooking are made for it (SKIP LOCKED sweeps, commands keyed and under row locks,
    idempotent handlers; docs/PERFORMANCE.md "Rebooking"); check a service's sweeps before
    scaling another."""
    found: dict[str, int] = {}
    for service in SERVICE_NAMES:
        raw = env.get(f"WORKLB_{service.upper()}_INSTANCES", "1").strip() or "1"
        try:
            count = int(raw)
        except ValueError as exc:
            raise PlatformError(
                f"WORKLB_{service.upper()}_INSTANCES must be a number: {raw!r}"
            ) from exc
        if count < 1:
            raise PlatformError(f"WORKLB_{service.upper()}_INSTANCES must be at least 1")
        if count > 1:
            found[service] = count
    return found


def local_secrets(var: Path) -> dict[str, str]:
    """Random secrets for this machine, made once and kept out of the repository."""
    path = var / "secrets.env"
    found: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    missing = [name for name in SECRET_NAMES if len(found.get(name, "")) < 32]
    if missing:
        for name in missing:
            found[name] = secrets.token_urlsafe(48)
        path.write_text("".join(f"{k}={v}\n" for k, v in found.items()))
        path.chmod(0o600)
    return found


def check_dependencies(settings: Settings) -> None:
    """Fail early, saying how to start whatever is not reachable."""
    amqp = urlparse(settings.amqp_uri.replace("pyamqp://", "amqp://"))
    try:
        socket.create_connection((amqp.hostname, amqp.port or 5672), timeout=3).close()
    except OSError as exc:
        raise PlatformError(
            f"RabbitMQ is not reachable at {amqp.hostname}:{amqp.port or 5672} ({exc}).\n"
            "Start it with:  rabbitmq-server -detached"
        ) from exc
    api = urlparse(settings.rabbit_api_uri)
    try:
        requests.get(
            f"{api.scheme}://{api.hostname}:{api.port}/api/overview",
            auth=(api.username or "guest", api.password or "guest"),
            timeout=3,
        )
    except requests.RequestException as exc:
        raise PlatformError(
            "RabbitMQ's management API is not reachable; enable it with:\n"
            "  rabbitmq-plugins enable rabbitmq_management"
        ) from exc
    url = settings.database_url("identity")
    parsed = urlparse(url.replace("postgresql+psycopg2", "postgresql"))
    try:
        psycopg2.connect(
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg2.Error as exc:
        raise PlatformError(
            f"PostgreSQL is not reachable at {parsed.hostname}:{parsed.port or 5432} ({exc}).\n"
            "Start it with:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) "
            "main start"
        ) from exc


def amqp_uri_for(base: str, vhost: str) -> str:
    """`base` with its virtual host replaced by `vhost`."""
    return urlunparse(urlparse(base)._replace(path=f"/{quote(vhost, safe='')}"))


@contextmanager
def isolated_vhost(settings: Settings, vhost: str) -> Iterator[str]:
    """A fresh RabbitMQ vhost, so that a second platform on this machine (tests, benchmark)
    never shares RPC and event queues with a developer's `make run`; yields its AMQP URI."""
    api = urlparse(settings.rabbit_api_uri)
    base = f"{api.scheme}://{api.hostname}:{api.port}/api"
    auth = (api.username or "guest", api.password or "guest")
    user = urlparse(settings.amqp_uri).username or "guest"
    name = quote(vhost, safe="")
    try:
        requests.delete(f"{base}/vhosts/{name}", auth=auth, timeout=10)  # a crashed run's
        requests.put(f"{base}/vhosts/{name}", auth=auth, timeout=10).raise_for_status()
        requests.put(
            f"{base}/permissions/{name}/{quote(user, safe='')}",
            auth=auth,
            timeout=10,
            json={"configure": ".*", "write": ".*", "read": ".*"},
        ).raise_for_status()
    except requests.RequestException as exc:
        raise PlatformError(f"cannot make the RabbitMQ vhost {vhost}: {exc}") from exc
    try:
        yield amqp_uri_for(settings.amqp_uri, vhost)
    finally:
        requests.delete(f"{base}/vhosts/{name}", auth=auth, timeout=10)


class Platform:
    """Every service and the gateway as child processes of this one."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        var: Path | None = None,
        log_to_files: bool = True,
        mail_sink: bool = False,
    ) -> None:
        self.var = var or ROOT / "var"
        self.var.mkdir(parents=True, exist_ok=True)
        (self.var / "log").mkdir(exist_ok=True)
        self.env = {**os.environ, **(env or {})}
        for key, value in local_secrets(self.var).items():
            self.env.setdefault(key, value)
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.log_to_files = log_to_files
        # `make run` catches the platform's email in var/mail/ (deploy/mailsink.py); tests
        # bring their own SMTP server.
        self.mail_sink = mail_sink
        if mail_sink:
            # SMS too go to a local sink (deploy/smssink.py, var/sms/) unless a provider is set.
            self.env.setdefault(
                "WORKLB_SMS_BASE_URL", f"http://127.0.0.1:{SMS_SINK_PORT}/2010-04-01"
            )
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def settings(self) -> Settings:
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            return Settings()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    @property
    def url(self) -> str:
        return f"http://{self.settings.gateway_host}:{self.settings.gateway_port}"

    def prepare(self, quiet: bool = False) -> tuple[str, str]:
        settings = self.settings
        check_dependencies(settings)
        migrate(settings, quiet=quiet)
        email, password = operator_credentials(
            self.var, self.env.get("WORKLB_OPERATOR_EMAIL", "operator@worklb.local")
        )
        ensure_operator(settings, email=email, password=password)
        return email, password

    def start(self, timeout: float = 60.0) -> None:
        self.spawn()
        self.wait_healthy(timeout)

    def spawn(self, names: list[str] | None = None) -> None:
        """Start the processes (all of them, or those named) without waiting for them."""
        commands = {
            name: ["-m", "chassis.runner", path]
            for name, path in {**SERVICE_CLASSES, "gateway": GATEWAY_CLASS}.items()
        }
        settings = self.settings
        # A sink only stands in for a local server; a real SMTP host gets the mail itself.
        if self.mail_sink and settings.smtp_host in ("127.0.0.1", "localhost", "::1"):
            commands = {
                "mailsink": [
                    "-m",
                    "deploy.mailsink",
                    "--host",
                    settings.smtp_host,
                    "--port",
                    str(settings.smtp_port),
                    "--dir",
                    str(self.var / "mail"),
                ],
                **commands,
            }
        sms = urlparse(settings.sms_base_url)
        if self.mail_sink and sms.scheme == "http" and sms.hostname in ("127.0.0.1", "localhost"):
            commands = {
                "smssink": [
                    "-m",
                    "deploy.smssink",
                    "--host",
                    sms.hostname,
                    "--port",
                    str(sms.port or 80),
                    "--dir",
                    str(self.var / "sms"),
                ],
                **commands,
            }
        # More instances of a service (WORKLB_<SERVICE>_INSTANCES), as a deploy scales one: the
        # extra ones are `<service>-2` … with ops ports the OS picks (the first keeps its own).
        extra: dict[str, dict[str, str]] = {}
        for service, count in instances(self.env).items():
            for number in range(2, count + 1):
                name = f"{service}-{number}"
                commands[name] = commands[service]
                extra[name] = {"WORKLB_OPS_PORT_BASE": "0"}
        if names is not None:
            commands = {name: args for name, args in commands.items() if name in names}
        for name, args in commands.items():
            # The child keeps its own handle on the log file for as long as it runs.
            out = (self.var / "log" / f"{name}.log").open("ab") if self.log_to_files else None  # noqa: SIM115
            self.processes[name] = subprocess.Popen(
                [sys.executable, *args],
                cwd=ROOT,
                env={**self.env, **extra.get(name, {})},
                stdout=out or subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with(os.getpid()),
            )

    def wait_healthy(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        last: dict | str = "no answer yet"
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                response = requests.get(f"{self.url}/health", timeout=5)
                answer = response.json()
                last = answer
                if response.status_code == 200:
                    return answer
            except (requests.RequestException, ValueError) as exc:
                last = str(exc)
            time.sleep(0.25)
        raise PlatformError(f"the platform did not become healthy in {timeout:g} s: {last}")

    def check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        if dead:
            raise PlatformError(f"stopped unexpectedly: {dead}; see {self.var / 'log'}/<name>.log")

    def supervise(self) -> None:
        """Wait until the launcher is told to stop (KeyboardInterrupt, which SIGTERM and SIGHUP
        raise too: stop_on_signals); PlatformError if a process stops by itself first."""
        while True:
            self.check_alive()
            time.sleep(1)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """SIGTERM (a supervisor, `kill`) and SIGHUP (the terminal closed) stop the launcher the
    way Ctrl-C does, so it stops its processes before it exits."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)


def main() -> int:
    stop_on_signals()
    platform = Platform(mail_sink=True)
    try:
        return _run(platform)
    except KeyboardInterrupt:
        print("\nStopping WorkLB…")
        return 0
    finally:
        platform.stop()
        print("Stopped.")


def _run(platform: Platform) -> int:
    print("WorkLB: preparing databases and the broker…")
    try:
        email, password = platform.prepare()
        print(f"Starting {len(SERVICE_NAMES)} services and the gateway…")
        platform.start()
    except PlatformError as exc:
        print(f"\nCannot start WorkLB: {exc}", file=sys.stderr)
        return 1
    url = platform.url
    ops = platform.settings.ops_address("gateway")
    print(
        f"""
WorkLB is running: open {url}
  API docs      {url}/api/docs
  Health        {url}/health
  Metrics       http://{ops}/metrics   (the gateway's; each service on its own ops port)
  Operator      {email} / password in var/operator.txt
  Logs          {platform.var / "log"}/<service>.log
  Email         {platform.var / "mail"}/*.eml   (what the platform sends)
  Demo data     make demo   (in another terminal)
Press Ctrl-C to stop.""",
        flush=True,
    )
    try:
        platform.supervise()
    except PlatformError as exc:
        print(f"\nWorkLB stopped: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
