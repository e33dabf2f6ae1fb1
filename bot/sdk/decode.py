"""Turning an incoming activity's JSON into botbuilder's `Activity`, without msrest's cost.

`Activity().deserialize(document)` walks msrest's generic deserializer: key extractors,
additional-property detection and type dispatch for each of the activity's 43 attributes and
of every nested model. Under load that was a tenth of a vote turn's CPU (py-spy, bench load).

`activity_from_json` builds the same objects from each model's own `_attribute_map` for the
values the Bot Framework schema expects — a string where the map says `str`, an object
where it names a model, a list of objects where it names a list of models — and hands the
whole document to msrest whenever a typed value is anything else, so odd input is converted
(or refused) exactly as msrest does it. Values the schema types as `object` (channelData,
value, attachment content) are taken as they are, not copied or checked: that is msrest's
result only for a document fresh from `json.loads`, which is what bot/web.py passes. tests/test_decode.py holds the two to the same
result on Teams' activities and on generated ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botbuilder.schema
from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model


class _Unusual(Exception):
    """A value the fast path does not convert; msrest will."""


def _text(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    raise _Unusual


def _flag(value: Any) -> Any:
    if value is None or type(value) is bool:
        return value
    raise _Unusual


def _whole(value: Any) -> Any:
    if value is None or type(value) is int:
        return value
    raise _Unusual


def _real(value: Any) -> Any:
    if value is None:
        return None
    if type(value) in (int, float):
        return float(value)
    raise _Unusual


def _moment(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is not str:
        raise _Unusual
    try:
        return Deserializer.deserialize_iso(value)
    except Exception:
        raise _Unusual from None


def _json(value: Any) -> Any:
    # msrest copies a generic object value by value; a document fresh from json.loads has
    # nothing shared, so the value itself is that copy.
    return value


def _texts(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is list and all(type(item) is str for item in value):
        return list(value)
    raise _Unusual


_BASIC: dict[str, Callable[[Any], Any]] = {
    "str": _text,
    "bool": _flag,
    "int": _whole,
    "float": _real,
    "iso-8601": _moment,
    "object": _json,
    "[str]": _texts,
}


def _model_class(name: str) -> type[Model] | None:
    found = getattr(botbuilder.schema, name, None)
    return found if isinstance(found, type) and issubclass(found, Model) else None


Fields = tuple[tuple[tuple[str, str, Callable[[Any], Any]], ...], frozenset[str]]
_FIELDS: dict[type, Fields] = {}


def _fields(model: type[Model]) -> Fields:
    """(attribute, JSON key, converter) for each attribute, and the JSON keys the model knows."""
    found = _FIELDS.get(model)
    if found is None:
        fields = tuple(
            (attribute, description["key"], _converter(description["type"]))
            for attribute, description in model._attribute_map.items()
        )
        found = _FIELDS[model] = fields, frozenset(key for _, key, _ in fields)
    return found


def _converter(kind: str) -> Callable[[Any], Any]:
    if kind in _BASIC:
        return _BASIC[kind]
    if kind.startswith("[") and kind.endswith("]"):
        item = _model_class(kind[1:-1])
        if item is not None:
            return lambda value: _models(item, value)
    else:
        model = _model_class(kind)
        if model is not None:
            return lambda value: _model(model, value) if value is not None else None
    return _only_none


def _only_none(value: Any) -> Any:
    if value is None:
        return None
    raise _Unusual


def _models(model: type[Model], value: Any) -> Any:
    if value is None:
        return None
    if type(value) is not list:
        raise _Unusual
    return [_model(model, item) if item is not None else None for item in value]


def _model(model: type[Model], data: Any) -> Model:
    if type(data) is not dict:
        raise _Unusual
    fields, known = _fields(model)
    made = model(**{attribute: convert(data.get(key)) for attribute, key, convert in fields})
    unknown = data.keys() - known
    if unknown:  # kept as msrest keeps them (Teams' mention entities live there)
        made.additional_properties = {key: data[key] for key in unknown}
    return made


def activity_from_json(document: dict[str, Any]) -> Activity:
    """The activity msrest's `Activity().deserialize(document)` would give, sooner.

    `document` is what `json.loads` returned (its `object`-typed values end up in the activity
    as they are). Raises what msrest raises for a document it cannot convert."""
    try:
        return _model(Activity, document)
    except _Unusual:
        return Activity().deserialize(document)
