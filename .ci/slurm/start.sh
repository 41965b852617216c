#!/usr/bin/env bash
# Start a single-node SLURM cluster on localhost (munged, slurmctld, slurmd) for the integration tests.
# Partitions: cpu (default) and gpu; the node advertises two fake GPUs, gpu:a100:2 (gres files /dev/null, /dev/zero),
# so that a two-GPU training job (DDP over two srun tasks, on the CPU) can be scheduled.
# Accounting is off, so snakemake's slurm plugin must use `--slurm-status-command squeue`.
# Usage: .ci/slurm/start.sh DIR   -> writes DIR/slurm.conf, DIR/env (source it), DIR/*.pid
set -euo pipefail
DIR=$(realpath -m "${1:-/tmp/regformer-slurm}")
rm -rf "$DIR"/{state,spool,log}  # an ephemeral test cluster: never recover jobs of an earlier, interrupted run
mkdir -p "$DIR"/{state,spool,log}
HOST=$(hostname -s)
NCPU=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))

if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key 2>/dev/null || true
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  for _ in $(seq 20); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.5; done
  cp /run/munge/munged.pid "$DIR/munged.pid"
fi
munge -n | unmunge >/dev/null || { echo "munge does not work" >&2; exit 1; }

cat > "$DIR/slurm.conf" <<CONF
ClusterName=regformer-ci
SlurmctldHost=$HOST
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
ReturnToService=2
MinJobAge=3600
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
NodeName=$HOST CPUs=$NCPU RealMemory=$MEM Gres=gpu:a100:2 State=UNKNOWN
PartitionName=cpu Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
PartitionName=gpu Nodes=$HOST MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
cat > "$DIR/gres.conf" <<CONF
NodeName=$HOST Name=gpu Type=a100 File=/dev/null,/dev/zero
CONF
cat > "$DIR/cgroup.conf" <<CONF
CgroupPlugin=autodetect
IgnoreSystemd=yes
CONF
# srun inside batch jobs looks for the default path (it does not inherit SLURM_CONF), so install it there
mkdir -p /etc/slurm
for f in slurm.conf gres.conf cgroup.conf; do
  if [ -e "/etc/slurm/$f" ] && [ ! -e "$DIR/$f.orig" ]; then cp "/etc/slurm/$f" "$DIR/$f.orig"; fi
  cp "$DIR/$f" "/etc/slurm/$f"
done
echo "export SLURM_CONF=/etc/slurm/slurm.conf" > "$DIR/env"
export SLURM_CONF=/etc/slurm/slurm.conf

/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  if sinfo -h -o "%T" 2>/dev/null | grep -qE "idle|mixed"; then
    echo "SLURM up: $(sinfo -h -o '%P %T %G' | tr '\n' ' ')"
    exit 0
  fi
  sleep 1
done
echo "SLURM did not come up; logs:" >&2
tail -n 30 "$DIR"/log/*.log >&2
exit 1
