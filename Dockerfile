# The Computational Graph Explorer as a container: one Streamlit server on port 8501.
#   docker build -t graph-explorer .
#   docker run --rm -p 8501:8501 -e STREAMLIT_SERVER_COOKIE_SECRET="$(openssl rand -hex 32)" graph-explorer
# Several replicas: deploy/kubernetes.yaml and deploy/README.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

# curl only for the HEALTHCHECK; nothing else from apt
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app
WORKDIR /app

# Dependencies first, so that editing the app does not reinstall TensorFlow.
# requirements.txt pins tensorflow-cpu on Linux x86-64 (no CUDA libraries in the image).
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY --chown=app:app .streamlit/ .streamlit/
COPY --chown=app:app app.py ./
COPY --chown=app:app explorer_app/ explorer_app/
COPY --chown=app:app graphviz_core/ graphviz_core/
COPY --chown=app:app pages/ pages/
COPY --chown=app:app assets/ assets/

USER app
EXPOSE 8501

# The launcher imports TensorFlow and runs the default preset once before the server listens
# (~5-7 s), so the first student's page does not wait for the import; /_stcore/health
# answers once it is done.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --start-interval=2s --retries=3 \
    CMD curl --fail --silent http://127.0.0.1:8501/_stcore/health || exit 1

# Settings for a public instance are in .streamlit/config.toml; the cookie secret comes from
# the environment (STREAMLIT_SERVER_COOKIE_SECRET), never from the image.
CMD ["python", "-m", "explorer_app.launch", "app.py"]
