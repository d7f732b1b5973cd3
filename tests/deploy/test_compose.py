"""The deployment files agree with Airflow's compose conventions, with each other and with the repo."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "Dockerfile"

AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
    "airflow-cli",
    "flower",
}
OTHER_SERVICES = {"postgres", "redis", "warehouse", "metabase"}
ONE_SHOTS = {"airflow-init", "airflow-cli"}
LONG_RUNNING_AIRFLOW = AIRFLOW_SERVICES - ONE_SHOTS
# What each health check must probe: a fragment of its command line.
HEALTH_PROBES = {
    "postgres": ["pg_isready"],
    "redis": ["redis-cli", "ping"],
    "warehouse": ["pg_isready", "campaign"],
    "airflow-apiserver": ["curl", "http://localhost:8080/api/v2/monitor/health"],
    "airflow-scheduler": ["curl", "http://localhost:8974/health"],
    "airflow-dag-processor": ["airflow jobs check", "--job-type DagProcessorJob"],
    "airflow-triggerer": ["airflow jobs check", "--job-type TriggererJob"],
    "airflow-worker": ["celery", "inspect ping"],
    "flower": ["curl", "http://localhost:5555/"],
    "metabase": ["curl", "http://localhost:3000/api/health"],
}
# ${VAR}, ${VAR:-default}, ${VAR:?message}; `$${VAR}` is a literal for the container's shell.
ENV_REF = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
PLACEHOLDER = "change-me"


def _resolve_defaults(text: str) -> str:
    """Replace `${VAR:-default}` by its default, as compose does when VAR is unset."""
    return ENV_REF.sub(lambda m: m.group(3) if m.group(2) in (":-", "-") else m.group(0), text)


def _url(value: str):
    """urlsplit of a compose value, each `${VAR...}` replaced by `ENV_VAR` (a `?` would end the netloc)."""
    return urlsplit(ENV_REF.sub(lambda m: f"ENV_{m.group(1)}", value))


def _env_refs(compose_text: str) -> list[re.Match]:
    """The `${VAR...}` references compose interpolates (comment lines are not interpolated)."""
    body = "\n".join(line for line in compose_text.splitlines() if not line.lstrip().startswith("#"))
    return list(ENV_REF.finditer(body))


def _command_line(healthcheck: dict) -> str:
    """A healthcheck's test as one string, whichever form it is written in."""
    test = healthcheck["test"]
    return test if isinstance(test, str) else " ".join(test)


def _container_port(port: str) -> int:
    """The container side of a ports entry like "${PORT:-8080}:8080"."""
    return int(str(port).rsplit(":", 1)[-1].split("/")[0])


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, args = line.partition(" ")
            pairs.append((instruction.upper(), args.strip()))
    return pairs


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example(parse_env) -> tuple[dict[str, str], dict[str, str]]:
    return parse_env(ENV_EXAMPLE.read_text())


def test_compose_has_exactly_the_expected_services(services):
    assert set(services) == AIRFLOW_SERVICES | OTHER_SERVICES


def test_airflow_services_merge_the_common_anchor_and_others_do_not(compose_text):
    root = yaml.compose(compose_text)
    top = {key.value: value for key, value in root.value}
    common = top["x-airflow-common"]
    for key, service in top["services"].value:
        merged = [value for k, value in service.value if k.tag == "tag:yaml.org,2002:merge"]
        if key.value in AIRFLOW_SERVICES:
            assert merged and merged[0] is common, f"{key.value} does not start from *airflow-common"
        else:
            assert all(m is not common for m in merged), f"{key.value} must not be an Airflow service"


def test_airflow_services_share_image_and_environment(services, compose):
    common = compose["x-airflow-common"]
    assert common["build"] == "."
    for name in AIRFLOW_SERVICES:
        service = services[name]
        assert service["image"] == common["image"], name
        env = service["environment"]
        assert {k: env.get(k) for k in common["environment"]} == common["environment"], name


def test_executor_is_celery_with_redis_broker_and_postgres_backend(compose, services):
    env = compose["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://:@redis:6379/0"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] in ("true", "false")
    assert "redis" in services


