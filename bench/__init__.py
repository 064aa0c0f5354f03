"""The snmptrapmgr benchmark: ``python -m bench`` from the repository root.

Micro rows measure the Cython modules against their pure-Python twins (and
pysnmp where installed) side by side in one process; end-to-end rows send
traps over loopback from a separate process to an ``SNMPTrapMgr`` per
implementation.  See ``python -m bench --help``.
"""
