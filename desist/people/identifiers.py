"""Formats of the identifiers a participant may carry, as pure functions."""

from __future__ import annotations

import re

# Police National Computer ID: year (2 or 4 digits) / serial (up to 7 digits) check letter,
# e.g. 2012/0012345K. The check letter is (2-digit year and 7-digit serial as one number) mod 23,
# looked up in this alphabet (I, O, S omitted).
PNC_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
_PNC = re.compile(r"^(?P<year>\d{2}|\d{4})/(?P<serial>\d{1,7})(?P<check>[A-Z])$")
# Prison number (NOMS number): a letter, four digits, two letters, e.g. A1234BC.
_PRISON_NUMBER = re.compile(r"^[A-Z]\d{4}[A-Z]{2}$")
# Probation case reference number (CRN): a letter and six digits, e.g. X123456.
_CRN = re.compile(r"^[A-Z]\d{6}$")


def pnc_check_letter(year: str, serial: str) -> str:
    return PNC_CHECK_LETTERS[int(year[-2:] + serial.zfill(7)) % 23]


def normalise_pnc(value: str) -> str:
    """Canonical form YYYY/NNNNNNNL is not recoverable from a 2-digit year, so keep the year given
    and zero-pad the serial."""
    match = _PNC.match(value.strip().upper())
    if not match:
        return value.strip().upper()
    return f"{match['year']}/{match['serial'].zfill(7)}{match['check']}"


def pnc_error(value: str) -> str | None:
    match = _PNC.match(value.strip().upper())
    if not match:
        return "Enter a PNC number in the format 2012/0012345K"
    if pnc_check_letter(match["year"], match["serial"]) != match["check"]:
        return "Enter a PNC number with the right check letter"
    return None


def prison_number_error(value: str) -> str | None:
    if not _PRISON_NUMBER.match(value.strip().upper()):
        return "Enter a prison number in the format A1234BC"
    return None


def crn_error(value: str) -> str | None:
    if not _CRN.match(value.strip().upper()):
        return "Enter a probation case reference in the format X123456"
    return None
