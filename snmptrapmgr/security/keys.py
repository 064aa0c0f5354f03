"""USM password-to-key and localization: the compiled twin when it is there.

``SNMPTRAPMGR_NO_EXTENSIONS=1`` forces the pure-Python twin (type checkers always
see it); otherwise ``snmptrapmgr.security._keys_c`` is used if it was built, else
``snmptrapmgr.security._keys_py``.  ``USING_CYTHON`` says which one loaded;
``snmptrapmgr._select.use()`` may rebind all three names at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["password_to_key", "localize_key", "USING_CYTHON"]

if TYPE_CHECKING:
    from ._keys_py import localize_key, password_to_key

    USING_CYTHON: bool
else:
    from .._select import bind

    bind(globals())
