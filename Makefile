# The two commands: `make run` and `make test`. See README.md.
.PHONY: run test bench build lint

run:
	go run ./cmd/humble serve

test:
	./scripts/test

bench:
	./scripts/bench

build:
	CGO_ENABLED=0 go build -trimpath -o bin/humble ./cmd/humble

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	go vet ./...
