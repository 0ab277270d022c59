"""Synthetic augmentation of a dataset's training rows: paraphrases of the user's request (docs/curation.md).

`plan(training, section)` says which rows are paraphrased and with which prompts; the step sends the prompts
to the generating model; `accept(requests, replies, others, section, generator)` filters what came back and
labels the new rows (`synthetic`, `augmented_from`, `generator`). Pure logic: records in, rows and a report out.
"""

from steps.logic.augmentation.augment import Augmented, Plan, Request, accept, plan
from steps.logic.augmentation.report import AugmentationReport
from steps.logic.augmentation.section import DEFAULT_PROMPT, PLACEHOLDER, AugmentationSection

__all__ = [
    "DEFAULT_PROMPT",
    "PLACEHOLDER",
    "AugmentationReport",
    "AugmentationSection",
    "Augmented",
    "Plan",
    "Request",
    "accept",
    "plan",
]
