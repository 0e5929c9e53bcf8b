"""Signal names and numbers a STOPSIGNAL may name, as Docker accepts them on Linux."""

from __future__ import annotations

from runtime.build.gotext import NumberError, atoi

_BASE = {
    "ABRT": 6, "ALRM": 14, "BUS": 7, "CHLD": 17, "CLD": 17, "CONT": 18, "FPE": 8, "HUP": 1,
    "ILL": 4, "INT": 2, "IO": 29, "IOT": 6, "KILL": 9, "PIPE": 13, "POLL": 29, "PROF": 27,
    "PWR": 30, "QUIT": 3, "SEGV": 11, "STKFLT": 16, "STOP": 19, "SYS": 31, "TERM": 15,
    "TRAP": 5, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "USR1": 10, "USR2": 12,
    "VTALRM": 26, "WINCH": 28, "XCPU": 24, "XFSZ": 25,
}  # fmt: skip
_RTMIN, _RTMAX = 34, 64


def _signal_names() -> dict[str, int]:
    names = dict(_BASE)
    names["RTMIN"] = _RTMIN
    names["RTMAX"] = _RTMAX
    for offset in range(1, 16):
        names[f"RTMIN+{offset}"] = _RTMIN + offset
    for offset in range(1, 15):
        names[f"RTMAX-{offset}"] = _RTMAX - offset
    return names


SIGNALS = _signal_names()


class SignalError(ValueError):
    """Neither a signal number nor a known signal name."""


def parse_signal(text: str) -> int:
    """The number of `TERM`, `SIGTERM`, `sigterm`, `15`, `RTMIN+3`...; raises SignalError."""
    try:
        number = atoi(text)
    except NumberError:
        name = text.upper()
        if name.startswith("SIG"):
            name = name[3:]
        if name not in SIGNALS:
            raise SignalError(f"invalid signal: {text}") from None
        return SIGNALS[name]
    if number == 0:
        raise SignalError(f"invalid signal: {text}")
    return number
