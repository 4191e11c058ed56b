"""Anonymising production exports into a corpus that may be committed.

- :mod:`.keys`: the secret key (fail closed) and ``--generate-key``;
- :mod:`.pseudonyms`: HMAC-indexed pseudonyms, collision resolution; :mod:`.mapping`: the digest →
  pseudonym file;
- :mod:`.formats`: kinds of personal data, kept valid (Luhn, IBAN mod-97, e-mail shape, …);
- :mod:`.detect`: field detection by name and pattern detectors (``scan_text``, ``scan_record``);
- :mod:`.analysis` and :mod:`.classify`: which leaf of a record is what;
- :mod:`.text`: free-text scrubbing with what each record says about its people;
- :mod:`.engine`: the two passes over records (:mod:`.columns`: many flat records at once;
  :mod:`.resolve`: handing out one kind's pseudonyms; :mod:`.parallel`: work on several cores);
  :mod:`.io`: files; :mod:`.report`: counts only.

Heavy imports (Faker pools, pyarrow) happen on first use, not on import of this package.
"""

from __future__ import annotations

from .detect import Detection, scan_record, scan_text
from .engine import Anonymiser
from .keys import generate_key, load_key
from .pseudonyms import MappingFile, PseudonymTable
from .report import Report

__all__ = [
    "Anonymiser",
    "Detection",
    "MappingFile",
    "PseudonymTable",
    "Report",
    "generate_key",
    "load_key",
    "scan_record",
    "scan_text",
]
