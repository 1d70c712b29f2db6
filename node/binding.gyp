# The Node addon: node/addon/*.c (Node-API glue) + the whole C core (csrc/).
# It lives in node/ rather than at the repository root because node-gyp's
# `rebuild` deletes <dir>/build, and the root's build/ is CMake's; the addon
# is built into node/build/Release/sioc.node (node/scripts/build.js).
# libuv and OpenSSL come from the node binary itself (their headers from
# node's include dir, which node-gyp puts first on the include path); wslay,
# cJSON, http-parser, hiredis and msgpack-c are the system's (hiredis runs on
# node's own loop through csrc/redis_link.c's glue: no second libuv), found
# by node/scripts/libs.js,
# which fails with the Debian package to install when one is missing.
{
  "targets": [
    {
      "target_name": "sioc",
      "sources": [
        "<!@(node scripts/sources.js)"
      ],
      "include_dirs": ["../csrc", "../csrc/include"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11",
                 "-fvisibility=hidden"],
      "cflags!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["<!@(node scripts/libs.js)"]
    }
  ]
}
