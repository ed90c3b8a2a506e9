# ngx_scep: an nginx module that gives every portal user a certificate.
#
#   make              the module (build/ngx_http_scep_module.so) and tools
#                     (build/scep-agent, build/scep-verify)
#   make unit         core unit tests, built with AddressSanitizer and UBSan
#   make check-layers the layers point down, no two files in a circle
#   make integration  end-to-end tests against slapd, Samba's AD DC,
#                     scepserver and nginx
#   make test         all of them (also with a sanitizer build of the
#                     module, and the fuzz targets' seeds), after
#                     installing what they need
#   make demo         a portal on loopback with a sample directory and CA
#   make deps         installs every dependency with apt-get
#   make bench        benchmarks (BENCH_ARGS=--quick for a short run)
#   make fuzz         every parser fuzzed for FUZZ_TIME seconds
#   make asan-integration  the integration tests with a sanitizer build
#   make fresh-check  make demo and make test on a brand-new Debian 12 root
#                     (debootstrap), as root and as a user with sudo, and
#                     make deb's packages as make deb-check checks them
#                     (needs root; about 24 minutes; KEEP_FRESH_ROOT=1
#                     keeps the roots)
#   make deb          Debian packages libnginx-mod-http-scep and scep-agent
#                     in build/deb/ (dpkg-buildpackage, then lintian)
#   make deb-check    those packages installed with apt-get on a brand-new
#                     Debian 12 root: nginx -t, a login, remove and purge
#                     (needs root; fresh-check runs it too)

NGINX_SRC  ?= /usr/share/nginx/src
PYTHON     ?= /usr/bin/python3
PYTEST_ARGS ?=

BUILD      := build
NGX_BUILD  := $(BUILD)/nginx
MODULE     := $(BUILD)/ngx_http_scep_module.so

