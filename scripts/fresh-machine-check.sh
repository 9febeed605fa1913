#!/usr/bin/env bash
# Proves the README's first command on a clean Debian system that has nothing but a Rust
# toolchain (rustup's, copied from this machine) and `build-essential`: no libpq, no OpenSSL
# headers, no SQLite. It builds a minimal Debian 12 root with debootstrap, clones this checkout
# into it, runs `cargo run --release -- serve` inside a chroot and asks the server for /healthz
# and the admin sign-in page from outside. With --tests it then runs the README's test command,
# `cargo test`, after installing the two test-only tools the README names (Python's aiosmtpd for
# the SMTP server process, Node.js for the OpenID provider).
#
#   sudo scripts/fresh-machine-check.sh [--tests] [ROOT]    (ROOT default: /tmp/convene-fresh)
#
# Needs root (debootstrap, chroot, mounts) and Debian's package mirror; crates come from
# crates.io. The first build takes 10–20 minutes on two idle cores, longer on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."

run_tests=false
if [ "${1:-}" = "--tests" ]; then
  run_tests=true
  shift
fi
root="${1:-/tmp/convene-fresh}"
port=18088
toolchain_dir=$(rustc --print sysroot)

step() { printf '\n==> %s\n' "$*"; }

cleanup() {
  if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; fi
  for mount in dev/pts dev proc sys; do
    umount -l "$root/$mount" 2>/dev/null || true
  done
}
trap cleanup EXIT

if [ ! -x "$root/usr/bin/gcc" ]; then
  step "a minimal Debian 12 with build-essential in $root"
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  debootstrap --variant=minbase --include=build-essential,ca-certificates \
    bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# A network that inspects TLS has its own certificate authority; the fresh system trusts what
# this machine trusts, so cargo can reach crates.io through it.
cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$root/etc/ssl/certs/host-ca-bundle.crt"

step "rustup's toolchain ($(rustc --version)) and nothing else"
mkdir -p "$root/opt/rust"
cp -a "$toolchain_dir/." "$root/opt/rust/"
for library in libpq.so.5 libsqlite3.so.0; do
  if chroot "$root" /sbin/ldconfig -p | grep -q "$library"; then
    echo "$library is installed in the fresh system; the check would prove nothing" >&2
    exit 1
  fi
done

step "the checkout, cloned"
rm -rf "$root/src/convene"
git clone -q . "$root/src/convene"

in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/opt/rust/bin:/usr/bin:/bin \
    CARGO_HOME=/root/.cargo CARGO_HTTP_CAINFO=/etc/ssl/certs/host-ca-bundle.crt \
    SSL_CERT_FILE=/etc/ssl/certs/host-ca-bundle.crt PIP_CERT=/etc/ssl/certs/host-ca-bundle.crt \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-bundle.crt \
    npm_config_cafile=/etc/ssl/certs/host-ca-bundle.crt bash -c "cd /src/convene && $*"
}

step "README, first command: cargo run --release -- serve"
in_root "CONVENE__SERVER__BIND=127.0.0.1:$port cargo run --release -- serve" \
  >"$root/serve.log" 2>&1 &
server_pid=$!
# The first build can take long on a small or busy machine: wait up to three hours for it.
for _ in $(seq 1 10800); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    tail -n 40 "$root/serve.log" >&2
    exit 1
  fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/healthz"
echo
curl -fsS -o /dev/null -w 'admin sign-in page: %{http_code}\n' "http://127.0.0.1:$port/admin/login"
echo "linked libraries of the binary:"
chroot "$root" ldd /src/convene/target/release/convene
if chroot "$root" ldd /src/convene/target/release/convene | grep -E 'libpq|libssl|libcrypto|libsqlite'; then
  echo "the binary links a library of the machine" >&2
  exit 1
fi
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=

if $run_tests; then
  step "the test tools the README names: python3 with aiosmtpd and standardwebhooks, Node.js 22"
  chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    bash -c "apt-get update -qq && apt-get install -y -qq python3-pip nodejs npm >/dev/null"
  # Debian 12's Node.js is 18; the OpenID provider needs 20 or later, from the npm registry.
  in_root "pip3 install -q --break-system-packages aiosmtpd standardwebhooks \
    && npm install -g --no-audit --no-fund --loglevel=error node@22 \
    && (cd tests/support/oidc && npm ci --no-audit --no-fund --loglevel=error)"
  step "README, second command: cargo test"
  in_root "cargo test"
fi
step "done: the README's commands work on a fresh Debian system"
