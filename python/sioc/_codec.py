"""Event arguments <-> (JSON text, attachments), as they cross into the C core.

Binary values (bytes, bytearray, memoryview) anywhere in the arguments are
swapped for Socket.IO placeholders {"_placeholder": true, "num": N}; the
bytes travel as attachment N.  Received placeholders become ``bytes``.
"""
import json
from typing import Any, List, Optional, Sequence, Tuple

_BINARY = (bytes, bytearray, memoryview)
_loads = json.loads


class _Slow(Exception):
    """The fast encoder met something only the full one handles."""


def _fast_default(o: Any) -> Any:
    raise _Slow


# json.dumps with non-default settings builds a JSONEncoder and then a C
# encoder on every call (~3.5 us of a 5 us encode).  The C encoder is built
# once here with the same settings, without the circular-reference check
# and with a default that gives up: binary values, unknown types, NaN, a
# cycle (RecursionError) all go to the full encoder below, which behaves
# (and fails) exactly as before.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_fast = (_c_make_encoder(None, _fast_default, json.encoder.encode_basestring, None,
                         ":", ",", False, False, False)
         if _c_make_encoder is not None else None)


def encode(args: Sequence[Any]) -> Tuple[str, Optional[list]]:
    """Returns (JSON array text, attachments or None).  Raises TypeError for
    values that are not JSON-serializable (with the offending type named)."""
    if _fast is not None:
        try:
            return "".join(_fast(list(args), 0)), None
        except (_Slow, ValueError, RecursionError):
            pass
    bins: list = []

    def default(o: Any) -> Any:
        if isinstance(o, _BINARY):
            bins.append(o)
            return {"_placeholder": True, "num": len(bins) - 1}
        if isinstance(o, (set, frozenset)):
            raise TypeError("a set is not a valid Socket.IO argument (use a list)")
        raise TypeError("Object of type %s is not a valid Socket.IO argument "
                        "(JSON types and bytes only)" % type(o).__name__)

    try:
        text = json.dumps(list(args), separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False, default=default)
    except ValueError as e:   # NaN/Infinity or a circular reference
        raise TypeError("invalid Socket.IO argument: %s" % e) from None
    return text, (bins or None)


# json.loads goes through JSONDecoder.decode, which matches a whitespace
# regex before and after the C scanner.  The core hands over validated
# JSON that starts at its first byte, so the scanner is called directly;
# anything unexpected goes to json.loads (same result, same errors).
_scan_once = json.decoder.JSONDecoder().scan_once


def decode(text: Optional[str], bins: Optional[List[bytes]]) -> list:
    """The arguments of a received packet as Python values."""
    if not text:
        return []
    if not bins:
        try:
            value, end = _scan_once(text, 0)
            if end == len(text):
                return value
        except (StopIteration, ValueError):
            pass
        return _loads(text)
    n = len(bins)

    def hook(d: dict) -> Any:
        if len(d) == 2 and d.get("_placeholder") is True:
            num = d.get("num")
            if type(num) is int and 0 <= num < n:
                return bins[num]
        return d

    return _loads(text, object_hook=hook)


def ack_args(result: Any) -> tuple:
    """A handler's return value as ack arguments: None -> no argument,
    a tuple -> several arguments, anything else -> one."""
    if result is None:
        return ()
    if isinstance(result, tuple):
        return result
    return (result,)
