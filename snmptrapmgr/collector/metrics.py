"""Prometheus metrics of ``listen``: ``--metrics-listen HOST:PORT`` serves ``/metrics``.

Nothing is counted for Prometheus on the receive path: a scrape reads the
collector's own counters (:class:`~.stats.Counters`, the endpoints', the
outputs') through a snapshot function and turns them into metric families.
With ``--workers N`` the parent serves the sum of its workers' counters (each
publishes them about once a second), so the numbers are the whole collector's.

Metrics (all counters unless said): ``snmptrapmgr_notifications_total{version,pdu}``,
``snmptrapmgr_received_total`` (datagrams), ``snmptrapmgr_delivered_total``,
``snmptrapmgr_bad_packets_total{reason}``, ``snmptrapmgr_auth_failures_total{reason}`` (a
fixed set of reasons, :data:`~.stats.BAD_REASONS`; they add up to the stats line's totals),
``snmptrapmgr_informs_acknowledged_total``, ``snmptrapmgr_informs_unanswered_total``,
``snmptrapmgr_reports_sent_total``, ``snmptrapmgr_reports_suppressed_total``,
``snmptrapmgr_kernel_drops_total``, per output (one process only)
``snmptrapmgr_output_acknowledged_total{output}`` and
``snmptrapmgr_output_errors_total{output}``, the histogram
``snmptrapmgr_output_latency_seconds{output}`` (:mod:`.latency`), and the gauge
``snmptrapmgr_build_info{version,implementation}`` (always 1).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from .._select import current
from ..version import __version__
from .options import ConfigError
from .snmptrapd_conf import parse_address
from .stats import AUTH_REASONS, BAD_REASONS, KINDS

__all__ = ["MetricsServer", "SIMPLE"]

#: (stats field, metric name without the prefix and _total, help)
SIMPLE = (
    ("received", "received", "UDP datagrams received"),
    ("delivered", "delivered", "notifications stored by every output"),
    ("responses_sent", "informs_acknowledged", "informs answered (after their line was stored)"),
    ("informs_unanswered", "informs_unanswered", "informs never answered (too many or too long held)"),
    ("informs_duplicate", "informs_duplicate", "retransmitted informs answered again but stored once"),
    ("reports_sent", "reports_sent", "SNMPv3 Reports sent"),
    ("reports_suppressed", "reports_suppressed", "SNMPv3 Reports not sent (over the Report rate limits)"),
    ("kernel_drops", "kernel_drops", "datagrams the kernel dropped (receive buffer full)"),
    ("reply_send_errors", "reply_send_errors", "inform Responses and Reports the socket refused to send"),
)


class _Families:
    """A prometheus_client collector over a snapshot function (called once per scrape)."""

    def __init__(self, snapshot: Callable[[], tuple]) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        values, outputs = self.snapshot()
        info = GaugeMetricFamily("snmptrapmgr_build_info", "version and implementation",
                                 labels=["version", "implementation"])
        info.add_metric([__version__, current()], 1)
        yield info
        kinds = CounterMetricFamily("snmptrapmgr_notifications", "notifications accepted",
                                    labels=["version", "pdu"])
        for field, version, pdu in KINDS:
            kinds.add_metric([version, pdu], values.get(field, 0))
        yield kinds
        for field, name, text in SIMPLE:
            yield CounterMetricFamily(f"snmptrapmgr_{name}", text, value=values.get(field, 0))
        for prefix, name, text, reasons in (
                ("bad", "bad_packets", "datagrams that were not an acceptable notification",
                 [label for label, _ in BAD_REASONS] + ["other"]),
                ("auth", "auth_failures", "authentication failures (usmStats kinds, unknown communities, ACLs)",
                 [label for label, _ in AUTH_REASONS])):
            family = CounterMetricFamily(f"snmptrapmgr_{name}", text, labels=["reason"])
            for reason in reasons:  # the labels add up to the stats line's total
                family.add_metric([reason], values.get(f"{prefix}_{reason}", 0))
            yield family
        if outputs:
            from prometheus_client.core import HistogramMetricFamily

            acked = CounterMetricFamily("snmptrapmgr_output_acknowledged", "notifications an output stored",
                                        labels=["output"])
            errors = CounterMetricFamily("snmptrapmgr_output_errors", "failed writes or refusals of an output",
                                         labels=["output"])
            seconds = HistogramMetricFamily("snmptrapmgr_output_latency_seconds",
                                            "from a batch handed to an output to its acknowledgement, per "
                                            "notification", labels=["output"])
            for name, (count, failed, latency) in outputs.items():
                acked.add_metric([name], count)
                errors.add_metric([name], failed)
                if latency is not None:
                    seconds.add_metric([name], [(repr(le) if le != float("inf") else "+Inf", n)
                                                for le, n in latency.cumulative()], latency.total)
            yield acked
            yield errors
            yield seconds


class MetricsServer:
    """``/metrics`` over HTTP on ``address`` (HOST:PORT), fed by ``snapshot``."""

    def __init__(self, address: str, snapshot: Callable[[], tuple]) -> None:
        try:
            host, port = parse_address(address, default_port=-1)
        except ValueError as exc:
            raise ConfigError(f"metrics_listen: {exc}") from None
        if port < 0:
            raise ConfigError(f"metrics_listen: {address!r} needs a port (HOST:PORT)")
        from prometheus_client import CollectorRegistry, start_http_server

        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Families(snapshot))
        try:
            self.server, self.thread = start_http_server(port, host, registry=self.registry)
        except OSError as exc:
            raise ConfigError(f"metrics_listen: cannot listen on {address}: {exc.strerror or exc}") from None
        self.port = self.server.server_address[1]
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{self.port}/metrics"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def output_counts(outputs: list, latencies: Optional[list] = None) -> dict:
    """name -> (acknowledged, errors, its :class:`~.latency.Latency` or None) of each output, for
    one process's metrics."""
    out = {}
    for index, output in enumerate(outputs):
        name = getattr(output, "path", "") or getattr(output, "name", "") or output.type_name
        extra = output.counters()
        failed = extra.get("write_errors", 0) + extra.get("dropped", 0) + extra.get("errors", 0)
        out[str(name)] = (output.acked(), failed, latencies[index] if latencies else None)
    return out


def maybe_serve(address: Optional[str], snapshot: Callable[[], tuple]) -> Optional[MetricsServer]:
    return MetricsServer(address, snapshot) if address else None
