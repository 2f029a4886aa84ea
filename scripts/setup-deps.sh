#!/usr/bin/env bash
# Installs the Debian packages ctrec needs to build, test and run its demo.
# Idempotent: installs only what is missing; does nothing when all is present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang
  libzstd-dev
  liblua5.4-dev lua5.4
  python3 python3-cbor2 python3-zstandard
  valgrind
  libclang-rt-14-dev llvm-14
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
