#!/usr/bin/env bash
# Start what the tests use for real: a PostgreSQL server and headless Chromium.
# Installs them with apt when missing and we are root; writes .ci/test-env.sh with the
# settings the tests read. Without them the PostgreSQL and browser tests fail, not skip.
set -uo pipefail
cd "$(dirname "$0")/.."
env_file=.ci/test-env.sh
: > "$env_file"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {
  as_root apt-get update -qq >/dev/null 2>&1 || true
  as_root apt-get install -y -qq "$@" >/dev/null 2>&1
}

# PostgreSQL
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "installing postgresql with apt"; apt_install postgresql || echo "could not install postgresql"
fi
if command -v pg_lsclusters >/dev/null 2>&1; then
  cluster=$(pg_lsclusters -h 2>/dev/null | head -1)
  if [ -z "$cluster" ]; then
    ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
    as_root pg_createcluster "$ver" main >/dev/null
    cluster=$(pg_lsclusters -h | head -1)
  fi
  read -r ver name port status _ <<<"$cluster"
  [ "$status" = online ] || as_root pg_ctlcluster "$ver" "$name" start
  as_root su postgres -c "psql -q -p $port -c \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='alliance') THEN CREATE ROLE alliance LOGIN PASSWORD 'alliance' CREATEDB CREATEROLE; END IF; END\\\$\\\$;\"" \
    && as_root su postgres -c "psql -q -p $port -tc \"SELECT 1 FROM pg_database WHERE datname='alliance_test'\" | grep -q 1 || createdb -p $port -O alliance alliance_test" \
    && as_root su postgres -c "psql -q -p $port -c 'GRANT pg_signal_backend TO alliance'" \
    && as_root su postgres -c "psql -q -p $port -c 'ALTER ROLE alliance CREATEDB CREATEROLE'" \
    && echo "export ALLIANCE_KIT_TEST_PG=postgresql://alliance:alliance@127.0.0.1:$port/alliance_test" >> "$env_file"
  # a second role that owns nothing, as a team's application account often is
  as_root su postgres -c "psql -q -p $port -c \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='alliance_app') THEN CREATE ROLE alliance_app LOGIN PASSWORD 'alliance_app'; END IF; END\\\$\\\$;\"" \
    && echo "export ALLIANCE_KIT_TEST_PG_APP=postgresql://alliance_app:alliance_app@127.0.0.1:$port" >> "$env_file"
fi

# poppler's pdftotext/pdftoppm: the PDF tests read the pages a report prints
if ! command -v pdftotext >/dev/null 2>&1; then
  echo "installing poppler-utils with apt"; apt_install poppler-utils || echo "could not install poppler-utils"
fi

# Chromium for the browser tests
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium with apt"; apt_install chromium || echo "could not install chromium"
fi
command -v chromium >/dev/null 2>&1 && echo "export ALLIANCE_KIT_CHROMIUM=$(command -v chromium)" >> "$env_file"
cat "$env_file"
exit 0
