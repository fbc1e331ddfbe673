"""Every route reaches an RPC entrypoint that exists, takes what the route sends it, and states
its permission; a route without authentication reaches only a @public entrypoint."""

import inspect
import re

import pytest

from chassis.paging import PageQuerySchema
from deploy.catalogue import SERVICE_CLASSES, load_class
from gateway.routes import ROUTES

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _id(route) -> str:
    return f"{route.method} {route.path}"


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_the_route_reaches_an_entrypoint_of_its_service(route):
    service_class = load_class(SERVICE_CLASSES[route.service])
    method = getattr(service_class, route.rpc, None)
    assert method is not None, f"{route.service} has no RPC {route.rpc}"
    assert method is route.endpoint or inspect.unwrap(method) is inspect.unwrap(route.endpoint)


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_the_entrypoint_takes_the_path_body_and_query_the_route_sends(route):
    signature = inspect.signature(inspect.unwrap(route.endpoint))
    taken = [name for name in signature.parameters if name != "self"]
    sent = _PARAM.findall(route.path)
    if route.body is not None or route.upload or route.form_signed_by:
        sent.append("body")
    if route.query is not None:
        sent.append("query")
    assert sorted(taken) == sorted(sent), f"{route.rpc}{signature} for {route.path}"


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_the_entrypoint_states_its_permission_and_open_routes_reach_only_public_ones(route):
    permission = route.permission  # raises when the entrypoint states nothing
    if not route.auth:
        assert permission is None, f"{route.rpc} needs {permission} but its route is open"


def test_no_two_routes_share_a_method_and_path():
    seen = [(r.method, _PARAM.sub("<>", r.path)) for r in ROUTES]
    assert len(seen) == len(set(seen))


def test_every_list_pages():
    """No route answers a bare JSON array: a list is a page, {items, total, page, per_page},
    and takes the paging query (chassis.paging.PageQuerySchema) to choose which page."""
    assert [_id(r) for r in ROUTES if r.many] == []
    envelope = {"items", "total", "page", "per_page"}
    for route in ROUTES:
        if route.response is None or not envelope <= set(route.response().fields):
            continue
        assert route.method == "GET", _id(route)
        assert route.query is not None and issubclass(route.query, PageQuerySchema), _id(route)
