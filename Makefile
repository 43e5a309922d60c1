# vlm.c — build everything into build/.
#   make              lessons, tools and tests (optimised, warning-free)
#   make test         unit tests + parity on every golden + tokenizer cases
#   make test SANITIZE=1   the same under AddressSanitizer + UBSan
#   make debug        -O0 -g binaries for gdb (same paths)
#   make lessons      run every lesson on the built-in models
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
ALL_CFLAGS = -std=c11 $(OPT) -g $(WARN) $(XFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(XFLAGS) $(LDFLAGS)

LIB_SRC  = $(wildcard lib/*.c)
LIB_OBJ  = $(LIB_SRC:lib/%.c=$(B)/obj/%.o)
TOOLS    = $(patsubst tools/%.c,$(B)/%,$(wildcard tools/*.c))
LESSONS  = $(patsubst lessons/%.c,$(B)/lessons/%,$(wildcard lessons/*.c))
TESTS    = $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))
BENCH    = $(patsubst bench/%.c,$(B)/%,$(wildcard bench/*.c))

.PHONY: all test debug lessons clean FORCE
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

# The whole suite: every tests/test_*.c binary (cmocka), run from the repo root.
test: all
	@scripts/run_tests.sh $(TESTS)

lessons: all
	@for l in $(LESSONS); do echo "=== $$l"; $$l || exit 1; echo; done

clean:
	rm -rf $(B)

-include $(wildcard $(B)/obj/*.d $(B)/*.d $(B)/lessons/*.d $(B)/tests/*.d)
