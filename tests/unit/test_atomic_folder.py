"""Folders written all at once: a failed write changes nothing, a replaced folder appears complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from steps.atomic_folder import atomic_folder


def _write(text: str):
    return lambda folder: (folder / "data.txt").write_text(text)


def _complete(folder: Path) -> bool:
    return (folder / "data.txt").is_file()


def test_a_new_folder_appears_complete_with_no_temporary_left(tmp_path):
    atomic_folder(tmp_path / "out", _write("one"), complete=_complete)
    assert (tmp_path / "out" / "data.txt").read_text() == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_replace_swaps_the_folder_and_a_failed_write_keeps_the_old_one(tmp_path):
    target = tmp_path / "out"
    atomic_folder(target, _write("one"), complete=_complete)
    atomic_folder(target, _write("two"), complete=_complete, replace=True)
    assert (target / "data.txt").read_text() == "two"

    def fail(folder: Path) -> None:
        (folder / "data.txt").write_text("half")
        raise RuntimeError("write failed")

    with pytest.raises(RuntimeError, match="write failed"):
        atomic_folder(target, fail, complete=_complete, replace=True)
    assert (target / "data.txt").read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_without_replace_an_existing_complete_folder_wins(tmp_path):
    target = tmp_path / "out"
    atomic_folder(target, _write("first"), complete=_complete)
    atomic_folder(target, _write("second"), complete=_complete)  # the rename loses to the finished folder
    assert (target / "data.txt").read_text() == "first"
    (target / "data.txt").rename(target / "stray.txt")  # a non-empty folder that is not complete
    with pytest.raises(OSError):
        atomic_folder(target, _write("third"), complete=_complete)
