"""Build the Cython accelerators in src/ as snmptrapmgr._<name> extensions.

Without a compiler or Cython the package still installs, on its pure-Python
twins, with a loud warning.  SNMPTRAPMGR_REQUIRE_EXTENSIONS=1 (set by CI)
turns a failed build into an error, so a broken extension never passes as
the fallback.
"""

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

REQUIRE = os.environ.get("SNMPTRAPMGR_REQUIRE_EXTENSIONS", "") not in ("", "0")
SKIP = os.environ.get("SNMPTRAPMGR_NO_EXTENSIONS", "") not in ("", "0") and not REQUIRE


def _warn(message):
    bar = "*" * 72
    sys.stderr.write(f"\n{bar}\nWARNING: {message}\nsnmptrapmgr falls back on its pure-Python twins (slower).\n{bar}\n\n")


def _extensions():
    if SKIP:
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        if REQUIRE:
            raise
        _warn("Cython is not installed: the accelerators were not built.")
        return []
    # src/<layer>/_x_c.pyx -> snmptrapmgr.<layer>._x_c, beside its twin snmptrapmgr/<layer>/_x_py.py;
    # src/facade/_x_c.pyx -> snmptrapmgr._x_c (the facade's modules are at the package's top)
    sources = sorted(Path("src").glob("*/*.pyx"))
    from setuptools import Extension

    def module(path: Path) -> str:
        layer = "" if path.parent.name == "facade" else path.parent.name + "."
        return f"snmptrapmgr.{layer}{path.stem}"

    extensions = [Extension(module(path), [str(path)], extra_compile_args=["-O3"]) for path in sources]
    return cythonize(
        extensions,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    )


class OptionalBuildExt(build_ext):
    """Fail loudly, not fatally, unless SNMPTRAPMGR_REQUIRE_EXTENSIONS is set."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any compiler failure
            if REQUIRE:
                raise
            _warn(f"building the C extensions failed: {exc}")

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            if REQUIRE:
                raise
            stale = self._remove_stale(ext)
            _warn(f"building {ext.name} failed: {exc}"
                  + (f"\nremoved the stale compiled file(s) of an earlier build: {', '.join(stale)}" if stale else ""))

    def _remove_stale(self, ext):
        """An earlier build's .so would otherwise load (in place) or be installed (from build/)
        although it no longer matches its source: the failed module falls back, visibly."""
        removed = []
        for path in (self.get_ext_fullpath(ext.name),
                     os.path.join(self.build_lib, self.get_ext_filename(ext.name)),
                     os.path.join(*ext.name.split(".")[:-1], os.path.basename(self.get_ext_filename(ext.name)))):
            if os.path.exists(path) and path not in removed:
                os.remove(path)
                removed.append(path)
        return removed


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
