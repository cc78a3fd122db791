# The proxy of deploy/compose.yaml: Debian's HAProxy (the package `make serve` uses).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/*
COPY deploy/haproxy.cfg /etc/haproxy/haproxy.cfg
EXPOSE 8501
USER haproxy
CMD ["haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
