# The console's front-end libraries, from the npm registry as package-lock.json pins them.
FROM node:20-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim

# glibc malloc for a server (see core/management/commands/serve.py and bench/load.py): two arenas, not one
# per request thread; a fixed mmap threshold, so argon2's 19 MiB sign-in buffers go back to the system.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=frontend /app/node_modules ./node_modules
RUN mkdir -p /data && DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
