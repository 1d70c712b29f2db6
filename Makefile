# sioc - the two commands:
#   make test         install what is missing, build, run every test suite
#   make demo [PY=1]  install, build and run the chat demo (examples/chat) on
#                     http://127.0.0.1:3000, its Node server or its Python one
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)

# Python: the active virtualenv's python3, else the checkout's .venv, made by
# scripts/install-deps.sh (Debian's own python3 refuses pip installs, PEP 668)
# and put first on PATH here, so that every python3 below is that one.
ifneq ($(shell python3 -c 'import sys; print(int(sys.prefix != sys.base_prefix))' 2>/dev/null),1)
export SIOC_VENV := $(CURDIR)/.venv
export PATH := $(SIOC_VENV)/bin:$(PATH)
endif

.PHONY: all deps build build-asan test test-c test-c-asan test-valgrind test-interop test-bad-input test-asan-peers test-node test-python test-browser node-package python-package demo clean

all: build

deps:
	./scripts/install-deps.sh

build:
	cmake -S . -B $(BUILD) -G Ninja -DSIOC_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-asan:
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DSIOC_SANITIZE=ON -DSIOC_WERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)

test-c: build
	ctest --test-dir $(BUILD) --output-on-failure

test-c-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure

# A selection of the C tests under valgrind (memcheck): any invalid access,
# use of uninitialised memory, or definite/indirect leak fails the target.
# SIOC_TEST_SLOW stretches the tests' time limits (tests/c/loop_client.h).
VALGRIND_TESTS ?= test_server_ws test_server_polling test_server_close \
  test_server_upgrade test_server_rooms test_server_sharing test_server_limits \
  test_sio_packet test_eio_packet
VALGRIND ?= valgrind --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite,indirect --track-fds=no -q

test-valgrind: build
	@fail=0; for t in $(VALGRIND_TESTS); do \
	  log=$(BUILD)/valgrind-$$t.log; \
	  if (cd $(BUILD) && SIOC_TEST_SLOW=1 $(VALGRIND) ./$$t) >$$log 2>&1; then \
	    echo "valgrind ok   $$t"; \
	  else \
	    echo "valgrind FAIL $$t (exit $$?; 99: valgrind errors)"; cat $$log; fail=1; \
	  fi; \
	done; exit $$fail

# The real peers (socket.io-client, python-socketio) against the example
# server, and the hostile-input suite; both again against the ASan+UBSan
# build, where any memory error or leak aborts the server and fails a test.
test-interop: build
	SIOC_ECHO_SERVER=$(CURDIR)/$(BUILD)/sioc-echo-server bash tests/interop/run.sh

test-bad-input: build
	SIOC_ECHO_SERVER=$(CURDIR)/$(BUILD)/sioc-echo-server python3 -m pytest -q tests/interop/bad_input

test-asan-peers: build-asan
	ASAN_OPTIONS=detect_leaks=1 SIOC_ECHO_SERVER=$(CURDIR)/$(BUILD_ASAN)/sioc-echo-server \
	  bash tests/interop/run.sh
	ASAN_OPTIONS=detect_leaks=1 SIOC_ECHO_SERVER=$(CURDIR)/$(BUILD_ASAN)/sioc-echo-server \
	  python3 -m pytest -q tests/interop/bad_input
	cd tests/cluster && ASAN_OPTIONS=detect_leaks=1 SIOC_BUILD_DIR=$(CURDIR)/$(BUILD_ASAN) \
	  CLUSTER_SERVERS=c,socketio npx mocha --exit --timeout 60000 cluster.test.js

# The Node package with its addon (npm ci runs node-gyp) and the Python
# package (pip install . compiles the extension with the core).
node-package: deps
	npm ci --no-audit --no-fund --loglevel=error

python-package: deps
	python3 -m pip install --quiet --disable-pip-version-check .

# The Node package's mocha suite + the tsc typing check (npm test).
test-node: node-package
	npm test

# The Python package's pytest suite (python-socketio and socket.io-client peers).
test-python: python-package
	cd tests/python && python3 -m pytest -q -p no:cacheprovider .

# The chat demo in Debian's chromium, driven by playwright-core (no browser
# download), against server.js and server.py, and the two servers' protocol
# side by side (tests/browser).  Screenshots: $(BUILD)/test-output/browser/.
test-browser: deps node-package python-package
	cd tests/browser && SIOC_TEST_OUTPUT=$(CURDIR)/$(BUILD)/test-output/browser \
	  timeout -k 10 600 ./node_modules/.bin/mocha

# The C client (tests/interop/client_c/driver.c) against the official
# socket.io 4.8.4 server and python-socketio 5.x, every transport mode.
.PHONY: test-client-interop
test-client-interop: build
	SIOC_CLIENT_DRIVER=$(CURDIR)/$(BUILD)/sioc-client-driver \
	  python3 -m pytest -q -p no:cacheprovider tests/interop/client_c

# The Redis cluster: a private redis-server, the C example, the Node and
# Python packages and socket.io 4.8 + @socket.io/redis-adapter 8.x on it
# (tests/cluster).
.PHONY: test-cluster
test-cluster: build node-package python-package
	cd tests/cluster && SIOC_BUILD_DIR=$(CURDIR)/$(BUILD) PYTHON=python3 \
	  npx mocha --exit --timeout 60000 cluster.test.js

test: deps
	$(MAKE) test-c test-c-asan test-valgrind test-interop test-bad-input test-asan-peers test-client-interop test-node test-python test-cluster test-browser

# The chat demo: server.js on the Node package, or with PY=1 server.py on the
# Python package (which serves the socket.io-client bundle from node_modules).
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 3000
DEMO_PY    = $(filter 1 yes true,$(PY))
demo: deps node-package $(if $(DEMO_PY),python-package)
	$(if $(DEMO_PY),python3 examples/chat/server.py,node examples/chat/server.js) \
	  --host $(DEMO_HOST) --port $(DEMO_PORT)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
