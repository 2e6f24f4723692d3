"""bench.streams writes its "Venue streams" section into bench/RESULTS.md and leaves the
rest of the file (the table bench.run_all generates) as it was; run_all keeps the
section when it rewrites the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench._common import Result, render_table
from bench.streams import SECTION_TITLE, existing_section, replace_section

TABLE = "# Benchmark results\n\n| figure |\n|---|\n| ingest |\n"


def section(value: str) -> str:
    return f"{SECTION_TITLE}\n\n| figure |\n|---|\n| {value} |\n"


def test_a_file_without_the_section_gets_it_appended_and_keeps_its_table() -> None:
    written = replace_section(TABLE, section("first"))
    assert written.startswith(TABLE)
    assert existing_section(written) == section("first")


def test_a_second_write_replaces_the_section_and_keeps_what_follows_it() -> None:
    document = replace_section(TABLE, section("first")) + "\n## Later\n\ntext\n"
    written = replace_section(document, section("second"))
    assert "first" not in written
    assert written.startswith(TABLE)
    assert existing_section(written) == section("second")
    assert written.endswith("## Later\n\ntext\n")


def test_a_file_without_the_section_has_none_to_keep() -> None:
    assert existing_section(TABLE) == ""


def test_added_rows_replace_the_row_of_the_same_setup_and_append_new_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bench.streams as streams

    first = [
        Result("lag", "5000 bots, 2 workers; disturbed", "b", "old", None),
        Result("takeover", "2 workers; 10 killed", "b", "kept", None),
    ]
    monkeypatch.setattr(streams, "BENCH_DIR", tmp_path)
    (tmp_path / "RESULTS.md").write_text(replace_section(TABLE, "\n".join(
        [SECTION_TITLE, "", render_table(first), ""]
    )))  # fmt: skip
    streams.add_rows(
        [
            Result("lag", "5000 bots, 2 workers; quiet", "b", "new", None),
            Result("lag", "5000 bots, lifted; quiet", "b", "added", None),
        ],
        "--only scale",
    )
    written = (tmp_path / "RESULTS.md").read_text()
    assert written.startswith(TABLE)
    rows = [line for line in existing_section(written).splitlines() if line.startswith("| ")]
    values = [row.split(" | ")[3] for row in rows[1:]]  # after the header
    assert values == ["new", "kept", "added"]
    assert "`bench/streams.py --only scale`" in written
