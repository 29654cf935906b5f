# Sourced by .ci/run: a throwaway PostgreSQL 15 cluster for the store contract tests, on 127.0.0.1 and a Unix
# socket in its own temporary directory, never the system cluster. Installs Debian's postgresql package only when
# initdb is absent (needs root). After ci_postgres_start, EDGEWISE_TEST_PG holds the connection string;
# ci_postgres_stop stops the cluster and removes its directory (idempotent).

ci_postgres_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

ci_postgres_start() {
  if ! ci_postgres_bin >/dev/null; then
    echo "postgres: installing Debian's postgresql package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } || return 1
  fi
  local bin port
  bin="$(ci_postgres_bin)" || return 1
  port="${EDGEWISE_TEST_PG_PORT:-55432}"
  CI_PG_DIR="$(mktemp -d /tmp/edgewise-pg.XXXXXX)"
  export CI_PG_DIR CI_PG_BIN="$bin"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$CI_PG_DIR"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$CI_PG_DIR/data" -U edgewise --auth=trust -E UTF8 --locale=C.UTF-8 >"$CI_PG_DIR/initdb.log" 2>&1 || { cat "$CI_PG_DIR/initdb.log" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$CI_PG_DIR/data" -l "$CI_PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $CI_PG_DIR -c max_connections=200 -c fsync=off" start >/dev/null || { cat "$CI_PG_DIR/server.log" >&2; return 1; }
  export EDGEWISE_TEST_PG="Host=127.0.0.1;Port=$port;Username=edgewise;Database=postgres"
  echo "postgres: cluster in $CI_PG_DIR on 127.0.0.1:$port" >&2
}

ci_postgres_stop() {
  if [ -n "${CI_PG_DIR:-}" ] && [ -d "$CI_PG_DIR/data" ]; then
    local as=()
    [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$CI_PG_BIN/pg_ctl" -D "$CI_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$CI_PG_DIR"
  fi
  CI_PG_DIR=
}
