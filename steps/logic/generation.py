"""Checks of chat-completion arguments shared by every inference implementation."""

from typing import Any

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


def per_conversation_tools(tools: list[list[dict[str, Any]] | None] | None, conversations: int) -> list[list[Any]]:
    """The tools offered with each conversation of a batch (`[]`: none); `tools` is None or one entry each."""
    if tools is None:
        return [[] for _ in range(conversations)]
    if not isinstance(tools, list) or len(tools) != conversations:
        raise InvalidInputError(
            f"tools must hold one entry (a list of tools, or None) per conversation: {conversations} conversation(s), "
            f"got {len(tools) if isinstance(tools, list) else type(tools).__name__}"
        )
    for index, offered in enumerate(tools):
        if offered is not None and not (isinstance(offered, list) and all(isinstance(t, dict) for t in offered)):
            raise InvalidInputError(f"tools of conversation {index}: expected a list of tool objects, got {offered!r}")
    return [list(offered or []) for offered in tools]
