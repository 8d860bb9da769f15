"""A check that schemathesis adds to the demo's run (``hooks`` in schemathesis.toml).

A schema says which requests are well formed; it cannot say which related rows exist,
which credentials are right or which version (ETag) a row has now.  The configuration
expects a 400 on schema-valid data for the operations that take related ids or
credentials, and a 412 for those that honour If-Match; this check makes sure that such
an answer says nothing else.
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


PRECONDITIONS = ("if-match", "if-none-match")


@schemathesis.check
def valid_data_rejected_only_for_unknowable_reasons(ctx, response, case):
    """A 400 on schema-valid data names only related ids that do not exist or wrong
    credentials; a 412 answers only a request that sent a precondition header."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code == 412:
        sent = {name.lower() for name in response.request.headers}
        if not sent & set(PRECONDITIONS):
            raise AssertionError("412 without If-Match or If-None-Match")
        return None
    if response.status_code != 400:
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
