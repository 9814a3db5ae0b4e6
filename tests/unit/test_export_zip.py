"""The export's ZIP read safely (issue 14 item 3): its files at its top or in one folder, nothing written outside
the import's own folder, and an archive with a path out of its folder, a link, an archive inside or an export file
twice refused whole, in one line, before the warehouse is needed."""

from __future__ import annotations

import csv
import io
import stat
import zipfile
from pathlib import Path

import pytest

from infra.local import export_import, pipeline
from infra.local.errors import WhoopError
from infra.local.settings import Settings
from snowpark_procs import export_import as rules
from tests.conftest import free_port


def _csv(headers: tuple[str, ...]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerow(["2026-01-02 07:00:00" if "time" in h else "1" for h in headers])
    return out.getvalue().encode()


FILES = {spec.name: _csv(spec.all_headers) for spec in export_import.FILES}


def _zip(path: Path, entries: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A WHOOP_HOME with nothing listening: whatever is refused here is refused before any connection."""
    return Settings(tmp_path / "home", "127.0.0.1", free_port(), free_port(), 7)


@pytest.mark.parametrize("inner", ["", "my_whoop_data/"], ids=["at-the-top", "in-a-folder"])
def test_the_zip_unpacks_to_the_export_files_only(tmp_path: Path, inner: str) -> None:
    entries = {inner + n: d for n, d in FILES.items() if n != "journal_entries.csv"}
    entries[inner + "README.txt"] = b"about your export"
    entries["__MACOSX/._sleeps.csv"] = b"resource fork"
    archive = _zip(tmp_path / "export.zip", entries)
    with export_import.unpacked(archive, tmp_path / "work") as folder:
        assert folder.parent == tmp_path / "work"
        assert sorted(p.name for p in folder.iterdir()) == ["physiological_cycles.csv", "sleeps.csv", "workouts.csv"]
        assert (folder / "sleeps.csv").read_bytes() == FILES["sleeps.csv"]
        headers = export_import.check_folder(folder)
    assert set(headers) == {"physiological_cycles.csv", "sleeps.csv", "workouts.csv"}
    assert list((tmp_path / "work").iterdir()) == []  # removed when the import ends


def test_an_unzipped_folder_in_a_folder_is_found(tmp_path: Path) -> None:
    inner = tmp_path / "export" / "my_whoop_data"
    inner.mkdir(parents=True)
    (inner / "sleeps.csv").write_bytes(FILES["sleeps.csv"])
    assert list(export_import.check_folder(tmp_path / "export")) == ["sleeps.csv"]


@pytest.mark.parametrize(
    ("entries", "links", "needle"),
    [
        ({"../sleeps.csv": FILES["sleeps.csv"]}, (), "entry '../sleeps.csv' points outside the archive's folder"),
        ({"x/../../evil.csv": b"a"}, (), "entry 'x/../../evil.csv' points outside"),
        ({"/tmp/sleeps.csv": FILES["sleeps.csv"]}, (), "entry '/tmp/sleeps.csv' points outside"),
        ({"C:/sleeps.csv": FILES["sleeps.csv"]}, (), "entry 'C:/sleeps.csv' points outside"),
        ({"sleeps.csv": FILES["sleeps.csv"]}, ("workouts.csv",), "entry 'workouts.csv' is a link"),
        ({"sleeps.csv": FILES["sleeps.csv"], "inner.zip": b"PK"}, (), "'inner.zip' is an archive inside the archive"),
        ({"a/b/sleeps.csv": FILES["sleeps.csv"]}, (), "'a/b/sleeps.csv' is nested deeper than one folder"),
        ({"sleeps.csv": b"a", "x/sleeps.csv": b"b"}, (), "sleeps.csv is in the archive twice"),
        ({"a/sleeps.csv": FILES["sleeps.csv"], "b/workouts.csv": FILES["workouts.csv"]}, (), "in different folders"),
        ({"README.txt": b"no export here"}, (), "no WHOOP export in export.zip: none of physiological_cycles.csv"),
    ],
    ids=["dot-dot", "dot-dot-inside", "absolute", "drive", "symlink", "nested-zip", "too-deep", "twice",
         "two-folders", "no-export-file"],
)  # fmt: skip
def test_an_unsafe_or_odd_zip_is_refused_whole(
    settings: Settings, tmp_path: Path, entries: dict, links: tuple, needle: str
) -> None:
    archive = _zip(tmp_path / "export.zip", entries, links)
    with pytest.raises(WhoopError) as e:
        pipeline.import_export(settings, archive, "ann")
    message = str(e.value)
    assert needle in message and "\n" not in message, message
    assert not (tmp_path / "evil.csv").exists() and not (tmp_path.parent / "sleeps.csv").exists()
    assert not list((settings.run_dir).glob("export-*/*"))  # nothing unzipped is left


def test_a_file_that_is_no_zip_or_a_broken_zip_is_one_line(settings: Settings, tmp_path: Path) -> None:
    text = tmp_path / "export.csv"
    text.write_bytes(FILES["sleeps.csv"])
    with pytest.raises(WhoopError, match=r"export\.csv is not a ZIP or a folder: pass the WHOOP export's ZIP"):
        pipeline.import_export(settings, text, "ann")
    broken = _zip(tmp_path / "broken.zip", {"sleeps.csv": FILES["sleeps.csv"] * 50})
    data = bytearray(broken.read_bytes())
    data[60:80] = b"\0" * 20  # the stored file's bytes: its CRC no longer matches
    broken.write_bytes(bytes(data))
    with pytest.raises(WhoopError, match=r"^broken\.zip: cannot read the ZIP \(") as e:
        pipeline.import_export(settings, broken, "ann")
    assert "\n" not in str(e.value)


def test_every_unrecognised_and_missing_header_is_listed() -> None:
    spec = export_import.FILES[1]
    header = ["Zyklusbeginn" if h == "Cycle start time" else h for h in spec.headers]
    header = [h for h in header if h not in ("Nap", "Sleep need (min)")] + ["Schlafbedarf (min)", "Nickerchen"]
    with pytest.raises(WhoopError) as e:
        export_import.check_header(spec, header)
    assert str(e.value).startswith(
        "sleeps.csv: unrecognised headers 'Zyklusbeginn', 'Schlafbedarf (min)', 'Nickerchen'; 3 expected header(s) "
        "missing: 'Cycle start time', 'Sleep need (min)', 'Nap' (the import reads exports in English: "
    ), str(e.value)


def test_a_listed_language_names_its_missing_headers_in_that_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """Made-up headers (WHOOP documents no translation): a file in a listed language maps to the English columns
    whatever its column order and case, and what it lacks is named as that language names it."""
    spec = export_import.FILES[3]
    made_up = {h: "Xx " + h[::-1] for h in spec.all_headers}
    languages = {**rules.HEADER_LANGUAGES, "Testish": {spec.name: {v: k for k, v in made_up.items()}}}
    monkeypatch.setattr(rules, "HEADER_LANGUAGES", languages)
    header = [made_up[h].upper() for h in reversed(spec.headers)]
    assert export_import.check_header(spec, header) == list(reversed(spec.headers))
    with pytest.raises(WhoopError) as e:
        export_import.check_header(spec, [*header[1:], "Notizen"])
    assert str(e.value).startswith(
        f"journal_entries.csv: unrecognised headers 'Notizen'; 1 expected header(s) missing: {made_up['Notes']!r} "
        "(the import reads exports in English, Testish: "
    ), str(e.value)
