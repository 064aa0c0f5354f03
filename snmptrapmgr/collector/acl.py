"""Who may send: the checks the receiver's community filter cannot make itself.

The receiver accepts or refuses a v1/v2c community by its octets
(:func:`community_set`, given to each endpoint).  What depends on more than
the community -- a community allowed only from some networks or for some
trap OIDs (snmptrapd's ``authCommunity ... SOURCE OID``), the least security
level of a v3 user (``authUser``) -- is checked per notification by the
function :func:`build_acl` returns, or not at all when nothing needs it.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from .config import CollectorConfig

__all__ = ["build_acl", "community_set"]


def community_key(event: Any) -> bytes:
    """The community octets as received (from the text when the event does not carry them)."""
    return event.community_bytes or event.community.encode("utf-8", "surrogateescape")


def community_set(config: CollectorConfig) -> Optional[set]:
    """The communities the endpoints accept (octets), None for any."""
    if config.communities is None:
        return None
    return {spec.community.encode("utf-8") for spec in config.communities}


def build_acl(config: CollectorConfig) -> Optional[Callable[[Any], bool]]:
    """``allowed(event)`` for what the community filter cannot check, or None if nothing is left."""
    communities = config.communities
    levels = config.user_levels
    plain = None
    restricted: dict = {}
    if communities is not None:
        plain = set()
        for spec in communities:
            name = spec.community.encode("utf-8")
            if spec.networks is None and not spec.oid:
                plain.add(name)
            else:
                restricted.setdefault(name, []).append(spec)
    if not restricted and not levels:
        return None

    def allowed(event: Any) -> bool:
        if event.snmp_version == 3:
            if not levels:
                return True
            need = levels.get(event.user)
            return need is not None and event.security_level >= need
        if plain is None:
            return True
        community = community_key(event)
        if community in plain:
            return True
        specs = restricted.get(community)
        return bool(specs) and any(s.allows(event.source_address, event.trap_oid) for s in specs)

    return allowed
