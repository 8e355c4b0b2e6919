"""The grammar of a cable as regular expressions, and the word lists the parser reads by.

Pure: standard library only. The patterns are written for whole-text scans (in C): comments
say why a pattern starts with a literal, or where a possessive quantifier rules out
backtracking that cannot succeed.
"""

from __future__ import annotations

import re
from operator import attrgetter, itemgetter

_W = r"[^\S\n]"  # whitespace other than a newline

# Portion markings: a grammar, not "any parenthesised token" -- (U.S.), (Afghanistan) and
# (Mideast) also follow paragraph numbers in real cables.
_LEVEL_U = r"(?:TS|SBU|SE|FOUO|S|C|U)"
_LEVEL_I = r"(?i:TS|SBU|SE|FOUO|S|C|U)"
_CAVEAT = (
    r"(?i:NF|NOFORN|FOUO|FGI|SBU|ORCON|OC|PROPIN|EXDIS|NODIS|LIMDIS|MR"
    rf"|REL(?:{_W}+TO)?{_W}+[A-Z]{{2,20}}(?:{_W}*[,/]{_W}*[A-Z]{{2,20}}){{0,12}})"
)
_SEP = rf"(?:{_W}*(?:/{{1,2}}|-){_W}*|{_W}+)"
_MARK_U = rf"\({_W}*{_LEVEL_U}(?:{_SEP}{_CAVEAT}){{0,4}}{_W}*\)"
_MARK_I = rf"\({_W}*{_LEVEL_I}(?:{_SEP}{_CAVEAT}){{0,4}}{_W}*\)"
# Looks like a marking but is not one we know: "(C - ENTIRE TEXT)", "(SECRET REL INDIA)".
# A single capital that is no level and no list letter ("(Q)") is an unknown mark too.
_MARKISH = (
    rf"\({_W}*(?:(?:TS|SBU|SECRET|CONFIDENTIAL|S|C|U)\b[A-Z/ ,\-]{{0,30}}"
    rf"|[JKLMNOPQRWYZ]{_W}*)\)"
)

_MARK_I_RE = re.compile(_MARK_I)

_NUMBER = r"(?P<num>\d{1,5}(?:\.\d{1,2}){0,2}|#)"
# A numbered line: "1. (C)", "1.(C)", "1)", "  12.  (S/NF)", "1. Summary: (SBU)", and a
# number glued to a dashed rule ("-------1.(U)").
# The possessive quantifiers (*+, {3,}+) only rule out backtracking that cannot succeed:
# what follows each of them starts with a character it does not take. A dashed rule line
# would otherwise be given back one dash at a time, looking for a number after each.
_NUM_BODY = (
    rf"(?P<nrule>[-=]{{3,}}+{_W}*+)?{_NUMBER}{_W}*+(?P<punct>[.)])(?=[\s(])(?!\.){_W}*+"
    rf"(?:(?:(?i:summary|comment){_W}*:?{_W}*)?(?P<mark>{_MARK_I})|(?P<markish>{_MARKISH}))?"
)
# A dashed rule: three or more of "-=_*", at most one space between two of them, and one
# space taken after the last. That is (?:[-=_*]{_W}?){3,}, written so that a run of dashes
# is taken at once rather than one repetition of a group per character.
_RULE_CHARS = rf"[-=_*](?:{_W}?[-=_*]){{2}}(?:[-=_*]++|{_W}(?=[-=_*]))*+{_W}?"
_LINE_BODY = (
    rf"{_W}*+(?:{_NUM_BODY}"
    rf"|(?P<let>[A-Za-z])[.)]{_W}*(?P<lmark>{_MARK_U})(?=\s|$)"
    rf"|(?P<bmark>{_MARK_U})(?=\s|$)"
    rf"|(?P<rule>{_RULE_CHARS})(?={_W}*(?:\n|$)))"
)
# Scans look for line starts through the newline before them: a pattern that begins with a
# literal lets the regex engine skip ahead in C instead of trying every position.
# With a "blank" group that never takes part, so that its groups are those of
# _PORTION_SCAN_RE, in the same order.
_LINE_HEAD_RE = re.compile(rf"{_LINE_BODY}(?P<blank>(?!))?")
_NUM_LINE_RE = re.compile(rf"^{_W}*{_NUM_BODY}", re.M)
# The look-ahead (what a numbered line can start with) turns most lines away before the
# optional rule group of _NUM_BODY is entered, which is costly to try at every line.
_NUM_SCAN_RE = re.compile(rf"\n{_W}*+(?=[-=\d#]){_NUM_BODY}")
# Paragraphs run together on one line (collapsed cables): "... End Summary. 2. (C) On ..."
# Found by the dot (a literal lets the engine skip ahead); the number is read backwards.
# The look-behind drops the dot of a number that starts its line ("\n2. (C)"), the usual
# hit, which cannot be a number in running text; it comes after the dot so that the scan
# still skips ahead to each dot in C. Before it, the look-ahead for the opening parenthesis
# of the marking turns away the dots of running text at once.
_NUM_MIDLINE_RE = re.compile(
    rf"\.(?={_W}*\()(?<!\n\d\.)(?<!\n\d\d\.){_W}*(?P<mark>{_MARK_U})"
)
_MIDLINE_AFTER = frozenset('.!?"”’)]:-')
_LETTER_LINE_RE = re.compile(
    rf"^{_W}*(?P<num>[A-Za-z])[.)]{_W}*(?P<mark>{_MARK_U})(?=\s|$)", re.M
)

