"""The sync package's shape: an explicit public API, and purity (no I/O, no server frameworks)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import sync

SYNC_DIR = Path(sync.__file__).parent
REPO = SYNC_DIR.parent

# Frameworks and I/O the pure package must never reach for, directly or through a dependency.
FORBIDDEN = (
    "litestar",
    "sqlalchemy",
    "advanced_alchemy",
    "server",
    "aiosqlite",
    "asyncpg",
    "httpx",
    "sqlite3",
    "socket",
    "ssl",
    "asyncio",
    "subprocess",
    "urllib",
    "http",
    "requests",
)
ALLOWED_THIRD_PARTY = {"msgspec"}
# The engine's one I/O adapter and the simulator built on it (see sync/__init__.py): public modules
# outside the core, allowed httpx and nothing else of FORBIDDEN.
ADAPTERS = {"http", "simulator"}
ADAPTER_MAY_USE = {"httpx", "http"}  # httpx itself imports the standard library's http


def _private_modules() -> list[types.ModuleType]:
    return [
        importlib.import_module(f"sync.{m.name}")
        for m in pkgutil.iter_modules([str(SYNC_DIR)])
        if m.name not in ADAPTERS
    ]


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_all_is_sorted_unique_and_resolves() -> None:
    assert len(sync.__all__) == len(set(sync.__all__))
    assert sync.__all__ == sorted(sync.__all__, key=lambda n: (not n.isupper(), n.isupper() and n, n))
    for name in sync.__all__:
        assert hasattr(sync, name), name


def test_every_public_name_is_exported_and_nothing_else() -> None:
    public = {
        n for n, v in vars(sync).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)
    }
    assert public == set(sync.__all__)


def test_modules_are_private_and_their_all_is_reexported() -> None:
    modules = _private_modules()
    assert modules, "no modules found"
    for module in modules:
        assert module.__name__.rsplit(".", 1)[1].startswith("_"), f"{module.__name__} should be private"
        missing = set(getattr(module, "__all__", ())) - set(sync.__all__)
        assert not missing, f"{module.__name__} exports {missing} that sync/__init__.py does not"


def test_source_imports_only_stdlib_and_msgspec() -> None:
    stdlib = set(sys.stdlib_module_names)
    core = [p for p in sorted(SYNC_DIR.glob("*.py")) if p.stem not in ADAPTERS]
    assert len(core) >= 10, "the core modules were not found"
    for path in core:
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in FORBIDDEN, f"{path.name} imports {name}"
            assert top in stdlib or top in ALLOWED_THIRD_PARTY, f"{path.name} imports {name}"
            assert not name.startswith(("sync.http", "sync.simulator")), f"{path.name} imports {name}"


def test_the_adapters_use_httpx_and_never_the_server() -> None:
    stdlib = set(sys.stdlib_module_names)
    for stem in sorted(ADAPTERS):
        for name in _imports(SYNC_DIR / f"{stem}.py"):
            top = name.split(".")[0]
            assert top not in set(FORBIDDEN) - ADAPTER_MAY_USE, f"{stem}.py imports {name}"
            allowed = top in stdlib or top in ALLOWED_THIRD_PARTY | {"httpx", "sync"}
            assert allowed, f"{stem}.py imports {name}"
    assert not ADAPTERS & set(sync.__all__)


def test_importing_sync_with_frameworks_blocked() -> None:
    """Import every sync module in a fresh interpreter where the forbidden modules cannot load."""
    script = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys
        FORBIDDEN = {FORBIDDEN!r}

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in FORBIDDEN:
                    raise ImportError(f"sync must not import {{name}}")
                return None

        preloaded = set(sys.modules)  # the interpreter's own start-up imports are not ours
        sys.meta_path.insert(0, Block())
        import sync
        for m in pkgutil.iter_modules(sync.__path__):
            if m.name not in {sorted(ADAPTERS)!r}:  # the I/O adapters, outside the core
                importlib.import_module("sync." + m.name)
        try:
            import sqlalchemy  # the blocker itself must work, or this test proves nothing
        except ImportError:
            pass
        else:
            raise AssertionError("blocker failed")
        leaked = sorted(n for n in set(sys.modules) - preloaded if n.split(".")[0] in FORBIDDEN)
        assert not leaked, leaked
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
