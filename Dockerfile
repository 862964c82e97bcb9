# Xianfeng: bot, admin panel and scheduler. Slim, non-root, catalogs compiled at build.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md babel.cfg ./
COPY xianfeng ./xianfeng
COPY bot ./bot
COPY admin ./admin
COPY models ./models
COPY locales ./locales
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data ADMIN_HOST=0.0.0.0
RUN useradd --create-home --uid 10001 xianfeng && mkdir /data && chown xianfeng /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER xianfeng
WORKDIR /data
EXPOSE 8080
CMD ["xianfeng", "run"]
