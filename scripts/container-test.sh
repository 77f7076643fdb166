#!/usr/bin/env bash
# container-test.sh — build jifen's container image from the Dockerfile with
# buildah, run it with podman against a fake Slack Web API, and check what
# an operator relies on:
#
#   - /readyz answers 200 (store, Slack, scheduler), and the image's
#     HEALTHCHECK (`jifen health`) passes;
#   - the process runs as the image's user (65532), not root;
#   - the config comes from the mounted file and the secrets from the
#     environment: a slash command signed with the secret is answered, its
#     caller looked up on the fake API with the bot token; a bad signature
#     is refused;
#   - `podman stop` ends serve cleanly (exit 0), and the store it wrote in
#     the volume verifies clean in a second container.
#
# No registry is needed: unless GO_IMAGE names a Go image to build with
# (e.g. GO_IMAGE=docker.io/library/golang:1.26.8-bookworm), a builder image
# is made from this host's Go toolchain (go env GOROOT), a shell and the CA
# certificates. The build uses the host's module and build caches. Images,
# containers and the volume live in a storage of their own under a
# temporary directory, removed at the end: the host's container storage is
# not touched.
#
#   scripts/container-test.sh
#   STORAGE_DRIVER=overlay OCI_RUNTIME=crun scripts/container-test.sh
#
# Needs root, buildah, podman and runc (Debian: apt-get install buildah
# podman runc), curl and openssl. Defaults suit a host without systemd and
# with cgroups v1 + v2 side by side ("hybrid", which crun refuses): vfs
# storage, chroot isolation for the build, runc, the cgroupfs manager,
# host networking, and explicit file and process limits (the defaults,
# 1048576 open files, are above what an unprivileged sandbox may set).
# Every step is bounded in time; the exit status is non-zero when any
# check fails, after printing the container's and the fake's logs.
set -euo pipefail
cd "$(dirname "$0")/.."

driver=${STORAGE_DRIVER:-vfs}
runtime=${OCI_RUNTIME:-runc}
go_image=${GO_IMAGE:-}
image=localhost/jifen:container-test

work=$(mktemp -d "${TMPDIR:-/tmp}/jifen-container.XXXXXX")
storage=(--root "$work/storage" --runroot "$work/run" --storage-driver "$driver")
bah=(buildah "${storage[@]}")
pod=(podman "${storage[@]}" --runtime "$runtime" --cgroup-manager cgroupfs --events-backend file)
name=jifen-ct-$$
fake_pid=

step() { printf '== %s (%ds)\n' "$*" "$SECONDS" >&2; }
fail() { echo "container-test: FAIL: $*" >&2; exit 1; }

cleanup() {
	status=$?
	set +e
	if [ "$status" -ne 0 ]; then
		echo "--- container log" >&2
		timeout 30 "${pod[@]}" logs "$name" >&2 2>&1
		echo "--- fake Slack API log" >&2
		cat "$work/fake.log" >&2 2>/dev/null
	fi
	timeout 60 "${pod[@]}" rm -f -t 0 "$name" "$name-verify" >/dev/null 2>&1
	timeout 60 "${pod[@]}" volume rm -f "$name-data" >/dev/null 2>&1
	timeout 60 "${bah[@]}" rm --all >/dev/null 2>&1
	if [ -n "$fake_pid" ]; then
		kill "$fake_pid" 2>/dev/null
		wait "$fake_pid" 2>/dev/null
	fi
	# Whatever the tools left mounted under the storage goes first, so
	# that rm cannot reach through a mount.
	findmnt -rn -o TARGET | grep -F "$work/" | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf --one-file-system "$work"
	if [ "$status" -eq 0 ]; then
		echo "container-test: ok (${SECONDS}s)" >&2
	fi
	exit "$status"
}
trap cleanup EXIT

for tool in go buildah podman "$runtime" curl openssl findmnt; do
	command -v "$tool" >/dev/null || fail "$tool is not installed"
done
buildah --version >&2
podman --version >&2

