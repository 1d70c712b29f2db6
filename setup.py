"""Builds the sioc Python package: the CPython glue in python/sioc/_sioc.c
plus every C source of the core (csrc/*.c), linked against the system
libuv, wslay, cJSON, http-parser, libcrypto, hiredis and msgpack-c (Debian -dev packages)."""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))

# (pkg-config module or None, header, library, Debian package)
DEPS = [
    ("libuv", "uv.h", "uv", "libuv1-dev"),
    ("libcjson", "cjson/cJSON.h", "cjson", "libcjson-dev"),
    ("libcrypto", "openssl/sha.h", "crypto", "libssl-dev"),
    ("libssl", "openssl/ssl.h", "ssl", "libssl-dev"),
    (None, "wslay/wslay.h", "wslay", "libwslay-dev"),
    (None, "http_parser.h", "http_parser", "libhttp-parser-dev"),
    ("hiredis", "hiredis/hiredis.h", "hiredis", "libhiredis-dev"),
    ("msgpack", "msgpack.h", "msgpackc", "libmsgpack-dev"),
]


def _fail(msg):
    sys.stderr.write("sioc: " + msg + "\n")
    raise SystemExit("sioc: " + msg)


def _pkg_config(module):
    if not shutil.which("pkg-config"):
        return None
    try:
        cflags = subprocess.check_output(["pkg-config", "--cflags", module],
                                         stderr=subprocess.DEVNULL, text=True).split()
        libs = subprocess.check_output(["pkg-config", "--libs", module],
                                       stderr=subprocess.DEVNULL, text=True).split()
    except (OSError, subprocess.CalledProcessError):
        return None
    return cflags, libs


def _have_header(header, include_dirs):
    for d in list(include_dirs) + ["/usr/include", "/usr/local/include",
                                   "/usr/include/x86_64-linux-gnu",
                                   "/usr/include/aarch64-linux-gnu"]:
        if os.path.exists(os.path.join(d, header)):
            return True
    return False


def _deps():
    include_dirs, libraries, library_dirs, extra_compile = [], [], [], []
    for module, header, lib, package in DEPS:
        found = _pkg_config(module) if module else None
        if found:
            cflags, libs = found
            for f in cflags:
                if f.startswith("-I"):
                    include_dirs.append(f[2:])
                else:
                    extra_compile.append(f)
            for f in libs:
                if f.startswith("-l"):
                    libraries.append(f[2:])
                elif f.startswith("-L"):
                    library_dirs.append(f[2:])
        else:
            libraries.append(lib)
        if not _have_header(header, include_dirs):
            _fail("%s not found: install the Debian package %s" % (header, package))
    return include_dirs, libraries, library_dirs, extra_compile


def _extension():
    csrc = sorted(glob.glob(os.path.join("csrc", "*.c")))
    if not csrc:
        _fail("csrc/*.c not found: build from a sioc checkout")
    include_dirs, libraries, library_dirs, extra_compile = _deps()
    return Extension(
        "sioc._sioc",
        sources=["python/sioc/_sioc.c"] + csrc,
        include_dirs=["csrc/include", "csrc"] + include_dirs,
        libraries=libraries + ["pthread", "m"],
        library_dirs=library_dirs,
        define_macros=[("_GNU_SOURCE", "1")],
        extra_compile_args=["-std=gnu11", "-Wall", "-Wextra", "-Wshadow",
                            "-Wno-unused-parameter", "-Wno-missing-field-initializers",
                            "-fvisibility=hidden"] + extra_compile,
    )


setup(
    name="sioc",
    version="0.1.0",
    description="Socket.IO v5 / Engine.IO v4 server with a C core (libuv)",
    package_dir={"": "python"},
    packages=["sioc"],
    package_data={"sioc": ["py.typed", "*.pyi"]},
    ext_modules=[_extension()],
    python_requires=">=3.9",
    zip_safe=False,
    # Keep setuptools' objects out of build/, which is CMake's build tree.
    options={"build": {"build_base": "build-py"}},
)
