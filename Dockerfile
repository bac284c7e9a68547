# One image for every node; docker-compose.yml picks the role with its command and CRM_* settings.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared shared
COPY province province
COPY hq hq
COPY replication replication
COPY crm crm
COPY proto proto
# Generate the gRPC code first so that the installed `replication` package carries it, with the compiler pinned in
# pyproject's `build` extra; it is removed again: the nodes need only grpcio and protobuf.
RUN pip install --no-cache-dir $(python -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["build"]))') \
    && python -m replication.build_proto && pip uninstall --yes grpcio-tools && pip install --no-cache-dir .
ENV CRM_HTTP_HOST=0.0.0.0 CRM_GRPC_HOST=0.0.0.0
