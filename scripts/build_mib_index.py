"""Regenerate the standard MIB index (package data) from pysmi's bundled MIB texts.

    python scripts/build_mib_index.py            # writes snmptrapmgr/mib/data/standard.json
    python scripts/build_mib_index.py --check    # exit 1 if the file differs from a fresh build

The output depends only on the installed pysnmp-pysmi (its texts and its
compiler), so rerun it when that pin changes; tests/test_mib_index.py checks
that a rebuild gives the same bytes.
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from snmptrapmgr.mib import compiler  # noqa: E402
from snmptrapmgr.mib.loader import STANDARD_INDEX  # noqa: E402


def build() -> str:
    """The standard index text: every bundled module, compiled."""
    source = compiler.bundled_dir()
    files = sorted(f for f in os.listdir(source)
                   if os.path.isfile(os.path.join(source, f)) and not f.startswith(("_", ".")))
    texts = {}
    modules = []
    for name in files:
        with open(os.path.join(source, name), encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        for module in compiler.module_names(text):
            texts[module] = text
            modules.append((name, module, ""))
    docs, failures = compiler.compile_modules([m for _, m, _ in modules])
    problems = [(f"{compiler.DISTRIBUTION}:{module}", f"{state}: {reason}")
                for module, (state, reason) in sorted(failures.items())]
    return compiler.build_part(modules, docs, texts, problems, standard=True)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    parser.add_argument("--output", default=STANDARD_INDEX, help=f"default {STANDARD_INDEX}")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        with open(args.output, encoding="utf-8") as handle:
            same = handle.read() == text
        print(f"{args.output}: {'up to date' if same else 'differs from a fresh build'}")
        return 0 if same else 1
    with open(args.output, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    print(f"wrote {args.output} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
