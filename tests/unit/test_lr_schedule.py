import pytest

from steps.logic.lr_schedule import warmup_cosine


def test_linear_warmup_then_cosine_down_to_the_floor():
    assert [warmup_cosine(s, 4, 20) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert warmup_cosine(4, 4, 20) == 1.0
    assert warmup_cosine(12, 4, 20) == pytest.approx(0.5)
    assert warmup_cosine(20, 4, 20) == pytest.approx(0.0) and warmup_cosine(30, 4, 20) == pytest.approx(0.0)
    assert warmup_cosine(12, 4, 20, floor=0.1) == pytest.approx(0.55)
    assert warmup_cosine(25, 4, 20, floor=0.1) == pytest.approx(0.1)
