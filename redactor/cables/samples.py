"""Sample cables shipped with the package, for the demo: real cables of every level.

Eleven cables from the test corpus, chosen to show each classification a reviewer meets
(UNCLASSIFIED, UNCLASSIFIED//FOUO, CONFIDENTIAL, CONFIDENTIAL//NOFORN, SECRET,
SECRET//NOFORN), with the seed cable 09STATE52368 among them.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_cables"


def sample_cable_paths() -> list[Path]:
    """The sample cable files, sorted by name; import them with ``import_batch``."""
    return sorted(SAMPLE_DIR.glob("*.txt"))
