"""The export import's scan: every CSV problem is one line naming the file, the line and the reason, found before
anything is uploaded (issue 13: encoding, field size, delimiter, ragged rows)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from infra.local import export_import
from infra.local.errors import WhoopError

ROWS = 1200


def _value(header: str, n: int) -> str:
    if header == "Nap" or header == "GPS enabled" or header == "Answered yes":
        return "false"
    if "time" in header or "onset" in header:
        return f"2026-01-{1 + n % 28:02d} 07:00:00"
    if header == "Cycle timezone":
        return "UTC+01:00"
    if header in ("Activity name", "Question text", "Notes"):
        return f"text {n}"
    return str(n % 90)


def _export(folder: Path) -> Path:
    """Four well-formed files with the English headers, CRLF line ends as the WHOOP app writes them."""
    folder.mkdir()
    for spec in export_import.FILES:
        with (folder / spec.name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(spec.all_headers)
            writer.writerows([_value(h, n) for h in spec.all_headers] for n in range(ROWS))
    return folder


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\r\n")


def _write(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\r\n".join(lines))


def _error(folder: Path) -> str:
    with pytest.raises(WhoopError) as e:
        export_import.check_folder(folder)
    message = str(e.value)
    assert "\n" not in message
    return message


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    path = folder / "physiological_cycles.csv"
    lines = _lines(path)
    lines[1000] += b"\xff"
    _write(path, lines)
    message = _error(folder)
    assert message.startswith("physiological_cycles.csv line 1001: not UTF-8 text (byte 0xff)"), message


def test_a_field_over_the_varchar_limit_names_line_and_size(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    path = folder / "journal_entries.csv"
    lines = _lines(path)
    note = lines[2].rsplit(b",", 1)[0] + b","
    lines[2] = note + b"x" * (1024 * 1024)  # over the csv module's default 128 KiB, well under the limit: fine
    _write(path, lines)
    export_import.check_folder(folder)
    lines[2] = note + b"x" * (20 * 1024 * 1024)  # a 20 MB note
    _write(path, lines)
    message = _error(folder)
    assert message.startswith("journal_entries.csv line 3: field 6 is 20.0 MB, over the 16.0 MB"), message


@pytest.mark.parametrize("delimiter", [b";", b"\t"], ids=["semicolons", "tabs"])
def test_a_wrong_delimiter_is_named(tmp_path: Path, delimiter: bytes) -> None:
    folder = _export(tmp_path / "export")
    path = folder / "sleeps.csv"
    _write(path, [line.replace(b",", delimiter) for line in _lines(path)])
    message = _error(folder)
    assert message.startswith(f"sleeps.csv line 1: the fields are separated by {delimiter.decode()!r}, not commas")


@pytest.mark.parametrize(("cut", "found"), [(-1, "16 fields"), (1, "18 fields")], ids=["fewer", "more"])
def test_a_ragged_row_names_line_and_counts(tmp_path: Path, cut: int, found: str) -> None:
    folder = _export(tmp_path / "export")
    path = folder / "workouts.csv"
    headers = b",".join(h.encode() for h in export_import.FILES[2].headers)  # an older export: 17 columns
    lines = [headers] + [b",".join(line.split(b",")[:17]) for line in _lines(path)[1:] if line]
    lines[700] = b",".join(lines[700].split(b",")[:cut]) if cut < 0 else lines[700] + b",extra"
    _write(path, [*lines, b""])
    message = _error(folder)
    assert message.startswith(f"workouts.csv line 701: {found}, expected 17 as in the header"), message


def test_line_numbers_count_multiline_records(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    path = folder / "journal_entries.csv"
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    rows[1][5] = 'a note\r\nover three lines, "quoted"\r\n'  # record 1 spans file lines 2-4
    with path.open("w", newline="", encoding="utf-8-sig") as fh:  # with a byte order mark, which COPY skips
        csv.writer(fh).writerows(rows)
    assert export_import.check_folder(folder)["journal_entries.csv"] == list(export_import.FILES[3].all_headers)
    rows[10] = rows[10][:-1]  # record 10 starts on file line 13
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows(rows)
    assert _error(folder).startswith("journal_entries.csv line 13: 5 fields, expected 6")


def test_an_empty_line_and_an_unclosed_quote_are_named(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    path = folder / "sleeps.csv"
    lines = _lines(path)
    _write(path, [*lines[:50], b"", *lines[50:]])
    assert _error(folder).startswith("sleeps.csv line 51: an empty line, expected 18 as in the header")
    lines[-2] = lines[-2] + b',"never closed'
    _write(path, lines)
    assert _error(folder).startswith(f"sleeps.csv line {len(lines) - 1}: not valid CSV")
