#!/usr/bin/env bash
# Builds autograder.zip for Gradescope ("Zip file upload"): robocell's source and one exercise.
# Usage: autograder/make_zip.sh EXERCISE.ron [OUT.zip], or a lesson folder: make_zip.sh lessons/07
# The exercise folder is copied whole (the scenario file; the instructor's solution may stay
# out of it: grading needs only the scenario).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
scenario=$1
# A lesson's folder: its scenario.ron (the solution stays out).
[ -d "$scenario" ] && scenario=$scenario/scenario.ron
scenario=$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario")
out=${2:-autograder.zip}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/robocell" "$tmp/exercise"
(cd "$repo" && git ls-files -z | grep -zv '^fuzz/' | xargs -0 cp --parents -t "$tmp/robocell")
cp "$scenario" "$tmp/exercise/"
cp "$here/setup.sh" "$here/run_autograder" "$tmp/"
chmod +x "$tmp/setup.sh" "$tmp/run_autograder"
rm -f "$out"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd "$tmp" && zip -qr "$out_abs" .)
echo "wrote $out_abs: upload it as the autograder of the assignment"
