"""Checks of chat-completion arguments shared by every inference implementation."""

from steps.errors import InvalidInputError


def stop_strings(max_tokens: int, temperature: float, stop: str | list[str] | None) -> list[str]:
    """Validate the generation budget and temperature; the stop strings as a list (empty ones dropped)."""
    if max_tokens < 1:
        raise InvalidInputError(f"max_tokens must be at least 1, got {max_tokens}")
    if temperature < 0:
        raise InvalidInputError(f"temperature must be >= 0, got {temperature}")
    if isinstance(stop, str):
        stop = [stop]
    return [s for s in (stop or []) if s]
