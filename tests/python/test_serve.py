"""io.serve() / io.serve_file(): fixed documents on the server's own port,
next to the Socket.IO mount, in both flavours (the chat demo's server.py
serves its page and the client bundle this way)."""
import asyncio
import http.client

import pytest
import socketio

import sioc

from conftest import Harness, eventually, run


def http_get(port, path, method="GET"):
    """(status, headers dict with lower-case names, body) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


async def get(port, path, method="GET"):
    return await asyncio.to_thread(http_get, port, path, method)


def test_serve_documents_before_and_after_listen(flavour, tmp_path):
    async def main():
        h = Harness(flavour)
        page = "<!doctype html><title>caf\u00e9</title>"
        h.io.serve("/", page)                                   # str: UTF-8, HTML by default
        h.io.serve("/data.bin", bytes(range(256)) * 3, "application/octet-stream")
        js = tmp_path / "app.js"
        js.write_text("console.log('hi')\n")
        h.io.serve_file("/app.js", js)                          # type from the name
        h.io.serve("/empty.txt", b"", "text/plain")
        h.io.serve("/replaced", "old", "text/plain")
        h.io.serve("/replaced", "new", "text/plain")           # the newer one wins
        await h.start()

        status, hdr, body = await get(h.port, "/")
        assert status == 200
        assert hdr["content-type"] == "text/html; charset=utf-8"
        assert body.decode("utf-8") == page
        status, hdr, body = await get(h.port, "/?v=3")          # the query is ignored
        assert status == 200 and body.decode("utf-8") == page
        status, hdr, body = await get(h.port, "/data.bin")
        assert status == 200 and body == bytes(range(256)) * 3
        assert hdr["content-type"] == "application/octet-stream"
        assert int(hdr["content-length"]) == 768
        status, hdr, body = await get(h.port, "/app.js")
        assert status == 200 and body == b"console.log('hi')\n"
        assert hdr["content-type"].startswith("text/javascript") or \
            hdr["content-type"].startswith("application/javascript")
        assert hdr["content-type"].endswith("charset=utf-8")
        status, _, body = await get(h.port, "/empty.txt")
        assert status == 200 and body == b""
        status, _, body = await get(h.port, "/replaced")
        assert body == b"new"

        # exact paths only; other methods are not served
        assert (await get(h.port, "/app.js/"))[0] == 404
        assert (await get(h.port, "/nothing"))[0] == 404
        assert (await get(h.port, "/", "POST"))[0] != 200

        # after listen(): the loop thread adds it
        h.io.serve("/late", "late", "text/plain")
        await eventually(lambda: http_get(h.port, "/late")[2] == b"late")

        # Socket.IO still works next to the documents
        c = socketio.AsyncClient(reconnection=False)
        await c.connect(h.url, wait_timeout=5)
        assert c.connected
        await c.disconnect()
        await h.close()
        with pytest.raises(sioc.ClosedError):
            h.io.serve("/after-close", "x")
    run(main())


def test_serve_rejects_bad_arguments(tmp_path):
    h = Harness("asyncio")
    with pytest.raises(ValueError):
        h.io.serve("index.html", "x")                 # not an absolute path
    with pytest.raises(ValueError):
        h.io.serve("/a\x00b", "x")                    # NUL in the path
    with pytest.raises(ValueError):
        h.io.serve("/a", "x", "")                     # no content type
    with pytest.raises(TypeError):
        h.io.serve("/a", 42)                          # neither bytes nor str
    with pytest.raises(OSError):
        h.io.serve_file("/missing", tmp_path / "missing.html")
