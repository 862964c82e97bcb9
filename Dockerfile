# Xianfeng: one image for the bot, the admin panel, the scheduler and `xianfeng migrate`.
# Slim, non-root; the gettext catalogs are compiled into the wheel at build time.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md babel.cfg ./
COPY xianfeng ./xianfeng
COPY bot ./bot
COPY admin ./admin
COPY models ./models
COPY locales ./locales
# The wheel's build hook compiles locales/*/LC_MESSAGES/messages.po into .mo files.
RUN pip install --no-cache-dir build \
    && python -m build --wheel --outdir /wheels . \
    && python -c "import sys, zipfile, glob; names = zipfile.ZipFile(glob.glob('/wheels/*.whl')[0]).namelist(); sys.exit(0 if sum(n.endswith('.mo') for n in names) >= 3 else 'no compiled catalogs in the wheel')"

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data ADMIN_HOST=0.0.0.0 LOG_FORMAT=json
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin xianfeng \
    && mkdir /data && chown xianfeng:xianfeng /data
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels
USER xianfeng
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# Liveness: /healthz of the ops listener when METRICS_PORT is set (the bot), else of the panel.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('METRICS_PORT') or os.environ.get('ADMIN_PORT') or '8080'; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]
CMD ["xianfeng", "run"]
