"""The local platform's base models, served from the committed weights.

`llmops model build` (`steps.basemodel`) writes each base model, with `recipe.json` (the recipe,
its hash, the build time and the smoke-benchmark scores), into `steps/local/weights/<slug>/`, which
is committed. `ensure_base_model(name)` copies that folder into the workspace as
`models/<slug>-<12 hex of the recorded recipe hash>`: a Hugging Face model folder that
`AutoModelForCausalLM.from_pretrained` / `AutoTokenizer.from_pretrained` load offline.

The recorded hash is trusted here (nothing is rebuilt or re-hashed when serving); a test checks
that the committed weights were built from the current recipe.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from steps.atomic_folder import atomic_folder
from steps.errors import NotFoundError

WEIGHTS_DIR = Path(__file__).parent / "weights"


def slug(name: str) -> str:
    """File-system name of a model: `llmops/tiny-llama` -> `llmops-tiny-llama`."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")


def committed_model_dir(name: str) -> Path:
    """Where `llmops model build` writes a model's weights inside the package (committed to git)."""
    return WEIGHTS_DIR / slug(name)


def recorded_info(folder: Path) -> dict[str, Any] | None:
    """What `recipe.json` in a model folder records, or None when it is missing or unreadable."""
    try:
        info = json.loads((folder / "recipe.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def committed_models() -> list[str]:
    """Names of the base models whose weights are committed."""
    if not WEIGHTS_DIR.is_dir():
        return []
    infos = (recorded_info(folder) for folder in WEIGHTS_DIR.iterdir() if folder.is_dir())
    return sorted(info["name"] for info in infos if info and isinstance(info.get("name"), str))


def _recorded_hash(name: str) -> str:
    committed = committed_model_dir(name)
    info = recorded_info(committed)
    digest = info.get("recipe_hash") if info else None
    if not isinstance(digest, str) or not (committed / "config.json").is_file():
        available = ", ".join(committed_models()) or "none"
        raise NotFoundError(
            f"no committed weights for base model {name!r} (looked for config.json and recipe.json with a "
            f"recipe_hash in {committed}); committed base models: {available}. To add one, give it a recipe in "
            f"steps/basemodel/recipe.py, run `llmops model build --name {name}` and commit the folder it writes"
        )
    return digest


def _is_model(folder: Path) -> bool:
    """A complete Hugging Face model folder (config.json is what loading starts from)."""
    return (folder / "config.json").is_file()


def model_dir_for(name: str) -> Path:
    """The workspace folder of a committed base model (named after its recorded recipe hash)."""
    from steps.settings import workspace

    return workspace() / "models" / f"{slug(name)}-{_recorded_hash(name)[:12]}"


def ensure_base_model(name: str = "llmops/tiny-llama") -> Path:
    """Return the folder of the base model in the workspace, copied from the committed weights.

    Raises NotFoundError (saying how to build them) when no weights are committed for `name`.
    """
    target = model_dir_for(name)
    if _is_model(target):
        return target
    committed = committed_model_dir(name)

    def copy(tmp: Path) -> None:
        for item in committed.iterdir():
            shutil.copy2(item, tmp / item.name)

    atomic_folder(target, copy, complete=_is_model)
    return target
