#!/usr/bin/env bash
# Grading throughput: N generated submissions of the default exercise (the bundled program with
# other wait times and speeds), each on the public scenario and every variant, graded with
# --jobs 1 and --jobs 2 by a release build.
# Usage: benches/grade_class.sh [N]   (from the repository root; default N = 100)
set -euo pipefail
n=${1:-100}
cargo build --release --no-default-features --quiet
exe=${CARGO_TARGET_DIR:-target}/release/robocell
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq 1 "$n"); do
    d="$dir/student$(printf %03d "$i")"
    mkdir -p "$d"
    wait_s=$(awk -v i="$i" 'BEGIN { printf "%.2f", 0.1 + (i % 7) * 0.05 }')
    vel=$(awk -v i="$i" 'BEGIN { printf "%.2f", 0.5 + (i % 5) * 0.3 }')
    sed -e "s/WAIT SEC 0.2/WAIT SEC $wait_s/" -e "s/\$VEL.CP = 1.0/\$VEL.CP = $vel/" scenarios/pick_place.src > "$d/pick_place.src"
    cp scenarios/pick_place.dat "$d/"
done
for jobs in 1 2; do
    start=$(date +%s.%N)
    "$exe" grade scenarios/pick_and_place.ron "$dir"/student* --jobs "$jobs" --json "$dir/jobs$jobs.json" 2>/dev/null | tail -n 1
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" -v j="$jobs" 'BEGIN { printf "jobs %d: %.2f s wall\n", j, e - s }'
done
cmp -s "$dir/jobs1.json" "$dir/jobs2.json" && echo "the results of --jobs 1 and --jobs 2 are identical"
