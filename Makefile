# Entry points; each target is a thin wrapper over a script in scripts/.
PREFIX ?= /usr/local

.PHONY: all build demo test install bench clean

all: build

build:
	cargo build --release

demo:
	scripts/demo.sh

test:
	scripts/test.sh

install:
	scripts/install.sh $(PREFIX)

bench:
	scripts/bench.sh

clean:
	cargo clean
	rm -rf build
