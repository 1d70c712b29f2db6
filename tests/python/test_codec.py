"""The argument codec (sioc._codec) and the handler-signature cache: the fast
encoder must give exactly what json.dumps with the codec's settings gives,
leave binary, unknown types, NaN and cycles to the full encoder (same
results, same errors as before), and _takes_ack must answer per handler
even when it remembers."""
import functools
import json

import pytest

from sioc import _codec
from sioc._server import _takes_ack


def reference(args):
    return json.dumps(list(args), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@pytest.mark.parametrize("args", [
    (),
    ({"t": 100000012345678, "s": 1000000123, "p": "abc" * 20},),
    (1, -2.5, "a", None, True, False, [1, {"x": []}], {}),
    ("é\u2028\"\\\n\x00", "\U0001F600"),
    ({1: 2, None: 3, 1.5: 4, False: 5},),
    (10 ** 30, 1e300, -0.0),
])
def test_fast_path_is_json_dumps(args):
    text, bins = _codec.encode(args)
    assert text == reference(args)
    assert bins is None


def test_binary_becomes_placeholders_in_order():
    text, bins = _codec.encode((b"\x01", {"k": [bytearray(b"ab"), memoryview(b"c")]}))
    assert json.loads(text) == [{"_placeholder": True, "num": 0},
                                {"k": [{"_placeholder": True, "num": 1},
                                       {"_placeholder": True, "num": 2}]}]
    assert [bytes(b) for b in bins] == [b"\x01", b"ab", b"c"]
    back = _codec.decode(text, [bytes(b) for b in bins])
    assert back == [b"\x01", {"k": [b"ab", b"c"]}]


@pytest.mark.parametrize("bad, message", [
    ((float("nan"),), "invalid Socket.IO argument"),
    ((float("inf"),), "invalid Socket.IO argument"),
    (({1, 2},), "a set is not a valid Socket.IO argument"),
    ((object(),), "Object of type object is not a valid Socket.IO argument"),
])
def test_errors_are_those_of_the_full_encoder(bad, message):
    with pytest.raises(TypeError, match=message):
        _codec.encode(bad)


def test_cycles_are_refused_as_before():
    a = []
    a.append(a)
    d = {}
    d["x"] = {"y": d}
    for v in (a, d):
        with pytest.raises(TypeError, match="Circular reference detected"):
            _codec.encode((v,))


def test_takes_ack_per_handler():
    def with_ack(x, ack=None):
        pass

    def without(x):
        pass

    class Handlers:
        def m_ack(self, ack):
            pass

        def m(self):
            pass

        def __call__(self, ack=None):
            pass

    h1, h2 = Handlers(), Handlers()
    for _ in range(2):   # the second round is answered from the cache
        assert _takes_ack(with_ack) is True
        assert _takes_ack(without) is False
        assert _takes_ack(h1.m_ack) is True and _takes_ack(h2.m_ack) is True
        assert _takes_ack(h1.m) is False
        assert _takes_ack(h1) is True
        assert _takes_ack(functools.partial(without, 1)) is False
        assert _takes_ack(functools.partial(with_ack, 1)) is True
        assert _takes_ack(lambda *a, ack=None: None) is True
        assert _takes_ack(print) is False


@pytest.mark.parametrize("text", [
    '[]', '[1,2]', '[1, 2] ', '["é\\u2028\\ud800"]', '[{"a":[{"b":null}]},true,-0.0,1e400]',
    '[{"t":100000012345678,"s":1000000123,"p":"abc"}]',
])
def test_decode_is_json_loads(text):
    assert repr(_codec.decode(text, None)) == repr(json.loads(text))


def test_decode_placeholders_only_with_attachments():
    text = '[{"_placeholder":true,"num":0},{"_placeholder":true,"num":5}]'
    assert _codec.decode(text, None) == json.loads(text)
    assert _codec.decode(text, [b"x"]) == [b"x", {"_placeholder": True, "num": 5}]
