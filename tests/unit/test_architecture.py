"""The shape of the code base: services import only the chassis and themselves, every RPC
entrypoint declares the permission it needs, and domain functions take keywords after `uow`."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from chassis.config import SERVICE_NAMES
from chassis.entrypoints import Rpc
from deploy.catalogue import SERVICE_CLASSES, load_class
from tests.source import syntax_tree

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"chassis", "services", "gateway", "deploy", "tests"}


def first_party_imports(path: Path) -> set[str]:
    tree = syntax_tree(path)
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


# -- the layout of a service -------------------------------------------------------------------

SERVICE_FILES = {"__init__.py", "service.py", "base.py", "common.py"}
AREA_FILES = ("entrypoints.py", "domain.py", "schemas.py", "routes.py")


def area_packages(service: str) -> list[Path]:
    package = ROOT / "services" / service
    return sorted(
        path
        for path in package.iterdir()
        if path.is_dir() and path.name != "migrations" and (path / "__init__.py").exists()
    )


def entrypoints_class_name(area: Path) -> str:
    """accounts -> AccountsEntrypoints, jobseeker_imports -> JobseekerImportsEntrypoints."""
    return "".join(word.capitalize() for word in area.name.split("_")) + "Entrypoints"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_holds_its_service_files_migrations_and_area_packages_only(service):
    package = ROOT / "services" / service
    for path in package.iterdir():
        if path.name == "__pycache__":
            continue
        if path.is_dir():
            assert path.name == "migrations" or (path / "__init__.py").exists(), (
                f"services/{service}/{path.name}/ is neither migrations/ nor an area package"
            )
        else:
            assert path.name in SERVICE_FILES, (
                f"services/{service}/{path.name} belongs in an area package (only "
                f"{', '.join(sorted(SERVICE_FILES))} sit beside migrations/)"
            )
    env = (package / "migrations" / "env.py").read_text()
    assert f"services.{service}.service" in first_party_imports(package / "migrations" / "env.py")
    assert f"from services.{service}.base import metadata" in env


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_area_that_owns_tables_has_the_same_files_and_a_mixin_the_service_composes(
    service,
):
    cls = load_class(SERVICE_CLASSES[service])
    base = importlib.import_module(f"services.{service}.base")
    for area in area_packages(service):
        where = f"services/{service}/{area.name}"
        if not (area / "models.py").exists():
            continue
        missing = [name for name in AREA_FILES if not (area / name).exists()]
        assert not missing, f"{where} owns tables but has no {', '.join(missing)}"
        models = importlib.import_module(f"services.{service}.{area.name}.models")
        for table in getattr(models, "__dict__", {}).values():
            if isinstance(table, type) and hasattr(table, "__table__"):
                assert table.__table__.metadata is base.metadata, (
                    f"{where}/models.py: {table.__name__} is not on services/{service}/base.py"
                )
        entrypoints = importlib.import_module(f"services.{service}.{area.name}.entrypoints")
        mixin = getattr(entrypoints, entrypoints_class_name(area), None)
        assert mixin is not None, f"{where}/entrypoints.py has no {entrypoints_class_name(area)}"
        assert issubclass(cls, mixin), f"{cls.__name__} does not compose {mixin.__name__}"
        routes = importlib.import_module(f"services.{service}.{area.name}.routes")
        assert isinstance(routes.ROUTES, tuple), f"{where}/routes.py has no ROUTES tuple"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_the_service_class_only_composes_mixins_and_declares_dependencies(service):
    cls = load_class(SERVICE_CLASSES[service])
    assert cls.__module__ == f"services.{service}.service"
    own = [name for name, value in vars(cls).items() if inspect.isfunction(value)]
    assert not own, (
        f"{cls.__name__} defines {', '.join(own)}: entrypoints and helpers belong in an area's "
        "entrypoints.py mixin"
    )


# Modules of an area whose functions are not domain functions: the nameko mixin, pure rules
# (plain positional arguments are fine there), tables, marshmallow schemas and route tables.
NOT_DOMAIN_MODULES = {"entrypoints.py", "rules.py", "models.py", "schemas.py", "routes.py"}
KEYWORD_KINDS = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD)


def domain_modules(service: str) -> list[str]:
    """The dotted names of an area's domain modules: domain.py and the like (invitations.py,
    roles.py, imports.py)."""
    return [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for area in area_packages(service)
        for path in sorted(area.rglob("*.py"))
        if path.name not in NOT_DOMAIN_MODULES and path.name != "__init__.py"
    ]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_domain_functions_take_the_unit_of_work_then_keywords_only(service):
    """`def approve(uow, *, caller, tenant_id, jobseeker_id)`: a call names every argument, so
    no two of the same type (two ids) can be swapped by mistake."""
    positional = []
    for name in domain_modules(service):
        module = importlib.import_module(name)
        for function_name, function in vars(module).items():
            if (
                function_name.startswith("_")
                or not inspect.isfunction(function)
                or function.__module__ != module.__name__
            ):
                continue
            parameters = list(inspect.signature(function).parameters.values())
            if not parameters or parameters[0].name != "uow":
                continue
            if any(parameter.kind not in KEYWORD_KINDS for parameter in parameters[1:]):
                positional.append(f"{name}.{function_name}")
    assert not positional, (
        "these take arguments after `uow` positionally; put `*,` right after `uow`: "
        + ", ".join(positional)
    )
