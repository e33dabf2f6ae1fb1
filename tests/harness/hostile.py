"""What a broken or hostile client might post to /api/messages: any JSON value (a hypothesis
strategy), and bodies nested deeper than any parser should follow."""

from __future__ import annotations

import json

from hypothesis import strategies as st

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def nested_body(activity: dict[str, object], depth: int) -> bytes:
    """The activity with a `value` of `depth` arrays inside each other, as raw JSON."""
    return (json.dumps(activity)[:-1] + ', "value": ' + "[" * depth + "]" * depth + "}").encode()
