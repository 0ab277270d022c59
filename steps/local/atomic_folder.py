"""Write a folder all at once: fill a temporary sibling, then rename it into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_folder(target: Path, produce: Callable[[Path], None], replace: bool = False) -> None:
    """Fill a temporary sibling folder with `produce`, then rename it to `target`.

    Without `replace` the first writer wins (concurrent writers of one folder); with it an existing
    `target` is swapped out only once the new folder is complete, so a failed `produce` changes nothing.
    A folder counts as complete when it holds `config.json` (a Hugging Face model folder).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    old = None
    try:
        produce(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes 0700 folders
        if replace and target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".old-{target.name}-", dir=target.parent))
            os.rename(target, old / "previous")
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "config.json").is_file():  # lost a race only if the winner finished
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
