"""Curation of production records into training, validation and testing rows (docs/curation.md).

`curate(lines, rules, source=..., on_invalid=...)` is the entry point; the modules are its stages:
`log_records` (the record shape), `parse`, `privacy`, `dedup`, `selection`, `stratify`, `report`.
Pure logic: text lines in, rows and a report out; the step that reads and writes files wraps it.
"""

from steps.logic.curation.curate import Curated, curate
from steps.logic.curation.report import CurationReport
from steps.logic.curation.rules import CurationRules, CurationSection, CurationSelection

__all__ = ["Curated", "CurationReport", "CurationRules", "CurationSection", "CurationSelection", "curate"]
