"""The collector's outputs, by type name (Telegraf-style: one module per output).

The interface every output implements -- batches in, a watermark of what
was taken durably back, possibly later -- is documented in
:mod:`snmptrapmgr.collector.outputs.base`; :func:`create` builds an output
from its settings (``{"type": "file", "path": "-"}``), :func:`register`
adds a type.  The interface lives in ``base`` so that output modules
import it without importing this registry, which imports them.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..config import ConfigError
from .base import Batch, Output
from .file import FileOutput
from .forward import ForwardOutput
from .kafka import KafkaOutput
from .nats import NatsOutput

__all__ = ["Batch", "Output", "FileOutput", "create", "register", "types"]

_TYPES: dict[str, Callable[..., Output]] = {FileOutput.type_name: FileOutput.from_spec}
_TYPES[NatsOutput.type_name] = NatsOutput.from_spec  # nats-py is imported only when one is built
_TYPES[KafkaOutput.type_name] = KafkaOutput.from_spec  # confluent-kafka: likewise
_TYPES[ForwardOutput.type_name] = ForwardOutput.from_spec


def register(type_name: str, factory: Callable[..., Output]) -> None:
    """Make ``type_name`` buildable: ``factory(spec, **context)`` returns the Output."""
    _TYPES[type_name] = factory


def types() -> list:
    return sorted(_TYPES)


def create(spec: Mapping[str, Any], **context: Any) -> Output:
    """The output ``spec["type"]`` configured by ``spec`` (ConfigError / OSError if it cannot be)."""
    kind = spec.get("type", "")
    factory = _TYPES.get(kind)
    if factory is None:
        raise ConfigError(f"unknown output type {kind!r} (one of {', '.join(types())})")
    return factory(spec, **context)
