# hull's build, test and demo targets. `make demo` and `make test` are the two
# commands a fresh Debian machine needs: run as root they install the Debian
# packages and create the unprivileged user that the rootless parts run as.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(PATH):/usr/local/go/bin

GO ?= go
MODULE := github.com/hull-project/hull
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X $(MODULE)/core/cli.Version=$(VERSION) -X $(MODULE)/core/cli.GitCommit=$(COMMIT)

# The unprivileged user that demo, integration tests and benchmarks run as
# when make itself runs as root, and where it finds the binary: the checkout
# may live under /root, which that user cannot read.
HULL_USER ?= hulltest
HULL_HOME ?= /home/$(HULL_USER)
HULL_SUBID ?= 200000:65536
# A second user with no subordinate ids: builds as it use root emulation
# (docs/root-emulation.md); make integration runs the root-emulation tests
# as it too.
NOSUB_USER ?= hullnosub
NOSUB_HOME ?= /home/$(NOSUB_USER)
# The Debian base image of the apt tests (debootstrap from the configured
# mirror; there is no Docker Hub), kept between runs.
DEBIAN_TAR ?= /var/cache/hull-test/debian-bookworm.tar
USER_BIN := $(HULL_HOME)/bin/hull
DEBS := uidmap busybox-static fuse-overlayfs bubblewrap xz-utils slirp4netns passt iproute2
FUZZTIME ?= 5000x

IS_ROOT := $(filter 0,$(shell id -u))
# The binary the integration tests and the demo drive.
HULL_BIN ?= $(if $(IS_ROOT),$(USER_BIN),$(CURDIR)/bin/hull)
# Run a command as the unprivileged user (root) or as ourselves (anyone else),
# with a clean, predictable environment.
AS_USER := $(if $(IS_ROOT),runuser -u $(HULL_USER) -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=$(HULL_HOME) USER=$(HULL_USER) LOGNAME=$(HULL_USER) LANG=C.UTF-8,env)

.PHONY: all build deps setup demo test unit vet fmt-check tidy-check fuzz integration bench clean test-plugins bench-build proto proto-python python-plugin debian-image

all: build

## build: static bin/hull
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o isolation/initbin/hull-init ./isolation/initbin
	@# The monitor beside each detached container, small (core/monitor/monbin).
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o core/monitor/monbin/hull-monitor ./core/monitor/monbin
	@# The full hull (plugin machinery, registries, archives) and the app
	@# hull (that and compose, kube, generate and their libraries), both
	@# compressed into core/appbin, then the default hull around them, which
	@# links none of those libraries (their package init would cost every
	@# run and every container's monitor) and execs the full or the app
	@# hull for the commands that need them (core/appbin, docs/speed.md).
	CGO_ENABLED=0 $(GO) build -tags urfave_cli_no_docs,hullinit,hullmon -trimpath -ldflags "$(LDFLAGS)" -o core/appbin/hull-full.full .
	CGO_ENABLED=0 $(GO) build -tags urfave_cli_no_docs,hullinit,hullmon,apps -trimpath -ldflags "$(LDFLAGS)" -o core/appbin/hull-apps.full .
	$(GO) run ./core/appbin/pack core/appbin/hull-full.full core/appbin/hull-full
	$(GO) run ./core/appbin/pack core/appbin/hull-apps.full core/appbin/hull-apps
	rm -f core/appbin/hull-full.full core/appbin/hull-apps.full
	CGO_ENABLED=0 $(GO) build -tags urfave_cli_no_docs,hullinit,hullmon,appsbin -trimpath -ldflags "$(LDFLAGS)" -o bin/hull .

## deps: the Debian packages hull needs at run time (installed when root)
deps:
	@missing=""; for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all present ($(DEBS))"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "deps: installing$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else \
		echo "deps: missing$$missing; run: sudo apt-get install -y$$missing" >&2; \
	fi

## setup: (root) the unprivileged user $(HULL_USER), its subuid/subgid range, device modes, the binary where it can run it
ifeq ($(IS_ROOT),)
setup:
	@echo "setup: nothing to do as a non-root user (you are already rootless)"