if [ -z "$go_image" ]; then
	step "builder image from the host's Go toolchain"
	goroot=$(go env GOROOT)
	# A shell and mkdir (the Dockerfile's RUN lines), with their libraries,
	# the CA certificates (module downloads, and the final image), and
	# root's entry so HOME, hence GOCACHE, is /root.
	root=$work/builder
	mkdir -p "$root/bin" "$root/etc/ssl/certs" "$root/root" "$root/go" "$root/tmp"
	chmod 1777 "$root/tmp"
	for tool in sh mkdir; do
		bin=$(readlink -f "$(command -v "$tool")")
		cp -L "$bin" "$root/bin/$tool"
		for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
	cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	c=$(timeout 60 "${bah[@]}" from scratch)
	timeout 300 "${bah[@]}" copy --quiet "$c" "$root" / >/dev/null
	timeout 300 "${bah[@]}" copy --quiet "$c" "$goroot" /usr/local/go >/dev/null
	timeout 60 "${bah[@]}" config --env GOPATH=/go \
		--env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--workingdir /go "$c"
	timeout 300 "${bah[@]}" commit --quiet --rm "$c" localhost/jifen-go >/dev/null
	go_image=localhost/jifen-go
fi

step "image from the Dockerfile (GO_IMAGE=$go_image, $driver storage)"
version=$(git describe --tags --always --dirty 2>/dev/null || echo devel)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
date=$(TZ=UTC git show -s --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ HEAD 2>/dev/null || echo unknown)
modcache=$(go env GOMODCACHE)
gocache=$(go env GOCACHE)
mkdir -p "$modcache" "$gocache"
# --format docker: the OCI image format has no HEALTHCHECK.
timeout 900 "${bah[@]}" build --quiet --format docker --isolation chroot \
	--build-arg GO_IMAGE="$go_image" --build-arg VERSION="$version" \
	--build-arg COMMIT="$commit" --build-arg DATE="$date" \
	-v "$modcache:/go/pkg/mod" -v "$gocache:/root/.cache/go-build" \
	-t "$image" . >/dev/null
"${bah[@]}" images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$image" >&2
user=$(timeout 60 "${bah[@]}" inspect --type image --format '{{.Docker.Config.User}}' "$image")
[ "$user" = 65532:65532 ] || fail "the image's user is \"$user\", want 65532:65532"
health=$(timeout 60 "${bah[@]}" inspect --type image --format '{{.Docker.Config.Healthcheck.Test}}' "$image")
case $health in
*"jifen health"*) ;;
*) fail "the image has no HEALTHCHECK running jifen health: $health" ;;
esac

step "fake Slack Web API"
token=xoxb-container-test
secret=container-test-signing-secret
go build -o "$work/fake-slack" scripts/fake-slack.go
"$work/fake-slack" -token "$token" >"$work/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 100); do
	fake=$(head -n1 "$work/fake.log")
	case $fake in http://*) break ;; esac
	sleep 0.1
done
case $fake in http://*) ;; *) fail "the fake Slack API did not start" ;; esac

# A free loopback port for jifen (the container shares the host's network).
port=
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 20000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || fail "no free port"
base=http://127.0.0.1:$port

# The example config, as an operator starts: Slack on in HTTP mode, its
# API on the fake, the listen address on the free port. Its secrets stay
# ${VAR}s, given in an env file as in the README.
sed -e "s|listen: \":8080\"|listen: \"127.0.0.1:$port\"|" \
	-e '0,/^  enabled: false$/s//  enabled: true/' \
	-e 's|^  mode: http$|  mode: http\n  api_url: ${SLACK_API_URL}|' \
	config.example.yaml >"$work/config.yaml"
grep -q "api_url: \${SLACK_API_URL}" "$work/config.yaml" || fail "could not point the example config's Slack at the fake"
chmod 0644 "$work/config.yaml"
printf 'SLACK_BOT_TOKEN=%s\nSLACK_SIGNING_SECRET=%s\nSLACK_API_URL=%s/api/\n' "$token" "$secret" "$fake" >"$work/jifen.env"
chmod 0600 "$work/jifen.env"
run_opts=(--network host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096
	-v "$work/config.yaml:/etc/jifen/config.yaml:ro" -v "$name-data:/var/lib/jifen"
	--env-file "$work/jifen.env")

