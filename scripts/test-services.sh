#!/usr/bin/env bash
# Install, start, stop and inspect the private services the test suite needs:
#   * MariaDB 10.11 (Debian's mariadb-server) on 127.0.0.1:$IKT_MARIADB_PORT
#   * Redis 7       (Debian's redis-server)   on 127.0.0.1:$IKT_REDIS_PORT
# plus the Debian packages needed to build mysqlclient, compile translations,
# run Playwright against Debian's Chromium and render PDFs with WeasyPrint.
#
# Nothing here touches the system-wide MariaDB/Redis instances: all data, pid,
# socket and log files live under $RUN_DIR (default: <repo root>/.run), and
# both servers listen on the loopback interface only.
#
# Usage: scripts/test-services.sh {install|start|stop|status|env}
#
# Environment:
#   IKT_MARIADB_PORT       MariaDB TCP port          (default 33306)
#   IKT_REDIS_PORT         Redis TCP port            (default 36379)
#   RUN_DIR                state directory           (default <repo root>/.run)
#   IKT_SERVICE_TIMEOUT    seconds to wait for start/stop (default 60)
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
RUN_DIR="${RUN_DIR:-$REPO_ROOT/.run}"
case "$RUN_DIR" in /*) ;; *) RUN_DIR="$PWD/$RUN_DIR" ;; esac

MARIADB_PORT="${IKT_MARIADB_PORT:-33306}"
REDIS_PORT="${IKT_REDIS_PORT:-36379}"
TIMEOUT="${IKT_SERVICE_TIMEOUT:-60}"

DB_NAME=ikt_portfolio
DB_USER=ikt
DB_PASSWORD=ikt

# The last four: Pango, HarfBuzz and a font for WeasyPrint (the minutes as PDF).
APT_PACKAGES=(mariadb-server redis-server libmariadb-dev pkg-config chromium gettext
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)

# mariadbd lives in /usr/sbin, which is not on a normal user's PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

MY_DIR="$RUN_DIR/mariadb"
MY_DATADIR="$MY_DIR/data"
MY_PIDFILE="$MY_DIR/mariadbd.pid"
MY_LOG="$MY_DIR/mariadbd.err"
MY_INIT_MARKER="$MY_DIR/.initialized"
MY_SOCKET="$MY_DIR/mariadbd.sock"

REDIS_DIR="$RUN_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis-server.pid"
REDIS_LOG="$REDIS_DIR/redis-server.log"

ENV_FILE="$RUN_DIR/services.env"
MARIADB_URL="mysql://$DB_USER:$DB_PASSWORD@127.0.0.1:$MARIADB_PORT/$DB_NAME"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

# The OS user running mariadbd; mariadb-install-db (auth method "socket")
# creates a MariaDB account of the same name that may log in over the unix
# socket without a password. We use it for administration.
if [[ $EUID -eq 0 ]]; then ADMIN_USER=root; else ADMIN_USER="$(id -un)"; fi

log() { printf '[test-services] %s\n' "$*"; }
die() { printf '[test-services] ERROR: %s\n' "$*" >&2; exit 1; }

check_port() {
    local name=$1 value=$2
    [[ $value =~ ^[0-9]+$ ]] && ((value > 0 && value < 65536)) \
        || die "$name must be a TCP port number, got '$value'"
}
check_port IKT_MARIADB_PORT "$MARIADB_PORT"
check_port IKT_REDIS_PORT "$REDIS_PORT"
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "IKT_SERVICE_TIMEOUT must be a whole number of seconds"

# Unix socket paths are limited to 107 bytes; fall back to /tmp if the
# repository lives somewhere deep.
if ((${#MY_SOCKET} > 100)); then
    MY_SOCKET="${TMPDIR:-/tmp}/ikt-mariadb-$(id -u)-$MARIADB_PORT.sock"
fi

# ---------------------------------------------------------------- helpers ---

# proc_running PID: the process exists and is not a zombie. (A daemon whose
# parent has exited is reaped by PID 1, which in containers/micro-VMs may take
# a while, so "kill -0" alone would report a dead server as alive.)
proc_running() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    stat="${stat##*) }"
    [[ ${stat%% *} != [ZX] ]]
}

# pid_alive PIDFILE NAME: the pid file names a live process whose command is NAME.
pid_alive() {
    local pidfile=$1 name=$2 pid comm
    [[ -s $pidfile ]] || return 1
    pid="$(tr -dc '0-9' <"$pidfile")"
    [[ -n $pid ]] || return 1
    proc_running "$pid" || return 1
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    [[ -z $comm || $comm == "$name"* ]]
}

read_pid() { tr -dc '0-9' <"$1"; }

# wait_gone PID SECONDS: wait for a process to exit; returns 1 on timeout.
wait_gone() {
    local pid=$1 deadline=$((SECONDS + $2))
    while proc_running "$pid"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# Kill PID (TERM, then KILL after a grace period) and wait for it to exit.
terminate() {
    local pid=$1 what=$2
    proc_running "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    if ! wait_gone "$pid" "$TIMEOUT"; then
        log "$what (pid $pid) ignored SIGTERM for ${TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || die "could not kill $what (pid $pid)"
    fi
}

my_client() { mariadb --no-defaults --protocol=socket -S "$MY_SOCKET" -u"$ADMIN_USER" "$@"; }
my_admin() { mariadb-admin --no-defaults --protocol=socket -S "$MY_SOCKET" -u"$ADMIN_USER" "$@"; }

mariadb_up() {
    pid_alive "$MY_PIDFILE" mariadbd && my_admin --connect-timeout=2 ping >/dev/null 2>&1
}

redis_cli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

# Our Redis is up if its pid file is alive AND the server answering on the port
# is that very process (and not some other Redis that happens to use the port).
redis_up() {
    local pid info
    pid_alive "$REDIS_PIDFILE" redis-server || return 1
    pid="$(read_pid "$REDIS_PIDFILE")"
    info="$(redis_cli INFO server 2>/dev/null | tr -d '\r')" || return 1
    grep -qx "process_id:$pid" <<<"$info"
}

# ---------------------------------------------------------------- install ---

package_installed() {
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

# Run an apt-get command, waiting for the dpkg/apt locks held by another
# apt/dpkg process instead of failing straight away.
apt_get() {
    local tries=0 out rc
    while :; do
        rc=0
        out="$(mktemp)"
        DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 "$@" 2>&1 \
            | tee "$out" || rc=$?
        if ((rc == 0)); then rm -f "$out"; return 0; fi
        if grep -qE 'Could not get lock|Unable to lock|is another process using it' "$out" \
            && ((tries++ < 120)); then
            rm -f "$out"
            log "apt/dpkg is locked by another process; waiting..."
            sleep 5
            continue
        fi
        rm -f "$out"
        return "$rc"
    done
}

cmd_install() {
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        package_installed "$pkg" || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        log "Debian packages already installed: ${APT_PACKAGES[*]}"
    else
        SUDO=()
        if [[ $EUID -ne 0 ]]; then
            command -v sudo >/dev/null 2>&1 \
                || die "missing packages (${missing[*]}) and not root; install them as root"
            SUDO=(sudo --preserve-env=DEBIAN_FRONTEND)
        fi
        log "Missing Debian packages: ${missing[*]}"
        log "Running: apt-get update"
        apt_get update
        log "Running: apt-get install -y --no-install-recommends ${APT_PACKAGES[*]}"
        apt_get install -y --no-install-recommends "${APT_PACKAGES[@]}"
        for pkg in "${APT_PACKAGES[@]}"; do
            package_installed "$pkg" || die "package $pkg is still not installed"
        done
        log "Debian packages installed."
    fi
    [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing although package chromium is installed"
}

# ---------------------------------------------------------------- MariaDB ---

mariadb_init() {
    if [[ -f $MY_INIT_MARKER && -d $MY_DATADIR/mysql ]]; then
        return 0
    fi
    # A datadir without the marker is a failed/partial initialisation: redo it.
    rm -rf "$MY_DATADIR" "$MY_INIT_MARKER"
    mkdir -p "$MY_DATADIR"
    log "Initialising MariaDB data directory $MY_DATADIR"
    # Auth method "socket": root@localhost and $ADMIN_USER@localhost may log in
    # over the unix socket as the matching OS user, without a password.
    local user_args=(--auth-root-socket-user="$ADMIN_USER")
    [[ $EUID -eq 0 ]] && user_args+=(--user=root)
    if ! mariadb-install-db --no-defaults "${user_args[@]}" \
        --datadir="$MY_DATADIR" \
        --auth-root-authentication-method=socket \
        --skip-test-db --skip-name-resolve \
        >"$MY_DIR/install-db.log" 2>&1; then
        tail -n 30 "$MY_DIR/install-db.log" >&2 || true
        die "mariadb-install-db failed (full log: $MY_DIR/install-db.log)"
    fi
    touch "$MY_INIT_MARKER"
}

mariadb_start() {
    mkdir -p "$MY_DIR"
    if mariadb_up; then
        local port
        port="$(my_client -N -B -e 'SELECT @@port' 2>/dev/null || true)"
        [[ $port == "$MARIADB_PORT" ]] \
            || die "private MariaDB is already running on port ${port:-?}, not $MARIADB_PORT; run '$0 stop' first"
        log "MariaDB already running (pid $(read_pid "$MY_PIDFILE"), port $MARIADB_PORT)"
    else
        local started_pid="" log_offset
        log_offset="$(stat -c %s "$MY_LOG" 2>/dev/null || echo 0)"
        if pid_alive "$MY_PIDFILE" mariadbd; then
            # Alive but not answering: probably still starting up; give it time.
            log "MariaDB (pid $(read_pid "$MY_PIDFILE")) is running but not answering yet; waiting"
        else
            rm -f "$MY_PIDFILE"
            mariadb_init
            local user_args=()
            [[ $EUID -eq 0 ]] && user_args=(--user=root)
            log "Starting MariaDB on 127.0.0.1:$MARIADB_PORT (data: $MY_DATADIR)"
            # setsid + full redirection: the daemon must not keep the caller's
            # terminal, process group or stdout/stderr pipes.
            setsid mariadbd --no-defaults "${user_args[@]}" \
                --datadir="$MY_DATADIR" \
                --socket="$MY_SOCKET" \
                --pid-file="$MY_PIDFILE" \
                --log-error="$MY_LOG" \
                --tmpdir="$MY_DIR" \
                --port="$MARIADB_PORT" \
                --bind-address=127.0.0.1 \
                --skip-name-resolve \
                --character-set-server=utf8mb4 \
                --collation-server=utf8mb4_unicode_ci \
                --skip-log-bin \
                --innodb-flush-log-at-trx-commit=2 \
                --innodb-buffer-pool-size=128M \
                --max-connections=200 \
                </dev/null >>"$MY_LOG" 2>&1 &
            started_pid=$!
        fi
        local deadline=$((SECONDS + TIMEOUT)) why=""
        until my_admin --connect-timeout=2 ping >/dev/null 2>&1; do
            # Give up on timeout, or as soon as the server process has died.
            if [[ -n $started_pid ]] && ! proc_running "$started_pid" \
                && ! pid_alive "$MY_PIDFILE" mariadbd; then
                why="mariadbd exited during startup"
            elif ((SECONDS >= deadline)); then
                why="MariaDB did not answer on its socket within ${TIMEOUT}s"
            fi
            if [[ -n $why ]]; then
                printf '%s\n' "---- last lines of $MY_LOG (this start) ----" >&2
                tail -c "+$((log_offset + 1))" "$MY_LOG" 2>/dev/null | tail -n 30 >&2 || true
                die "$why (port $MARIADB_PORT; full log: $MY_LOG)"
            fi
            sleep 0.1
        done
        log "MariaDB is up (pid $(read_pid "$MY_PIDFILE" 2>/dev/null || echo ?))"
    fi

    # Idempotent: application/test user (may CREATE/DROP test_* databases) and DB.
    local host sql=""
    for host in 127.0.0.1 localhost; do
        sql+="CREATE USER IF NOT EXISTS '$DB_USER'@'$host' IDENTIFIED BY '$DB_PASSWORD';"
        sql+="ALTER USER '$DB_USER'@'$host' IDENTIFIED BY '$DB_PASSWORD';"
        sql+="GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'$host';"
    done
    sql+="CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
    my_client -e "$sql" || die "could not create MariaDB user/database"
}

mariadb_stop() {
    if ! pid_alive "$MY_PIDFILE" mariadbd; then
        rm -f "$MY_PIDFILE"
        log "MariaDB is not running"
        return 0
    fi
    local pid
    pid="$(read_pid "$MY_PIDFILE")"
    log "Stopping MariaDB (pid $pid)"
    # SQL SHUTDOWN returns at once (mariadb-admin shutdown polls in 1 s steps);
    # we then wait for the process ourselves.
    if my_client --connect-timeout=2 -e SHUTDOWN >/dev/null 2>&1; then
        if ! wait_gone "$pid" "$TIMEOUT"; then
            log "MariaDB did not exit within ${TIMEOUT}s after shutdown; terminating"
            terminate "$pid" MariaDB
        fi
    else
        terminate "$pid" MariaDB
    fi
    rm -f "$MY_PIDFILE"
    log "MariaDB stopped"
}

mariadb_status() {
    if mariadb_up; then
        log "MariaDB: up   (pid $(read_pid "$MY_PIDFILE"), 127.0.0.1:$MARIADB_PORT, socket $MY_SOCKET)"
        return 0
    elif pid_alive "$MY_PIDFILE" mariadbd; then
        log "MariaDB: process $(read_pid "$MY_PIDFILE") alive but NOT answering"
    else
        log "MariaDB: down"
    fi
    return 1
}

# ------------------------------------------------------------------ Redis ---

redis_start() {
    mkdir -p "$REDIS_DIR"
    if redis_up; then
        log "Redis already running (pid $(read_pid "$REDIS_PIDFILE"), port $REDIS_PORT)"
        return 0
    fi
    if pid_alive "$REDIS_PIDFILE" redis-server; then
        # Our Redis is running but not on the requested port (or not answering).
        die "private Redis (pid $(read_pid "$REDIS_PIDFILE")) is running but does not answer on port $REDIS_PORT; run '$0 stop' first"
    fi
    rm -f "$REDIS_PIDFILE"
    if redis_cli ping >/dev/null 2>&1; then
        die "another Redis server already listens on 127.0.0.1:$REDIS_PORT; set IKT_REDIS_PORT to a free port"
    fi
    log "Starting Redis on 127.0.0.1:$REDIS_PORT (dir: $REDIS_DIR)"
    if ! redis-server --daemonize yes \
        --bind 127.0.0.1 --port "$REDIS_PORT" \
        --dir "$REDIS_DIR" --save '' --appendonly no \
        --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" \
        </dev/null >>"$REDIS_LOG" 2>&1; then
        tail -n 20 "$REDIS_LOG" >&2 2>/dev/null || true
        die "redis-server failed to start (see $REDIS_LOG)"
    fi
    local deadline=$((SECONDS + TIMEOUT))
    until [[ "$(redis_cli ping 2>/dev/null | tr -d '\r')" == PONG ]] && redis_up; do
        if ((SECONDS >= deadline)); then
            printf '%s\n' "---- last lines of $REDIS_LOG ----" >&2
            tail -n 20 "$REDIS_LOG" >&2 2>/dev/null || true
            die "Redis did not answer PONG on port $REDIS_PORT within ${TIMEOUT}s (see $REDIS_LOG)"
        fi
        sleep 0.1
    done
    log "Redis is up (pid $(read_pid "$REDIS_PIDFILE"))"
}

redis_stop() {
    if ! pid_alive "$REDIS_PIDFILE" redis-server; then
        rm -f "$REDIS_PIDFILE"
        log "Redis is not running"
        return 0
    fi
    local pid
    pid="$(read_pid "$REDIS_PIDFILE")"
    log "Stopping Redis (pid $pid)"
    if redis_up && redis_cli shutdown nosave >/dev/null 2>&1; then
        wait_gone "$pid" "$TIMEOUT" || terminate "$pid" Redis
    else
        # SIGTERM with "save ''" exits without writing a dump.
        terminate "$pid" Redis
    fi
    rm -f "$REDIS_PIDFILE"
    log "Redis stopped"
}

redis_status() {
    if redis_up; then
        log "Redis:   up   (pid $(read_pid "$REDIS_PIDFILE"), 127.0.0.1:$REDIS_PORT)"
        return 0
    elif pid_alive "$REDIS_PIDFILE" redis-server; then
        log "Redis:   process $(read_pid "$REDIS_PIDFILE") alive but NOT answering on port $REDIS_PORT"
    else
        log "Redis:   down"
    fi
    return 1
}

# --------------------------------------------------------------- commands ---

write_env() {
    local tmp="$ENV_FILE.tmp.$$"
    {
        printf '# Written by scripts/test-services.sh start; source it before running the tests.\n'
        printf 'IKT_TEST_MARIADB_URL=%s\n' "$MARIADB_URL"
        printf 'IKT_TEST_REDIS_URL=%s\n' "$REDIS_URL"
    } >"$tmp"
    mv -f "$tmp" "$ENV_FILE"
}

cmd_start() {
    cmd_install
    mkdir -p "$RUN_DIR"
    # Only a fully successful start leaves an environment file behind.
    rm -f "$ENV_FILE"
    mariadb_start
    redis_start
    write_env
    log "Wrote $ENV_FILE:"
    grep -v '^#' "$ENV_FILE"
}

cmd_stop() {
    # Stop both even if the first one fails.
    local rc=0
    (mariadb_stop) || rc=1
    (redis_stop) || rc=1
    return "$rc"
}

cmd_status() {
    local rc=0
    mariadb_status || rc=1
    redis_status || rc=1
    [[ -f $ENV_FILE ]] && log "Environment file: $ENV_FILE"
    return "$rc"
}

usage() {
    cat <<EOF
Usage: $0 {install|start|stop|status|env}

  install  apt-get install the Debian packages the tests need, if any is missing
           (${APT_PACKAGES[*]})
  start    install, then start private MariaDB (127.0.0.1:$MARIADB_PORT) and
           Redis (127.0.0.1:$REDIS_PORT) with state in $RUN_DIR, and write
           $ENV_FILE
  stop     stop both servers (data is kept)
  status   report whether each server is up (exit status 1 if either is down)
  env      print the IKT_TEST_* variables (shell-sourceable)
EOF
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) printf 'IKT_TEST_MARIADB_URL=%s\nIKT_TEST_REDIS_URL=%s\n' "$MARIADB_URL" "$REDIS_URL" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
