#!/usr/bin/env bash
# Builds comptoir's three Debian packages (comptoir-till, comptoir-till-sync,
# comptoir-headoffice) from this checkout with dpkg-deb: release binaries,
# stripped, the systemd units and udev rules of config/, the sample
# configurations as conffiles under /etc/comptoir.
#
#   packaging/deb/build.sh [--prebuilt] [OUT_DIR]   (default: target/debian)
#
# --prebuilt packs the release binaries already in target/release (CI packs
# the ones its test run just built and tested) instead of building them.
#
# Nothing is started or enabled at install: see postinst.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
prebuilt=no
if [ "${1:-}" = --prebuilt ]; then prebuilt=yes; shift; fi
out="${1:-$root/target/debian}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

for tool in dpkg-deb strip objdump gzip; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found: apt-get install dpkg-dev binutils" >&2; exit 2; }
done

arch="$(dpkg --print-architecture)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)"
[ -n "$version" ] || { echo "no version in $root/Cargo.toml [workspace.package]" >&2; exit 2; }

bin="${CARGO_TARGET_DIR:-$root/target}/release"
if [ "$prebuilt" = no ]; then
  (cd "$root" && cargo build --release --locked -p till -p till-sync -p headoffice --bins)
fi
for exe in till till-sync headoffice; do
  [ -x "$bin/$exe" ] || { echo "$bin/$exe not built: run without --prebuilt" >&2; exit 2; }
done

# The newest glibc symbol version the binaries use is the libc6 they need.
glibc="$(objdump -T "$bin/till" "$bin/till-sync" "$bin/headoffice" \
  | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)"

# package binary unit description
build_one() {
  local pkg="$1" exe="$2" unit="$3" summary="$4" long="$5"
  local stage
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' RETURN
  install -d -m 0755 "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" \
    "$stage/usr/share/doc/$pkg" "$stage/etc/comptoir"
  install -m 0755 "$bin/$exe" "$stage/usr/bin/$exe"
  strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/$exe"
  install -m 0644 "$root/config/systemd/$unit" "$stage/lib/systemd/system/$unit"
  install -m 0644 "$here/copyright" "$stage/usr/share/doc/$pkg/copyright"
  install -m 0644 "$root/README.md" "$stage/usr/share/doc/$pkg/README.md"
  sed "s/@PKG@/$pkg/; s/@VERSION@/$version/" "$here/changelog" \
    | gzip -9n > "$stage/usr/share/doc/$pkg/changelog.gz"
  chmod 0644 "$stage/usr/share/doc/$pkg/changelog.gz"

  local conffiles=()
  case "$pkg" in
    comptoir-till)
      install -d -m 0755 "$stage/lib/udev/rules.d"
      install -m 0644 "$root/config/udev/99-comptoir.rules" "$stage/lib/udev/rules.d/99-comptoir.rules"
      install -m 0644 "$root/config/till.toml" "$stage/etc/comptoir/till.toml"
      conffiles=(/etc/comptoir/till.toml) ;;
    comptoir-till-sync)
      install -m 0644 "$root/config/sync.toml" "$stage/etc/comptoir/sync.toml"
      conffiles=(/etc/comptoir/sync.toml) ;;
    comptoir-headoffice)
      install -m 0644 "$root/config/headoffice.toml" "$stage/etc/comptoir/headoffice.toml"
      conffiles=(/etc/comptoir/headoffice.toml) ;;
  esac
  printf '%s\n' "${conffiles[@]}" > "$stage/DEBIAN/conffiles"

  for script in postinst prerm postrm; do
    sed "s/@UNIT@/$unit/g; s/@PKG@/$pkg/g" "$here/$script" > "$stage/DEBIAN/$script"
    chmod 0755 "$stage/DEBIAN/$script"
  done

  local size
  size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
  cat > "$stage/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: comptoir maintainers <maintainers@comptoir.invalid>
Installed-Size: $size
Depends: libc6 (>= $glibc), libgcc-s1, adduser, init-system-helpers (>= 1.54)
Section: misc
Priority: optional
Homepage: https://comptoir.invalid/
Description: $summary
$(printf '%s\n' "$long" | fold -s -w 72 | sed 's/^/ /; s/ *$//')
CONTROL
  (cd "$stage" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z \
    | xargs -0 md5sum > DEBIAN/md5sums)
  chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
  dpkg-deb --root-owner-group -Zxz --build "$stage" "$out/${pkg}_${version}_${arch}.deb" >/dev/null
  echo "$out/${pkg}_${version}_${arch}.deb"
}

build_one comptoir-till till till.service \
  "point-of-sale counter app with a hash-chained fiscal journal" \
  "comptoir's till: the counter app started on tty1 at boot (sales, tenders, returns, ESC/POS receipts, cash drawer, barcode scanners, card terminals), its append-only signed journal (NF525) and the technician's diagnostics (till diag). Nothing starts before /etc/comptoir/till.toml is set up and the unit enabled."
build_one comptoir-till-sync till-sync till-sync.service \
  "sync daemon between a comptoir till and its head office" \
  "Pushes the till's journal to head office exactly once and pulls catalog, prices and counter rules. Starts only once /etc/comptoir/sync.token exists and the unit is enabled."
build_one comptoir-headoffice headoffice headoffice.service \
  "comptoir head office: ingest, catalog and back office" \
  "The central server of a comptoir shop chain: ingests every till's journal, publishes catalog, prices and rules, and serves the owner's back office on the web. SQLite by default, PostgreSQL to scale."
