"""Write a folder all at once: fill a temporary sibling, then rename it into place.

A leaf module (standard library only), like `steps.errors` and `steps.settings`: every layer that
writes a folder others may read concurrently (model copies, adapters, smoke sets) uses it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_folder(
    target: Path, produce: Callable[[Path], object], complete: Callable[[Path], bool], replace: bool = False
) -> None:
    """Fill a temporary sibling folder with `produce`, then rename it to `target`.

    Without `replace` the first writer wins: a rename that loses the race to a concurrent writer is
    fine when `complete(target)` holds. With `replace` an existing `target` is swapped out only once
    the new folder is complete, so a failed `produce` changes nothing; if the new folder cannot be
    renamed into place, the previous one is put back.
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
            if old is not None:
                if not target.exists():
                    os.rename(old / "previous", target)
                raise
            if not complete(target):  # lost a race only if the winner finished
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
