# The README's commands. CMake does the real work in build/.
BUILD ?= build
PREFIX ?= /usr/local
CC ?= cc
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# Reliability builds (issue 6), each in its own folder: clang with
# -Werror, gcc at -O3 for the library and the programs (Release: its flow
# analysis warns about more than at the default -O2; the tests are built
# with gcc -Werror at -O2 in build/ and with clang -Werror), and clang with ASan + UBSan (+ libFuzzer coverage) for the test
# suite under sanitizers and the fuzz targets of fuzz/.
CLANG ?= clang
CLANG_BUILD ?= build-clang
RELEASE_BUILD ?= build-release
ASAN_BUILD ?= build-asan
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SECONDS ?= 60
FUZZ_SMOKE ?= 6

.PHONY: all deps configure build demo test install clean
.PHONY: test-main test-clang test-tsan test-release asan-build test-asan test-valgrind fuzz fuzz-smoke

all: build

deps:
	@./scripts/setup-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@./scripts/demo.sh $(BUILD)

# The suite, then the clang -Werror build (and the thread tests under TSan
# there), the suite under ASan/UBSan, the
# programs under valgrind and a short run of every fuzz target.
# (test-tsan builds test-clang first.)
test: test-main
	@$(MAKE) --no-print-directory test-tsan
	@$(MAKE) --no-print-directory test-release
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-valgrind
	@$(MAKE) --no-print-directory fuzz-smoke

test-main: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-clang: deps
	@echo "== clang -Werror build ($(CLANG_BUILD))"
	@cmake -S . -B $(CLANG_BUILD) -DCMAKE_C_COMPILER=$(CLANG) -DCTREC_WERROR=ON \
	  -DCTREC_BUILD_LUA=ON >/dev/null
	@cmake --build $(CLANG_BUILD) -j $(JOBS) >$(CLANG_BUILD)/build.log 2>&1 || { cat $(CLANG_BUILD)/build.log; exit 1; }
	@echo "clang build: no warnings"

# The multi-threaded recording tests; in the clang build their program is
# built a second time under ThreadSanitizer (threads_tsan, tests/threads/).
test-tsan: test-clang
	@echo "== threads under ThreadSanitizer ($(CLANG_BUILD))"
	@cd $(CLANG_BUILD) && ctest --output-on-failure -j $(JOBS) -L threads

test-release: deps
	@echo "== gcc -O3 -Werror build ($(RELEASE_BUILD))"
	@cmake -S . -B $(RELEASE_BUILD) -DCMAKE_BUILD_TYPE=Release -DCTREC_WERROR=ON \
	  -DCTREC_BUILD_LUA=ON >/dev/null
	@cmake --build $(RELEASE_BUILD) -j $(JOBS) --target ctrec_static ctrec_shared ctrec ctrec-bench \
	  $$(grep -q '^LUA54_FOUND:INTERNAL=1' $(RELEASE_BUILD)/CMakeCache.txt && echo ctrec-lua) \
	  >$(RELEASE_BUILD)/build.log 2>&1 || { cat $(RELEASE_BUILD)/build.log; exit 1; }
	@echo "gcc -O3 build: no warnings"

asan-build: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_C_COMPILER=$(CLANG) -DCTREC_SANITIZE=ON \
	  -DCTREC_BUILD_LUA=ON -DCTREC_FUZZ=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) >$(ASAN_BUILD)/build.log 2>&1 || { cat $(ASAN_BUILD)/build.log; exit 1; }

# install_* and lib_symbols link an uninstrumented program against the
# library: not here. reliability_kill (trace.json/trace.bin killed 20 times
# and repaired, 33 s under ASan) runs in the gcc suite only, to keep make
# test under 15 minutes; ct_writer_kill keeps a kill-and-repair run under
# ASan. ctrec_lua_instr runs ctrec-lua under valgrind, which cannot run a
# program built with ASan.
test-asan: asan-build
	@echo "== the test suite under ASan + UBSan ($(ASAN_BUILD))"
	@cd $(ASAN_BUILD) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS) -E '^(install_|lib_symbols$$|reliability_kill$$|ctrec_lua_instr$$)'

test-valgrind: build
	@echo "== valgrind memcheck on the programs ($(BUILD))"
	@./tests/reliability/valgrind.sh $(BUILD)

# make fuzz SECONDS=N: every fuzz target for N seconds (default 60).
fuzz: asan-build
	@./fuzz/run.sh $(ASAN_BUILD) $(SECONDS)

fuzz-smoke: asan-build
	@echo "== fuzz targets, $(FUZZ_SMOKE)s each"
	@./fuzz/run.sh $(ASAN_BUILD) $(FUZZ_SMOKE)

# Builds only what is installed (the libraries and the tools, not the
# test suite), then installs it.
install: configure
	@cmake --build $(BUILD) -j $(JOBS) --target ctrec_static ctrec_shared ctrec \
	  $$(grep -q '^CTREC_BUILD_LUA:BOOL=ON' $(BUILD)/CMakeCache.txt && grep -q '^LUA54_FOUND:INTERNAL=1' $(BUILD)/CMakeCache.txt && echo ctrec-lua)
	@cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(CLANG_BUILD) $(ASAN_BUILD) build-cov
