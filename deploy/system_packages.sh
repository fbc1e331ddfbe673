#!/usr/bin/env bash
# What the platform needs from the operating system beyond Python (idempotent: installs only
# what is missing). Invoice PDFs (WeasyPrint) need Pango and a font that shapes Khmer: Debian's
# fonts-noto-core (Noto Sans and Noto Sans Khmer).
set -euo pipefail

missing=()
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
if ! command -v fc-list >/dev/null 2>&1 || ! fc-list :lang=km 2>/dev/null | grep -q .; then
  missing+=(fonts-noto-core)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Invoice PDFs need: ${missing[*]} (install them as root with apt-get)." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
  || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
