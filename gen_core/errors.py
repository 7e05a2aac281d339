"""The one exception type that means "the input was bad, say so in one line".

Command lines print `str(error)` and exit non-zero; pages show it with `st.error`. Anything else that escapes is
a bug and keeps its traceback.
"""


class GenLabError(Exception):
    """A problem with the user's input (a name, a file, a folder), explained in one line."""


class DatasetUnavailable(GenLabError):
    """A dataset that exists but cannot be read here: files missing and no network to fetch them."""


class CheckpointError(GenLabError):
    """A checkpoint that cannot be loaded: missing, truncated, corrupt, or its card disagrees with its weights."""


class TrainingDiverged(GenLabError):
    """Training produced a loss or a weight that is NaN, infinite or absurdly large: nothing is saved."""
