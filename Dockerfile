# The image of every deployed process (web, worker, release): the exact dependency
# versions of requirements.lock, checked by hash, then tradebridge itself without
# resolving anything again. railway.toml builds it; the command picks the process.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    TRADEBRIDGE_ENV=production

WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY . .
RUN pip install --no-deps . && useradd --system --no-create-home tradebridge
USER tradebridge

# Railway and most hosts set PORT; the worker service overrides the command
# (`tradebridge worker`), the release step runs `tradebridge migrate`.
CMD ["sh", "-c", "exec tradebridge web --host 0.0.0.0 --port \"${PORT:-8000}\""]
