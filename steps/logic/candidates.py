"""The candidates of a run: which adapters it trains and compares.

A run spec's base model and customization settings describe one candidate. Its `candidates` section
(`CandidatesSection`) asks for several instead: `variants`, each overriding some of those settings, and a
`grid`, every combination of the listed values. `resolve` turns the settings and the section into the list
the pipeline fans out over; the run-spec loader calls it to reject a bad section before anything runs, and
step open-run calls it again on the workflow's parameters (a run submitted from the Argo UI gets the same
checks). Pure: no I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from steps.errors import InvalidInputError

MAX_CANDIDATES = 8
CANDIDATE_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoraOverride(_Strict):
    rank: int | None = Field(None, ge=1, le=256, description="LoRA rank (adapter_dim)")
    alpha: int | None = Field(None, ge=1, description="LoRA alpha")
    dropout: float | None = Field(None, ge=0, lt=1, description="LoRA dropout")


class Variant(_Strict):
    """One candidate: the run's settings with these replaced (a field left out keeps the run's value)."""

    name: str = Field(pattern=CANDIDATE_NAME, max_length=24, description="Candidate name (part of the adapter name)")
    base_model: str | None = Field(None, min_length=1, description="Base model id")
    lora: LoraOverride = LoraOverride()
    epochs: int | None = Field(None, ge=1, le=100, description="Training epochs")
    learning_rate: float | None = Field(None, gt=0, le=1, description="Peak learning rate")
    batch_size: int | None = Field(None, ge=1, le=1024, description="Batch size")
    max_steps: int | None = Field(None, ge=0, description="Cap on training steps (0 = no cap)")
    seed: int | None = Field(None, description="Training seed")


class Grid(_Strict):
    """Every combination of the listed values (a dimension left empty keeps the run's value)."""

    base_model: list[str] = Field(default_factory=list, description="Base model ids")
    lora_rank: list[int] = Field(default_factory=list, description="LoRA ranks")
    learning_rate: list[float] = Field(default_factory=list, description="Peak learning rates")
    epochs: list[int] = Field(default_factory=list, description="Training epochs")


class CandidatesSection(_Strict):
    variants: list[Variant] = Field(default_factory=list, description="Candidates named one by one")
    grid: Grid = Grid()


class Candidate(_Strict):
    """A candidate as the pipeline runs it: every customization setting, under its workflow parameter name."""

    name: str  # "" for the one candidate of a run without a candidates section
    base_model: str
    output_model: str
    lora_rank: int
    lora_alpha: int
    lora_dropout: float
    epochs: int
    learning_rate: float
    batch_size: int
    max_steps: int
    train_seed: int

    def settings(self) -> tuple:
        """What the candidate trains with (its names aside): two candidates with the same settings are one."""
        return tuple(v for k, v in self.model_dump().items() if k not in ("name", "output_model"))


class CandidateProblem(InvalidInputError):
    """A candidates section that cannot run; `loc` is the field's path below the section."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(f"candidates.{'.'.join(map(str, loc))}: {message}" if loc else f"candidates: {message}")
        self.loc = loc
        self.message = message


def _number(value: object) -> str:
    return f"{value:g}".replace(".", "p").replace("+", "")


def _grid_rows(grid: Grid) -> list[tuple[str, dict]]:
    dims: list[tuple[str, list, Callable[[int, object], str]]] = [
        ("base_model", grid.base_model, lambda i, v: f"m{i + 1}"),
        ("lora_rank", grid.lora_rank, lambda i, v: f"r{v}"),
        ("learning_rate", grid.learning_rate, lambda i, v: f"lr{_number(v)}"),
        ("epochs", grid.epochs, lambda i, v: f"e{v}"),
    ]
    used = [(field, values, label) for field, values, label in dims if values]
    if not used:
        return []
    for field, values, _ in used:
        if len(set(values)) != len(values):
            raise CandidateProblem(("grid", field), "lists a value twice; list each value once")
    rows: list[tuple[str, dict]] = []
    for combo in itertools.product(*(list(enumerate(values)) for _, values, _ in used)):
        overrides = {field: value for (field, _, _), (_, value) in zip(used, combo, strict=True)}
        name = "-".join(label(i, v) for (_, _, label), (i, v) in zip(used, combo, strict=True))
        rows.append((name, overrides))
    return rows


def _variant_overrides(variant: Variant) -> dict:
    values = {
        "base_model": variant.base_model,
        "lora_rank": variant.lora.rank,
        "lora_alpha": variant.lora.alpha,
        "lora_dropout": variant.lora.dropout,
        "epochs": variant.epochs,
        "learning_rate": variant.learning_rate,
        "batch_size": variant.batch_size,
        "max_steps": variant.max_steps,
        "train_seed": variant.seed,
    }
    return {k: v for k, v in values.items() if v is not None}


def resolve(run: Candidate, section: CandidatesSection | None) -> list[Candidate]:
    """The candidates of a run: `run` alone without a section (or an empty one), else the variants then the
    grid's combinations, each named and with its own adapter name (`<output_model>-<name>`).

    Raises CandidateProblem (with the field's path) on a repeated name, two candidates with the same
    settings, or more than MAX_CANDIDATES candidates.
    """
    if section is None or (not section.variants and not _grid_rows(section.grid)):
        return [run]
    planned: list[tuple[tuple[str | int, ...], str, dict]] = [
        (("variants", i), v.name, _variant_overrides(v)) for i, v in enumerate(section.variants)
    ]
    planned += [(("grid",), name, overrides) for name, overrides in _grid_rows(section.grid)]
    if len(planned) > MAX_CANDIDATES:
        raise CandidateProblem(
            (), f"{len(planned)} candidates; at most {MAX_CANDIDATES} run at once: list fewer variants or grid values"
        )
    out: list[Candidate] = []
    names: dict[str, tuple[str | int, ...]] = {}
    settings: dict[tuple, str] = {}
    for loc, name, overrides in planned:
        if name in names:
            raise CandidateProblem((*loc, "name") if loc[0] == "variants" else loc, f"the name {name!r} is used twice")
        candidate = run.model_copy(update={**overrides, "name": name, "output_model": f"{run.output_model}-{name}"})
        same = settings.get(candidate.settings())
        if same is not None:
            raise CandidateProblem(loc, f"candidate {name!r} trains with the same settings as {same!r}; drop one")
        names[name], settings[candidate.settings()] = loc, name
        out.append(candidate)
    return out


def base_models(candidates: Sequence[Candidate]) -> list[str]:
    """The distinct base models of the candidates, in order: each is evaluated once."""
    return list(dict.fromkeys(c.base_model for c in candidates))


def step_name(step: str, candidate: str) -> str:
    """The MLflow run name of a step of one candidate (the step's own name for the one candidate of a run
    without a candidates section, so such a run reads as it always did)."""
    return f"{step}-{candidate}" if candidate else step