else
setup:
	@id -u $(HULL_USER) >/dev/null 2>&1 || \
		useradd --create-home --home-dir $(HULL_HOME) --shell /bin/bash \
			-K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 $(HULL_USER)
	@for f in /etc/subuid /etc/subgid; do \
		touch $$f; \
		if ! grep -qx '$(HULL_USER):$(HULL_SUBID)' $$f; then \
			sed -i '/^$(HULL_USER):/d' $$f; \
			echo '$(HULL_USER):$(HULL_SUBID)' >> $$f; \
		fi; \
	done
	@for d in /dev/net/tun /dev/fuse; do if [ -e $$d ]; then chmod 0666 $$d; fi; done
	@# cgroup v1 delegation (docs/ci.md): under each v1 controller the user's hull-UID, and hull-ci-job, a job cgroup as a CI runner delegates it (test/owncgroup_test.go)
	@uid=$$(id -u $(HULL_USER)); for c in memory pids cpu; do \
		if [ -d /sys/fs/cgroup/$$c ] && [ -e /sys/fs/cgroup/$$c/cgroup.procs ]; then \
			mkdir -p /sys/fs/cgroup/$$c/hull-$$uid && chown -R $(HULL_USER):$(HULL_USER) /sys/fs/cgroup/$$c/hull-$$uid; \
			mkdir -p /sys/fs/cgroup/$$c/hull-ci-job && chown -R $(HULL_USER):$(HULL_USER) /sys/fs/cgroup/$$c/hull-ci-job; \
		fi; \
	done
	@id -u $(NOSUB_USER) >/dev/null 2>&1 || \
		useradd --create-home --home-dir $(NOSUB_HOME) --shell /bin/bash \
			-K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 $(NOSUB_USER)
	@sed -i '/^$(NOSUB_USER):/d' /etc/subuid /etc/subgid
	@install -d -o $(HULL_USER) -g $(HULL_USER) -m 0755 $(HULL_HOME)/bin
	@if [ -x bin/hull ]; then install -m 0755 bin/hull $(USER_BIN); echo "setup: installed $(USER_BIN)"; fi
	@echo "setup: user $(HULL_USER) ($$(grep '^$(HULL_USER):' /etc/subuid)) ready"
endif

