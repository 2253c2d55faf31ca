#!/usr/bin/env bash
# Checks the packages built by build.sh as a shop's machine would take them:
# lintian (errors fail; the warnings left are listed in packaging/deb/README.md),
# dpkg -i, the binaries run, the units load, the modes are right, nothing was
# started; then dpkg --purge. Run as root, on a machine that is not a shop's.
#
#   packaging/deb/check.sh [DEB_DIR]        (default: target/debian)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
debs="${1:-$here/../../target/debian}"
shopt -s nullglob
pkgs=("$debs"/comptoir-*.deb)
[ ${#pkgs[@]} -eq 3 ] || { echo "expected 3 comptoir-*.deb in $debs, found ${#pkgs[@]}: run packaging/deb/build.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "check.sh installs packages: run it as root" >&2; exit 2; }
fail() { echo "package check failed: $*" >&2; exit 1; }

if command -v lintian >/dev/null 2>&1; then
  # --fail-on error: a warning is reported, an error stops the check.
  lintian --fail-on error --tag-display-limit 0 "${pkgs[@]}"
else
  fail "lintian not found (apt-get install lintian)"
fi

dpkg -i "${pkgs[@]}" >/dev/null
trap 'dpkg --purge comptoir-till comptoir-till-sync comptoir-headoffice >/dev/null 2>&1 || true' EXIT

for b in till till-sync headoffice; do
  v="$(/usr/bin/$b --version)" || fail "/usr/bin/$b --version failed"
  echo "$v" | grep -Eq "^$b [0-9]+\.[0-9]+\.[0-9]+" || fail "/usr/bin/$b --version printed: $v"
  readelf -S "/usr/bin/$b" | grep -q -e '\.debug_info' -e ' \.symtab ' && fail "/usr/bin/$b is not stripped"
done

getent passwd comptoir >/dev/null || fail "no comptoir system user"
mode_is() { [ "$(stat -c '%a %U:%G' "$1")" = "$2" ] || fail "$1 is $(stat -c '%a %U:%G' "$1"), expected $2"; }
mode_is /var/lib/comptoir "750 comptoir:comptoir"
mode_is /etc/comptoir "750 root:comptoir"
for f in till.toml sync.toml headoffice.toml; do mode_is "/etc/comptoir/$f" "644 root:root"; done
for f in till.toml sync.toml headoffice.toml; do
  dpkg-query -W -f='${Conffiles}\n' comptoir-till comptoir-till-sync comptoir-headoffice \
    | grep -q "/etc/comptoir/$f " || fail "/etc/comptoir/$f is not a conffile"
done

# The till creates its key 0600 in the folder the package made, as the
# service's user would.
data="$(mktemp -d /var/lib/comptoir/check.XXXXXX)"
chown comptoir:comptoir "$data"
runuser -u comptoir -- /usr/bin/till simulate --db "$data/journal.db" --sales 20 >/dev/null \
  || fail "till simulate as comptoir in /var/lib/comptoir failed"
mode_is "$data/journal.db" "600 comptoir:comptoir"
mode_is "$data/journal.db.key" "600 comptoir:comptoir"
rm -rf "$data"

units=(/lib/systemd/system/till.service /lib/systemd/system/till-sync.service /lib/systemd/system/headoffice.service)
if command -v systemd-analyze >/dev/null 2>&1; then
  # Parses each unit and checks its ExecStart binary; needs no running manager.
  systemd-analyze verify "${units[@]}" || fail "systemd-analyze verify refused a unit"
else
  echo "systemd-analyze not present: units not verified"
fi

# Nothing is enabled or started before a configuration exists.
for u in till till-sync headoffice; do
  [ ! -e "/etc/systemd/system/multi-user.target.wants/$u.service" ] || fail "$u.service was enabled at install"
done
if [ -d /run/systemd/system ]; then
  for u in till till-sync headoffice; do
    systemctl is-active --quiet "$u.service" && fail "$u.service was started at install"
  done
fi

dpkg --purge comptoir-till comptoir-till-sync comptoir-headoffice >/dev/null
trap - EXIT
for b in till till-sync headoffice; do [ ! -e "/usr/bin/$b" ] || fail "/usr/bin/$b left after purge"; done
[ ! -e /etc/comptoir/till.toml ] || fail "/etc/comptoir/till.toml left after purge"
echo "packages: lintian clean of errors, installed, checked and purged"
