# syntax=docker/dockerfile:1
ARG PYTHON=3.12

FROM python:${PYTHON}-slim AS base
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

FROM base AS deps
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt

FROM base AS test
COPY --from=deps /usr/local /usr/local
COPY . .
RUN python -m pytest

FROM base
COPY --from=deps /usr/local /usr/local
COPY --chown=1000:1000 app/ ./app/
USER 1000
EXPOSE 5000
CMD ["python", "-m", "app"]