## demo: import a busybox image built offline and run it rootless
demo: deps build setup
	@tmp=$$(mktemp -d /tmp/hull-demo.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; chmod 0755 "$$tmp"; \
	test/mkbusybox.sh "$$tmp/busybox.tar"; \
	echo "+ hull import busybox.tar busybox"; \
	$(AS_USER) $(HULL_BIN) import "$$tmp/busybox.tar" busybox; \
	echo "+ hull run --rm busybox echo hello from hull"; \
	$(AS_USER) $(HULL_BIN) run --rm busybox echo hello from hull

## test: unit tests, vet, gofmt, fuzzing, then the rootless integration tests
test: unit vet fmt-check tidy-check fuzz integration

# plugins/sdk is a module of its own (the plugin SDK): its tests and vet run
# in its directory. So is builders/dockerfile/reference, the differential
# test of the SDK's word expansion against BuildKit's (which neither hull's
# module nor the SDK's links).
REF := builders/dockerfile/reference
# Both builds: the default one and the full one (tag apps), whose extra
# files are in core and core/cli.
unit:
	$(GO) test -count=1 $$($(GO) list -e ./... | grep -vx '$(MODULE)/test')
	$(GO) test -count=1 -tags apps ./core ./core/cli
	cd plugins/sdk && $(GO) test -count=1 ./...
	cd $(REF) && $(GO) test -count=1 ./...

vet:
	$(GO) vet ./...
	$(GO) vet -tags apps ./...
	cd plugins/sdk && $(GO) vet ./...
	cd $(REF) && $(GO) vet ./...

fmt-check:
	@bad=$$( { git ls-files -co --exclude-standard -z -- '*.go' 2>/dev/null || \
		find . -name '*.go' -printf '%P\0'; } | grep -zvE '(^|/)([._][^/]*|testdata)/' | xargs -0 -r gofmt -l); \
	if [ -n "$$bad" ]; then echo "gofmt needed on:"; echo "$$bad"; exit 1; fi; echo "gofmt: ok"

## tidy-check: `go mod tidy` would change nothing, in hull's module, the SDK's and the reference test's (it prints the change it would make)
tidy-check:
	$(GO) mod tidy -diff
	cd plugins/sdk && $(GO) mod tidy -diff
	cd $(REF) && $(GO) mod tidy -diff
	@echo "go mod tidy: ok"

# Every `func FuzzX(` in a _test.go file gets a short run of its own, run in
# the package's directory (so a package of plugins/sdk runs in its module).
fuzz:
	@files=$$(grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . | grep -v '^./.git/' | sort || true); \
	if [ -z "$$files" ]; then echo "fuzz: no Fuzz targets found"; exit 0; fi; \
	for f in $$files; do \
		pkg=./$$(dirname "$${f#./}"); \
		for t in $$(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$$f" | sed 's/^func //'); do \
			echo "fuzz: $$pkg $$t ($(FUZZTIME))"; \
			(cd "$$pkg" && $(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) .) || exit 1; \
		done; \
	done

# As root the test binary is built by go test and run through test/as-user.sh
# (as $(HULL_USER), from a copy it can read), so the output still ends with
# go test's own ok/FAIL summary line. After a failure, test/failures.sh
# repeats the failed tests and their first errors at the very end: CI
# shows only the last lines of a run, and -v prints a failure where the
# test ended, hundreds of lines above.
ITEST_LOG ?= /tmp/hull-integration.log
integration: build $(if $(IS_ROOT),setup debian-image) test-plugins
	HULL_BIN=$(HULL_BIN) HULL_USER=$(HULL_USER) HULL_HOME=$(HULL_HOME) HULL_TEST_PLUGINS=$(TEST_PLUGINS) \
	HULL_TEST_DEBIAN_TAR=$(if $(wildcard $(DEBIAN_TAR)),$(DEBIAN_TAR)) \
		$(GO) test -count=1 -timeout 30m -v $(if $(IS_ROOT),-exec $(CURDIR)/test/as-user.sh) ./test 2>&1 | tee $(ITEST_LOG) || \
		{ test/failures.sh $(ITEST_LOG); exit 1; }
	@# The same builds as a real user without a subuid range.
	$(if $(IS_ROOT),HULL_BIN=$(HULL_BIN) HULL_USER=$(NOSUB_USER) HULL_HOME=$(NOSUB_HOME) HULL_TEST_NOSUB=1 \
	HULL_TEST_DEBIAN_TAR=$(DEBIAN_TAR) \
		$(GO) test -count=1 -timeout 10m -v -exec $(CURDIR)/test/as-user.sh -run '^TestRootEmulationNoRange$$' ./test 2>&1 | tee $(ITEST_LOG) || \
		{ test/failures.sh $(ITEST_LOG); exit 1; })

## debian-image: (root) the Debian tarball of the apt tests, $(DEBIAN_TAR) (debootstrap, once)
debian-image:
	@install -d -m 0755 $(dir $(DEBIAN_TAR))
	test/mkdebian.sh $(DEBIAN_TAR)

# The plugins the build and network tests drive (the examples and test-only
# misbehaving ones), built here, where the Go caches are, into a directory the
# unprivileged test user can read.
TEST_PLUGINS ?= /tmp/hull-test-plugins
test-plugins:
	rm -rf $(TEST_PLUGINS) && install -d -m 0755 $(TEST_PLUGINS)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(TEST_PLUGINS)/hull-template ./examples/instruction-plugin
	CGO_ENABLED=0 $(GO) build -trimpath -o $(TEST_PLUGINS)/buildplugin ./test/testdata/buildplugin
	CGO_ENABLED=0 $(GO) build -trimpath -o $(TEST_PLUGINS)/hull-net-subnet ./examples/network-plugin
	CGO_ENABLED=0 $(GO) build -trimpath -o $(TEST_PLUGINS)/netplugin ./test/testdata/netplugin
	CGO_ENABLED=0 $(GO) build -trimpath -o $(TEST_PLUGINS)/netdriver ./test/testdata/netdriver
	CGO_ENABLED=0 $(GO) build -trimpath -o $(TEST_PLUGINS)/tiocsti ./test/testdata/tiocsti
	CGO_ENABLED=0 $(GO) build -trimpath -o $(TEST_PLUGINS)/hostplugin ./test/testdata/hostplugin
	CGO_ENABLED=0 $(GO) build -trimpath -o $(TEST_PLUGINS)/hull-copy-guard ./examples/copy-guard
	CGO_ENABLED=0 $(GO) build -trimpath -o $(TEST_PLUGINS)/pinplugin ./test/testdata/pinplugin
	@# The Python example (its tests skip without python3, except under CI).
	if [ -x $(PYTHON) ]; then $(PYTHON) $(PY_PLUGIN)/build.py $(TEST_PLUGINS)/hull-checksum $(PYTHON); \
	else echo "test-plugins: no $(PYTHON): the Python plugin tests will skip"; fi
	@# TestPluginDocsGettingStarted follows the guide word for word; the test
	@# user may not be able to read the checkout.
	install -m 0644 docs/plugins.md $(TEST_PLUGINS)/plugins.md
	chmod -R a+rX $(TEST_PLUGINS)

## proto: regenerate plugins/sdk/proto (protoc, protoc-gen-go v1.36.6, protoc-gen-go-grpc v1.3.0)
proto:
	protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative \
		plugins/sdk/proto/instruction.proto plugins/sdk/proto/network.proto

# The Python example plugin (examples/python-plugin) runs on Debian's
# python3-grpcio and python3-protobuf; its generated code is committed.
PYTHON ?= /usr/bin/python3
PY_PLUGIN := examples/python-plugin

## proto-python: regenerate the Python example's gRPC code (Debian: python3-grpc-tools)
proto-python:
	$(PYTHON) -m grpc_tools.protoc -I plugins/sdk/proto -I $(PY_PLUGIN)/proto \
		--python_out=$(PY_PLUGIN) --grpc_python_out=$(PY_PLUGIN) \
		plugins/sdk/proto/instruction.proto $(PY_PLUGIN)/proto/goplugin.proto $(PY_PLUGIN)/proto/health.proto

## python-plugin: bin/hull-checksum, the Python example plugin as one executable file (a zipapp)
python-plugin:
	@install -d bin
	$(PYTHON) $(PY_PLUGIN)/build.py bin/hull-checksum $(PYTHON)

## bench-build: hull build vs podman/buildah/charliecloud on the reference workloads
bench-build: build $(if $(IS_ROOT),setup)
	HULL_BIN=$(HULL_BIN) HULL_USER=$(HULL_USER) bench/build.sh

## bench: hull run vs bwrap (and podman when installed) start-up time
bench: build $(if $(IS_ROOT),setup)
	HULL_BIN=$(HULL_BIN) HULL_USER=$(HULL_USER) bench/run-start.sh

clean:
	rm -rf bin bench/out
