"""Partner sharing and webhooks over HTTP across CBOs: two CBOs partner (tenancy's API) to
share opportunities; the owner shares an open shift; a third CBO outside the partnership never
sees it; the partner's staff offer it to their own worker, who confirms; the owner sees it
filled by that worker of the partner; a webhook receiver on loopback (a real HTTP server)
checks the signature of everything it gets, and a failed delivery is retried; after the
partnership ends nothing more is shared (share refused, the partner's open offer withdrawn and
its confirmation refused, the partner's webhook gets nothing new). Hostile input too."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gateway.routes import ROUTES
from services.notifications.webhooks import rules
from tests.e2e.market import (
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    book,
    days_ahead,
    my_offer,
)
from tests.e2e.test_booking_odd_input_api import ODD_BODIES, ODD_QUERIES, paths
from tests.waiting import wait_for


class Receiver:
    """A webhook receiver on loopback: keeps every request by path; the first request to a
    path in `fail_first` is answered 500 (the platform must retry)."""

    def __init__(self, fail_first: tuple[str, ...] = ()) -> None:
        self.got: list[dict] = []
        self.fail_first = set(fail_first)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.got.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                failing = self.path in receiver.fail_first
                receiver.fail_first.discard(self.path)
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def at(self, path: str) -> list[dict]:
        return [r for r in self.got if r["path"] == path]

    def events(self, path: str) -> list[tuple[str, str]]:
        """(type, shift id) of each request to `path`."""
        found = []
        for request in self.at(path):
            payload = json.loads(request["body"])
            found.append((payload["type"], payload["data"]["shift_id"]))
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver(fail_first=("/partner",))
    yield made
    made.close()


def subscribe(api, owner: str, url: str) -> tuple[str, str]:
    made = api("POST", "/api/v1/webhooks", owner, json={"url": url, "description": "ops"})
    assert made.status_code == 201, made.text
    return made.json()["id"], made.json()["secret"]


def share(api, owner: str, shift_id: str, **body):
    return api("POST", f"/api/v1/shifts/{shift_id}/shares", owner, json=body)


def verified(request: dict, secret: str) -> bool:
    header = request["headers"].get(rules.SIGNATURE_HEADER, "")
    return rules.verify(header, secret, request["body"], now=time.time())


def test_partner_sharing_across_cbos_with_signed_webhooks(
    api, smtp, platform, operator_token, receiver
):
    owner_cbo = a_cbo(api, operator_token, platform, "share-owner")
    partner_cbo = a_cbo(api, operator_token, platform, "share-partner")
    outsider_cbo = a_cbo(api, operator_token, platform, "share-outsider")
    owner, partner, outsider = owner_cbo["owner"], partner_cbo["owner"], outsider_cbo["owner"]

    # Webhooks: each CBO subscribes a path of the receiver; bad URLs are refused.
    for bad in (
        "ftp://127.0.0.1/x",
        "http://user:pw@127.0.0.1/x",
        "http://10.0.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "javascript:alert(1)",
        "http://127.0.0.1/x\x00y",
        "http://" + "a" * 3000 + ".example.com/",
    ):
        refused = api("POST", "/api/v1/webhooks", owner, json={"url": bad})
        assert refused.status_code in (400, 422), (bad, refused.text)
    owner_hook, owner_secret = subscribe(api, owner, receiver.url + "/owner")
    partner_hook, partner_secret = subscribe(api, partner, receiver.url + "/partner")
    subscribe(api, outsider, receiver.url + "/outsider")
    listed = api("GET", "/api/v1/webhooks", owner).json()
    assert [h["id"] for h in listed["items"]] == [owner_hook]
    assert "secret" not in listed["items"][0]
    assert api("GET", f"/api/v1/webhooks/{owner_hook}", partner).status_code == 404
    assert api("GET", f"/api/v1/webhooks/{owner_hook}/deliveries", outsider).status_code == 404

    # The partnership, through tenancy: sharing opportunities.
    proposed = api(
        "POST",
        "/api/v1/partnerships",
        owner,
        json={"partner_slug": partner_cbo["slug"], "shares": ["opportunities"]},
    )
    assert proposed.status_code == 201, proposed.text
    partnership_id = proposed.json()["id"]
    accepted = api("POST", f"/api/v1/partnerships/{partnership_id}/accept", partner)
    assert accepted.status_code == 200, accepted.text

    # The owner's open shifts (it has no worker of its own for them).
    client = a_client(api, platform, owner_cbo, "Harbor Deli")
    job_type = a_job_type(api, owner, "Dishwasher")
    shifts = [
        book(
            api,
            owner,
            client_id=client["id"],
            site_id=client["site"],
            job_type_id=job_type["id"],
            on=days_ahead(days),
        )["shifts"][0]["id"]
        for days in (5, 6, 7)
    ]
    worker = an_approved_worker(api, smtp, platform, partner_cbo, "Pat Partner")

    # Shared once booking has heard of the partnership.
    def shared_now():
        made = share(api, owner, shifts[0])
        return made if made.status_code == 201 else None

    (made,) = wait_for(shared_now, what="booking to know the partnership").json()["shares"]
    share_id = made["id"]
    assert made["partner"]["id"] == partner_cbo["id"] and made["status"] == "shared"

    # Outside the partnership it does not exist.
    assert api("GET", "/api/v1/shared-opportunities", outsider).json()["total"] == 0
    for method, path in (
        ("GET", f"/api/v1/shared-opportunities/{share_id}"),
        ("POST", f"/api/v1/shared-opportunities/{share_id}/release"),
        ("GET", f"/api/v1/shared-opportunities/{share_id}/offers"),
        ("GET", f"/api/v1/shifts/{shifts[0]}"),
    ):
        assert api(method, path, outsider).status_code == 404, path
    offered = api(
        "POST",
        f"/api/v1/shared-opportunities/{share_id}/offers",
        outsider,
        json={"jobseeker_id": worker["id"]},
    )
    assert offered.status_code == 404
    assert share(api, outsider, shifts[0]).status_code == 404
    assert share(api, partner, shifts[0]).status_code == 404  # the partner cannot re-share
    assert api("GET", "/api/v1/opportunity-shares", outsider).json()["total"] == 0
    # Naming a CBO that is no partner of the owner's.
    named = share(api, owner, shifts[1], partner_ids=[outsider_cbo["id"]])
    assert named.status_code == 422 and "partner_ids" in named.json()["error"]["fields"]

    # The partner sees it and offers it to their own worker, who confirms.
    seen = api("GET", "/api/v1/shared-opportunities", partner).json()
    assert [s["id"] for s in seen["items"]] == [share_id]
    assert seen["items"][0]["shift"]["job_type"]["name"] == "Dishwasher"
    for hostile in ("\x00", "x" * 37, "' OR 1=1 --"):
        bad = api(
            "POST",
            f"/api/v1/shared-opportunities/{share_id}/offers",
            partner,
            json={"jobseeker_id": hostile},
        )
        assert bad.status_code in (400, 422), bad.text
    offer = api(
        "POST",
        f"/api/v1/shared-opportunities/{share_id}/offers",
        partner,
        json={"jobseeker_id": worker["id"]},
    )
    assert offer.status_code == 201, offer.text
    mine = my_offer(api, worker, shifts[0])
    assert mine["id"] == offer.json()["id"]
    confirmed = api("POST", f"/api/v1/offers/{mine['id']}/confirm", worker["token"])
    assert confirmed.status_code == 200, confirmed.text

    # The owner sees the shift filled by the partner's worker, employed by the partner.
    shift = api("GET", f"/api/v1/shifts/{shifts[0]}", owner).json()
    assert shift["status"] == "filled"
    assert [(a["worker_id"], a["worker_tenant_id"]) for a in shift["assignments"]] == [
        (worker["id"], partner_cbo["id"])
    ]
    shares = api("GET", "/api/v1/opportunity-shares", owner, params={"shift_id": shifts[0]})
    (filled,) = shares.json()["items"]
    assert filled["status"] == "filled"
    assert filled["filled_by"]["worker_id"] == worker["id"]
    assert filled["filled_by"]["tenant_id"] == partner_cbo["id"]
    offers = api("GET", f"/api/v1/shifts/{shifts[0]}/offers", owner).json()["items"]
    assert [(o["worker"]["id"], o["worker_tenant_id"], o["status"]) for o in offers] == [
        (worker["id"], partner_cbo["id"], "confirmed")
    ]

    # Webhooks: shared and filled reached the owner and the partner (the partner's first try
    # failed and was retried), each signed with the subscriber's own secret; nothing reached
    # the outsider.
    # Deliveries are independent and a sweep sends those due at once: the filled one may
    # arrive first (when both are due in one sweep), and the retry of the first to reach the
    # partner before or after the other.
    wanted = sorted([("opportunity.shared", shifts[0]), ("opportunity.filled", shifts[0])])
    wait_for(lambda: sorted(receiver.events("/owner")) == wanted, what="the owner's webhooks")

    def partner_got_both_and_the_first_again() -> bool:
        got = receiver.events("/partner")
        return len(got) == 3 and sorted(got) == sorted([got[0], *wanted])

    wait_for(partner_got_both_and_the_first_again, what="the partner's webhooks, the first retried")
    first_type = receiver.events("/partner")[0][0]
    assert all(verified(r, owner_secret) for r in receiver.at("/owner"))
    assert all(verified(r, partner_secret) for r in receiver.at("/partner"))
    assert not any(verified(r, owner_secret) for r in receiver.at("/partner"))
    assert receiver.at("/outsider") == []
    log = api("GET", f"/api/v1/webhooks/{partner_hook}/deliveries", partner).json()
    first = next(d for d in log["items"] if d["event_type"] == first_type)
    assert (first["status"], first["attempts"]) == ("delivered", 2)
    detail = api("GET", f"/api/v1/webhook-deliveries/{first['id']}", partner).json()
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 204]
    assert api("GET", f"/api/v1/webhook-deliveries/{first['id']}", owner).status_code == 404
    # A replay sends the same body again.
    replayed = api("POST", f"/api/v1/webhook-deliveries/{first['id']}/replay", partner)
    assert replayed.status_code == 201, replayed.text
    wait_for(lambda: len(receiver.at("/partner")) == 4, what="the replay")
    assert receiver.at("/partner")[-1]["body"] == receiver.at("/partner")[0]["body"]
    assert verified(receiver.at("/partner")[-1], partner_secret)

    # A second shift shared and offered, still open when the partnership ends.
    (second,) = share(api, owner, shifts[1]).json()["shares"]
    offer = api(
        "POST",
        f"/api/v1/shared-opportunities/{second['id']}/offers",
        partner,
        json={"jobseeker_id": worker["id"]},
    )
    assert offer.status_code == 201, offer.text
    wait_for(
        lambda: ("opportunity.shared", shifts[1]) in receiver.events("/partner"),
        what="the second share's webhook",
    )
    partner_seen = len(receiver.at("/partner"))

    ended = api("POST", f"/api/v1/partnerships/{partnership_id}/end", partner)
    assert ended.status_code == 200, ended.text

    # Sharing stops at once: the share and the partner's offer withdrawn, confirmation
    # refused, and new shares refused.
    wait_for(
        lambda: (
            api("GET", f"/api/v1/shared-opportunities/{second['id']}", partner).json()["status"]
            == "withdrawn"
        ),
        what="booking to withdraw the share",
    )
    assert my_offer(api, worker, shifts[1], status="withdrawn")["id"] == offer.json()["id"]
    late = api("POST", f"/api/v1/offers/{offer.json()['id']}/confirm", worker["token"])
    assert late.status_code == 409, late.text
    wait_for(
        lambda: share(api, owner, shifts[2]).status_code == 409,
        what="booking to know the partnership ended",
    )
    assert (
        api("GET", "/api/v1/shared-opportunities", partner, params={"status": "shared"}).json()[
            "total"
        ]
        == 0
    )
    # The owner's webhook hears of its withdrawn share; the partner's hears nothing more.
    wait_for(
        lambda: ("opportunity.withdrawn", shifts[1]) in receiver.events("/owner"),
        what="the owner's withdrawal webhook",
    )
    assert len(receiver.at("/partner")) == partner_seen
    log = api("GET", f"/api/v1/webhooks/{partner_hook}/deliveries", partner).json()
    assert {d["event_type"] for d in log["items"]} == {"opportunity.shared", "opportunity.filled"}


WEBHOOK_ROUTES = [r for r in ROUTES if r.path.startswith(("/api/v1/webhook", "/api/v1/webhooks"))]


@pytest.fixture(scope="module")
def hook_owner(api, operator_token, platform) -> tuple[str, str]:
    """A CBO owner's token and one subscription of theirs (a real id for the paths)."""
    owner = a_cbo(api, operator_token, platform, "hook-odd")["owner"]
    made, _ = subscribe(api, owner, "http://127.0.0.1:9/odd")
    return owner, made


@pytest.mark.parametrize("route", WEBHOOK_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_odd_input_to_webhooks_is_never_a_500(api, hook_owner, route):
    owner, made = hook_owner
    ids = {"subscription_id": made}
    failures = []
    for path in paths(route, ids):
        if route.method == "GET":
            calls = [{"path": f"{path}?{query}"} for query in ODD_QUERIES]
        else:
            calls = [{"path": path, "json": body} for body in ODD_BODIES]
        for call in calls:
            response = api(route.method, call.pop("path"), owner, **call)
            if response.status_code >= 500:
                failures.append(f"{route.method} {response.url}: {response.text[:200]}")
    assert not failures, "\n".join(failures)
