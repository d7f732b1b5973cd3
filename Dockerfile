# The Airflow image of the campaign pipeline: the official image, a CJK font, Pango and HarfBuzz's subsetter
# for the report (charts, PDF), the dependencies locked in uv.lock, and the project's code. docker-compose.yaml
# builds it.

# Stage 1: uv.lock -> requirements.txt (exact pins, no dev tools), with the uv version that wrote the lock.
FROM apache/airflow:3.3.2-python3.11 AS requirements
RUN pip install --no-cache-dir uv==0.13.8
COPY --chown=airflow:root pyproject.toml uv.lock /tmp/lock/
# `python -m uv`: the base image has a uv of its own on PATH, maybe another version.
RUN python -m uv export --project /tmp/lock --frozen --no-dev --no-hashes --no-emit-project --quiet \
      -o /tmp/requirements.txt

FROM apache/airflow:3.3.2-python3.11

USER root
RUN apt-get update \
  && apt-get install -y --no-install-recommends fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
  && apt-get autoremove -yqq --purge \
  && apt-get clean \
  && rm -rf /var/lib/apt/lists/*

USER airflow
COPY --from=requirements /tmp/requirements.txt /tmp/requirements.txt
# The lock pins apache-airflow==3.3.2 itself, so pip cannot move Airflow off the base image's version.
RUN pip install --no-cache-dir -r /tmp/requirements.txt
# Fail the build, not a Monday report, if matplotlib cannot see the Chinese font or WeasyPrint its libraries.
RUN python -c "from matplotlib import font_manager as fm; \
names = {f.name for f in fm.fontManager.ttflist}; \
assert 'Noto Sans CJK SC' in names, sorted(n for n in names if 'CJK' in n)" \
  && python -c "import weasyprint"

# `etl` is imported by tasks and by `python -m etl.warehouse bootstrap`.
ENV PYTHONPATH=/opt/airflow
COPY --chown=airflow:root dags/ /opt/airflow/dags/
COPY --chown=airflow:root plugins/ /opt/airflow/plugins/
COPY --chown=airflow:root etl/ /opt/airflow/etl/
COPY --chown=airflow:root expectations/ /opt/airflow/expectations/
COPY --chown=airflow:root sql/ /opt/airflow/sql/
COPY --chown=airflow:root deploy/ /opt/airflow/deploy/
