#!/bin/sh
# The release tarball's `homeport` command: runs the bundle beside it (../dist) with the `node` on PATH.
# Resolved through a symlink (ln -s /opt/homeport/bin/homeport /usr/local/bin/), so the tarball moves freely.
# Node must be >= 20.19 (the bundle's features) and of the major this release was built with: better-sqlite3's
# native addon is built for one Node ABI, and a different major would fail to load it far into the start.
self=$(readlink -f -- "$0" 2>/dev/null) || self=$0
root=$(dirname -- "$(dirname -- "$self")")
built_major=@NODE_MAJOR@
# deploy/nixos/package.nix replaces this with the store's node.
node=node

version=$("$node" --version 2>/dev/null) || {
  echo "homeport: node is not on PATH; install Node.js $built_major (>= 20.19)" >&2
  exit 1
}
numbers=${version#v}
major=${numbers%%.*}
minor=${numbers#*.}
minor=${minor%%.*}
case "$major.$minor" in
*[!0-9.]* | .* | *.) major=0 minor=0 ;;
esac
if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
  echo "homeport: Node.js $version is too old; Homeport needs Node.js >= 20.19" >&2
  exit 1
fi
if [ "$major" -ne "$built_major" ]; then
  echo "homeport: this release is built for Node.js $built_major (its better-sqlite3 addon), not $version; install Node.js $built_major or build Homeport from source" >&2
  exit 1
fi
exec "$node" "$root/dist/homeport.js" "$@"
