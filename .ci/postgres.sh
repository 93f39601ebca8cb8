#!/usr/bin/env bash
# Install (Debian's package) and start a local PostgreSQL for the store's tests, and
# create a database `callqa_test` owned by role `callqa`. Prints nothing on success.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi
VERSION=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q online; then
  pg_lsclusters -h | grep -q "^$VERSION main" || pg_createcluster "$VERSION" main >/dev/null
  pg_ctlcluster "$VERSION" main start
fi
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='callqa'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE callqa LOGIN PASSWORD 'callqa'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='callqa_test'\"" | grep -q 1 \
  || su postgres -c "psql -qc 'CREATE DATABASE callqa_test OWNER callqa'"
