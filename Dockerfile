# Ordergate: the gateway image, built from this checkout.
#
#   docker build -t ordergate:0.1.0 .
#   docker run --rm -p 8080:8080 -e ORDERGATE_DATABASE_URL=... ordergate:0.1.0 serve
#
# Slim Python 3.11; the package and its dependencies installed in a build stage (wheels only, no
# compiler in the image); runs as an unprivileged user (uid 10001) with nothing writable but /tmp
# and its home. The entry point is the `ordergate` command: `serve` by default, `migrate` for the
# deployment's migration job, `check` to see what is wrong.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY core ./core
COPY adapters ./adapters
COPY ordergate ./ordergate
COPY bench ./bench
RUN pip install --prefix=/install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ORDERGATE_HOST=0.0.0.0 \
    ORDERGATE_PORT=8080 \
    ORDERGATE_LOG_FORMAT=json
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/ordergate --create-home ordergate
COPY --from=build /install /usr/local
USER 10001:10001
WORKDIR /var/lib/ordergate
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["ordergate"]
CMD ["serve"]
