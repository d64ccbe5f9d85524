"""Errors that the CLI reports as one readable line instead of a traceback."""


class WsisbenchError(Exception):
    """A user-facing error: bad input, a missing file, an unknown name.

    The message must say which file or record is at fault and what is wrong with it.
    The CLI prints ``error: <message>`` and exits with status 2.
    """


class UnknownNameError(WsisbenchError, KeyError):
    """An unknown method, preset, benchmark or config key; the message lists the valid names."""

    def __init__(self, kind: str, name: str, valid):
        self.kind, self.name, self.valid = kind, name, sorted(valid)
        plural = f"{kind}s" if " " not in kind else "names"   # 'valid methods', but 'valid names' of a preset
        super().__init__(f"unknown {kind} {name!r}; valid {plural}: {', '.join(self.valid) or '(none)'}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


class DataError(WsisbenchError):
    """A dataset file that is missing, unreadable or inconsistent (names the file)."""
