# openclarify: a self-hosted stand-in for the SageMaker Clarify processing
# container. `docker run IMAGE` runs the job described under /opt/ml (the
# default entrypoint is `openclarify run`); `docker run IMAGE serve` serves the
# model found at /opt/ml/model on port 8080.
#
# Works on the official python:3.11-slim image and on the stand-in that
# container/ci-docker.sh builds where no registry is reachable: everything is
# installed into a virtual environment, never into the system interpreter.

FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /build

# Dependency layer: only pyproject.toml and the pins, so source edits reuse it.
# The runtime requirements are read from pyproject.toml and installed under
# container/constraints.txt (the versions of the development venv). xgboost is
# installed as xgboost-cpu: same package, without the CUDA NCCL wheel. The
# libraries' own test suites (about 130 MB) are removed.
COPY pyproject.toml ./
COPY container/constraints.txt container/constraints.txt
# Versions are pinned by the constraints file (-c), not on the command line.
# hadolint ignore=DL3013
RUN python -c "import tomllib; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
print('\n'.join('xgboost-cpu' + d[len('xgboost'):] if d.startswith('xgboost') \
else d for d in deps))" > requirements.txt \
    && pip install -r requirements.txt -c container/constraints.txt \
    && find /opt/venv/lib/python3*/site-packages -mindepth 2 -type d -name tests \
        -prune -exec rm -rf {} +

# Project layer: the package itself, without touching the dependencies.
COPY README.md ./
COPY src/ src/
RUN pip install --no-deps . \
    && python -c "import openclarify"


FROM python:3.11-slim

LABEL org.opencontainers.image.title="openclarify" \
      org.opencontainers.image.description="Self-hosted runner for SageMaker Clarify processing jobs" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

COPY --from=builder /opt/venv /opt/venv

# SageMaker runs processing and serving containers as root and mounts /opt/ml;
# nothing of ours is shipped under /opt/ml.
WORKDIR /opt/program
EXPOSE 8080
ENTRYPOINT ["openclarify", "run"]
