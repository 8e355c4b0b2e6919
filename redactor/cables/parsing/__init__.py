"""The cable parser, in parts: text of a diplomatic cable into a frozen ``Cable``.

The public names live in :mod:`redactor.cables.parser` (which re-exports them from here);
the parts, each pure (standard library only):

- :mod:`~redactor.cables.parsing.model`: the frozen dataclasses of the result;
- :mod:`~redactor.cables.parsing.decode`: bytes into stored text;
- :mod:`~redactor.cables.parsing.patterns`: the grammar, as regular expressions;
- :mod:`~redactor.cables.parsing.markings`: portion markings read and normalised;
- :mod:`~redactor.cables.parsing.base`: the parser's state and span helpers;
- :mod:`~redactor.cables.parsing.header`: metadata lines and the telegram envelope;
- :mod:`~redactor.cables.parsing.fields`: banner, caveats and labelled preamble fields;
- :mod:`~redactor.cables.parsing.references`: REF items and the ids they name;
- :mod:`~redactor.cables.parsing.portions`: portions and headings;
- :mod:`~redactor.cables.parsing.structure`: the driver, body scans, :func:`parse_cable`.

The parser is one class, ``structure._Parser``, assembled from one reader class per part
(mixins over ``base._ParserBase``), so that each part reads the same state.


Pure: standard library only, no I/O. Every element carries ``[start, end)`` offsets in code
points into the stored cable text (see :func:`decode_cable_bytes`, the only way text enters
the system). The parser never raises on text that decodes: what it cannot place becomes a
:class:`ParseWarning` with an offset.

How a cable is read (the measured format is described in the project's cable-format notes):

1. The five metadata lines (reference id, created, released, classification, origin).
2. The telegram envelope ("header"): from after the metadata to the first blank line that is
   followed by a banner-looking line (splitting at the first blank line is wrong for a third
   of real cables, whose envelope holds blank lines itself).
3. The body preamble: anything a media partner put before the banner, the banner, caveat
   lines, then the labelled fields (E.O., TAGS, SUBJECT, REF, Classified By). The fields are
   found by their labels rather than by line position, because in real cables they are
   sometimes glued together on one line (``...003352SIPDISSIPDISNOFORNE.O. 12958: ...``).
4. The portions: numbered/lettered/bare-marked paragraphs and headings. A portion runs over
   its continuation blocks up to the next portion or heading.
5. The signature (the last non-blank line that is a name) and WikiLeaks' own withheld runs.

The work is done mostly by whole-text regular expression scans (in C) rather than by Python
loops over every line: parsing has to stay within ~10x the cost of merely reading and
splitting the text.
"""
