#!/usr/bin/env bash
# Debian packages BürgerGIS needs beyond Python 3.11, PostgreSQL 15 and node/npm.
#   scripts/system-deps.sh [run|test|bench]
# As root: installs what is missing (quietly, noninteractive; `apt-get update` only if needed).
# Otherwise: names what is missing and fails only when the target cannot work without it
# (PostGIS for everything unless DATABASE_URL is set; Chromium for the tests).
set -euo pipefail

cd "$(dirname "$0")/.."
target=${1:-run}
packages=(postgresql-15-postgis-3 gdal-bin chromium nginx-light wrk fonts-dejavu-core
  libpango-1.0-0 libpangoft2-1.0-0)  # pango: WeasyPrint (PDF of „Mein Ort“)
# MapServer renders /wms and /wmts (mapscript, loaded from Debian's dist-packages into the venv);
# QGIS (system Python, headless) is the outside client of the WMS/WMTS tests.
# cgi-mapserver (mapserv): MapServer itself, the peer in make bench and the "other authority's"
# WMS upstream in the tests of external layers; spawn-fcgi runs it as FastCGI.
packages+=(python3-mapscript cgi-mapserver spawn-fcgi)
[ "$target" = test ] && packages+=(python3-qgis qgis-providers)
# Debian's Python needs python3-venv to create .venv (only checked while there is none).
if [ ! -x .venv/bin/python ] && ! "${PYTHON:-python3}" -c 'import ensurepip' 2>/dev/null; then
  packages+=(python3-venv)
fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

required() {
  case "$1" in
    postgresql-15-postgis-3) [ -z "${DATABASE_URL:-}" ] ;;
    chromium) [ "$target" = test ] ;;
    python3-qgis | qgis-providers) [ "$target" = test ] ;;
    # make bench runs MapServer as a peer (mapfile written by mapscript, mapserv via spawn-fcgi)
    python3-mapscript | cgi-mapserver | spawn-fcgi) [ "$target" = test ] || [ "$target" = bench ] ;;
    python3-venv) return 0 ;;
    *) return 1 ;;
  esac
}

quietly() {
  local log status=0
  log=$(mktemp)
  "$@" >"$log" 2>&1 || status=$?
  [ "$status" -eq 0 ] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  local updated=no
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    quietly apt-get update -q
    updated=yes
  fi
  if quietly apt-get install -y -q --no-install-recommends "$@"; then
    return 0
  fi
  [ "$updated" = no ] || return 1
  quietly apt-get update -q
  quietly apt-get install -y -q --no-install-recommends "$@"
}

missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "Installiere Systempakete: ${missing[*]}"
  apt_install "${missing[@]}"
  exit 0
fi

fatal=()
for package in "${missing[@]}"; do
  required "$package" && fatal+=("$package")
done
echo "Fehlende Systempakete: ${missing[*]}" >&2
echo "  Installieren mit: sudo apt-get install ${missing[*]}" >&2
if [ ${#fatal[@]} -gt 0 ]; then
  echo "Ohne ${fatal[*]} geht 'make $target' nicht." >&2
  exit 1
fi
