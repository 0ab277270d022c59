"""Pure logic shared by both platforms: record validation, anonymisation, formats, splits, metrics, gate.

Nothing in this package talks to a service; only `records.read_jsonl` reads a file.
"""
