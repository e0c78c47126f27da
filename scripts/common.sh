# Shared by scripts/demo and scripts/test (sourced, not run).
#
# Finds Odoo 18 through the Python that imports it (PYTHON, default python3),
# computes the addons path at run time, and makes sure PostgreSQL answers.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
ODOO_NIGHTLY_URL="https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz"
ODOO_GIT_URL="https://github.com/odoo/odoo"

say() { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

can_apt() {
    command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; }
}

# apt_install PKG... : install Debian packages, or return 1 when not possible.
apt_install() {
    can_apt || return 1
    say "Installing Debian packages: $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
        || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends "$@"; }
}

odoo_importable() {
    "$PYTHON" -c 'import odoo' >/dev/null 2>&1
}

# Try to install Odoo 18.0 from Odoo's official source; fail plainly without it.
install_odoo() {
    say "Odoo is not importable by '$PYTHON'; trying to install Odoo 18.0 from Odoo's official source."
    if command -v curl >/dev/null 2>&1 \
        && curl -fsSIL --max-time 20 "$ODOO_NIGHTLY_URL" >/dev/null 2>&1; then
        say "Installing $ODOO_NIGHTLY_URL with pip (this takes a few minutes)"
        "$PYTHON" -m pip install "$ODOO_NIGHTLY_URL" \
            || die "pip could not install Odoo 18.0 from $ODOO_NIGHTLY_URL (see the output above)."
    elif command -v git >/dev/null 2>&1 \
        && timeout 30 git ls-remote --exit-code --heads "$ODOO_GIT_URL" 18.0 >/dev/null 2>&1; then
        local src="${ODOO_SRC_DIR:-$HOME/.local/src/odoo-18.0}"
        if [ ! -d "$src/.git" ]; then
            say "Cloning $ODOO_GIT_URL (branch 18.0) into $src"
            mkdir -p "$(dirname "$src")"
            git clone --depth 1 -b 18.0 "$ODOO_GIT_URL" "$src" \
                || die "git could not clone $ODOO_GIT_URL."
        fi
        "$PYTHON" -m pip install -e "$src" \
            || die "pip could not install the Odoo 18.0 clone in $src (see the output above)."
    else
        die "Odoo 18.0 is not installed and its official source cannot be reached
       (tried $ODOO_NIGHTLY_URL and $ODOO_GIT_URL).
       Install Odoo 18.0 so that '$PYTHON -c \"import odoo\"' works, then run this again."
    fi
    odoo_importable || die "Odoo was installed but '$PYTHON -c \"import odoo\"' still fails."
}

# Sets ODOO_VERSION, ODOO_ADDONS (Odoo's addons dirs, comma separated),
# ADDONS_PATH (those plus the repository root) and ODOO_BIN (may be empty).
locate_odoo() {
    local info
    info="$(
        "$PYTHON" - <<'PY'
import os

import odoo
from odoo import release

package = os.path.abspath(odoo.__path__[0])
source = os.path.dirname(package)
paths = [os.path.join(package, "addons")]
# a source checkout keeps most addons next to the package, not inside it
if not os.path.isdir(os.path.join(paths[0], "account")):
    paths.append(os.path.join(source, "addons"))
odoo_bin = os.path.join(source, "odoo-bin")
print(release.version_info[0])
print(release.version)
print(",".join(paths))
print(odoo_bin if os.path.isfile(odoo_bin) else "")
PY
    )" || die "'$PYTHON -c \"import odoo\"' works but Odoo could not be inspected."
    local major
    major="$(sed -n 1p <<<"$info")"
    ODOO_VERSION="$(sed -n 2p <<<"$info")"
    ODOO_ADDONS="$(sed -n 3p <<<"$info")"
    ODOO_BIN="$(sed -n 4p <<<"$info")"
    [ "$major" = "18" ] || die "this addon needs Odoo 18.0; '$PYTHON' imports Odoo $ODOO_VERSION."
    ADDONS_PATH="$ODOO_ADDONS,$REPO_ROOT"
}

ensure_odoo() {
    odoo_importable || install_odoo
    locate_odoo
    say "Odoo $ODOO_VERSION; addons path $ADDONS_PATH"
}

# odoo_cli ARGS... : odoo-bin when it sits next to the package, else odoo.cli.
odoo_cli() {
    if [ -n "${ODOO_BIN:-}" ]; then
        TZ=UTC "$PYTHON" "$ODOO_BIN" "$@"
    else
        TZ=UTC "$PYTHON" -c 'import odoo.cli; odoo.cli.main()' "$@"
    fi
}

pg_answers() {
    psql -X -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1
}

# Start PostgreSQL (Debian packaging) when needed and make sure the current
# user has a superuser role, reached through the Unix socket.
ensure_postgres() {
    if pg_answers; then
        return 0
    fi
    if ! command -v pg_lsclusters >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then
        apt_install postgresql || die "PostgreSQL is not installed (Debian: apt-get install postgresql)."
    fi
    if command -v pg_lsclusters >/dev/null 2>&1; then
        local version name status
        while read -r version name _port status _rest; do
            if [ "$status" != "online" ]; then
                say "Starting PostgreSQL cluster $version/$name"
                as_root pg_ctlcluster "$version" "$name" start || warn "could not start cluster $version/$name"
            fi
        done < <(pg_lsclusters -h 2>/dev/null)
    elif command -v service >/dev/null 2>&1; then
        as_root service postgresql start || true
    fi
    local i
    for i in $(seq 1 30); do
        pg_isready -q 2>/dev/null && break
        sleep 1
    done
    if ! pg_answers; then
        local me
        me="$(id -un)"
        say "Creating the PostgreSQL role '$me'"
        as_root runuser -u postgres -- createuser --superuser "$me" 2>/dev/null \
            || as_root su postgres -c "createuser --superuser '$me'" 2>/dev/null || true
    fi
    pg_answers || die "PostgreSQL does not answer on its Unix socket for user '$(id -un)'."
}

db_exists() {
    [ "$(psql -X -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = "1" ]
}

# drop_db NAME : drop the database and its filestore.
drop_db() {
    if db_exists "$1"; then
        say "Dropping database $1"
        odoo_cli db drop "$1" >/dev/null 2>&1 || dropdb --if-exists "$1"
    fi
}
