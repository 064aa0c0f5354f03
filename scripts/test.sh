#!/usr/bin/env bash
# Install everything the test suite needs (net-snmp's tools and MIB texts, logrotate, the package with its
# Cython extensions, the test extras) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq snmp snmptrapd libsnmp-base logrotate >/dev/null
export SNMPTRAPMGR_REQUIRE_EXTENSIONS="${SNMPTRAPMGR_REQUIRE_EXTENSIONS:-1}"
python3 -m pip install -q --upgrade pip
python3 -m pip install -q -e '.[test]'
python3 -m pytest -q -p no:cacheprovider "$@"
