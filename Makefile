# Entry points; each target is a thin wrapper over a script in scripts/.
PREFIX ?= /usr/local

.PHONY: all build demo test check-latest install bench clean

all: build

build:
	cargo build --release

demo:
	scripts/demo.sh

test:
	scripts/test.sh

# Not part of `test`: the cross-checks against the newest reference releases (see the script).
check-latest:
	scripts/check_latest.sh

install:
	scripts/install.sh $(PREFIX)

bench:
	scripts/bench.sh

clean:
	cargo clean
	rm -rf build
