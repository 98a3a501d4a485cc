# Stand-in for the official python:3.11-slim image, for machines that reach
# Debian's archive and PyPI but no container registry. Built by
# container/ci-docker.sh on top of local/debian:bookworm (debootstrap), with
# Debian's own Python 3.11. The build context holds certs/: the host's extra CA
# certificates, which TLS to PyPI needs where an intercepting proxy sits in
# between. Only this stand-in trusts them; the project's Dockerfile does not.
FROM local/debian:bookworm

ENV LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive

# Versions come from the Debian release the base was bootstrapped from.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates python3 python3-pip python3-venv \
    && ln -s /usr/bin/python3 /usr/local/bin/python \
    && rm -rf /var/lib/apt/lists/*

COPY certs/ /usr/local/share/ca-certificates/
RUN update-ca-certificates

ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt

LABEL org.opencontainers.image.title="python:3.11-slim stand-in" \
      org.opencontainers.image.description="Debian bookworm with python3, python3-venv, python3-pip"

CMD ["python3"]
