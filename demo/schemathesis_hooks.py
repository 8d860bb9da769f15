"""A check that schemathesis adds to the demo's run (``hooks`` in schemathesis.toml).

A schema says which requests are well formed; it cannot say which related rows exist
or which credentials are right.  The configuration expects a 400 on schema-valid data
for the operations that take related ids or credentials; this check makes sure that
such a 400 says nothing else.
"""

import re

import schemathesis

# DRF's messages for a related pk that does not exist (PrimaryKeyRelatedField, and
# async_drf's backstop for a constraint the database reports) and for wrong credentials
# (AuthTokenSerializer).
UNKNOWABLE = re.compile(
    r'Invalid pk( ".*")? - object does not exist\.|Unable to log in with provided credentials\.',
    re.DOTALL,
)


@schemathesis.check
def valid_data_rejected_only_for_unknowable_reasons(ctx, response, case):
    """A 400 on schema-valid data names only related ids that do not exist, or wrong credentials."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    body = response.json()
    messages = [
        message
        for value in (body.values() if isinstance(body, dict) else [body])
        for message in (value if isinstance(value, list) else [value])
    ]
    if not messages or not all(UNKNOWABLE.fullmatch(str(message)) for message in messages):
        raise AssertionError(f"Schema-valid data rejected: {body}")
    return None
