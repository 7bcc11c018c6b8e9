#!/usr/bin/env bash
# Rebuilds static/vendor/codemirror.js, the code editor of the brand-data JSON editor: CodeMirror 6
# with its JSON language and lint support, bundled and minified by esbuild into one ES module.
# The versions are pinned by tools/editor-bundle/package-lock.json (`npm ci` installs exactly
# those), so the same lockfile gives the same bytes. The licences of everything bundled go to
# static/vendor/codemirror.LICENSE.txt. Needs node and npm; the bundle is committed, so neither
# is needed to build or run the app.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/tools/editor-bundle"
out="$root/static/vendor"
cd "$tools"
npm ci --no-audit --no-fund --silent
mkdir -p "$out"
npx --no-install esbuild entry.js --bundle --format=esm --minify --target=es2020 \
  --legal-comments=none --charset=utf8 --outfile="$out/codemirror.js" --log-level=warning
# The licences: one section per bundled package, in name order.
{
  echo "static/vendor/codemirror.js bundles these packages (built by scripts/build-editor.sh"
  echo "from tools/editor-bundle/package-lock.json). Their licences follow."
  node -e '
    const fs = require("fs"), path = require("path");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
    const names = Object.keys(lock.packages).filter((p) => p.startsWith("node_modules/") && !p.includes("esbuild")).sort();
    for (const p of names) {
      const meta = JSON.parse(fs.readFileSync(path.join(p, "package.json"), "utf8"));
      const file = fs.readdirSync(p).find((f) => /^licen[cs]e/i.test(f));
      console.log(`\n======== ${meta.name} ${meta.version} (${meta.license}) ========\n`);
      console.log(file ? fs.readFileSync(path.join(p, file), "utf8").trim() : `License: ${meta.license}`);
    }'
} > "$out/codemirror.LICENSE.txt"
printf 'static/vendor/codemirror.js: %s bytes (%s gzipped)\n' \
  "$(wc -c < "$out/codemirror.js")" "$(gzip -9 -c "$out/codemirror.js" | wc -c)"
