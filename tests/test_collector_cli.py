"""``snmptrapmgr listen`` end to end: a subprocess fed by net-snmp and by a bounded loopback burst.

Every wait is bounded (deadlines), every sender is local (127.0.0.1 / ::1).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from bench.loadgen import FIRST_REQUEST_ID

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
NEEDS_NETSNMP = pytest.mark.skipif(shutil.which("snmptrap") is None, reason="net-snmp tools not installed")
PORT_LINE = re.compile(r"listening on udp6?:\[?([0-9a-fA-F.:]+)\]?:(\d+)")
DEADLINE = 20.0


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Listener:
    """``python -m snmptrapmgr listen ...`` as a subprocess; stderr collected in a file."""

    def __init__(self, tmp, *args, output=None):
        self.tmp = str(tmp)
        self.output = output or os.path.join(self.tmp, "out.jsonl")
        self.errpath = os.path.join(self.tmp, "err-%d.txt" % time.monotonic_ns())
        self.err = open(self.errpath, "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "snmptrapmgr", "listen", "--output", self.output, *args],
            stdout=subprocess.DEVNULL, stderr=self.err, env=_env(), cwd=self.tmp)
        self.ports = self._ports()

    def stderr(self):
        with open(self.errpath) as handle:
            return handle.read()

    def _ports(self):
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            found = PORT_LINE.findall(self.stderr())
            if found:
                return [(h, int(p)) for h, p in found]
            if self.proc.poll() is not None:
                raise AssertionError("listen exited: " + self.stderr())
            time.sleep(0.02)
        self.kill()
        raise AssertionError("no port line on stderr: " + self.stderr())

    @property
    def port(self):
        return self.ports[0][1]

    def lines(self, complete=True):
        """The JSON lines written; ``complete``: the file must end with a whole line."""
        if not os.path.exists(self.output):
            return []
        with open(self.output, encoding="utf-8") as handle:
            text = handle.read()
        if complete:
            assert text == "" or text.endswith("\n"), "a partial line was left"
        else:  # the writer may be in the middle of a batch
            text = text[:text.rfind("\n") + 1]
        return [json.loads(line) for line in text.splitlines()]

    def wait_lines(self, count, deadline=DEADLINE):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            lines = self.lines(complete=False)
            if len(lines) >= count:
                return lines
            time.sleep(0.05)
        return self.lines(complete=False)

    def terminate(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def final_stats(self):
        text = self.stderr()
        found = re.findall(r"snmptrapmgr (?:final|total)[^:]*: (.*)", text)
        assert found, text
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found[-1])}


@pytest.fixture
def listener(tmp_path):
    started = []

    def start(*args, **kw):
        proc = Listener(tmp_path, *args, **kw)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.err.close()


def _net_snmp(argv):
    tmp = tempfile.mkdtemp(prefix="netsnmp-")
    env = dict(os.environ, SNMPCONFPATH=tmp, SNMP_PERSISTENT_DIR=tmp)
    env.pop("MIBS", None)
    with open(os.path.join(tmp, "snmp.conf"), "w") as conf:
        conf.write("mibs :\n")
    try:
        res = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=DEADLINE)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    assert res.returncode == 0, res.stderr
    return res


def _loadgen(port, count, *extra, host="127.0.0.1"):
    res = subprocess.run([sys.executable, "-m", "bench.loadgen", "--host", host, "--port", str(port),
                          "--count", str(count), "--seconds", "20", *extra],
                         env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    sent = int(re.search(r"sent (\d+)", res.stderr).group(1))
    assert sent == count
    return sent


# ----------------------------------------------------------------------------- net-snmp

@NEEDS_NETSNMP
def test_netsnmp_v1_v2c_inform_v3_any_engine(listener, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(
        'communities = ["public"]\n'
        '[[user]]\nname = "anyuser"\nauth = "SHA"\nauth_password = "anyauthpass"\n'
        'priv = "AES"\npriv_password = "anyprivpass"\n')
    proc = listener("--config", str(config), "--host", "127.0.0.1", "--port", "0", "--numeric")  # exact dicts
    target = f"127.0.0.1:{proc.port}"
    _net_snmp(["snmptrap", "-v", "1", "-c", "public", target, "1.3.6.1.4.1.8072.2.3", "10.1.2.3",
               "6", "17", "555", "1.3.6.1.2.1.1.5.0", "s", "router-v1"])
    _net_snmp(["snmptrap", "-v", "2c", "-c", "public", target, "4242", "1.3.6.1.6.3.1.1.5.3",
               "1.3.6.1.2.1.2.2.1.1.7", "i", "7", "1.3.6.1.2.1.2.2.1.2.7", "s", "ge-0/0/7",
               "1.3.6.1.2.1.31.1.1.1.6.7", "C", "18446744073709551615", "1.3.6.1.2.1.4.20.1.1.1", "a",
               "192.0.2.1", "1.3.6.1.2.1.1.1.0", "x", "00FF10"])
    _net_snmp(["snmptrap", "-v", "2c", "-c", "wrong", target, "1", "1.3.6.1.6.3.1.1.5.1"])
    _net_snmp(["snmpinform", "-v", "2c", "-c", "public", "-t", "3", "-r", "1", target, "77",
               "1.3.6.1.6.3.1.1.5.4"])
    _net_snmp(["snmptrap", "-v", "3", "-u", "anyuser", "-l", "authPriv", "-a", "SHA", "-A", "anyauthpass",
               "-x", "AES", "-X", "anyprivpass", "-e", "0x80001f8880aabbccdd", target, "99",
               "1.3.6.1.6.3.1.1.5.2", "1.3.6.1.2.1.1.5.0", "s", "router-v3"])
    lines = proc.wait_lines(4)
    assert proc.terminate() == 0
    lines = proc.lines()
    assert len(lines) == 4, (lines, proc.stderr())
    by_oid = {(line["version"], line["pdu"]): line for line in lines}
    v1 = by_oid[("v1", "trap")]
    assert v1["community"] == "public" and v1["enterprise"] == "1.3.6.1.4.1.8072.2.3"
    assert v1["agent_address"] == "10.1.2.3" and v1["generic_trap"] == 6 and v1["specific_trap"] == 17
    assert v1["trap_oid"] == "1.3.6.1.4.1.8072.2.3.6.17"  # the reference's form
    assert v1["trap_oid_rfc3584"] == "1.3.6.1.4.1.8072.2.3.0.17"
    assert v1["uptime"] == 555
    assert v1["varbinds"][-1] == {"oid": "1.3.6.1.2.1.1.5.0", "type": "OctetString", "value": "router-v1"}
    v2 = by_oid[("v2c", "trap")]
    assert v2["trap_oid"] == "1.3.6.1.6.3.1.1.5.3" and v2["uptime"] == 4242
    values = {vb["oid"]: vb for vb in v2["varbinds"]}
    assert values["1.3.6.1.2.1.2.2.1.1.7"]["value"] == 7
    assert values["1.3.6.1.2.1.2.2.1.2.7"]["value"] == "ge-0/0/7"
    assert values["1.3.6.1.2.1.31.1.1.1.6.7"] == {"oid": "1.3.6.1.2.1.31.1.1.1.6.7", "type": "Counter64",
                                                 "value": 18446744073709551615}
    assert values["1.3.6.1.2.1.4.20.1.1.1"]["value"] == "192.0.2.1"
    assert values["1.3.6.1.2.1.1.1.0"]["value"] == "00ff10" and values["1.3.6.1.2.1.1.1.0"]["encoding"] == "hex"
    inform = by_oid[("v2c", "inform")]
    assert inform["trap_oid"] == "1.3.6.1.6.3.1.1.5.4"  # snmpinform exited 0: it was answered
    v3 = by_oid[("v3", "trap")]
    assert v3["user"] == "anyuser" and v3["security_level"] == 2
    assert v3["engine_id"] == "80001f8880aabbccdd" and "community" not in v3
    assert v3["varbinds"][-1]["value"] == "router-v3"
    stats = proc.final_stats()
    assert stats["received"] == 5 and stats["delivered"] == 4
    assert stats["auth_failures"] == 1 and stats["bad_packets"] == 1 and stats["responses_sent"] == 1


@NEEDS_NETSNMP
def test_snmptrapd_conf_import(listener):
    conf = os.path.join(DATA, "snmptrapd_collector.conf")
    proc = listener("--snmptrapd-conf", conf, "--listen", "127.0.0.1:0")
    err = proc.stderr()
    # unsupported lines are reported with their line numbers
    assert "snmptrapd_collector.conf:8:" in err and "snmptrapd_collector.conf:12:" in err
    assert "snmptrapd_collector.conf:13:" in err
    target = f"127.0.0.1:{proc.port}"
    # bob: fixed engine, SHA/AES, must use priv (authUser ... priv)
    _net_snmp(["snmptrap", "-v", "3", "-u", "bob", "-l", "authPriv", "-a", "SHA", "-A", "bob auth pass",
               "-x", "AES", "-X", "bob priv pass", "-e", "0x8000000001020304", target, "1",
               "1.3.6.1.6.3.1.1.5.1"])
    # carol: any engine, SHA-256 / AES-256 Reeder (AES256C)
    _net_snmp(["snmptrap", "-v", "3", "-u", "carol", "-l", "authPriv", "-a", "SHA-256", "-A", "carolauthpass",
               "-x", "AES256C", "-X", "carolprivpass", "-e", "0x80001f8880c0ffee01", target, "2",
               "1.3.6.1.6.3.1.1.5.2"])
    # dave: any engine, MD5 / AES-256 Blumenthal: both extensions in one config -> mode 2
    _net_snmp(["snmptrap", "-v", "3", "-u", "dave", "-l", "authPriv", "-a", "MD5", "-A", "daveauthpass",
               "-x", "AES256", "-X", "davepriv1", "-e", "0x80001f8880da7e0001", target, "3",
               "1.3.6.1.6.3.1.1.5.3"])
    # bob at authNoPriv is refused by "authUser log bob priv"
    _net_snmp(["snmptrap", "-v", "3", "-u", "bob", "-l", "authNoPriv", "-a", "SHA", "-A", "bob auth pass",
               "-e", "0x8000000001020304", target, "4", "1.3.6.1.6.3.1.1.5.4"])
    _net_snmp(["snmptrap", "-v", "2c", "-c", "public", target, "5", "1.3.6.1.6.3.1.1.5.5"])
    _net_snmp(["snmptrap", "-v", "2c", "-c", "private", target, "6", "1.3.6.1.6.3.1.1.5.5"])  # 127/8: ok
    _net_snmp(["snmptrap", "-v", "2c", "-c", "secret", target, "7", "1.3.6.1.6.3.1.1.5.5"])   # 10/8 only
    _net_snmp(["snmptrap", "-v", "2c", "-c", "viewed", target, "8", "1.3.6.1.6.3.1.1.5.5"])   # line not used
    lines = proc.wait_lines(5)
    assert proc.terminate() == 0
    lines = proc.lines()
    got = sorted((line.get("user") or line.get("community"), line["uptime"]) for line in lines)
    assert got == [("bob", 1), ("carol", 2), ("dave", 3), ("private", 6), ("public", 5)], proc.stderr()
    assert "CompatibilityMode 2" in proc.stderr()
    stats = proc.final_stats()
    assert stats["received"] == 8 and stats["delivered"] == 5 and stats["auth_failures"] == 3


# ----------------------------------------------------------------------------- bursts, workers, signals

def test_sigterm_after_burst_loses_nothing_delivered(listener):
    proc = listener("--host", "127.0.0.1", "--port", "0", "--rcvbuf", str(32 << 20))
    count = 20000
    _loadgen(proc.port, count, "--sequence")
    # SIGTERM right away: what the kernel queued must still be written
    assert proc.terminate() == 0
    lines = proc.lines()
    stats = proc.final_stats()
    ids = [line["request_id"] for line in lines]
    assert len(ids) == len(set(ids))  # never twice
    assert stats["delivered"] == len(lines)
    assert stats["received"] == len(lines)
    # everything the kernel accepted was written; what it dropped is counted, never silent
    assert len(lines) + stats["kernel_drops"] == count, stats
    assert set(ids) <= set(range(FIRST_REQUEST_ID, FIRST_REQUEST_ID + count))


def test_sigint_exits_zero_and_flushes(listener):
    proc = listener("--host", "127.0.0.1", "--port", "0")
    _loadgen(proc.port, 100)
    proc.wait_lines(100)
    assert proc.terminate(signal.SIGINT) == 0
    assert len(proc.lines()) == 100


def test_workers_two_exactly_once(listener, tmp_path):
    proc = listener("--host", "127.0.0.1", "--port", "0", "--workers", "2", "--rcvbuf", str(32 << 20))
    assert "workers=2" in proc.stderr()
    count = 4000
    # several senders (distinct source ports), so SO_REUSEPORT spreads them over both workers
    senders = [subprocess.Popen([sys.executable, "-m", "bench.loadgen", "--port", str(proc.port),
                                 "--count", str(count), "--sequence", "--seconds", "20"],
                                env=_env(), cwd=ROOT, stderr=subprocess.DEVNULL) for _ in range(4)]
    for sender in senders:
        assert sender.wait(60) == 0
    proc.wait_lines(4 * count)
    assert proc.terminate() == 0
    lines = proc.lines()
    stats = proc.final_stats()
    assert stats["kernel_drops"] == 0, stats
    keys = [(line["source"]["port"], line["request_id"]) for line in lines]
    assert len(keys) == 4 * count == len(set(keys))  # every trap exactly once
    assert stats["delivered"] == 4 * count
    workers = re.findall(r"final\[worker (\d)\]: received=(\d+)", proc.stderr())
    assert sorted(w for w, _ in workers) == ["0", "1"]


def test_ipv6_and_ipv4_together(listener):
    proc = listener("--listen", "127.0.0.1:0", "--listen", "[::1]:0")
    assert len(proc.ports) == 2
    (_, p4), (h6, p6) = proc.ports
    assert h6 == "::1"
    _loadgen(p4, 10)
    _loadgen(p6, 10, host="::1")
    lines = proc.wait_lines(20)
    assert proc.terminate() == 0
    sources = sorted({line["source"]["address"] for line in proc.lines()})
    assert sources == ["127.0.0.1", "::1"] and len(lines) == 20


def test_bad_config_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("listen = [\n")
    res = subprocess.run([sys.executable, "-m", "snmptrapmgr", "listen", "--config", str(bad)],
                         env=_env(), capture_output=True, text=True, timeout=DEADLINE)
    assert res.returncode == 2 and "bad.toml" in res.stderr


def _listen_once(*args):
    return subprocess.run([sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port", "0",
                           "--duration", "0.1", *args],
                          env=_env(), capture_output=True, text=True, timeout=DEADLINE)


@pytest.mark.parametrize("toml, words", [
    ('listen = "127.0.0.1:99999"\n', "bad port in '127.0.0.1:99999'"),
    ('workers = "many"\n', "workers: expected an integer, not 'many'"),
    # issue 14: values TOML reads as another kind are errors naming the key, never misread
    ('communities = "public"\n', "communities: expected a list, not 'public'"),
    ('inform_response = "false"\n', "inform_response: expected true or false, not 'false'"),
    ('workers = 1.5\n', "workers: expected an integer, not 1.5"),
    ('workers = 1180591620717411303424\n', "workers: 1180591620717411303424 is over the most allowed, 256"),
    ('listen = 162\n', "listen: expected a string or a list, not 162"),
    ('stats_interval = nan\n', "stats_interval: expected a finite number"),
    ('stats_interval = -5\n', "stats_interval: -5 is below the least allowed, 0"),
    ('stats_interval = 1e-9\n', "stats_interval: at least 0.1 s (or 0 for none)"),
    ('max_engines = 4611686018427387904\n', "max_engines: 4611686018427387904 is over the most allowed"),
    ('receive_buffer = 9223372036854775807\n', "receive_buffer: 9223372036854775807 is over the most allowed"),
    ('receive_buffer = inf\n', "receive_buffer: expected an integer, not inf"),
    ('outputs = "x.jsonl"\n', "unknown key 'outputs' (did you mean 'output'?)"),
    ('inform_ack = "later"\n', "inform_ack: 'later' is not one of 'after_output', 'on_receive'"),
    ('file_mode = "rw-r-----"\n', "file_mode: octal permissions like \"0640\""),
    ('output = "nats://127.0.0.1/snmp"\n', "'127.0.0.1' is not HOST:PORT"),
    ('output = "kafka://127.0.0.1:9092"\n', "kafka://HOST:PORT/TOPIC"),
    ('output = "mqtt://127.0.0.1:1883/t"\n', "unknown scheme 'mqtt'"),
    ('a = ' + '[' * 3000 + ']' * 3000 + '\n', "nested too deeply to read"),
    ('snmptrapd_conf = "/nonexistent/snmptrapd.conf"\n', "cannot read /nonexistent/snmptrapd.conf"),
    ('[user]\nname = "u"\nauth = "SHA"\n', "auth_password missing"),
])
def test_bad_config_says_what_to_fix(tmp_path, toml, words):
    path = tmp_path / "c.toml"
    path.write_text(toml)
    res = _listen_once("--config", str(path))
    assert res.returncode == 2 and words in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert res.stderr.count("c.toml") == 1  # named once, not once per layer


def test_bad_listen_address_and_unreadable_snmptrapd_conf(tmp_path):
    res = _listen_once("--listen", "[::1]:http")
    assert res.returncode == 2 and "--listen: bad port in '[::1]:http'" in res.stderr, res.stderr
    binary = tmp_path / "binary.conf"
    binary.write_bytes(b"createUser \xff\xfe\n")
    res = _listen_once("--snmptrapd-conf", str(binary))
    assert res.returncode == 2 and "binary.conf" in res.stderr and "Traceback" not in res.stderr, res.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_output_that_cannot_be_opened_exit_1(tmp_path, workers):
    target = str(tmp_path / "missing-dir" / "out.jsonl")
    res = _listen_once("--output", target, "--workers", workers)
    assert res.returncode == 1 and f"cannot open {target}: No such file or directory" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_communities_that_are_not_utf8_print_as_hex_and_never_alike(listener):
    """Issue 12: two communities that display alike ("\ufffd\ufffd") stay apart in the JSON."""
    proc = listener("--host", "127.0.0.1", "--port", "0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        tx.bind(("127.0.0.1", 0))  # one source port: the same header-cache slot but for the community
        for datagram in ("30140201010402fffea70b0201070201000201003000",  # the reproducers
                         "30140201010402feffa70b0201070201000201003000",
                         "301802010104067075626c6963a70b0201070201000201003000"):  # "public"
            tx.sendto(bytes.fromhex(datagram), ("127.0.0.1", proc.port))
    proc.wait_lines(3)
    assert proc.terminate() == 0
    got = [(line["community"], line.get("community_encoding")) for line in proc.lines()]
    assert got == [("fffe", "hex"), ("feff", "hex"), ("public", None)], proc.stderr()


@pytest.mark.parametrize("no_extensions, words", [("", "compiled (Cython) modules"),
                                                  ("1", "pure-Python modules (SNMPTRAPMGR_NO_EXTENSIONS is set)")])
def test_version_and_the_implementation_on_the_first_lines(no_extensions, words):
    import platform

    from snmptrapmgr import __version__

    env = {**_env(), "SNMPTRAPMGR_NO_EXTENSIONS": no_extensions}
    version = subprocess.run([sys.executable, "-m", "snmptrapmgr", "--version"], env=env, capture_output=True,
                             text=True, timeout=DEADLINE)
    kind = "python" if no_extensions else "cython"
    assert version.returncode == 0
    assert version.stdout.strip() == f"snmptrapmgr {__version__} ({kind}), Python {platform.python_version()}"
    res = subprocess.run([sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port", "0",
                          "--duration", "0.1"], env=env, capture_output=True, text=True, timeout=DEADLINE)
    assert f"snmptrapmgr: {__version__}, {words}" in res.stderr.splitlines()[:3], res.stderr
    assert re.search(r"^snmptrapmgr: local engine ID [0-9a-f]{10,64} ", res.stderr, re.M), res.stderr


def test_a_port_in_use_is_named_with_its_posix_name_and_what_to_do():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        res = _listen_once_at(taken.getsockname()[1])
    assert res.returncode == 1 and "Address already in use (EADDRINUSE): another process" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def _listen_once_at(port):
    return subprocess.run([sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port",
                           str(port), "--duration", "0.1"], env=_env(), capture_output=True, text=True,
                          timeout=DEADLINE)


# ----------------------------------------------------------------------------- --user (issue 14)

NO_SUCH_USER = "snmptrapmgr-no-such-user"


def _as_non_root():
    """argv prefix running a command as a user that is not root: as is when the tests are not root;
    as root, nobody through setpriv with CAP_DAC_READ_SEARCH alone (to read an interpreter installed
    under /root), which is not root to ``listen``: its euid is 65534."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("setpriv (util-linux) is needed to run the non-root cases as root")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--bounding-set=-all,+dac_read_search",
            "--inh-caps=-all,+dac_read_search", "--ambient-caps=-all,+dac_read_search"]


