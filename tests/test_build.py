"""`pip install .` gives the compiled modules, and they are what loads by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from snmptrapmgr._select import ACCELERATED, twin_name

ROOT = Path(__file__).resolve().parent.parent

# which twin each selector module bound (by the module of its first public function)
PROBE = """
import importlib, json, snmptrapmgr
from snmptrapmgr._select import ACCELERATED
info = {"implementation": snmptrapmgr.implementation, "file": snmptrapmgr.__file__}
for name in ACCELERATED:
    selector = importlib.import_module("snmptrapmgr." + name)
    first = next(a for a in selector.__all__ if a != "USING_CYTHON")
    info[name] = getattr(selector, first).__module__
print(json.dumps(info))
"""


def _probe(path: Path, **env: str) -> dict:
    """Import the package found at ``path`` and nothing else of ours.

    ``-S`` skips site-packages' .pth files, so an editable install of this
    checkout (CI has one) cannot answer the import; pycryptodome's directory is
    put back by hand.
    """
    import Crypto

    crypto_site = os.path.dirname(os.path.dirname(Crypto.__file__))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SNMPTRAPMGR_")}
    environ.update(env, PYTHONPATH=os.pathsep.join((str(path), crypto_site)))
    out = subprocess.run([sys.executable, "-S", "-c", PROBE], cwd=path, env=environ,
                         capture_output=True, text=True, timeout=60, check=True)
    info = json.loads(out.stdout)
    assert info["file"].startswith(str(path)), info["file"]
    return info


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A real `pip install .` into a private target directory."""
    target = tmp_path_factory.mktemp("target")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(ROOT)], check=True, timeout=600,
                   env={**os.environ, "SNMPTRAPMGR_REQUIRE_EXTENSIONS": "1"})
    return target


def test_pip_install_ships_compiled_modules(installed):
    for name in ACCELERATED:
        layer, _, stem = name.rpartition(".")
        package = installed / "snmptrapmgr" / layer
        assert list(package.glob(f"_{stem}_c.*.so")), f"{layer}/_{stem}_c was not compiled"
        assert (package / f"_{stem}_py.py").exists(), f"{layer}/_{stem}_py twin missing"


def test_compiled_modules_are_the_default(installed):
    info = _probe(installed)
    assert info["file"].startswith(str(installed))
    assert info["implementation"] == "cython"
    for name in ACCELERATED:
        assert info[name] == twin_name(name, "cython")


def test_no_extensions_env_forces_the_twins(installed):
    info = _probe(installed, SNMPTRAPMGR_NO_EXTENSIONS="1")
    assert info["implementation"] == "python"
    for name in ACCELERATED:
        assert info[name] == twin_name(name, "python")


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    """The sources alone (no built .so), where a broken compiler can be tried."""
    import shutil

    copy = tmp_path_factory.mktemp("src-copy")
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("*.c", "*.html"))
    shutil.copytree(ROOT / "snmptrapmgr", copy / "snmptrapmgr",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    return copy


def _build_with_broken_compiler(copy: Path, require: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNMPTRAPMGR_")}
    env["CC"] = "false"  # a compiler that always fails
    env["LDSHARED"] = "false"
    if require:
        env["SNMPTRAPMGR_REQUIRE_EXTENSIONS"] = "1"
    return subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=copy,
                          env=env, capture_output=True, text=True, timeout=600)


def test_failed_compile_falls_back_loudly(source_copy):
    # an earlier build's compiled module, left in place: a failed rebuild must not keep it
    import sysconfig

    stale = source_copy / "snmptrapmgr" / "codec" / ("_ber_c" + sysconfig.get_config_var("EXT_SUFFIX"))
    stale.write_bytes(b"not a module from these sources")
    result = _build_with_broken_compiler(source_copy, require=False)
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stderr and "pure-Python twins" in result.stderr
    assert "removed the stale compiled file(s)" in result.stderr and "_ber_c" in result.stderr, result.stderr
    assert not stale.exists()
    assert not list((source_copy / "snmptrapmgr").rglob("*.so"))
    info = _probe(source_copy)
    assert info["implementation"] == "python"
    # and listen says so on its first lines, loudly
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNMPTRAPMGR_")}
    env["PYTHONPATH"] = str(source_copy)
    listen = subprocess.run([sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port", "0",
                             "--duration", "0.1"], cwd=source_copy, env=env, capture_output=True, text=True,
                            timeout=120)
    assert "pure-Python fallback: the compiled modules were not built" in listen.stderr, listen.stderr


def test_failed_compile_is_fatal_when_required(source_copy):
    result = _build_with_broken_compiler(source_copy, require=True)
    assert result.returncode != 0


def test_compiled_modules_older_than_their_sources_are_named_at_start(tmp_path):
    """A checkout edited after its last build: the old compiled module still loads, and listen says so."""
    import shutil

    if not list((ROOT / "snmptrapmgr" / "codec").glob("_ber_c*.so")):
        pytest.skip("this checkout has no in-place build to copy")
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("*.c", "*.html"))
    shutil.copytree(ROOT / "snmptrapmgr", copy / "snmptrapmgr", ignore=shutil.ignore_patterns("__pycache__"))
    for so in (copy / "snmptrapmgr").rglob("*.so"):
        os.utime(so, (1_700_000_000, 1_700_000_000))
    for pyx in (copy / "src").rglob("*.pyx"):
        os.utime(pyx, (1_600_000_000, 1_600_000_000))
    edited = copy / "src" / "codec" / "_ber_c.pyx"
    os.utime(edited, None)  # edited now, after the build
    import Crypto

    env = {k: v for k, v in os.environ.items() if not k.startswith("SNMPTRAPMGR_")}
    env["PYTHONPATH"] = os.pathsep.join((str(copy), os.path.dirname(os.path.dirname(Crypto.__file__))))
    listen = subprocess.run([sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port", "0",
                             "--numeric", "--duration", "0.1"], cwd=copy, env=env, capture_output=True, text=True,
                            timeout=120)
    assert "OLDER than their sources (src/codec/_ber_c.pyx)" in listen.stderr, listen.stderr
    os.utime(edited, (1_600_000_000, 1_600_000_000))
    listen = subprocess.run([sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port", "0",
                             "--numeric", "--duration", "0.1"], cwd=copy, env=env, capture_output=True, text=True,
                            timeout=120)
    assert "compiled (Cython) modules" in listen.stderr and "OLDER" not in listen.stderr, listen.stderr
