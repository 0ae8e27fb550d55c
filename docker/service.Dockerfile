# One image pattern for the four ArtStore services. Build from the repository root, naming the
# service twice (its build arg and its final stage):
#   docker build -f docker/service.Dockerfile --build-arg SERVICE=admin-module \
#     --target admin-module -t artstore/admin-module .
# (docker-compose.yml does this for each service.) Only that service's package (and
# artstore-common) is installed, from uv.lock: an import of anything the service did not
# declare fails here rather than in production.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
# strip(1) for the compiled extensions (they ship with debug symbols: about 60 MB per image).
# hadolint ignore=DL3008
RUN test -n "${SERVICE}" \
 && apt-get update \
 && apt-get install -y --no-install-recommends binutils \
 && rm -rf /var/lib/apt/lists/*
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first (cached until uv.lock or a pyproject changes), then the sources: the
# service's directory as .dockerignore leaves it (no tests, no caches).
COPY pyproject.toml uv.lock ./
COPY libs/artstore-common/pyproject.toml libs/artstore-common/
COPY ${SERVICE}/pyproject.toml ${SERVICE}/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package ${SERVICE} --no-install-workspace
COPY libs/artstore-common/src libs/artstore-common/src
COPY ${SERVICE} ${SERVICE}
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package ${SERVICE} \
 && find /app/.venv -name '*.so' -exec strip --strip-unneeded {} +
# CycloneDX SBOM of exactly what was installed, from uv.lock (offline).
RUN uv export --frozen --no-dev --package ${SERVICE} --format cyclonedx1.5 --quiet \
      --output-file /app/sbom.cdx.json

# What every service image shares; each service's stage below adds its own few lines and
# ends with USER (non-root) and CMD.
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 artstore \
 && useradd --system --uid 10001 --gid artstore --home-dir /app --shell /usr/sbin/nologin artstore \
 && mkdir -p /var/lib/artstore \
 && chown artstore:artstore /var/lib/artstore
WORKDIR /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    LOG_FORMAT=json
LABEL org.artstore.sbom=/app/sbom.cdx.json
# HTTP or HTTPS (when TLS_CERT_FILE is set), verified against TLS_CA_FILE.
HEALTHCHECK --interval=15s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-m", "artstore_common.tls", "/health/live"]

# Tesseract with Russian and English models: OCR of scans and images (text extraction).
# Unpinned on purpose: Debian stable's security updates replace exact versions. A stage of
# its own so a code change does not reinstall it.
FROM runtime AS runtime-ocr
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng \
 && rm -rf /var/lib/apt/lists/*

# --- one stage per service (the --target); code stays root-owned (read-only for the service
# user), only the data directories are its own.

FROM runtime AS admin-module
RUN mkdir -p /certs /bootstrap \
 && chown artstore:artstore /certs /bootstrap
COPY --from=build /app /app
# One-shot compose init steps run from this image: certificates and bootstrap.
COPY scripts/gen-certs.py scripts/compose-init.py /app/scripts/
# Development: secrets generated at first start are kept on the state volume, not in /app.
ENV PORT=8000 \
    ARTSTORE_BOOTSTRAP_FILE=/var/lib/artstore/admin-bootstrap.env
EXPOSE 8000
VOLUME ["/var/lib/artstore"]
USER 10001:10001
CMD ["python", "-m", "artstore_common.serve", "admin_module.main:create_app"]

FROM runtime AS storage-element
RUN mkdir -p /data \
 && chown artstore:artstore /data
COPY --from=build /app /app
ENV PORT=8010 \
    SE_DATA_DIR=/data
EXPOSE 8010
VOLUME ["/data"]
USER 10001:10001
CMD ["python", "-m", "artstore_common.serve", "storage_element.main:create_app"]

FROM runtime AS ingester-module
COPY --from=build /app /app
ENV PORT=8020 \
    DISCOVERY_FALLBACK_FILE=/var/lib/artstore/discovery.json
EXPOSE 8020
VOLUME ["/var/lib/artstore"]
USER 10001:10001
CMD ["python", "-m", "artstore_common.serve", "ingester_module.main:create_app"]

FROM runtime-ocr AS query-module
COPY --from=build /app /app
ENV PORT=8030 \
    DISCOVERY_FALLBACK_FILE=/var/lib/artstore/discovery.json
EXPOSE 8030
VOLUME ["/var/lib/artstore"]
USER 10001:10001
CMD ["python", "-m", "artstore_common.serve", "query_module.main:create_app"]