_RULE_RE = re.compile(rf"^{_W}*(?P<rule>(?:[-=_*]{_W}?){{3,}})(?={_W}*(?:\n|$)|\d)", re.M)
# "SUMMARY -------" and "IBP DISCUSSES ... --------- ------": a title and its rule on one line.
# Possessive: giving back a dash or a space can never reach the end of the line, so a long
# rule that does not end its line fails at once instead of backtracking over every dash.
_DASHES_AT_EOL_RE = re.compile(rf"---++(?:{_W}+-+)*+{_W}*+(?=\n|$)")
# A short line that may be a heading standing alone ("SUMMARY", "Introduction and Comment").
_SHORT_LINE_BODY = rf"{_W}*(?P<line>[A-Z][^\n]{{0,78}}[^\s.,;:\\]){_W}*"
_SHORT_LINE_RE = re.compile(rf"{_SHORT_LINE_BODY}(?=\n{_W}*(?:\n|$)|$)")
# The portion scan: one pass over the lines of a region (each pass costs about as much as
# splitting the text into lines) finds two things at a newline:
# * a line head (_LINE_BODY). The look-ahead is a cheap screen (the first character a line
#   head can start with) that rejects most lines, which start with a word, before the full
#   grammar is tried; it only ever admits more lines than the grammar does. Before it, a
#   negative look-ahead turns away at once the most common line of all, one that starts
#   with a letter not followed by "." or ")": no line head or blank line starts so.
# * a blank line ("blank" ends it) followed by a line that starts with a capital and is
#   itself followed by a blank line (or the end): a possible standalone heading, checked
#   with _SHORT_LINE_RE. That line is skipped with a possessive [^\n]*+, because the
#   backtracking of _SHORT_LINE_BODY over every line that is not a heading (most of them)
#   costs more than the whole scan. The blank line is looked at, not consumed, so that its
#   newline is still tried for a line head.
_PORTION_SCAN_RE = re.compile(
    rf"\n(?![A-Za-z][^.)])(?:(?={_W}*+(?:[-=\d#(_*]|[A-Za-z][.)])){_LINE_BODY}"
    rf"|(?=(?P<blank>{_W}*\n){_W}*[A-Z][^\n]*+(?:\n{_W}*(?:\n|$)|$)))"
)
# The groups of a portion-scan match, in the order m.groups() gives them (the scan loop
# unpacks them by position), and the numbers of those whose start it needs.
_SCAN_GROUPS = (
    "nrule", "num", "punct", "mark", "markish", "let", "lmark", "bmark", "rule", "blank"
)
if _SCAN_GROUPS != tuple(_PORTION_SCAN_RE.groupindex) or _SCAN_GROUPS != tuple(
    _LINE_HEAD_RE.groupindex
):
    raise AssertionError("the portion-scan patterns no longer have the expected groups")
_G_NRULE, _G_NUM, _G_LET, _G_BMARK, _G_RULE, _G_BLANK = (
    _PORTION_SCAN_RE.groupindex[g] for g in ("nrule", "num", "let", "bmark", "rule", "blank")
)
_TITLE_WORDS = frozenset(
    "a an and the of to in on for with at by from or vs versus into over under about".split()
)

