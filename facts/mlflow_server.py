"""External facts of the stack's own MLflow tracking server: images, ports, users, flags and their sources.

Sources (checked 2026-12):
  [MLFLOW-CLI]   `mlflow server --help` of mlflow 3.17.2 (requirements-test.txt): --backend-store-uri (env
                 MLFLOW_BACKEND_STORE_URI), --serve-artifacts, --artifacts-destination, --allowed-hosts
                 (default: localhost and private IPs only, so a Service or Gateway host name must be listed),
                 --app-name basic-auth, --workers.
  [MLFLOW-AUTH]  mlflow/server/auth/config.py and basic_auth.ini of mlflow 3.17.2: the auth app reads the
                 file named by MLFLOW_AUTH_CONFIG_PATH (database_uri, default_permission, admin_username);
                 MLFLOW_AUTH_ADMIN_USERNAME / MLFLOW_AUTH_ADMIN_PASSWORD override the file, and with no
                 password it refuses to start (MLflow ships no default admin password any more);
                 MLFLOW_FLASK_SERVER_SECRET_KEY signs its CSRF tokens and must be the same on every replica.
  [MLFLOW-IMG]   ghcr.io/mlflow/mlflow: the plain image has no PostgreSQL driver (mlflow/mlflow#9513); the
                 `-full` variant is built by mlflow/mlflow docker/Dockerfile.full as
                 `pip install mlflow[extras,azure,db,gateway,genai,auth]`: psycopg2 (db), google-cloud-storage
                 (extras) and Flask-WTF for the basic-auth app (auth); the maintainers point to it for
                 PostgreSQL in mlflow/mlflow#20926. Same version as the downloader image (facts/runtimes.py).
  [MLFLOW-HEALTH] the tracking server answers GET /health with "OK" (mlflow/server/__init__.py).
  [CSQL-PROXY]   GoogleCloudPlatform/cloud-sql-proxy examples/k8s-sidecar (v2 flags: --private-ip,
                 --structured-logs, --port, --health-check with --http-address/--http-port serving /startup,
                 /liveness, /readiness; the image runs as nonroot, UID 65532) and CHANGELOG.md: 2.14.0
                 (2024-10-23) is the newest release in the copy read here; check the releases page and bump
                 before a first prod `up`. Google recommends the proxy as a sidecar for GKE workloads
                 ("Connect from Google Kubernetes Engine", Cloud SQL for PostgreSQL docs).
  [K8S-SIDECAR]  Kubernetes "Sidecar containers": an init container with restartPolicy: Always runs for the
                 pod's life, starts before the app containers and stops after them; on by default (beta) from
                 1.29, GA in 1.33.
  [POSTGRES-IMG] docker.io/library/postgres: PGDATA, POSTGRES_USER/PASSWORD/DB; the image's `postgres` user
                 is UID 999. 17 is the newest major with Cloud SQL support in the copy read
                 (POSTGRES_17 in the Cloud SQL Admin API's databaseVersion enum).
"""

from __future__ import annotations

from facts.runtimes import DOWNLOADER_IMAGE

NAME = "mlflow"
PORT = 5000
PORT_NAME = "http"
HEALTH_PATH = "/health"
# The full image: the plain one cannot open a postgresql:// backend store [MLFLOW-IMG].
IMAGE = f"{DOWNLOADER_IMAGE}-full"
# Any non-root UID: the image declares no user; the writable places are mounted volumes and /tmp.
RUN_AS_USER = 1000
# CPU limits (the container-resources guardrail wants one on every container we write): the server may burst to
# two cores whatever its request (a model registration's artifact upload is the burst); the local PostgreSQL to
# one; the Cloud SQL Auth Proxy to half a core (it only relays the server's database connections).
SERVER_CPU_LIMIT = "2"
POSTGRES_CPU_LIMIT = "1"
PROXY_CPU_LIMIT = "500m"
# A basic-auth password has at least this many characters: MLflow refuses a shorter one, and a server given a
# shorter admin password does not start (mlflow.utils.validation._validate_password, mlflow 3.17.2).
MIN_PASSWORD_LENGTH = 12
AUTH_CONFIG_DIR = "/etc/mlflow-auth"
AUTH_CONFIG_FILE = "basic_auth.ini"
# The auth app's default: every signed-in user may read; writes need a grant by the admin [MLFLOW-AUTH].
AUTH_DEFAULT_PERMISSION = "READ"

CLOUD_SQL_PROXY_IMAGE = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0"
CLOUD_SQL_PROXY_USER = 65532
CLOUD_SQL_PROXY_HEALTH_PORT = 9090
# Native sidecars (restartPolicy: Always on an init container) are on by default from this minor [K8S-SIDECAR].
NATIVE_SIDECAR_MINOR = 29

POSTGRES_IMAGE = "docker.io/library/postgres:17.6"
POSTGRES_PORT = 5432
POSTGRES_USER_ID = 999
POSTGRES_DATA = "/var/lib/postgresql/data/pgdata"  # a subdirectory: the volume's lost+found is not PGDATA
CLOUD_SQL_DATABASE_VERSION = "POSTGRES_17"
DATABASE = "mlflow"
DATABASE_USER = "mlflow"


def service_host(namespace: str) -> str:
    return f"{NAME}.{namespace}.svc.cluster.local"


def in_cluster_uri(namespace: str) -> str:
    """What pods (the model download init containers, the monitors) use."""
    return f"http://{service_host(namespace)}:{PORT}"
