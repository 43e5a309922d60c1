# vlm.c — build everything into build/.
#   make              lessons, tools and tests (optimised, warning-free)
#   make test         unit tests + parity on every golden + tokenizer cases
#   make test SANITIZE=1   the same under AddressSanitizer + UBSan
#   make debug        -O0 -g binaries for gdb (same paths)
#   make lessons      run every lesson on the built-in models
#   make valgrind     every lesson under valgrind (no leaks, no invalid reads)
CC       ?= cc
OPT      ?= -O2
CFLAGS   ?=
WARN      = -Wall -Wextra
CPPFLAGS += -Ilib -D_GNU_SOURCE
LDLIBS   += -lcjson -lpcre2-8 -lutf8proc -lstb -lm

B ?= build
ifeq ($(SANITIZE),1)
  B       = build-asan
  OPT     = -O1
  XFLAGS  = -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ifeq ($(DEBUG),1)
  OPT     = -O0
  XFLAGS  = -g3
endif
ifeq ($(WERROR),1)
  WARN   += -Werror
endif
# OpenMP: the fast kernels (lib/matmul_fast.c) use every core, or OMP_NUM_THREADS.
# `make OMP=` builds single-threaded.
OMP      ?= -fopenmp
ALL_CFLAGS = -std=c11 $(OPT) -g $(WARN) $(OMP) $(XFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(OMP) $(XFLAGS) $(LDFLAGS)

LIB_SRC  = $(wildcard lib/*.c)
LIB_OBJ  = $(LIB_SRC:lib/%.c=$(B)/obj/%.o)
TOOLS    = $(patsubst tools/%.c,$(B)/%,$(wildcard tools/*.c))
LESSONS  = $(patsubst lessons/%.c,$(B)/lessons/%,$(wildcard lessons/*.c))
TESTS    = $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))
BENCH    = $(patsubst bench/%.c,$(B)/%,$(wildcard bench/*.c))

.PHONY: all test debug lessons bench clean fuzz fuzz-build valgrind FORCE
all: $(TOOLS) $(LESSONS) $(TESTS) $(BENCH)

# Rebuild everything when the flags change (plain / SANITIZE=1 / debug).
$(B)/.flags: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@

$(B)/obj/%.o: lib/%.c $(B)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libvlm.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/%: tools/%.c $(B)/libvlm.a
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP $< -o $@ $(ALL_LDFLAGS) $(B)/libvlm.a $(LDLIBS)

$(B)/%: bench/%.c $(B)/libvlm.a
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP $< -o $@ $(ALL_LDFLAGS) $(B)/libvlm.a $(LDLIBS)

$(B)/lessons/%: lessons/%.c $(B)/libvlm.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP $< -o $@ $(ALL_LDFLAGS) $(B)/libvlm.a $(LDLIBS)

$(B)/tests/%: tests/%.c $(B)/libvlm.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP $< -o $@ $(ALL_LDFLAGS) $(B)/libvlm.a $(LDLIBS) -lcmocka

debug:
	$(MAKE) DEBUG=1 all

# libFuzzer harnesses (fuzz/fuzz_*.c), built with clang + ASan + UBSan into build-fuzz/.
#   make fuzz FUZZ_SECONDS=600      run every harness that long, seeded from the test data
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang
FZ            = build-fuzz
FUZZ_FLAGS    = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJ  = $(LIB_SRC:lib/%.c=$(FZ)/obj/%.o)
FUZZERS       = $(patsubst fuzz/%.c,$(FZ)/%,$(wildcard fuzz/fuzz_*.c))

$(FZ)/obj/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -std=c11 $(WARN) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FZ)/libvlm.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FZ)/fuzz_%: fuzz/fuzz_%.c $(wildcard fuzz/*.h) $(FZ)/libvlm.a
	$(FUZZ_CC) $(CPPFLAGS) -std=c11 $(WARN) $(FUZZ_FLAGS) -fsanitize=fuzzer $< -o $@ $(FZ)/libvlm.a $(LDLIBS)

fuzz-build: $(FUZZERS)

fuzz: fuzz-build
	@scripts/run_fuzzers.sh $(FUZZ_SECONDS) $(FUZZERS)

# The whole suite: every tests/test_*.c binary (cmocka), run from the repo root.
test: all
	@scripts/run_tests.sh $(TESTS)

lessons: all
	@for l in $(LESSONS); do echo "=== $$l --plot $(B)/plots"; $$l --plot $(B)/plots || exit 1; echo; done

# Every lesson on the built-in models under valgrind memcheck (normal build
# flags): fails on any invalid access or leak.  scripts/valgrind.supp hides only
# libgomp's worker-thread blocks.
valgrind: $(LESSONS)
	@scripts/run_valgrind.sh $(LESSONS)

# Full-size models with random weights, timed (bench/bench.c): make bench BENCH_ARGS=--quick
bench: $(B)/bench
	$(B)/bench $(BENCH_ARGS)

clean:
	rm -rf build build-asan build-fuzz

-include $(wildcard $(B)/obj/*.d $(B)/*.d $(B)/lessons/*.d $(B)/tests/*.d $(FZ)/obj/*.d)
