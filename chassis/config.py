"""Configuration from the environment, with defaults that work on a developer's machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider

SERVICE_NAMES: tuple[str, ...] = (
    "identity",
    "tenancy",
    "booking",
    "rebooking",
    "evv",
    "billing",
    "reporting",
    "notifications",
)

# Each service's ops HTTP port (/health, /metrics) in a local run; the gateway has its own.
OPS_PORTS: dict[str, int] = {name: 8101 + i for i, name in enumerate(SERVICE_NAMES)}


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    amqp_uri: str = field(
        default_factory=lambda: _env("WORKLB_AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
    )
    rabbit_api_uri: str = field(
        default_factory=lambda: _env("WORKLB_RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
    )
    # {name} is replaced by the service's database name (worklb_<service>).
    database_url_template: str = field(
        default_factory=lambda: _env(
            "WORKLB_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
        )
    )
    database_prefix: str = field(default_factory=lambda: _env("WORKLB_DATABASE_PREFIX", "worklb"))
    jwt_secret: str = field(default_factory=lambda: _env("WORKLB_JWT_SECRET", ""))
    # Signs the caller context the gateway hands to services, so a message on the bus
    # cannot claim to be somebody it is not.
    context_secret: str = field(default_factory=lambda: _env("WORKLB_CONTEXT_SECRET", ""))
    access_token_minutes: int = field(
        default_factory=lambda: int(_env("WORKLB_ACCESS_TOKEN_MINUTES", "15"))
    )
    refresh_token_days: int = field(
        default_factory=lambda: int(_env("WORKLB_REFRESH_TOKEN_DAYS", "14"))
    )
    rpc_timeout: float = field(default_factory=lambda: float(_env("WORKLB_RPC_TIMEOUT", "10")))
    # How long the gateway trusts identity's word that a session stands (gateway.sessions):
    # a deactivated account or a suspended CBO is refused at most this long after the change.
    session_check_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_SESSION_CHECK_SECONDS", "2"))
    )
    # On SIGTERM a service's running workers get this long to finish before they are killed;
    # with the kill, the process is gone within 10 s (chassis.runner).
    stop_grace_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_STOP_GRACE_SECONDS", "8"))
    )
    event_retry_delays: tuple[float, ...] = field(
        default_factory=lambda: _floats(_env("WORKLB_EVENT_RETRY_DELAYS", "1,5,30,120"))
    )
    outbox_poll_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_OUTBOX_POLL_SECONDS", "1"))
    )
    # How often booking's timer releases the open-shift tiers that are due.
    tier_sweep_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_TIER_SWEEP_SECONDS", "5"))
    )
    # How often booking stores reliability scores as their points decay (reads compute their own).
    reliability_decay_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_RELIABILITY_DECAY_SECONDS", "3600"))
    )
    # Webhooks (notifications): how often due deliveries are sent, how long a receiver has to
    # answer, the first retry delay (doubling each attempt up to the cap) and the attempts.
    webhook_sweep_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_WEBHOOK_SWEEP_SECONDS", "1"))
    )
    webhook_timeout_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_WEBHOOK_TIMEOUT_SECONDS", "5"))
    )
    webhook_retry_base_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_WEBHOOK_RETRY_BASE_SECONDS", "30"))
    )
    webhook_retry_max_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_WEBHOOK_RETRY_MAX_SECONDS", "3600"))
    )
    webhook_max_attempts: int = field(
        default_factory=lambda: int(_env("WORKLB_WEBHOOK_MAX_ATTEMPTS", "8"))
    )
    # Webhook URLs must reach public addresses; this lets loopback through too (tests, a
    # developer's receiver). Private, link-local and other reserved addresses never are.
    webhook_allow_loopback: bool = field(
        default_factory=lambda: (
            _env("WORKLB_WEBHOOK_ALLOW_LOOPBACK", "false").lower() in ("1", "true")
        )
    )
    # How often each rebooking instance fires the confirmation deadlines that have come.
    deadline_sweep_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_DEADLINE_SWEEP_SECONDS", "0.5"))
    )
    # How often billing looks whether a CBO's Tuesday payroll run is due (its hour is the
    # CBO's billing setting; the run previews the week just ended, and completes it when
    # nothing blocks it).
    payroll_sweep_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_PAYROLL_SWEEP_SECONDS", "300"))
    )
    # EVV: the secret its Ed25519 signing key is derived from (the chain's seals), how often
    # the sealer chains new punches, and how often the no-show / missing clock-out sweep runs.
    evv_signing_key: str = field(default_factory=lambda: _env("WORKLB_EVV_SIGNING_KEY", ""))
    evv_seal_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_EVV_SEAL_SECONDS", "1"))
    )
    evv_sweep_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_EVV_SWEEP_SECONDS", "60"))
    )
    # Reporting: how often each instance looks for scheduled report deliveries that are due.
    report_sweep_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_REPORT_SWEEP_SECONDS", "30"))
    )
    gateway_host: str = field(default_factory=lambda: _env("WORKLB_GATEWAY_HOST", "127.0.0.1"))
    gateway_port: int = field(default_factory=lambda: int(_env("WORKLB_GATEWAY_PORT", "8000")))
    ops_host: str = field(default_factory=lambda: _env("WORKLB_OPS_HOST", "127.0.0.1"))
    # Set to 0 to let the OS pick ports (tests running several services in one process).
    ops_port_base: int = field(default_factory=lambda: int(_env("WORKLB_OPS_PORT_BASE", "8101")))
    cors_origins: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            o for o in _env("WORKLB_CORS_ORIGINS", "").split(",") if o.strip()
        )
    )
    log_level: str = field(default_factory=lambda: _env("WORKLB_LOG_LEVEL", "INFO"))
    # Outgoing email. Locally `make run` starts a mail sink on 127.0.0.1:8025 (var/mail/).
    smtp_host: str = field(default_factory=lambda: _env("WORKLB_SMTP_HOST", "127.0.0.1"))
    smtp_port: int = field(default_factory=lambda: int(_env("WORKLB_SMTP_PORT", "8025")))
    smtp_from: str = field(
        default_factory=lambda: _env("WORKLB_SMTP_FROM", "WorkLB <no-reply@worklb.local>")
    )
    smtp_user: str = field(default_factory=lambda: _env("WORKLB_SMTP_USER", ""))
    smtp_password: str = field(default_factory=lambda: _env("WORKLB_SMTP_PASSWORD", ""))
    smtp_starttls: bool = field(
        default_factory=lambda: _env("WORKLB_SMTP_STARTTLS", "false").lower() in ("1", "true")
    )
    smtp_timeout: float = field(default_factory=lambda: float(_env("WORKLB_SMTP_TIMEOUT", "10")))
    # Where people open the platform: the base of links in emails.
    public_url: str = field(
        default_factory=lambda: _env("WORKLB_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    )
    max_workers: int = field(default_factory=lambda: int(_env("WORKLB_MAX_WORKERS", "20")))
    # Connections each service process keeps open to its database, and how many more it may
    # open at a busy moment (closed again as they come back), beside the one of its event
    # consumer's duplicate check (chassis.db.Database.probe). Every process of the platform
    # shares one PostgreSQL, whose default is 100 connections: nine processes at 4 + 5 + 1
    # stay under it with room for migrations and the operator. A worker that finds the pool
    # empty waits for a connection; a deploy with a bigger server raises both.
    db_pool_size: int = field(default_factory=lambda: int(_env("WORKLB_DB_POOL_SIZE", "4")))
    db_max_overflow: int = field(default_factory=lambda: int(_env("WORKLB_DB_MAX_OVERFLOW", "5")))
    # Notifications: seals what it keeps secret at rest, the CBOs' SMS credentials and webhook
    # secrets (keys of 32+ random characters, comma-separated, newest first: older ones still
    # open; `make run` generates one into var/secrets.env), the SMS provider's REST base (a
    # Twilio-shaped API; a CBO may name its own https one), and how often it sends what is due.
    notifications_key: str = field(default_factory=lambda: _env("WORKLB_NOTIFICATIONS_KEY", ""))
    sms_base_url: str = field(
        default_factory=lambda: _env(
            "WORKLB_SMS_BASE_URL", "https://api.twilio.com/2010-04-01"
        ).rstrip("/")
    )
    sms_timeout: float = field(default_factory=lambda: float(_env("WORKLB_SMS_TIMEOUT", "10")))
    notifications_sweep_seconds: float = field(
        default_factory=lambda: float(_env("WORKLB_NOTIFICATIONS_SWEEP_SECONDS", "1"))
    )

    @property
    def session_refresh_seconds(self) -> float:
        """How often the gateway renews the session answers in use: half their lifetime, so a
        session in use is never asked about on its requests' path (gateway.sessions). At least
        0.1 s: a check cached for no time at all still starts the gateway's timer."""
        return max(self.session_check_seconds / 2, 0.1)

    def database_name(self, service: str) -> str:
        return f"{self.database_prefix}_{service}"

    def database_url(self, service: str) -> str:
        override = os.environ.get(f"WORKLB_{service.upper()}_DATABASE_URL")
        if override:
            return override
        return self.database_url_template.format(name=self.database_name(service))

    def ops_address(self, service: str) -> str:
        if self.ops_port_base == 0:
            return f"{self.ops_host}:0"
        offset = SERVICE_NAMES.index(service) if service in SERVICE_NAMES else len(SERVICE_NAMES)
        return f"{self.ops_host}:{self.ops_port_base + offset}"

    def require_secrets(self) -> None:
        missing = [
            name
            for name, value in (
                ("WORKLB_JWT_SECRET", self.jwt_secret),
                ("WORKLB_CONTEXT_SECRET", self.context_secret),
            )
            if len(value) < 32
        ]
        if missing:
            raise RuntimeError(
                f"{', '.join(missing)} must be set to at least 32 random characters "
                "(`make run` generates them into var/secrets.env)"
            )

    def nameko_config(self, service: str) -> dict:
        """The nameko container config for one service process."""
        web_address = (
            f"{self.gateway_host}:{self.gateway_port}"
            if service == "gateway"
            else self.ops_address(service)
        )
        return {
            "AMQP_URI": self.amqp_uri,
            "WEB_SERVER_ADDRESS": web_address,
            "max_workers": self.max_workers,
            "parent_calls_tracked": 10,
            "serializer": "json",
            "WORKLB": self,
        }


def settings_from(config: dict) -> Settings:
    """The Settings a nameko container was started with (or the environment's)."""
    found = config.get("WORKLB")
    return found if isinstance(found, Settings) else Settings()


class SettingsProvider(DependencyProvider):
    """Injects the service's Settings."""

    def get_dependency(self, worker_ctx) -> Settings:
        return settings_from(self.container.config)
