"""Field masks for partial updates, in the three forms clients send.

- current @wix/sdk: ``"mask": "a,b"`` (comma-joined string)
- REST docs and the sample-flows article: ``"mask": {"paths": ["a", "b"]}``
- an array: ``"mask": ["a", "b"]``
- old SDK: no mask at all; the caller then updates the writable fields present.
"""

from __future__ import annotations

from typing import Any

from .errors import FieldViolation, ValidationFailed


def parse_mask(raw: Any, field_name: str = "mask") -> list[str] | None:
    """Return the mask's paths, or None when no mask was sent."""
    if raw is None:
        return None
    if isinstance(raw, str):
        items: list[Any] = raw.split(",")
        where = field_name
    elif isinstance(raw, list):
        items = raw
        where = field_name
    elif isinstance(raw, dict):
        unknown = set(raw) - {"paths"}
        if unknown:
            raise ValidationFailed([FieldViolation(f"{field_name}.{min(unknown)}", "is not a field of a mask", "UNKNOWN_FIELD")])
        paths = raw.get("paths")
        if paths is None:
            return None
        if isinstance(paths, str):
            items = paths.split(",")
        elif isinstance(paths, list):
            items = paths
        else:
            raise ValidationFailed([FieldViolation(f"{field_name}.paths", "must be a list of field paths", "TYPE")])
        where = f"{field_name}.paths"
    else:
        raise ValidationFailed([FieldViolation(field_name, "must be a string, a list or {paths: [...]}", "TYPE")])
    paths_out: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ValidationFailed([FieldViolation(f"{where}[{i}]", "must be a string", "TYPE")])
        path = item.strip()
        if not path:
            continue
        if path not in paths_out:
            paths_out.append(path)
    return paths_out
