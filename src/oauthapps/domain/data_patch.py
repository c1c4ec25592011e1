"""Field modifications of a data item patch (``@wix/data`` ``patch()`` / ``bulkPatch()``): parsed
from the wire and applied to an item's data. Pure; the service reads, applies and writes the item
in one transaction."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import FieldViolation, ValidationFailed

MAX_MODIFICATIONS = 100
MAX_PATH_DEPTH = 8


class PatchAction(StrEnum):
    """The patch actions of Wix Data v2 (``ACTION`` in ``@wix/data``)."""

    SET_FIELD = "SET_FIELD"
    REMOVE_FIELD = "REMOVE_FIELD"
    INCREMENT_FIELD = "INCREMENT_FIELD"
    APPEND_TO_ARRAY = "APPEND_TO_ARRAY"
    REMOVE_FROM_ARRAY = "REMOVE_FROM_ARRAY"


# Where each action carries its operand (none for REMOVE_FIELD).
_OPTIONS = {
    PatchAction.SET_FIELD: "setFieldOptions",
    PatchAction.INCREMENT_FIELD: "incrementFieldOptions",
    PatchAction.APPEND_TO_ARRAY: "appendToArrayOptions",
    PatchAction.REMOVE_FROM_ARRAY: "removeFromArrayOptions",
}


@dataclass(frozen=True)
class FieldModification:
    path: tuple[str, ...]  # "address.street" -> ("address", "street")
    action: PatchAction
    value: Any = None


def _fail(path: str, description: str, rule: str) -> ValidationFailed:
    return ValidationFailed([FieldViolation(path, description, rule)])


def parse_modifications(raw: Any, path: str, field_name_ok: Any, system_fields: tuple[str, ...]) -> tuple[FieldModification, ...]:
    """``[{fieldPath, action, <action>Options: {value}}]``. ``field_name_ok`` tells a well-formed
    field name; a system field (``_id``, ``_owner``, ...) cannot be patched."""
    if not isinstance(raw, list) or not raw:
        raise _fail(path, "must be a non-empty list of field modifications", "REQUIRED")
    if len(raw) > MAX_MODIFICATIONS:
        raise ValidationFailed(
            [FieldViolation(path, f"has more than {MAX_MODIFICATIONS} modifications", "MAX_SIZE", {"max": MAX_MODIFICATIONS})]
        )
    out: list[FieldModification] = []
    for i, item in enumerate(raw):
        here = f"{path}[{i}]"
        if not isinstance(item, dict):
            raise _fail(here, "must be {fieldPath, action, ...Options}", "TYPE")
        action = item.get("action")
        if action not in tuple(PatchAction):
            raise _fail(f"{here}.action", f"must be one of {', '.join(PatchAction)}", "ENUM")
        action = PatchAction(action)
        field_path = item.get("fieldPath")
        parts = tuple(field_path.split(".")) if isinstance(field_path, str) else ()
        if parts and parts[0] in system_fields:
            raise _fail(f"{here}.fieldPath", f'"{parts[0]}" is a system field and cannot be patched', "READ_ONLY")
        if not parts or len(parts) > MAX_PATH_DEPTH or not all(field_name_ok(p) for p in parts):
            raise _fail(f"{here}.fieldPath", "must be field names joined by dots (letters, digits and _)", "FORMAT")
        value = None
        option = _OPTIONS.get(action)
        if option is not None:
            options = item.get(option)
            if not isinstance(options, dict) or "value" not in options:
                raise _fail(f"{here}.{option}.value", "is required", "REQUIRED")
            value = options["value"]
            if action == PatchAction.INCREMENT_FIELD and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise _fail(f"{here}.{option}.value", "must be a number", "TYPE")
        out.append(FieldModification(parts, action, value))
    return tuple(out)


def apply_modifications(data: dict[str, Any], modifications: tuple[FieldModification, ...], path: str) -> dict[str, Any]:
    """A new item data with the modifications applied in order; a modification that does not fit
    the item (incrementing text, appending to a number) is a violation naming it."""
    result = copy.deepcopy(data)
    for i, mod in enumerate(modifications):
        here = f"{path}[{i}]"
        parent: Any = result
        for part in mod.path[:-1]:
            child = parent.get(part)
            if child is None and mod.action != PatchAction.REMOVE_FIELD:
                child = parent[part] = {}
            if not isinstance(child, dict):
                if mod.action == PatchAction.REMOVE_FIELD and child is None:
                    break
                raise _fail(f"{here}.fieldPath", f'"{part}" is not an object in this item', "TYPE")
            parent = child
        else:
            _apply(parent, mod, here)
    return result


def _apply(parent: dict[str, Any], mod: FieldModification, here: str) -> None:
    key = mod.path[-1]
    current = parent.get(key)
    if mod.action == PatchAction.SET_FIELD:
        parent[key] = mod.value
    elif mod.action == PatchAction.REMOVE_FIELD:
        parent.pop(key, None)
    elif mod.action == PatchAction.INCREMENT_FIELD:
        if current is None:
            current = 0
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise _fail(f"{here}.fieldPath", "is not a number in this item, so it cannot be incremented", "TYPE")
        parent[key] = current + mod.value
    else:
        if current is None:
            current = []
        if not isinstance(current, list):
            raise _fail(f"{here}.fieldPath", "is not an array in this item", "TYPE")
        values = mod.value if isinstance(mod.value, list) else [mod.value]
        if mod.action == PatchAction.APPEND_TO_ARRAY:
            parent[key] = [*current, *values]
        else:
            parent[key] = [v for v in current if v not in values]