def _listen_as_non_root(*args):
    return subprocess.run([*_as_non_root(), sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1",
                           "--port", "0", "--duration", "0.1", *args],
                          env=_env(), cwd="/", capture_output=True, text=True, timeout=DEADLINE)


def _one_line(res, *words):
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.splitlines()) == 1, res.stderr
    assert "listening on" not in res.stderr  # refused before anything was bound
    for word in words:
        assert word in res.stderr, res.stderr


def test_user_that_does_not_exist_is_one_line_exit_2():
    res = _listen_as_non_root("--user", NO_SUCH_USER)
    _one_line(res, f"snmptrapmgr: --user {NO_SUCH_USER}: no such user on this system", "useradd --system")


def test_another_user_without_root_is_one_line_exit_2():
    import pwd

    current = subprocess.run([*_as_non_root(), "id", "-un"], capture_output=True, text=True, timeout=DEADLINE)
    other = "root" if current.stdout.strip() != "root" else pwd.getpwuid(65534).pw_name
    res = _listen_as_non_root("--user", other)
    _one_line(res, f"--user {other}: running as {current.stdout.strip()}, not root, so the user cannot change",
              "start as root, or leave out --user", "contrib/snmptrapmgr.service")


def test_the_user_it_already_runs_as_is_accepted_without_root():
    current = subprocess.run([*_as_non_root(), "id", "-un"], capture_output=True, text=True, timeout=DEADLINE)
    name = current.stdout.strip()
    res = _listen_as_non_root("--user", name)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    assert re.search(rf"^snmptrapmgr: running as user {re.escape(name)} \(uid \d+, gid \d+\), as started$",
                     res.stderr, re.M), res.stderr


