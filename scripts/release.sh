#!/bin/sh
# release.sh — build jifen's release binaries into dist/ and write
# dist/SHA256SUMS.
#
# Static (CGO_ENABLED=0), reproducible-path (-trimpath), stripped (-s -w)
# binaries for linux/amd64, linux/arm64, darwin/arm64 and windows/amd64,
# named jifen_VERSION_OS_ARCH (.exe on Windows). VERSION is
# `git describe --tags --always --dirty` unless given as the first argument;
# the version, the commit and the commit's time (UTC) go into the binary
# through -ldflags -X, and `jifen version` prints them. Using the commit's
# time rather than the clock keeps a rebuild of the same commit identical.
# The linker drops the debug information (-w), so the compiler is told not
# to make it (-dwarf=false): a sixth less compile time or so; panics still
# print their stack traces.
#
#   scripts/release.sh            # dist/jifen_v1.2.0_linux_amd64 …
#   scripts/release.sh v1.2.0-rc1
#   PLATFORMS="linux/amd64" scripts/release.sh
#
# dist/ is emptied first, so SHA256SUMS lists this build only. Check a
# download with: cd dist && sha256sum -c SHA256SUMS
set -eu
cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always --dirty)}
commit=$(git rev-parse HEAD)
date=$(TZ=UTC git show -s --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ HEAD)
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/arm64 windows/amd64}

rm -rf dist
mkdir -p dist
# The targets build side by side: each go build waits on long chains of
# packages (the standard library, the SDKs) with a core idle, which
# another target's compiles fill. CI (.ci/run) builds every target so.
pids=
for p in $platforms; do
	os=${p%/*}
	arch=${p#*/}
	out=dist/jifen_${version}_${os}_${arch}
	if [ "$os" = windows ]; then
		out=$out.exe
	fi
	echo "building $out" >&2
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false -gcflags=all=-dwarf=false \
		-ldflags "-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date" \
		-o "$out" ./cmd/jifen &
	pids="$pids $!"
done
failed=0
for pid in $pids; do
	wait "$pid" || failed=1
done
if [ "$failed" != 0 ]; then
	echo "release: a build failed" >&2
	exit 1
fi
(cd dist && sha256sum jifen_* >SHA256SUMS)
cat dist/SHA256SUMS
