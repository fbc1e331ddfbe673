"""A CBO made through tenancy's API, as the city makes one: an application, then approval."""

from __future__ import annotations


def application(slug: str, *, domain: str = "example.org", **overrides) -> dict:
    return {
        "name": f"Community {slug}",
        "slug": slug,
        "contact_name": "Carla Contact",
        "contact_email": f"contact@{slug}.{domain}",
        "owner_name": "Olga Owner",
        "owner_email": f"owner@{slug}.{domain}",
        **overrides,
    }


def apply_and_approve(api, operator_token: str, slug: str, **application_fields) -> str:
    """The new CBO's id, approved by the operator (identity then invites its owner)."""
    applied = api("POST", "/api/v1/cbo-applications", json=application(slug, **application_fields))
    assert applied.status_code == 201, applied.text
    tenant_id = applied.json()["id"]
    approved = api("POST", f"/api/v1/platform/cbos/{tenant_id}/approve", operator_token)
    assert approved.status_code == 200, approved.text
    return tenant_id
