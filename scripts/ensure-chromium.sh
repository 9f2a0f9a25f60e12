#!/bin/sh
# Make sure headless Chromium is there for the browser tests (tests/test_report_browser.py).
#
# When no Chromium/Chrome is on the PATH and this runs as root on a Debian/Ubuntu system, it
# installs Debian's `chromium` package with apt-get. It never fails the calling run: without
# root or apt-get (a user's clone) it says so and exits 0, and the browser tests then skip
# with the reason -- except in CI (CI=true), where they fail when Chromium is missing.
# Set FIGURES_CHROMIUM to use a browser that is not on the PATH.

say() { echo "ensure-chromium: $*" >&2; }

if [ -n "${FIGURES_CHROMIUM:-}" ]; then
    exit 0
fi
for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done

if [ "$(id -u)" != "0" ]; then
    say "Chromium is not installed and this is not root: the browser tests will skip" \
        "(install it with: sudo apt-get install chromium)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    say "Chromium is not installed and apt-get is not available: the browser tests will skip"
    exit 0
fi

run() {  # apt-get with a time limit when `timeout` exists (a hung mirror must not hang make)
    if command -v timeout >/dev/null 2>&1; then
        timeout 900 "$@"
    else
        "$@"
    fi
}

export DEBIAN_FRONTEND=noninteractive
say "installing Debian's chromium package with apt-get"
if run apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { run apt-get update -qq >/dev/null 2>&1 \
         && run apt-get install -y -qq chromium >/dev/null 2>&1; }; then
    say "installed: $(chromium --version 2>/dev/null)"
else
    say "apt-get could not install chromium: the browser tests will skip (fail in CI)"
fi
exit 0
