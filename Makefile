# The README's two commands: `make run` (install, build the index if needed, start the chat page)
# and `make test` (install with the dev extra, run the whole suite; the suite includes the eval regression
# gate, tests/test_eval_gate.py, which fails when dev or blind got worse than evals/reports/*-baseline.json).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_FLAGS := --disable-pip-version-check -q
# setuptools' build warnings (editable-install notices) are for packagers, not for someone starting the page
PIP := PYTHONWARNINGS=ignore $(PY) -m pip

.PHONY: run test index eval gate baseline bench lint browser clean

$(VENV)/.installed: pyproject.toml
	@echo "安装依赖到 $(VENV)/ …"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PIP) install $(PIP_FLAGS) --upgrade pip
	@$(PIP) install $(PIP_FLAGS) -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	@echo "安装开发依赖 …"
	@$(PIP) install $(PIP_FLAGS) -e '.[dev]'
	@touch $@

run: $(VENV)/.installed
	$(PY) -m bot index
	$(PY) -m bot serve

test: $(VENV)/.installed-dev browser lint
	$(PY) -m pytest

# Debian's Chromium (browser tests, briefing PDFs), CJK fonts (screenshots, chart labels, PDF text) and
# poppler-utils (the tests read briefing PDFs back with pdftotext), installed when any is missing.
browser:
	@{ command -v chromium && command -v pdftotext && fc-list :lang=zh family | grep -q .; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium, fonts-noto-cjk, poppler-utils (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk poppler-utils >/dev/null) \
	      || echo "chromium install failed: browser tests will be skipped"; \
	  else echo "chromium not found: browser tests will be skipped (apt-get install chromium)"; fi; }

index: $(VENV)/.installed
	$(PY) -m bot index

eval: $(VENV)/.installed
	$(PY) -m bot eval --dataset evals/datasets/dev.jsonl --json evals/reports/dev-latest.json

# The regression gate alone (exit 3 when a headline metric dropped by more than one item's worth).
gate: $(VENV)/.installed
	$(PY) -m bot eval --gate

# Deliberately refresh the committed baselines after an intended change (then commit them).
baseline: $(VENV)/.installed
	$(PY) -m bot eval --update-baseline

bench: $(VENV)/.installed
	$(PY) -m bot bench

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check bot tools evals tests bench
	$(VENV)/bin/ruff format --check --quiet bot tools evals tests bench
	$(VENV)/bin/mypy bot tools evals

clean:
	rm -rf $(VENV) index_store/*/ data
