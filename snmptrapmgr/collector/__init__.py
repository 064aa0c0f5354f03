"""The trap collector behind ``snmptrapmgr listen``, one concern per module.

- ``config``: CollectorConfig and the TOML file; ``snmptrapd_conf``: what a
  net-snmp snmptrapd.conf says, mapped onto it;
- ``schema``: the JSON object of a notification, written once;
- ``outputs``: where notifications go, behind one interface (batches in,
  "durably taken" back) with a registry by type name; ``delivery``:
  sequence numbers, batches and the fan-out to several outputs;
- ``service``: the Collector (listening managers, handlers, run loop);
  ``workers``: N of them sharing a port; ``stats``: the counters.

Nothing is imported here, so importing one module loads only what it needs.
"""
