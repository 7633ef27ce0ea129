#!/usr/bin/env bash
# Installs the Debian packages the tests, benchmarks and demo need: Orthanc with
# its DICOMweb and GDCM plugins (the test upstream), DICOM tools used as real
# peers in tests, and Debian's chromium with a font for the OHIF browser tests
# (npm run test:e2e; a browser is never downloaded from elsewhere). Orthanc's
# system service is kept from starting: the project always runs its own
# throw-away Orthanc on free loopback ports.
set -euo pipefail

PACKAGES=(orthanc orthanc-dicomweb orthanc-gdcm dcmtk dicom3tools python3-pydicom gcc libc6-dev chromium fonts-liberation)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

# policy-rc.d exit 101 = "do not start services" during package installation.
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { [ -n "$created_policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d; }
trap cleanup EXIT

echo "Installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
