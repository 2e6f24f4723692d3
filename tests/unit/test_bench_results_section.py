"""bench.streams writes its "Venue streams" section into bench/RESULTS.md and leaves the
rest of the file (the table bench.run_all generates) as it was; run_all keeps the
section when it rewrites the file."""

from __future__ import annotations

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
