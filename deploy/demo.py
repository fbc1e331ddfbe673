"""Demo data: loads a demo city into a running platform through its public API only.

    make demo        (with `make run` going in another terminal)

Each capability adds its part here. So far: the platform operator signs in and checks that
every service is up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


class Demo:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.http = requests.Session()
        self.token: str | None = None

    def call(self, method: str, path: str, **kwargs) -> dict | list | None:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = self.http.request(
            method, self.base + path, headers=headers, timeout=30, **kwargs
        )
        if response.status_code >= 400:
            raise SystemExit(f"{method} {path} failed ({response.status_code}): {response.text}")
        return response.json() if response.content else None

    def sign_in_operator(self, var: Path) -> None:
        email, password = (var / "operator.txt").read_text().split("\n")[:2]
        tokens = self.call(
            "POST", "/api/v1/auth/token", json={"email": email, "password": password}
        )
        self.token = tokens["access_token"]
        print(f"  signed in as the operator ({email})")

    def run(self, var: Path) -> None:
        health = self.call("GET", "/health")
        print(f"  platform is {health['status']}: {', '.join(sorted(health['services']))}")
        self.sign_in_operator(var)
        me = self.call("GET", "/api/v1/me")
        print(f"  operator permissions: {', '.join(me['permissions'])}")


def main() -> int:
    port = os.environ.get("WORKLB_GATEWAY_PORT", "8000")
    base = os.environ.get("WORKLB_URL", f"http://127.0.0.1:{port}")
    print(f"Loading the demo city into {base}")
    try:
        Demo(base).run(ROOT / "var")
    except requests.ConnectionError:
        print("The platform is not running: start it with `make run` first.", file=sys.stderr)
        return 1
    print("Done.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
