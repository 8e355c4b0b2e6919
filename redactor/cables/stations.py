"""Station names as reference ids spell them, and canonical reference ids.

Pure: standard library only. The one input is the table shipped beside this module,
``stations.tsv`` (``FORM<TAB>STATION`` lines), learned from the reference ids and envelopes
of a real corpus by ``python -m bench.learn_stations`` (see that module for how). It is read
once, on first use, through :mod:`importlib.resources`, so it is found in a wheel as in a
checkout; no other file is ever read.

A reference names a cable as a telegram writes it (``SECSTATE 76108``, ``SAO PAULO 516``,
``KUALA LUMP 4317``, ``BEIJINJG 581``); :func:`canonical_station` turns the station into the
one word reference ids use (``STATE``, ``SAOPAULO``, ``KUALALUMPUR``, ``BEIJING``):

1. the words joined, apostrophes dropped, looked up in the table (aliases included);
2. else a noise word glued before or after a known station (``EFTOTRIPOLI`` -> ``TRIPOLI``,
   ``EMBASSY VIENNA`` -> ``VIENNA``, ``MEXICO CITY`` -> ``MEXICO``);
3. else the one station the written form is a prefix of (at least four letters:
   ``KUALALUMP``, ``ADDIS``, ``CASA``);
4. else the one station the form ends (at least five letters: ``HAGUE``, ``DELHI``);
5. else the one station at edit distance 1 (a letter changed, added, dropped or two swapped),
   for forms of at least five letters (``SECTATE``, ``QRIPOLI``, ``BISHIEK``);
6. else the citing cable's own station, if the form abbreviates it (``RIO``, ``TGG``);
7. else the joined words as written, marked unknown.

:func:`section_copy` reads the ids WikiLeaks gave to section copies of one cable
(``08ECTION01OF02MANAMA492``) and returns the canonical id of the cable (``08MANAMA492``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

# Words a telegram glues before the station of an id or a reference ("09EFTOTRIPOLI704").
_NOISE_PREFIXES = (
    "EFTO",
    "SIPDIS",
    "NOFORN",
    "SENSITIVE",
    "UNCLAS",
    "AMEMBASSY",
    "EMBASSY",
    "AMCONSUL",
    "CONSULATE",
)
# Words written after a station that its id leaves out ("MEXICO CITY 2636").
_NOISE_SUFFIXES = ("CITY",)
_SECTION_ID_RE = re.compile(
    r"^(?P<y>\d{2})S?ECTION(?P<n>\d{1,2})[A-Z0-9]{2}(?P<m>\d{1,2})(?P<post>[A-Z]+?)(?P<serial>\d+)$"
)


@cache
def table() -> dict[str, str]:
    """{written form, words joined: station} from ``stations.tsv`` (read once)."""
    out: dict[str, str] = {}
    data = resources.files(__package__).joinpath("stations.tsv").read_text(encoding="utf-8")
    for line in data.split("\n"):
        if not line or line.startswith("#"):
            continue
        form, _, station = line.partition("\t")
        out[form] = station or form
    return out


def _within_one_edit(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by one substitution, insertion, deletion or swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def _abbreviates(short: str, station: str) -> bool:
    """Whether ``short`` is written with letters of ``station`` in order, from its first."""
    if not short or not station or short[0] != station[0]:
        return False
    pos = 0
    for ch in short:
        pos = station.find(ch, pos) + 1
        if pos == 0:
            return False
    return True


@cache
def canonical_station(written: str, home: str | None = None) -> tuple[str, bool]:
    """``(station, known)`` for a station written as ``written`` (see the module docstring).

    ``home`` is the station of the citing cable: a post abbreviates its own name in its
    references ("RIO 346" in a cable of RIODEJANEIRO, "TGG 1798" in one of TEGUCIGALPA), so a
    form that no other rule places and that abbreviates ``home`` is ``home``. ``known`` is
    False when no rule matched and the station is the joined words as written.
    """
    joined = "".join(written.upper().split()).replace("'", "").replace("’", "")
    forms = table()
    if joined in forms:
        return forms[joined], True
    for noise in _NOISE_PREFIXES:
        rest = joined[len(noise) :]
        if joined.startswith(noise) and rest in forms:
            return forms[rest], True
    for noise in _NOISE_SUFFIXES:
        rest = joined[: -len(noise)]
        if joined.endswith(noise) and rest in forms:
            return forms[rest], True
    if len(joined) >= 4:
        stations = {s for f, s in forms.items() if f.startswith(joined)}
        if len(stations) == 1:
            return stations.pop(), True
    if len(joined) >= 5:
        stations = {s for f, s in forms.items() if f.endswith(joined)}
        if len(stations) == 1:
            return stations.pop(), True
    if len(joined) >= 5:
        stations = {s for f, s in forms.items() if len(f) >= 5 and _within_one_edit(joined, f)}
        if len(stations) == 1:
            return stations.pop(), True
    if home is not None and len(joined) >= 3 and _abbreviates(joined, home):
        return home, True
    return joined, False


def canonical_id(
    year: str, written_station: str, serial: int | str, home: str | None = None
) -> tuple[str, bool]:
    """``("08LONDON3082", known)``: the reference id of a cable a telegram names.

    ``year`` is two or four digits; the serial loses its leading zeros; ``home`` as for
    :func:`canonical_station`.
    """
    station, known = canonical_station(written_station, home)
    return f"{year[-2:]}{station}{int(serial)}", known


def section_copy(ref_id: str) -> tuple[str, int, int] | None:
    """``(canonical id, section, of)`` for the id of a section copy, else None.

    ``08ECTION01OF02MANAMA492`` -> ``("08MANAMA492", 1, 2)``; the station is repaired as in
    :func:`canonical_station` (``09SECTION02OF03QRIPOLI583`` -> ``09TRIPOLI583``). A plain
    id whose station carries a glued noise word (``09EFTOTRIPOLI704``) is not a section copy:
    see :func:`canonical_reference_id`.
    """
    m = _SECTION_ID_RE.match(ref_id)
    if not m:
        return None
    cid, _ = canonical_id(m.group("y"), m.group("post"), m.group("serial"))
    return cid, int(m.group("n")), int(m.group("m"))


_PLAIN_ID_RE = re.compile(r"^(\d{2})([A-Z]+?)(\d+)$")


def canonical_reference_id(ref_id: str) -> str | None:
    """The canonical form of a cable's own reference id, where it differs; else None.

    A section copy gives its cable's id; an id with a noise word glued to its station
    (``09EFTOTRIPOLI704``) gives the id without it. Other ids, known station or not, are
    their own canonical form (None).
    """
    sec = section_copy(ref_id)
    if sec is not None:
        return sec[0]
    m = _PLAIN_ID_RE.match(ref_id)
    if not m or m.group(2) in table():
        return None
    for noise in _NOISE_PREFIXES:
        rest = m.group(2)[len(noise) :]
        if m.group(2).startswith(noise) and rest in table():
            return f"{m.group(1)}{table()[rest]}{int(m.group(3))}"
    return None
