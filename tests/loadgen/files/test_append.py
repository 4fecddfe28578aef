"""A result file appended by whole lines: pending text survives a refused write, cut never tears."""

from __future__ import annotations

from pathlib import Path

from loadgen.files._append import AppendFile


def test_lines_wait_in_memory_until_flushed_and_are_counted(tmp_path: Path) -> None:
    file = AppendFile(tmp_path / "requests.jsonl")
    try:
        file.write('{"seq": 0}\n')
        file.write('{"seq": 1}\n')
        assert (tmp_path / "requests.jsonl").read_bytes() == b""
        assert file.pending_chars == 22
        file.flush()
        assert (tmp_path / "requests.jsonl").read_text() == '{"seq": 0}\n{"seq": 1}\n'
        assert (file.lines, file.size, file.line_end, file.pending_chars) == (2, 22, 22, 0)
    finally:
        file.close()


def test_cut_drops_what_is_pending_and_the_torn_last_line(tmp_path: Path) -> None:
    file = AppendFile(tmp_path / "timeline.csv")
    try:
        file.write("1,2\n3,")
        file.flush()
        assert (file.lines, file.size, file.line_end) == (1, 6, 4)
        file.write("4\n")
        file.cut()
        file.flush()
        assert (tmp_path / "timeline.csv").read_text() == "1,2\n"
        assert (file.lines, file.size, file.pending_chars) == (1, 4, 0)
    finally:
        file.close()
