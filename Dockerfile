# Kefu server image: `docker compose up` runs it beside Redis and PostgreSQL (compose.yaml).
FROM python:3.11-slim-bookworm

# The CPU build of PyTorch; the default PyPI wheels carry ~3 GB of CUDA libraries.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    KEFU_DATA_DIR=/var/lib/kefu \
    KEFU_HOST=0.0.0.0 \
    KEFU_PORT=8000

# postgresql-client provides pg_dump / pg_restore for `kefu backup` and `kefu restore`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client=15* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/kefu --uid 10001 kefu

WORKDIR /opt/kefu
COPY constraints.txt ./
RUN pip install --extra-index-url "${TORCH_INDEX_URL}" -c constraints.txt "torch==2.13.0"
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY plugins ./plugins
COPY knowledge_packs ./knowledge_packs
RUN pip install -c constraints.txt .

USER 10001
VOLUME ["/var/lib/kefu"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2).status != 200)"]
CMD ["kefu", "serve"]
