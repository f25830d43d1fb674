# tandem: every target does its own set-up, so each works on a fresh clone.
SHELL := bash
.DEFAULT_GOAL := help

DATA    ?= data
COUNT   ?= 10000
SEED    ?= 42
PORT    ?= 5000
MODE    ?= view
EVERY   ?=
RUNS    ?= run
PROFILES := $(DATA)/profiles.jsonl
SOURCES := $(shell find common inspect index-version channel statecharts supervisor trace observe service roles api builder profiles store import chaos test bench -name '*.ts' 2>/dev/null) tsconfig.json

.PHONY: help install build data store index import multi inspect test lint format trace stats chaos clean bench

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' Makefile | sed -E 's/:.*## /\t/'

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-fund --no-audit
	@touch $@

install: node_modules/.package-lock.json ## install dependencies (npm ci)

dist/.built: node_modules/.package-lock.json $(SOURCES)
	npx tsc -p tsconfig.json
	@touch $@

build: dist/.built ## compile TypeScript to dist/

$(PROFILES): | dist/.built
	node dist/builder/generate-cli.js --count $(COUNT) --seed $(SEED) --out $(PROFILES)

data: dist/.built ## (re)generate the demo profiles: COUNT=10000 SEED=42
	node dist/builder/generate-cli.js --count $(COUNT) --seed $(SEED) --out $(PROFILES)

STORE := $(or $(TANDEM_STORE),$(DATA)/profiles.db)

# Seeds the store with the demo profiles once; a store that holds profiles is left as it is.
store: dist/.built $(PROFILES) ## create the profile store and seed it with the demo profiles if it is empty
	node dist/import/cli.js $(PROFILES) --store $(STORE) --if-empty

index: store ## build and publish a new index version from the store (a running service swaps to it)
	node dist/builder/main.js --store $(STORE) --data $(DATA)

# The token of a running service: TANDEM_WRITE_TOKEN(_FILE) when set, else the one `make multi` generated.
import: dist/.built ## import profiles: FILE=x.jsonl|.csv|.pkl (- for stdin) into the store; URL=http://127.0.0.1:5000 to send them to a running service
	@$(if $(FILE),,echo 'make import: say which file, FILE=profiles.jsonl (or .csv, .pkl; - reads stdin)' >&2; exit 2)
	node dist/import/cli.js $(FILE) $(if $(URL),--url $(URL) $(if $(TANDEM_WRITE_TOKEN)$(TANDEM_WRITE_TOKEN_FILE),,--token-file $(DATA)/write-token),$(if $(TANDEM_STORE),,--store $(DATA)/profiles.db))

multi: store ## run everything: builder (watch mode, reading the store) + supervisor + two children + API on PORT
	PORT=$(PORT) MODE=$(MODE) DATA=$(DATA) STORE=$(STORE) EVERY=$(EVERY) RUNS=$(RUNS) bash scripts/multi.sh

inspect: ## print the URL of the live inspector page of a running service (`make multi`): both statecharts, the timeline, query latency
	@echo "http://127.0.0.1:$(PORT)/inspect"

test: dist/.built ## run the test suite (tap)
	npx tap

lint: node_modules/.package-lock.json ## check formatting and lint rules (Biome) and the /inspect page's types (tsc on its JSDoc); `make format` fixes what it can
	npx biome ci .
	npx tsc -p inspect/page/tsconfig.json

format: node_modules/.package-lock.json ## format and apply safe lint fixes in place (Biome)
	npx biome check --write .

chaos: dist/.built ## fault injection under load, then a summary: SECONDS=60 CLIENTS=16
	node dist/chaos/run.js --seconds $(or $(SECONDS),60) --clients $(or $(CLIENTS),16)

trace: dist/.built ## print a readable timeline of the latest run's statechart trace
	node dist/trace/trace-cli.js $(RUNS)/latest/trace.jsonl

stats: dist/.built ## per-minute moving averages of query latency, fetch and swap durations: FILE=trace.jsonl (- for stdin; default the latest run's) WINDOW=10
	node dist/trace/stats-cli.js $(or $(FILE),$(RUNS)/latest/trace.jsonl) --window-size $(or $(WINDOW),10)

bench: dist/.built ## run the benchmarks, write BENCHMARKS.md (long; BENCH_QUICK=1 for a fast pass)
	@command -v wrk >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi; }
	node dist/bench/main.js

clean: ## remove build output, demo data and run traces
	rm -rf dist $(DATA) $(RUNS)