step "jifen serve in a container on $base"
# podman asks systemd for the healthcheck's timer and logs an error where
# there is none; `podman healthcheck run` below runs it by hand.
timeout 120 "${pod[@]}" run -d --name "$name" "${run_opts[@]}" "$image" 2> >(grep -v 'systemd connection' >&2) >/dev/null
ready=
for _ in $(seq 60); do
	code=$(curl -s -o "$work/readyz" -w '%{http_code}' --max-time 3 "$base/readyz" || true)
	if [ "$code" = 200 ]; then
		ready=1
		break
	fi
	state=$("${pod[@]}" inspect --format '{{.State.Status}}' "$name" 2>/dev/null || true)
	[ "$state" = running ] || fail "the container is $state, not running"
	sleep 1
done
[ -n "$ready" ] || fail "/readyz did not answer 200 within 60s (last: $code $(cat "$work/readyz" 2>/dev/null))"
echo "readyz: $(cat "$work/readyz")" >&2
grep -q '"slack":{"ok":true' "$work/readyz" || fail "/readyz has no healthy slack check"

step "HEALTHCHECK"
timeout 60 "${pod[@]}" healthcheck run "$name" 2> >(grep -v 'systemd connection' >&2) || fail "podman healthcheck run failed"
status=$("${pod[@]}" inspect --format '{{.State.Health.Status}}' "$name")
[ "$status" = healthy ] || fail "health status is \"$status\", want healthy"

step "the process's user"
huser=$(timeout 30 "${pod[@]}" top "$name" huser | sed -n 2p | tr -d ' ')
[ "$huser" = 65532 ] || fail "serve runs as host user \"$huser\", want 65532"

step "a signed slash command, its caller looked up on the fake API"
slash() { # slash SECRET USER: POST a /score to the container, signed with SECRET
	local ts body sig
	ts=$(date +%s)
	body="command=%2Fscore&text=&user_id=$2&team_id=T0CTEST&channel_id=C0CTEST&trigger_id=ct.$2.$ts"
	sig=v0=$(printf 'v0:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1)
	curl -s -o "$work/reply" -w '%{http_code}' --max-time 10 \
		-H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" --data "$body" "$base/slack/commands"
}
code=$(slash "$secret" U0CTEST || true)
[ "$code" = 200 ] || fail "signed /score: HTTP $code: $(cat "$work/reply")"
grep -q '"tester' "$work/reply" || fail "the /score reply does not name the caller from users.info: $(cat "$work/reply")"
grep -qx 'users.info auth=ok' "$work/fake.log" || fail "the fake API saw no users.info with the bot token"
if grep -q 'auth=bad' "$work/fake.log"; then fail "a call to the fake API had the wrong token"; fi
code=$(slash wrong-secret U0CTEST || true)
[ "$code" = 401 ] || fail "a command with a bad signature got HTTP $code, want 401"

step "podman stop"
timeout 60 "${pod[@]}" stop -t 30 "$name" 2> >(grep -v 'systemd connection' >&2) >/dev/null
exit_code=$("${pod[@]}" inspect --format '{{.State.ExitCode}}' "$name")
[ "$exit_code" = 0 ] || fail "serve exited $exit_code after SIGTERM, want 0"

step "the store in the volume, in a second container"
timeout 120 "${pod[@]}" run --name "$name-verify" "${run_opts[@]}" "$image" \
	verify --config /etc/jifen/config.yaml >"$work/verify" 2> >(grep -v 'systemd connection' >&2) ||
	fail "jifen verify failed: $(cat "$work/verify")"
grep -q 'verify: ok' "$work/verify" || fail "jifen verify: $(cat "$work/verify")"
timeout 120 "${pod[@]}" run --rm "${run_opts[@]}" "$image" \
	export members --config /etc/jifen/config.yaml --format csv >"$work/members.csv" 2> >(grep -v 'systemd connection' >&2)
grep -q 'U0CTEST' "$work/members.csv" || fail "the member registered by the command is not in the volume's store"