def test_metadata_db_url_matches_the_postgres_service(compose, services):
    env = compose["x-airflow-common"]["environment"]
    pg = services["postgres"]["environment"]
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"):
        url = _url(env[key])
        # psycopg 3 is the PostgreSQL driver in uv.lock (psycopg2 and asyncpg are not).
        assert url.scheme == "postgresql+psycopg", key
        assert (url.hostname, url.username, url.path) == ("postgres", pg["POSTGRES_USER"], "/airflow"), key
        assert pg["POSTGRES_DB"] == "airflow"
        assert url.password == "ENV_" + ENV_REF.fullmatch(pg["POSTGRES_PASSWORD"]).group(1)
    backend = env["AIRFLOW__CELERY__RESULT_BACKEND"].removeprefix("db+")
    assert backend == env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


@pytest.mark.parametrize(
    "key, env_var",
    [
        ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW_JWT_SECRET"),
        ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW_FERNET_KEY"),
        ("AIRFLOW__API__SECRET_KEY", "AIRFLOW_API_SECRET_KEY"),
    ],
)
def test_shared_secrets_are_identical_everywhere_and_required_from_env(services, key, env_var):
    values = {name: services[name]["environment"].get(key) for name in AIRFLOW_SERVICES}
    assert len(set(values.values())) == 1, values
    ref = ENV_REF.fullmatch(next(iter(values.values())) or "")
    assert ref, f"{key} must be exactly one ${{VAR}} reference"
    assert ref.group(1) == env_var
    assert ref.group(2) == ":?", f"{key} must be required (${{{env_var}:?...}}), never defaulted"