# "BRASILIA 00001300  002.3 OF 003": found by its digits, then the post name before them.
# The page number is now and then pushed onto a line of its own.
# Found through the two leading zeros of the 8-digit serial: a pattern that begins with a
# literal lets the engine skip ahead in C, and "00" is far rarer than the space before it
# (which the look-behind then checks).
_PAGE_NUMBERS_RE = re.compile(
    rf"00(?<= 00)\d{{6}}\s{{1,8}}\d{{3}}(?:\.\d)?{_W}+OF{_W}+\d{{3}}(?!\d)"
)
_PAGE_POST_RE = re.compile(rf"(?<![A-Za-z0-9])[A-Z]+(?:{_W}[A-Z'\-]+){{0,3}}{_W}+$")
_OLD_PAGE_RE = re.compile(rf"PAGE{_W}+\d{{2,3}}{_W}[^\n]*?\d{{6}}Z[^\n]*")
_PAGE_BREAK_RE = re.compile(
    rf"(?<![A-Za-z0-9])[A-Z]+(?:{_W}[A-Z'\-]+){{0,3}}{_W}+\d{{8}}\s{{1,8}}\d{{3}}"
    rf"(?:\.\d)?{_W}+OF{_W}+\d{{3}}(?!\d)|PAGE{_W}+\d{{2,3}}{_W}[^\n]*?\d{{6}}Z"
)
_CLASS_ONLY_LINE_RE = re.compile(
    rf"{_W}*(?:CONFIDENTIAL|SECRET|UNCLASSIFIED|LIMITED OFFICIAL USE){_W}*$"
)

# One pattern per letter, each starting with a single literal (see _LINE_HEAD_RE); the
# Cyrillic ones only for text that is not ASCII. (Probing with `"XXXX" in text` first costs
# more than the scan it would save.)
_WITHHELD_RES = tuple(re.compile(rf"{c}(?={c}{{3}}){c}*") for c in "Xx")
_WITHHELD_CYRILLIC_RES = tuple(re.compile(rf"{c}(?={c}{{3}}){c}*") for c in "Хх")

# The banner: classification word (letter-spaced, plain or garbled), optional SECTION, post
# and serial. Letter-spaced forms are matched case-insensitively ("S e c r e t"), plain words
# only in capitals (so that "Secretary" or "Confidential" at the start of a sentence are not
# banners).
_SP = rf"{_W}?"
_SPACED_CONF = rf"(?i:(?:C{_SP}){{0,2}}O{_W}N{_W}F{_W}I{_W}D{_W}E{_W}N{_W}T{_W}I{_W}A{_W}L)"
_SPACED_SECRET = rf"(?i:(?:T{_W}O{_W}P{_W}+)?(?:S{_SP}){{1,2}}E{_W}C{_W}R{_W}E{_W}T)"
_SPACED_UNCLAS = rf"(?i:(?:U{_SP}){{1,2}}N{_W}C{_W}L{_W}A{_W}S)"
_PLAIN_CLASS = r"(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|U?UNCLAS)"
_BANNER_CORE = (
    rf"{_W}*(?:\"+|\",\"|\.\.\.|Cable dated:\S*?)?{_W}*"
    rf"(?P<cls>{_SPACED_CONF}|{_SPACED_SECRET}|{_SPACED_UNCLAS}|{_PLAIN_CLASS}(?= +\S))"
    rf"(?![A-Za-z])"
    rf"(?P<rest>{_W}*(?:E{_SP}F{_SP}T{_SP}O{_W}+)?"
    rf"(?:(?i:S?ECTION){_W}+\d{{1,2}}{_W}+(?i:[OG]F){_W}+\d{{1,2}}{_W}+)?"
    rf"(?:[A-Za-z][A-Za-z.'\-]*{_W}+){{1,4}}\d{{3,6}}(?!\d))?"
)
# A tab-separated media row may run straight into the banner.
_BANNER_BODY = rf"(?:[^\n]*\t)?{_BANNER_CORE}"
_BANNER_RE = re.compile(rf"^{_BANNER_BODY}", re.M)
_BANNER_SCAN_RE = re.compile(rf"\n{_BANNER_BODY}")
# Without the tab-separated prefix, for the usual line or region with no tab in it (much
# faster: the prefix is otherwise looked for by backtracking over the whole line). The
# look-ahead is a cheap screen: the first character a banner can start with (any case, as
# the letter-spaced forms are read in any case); most preamble lines fail it.
_BANNER_SCREEN = rf"(?={_W}*(?:[\".]|(?i:[costu])))"
_BANNER_NOTAB_RE = re.compile(rf"^{_BANNER_SCREEN}{_BANNER_CORE}", re.M)
_BANNER_SCAN_NOTAB_RE = re.compile(rf"\n{_BANNER_SCREEN}{_BANNER_CORE}")
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,"
# What the first line of a body looks like (cable-format notes, section 2).
_BANNERLOOK = (
    rf"{_W}*(?:\"|\",\")?{_W}*(?:\.\.\.)?{_W}*(?:"
    rf"{_SPACED_CONF}|{_SPACED_SECRET}|{_SPACED_UNCLAS}|{_PLAIN_CLASS} +\S"
    rf"|{_WEEKDAY}|id:{_W}*\d|Cable dated:|<<\d+>>|\d+{_W}*(?:\n|$)"
    rf"|\d{{4}}-\d\d-\d\d \d\d:\d\d(?::\d\d)?\t|\"\d+\",|Class:\t)"
)
_HEADER_SPLIT_RE = re.compile(rf"\n{_W}*\n(?={_BANNERLOOK})")
_BLANK_LINE_RE = re.compile(rf"\n{_W}*\n")

