#!/usr/bin/env bash
# Bazaar from nothing to a running site, and the test suite.
#
#   ./setup.sh [--port 5000] [--workers N]   install, start the database, load demo data, serve the site
#                                            (with the job worker, and a local mail catcher if SMTP_URL is unset)
#   ./setup.sh test [pytest args]            install, lint, and run the whole test suite (in two processes,
#                                            BAZAAR_TEST_PROCESSES; with pytest args, in one unless -n N is given)
#   ./setup.sh seed [generator options]      rebuild the demo data (see ./setup.sh seed --help)
#   ./setup.sh migrate [--status]            bring the database to the newest schema revision (or list them)
#   ./setup.sh check                         check the data's invariants
#   ./setup.sh admin EMAIL [--role R]        make an account administrator (or moderator, or user again)
#   ./setup.sh coupon CODE --percent P ...   create a platform coupon (--list, --pause CODE, --resume CODE; --help)
#   ./setup.sh cluster [--port P] [--app-servers N] [--replicas M]
#                                            the site as a local cluster: HAProxy, N app servers, PgBouncer,
#                                            M streaming replicas, the worker (db/cluster.py; docs/DEPLOY.md)
#   ./setup.sh backup [--list] [--keep N]    base backup into db/backups/ (verified; --list shows them)
#   ./setup.sh restore --to TIME|latest      point-in-time recovery into a new data directory, started beside
#   ./setup.sh stop                          stop the embedded PostgreSQL
#
# With DATABASE_URL set, every command uses that PostgreSQL and starts none of its own.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=env
PORT=5000
WORKERS=$(( $(nproc 2>/dev/null || echo 2) * 2 + 1 ))

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

install_packages() {
    local stamp="$VENV/.requirements.sha256" wanted
    wanted=$(sha256sum requirements.txt | cut -d' ' -f1)
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        return
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        say "Creating the virtualenv in $VENV/"
        "$PYTHON" -m venv "$VENV" || die "could not create a virtualenv: install python3-venv (Debian/Ubuntu) and retry"
    fi
    say "Installing Python packages (requirements.txt)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
    echo "$wanted" > "$stamp"
}

start_database() {
    if [[ -n "${DATABASE_URL:-}" ]]; then
        say "Using the PostgreSQL at DATABASE_URL"
        return
    fi
    say "Starting the embedded PostgreSQL (data in db/pgdata/)"
    DATABASE_URL=$("$VENV/bin/python" -m db.embedded start --database bazaar)
    export DATABASE_URL
}

install_browser() {
    # Browser tests drive Chromium: Debian's package where we can install it, else Playwright's own.
    if [[ -x /usr/bin/chromium || -n "${BAZAAR_CHROMIUM:-}" ]]; then
        return
    fi
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        say "Installing Chromium for the browser tests (apt-get install chromium)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        say "Installing Playwright's Chromium for the browser tests"
        "$VENV/bin/python" -m playwright install chromium
    fi
}