CORE_DIRS  := scep ldap agent-proto portal
CORE_SRCS  := $(sort $(wildcard $(addsuffix /*.c,$(CORE_DIRS))))
CORE_HDRS  := $(sort $(wildcard $(addsuffix /*.h,$(CORE_DIRS))))
MOD_SRCS   := $(sort $(wildcard ngx_scep_module/*.c ngx_scep_module/*.h))
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
UNIT_OBJS  := $(patsubst %.c,$(BUILD)/unit/obj/%.o,$(CORE_SRCS))

LIBS       := -lldap -llber -lcurl -lssl -lcrypto

UNIT_CC     := clang
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
               -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer -I.

TOOL_CC     := cc
TOOL_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O2 -Wall -Wextra -Werror -I.

# nginx's generated Makefile lists the module's files: configure again
# whenever a file is added or removed.
SRC_LIST   := $(BUILD)/sources.list
$(shell mkdir -p $(BUILD); \
        echo '$(NGINX_SRC) $(CORE_SRCS) $(CORE_HDRS) $(MOD_SRCS)' \
        | cmp -s - $(SRC_LIST) \
        || echo '$(NGINX_SRC) $(CORE_SRCS) $(CORE_HDRS) $(MOD_SRCS)' \
           > $(SRC_LIST))


# keep the sanitizer-built objects between runs
.SECONDARY: $(UNIT_OBJS)

.PHONY: all module tools unit integration test demo demo-stop deps bench \
        fuzz asan-integration check-layers fresh-check deb deb-check clean

all: module tools

module: $(MODULE)

$(NGX_BUILD)/objs/Makefile: config $(SRC_LIST)
	rm -rf $(NGX_BUILD)
	cp -a $(NGINX_SRC) $(NGX_BUILD)
	cd $(NGX_BUILD) && ./configure --with-compat --with-threads \
	    --with-http_ssl_module --add-dynamic-module=$(CURDIR) \
	    > configure.log 2>&1 \
	    || { tail -20 configure.log; exit 1; }

$(MODULE): $(NGX_BUILD)/objs/Makefile $(CORE_SRCS) $(CORE_HDRS) $(MOD_SRCS)
	$(MAKE) -s -C $(NGX_BUILD) -f objs/Makefile modules
	@# a rename, so that a running nginx keeps the file it loaded
	cp $(NGX_BUILD)/objs/ngx_http_scep_module.so $@.tmp && mv -f $@.tmp $@

# the reference agent: the SCEP core, libcurl and libxml2, no nginx
AGENT_SRCS  := $(sort $(wildcard agent/*.c))
AGENT_HDRS  := $(sort $(wildcard agent/*.h))
AGENT_CORE  := $(filter scep/%.c,$(CORE_SRCS)) agent-proto/gp_buf.c
AGENT       := $(BUILD)/scep-agent
XML_CFLAGS  := $(shell xml2-config --cflags 2>/dev/null)
XML_LIBS    := -lxml2

# the CA's verifier of bound challenges: a few files of the SCEP core
VERIFY_SRCS := $(sort $(wildcard verify/*.c))
VERIFY_HDRS := $(sort $(wildcard verify/*.h))
VERIFY_CORE := scep/scep_bound.c scep/scep_bound_csr.c scep/scep_keyring.c \
               scep/scep_base64.c scep/scep_error.c
VERIFY      := $(BUILD)/scep-verify

tools: $(AGENT) $(VERIFY)

$(VERIFY): $(VERIFY_SRCS) $(VERIFY_HDRS) $(VERIFY_CORE) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(TOOL_CC) $(TOOL_CFLAGS) -o $@ $(VERIFY_SRCS) $(VERIFY_CORE) \
	    -lssl -lcrypto

$(AGENT): $(AGENT_SRCS) $(AGENT_HDRS) $(AGENT_CORE) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(TOOL_CC) $(TOOL_CFLAGS) $(XML_CFLAGS) -o $@ $(AGENT_SRCS) \
	    $(AGENT_CORE) -lcurl -lssl -lcrypto $(XML_LIBS)


# unit tests: the core only, no nginx

$(BUILD)/unit/obj/%.o: %.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC (sanitizers) $<"
	@$(UNIT_CC) $(UNIT_CFLAGS) -c $< -o $@

$(BUILD)/unit/%: tests/unit/%.c $(UNIT_OBJS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  LD (sanitizers) $@"
	@$(UNIT_CC) $(UNIT_CFLAGS) $< $(UNIT_OBJS) -o $@ -lcmocka $(LIBS)

# the agent's own files, for its unit tests
AGENT_UNIT_OBJS := $(patsubst %.c,$(BUILD)/unit/obj/%.o, \
                     $(filter-out agent/agent_main.c,$(AGENT_SRCS)))

.SECONDARY: $(AGENT_UNIT_OBJS)

$(BUILD)/unit/obj/agent/%.o: agent/%.c $(AGENT_HDRS) \
        $(CORE_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC (sanitizers) $<"
	@$(UNIT_CC) $(UNIT_CFLAGS) $(XML_CFLAGS) -c $< -o $@

$(BUILD)/unit/test_agent_%: tests/unit/test_agent_%.c $(UNIT_OBJS) \
        $(AGENT_UNIT_OBJS) $(AGENT_HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  LD (sanitizers) $@"
	@$(UNIT_CC) $(UNIT_CFLAGS) $(XML_CFLAGS) $< $(UNIT_OBJS) \
	    $(AGENT_UNIT_OBJS) -o $@ -lcmocka $(LIBS) $(XML_LIBS)

# the verifier's own files, for its unit tests
VERIFY_UNIT_OBJS := $(patsubst %.c,$(BUILD)/unit/obj/%.o, \
                      $(filter-out verify/verify_main.c,$(VERIFY_SRCS)))

.SECONDARY: $(VERIFY_UNIT_OBJS)

$(BUILD)/unit/obj/verify/%.o: verify/%.c $(VERIFY_HDRS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC (sanitizers) $<"
	@$(UNIT_CC) $(UNIT_CFLAGS) -c $< -o $@

$(BUILD)/unit/test_verify_%: tests/unit/test_verify_%.c $(UNIT_OBJS) \
        $(VERIFY_UNIT_OBJS) $(VERIFY_HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  LD (sanitizers) $@"
	@$(UNIT_CC) $(UNIT_CFLAGS) $< $(UNIT_OBJS) $(VERIFY_UNIT_OBJS) -o $@ \
	    -lcmocka $(LIBS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do \
	    echo "== $$t"; \
	    ASAN_OPTIONS=detect_leaks=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $$t; \
	done


# the layers point down and no two object files need each other
# (HACKING.md): judged on the module's objects and the agent's
check-layers: all $(AGENT_UNIT_OBJS) $(VERIFY_UNIT_OBJS)
	$(PYTHON) tools/check_layers.py $(NGX_BUILD)/objs/addon \
	    $(BUILD)/unit/obj/agent $(BUILD)/unit/obj/verify


# integration tests: real slapd, scepserver and nginx on loopback

integration: all
	sh tests/ldap/run.sh
	sh tests/ldap/ad_run.sh
	$(PYTHON) -m pytest -q tests/integration $(PYTEST_ARGS)

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) check-layers
	$(MAKE) integration
	$(MAKE) asan-integration
	$(MAKE) -C fuzz regress crashes


demo: deps
	$(MAKE) all
	$(PYTHON) tools/demo.py start

demo-stop:
	$(PYTHON) tools/demo.py stop


# fuzzing: every parser of untrusted input, FUZZ_TIME seconds each
# (fuzz/README.md; clang with libFuzzer)
FUZZ_TIME ?= 30

fuzz:
	$(MAKE) -C fuzz run FUZZ_TIME=$(FUZZ_TIME)


# the integration tests against the module built with AddressSanitizer and
# UBSan, loaded into Debian's nginx (not instrumented: the sanitizer
# runtimes are preloaded into nginx alone); any report fails the run
ASAN_BUILD  := $(BUILD)/asan
ASAN_MODULE := $(ASAN_BUILD)/nginx/objs/ngx_http_scep_module.so
ASAN_LOGS   := $(CURDIR)/$(ASAN_BUILD)/logs
ASAN_CFLAGS := -fsanitize=address,undefined -fsanitize-recover=address \
               -fno-omit-frame-pointer -g
ASAN_LIBS    = $(shell gcc -print-file-name=libasan.so) \
               $(shell gcc -print-file-name=libubsan.so)

$(ASAN_BUILD)/nginx/objs/Makefile: config $(SRC_LIST)
	rm -rf $(ASAN_BUILD)/nginx
	mkdir -p $(ASAN_BUILD)
	cp -a $(NGINX_SRC) $(ASAN_BUILD)/nginx
	cd $(ASAN_BUILD)/nginx && ./configure --with-compat --with-threads \
	    --with-http_ssl_module --add-dynamic-module=$(CURDIR) \
	    --with-cc-opt='$(ASAN_CFLAGS)' \
	    --with-ld-opt='-fsanitize=address,undefined' \
	    > configure.log 2>&1 \
	    || { tail -20 configure.log; exit 1; }

$(ASAN_MODULE): $(ASAN_BUILD)/nginx/objs/Makefile $(CORE_SRCS) $(CORE_HDRS) \
        $(MOD_SRCS)
	$(MAKE) -s -C $(ASAN_BUILD)/nginx -f objs/Makefile modules

# the crash detector's own test is left out: ASan catches the SIGSEGV it
# sends, so the worker does not die of the signal.  Any report fails the
# run; tools/sanitizer_logs.py says which reports lack their SUMMARY:
# line (a process that died in the middle of its report).
asan-integration: $(ASAN_MODULE) tools
	rm -rf $(ASAN_LOGS)
	mkdir -p $(ASAN_LOGS)
	NGX_SCEP_MODULE=$(CURDIR)/$(ASAN_MODULE) \
	NGX_SCEP_NGINX_PRELOAD="$(ASAN_LIBS)" \
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=0:log_path=$(ASAN_LOGS)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=0:log_path=$(ASAN_LOGS)/ubsan \
	$(PYTHON) -m pytest -q tests/integration --deselect \
	    tests/integration/test_fixtures.py::test_nginx_crash_is_detected \
	    $(PYTEST_ARGS); \
	rc=$$?; \
	if [ -n "$$(ls $(ASAN_LOGS))" ]; then \
	    cat $(ASAN_LOGS)/*; \
	    $(PYTHON) tools/sanitizer_logs.py $(ASAN_LOGS); \
	    exit 1; \
	fi; \
	exit $$rc


deps:
	@sh tools/deps.sh

# the README's commands on a brand-new Debian 12 (tools/fresh-check.sh)
fresh-check:
	bash tools/fresh-check.sh

# Debian packages (tools/deb.sh): installs the build dependencies that
# debian/control names, builds from a copy of the tree in build/deb/
deb:
	sh tools/deb.sh

# make deb's packages on a brand-new Debian 12 root (tools/deb-check.sh,
# run there by tools/fresh-check.sh --packages)
deb-check: deb
	bash tools/fresh-check.sh --packages $(BUILD)/deb

bench: deps
	$(MAKE) all
	$(PYTHON) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
