# syntax=docker/dockerfile:1
# The action server and the web app (Python 3.11, torch on CPU). Build context: the repository root.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    PATH=/app/.venv/bin:$PATH
WORKDIR /app
RUN useradd --system --user-group --create-home --home-dir /home/assistant assistant

# torch first, on its own, from the CPU wheels (as the Makefile does: no resolver may pick a CUDA
# build); requirements/app.lock pins 2.13.0+cpu, which this satisfies.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
COPY requirements/app.lock requirements/
RUN python -m venv .venv \
 && pip install -q --index-url "$TORCH_INDEX_URL" "torch==2.13.0" \
 && pip install -q -r requirements/app.lock

# Named paths only (no .dockerignore): never the build machine's var/ (keys), venvs or env files.
COPY pyproject.toml ./
COPY scripts/ scripts/
COPY bot/ bot/
COPY knowledge/ knowledge/
COPY actions/ actions/
COPY answers/ answers/
COPY dossiers/ dossiers/
COPY handoff/ handoff/
COPY analytics/ analytics/
# web/ without node_modules (test tools only).
COPY web/*.py web/
COPY web/static/ web/static/
COPY web/templates/ web/templates/
RUN pip install -q --no-deps -e .

# The embedding model and the knowledge index are built into the image (as `make setup` does),
# so a container starts without any download. They stay root-owned: read-only at run time.
RUN python -m knowledge.embedding --out var/models/multilingual-e5-small \
 && knowledge build --index var/index \
 && chown assistant:assistant var

USER assistant
EXPOSE 5055 8000
STOPSIGNAL SIGTERM
# The action server; the web service runs scripts/run-web from the same image.
CMD ["scripts/run-actions"]