_DTG_RE = re.compile(
    rf"(?:(?P<prec>[ZOPR](?:{_W}+[ZOPR])?){_W}+)?(?P<dtg>\d{{6}}Z{_W}+[A-Za-z]{{3}}{_W}+\d{{2}})\b"
)
_TO_RE = re.compile(rf"TO(?:{_W}+|(?=[A-Z0-9]{{4,}}/))")
_HEADER_PAGE_RE = re.compile(rf"PAGE{_W}+\d{{2,3}}\b")

# Preamble labels. Each alternative is one field type; a field runs to the next label of
# another type or to the end of its block.
_LABEL_RE = re.compile(
    rf"(?P<eo>(?:E\.{_SP}O\.|E\.o\.|(?<![A-Za-z])EO)(?=:?{_W}*:?{_W}*(?:\d{{4,5}}|DECL|N/A)))"
    rf"|(?P<decl>^{_W}*DECL{_W}*:)"
    rf"|(?P<tags>(?<![A-Za-z])(?:TAGS|Tags|TAG|AGS(?={_W}*:))(?:{_W}*:|{_W}+(?=[A-Za-z])))"
    rf"|(?P<subject>(?<![A-Za-z])(?:SUBJECT|Subject|SUBJ){_W}*:)"
    rf"|(?P<ref>(?<![A-Za-z])(?:REF\(S\)|Ref\(s\)|PROGRAM REF|REFTELS?|Reftels?|REFS?|Refs?)"
    rf"{_W}*:|^{_W}*REF{_W}+(?=[A-Z0-9(])|^{_W}*[A-Z]{{1,3}}:(?={_W}+(?:\(?A\)|A\.))"
    # Glued to the subject's last word ("...VISIT TO BAHRAINREF: MANAMA 510"): only where a
    # cable reference follows, so that a word ending in REF is not taken for the label.
    rf"|(?<=[A-Z’'\"])(?:REFS?|REFTELS?):(?={_W}*(?:\(?[A-Z][.)]{_W}*)?(?:\d{{2,4}}{_W}+)?"
    rf"[A-Z]{{3,}}(?:{_W}[A-Z]+)*{_W}+\d))"
    rf"|(?P<cby>(?<![A-Za-z])(?:CLASSIFIED|Classified|Classiied){_W}+(?:BY|By|by)\b"
    rf"|(?<=[A-Z’'\".])(?:Classified|Classiied){_W}+(?:By|by)\b)",
    re.M,
)
# Labels are found through these substrings (str.find is far faster than a regex with many
# alternatives), then confirmed by _LABEL_RE at the offset given.
_LABEL_KEYS = (
    ("E.", 0), ("EO", 0), ("DECL", 0), ("TAG", 0), ("Tag", 0), ("AGS", 0), ("SUBJ", 0),
    ("Subj", 0), ("REF", 0), ("Ref", 0), ("PROGRAM REF", 0), ("LASSIFIED", 1),
    ("lassified", 1), ("lassiied", 1),
)
_U_BEFORE_RE = re.compile(rf"\(U\){_W}*$")
# The E.O. statement itself, not an order named in running text.
_EO_LINE_RE = re.compile(
    rf"(?:E\.{_SP}O\.|E\.o\.|EO){_W}*:?{_W}*(?:\d{{4,5}}{_W}*:?{_W}*)?(?i:DECL|N/A|DNG)"
)
_BACKSLASH_LINE_RE = re.compile(rf"{_W}*\\{_W}*")
# A line that can continue a TAGS list: tag codes, person tags in parentheses, commas; not
# body text (lower case), metadata lines ("id: 67870", "DATE:") or a marked paragraph.
_TAGS_LINE_RE = re.compile(
    rf"{_W}*+(?:[A-Z][A-Z0-9&/\-]*+(?:{_W}*+\([^()\n]*+\))?+{_W}*+[,;]?+{_W}*+)++\\?{_W}*"
)
# The same for a list written in lower case: short codes only, so that body text (in lower
# case too) does not pass.
_TAGS_LINE_LOWER_RE = re.compile(
    rf"{_W}*+(?:[a-z][a-z0-9&/\-]{{0,5}}+(?:{_W}*+\([^()\n]*+\))?+{_W}*+[,;]?+{_W}*+)++\\?{_W}*"
)
# A line that cannot continue a SUBJECT: the body's handling notice, a heading over a rule.
_SUBJECT_STOP_RE = re.compile(
    rf"{_W}*(?:(?:ENTIRE{_W}+TEXT{_W}+)?(?i:SENSITIVE{_W}+BUT{_W}+UNCLASSIFIED)"
    rf"|(?:SUMMARY|Summary)(?:{_W}*(?:-{{3,}}|:)|{_W}*$))"
)
# Where a SUBJECT on one (collapsed) line runs on: a page-break line, the handling notice,
# "SUMMARY" over a rule or with a colon, a tab, a marked first paragraph.
_SUBJECT_TAIL_RE = re.compile(
    rf"{_W}+(?:[A-Z][A-Z ]{{1,30}}{_W}+\d{{6,8}}{_W}+\d{{3}}(?:\.\d)?{_W}+OF{_W}+\d{{3}}"
    rf"|(?:ENTIRE{_W}+TEXT{_W}+)?(?i:SENSITIVE{_W}+BUT{_W}+UNCLASSIFIED)\b"
    rf"|(?:SUMMARY|Summary){_W}*(?:-{{3,}}|:)"
    rf"|\d{{1,2}}{_W}*\.{_W}*\({_W}*(?:U|SBU|C|S|TS)(?:/[A-Z/ ]+)?\))"
    rf"|\t"
)
# The look-ahead is a cheap screen (the first letter of a caveat word, in any case) that
# rejects most lines before the case-insensitive alternatives are tried one by one.
_CAVEAT_LINE_RE = re.compile(
    r"(?=[^\S\n]*(?i:[celns]))"
    r"(?i:[^\S\n]*(?:(?:SIPDIS|NOFORN|SENSITIVE|EXDIS|NODIS|LIMDIS|STADIS|E F T O|EFTO"
    r"|SECRET|CONFIDENTIAL)[^\S\n]*)+)$"
)
_CAVEAT_WORD_RE = re.compile(r"(?i:SIPDIS|NOFORN|SENSITIVE|EXDIS|NODIS|LIMDIS|STADIS|E F T O|EFTO)")
_EFTO_RE = re.compile(r"E[^\S\n]?F[^\S\n]?T[^\S\n]?O")
_LETTER_START_RE = re.compile(rf"{_W}*(?:\(?[A-Za-z]\)|[A-Za-z]\.){_W}")
# A line that ends a wrapped TAGS/SUBJECT/Classified By field.
_STOP_LINE_RE = re.compile(
    rf"{_W}*(?:\.\.\.|\"|<<|[A-Z]{{1,3}}:{_W}+(?:\(?A\)|A\.)|{_SPACED_CONF}|{_SPACED_SECRET}|(?:\d{{1,3}}{_W}*[.)]{_W}*)?"
    rf"\({_W}*(?i:TS|SBU|S|C|U)\b[^)\n]{{0,30}}\)|(?:[-=]{_W}?){{3,}})"
)