@pytest.mark.parametrize("toml, words", [
    (f'run_as_user = "{NO_SUCH_USER}"\n', f"c.toml: run_as_user {NO_SUCH_USER}: no such user on this system"),
    ('run_as_user = 65534\n', "c.toml: run_as_user: expected a string, not 65534"),
    ('run_as_user = ""\n', "c.toml: run_as_user: an account name, not an empty string"),
    # "user" is the SNMPv3 [[user]] tables (TOML could not have both): the key to use is named
    ('user = "nobody"\n', 'c.toml: user: the [[user]] tables are SNMPv3 users; to run as the account '
                          '\'nobody\' write run_as_user = "nobody"'),
])
def test_run_as_user_in_the_toml_file(tmp_path, toml, words):
    path = tmp_path / "c.toml"
    path.write_text(toml)
    res = _listen_once("--config", str(path))
    _one_line(res, words)


def test_user_with_workers_is_one_line_exit_2():
    if os.geteuid() != 0:
        pytest.skip("only root can ask to change user with --workers (not root, --user NAME is refused first); "
                    "CI runs as root")
    res = _listen_once("--user", "nobody", "--workers", "2")
    _one_line(res, "--user nobody runs one process, not --workers 2", "contrib/snmptrapmgr.service")


def _free_port_below_1024():
    for port in range(900, 600, -1):  # test_contrib.py searches down from 1023
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free UDP port below 1024 on 127.0.0.1")


