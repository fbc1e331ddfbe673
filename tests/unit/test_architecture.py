"""The shape of the code base: services import only the chassis and themselves, and every RPC
entrypoint declares the permission it needs."""

import ast
import inspect
from pathlib import Path

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from chassis.config import SERVICE_NAMES
from chassis.entrypoints import Rpc
from deploy.catalogue import SERVICE_CLASSES, load_class

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"chassis", "services", "gateway", "deploy", "tests"}


def first_party_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name.split(".")[0] in FIRST_PARTY}
    return found


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_imports_only_the_chassis_and_its_own_package(service):
    package = ROOT / "services" / service
    files = list(package.rglob("*.py"))
    assert files, f"services/{service} has no code"
    for path in files:
        for name in first_party_imports(path):
            allowed = (
                name == "chassis"
                or name.startswith("chassis.")
                or name == f"services.{service}"
                or name.startswith(f"services.{service}.")
            )
            assert allowed, f"{path.relative_to(ROOT)} imports {name}"


def test_the_chassis_imports_no_service():
    for path in (ROOT / "chassis").rglob("*.py"):
        for name in first_party_imports(path):
            assert name.startswith("chassis"), f"{path.relative_to(ROOT)} imports {name}"


def test_the_gateway_imports_only_the_chassis_and_service_routes_and_schemas():
    """The gateway reaches services over RPC only; it reads their route tables and schemas
    (for dispatch and the OpenAPI document) and calls nothing of theirs directly."""
    for path in (ROOT / "gateway").rglob("*.py"):
        for name in first_party_imports(path):
            parts = name.split(".")
            allowed = (
                parts[0] in ("chassis", "gateway")
                or name == "services"
                or (
                    parts[0] == "services"
                    and len(parts) >= 3
                    and (parts[-1] in ("routes", "schemas") or parts[-2] in ("routes", "schemas"))
                )
            )
            assert allowed, f"{path.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_rpc_entrypoint_states_its_permission(service):
    cls = load_class(SERVICE_CLASSES[service])
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        entrypoints = getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ())
        if any(isinstance(e, Rpc) for e in entrypoints):
            assert hasattr(method, "required_permission"), (
                f"{service}.{name} has neither @requires(...) nor @public"
            )


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_services_use_only_chassis_entrypoints(service):
    cls = load_class(SERVICE_CLASSES[service])
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            module = type(entrypoint).__module__
            assert module.startswith("chassis.") or name.startswith("http_"), (
                f"{service}.{name} uses {module}.{type(entrypoint).__name__}: its transaction "
                "would not commit before it answers"
            )
