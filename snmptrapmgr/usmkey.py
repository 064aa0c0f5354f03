"""USM password-to-key and localization: picks the compiled twin when it is there.

``SNMPTRAPMGR_NO_EXTENSIONS=1`` forces the pure-Python twin (type checkers always
see it); otherwise ``snmptrapmgr._usmkey_c`` is used if it was built.
``USING_CYTHON`` says which one loaded.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

__all__ = ["password_to_key", "localize_key", "USING_CYTHON"]

USING_CYTHON: bool

if TYPE_CHECKING or os.environ.get("SNMPTRAPMGR_NO_EXTENSIONS") == "1":
    from ._usmkey_py import localize_key, password_to_key

    USING_CYTHON = False
else:
    try:
        from ._usmkey_c import localize_key, password_to_key

        USING_CYTHON = True
    except ImportError:
        from ._usmkey_py import localize_key, password_to_key

        USING_CYTHON = False
