"""Reading the project's own source as syntax trees (the architecture and pattern tests)."""

from __future__ import annotations

import ast
import gc
from pathlib import Path


def syntax_tree(path: Path) -> ast.Module:
    """`path` parsed, with the garbage collector held off meanwhile: a finalizer running inside
    the parse (a leaked database connection of an earlier test closing through eventlet) makes
    CPython 3.11.7 raise "AST constructor recursion depth mismatch" (python/cpython#106905)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    finally:
        if enabled:
            gc.enable()
