"""The built-in mutation families; importing this module registers them.

Import order is registration order, which is the order families and operators are listed and
planned in (SPEC's order), so the imports must not be sorted.
"""

from __future__ import annotations

# isort: off
from . import duplicate  # noqa: F401
from . import missing  # noqa: F401
from . import out_of_pattern  # noqa: F401
from . import out_of_pattern_text  # noqa: F401
from . import connector_fault  # noqa: F401

# isort: on
