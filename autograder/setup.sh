#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (Ubuntu). It installs Rust and
# builds robocell without the window; the zip holds robocell's source under source/robocell
# and the exercise under source/exercise (see make_zip.sh).
set -euo pipefail
apt-get update -qq
apt-get install -y -qq curl build-essential pkg-config >/dev/null
if ! command -v cargo >/dev/null; then
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi
. "$HOME/.cargo/env"
cd /autograder/source/robocell
cargo build --release --no-default-features --locked
install -m 755 target/release/robocell /usr/local/bin/robocell
robocell --version
