"""Requests from another client address: Linux answers on all of 127.0.0.0/8, so a test can
be a different client, as limits per address (password resets) see it."""

from __future__ import annotations

import random

import requests
from requests.adapters import HTTPAdapter


class FromAddress(HTTPAdapter):
    """Sends from `address` (a loopback address other than 127.0.0.1)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def another_address() -> str:
    return f"127.0.{random.randint(1, 254)}.{random.randint(2, 254)}"


def session_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session
