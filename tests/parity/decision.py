"""datatrove's filter results as the decision names the references use.

A filter's `filter()` returns True to keep, or False / `(False, reason)` to
drop; the references record "keep", the reason, or "drop" when there is none.
"""


def decision(result):
    if result is True:
        return "keep"
    if isinstance(result, tuple):
        return result[1] if not result[0] else "keep"
    return "keep" if result else "drop"
