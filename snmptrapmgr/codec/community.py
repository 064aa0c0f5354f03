"""v1/v2c datagram -> event: the compiled ``_community_c`` when built, else ``_community_py``.

``CommunityDecoder(communities=None, codec="utf-8").decode(data, address)``
returns the trap or inform event of a v1/v2c datagram (``community`` the
text, ``community_bytes`` the octets as received; ``communities`` is a set of
octet strings, compared as bytes), None for an SNMPv3 one, and raises
SNMPTrapMgrError for anything else; ``trap_fields(varbinds)``
gives (snmpTrapOID.0, sysUpTime.0).  ``snmptrapmgr._select.use()`` may
rebind the names at run time; receivers built afterwards pick up the active
twin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["CommunityDecoder", "trap_fields", "USING_CYTHON"]

if TYPE_CHECKING:
    from ._community_py import CommunityDecoder, trap_fields

    USING_CYTHON: bool
else:
    from .._select import bind

    bind(globals())
