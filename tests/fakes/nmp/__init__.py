"""A schema-checked fake of NeMo Platform's customization jobs and model deployments (see server.py)."""

from tests.fakes.nmp.server import Creation, FakeNmp

__all__ = ["Creation", "FakeNmp"]
