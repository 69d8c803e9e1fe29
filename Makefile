# StarTier: `make run` starts the dashboard, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB := data/startier.duckdb
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test screenshots lint format demo bench chromium clean

run: $(VENV)/.installed $(DB)
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: $(VENV)/.installed-dev chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# Every page in both languages on the demo, a young shop, an empty database and the two
# real-shaped shops, a screenshot each under tests/screenshots/ (make test opens fewer).
screenshots: $(VENV)/.installed-dev chromium
	STARTIER_SCREENSHOTS=all $(BIN)/python -m pytest tests/browser

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: $(VENV)/.installed
	$(BIN)/python -m core demo --db $(DB) --replace

bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	$(BIN)/python -m bench.run

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

$(DB): | $(VENV)/.installed
	$(BIN)/python -m core demo --db $(DB)

# Headless Chromium (Debian's) and a CJK font so the Chinese screenshots show characters.
chromium:
	@if ! command -v chromium >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/screenshots
