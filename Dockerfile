# syntax=docker/dockerfile:1
# The complaint gateway: one image for every process (web, workers, migrate); the command picks the role.
#   docker build -t complaints-gateway .
#   docker run --rm complaints-gateway --help

# ---- build: resolve exactly what uv.lock says into /opt/venv -----------------------------------------
FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.13 /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
# Dependencies first: this layer is reused until pyproject.toml or uv.lock change.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-project
COPY . /src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# ---- runtime -----------------------------------------------------------------------------------------
FROM python:3.11-slim
# Tesseract with Russian data: OCR of letters and faxes (post / fax channels); DejaVu: the Cyrillic
# fonts embedded in answers by letter.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-rus fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /var/lib/complaints complaints
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    COMPLAINTS_DATA_DIR=/var/lib/complaints \
    COMPLAINTS_WEB_HOST=0.0.0.0 \
    COMPLAINTS_WEB_PORT=8000
USER complaints
WORKDIR /var/lib/complaints
VOLUME ["/var/lib/complaints"]
EXPOSE 8000
ENTRYPOINT ["complaints"]
CMD ["--help"]
