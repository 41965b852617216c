"""One exception type for bad inputs, so that every rule fails with a message a user can act on."""

from __future__ import annotations


class InputError(ValueError):
    """A bad input file, URL or config value.

    The message names the offending file (or key), says what is wrong, and says how to fix it.
    """

    def __init__(self, source: object, problem: str, fix: str):
        self.source = str(source)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.source}: {problem}. Fix: {fix}")
