#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are missing (apt-get as root, else
# through sudo), or says in one sentence what to install. The word "python3-testsuite" stands for
# the regression-test package of the installed python3 (libpython3.X-testsuite).
set -u
resolve() {
  if [ "$1" = python3-testsuite ]; then
    local minor
    minor=$(/usr/bin/python3 -c 'import sys; print(sys.version_info[1])' 2>/dev/null) || return 1
    echo "libpython3.$minor-testsuite"
  else
    echo "$1"
  fi
}
install() {
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing:$*"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null) ||
      { echo "Could not install$* with apt-get: please install them (apt-get install $*) and retry."; exit 1; }
  elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then
    echo "installing (sudo):$*"
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null) ||
      { echo "Could not install $*: please run 'sudo apt-get install $*' and retry."; exit 1; }
  else
    echo "libswiftmm's real-program runs need $*: please install them with your package manager and retry."
    exit 1
  fi
}
# Two passes: the test-suite package's name depends on the python3 the first pass installs.
for pass in 1 2; do
  missing=()
  for word in "$@"; do
    [ "$pass" = 1 ] && [ "$word" = python3-testsuite ] && continue
    package=$(resolve "$word") || continue
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -gt 0 ] && install "${missing[@]}"
done
exit 0
