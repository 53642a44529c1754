"""Exception and warning categories that robustmed raises."""


class RobustmedError(Exception):
    """Base class for errors caused by user input (recipes, data, models).

    The CLI prints the message of these errors without a traceback.
    """


class RecipeError(RobustmedError, ValueError):
    """An analysis recipe is invalid."""


class OutputFolderError(RobustmedError, ValueError):
    """The ``--out`` folder cannot take this run (a file, unrelated files, or another run)."""


class DataError(RobustmedError, ValueError):
    """A dataset or batch does not match what the analysis needs."""


class SmallGroupWarning(UserWarning):
    """A subgroup is smaller than the minimum size, so its metrics are NaN."""
