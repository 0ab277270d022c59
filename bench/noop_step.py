"""A step that does nothing: its wall time is the cost of starting a step process."""

from hera.workflows import Input, Output


class NoopInput(Input):
    value: str = ""


def noop(inputs: NoopInput) -> Output:
    return Output()