_DECL_RE = re.compile(
    rf"(?:(?:E\.{_SP}O\.|EO|E\.o\.){_W}*:?{_W}*(?P<order>\d{{4,5}})?{_W}*:?{_W}*)?"
    rf"(?:(?i:DECL|DNG){_W}*:?{_W}*)?"
)
_DATE_RES = (
    (re.compile(r"(?<!\d)(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})(?!\d)"), "mdy"),
)

_CBY_LABEL_RE = re.compile(
    r"(?:\(U\)\s*)?(?:CLASSIFIED|Classified|Classiied)\s+(?:BY|By|by)\b\s*:?\s*"
    r"(?:(?:CLASSIFIED|Classified)\s+(?:BY|By|by)\b\s*:?\s*)?"
)
_REASON_KW_RE = re.compile(
    r"(?i)[,;.]?\s*(?:\b(?:for|per|under)\s+)?(?:\breasons?\b\s*:?|(?=\b1\s*\.\s*[456]\b))"
)
_BY_ORDER_RE = re.compile(r"[,;]?\s*(?:E\.\s?O\.|EO)\s*\d{4,5}\s*[,;:]?\s*$")
_SECTION_RE = re.compile(r"\b1\s*\.\s*([4-6])(?!\d)\s*\.?")
_SECTION_AGAIN_RE = re.compile(
    r"\s*(?:and\s+|&\s*)?1\s*\.\s*([4-6])(?!\d)\s*\.?(?=\s*\(?[a-h]\b)", re.I
)
# One token of a reasons list: "(b)", "b", "and" (also "a nd", split by a line wrap, tried
# before the letter "a"), "&", "+", ",", "/", "." between letters, "-" of a range ("(b)-(d)").
_REASON_TOKEN_RE = re.compile(
    r"\s*(?:(a\s?n\s?d)(?![a-z])|\(\s*([a-h])\s*\)|([a-h])(?![a-z0-9])|(-|through|thru)"
    r"|&|\+|,|/|\.(?=\s*\(?[a-h]\b)|\(|\))",
    re.I,
)

