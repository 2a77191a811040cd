#!/usr/bin/env bash
# system-packages.sh - install the Debian packages the product and its tests use, when missing.
#
#   fonts-wqy-microhei  the CJK TrueType font reportlab embeds in printed files (reports fall back to
#                       the built-in STSong-Light, with a warning, when it is absent)
#   poppler-utils       pdftotext / pdftoppm, which the report tests read PDFs with
#   chromium            the browser the console tests drive with Playwright (never Playwright's download)
#
# Usage: scripts/system-packages.sh [run|test]   ("run" installs only what `make run` needs)
# Installs with apt-get when running as root; otherwise prints what is missing. Under CI=true a missing
# package that cannot be installed is an error.
set -euo pipefail

log() { printf 'system-packages: %s\n' "$*" >&2; }

want=(fonts-wqy-microhei)
if [[ ${1:-test} == test ]]; then
    want+=(poppler-utils chromium)
fi

missing=()
for pkg in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "安装系统软件包：${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    exit 0
fi

log "缺少系统软件包：${missing[*]}（请以 root 运行 make，或手动 apt-get install）"
case "${CI:-}" in
    [Tt][Rr][Uu][Ee] | 1 | [Yy][Ee][Ss]) exit 1 ;;
esac
exit 0
