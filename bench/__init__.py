"""The snmptrapmgr benchmark: ``python -m bench`` from the repository root.

Micro rows measure the Cython modules against their pure-Python twins (and
pysnmp where installed) side by side in one process; end-to-end rows send
traps over loopback from a separate process to an ``SNMPTrapMgr`` per
implementation; the collector rows (issue 5) add SNMPv3, ``snmptrapmgr listen``,
bursts drained by a receiver alone on its core, and memory under a spoofed-engine
flood (:mod:`bench.scenarios`).  Every sender is ``python -m bench.loadgen`` (bounded,
loopback only); every datagram comes from :mod:`bench.traffic`.  See
``python -m bench --help``.
"""