_REF_LETTER_RE = re.compile(
    r"(?<![A-Za-z0-9.])(?:\((?P<l1>[A-Za-z])\)|(?P<l2>[A-Za-z])[.)])(?=\s|$)"
)
_REF_DUP_LABEL_RE = re.compile(r"(?:\(?([A-Za-z])\)|([A-Za-z])[.:])\s*")
# Labels before the cable named in a REF item: "A.", "(B)", "REF:", "REF B", "REFTEL".
_REF_LEADING_RE = re.compile(
    r"^(?:(?:\(?[A-Z]\)|[A-Z][.:])\s*|REF(?:TELS?|S)?\b(?:\s+[A-Z]\b)?\s*:?\s*)+"
)
_CABLE_REF_RE = re.compile(
    r"(?:\(?(?P<y>\d{4}|\d{2})\)?\s+)?(?P<post>[A-Z][A-Z'\-]*(?:\s[A-Z][A-Z'\-]*){0,3})"
    r"\s+0*(?P<serial>\d{1,6})(?![\d/])"
)
_REF_REST_OK_RE = re.compile(r"\s*(?:$|[.,;:(\[]|AND\b|-|NOTAL|\.\.\.)")
_REF_NON_POST_WORDS = frozenset(
    "EMAIL E-MAIL MSG DTG IIR POINTS LETTER MEMO FAX TELCON MEETING NOTE PARA PARAGRAPH "
    "JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC JANUARY FEBRUARY MARCH APRIL JUNE "
    "JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER AND OF PAGE SECTION DAILY REPORT EMAILS "
    "XXXXXXXXXXXX".split()
)
# Lines after the signature: the end marks, the mirror's trailers of older cables ("2001VATICA03507
# - Classification: CONFIDENTIAL", a lone classification, ">"), the partial-extract note.
_TRAILER_RE = re.compile(
    r"(?:=+\s*CABLE ENDS\s*=+|NNNN|End Cable Text|[\"\\.\s>,]*|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|Declassified/Released.*|Systematic Review.*"
    r"|\d{4}[A-Z]+\d+\s*-\s*(?:Clas.*|(?:UNCLASSIFIED|CONFIDENTIAL|SECRET).*)"
    r"|(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|UNCLAS)[\s\"/A-Z]*"
    r"|.*original cable is not available\.?)",
    re.I,
)
_NAME_RE = re.compile(
    r"(?:(?:van|von|de|del|da|di|le|la|du)\s)?[A-Z][A-Za-z'’.\-]*"
    r"(?:\s(?:(?:van|von|de|del|da|di|le|la|du)\s)?[A-Z][A-Za-z'’.\-]*){0,3}"
)
# A signature glued to the last sentence: "... as warranted. McMullen", "... END COMMENT. KENNY".
_GLUED_SIGNATURE_RE = re.compile(
    r"[.!?\"”)]\s+(?P<name>[A-Z]{3,}(?:\s[A-Z]{2,})?|(?:Mc|Mac)?[A-Z][a-z]{2,}(?:-[A-Z][a-z]+)?)$"
)
_NOT_NAMES = frozenset(
    "END COMMENT SUMMARY NOTE TEXT BEGIN NNNN SIPDIS NOFORN CLASSIFIED UNCLASSIFIED "
    "CONFIDENTIAL SECRET SENSITIVE UNCLAS REPORT CABLE".split()
)

