"""The step images: their names, and their tag from one place, the package version.

- `llmops-steps` (Dockerfile target `steps`): the project and its service clients (MLflow, NeMo SDK, Hugging
  Face Hub, lm-eval's task registry), no ML stack. Steps that only use the tracker, the datastore and the
  entity registry run in it on every platform; so does the Argo CD plugin that renders run specs.
- `llmops-steps-ml` (target `steps-ml`): the same plus torch (CPU), transformers, peft and accelerate. Steps
  that use a model port (customizer, deployer, inference, evaluator, guardrails) run in it: on the local
  platform those ports train, serve and score in the pod.

    python -m components.images                         # "<target> <image>" per line (make image reads it)
    python -m components.images --expect-version 0.1.0  # exit 1 unless the installed package has that version
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REGISTRY = "ghcr.io/llmops-gitops"


def package_version() -> str:
    """The installed package's version; in a source tree that is not installed, pyproject.toml's."""
    try:
        return version("llmops")
    except PackageNotFoundError:
        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        return str(tomllib.loads(pyproject.read_text())["project"]["version"])


VERSION = package_version()
STEPS_IMAGE = f"{REGISTRY}/llmops-steps:{VERSION}"
ML_IMAGE = f"{REGISTRY}/llmops-steps-ml:{VERSION}"
TARGETS = {"steps": STEPS_IMAGE, "steps-ml": ML_IMAGE}  # docker/Dockerfile target -> image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-version", metavar="VERSION", help="check the installed package's version")
    args = parser.parse_args(argv)
    if args.expect_version is not None:
        if args.expect_version != VERSION:
            print(
                f"the image is labelled version {args.expect_version!r} but the package it installs is {VERSION!r}: "
                "build with `make image`, which passes --build-arg VERSION from the package",
                file=sys.stderr,
            )
            return 1
        return 0
    for target, image in TARGETS.items():
        print(target, image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
