"""docker/Dockerfile read as data for the tests: its stages, instructions and pip installs (no Docker needed)."""

from __future__ import annotations

import importlib.util
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "docker" / "Dockerfile"


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, arguments)

    def all(self, instruction: str) -> list[str]:
        return [args for ins, args in self.instructions if ins == instruction]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages(path: Path = DOCKERFILE) -> dict[str, Stage]:
    found: dict[str, Stage] = {}
    current: Stage | None = None
    for ins, args in instructions(path.read_text()):
        if ins == "FROM":
            match = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", args, flags=re.IGNORECASE)
            assert match, f"{path}: every FROM names its stage (FROM image AS name): {args!r}"
            current = found[match[2]] = Stage(name=match[2], base=match[1])
        elif current is not None:
            current.instructions.append((ins, args))
    return found


def lineage(all_stages: dict[str, Stage], name: str) -> list[Stage]:
    """The stage and the stages it is built FROM, nearest first."""
    chain = [all_stages[name]]
    while chain[-1].base in all_stages:
        chain.append(all_stages[chain[-1].base])
    return chain


@dataclass
class PipInstall:
    stage: str
    flags: set[str]
    requirement_files: list[str]  # repository paths of the bind-mounted requirement files
    packages: list[str]  # other arguments (the project's wheel)


def pip_installs(all_stages: dict[str, Stage]) -> list[PipInstall]:
    out = []
    for stage in all_stages.values():
        for run in stage.all("RUN"):
            mounts = {
                m["target"]: m.get("source", "") for m in _mounts(run) if m.get("type") == "bind" and "from" not in m
            }
            for command in re.split(r"&&|;", re.sub(r"--mount=\S+", "", run)):
                words = shlex.split(command)
                if words[:2] != ["pip", "install"]:
                    continue
                flags, files, packages = set(), [], []
                rest = iter(words[2:])
                for word in rest:
                    if word in ("-r", "--requirement"):
                        target = next(rest)
                        files.append(mounts.get(target, f"(not bind-mounted: {target})"))
                    elif word in ("--index-url", "--extra-index-url"):
                        flags.add(f"{word}={next(rest)}")
                    elif word.startswith("-"):
                        flags.add(word)
                    else:
                        packages.append(word)
                out.append(PipInstall(stage.name, flags, files, packages))
    return out


def _mounts(run: str) -> list[dict[str, str]]:
    return [dict(part.split("=", 1) for part in spec.split(",")) for spec in re.findall(r"--mount=(\S+)", run)]


def load_tool() -> ModuleType:
    """docker/image_requirements.py (a script, not a package module: `docker` is also a PyPI package's name)."""
    spec = importlib.util.spec_from_file_location("image_requirements", ROOT / "docker" / "image_requirements.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