install_cluster_packages() {
    # The cluster's load balancer and connection pooler are Debian packages.
    local missing=()
    command -v haproxy >/dev/null || missing+=(haproxy)
    command -v pgbouncer >/dev/null || missing+=(pgbouncer)
    [[ ${#missing[@]} -eq 0 ]] && return
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        say "Installing ${missing[*]} for the cluster (apt-get install)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        # Debian starts packaged services where it can; the cluster runs its own.
        service haproxy stop >/dev/null 2>&1 || true
        service pgbouncer stop >/dev/null 2>&1 || true
    else
        die "the cluster needs ${missing[*]}: install them (Debian: sudo apt-get install ${missing[*]}) and retry"
    fi
}

prepare_site() {
    install_packages
    start_database
    say "Migrating the database to the newest schema revision"
    "$VENV/bin/python" -m db.manage migrate
    if [[ $("$VENV/bin/python" -m db.manage status) == "users: 0" ]]; then
        say "Loading demo data (./setup.sh seed to rebuild it)"
        "$VENV/bin/python" -m db.generated --scale demo
    fi
    demo_logins
}

cluster() {
    [[ -z "${DATABASE_URL:-}" ]] || die "the cluster runs on the embedded PostgreSQL: unset DATABASE_URL"
    install_cluster_packages
    prepare_site
    unset DATABASE_URL  # db.cluster starts the primary itself and hands each process its URLs
    exec "$VENV/bin/python" -m db.cluster "$@"
}

demo_logins() {
    "$VENV/bin/python" -m db.generated --print-logins
}

serve() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --port) PORT=${2:?--port needs a number}; shift 2 ;;
            --workers) WORKERS=${2:?--workers needs a number}; shift 2 ;;
            *) die "unknown option $1 (try: ./setup.sh help)" ;;
        esac
    done
    [[ "$PORT" =~ ^[0-9]+$ && "$WORKERS" =~ ^[0-9]+$ ]] || die "--port and --workers take whole numbers"
    prepare_site
    # honcho runs the Procfile's processes side by side and stops them all on Ctrl-C.
    export BAZAAR_PORT=$PORT BAZAAR_WEB_WORKERS=$WORKERS
    export BAZAAR_PUBLIC_URL=${BAZAAR_PUBLIC_URL:-http://127.0.0.1:$PORT}
    local processes=(web worker)
    if [[ -z "${SMTP_URL:-}" ]]; then
        export BAZAAR_MAIL_PORT=${BAZAAR_MAIL_PORT:-8025}
        export SMTP_URL="smtp://127.0.0.1:$BAZAAR_MAIL_PORT"
        processes+=(mail)
        say "No SMTP_URL set: e-mail goes to a local catcher and is kept in instance/mail/ (read the newest with: env/bin/python -m app.mailcatcher --latest)"
    fi
    say "Serving Bazaar at http://127.0.0.1:$PORT with $WORKERS workers, beside ${processes[*]:1} (Ctrl-C stops all)"
    exec "$VENV/bin/honcho" start --procfile Procfile "${processes[@]}"
}

run_tests() {
    install_packages
    install_browser
    install_cluster_packages
    start_database
    say "Lint: ruff check and ruff format --check"
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    # The whole suite runs in pytest-xdist processes, each with a throwaway database of its own;
    # worksteal hands the long tests' neighbours to whichever process is free.
    local spread=()
    if [[ $# -eq 0 ]]; then
        spread=(-n "${BAZAAR_TEST_PROCESSES:-2}" --dist worksteal)
    fi
    say "Tests (throwaway databases; the demo data is not touched)"
    set +e
    "$VENV/bin/python" -m pytest "${spread[@]}" "$@"
    local status=$?
    set -e
    return $status
}

command=${1:-serve}
case "$command" in
    serve|--port|--workers)
        [[ "$command" == serve ]] && shift || true
        serve "$@" ;;
    test)
        shift
        run_tests "$@" ;;
    cluster)
        shift
        cluster "$@" ;;
    seed)
        shift
        install_packages
        start_database
        "$VENV/bin/python" -m db.generated "$@"
        demo_logins ;;
    migrate)
        shift
        install_packages
        start_database
        "$VENV/bin/python" -m db.manage migrate "$@" ;;
    check)
        install_packages
        start_database
        "$VENV/bin/python" -m db.check ;;
    admin)
        shift
        install_packages
        start_database
        "$VENV/bin/python" -m app.admin_cli "$@" ;;
    coupon)
        shift
        install_packages
        start_database
        "$VENV/bin/python" -m app.coupon_cli "$@" ;;
    backup|restore)
        # db/backup.py starts the embedded server for a backup, and never for a restore (a restore may be
        # run because db/pgdata is gone: starting it would create an empty one).
        install_packages
        "$VENV/bin/python" -m db.backup "$@" ;;
    stop)
        if [[ -n "${DATABASE_URL:-}" ]]; then
            echo "DATABASE_URL is set: there is no embedded PostgreSQL to stop."
        elif [[ -x "$VENV/bin/python" ]]; then
            "$VENV/bin/python" -m db.embedded stop
        fi ;;
    help|-h|--help)
        sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' ;;
    *)
        die "unknown command '$command' (try: ./setup.sh help)" ;;
esac
