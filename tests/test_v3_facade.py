"""SNMPv3 through the public SNMPTrapMgr API with net-snmp senders (both twins).

The USM internals are covered without the facade (test_v3_sansio, _netsnmp,
_pysnmp); this checks the documented surface: add_user, events, config
settings set inside on_get_user_password, show_cache, on_check_engine.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from snmptrapmgr.security import keys

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(shutil.which("snmpinform") is None, reason="net-snmp not installed"),
]

TRAP_OID = "1.3.6.1.4.1.8072.2.3.0.1"
ENGINE = "8000000001020304"


@pytest.fixture
def env(monkeypatch):
    tmp = tempfile.mkdtemp(prefix="v3facade-")
    with open(os.path.join(tmp, "snmp.conf"), "w") as conf:
        conf.write("mibs :\n")
    monkeypatch.setenv("SNMPCONFPATH", tmp)
    monkeypatch.setenv("SNMP_PERSISTENT_DIR", tmp)
    monkeypatch.delenv("MIBS", raising=False)
    yield
    shutil.rmtree(tmp, ignore_errors=True)


def mgr_and_recorder(respond=True):
    from peers import Recorder, new_mgr

    mgr = new_mgr()
    return mgr, Recorder(mgr, respond=respond)


def test_facade_snmpinform_authpriv(impl, env):
    from peers import run_sender

    mgr, rec = mgr_and_recorder()
    discoveries = []
    mgr.on_discovery_request = discoveries.append
    try:
        mgr.add_user("alice", b"", 4, "authpass1", 5, "privpass1")
        proc = run_sender(mgr, ["snmpinform", "-v", "3", "-t", "1", "-r", "1", "-u", "alice",
                                "-l", "authPriv", "-a", "SHA-512", "-A", "authpass1", "-x",
                                "AES256", "-X", "privpass1", f"127.0.0.1:{mgr.local_port}", "",
                                TRAP_OID, "1.3.6.1.2.1.1.5.0", "s", "router-1"],
                          lambda: bool(rec.informs))
        assert proc.returncode == 0, proc.stderr
        assert len(discoveries) == 1
        (inform,) = rec.informs
        assert (inform.user, inform.security_level, inform.snmp_version) == ("alice", 2, 3)
        assert inform.varbinds[-1] == ("1.3.6.1.2.1.1.5.0", 0x04, b"router-1")
        assert mgr.local_engine_id and inform.engine_id == mgr.local_engine_id
    finally:
        mgr.deactivate()


def test_facade_keys_set_inside_get_user_password(impl, env):
    """AuthenticationKey / EncryptionKey (hex localized keys) via config() in the handler."""
    from peers import run_sender

    engine = bytes.fromhex(ENGINE)
    auth_kul = keys.localize_key(keys.password_to_key(b"authpass1", "sha256"), engine, "sha256")
    priv_kul = keys.localize_key(keys.password_to_key(b"privpass1", "sha256"), engine, "sha256")
    mgr, rec = mgr_and_recorder()
    asked = []

    def level(ev):
        ev.security_level = 2

    def password(ev):
        asked.append((ev.password_type, ev.user, ev.engine_id))
        if ev.password_type == 1:
            ev.algorithm = 3
            mgr.config(f"AuthenticationKey={auth_kul.hex()}")
        else:
            ev.algorithm = 2
            mgr.config(f"EncryptionKey={priv_kul.hex()}")

    mgr.on_get_user_security_level = level
    mgr.on_get_user_password = password
    try:
        proc = run_sender(mgr, ["snmptrap", "-v", "3", "-u", "bob", "-l", "authPriv", "-a",
                                "SHA-256", "-A", "authpass1", "-x", "AES", "-X", "privpass1",
                                "-e", "0x" + ENGINE, f"127.0.0.1:{mgr.local_port}", "", TRAP_OID,
                                "1.3.6.1.2.1.1.5.0", "s", "router-1"], lambda: bool(rec.traps))
        assert proc.returncode == 0, proc.stderr
        assert not rec.bad, [(e.error_code, e.error_description) for e in rec.bad]
        (trap,) = rec.traps
        assert (trap.user, trap.security_level) == ("bob", 2)
        assert asked == [(1, "bob", engine), (2, "bob", engine)]
        # the new engine and the authenticated user entered the cache
        entries = []
        mgr.on_cache_entry = entries.append
        mgr.show_cache()
        assert (engine, "bob") in [(e.engine_id, e.user) for e in entries]
    finally:
        mgr.deactivate()


def test_facade_check_engine_rejects(impl, env):
    from peers import run_sender

    mgr, rec = mgr_and_recorder()
    checks = []

    def check(ev):
        checks.append((ev.engine_id, ev.is_new, ev.accept, ev.security_level))
        ev.accept = False

    mgr.on_check_engine = check
    try:
        mgr.add_user("alice", b"", 2, "authpass1", 0, "")
        run_sender(mgr, ["snmptrap", "-v", "3", "-u", "alice", "-l", "authNoPriv", "-a", "SHA",
                         "-A", "authpass1", "-e", "0x" + ENGINE, f"127.0.0.1:{mgr.local_port}",
                         "", TRAP_OID], lambda: bool(rec.bad))
        assert checks == [(bytes.fromhex(ENGINE), True, True, 1)]
        assert not rec.traps and len(rec.bad) == 1
    finally:
        mgr.deactivate()


@pytest.mark.parametrize("decrypt", [False, True])
def test_facade_decrypt_log_packets(impl, env, decrypt):
    """DecryptLogPackets: on_packet_trace shows the ScopedPDU in clear only when set."""
    from peers import run_sender

    from snmptrapmgr.codec import ber

    mgr, rec = mgr_and_recorder()
    traced = []
    mgr.on_packet_trace = lambda ev: traced.append((ev.direction, ev.packet))
    mgr.config(f"DecryptLogPackets={decrypt}")
    try:
        mgr.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
        proc = run_sender(mgr, ["snmptrap", "-v", "3", "-u", "alice", "-l", "authPriv", "-a", "SHA",
                                "-A", "authpass1", "-x", "AES", "-X", "privpass1", "-e", ENGINE,
                                f"127.0.0.1:{mgr.local_port}", "", TRAP_OID,
                                "1.3.6.1.2.1.1.5.0", "s", "secret-name"],
                          lambda: bool(rec.traps))
        assert proc.returncode == 0, proc.stderr
        assert len(rec.traps) == 1
        (direction, packet), = [t for t in traced if t[0] == 1]
        scoped = ber.decode_message(packet)[12]
        if decrypt:
            assert isinstance(scoped, tuple), "trace should show the plaintext ScopedPDU"
            assert scoped[2][4][-1] == ("1.3.6.1.2.1.1.5.0", 0x04, b"secret-name")
        else:
            assert isinstance(scoped, bytes) and b"secret-name" not in packet
    finally:
        mgr.deactivate()


def test_facade_incoming_context_and_usm_stats(impl, env):
    """IncomingContextEngineId / IncomingContextName inside on_trap; usmStats readable."""
    from peers import run_sender

    mgr, rec = mgr_and_recorder()
    seen = []
    mgr.on_trap = lambda ev: seen.append((mgr.config("IncomingContextEngineId"),
                                          mgr.config("IncomingContextName"), ev.user))
    try:
        mgr.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
        base = ["snmptrap", "-v", "3", "-u", "alice", "-l", "authPriv", "-a", "SHA", "-x", "AES",
                "-X", "privpass1", "-e", ENGINE, "-E", "0x8000000005aabbcc", "-n", "ctx-one"]
        target = [f"127.0.0.1:{mgr.local_port}", "", TRAP_OID]
        proc = run_sender(mgr, base + ["-A", "authpass1"] + target, lambda: bool(seen))
        assert proc.returncode == 0, proc.stderr
        assert seen == [("8000000005aabbcc", "ctx-one", "alice")]
        before = mgr.usm_stats["usmStatsWrongDigests"]
        rejected = []
        mgr.on_bad_packet = rejected.append
        run_sender(mgr, base + ["-A", "wrongpass1"] + target, lambda: bool(rejected))
        assert [r.error_code for r in rejected] == [308]
        assert mgr.usm_stats["usmStatsWrongDigests"] == before + 1
    finally:
        mgr.deactivate()
