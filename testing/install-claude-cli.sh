#!/usr/bin/env bash
# Installs the real Claude Code CLI, pinned, into a git-ignored folder of the repository so the
# end-to-end tests in testing/mock-anthropic can run it against the mock Messages API.
#
#   testing/install-claude-cli.sh            # -> .cache/claude-cli/node_modules/.bin/claude
#
# Idempotent: does nothing when that version is already installed. Needs npm and the npm
# registry; the CLI itself never needs the network in the tests (ANTHROPIC_BASE_URL points at
# the mock).
#
# The npm package is a thin wrapper: the ~400 MB native binary comes in the optional dependency
# @anthropic-ai/claude-code-linux-x64 and the package's postinstall script links it into place.
# So optional dependencies and install scripts must both be on, whatever the npm config says.
set -euo pipefail

version="${CLAUDE_CLI_VERSION:-2.1.332}"
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${CLAUDE_CLI_PREFIX:-$root/.cache/claude-cli}"
bin="$prefix/node_modules/.bin/claude"
want="$version (Claude Code)"

installed_version() {
    [ -x "$bin" ] || return 1
    DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 "$bin" --version 2>/dev/null
}

if [ "$(installed_version || true)" = "$want" ]; then
    echo "claude $version already installed: $bin"
    exit 0
fi

command -v npm >/dev/null || { echo "install-claude-cli: npm not found (install Node.js 18+)" >&2; exit 1; }

mkdir -p "$prefix"
echo "installing @anthropic-ai/claude-code@$version into $prefix"
npm install --no-save --prefix "$prefix" \
    --include=optional --ignore-scripts=false \
    --no-audit --no-fund --loglevel=warn \
    "@anthropic-ai/claude-code@$version"

got="$(installed_version || true)"
pkg="$prefix/node_modules/@anthropic-ai/claude-code"
if [ "$got" != "$want" ] && [ -f "$pkg/install.cjs" ]; then
    # An npm configured to skip install scripts leaves the placeholder bin/claude.exe: run the
    # package's postinstall, which links the native binary into place, ourselves.
    echo "running the package's postinstall (npm did not)"
    (cd "$pkg" && node install.cjs)
    got="$(installed_version || true)"
fi
if [ "$got" != "$want" ]; then
    echo "install-claude-cli: $bin --version printed '${got}', expected '$want'" >&2
    echo "install-claude-cli: is the native package @anthropic-ai/claude-code-linux-x64 installed and was its postinstall run?" >&2
    exit 1
fi
echo "installed: $bin ($got)"
