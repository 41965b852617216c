#!/usr/bin/env bash
# Stop the daemons .ci/slurm/start.sh started (by the pids it recorded).
DIR=$(realpath -m "${1:-/tmp/regformer-slurm}")
for name in slurmd slurmctld munged; do
  if [ -s "$DIR/$name.pid" ]; then
    kill "$(cat "$DIR/$name.pid")" 2>/dev/null || true
    rm -f "$DIR/$name.pid"
  fi
done
for f in slurm.conf gres.conf cgroup.conf; do
  if [ -e "$DIR/$f.orig" ]; then mv "$DIR/$f.orig" "/etc/slurm/$f"; else rm -f "/etc/slurm/$f"; fi
done