# Words that end a last sentence without being a signature.
_NOT_GLUED_NAMES = frozenset(
    "ACCORDINGLY COMMENT SUMMARY END TEXT NOTE WASHINGTON DEPARTMENT EMBASSY POST STATE "
    "THANKS THANK YES NO OK DONE".split()
)
_REF_ID_RE = re.compile(r"\d{2}[A-Z]+\d+")
_HOME_RE = re.compile(r"\d{2}([A-Z]+?)\d+$")
_UNKNOWN_POST_RE = re.compile(r"[A-Z]{3,}(?: [A-Z]{3,})?")
_BANNER_SECTION_RE = re.compile(r"S\s?E\s?C\s?T\s?I\s?O\s?N\s+0*(\d{1,2})\s+OF\s+0*(\d{1,2})\b")
_META_DATE_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d)")
_KNOWN_CLASSIFICATIONS = frozenset(
    {
        "CONFIDENTIAL",
        "CONFIDENTIAL//NOFORN",
        "SECRET",
        "SECRET//NOFORN",
        "UNCLASSIFIED",
        "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
        "TOP SECRET",
    }
)
_RANK = {"U": 0, "C": 1, "S": 2, "TS": 3}
_MARK_LEVEL_RE = re.compile(r"(TS|SBU|SE|FOUO|S|C|U)(?![A-Z])")
_MARK_WORD_RE = re.compile(r"[A-Z]+")
_REL_SPLIT_RE = re.compile(r"[\s,/]+")
_INFO_LOG_RE = re.compile(r"INFO\s+LOG-")
_PARENS_RE = re.compile(r"\([^()]*\)")
_TAG_TOKEN_RE = re.compile(r"\S+(?:\s+\([^()]*\))?")
_REF_SPLIT_RE = re.compile(r"[;\n]")
_SUBJECT_AGAIN_RE = re.compile(r"(?:SUBJECT|Subject)[^\S\n]*:")
_PARTIAL_EXTRACT = "This record is a partial extract"
_HEADER_KEYWORD_HEADS = frozenset({"TO", "IN", "XM", "PA", "FM", "Th"})
_CLASS_BLOCK_RE = re.compile(
    rf"^{_W}*(?P<line>(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED)(?://[A-Z0-9][A-Z0-9 \-]*)+)"
    rf"{_W}*(?=\n|$)",
    re.M,
)
_PASTED_RE = re.compile(
    r"^(?:\d+\t[\d/ :-]+\t(?P<rid>\d{2}[A-Z]+\d+)\t|VZCZC[A-Z0-9]{4,}[^\S\n]*\\?[^\S\n]*$)",
    re.M,
)
_DE_SERIAL_RE = re.compile(r"\nDE [A-Z]+ #(\d+)")
# A letter or a digit, of any script. Text without one (rules "-------", "--%---%--",
# "* * *", "~~~~", CSV escapes "\\") says nothing to review: it is no portion or heading.
_ALNUM_RE = re.compile(r"[^\W_]")
_BLOCK = "block"  # the "unknown" flag of a portion start marked by a classification block
_FIRST = itemgetter(0)
_FIRST_TWO = itemgetter(0, 1)
_START = attrgetter("start")