def test_execution_api_url_points_at_the_api_server(compose, services):
    url = urlsplit(compose["x-airflow-common"]["environment"]["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert url.hostname == "airflow-apiserver"
    api = services[url.hostname]
    assert api["command"] == "api-server"
    assert url.port in {_container_port(p) for p in api["ports"]}
    assert f"localhost:{url.port}/" in _command_line(api["healthcheck"])
    assert url.path == "/execution/"


@pytest.mark.parametrize("name", sorted(HEALTH_PROBES))
def test_long_running_services_have_a_probing_healthcheck(services, name):
    check = services[name].get("healthcheck")
    assert check, f"{name} has no healthcheck"
    assert isinstance(check["test"], str) or check["test"][0] in ("CMD", "CMD-SHELL")
    line = _command_line(check)
    for fragment in HEALTH_PROBES[name]:
        assert fragment in line, f"{name}: {fragment!r} not in {line!r}"
    for key in ("interval", "retries"):
        assert key in check, f"{name}: healthcheck without {key}"


def test_every_service_is_checked_except_the_one_shots(services):
    assert set(services) - ONE_SHOTS == set(HEALTH_PROBES)
    for name in ONE_SHOTS:
        assert "healthcheck" not in services[name], f"{name} exits; a healthcheck would never pass"


def test_scheduler_health_server_is_enabled(compose):
    assert compose["x-airflow-common"]["environment"]["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"


def test_dependency_conditions_are_sound(services):
    for name, service in services.items():
        for target, spec in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}, which has no check"
            else:
                assert condition == "service_completed_successfully", (name, target, condition)
                assert target in ONE_SHOTS, f"{name} waits for {target} to exit, but it keeps running"
            assert not services[target].get("profiles"), f"{name} depends on a profile-only service"


def test_airflow_services_wait_for_their_databases_and_init(services):
    for name in AIRFLOW_SERVICES:
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
    for name in LONG_RUNNING_AIRFLOW:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert services["airflow-init"]["depends_on"]["warehouse"]["condition"] == "service_healthy"
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"


def test_airflow_commands_match_their_services(services):
    commands = {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
        "airflow-worker": "celery worker",
        "flower": "celery flower",
    }
    for name, command in commands.items():
        assert services[name]["command"] == command


def test_workers_can_be_scaled(services):
    worker = services["airflow-worker"]
    assert "container_name" not in worker
    assert "ports" not in worker, "a fixed host port would clash with --scale airflow-worker=N"
    assert worker["environment"]["DUMB_INIT_SETSID"] == "0"


def _bind_mounts(services: dict) -> list[tuple[str, str, str]]:
    mounts = []
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source, target = _resolve_defaults(volume).split(":")[:2]
            if source.startswith((".", "/")):
                mounts.append((name, source, target))
    return mounts


def test_code_bind_mounts_exist_in_the_repo(services):
    mounts = _bind_mounts(services)
    code = [(n, s, t) for n, s, t in mounts if not s.startswith("./var/")]
    assert {s for _, s, _ in code} >= {"./dags", "./plugins", "./etl", "./expectations", "./sql"}
    for name, source, _ in code:
        assert not source.startswith("/"), f"{name}: absolute host path {source}"
        assert (REPO / source).exists(), f"{name} mounts {source}, missing from the repo"


def test_data_bind_mounts_live_in_the_ignored_var_folder(services):
    ignored = {line.strip().rstrip("/") for line in (REPO / ".gitignore").read_text().splitlines()}
    assert "var" in ignored
    data = {t: s for _, s, t in _bind_mounts(services) if s.startswith("./var/")}
    assert set(data) == {"/opt/airflow/logs", "/opt/airflow/drop", "/opt/airflow/reports", "/opt/airflow/var"}


def test_named_volumes_are_declared(compose, services):
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = _resolve_defaults(volume).split(":")[0]
            if not source.startswith((".", "/")):
                assert source in compose["volumes"], f"{name} uses undeclared volume {source}"


def test_project_settings_reach_the_containers(compose, services):
    env = compose["x-airflow-common"]["environment"]
    url = _url(env["CAMPAIGN_WAREHOUSE_URL"])
    assert url.scheme == "postgresql+psycopg"
    assert (url.hostname, url.port, url.username, url.path) == ("warehouse", 5432, "campaign", "/campaign")
    assert url.password == "ENV_WAREHOUSE_PASSWORD"
    warehouse_password = services["warehouse"]["environment"]["WAREHOUSE_PASSWORD"]
    assert ENV_REF.fullmatch(warehouse_password).group(1) == "WAREHOUSE_PASSWORD"
    for key in ("CAMPAIGN_PII_SALT", "CAMPAIGN_REPORT_RECIPIENTS", "CAMPAIGN_ALERT_WEBHOOK", "CAMPAIGN_ALERT_EMAILS"):
        assert ENV_REF.fullmatch(env[key]).group(1) == key
    for conn_id in ("hotline_api", "events_api", "inspections_drop", "smtp_default"):
        var = f"AIRFLOW_CONN_{conn_id.upper()}"
        assert ENV_REF.fullmatch(env[var]).group(1) == var
    targets = {t for _, _, t in _bind_mounts(services)}
    assert env["CAMPAIGN_REPORT_DIR"] in targets
    assert env["CAMPAIGN_VAR_DIR"] in targets


def test_init_runs_the_project_setup_script(services):
    init = services["airflow-init"]
    assert init["user"] == "0:0"
    script = init["command"][-1]
    mounts = {t: s for _, s, t in _bind_mounts(services)}
    host = REPO / mounts["/opt/airflow/deploy"] / Path(script).relative_to("/opt/airflow/deploy")
    text = host.read_text()
    for step in ("airflow db migrate", "airflow pools set warehouse", "python -m etl.warehouse bootstrap"):
        assert step in text
    assert "CAMPAIGN_WAREHOUSE_POOL_SLOTS" in init["environment"]


def test_warehouse_init_scripts_are_mounted_and_executable(services):
    mounts = {t: s for _, s, t in _bind_mounts({"warehouse": services["warehouse"]})}
    folder = REPO / mounts["/docker-entrypoint-initdb.d"]
    scripts = sorted(folder.glob("*.sh"))
    assert scripts
    for script in scripts:
        assert script.stat().st_mode & 0o111, f"{script.name} must be executable (else it is sourced)"
        assert "bi_reader" in script.read_text()


def test_compose_env_references_are_declared_in_env_example(compose_text, env_example):
    active, commented = env_example
    refs = {(m.group(1), m.group(2)) for m in _env_refs(compose_text)}
    assert refs
    for var, modifier in refs:
        if modifier in (":?", "?"):
            assert var in active, f"required ${{{var}}} must be set in .env.example"
        else:
            assert var in active or var in commented, f"${{{var}}} is not documented in .env.example"


def _passed_through(compose: dict) -> set[str]:
    """Variables written without a value: compose passes them on from .env only when set there."""
    return {k for k, v in compose["x-airflow-common"]["environment"].items() if v is None}


def test_passed_through_variables_are_documented_and_read_by_the_code(compose, env_example):
    active, commented = env_example
    code = "\n".join(p.read_text() for p in [*(REPO / "etl").rglob("*.py"), *(REPO / "plugins").rglob("*.py")])
    names = _passed_through(compose)
    assert names
    for var in names:
        assert var in active or var in commented, f"{var} is not documented in .env.example"
        assert f'"{var}"' in code, f"{var} is passed to the containers but no code reads it"


def test_env_example_declares_nothing_compose_ignores(compose, compose_text, env_example):
    used = {m.group(1) for m in _env_refs(compose_text)} | _passed_through(compose)
    active, commented = env_example
    assert set(active) | set(commented) <= used


def test_env_example_holds_placeholders_not_secrets(env_example):
    active, commented = env_example
    everything = {**commented, **active}
    secretish = re.compile(r"PASSWORD|SECRET|KEY|SALT|TOKEN")
    for var, value in everything.items():
        if secretish.search(var):
            assert value.startswith(PLACEHOLDER), f"{var} must be a {PLACEHOLDER} placeholder"
        assert not re.search(r"\b[0-9a-fA-F]{24,}\b", value), f"{var} holds a hex secret"
        assert not re.search(r"[A-Za-z0-9_-]{43}=", value), f"{var} holds a Fernet-like key"
    for var, value in everything.items():
        if var.startswith("AIRFLOW_CONN_"):
            conn = json.loads(value)
            if "password" in conn:
                assert conn["password"].startswith(PLACEHOLDER), f"{var}.password"
            if "api_key" in conn.get("extra", {}):
                assert conn["extra"]["api_key"].startswith(PLACEHOLDER), f"{var}.extra.api_key"
            if "host" in conn:
                host = urlsplit(conn["host"]).hostname or conn["host"]
                assert host.endswith("example.org"), f"{var} points at a real host"
    for address in active["CAMPAIGN_REPORT_RECIPIENTS"].split(","):
        assert address.endswith("@example.org")


def test_env_example_connections_are_valid(env_example):
    active, commented = env_example
    conns = {var: json.loads(active[var]) for var in active if var.startswith("AIRFLOW_CONN_")}
    assert {v: c["conn_type"] for v, c in conns.items()} == {
        "AIRFLOW_CONN_HOTLINE_API": "http",
        "AIRFLOW_CONN_EVENTS_API": "http",
        "AIRFLOW_CONN_INSPECTIONS_DROP": "fs",
        "AIRFLOW_CONN_SMTP_DEFAULT": "smtp",
    }
    open311 = json.loads(commented["AIRFLOW_CONN_HOTLINE_API"])
    assert conns["AIRFLOW_CONN_HOTLINE_API"]["extra"]["profile"] == "native"
    assert open311["extra"]["profile"] == "open311"
    # Credentials where etl/sources reads them: HttpSource's extra.auth, Open311's extra.api_key.
    for conn in (conns["AIRFLOW_CONN_HOTLINE_API"], conns["AIRFLOW_CONN_EVENTS_API"]):
        assert conn["extra"]["auth"] in ("bearer", "basic") and conn["password"]
        assert conn["extra"]["auth"] == "bearer" or conn["login"]
        assert urlsplit(conn["host"]).path in ("", "/"), "host is the origin; the connector adds the path"
    assert open311["extra"]["api_key"] and open311["extra"]["jurisdiction_id"]
    assert conns["AIRFLOW_CONN_INSPECTIONS_DROP"]["extra"]["path"] == "/opt/airflow/drop/inspections"
    assert conns["AIRFLOW_CONN_SMTP_DEFAULT"]["extra"]["from_email"]


def test_drop_folder_of_the_connection_is_mounted(env_example, services):
    path = json.loads(env_example[0]["AIRFLOW_CONN_INSPECTIONS_DROP"])["extra"]["path"]
    targets = {t for _, _, t in _bind_mounts(services)}
    assert any(path == t or path.startswith(t + "/") for t in targets)


def test_bi_profile_holds_metabase_only(services):
    assert services["metabase"]["profiles"] == ["bi"]
    assert _resolve_defaults(services["metabase"]["image"]).startswith("metabase/metabase:")
    in_bi = {name for name, s in services.items() if "bi" in (s.get("profiles") or [])}
    assert in_bi == {"metabase"}
    assert services["metabase"]["depends_on"]["warehouse"]["condition"] == "service_healthy"
    assert services["flower"]["profiles"] == ["flower"]
    assert services["airflow-cli"]["profiles"] == ["debug"]


def test_warehouse_is_its_own_postgres(services, compose):
    warehouse = services["warehouse"]
    assert warehouse["image"].startswith("postgres:")
    data = [v.split(":")[0] for v in warehouse["volumes"] if v.endswith("/var/lib/postgresql/data")]
    assert data and data[0] in compose["volumes"]
    assert data[0] not in [v.split(":")[0] for v in services["postgres"]["volumes"]]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"].startswith("redis:7.2")


def test_dockerfile_base_image_is_the_locked_airflow():
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    airflow = next(p["version"] for p in lock["package"] if p["name"] == "apache-airflow")
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    python = re.search(r">=\s*(3\.\d+)", requires).group(1)
    bases = [args.split()[0] for instruction, args in _dockerfile_instructions() if instruction == "FROM"]
    assert bases, "no FROM"
    assert bases[-1] == f"apache/airflow:{airflow}-python{python}"
    assert all(base == bases[-1] for base in bases)


def test_dockerfile_installs_the_report_fonts_as_root_and_deps_as_airflow():
    steps = _dockerfile_instructions()
    final = max(i for i, (instruction, _) in enumerate(steps) if instruction == "FROM")
    steps = steps[final:]
    user = "root"
    seen = {"font": False, "deps": False}
    for instruction, args in steps:
        if instruction == "USER":
            user = args
        elif instruction == "RUN" and "apt-get install" in args:
            # charts and PDF: Noto CJK; PDF: WeasyPrint's Pango, and HarfBuzz to subset the fonts in milliseconds
            assert {"fonts-noto-cjk", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"} <= set(args.split())
            assert user == "root"
            seen["font"] = True
        elif instruction == "RUN" and "pip install" in args and "requirements" in args:
            assert user == "airflow", "Python packages go in as the airflow user"
            seen["deps"] = True
    assert seen == {"font": True, "deps": True}
    assert user == "airflow", "the image must not end as root"


def test_dockerfile_exports_the_lock_with_the_projects_uv():
    text = " ".join(args for instruction, args in _dockerfile_instructions() if instruction == "RUN")
    make_uv = re.search(r"^UV_VERSION\s*:?=\s*(\S+)", (REPO / "Makefile").read_text(), re.M).group(1)
    assert f"uv=={make_uv}" in text
    export = re.search(r"uv export [^&;]*", text).group(0)
    for flag in ("--frozen", "--no-dev", "--no-hashes"):
        assert flag in export


def test_dockerfile_copies_existing_unignored_paths():
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in (".git", ".venv", "var", ".env"):
        assert needed in ignored
    for instruction, args in _dockerfile_instructions():
        if instruction != "COPY" or "--from=" in args:
            continue
        sources = [a for a in args.split() if not a.startswith("--")][:-1]
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: missing"
            assert source.rstrip("/") not in ignored, f"COPY {source}: excluded by .dockerignore"


def test_operations_doc_names_real_services_dags_and_settings(services, compose_text):
    readme = (REPO / "README.md").read_text()
    doc = readme[readme.index("## Operations (production)"):]
    for name in re.findall(r"docker compose (?:exec|run --rm) ([a-z][a-z0-9-]*)", doc):
        assert name in services, f"README.md uses unknown service {name}"
    dag_ids = set(re.findall(r'dag_id="([a-z_]+)"', "\n".join(p.read_text() for p in (REPO / "dags").glob("*.py"))))
    for dag_id in re.findall(r"(?:--dag-id|dags trigger|dags unpause) ([a-z_]+)", doc):
        assert dag_id in dag_ids, f"README.md names unknown DAG {dag_id}"
    known = compose_text + ENV_EXAMPLE.read_text()
    for setting in set(re.findall(r"\b(?:CAMPAIGN|AIRFLOW|WAREHOUSE|BI_READER|METABASE)_[A-Z0-9_]*[A-Z0-9]", doc)):
        assert setting in known, f"README.md mentions {setting}, unknown to compose and .env.example"
