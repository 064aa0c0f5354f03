"""The snmptrapmgr benchmark: ``python -m bench`` from the repository root.

It measures the compiled snmptrapmgr it finds -- the checkout's when its extensions are
built in place, else an installed copy (``pip install .``) -- and says which
(:mod:`bench.measured`); without any compiled build it stops with one line saying how to
build one, unless ``--python-only`` asks for the pure-Python fallback alone.

Micro rows measure the compiled modules against the pure-Python fallback (and pysnmp
where installed) side by side in one process; end-to-end rows send traps over loopback
from a separate process to an ``SNMPTrapMgr`` per implementation; the collector rows add
SNMPv3, ``snmptrapmgr listen``, bursts drained by a receiver alone on its core, and
memory under a spoofed-engine flood (:mod:`bench.scenarios`).  Every sender is ``python
-m bench.loadgen`` (bounded, loopback only); every datagram comes from
:mod:`bench.traffic`.  ``--quick`` results are indicative only, never graded.  See
``python -m bench --help``.
"""
