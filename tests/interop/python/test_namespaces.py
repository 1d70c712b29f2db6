"""Namespaces with python-socketio: /custom multiplexed with /, dynamic
/dyn-*, the /private middleware, unknown namespaces."""
import asyncio

import pytest
import socketio


def test_custom_multiplexed_with_root(server, transports, h):
    async def body(ctx):
        auth = {"who": "both", "n": [1, 2]}
        c = await ctx.connect(server.url, transports, namespaces=("/", "/custom"), auth=auth)
        # one Engine.IO session, one socket id per namespace
        assert c.sio.eio.sid
        assert c.sid("/") and c.sid("/custom") and c.sid("/") != c.sid("/custom")
        assert await c.next("auth", ns="/") == [auth]
        assert await c.next("auth", ns="/custom") == [auth]

    h.run(body)


def test_events_stay_in_their_namespace(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports, namespaces=("/", "/custom"))
        await c.next("auth", ns="/custom")
        await c.emit("message", "to custom", ns="/custom")  # /custom has no handler
        await c.emit("message", "to root", ns="/")
        assert await c.next("message-back", ns="/") == ["to root"]
        assert await c.call("message-with-ack", "sync", ns="/") == ["sync"]
        await asyncio.sleep(0.05)
        assert c.events("/custom") == [], c.log
        assert ("message-back", ["to custom"]) not in c.events("/")

    h.run(body)


def test_dynamic_namespace(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports, namespaces=("/dyn-abc",), auth={"d": "ÿ"})
        assert await c.next("auth", ns="/dyn-abc") == [{"d": "ÿ"}]
        assert await c.next("nsp", ns="/dyn-abc") == ["/dyn-abc"]

    h.run(body)


def test_two_dynamic_namespaces_multiplexed(server, transports, h):
    async def body(ctx):
        c = await ctx.connect(server.url, transports, namespaces=("/dyn-a1", "/dyn-2b"))
        assert await c.next("nsp", ns="/dyn-a1") == ["/dyn-a1"]
        assert await c.next("nsp", ns="/dyn-2b") == ["/dyn-2b"]

    h.run(body)


async def rejected(ctx, url, transports, ns, auth=None):
    """Connect to `ns` expecting a rejection; returns the connect_error data."""
    c = ctx.client(url, transports, namespaces=(ns,), auth=auth)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect()
    (data,) = await c.next("connect_error", ns=ns)
    assert ("connect", []) not in c.events(ns, exclude=())
    return data


def test_private_rejects_missing_token(server, transports, h):
    async def body(ctx):
        data = await rejected(ctx, server.url, transports, "/private")
        assert data == {"message": "unauthorized", "data": {"reason": "bad token"}}

    h.run(body)


def test_private_rejects_wrong_token(server, transports, h):
    async def body(ctx):
        data = await rejected(ctx, server.url, transports, "/private", auth={"token": "Secret"})
        assert data == {"message": "unauthorized", "data": {"reason": "bad token"}}

    h.run(body)


def test_private_accepts_secret(server, transports, h):
    async def body(ctx):
        auth = {"token": "secret", "extra": {"k": [True]}}
        c = await ctx.connect(server.url, transports, namespaces=("/private",), auth=auth)
        assert await c.next("auth", ns="/private") == [auth]

    h.run(body)


def test_unknown_namespace(server, transports, h):
    async def body(ctx):
        data = await rejected(ctx, server.url, transports, "/nope")
        assert data == {"message": "Invalid namespace"}

    h.run(body)


def test_dynamic_pattern_is_case_sensitive(server, transports, h):
    async def body(ctx):
        data = await rejected(ctx, server.url, transports, "/dyn-ABC")
        assert data == {"message": "Invalid namespace"}

    h.run(body)


def test_rejected_namespace_next_to_root(server, transports, h):
    async def body(ctx):
        c = ctx.client(server.url, transports, namespaces=("/", "/private", "/nope"))
        await c.connect(wait=False)
        (err,) = await c.next("connect_error", ns="/private")
        assert err == {"message": "unauthorized", "data": {"reason": "bad token"}}
        (err,) = await c.next("connect_error", ns="/nope")
        assert err == {"message": "Invalid namespace"}
        await c.next("connect", ns="/")
        assert await c.call("message-with-ack", 1) == [1]

    h.run(body)