def _status(pid):
    with open(f"/proc/{pid}/status") as handle:
        return dict(line.rstrip("\n").split(":\t", 1) for line in handle if ":\t" in line)


@NEEDS_NETSNMP
def test_root_binds_port_below_1024_then_runs_as_nobody(listener, tmp_path):
    """As root: bind a port below 1024 and open the output in a directory only root can enter, then become
    nobody (every uid and gid, no capability) before the first datagram; a trap and an inform arrive."""
    import pwd

    if os.geteuid() != 0:
        pytest.skip("the success path of --user needs root (the tests do not run as root here); CI runs as root")
    nobody = pwd.getpwnam("nobody")
    private = tmp_path / "root-only"
    private.mkdir(mode=0o700)
    output = str(private / "traps.jsonl")
    port = _free_port_below_1024()
    proc = listener("--host", "127.0.0.1", "--port", str(port), "--user", "nobody", output=output)
    assert proc.port == port
    end = time.monotonic() + DEADLINE
    while "running as user nobody" not in proc.stderr():
        assert proc.proc.poll() is None and time.monotonic() < end, proc.stderr()
        time.sleep(0.02)
    assert f"running as user nobody (uid {nobody.pw_uid}, gid {nobody.pw_gid})\n" in proc.stderr()
    status = _status(proc.proc.pid)
    assert status["Uid"].split() == [str(nobody.pw_uid)] * 4, status["Uid"]
    assert status["Gid"].split() == [str(nobody.pw_gid)] * 4, status["Gid"]
    assert set(status["Groups"].split()) <= {str(g) for g in os.getgrouplist("nobody", nobody.pw_gid)}
    assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0, status
    _net_snmp(["snmptrap", "-v", "2c", "-c", "public", f"127.0.0.1:{port}", "", "1.3.6.1.6.3.1.1.5.3",
               "1.3.6.1.2.1.2.2.1.7.3", "i", "2"])
    _net_snmp(["snmpinform", "-v", "2c", "-c", "public", f"127.0.0.1:{port}", "", "1.3.6.1.6.3.1.1.5.1"])
    lines = proc.wait_lines(2)
    assert [(x["pdu"], x["trap_oid"]) for x in lines] == [("trap", "1.3.6.1.6.3.1.1.5.3"),
                                                         ("inform", "1.3.6.1.6.3.1.1.5.1")], proc.stderr()
    # the file was opened as root: nobody could not open it again, which it said at start and says on SIGHUP
    assert f"{output} is not writable by nobody" in proc.stderr()
    proc.proc.send_signal(signal.SIGHUP)
    end = time.monotonic() + DEADLINE
    while "still writing where it was" not in proc.stderr():
        assert proc.proc.poll() is None and time.monotonic() < end, proc.stderr()
        time.sleep(0.02)
    _net_snmp(["snmptrap", "-v", "2c", "-c", "public", f"127.0.0.1:{port}", "", "1.3.6.1.6.3.1.1.5.4"])
    assert len(proc.wait_lines(3)) == 3, proc.stderr()
    assert proc.terminate() == 0, proc.stderr()
    assert "Traceback" not in proc.stderr()
