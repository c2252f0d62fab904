#!/usr/bin/env bash
# A throw-away single-node Slurm cluster on localhost, for tests and demos.
#
# Starts munged, slurmctld and slurmd (Debian's munge and slurm-wlm) in the foreground
# (-F / -D), in the background of this script, with a generated slurm.conf whose state,
# spool, logs, munge key and socket all live under one folder. Nothing under /etc is
# touched. The daemons are stopped by the PIDs recorded at start.
#
# Usage:
#   slurm-cluster.sh start [--watch PID] [DIR]
#                                    start (DIR: a new folder under /tmp when omitted);
#                                    prints DIR, then waits until the node is idle.
#                                    Then: export SLURM_CONF=DIR/slurm.conf
#                                    --watch PID: stop it when process PID ends
#   slurm-cluster.sh stop DIR        cancel every job, stop the daemons by PID, keep DIR
#   slurm-cluster.sh run -- CMD...   start, run CMD with SLURM_CONF set, always stop;
#                                    exits with CMD's status (DIR removed unless it fails)
#   slurm-cluster.sh status DIR      sinfo and squeue of that cluster
#
# Requirements: root (SlurmUser=root), slurm-wlm and munge installed.
# Environment: GREENTUNE_SLURM_START_TIMEOUT_S (default 60): how long to wait for idle.
set -euo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
# Daemons run in their own session, so signals aimed at the caller's process group
# (a test harness cleaning up its children) do not reach them; they are stopped by PID.
SETSID=$(command -v setsid || true)

die() { echo "slurm-cluster: $*" >&2; exit 1; }
log() { echo "slurm-cluster: $*" >&2; }

find_bin() {
  local name=$1
  local p
  p=$(command -v "$name" 2>/dev/null || true)
  if [[ -z $p ]]; then
    for d in /usr/sbin /usr/bin /sbin /bin /usr/local/sbin /usr/local/bin; do
      if [[ -x $d/$name ]]; then p=$d/$name; break; fi
    done
  fi
  [[ -n $p ]] || die "'$name' not found (install Debian's slurm-wlm and munge: scripts/install-deps.sh)"
  echo "$p"
}

# Is TCP port $1 free on this machine? (reads /proc/net/tcp{,6}: no extra tools needed)
port_in_use() {
  local hex
  hex=$(printf '%04X' "$1")
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" '$2 ~ p"$" {found=1} END {exit !found}'
}

pick_port() {
  local tries=0 p
  while (( tries < 200 )); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 30000 ))
    if ! port_in_use "$p" && ! port_in_use "$((p + 1))"; then echo "$p"; return 0; fi
    tries=$((tries + 1))
  done
  die "no free TCP port found"
}

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# Stops the PIDs recorded in the given files together: SIGTERM, then SIGKILL after
# $1 seconds. The files are removed.
stop_pid_files() {
  local grace=$1 file pid i
  shift
  local pids=()
  for file in "$@"; do
    [[ -f $file ]] || continue
    pid=$(cat "$file" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for (( i = 0; i < grace * 10; i++ )); do
    local left=0
    for pid in "${pids[@]}"; do pid_alive "$pid" && left=1; done
    (( left )) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    if pid_alive "$pid"; then
      log "PID $pid ignored SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -f "$@"
}

cmd_start() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (the generated slurm.conf has SlurmUser=root)"
  local dir="" watch_pid=""
  while [[ $# -gt 0 ]]; do
    case $1 in
      --watch) watch_pid=${2:-}; shift 2 || die "--watch needs a PID" ;;
      --watch=*) watch_pid=${1#--watch=}; shift ;;
      -*) die "start: unknown option '$1'" ;;
      *) dir=$1; shift ;;
    esac
  done
  if [[ -n $watch_pid ]]; then
    [[ $watch_pid =~ ^[0-9]+$ ]] && pid_alive "$watch_pid" || die "--watch: no process $watch_pid"
  fi
  if [[ -z $dir ]]; then
    dir=$(mktemp -d /tmp/gt-slurm.XXXXXX)
  else
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
  fi
  [[ ! -f $dir/slurmctld.pid ]] || die "a cluster already runs in $dir (stop it first)"
  # munge's socket path must fit in sun_path (108 bytes)
  (( ${#dir} < 80 )) || die "folder path too long for a unix socket: $dir"

  local munged slurmctld slurmd sinfo mungekey
  munged=$(find_bin munged)
  slurmctld=$(find_bin slurmctld)
  slurmd=$(find_bin slurmd)
  sinfo=$(find_bin sinfo)
  find_bin sbatch >/dev/null
  find_bin squeue >/dev/null

  # munge refuses folders that others can write to: everything 0700, owned by root.
  chmod 0700 "$dir"
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 0700 "$dir/munge" "$dir/state" "$dir/spool"
  chmod 0755 "$dir/log"

  # ---- munge: a fresh key and a private socket ----
  if [[ ! -s $dir/munge/munge.key ]]; then
    mungekey=$(command -v mungekey 2>/dev/null || { [[ -x /usr/sbin/mungekey ]] && echo /usr/sbin/mungekey; } || true)
    if [[ -n $mungekey ]]; then
      "$mungekey" --create --keyfile="$dir/munge/munge.key" --force >/dev/null
    else
      dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    fi
  fi
  chmod 0600 "$dir/munge/munge.key"
  local socket=$dir/munge/munge.socket
  $SETSID "$munged" --foreground --force \
    --key-file="$dir/munge/munge.key" --socket="$socket" \
    --pid-file="$dir/munge/munged.pidfile" --seed-file="$dir/munge/munged.seed" \
    --log-file="$dir/log/munged.log" >>"$dir/log/munged.out" 2>&1 &
  echo $! >"$dir/munged.pid"
  local i
  for (( i = 0; i < 100; i++ )); do
    [[ -S $socket ]] && break
    pid_alive "$(cat "$dir/munged.pid")" || { cat "$dir/log/munged.out" "$dir/log/munged.log" >&2 2>/dev/null || true; die "munged exited (log above)"; }
    sleep 0.1
  done
  [[ -S $socket ]] || die "munged did not create its socket $socket"

  # ---- slurm.conf ----
  local node host ctld_port slurmd_port node_line cpus mem
  node=$(hostname -s 2>/dev/null || hostname)
  host=$node
  ctld_port=$(pick_port)
  slurmd_port=$((ctld_port + 1))
  # `slurmd -C` prints this machine's NodeName line (CPUs, sockets, cores, threads, memory)
  node_line=$("$slurmd" -C 2>/dev/null | grep '^NodeName=' | head -n1 || true)
  if [[ -z $node_line ]]; then
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
    node_line="NodeName=$node CPUs=$cpus RealMemory=$mem"
  fi
  # RealMemory: 90% of what slurmd sees, so a little fluctuation never drains the node.
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node_line")
  if [[ -n $mem ]]; then
    node_line=$(sed "s/RealMemory=[0-9]*/RealMemory=$(( mem * 9 / 10 ))/" <<<"$node_line")
  fi
  node_line=$(sed "s/^NodeName=[^ ]*/NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$host/" <<<"$node_line")

  cat >"$dir/slurm.conf" <<EOF
# Generated by greentune scripts/slurm-cluster.sh: single node, everything under $dir
ClusterName=greentune
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/slurmctld.pidfile
SlurmdPidFile=$dir/slurmd.pidfile
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
KillWait=5
MinJobAge=600
MaxArraySize=10001
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
$node_line State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  : >"$dir/plugstack.conf"
  echo "$ctld_port" >"$dir/port"

  export SLURM_CONF=$dir/slurm.conf
  $SETSID "$slurmctld" -D -i -f "$dir/slurm.conf" >>"$dir/log/slurmctld.out" 2>&1 &
  echo $! >"$dir/slurmctld.pid"
  $SETSID "$slurmd" -D -N "$node" -f "$dir/slurm.conf" >>"$dir/log/slurmd.out" 2>&1 &
  echo $! >"$dir/slurmd.pid"
  echo "$dir"

  # A watcher stops the cluster when the process that asked for it goes away (a test that
  # crashed or timed out): no daemon outlives its owner.
  if [[ -n $watch_pid ]]; then
    $SETSID bash "$SELF" __watch "$watch_pid" "$dir" </dev/null >>"$dir/log/watch.out" 2>&1 &
    echo $! >"$dir/watch.pid"
  fi

  # ---- wait until the node is idle ----
  local timeout_s=${GREENTUNE_SLURM_START_TIMEOUT_S:-60} state=""
  for (( i = 0; i < timeout_s * 4; i++ )); do
    if ! pid_alive "$(cat "$dir/slurmctld.pid")"; then
      tail -n 20 "$dir/log/slurmctld.out" "$dir/log/slurmctld.log" >&2 2>/dev/null || true
      cmd_stop "$dir" >/dev/null 2>&1 || true
      die "slurmctld exited (logs in $dir/log)"
    fi
    if ! pid_alive "$(cat "$dir/slurmd.pid")"; then
      tail -n 20 "$dir/log/slurmd.out" "$dir/log/slurmd.log" >&2 2>/dev/null || true
      cmd_stop "$dir" >/dev/null 2>&1 || true
      die "slurmd exited (logs in $dir/log)"
    fi
    state=$("$sinfo" -h -N -n "$node" -o '%T' 2>/dev/null | head -n1 || true)
    if [[ $state == idle ]]; then
      log "node $node idle (cluster in $dir, controller port $ctld_port)"
      return 0
    fi
    sleep 0.25
  done
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
  cmd_stop "$dir" >/dev/null 2>&1 || true
  die "node $node not idle after ${timeout_s}s (last state: '${state:-unknown}'; logs in $dir/log)"
}

cmd_watch() {
  local owner=$1 dir=$2
  while pid_alive "$owner" && [[ -f $dir/slurmctld.pid || -f $dir/munged.pid ]]; do sleep 1; done
  rm -f "$dir/watch.pid"
  if [[ -f $dir/slurmctld.pid || -f $dir/munged.pid ]]; then
    log "owner $owner is gone: stopping the cluster in $dir"
    cmd_stop "$dir"
  fi
}

cmd_stop() {
  local dir=${1:-}
  [[ -n $dir && -d $dir ]] || die "stop: no such cluster folder '${dir}'"
  dir=$(cd "$dir" && pwd)
  # the watcher (if any) is ours to end first, so it does not race this stop
  if [[ -f $dir/watch.pid && $$ != "$(cat "$dir/watch.pid" 2>/dev/null)" ]]; then
    stop_pid_files 2 "$dir/watch.pid"
  fi
  export SLURM_CONF=$dir/slurm.conf
  # Cancel every job first so that no job step outlives its slurmd.
  if [[ -f $dir/slurmctld.pid ]] && pid_alive "$(cat "$dir/slurmctld.pid")"; then
    local squeue scancel i
    squeue=$(command -v squeue || echo /usr/bin/squeue)
    scancel=$(command -v scancel || echo /usr/bin/scancel)
    if [[ -n $("$squeue" -h -o '%i' 2>/dev/null || true) ]]; then
      "$scancel" --full --user=root >/dev/null 2>&1 || true
      for (( i = 0; i < 60; i++ )); do
        [[ -z $("$squeue" -h -o '%i' 2>/dev/null || true) ]] && break
        sleep 0.25
      done
    fi
  fi
  stop_pid_files 15 "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"
  log "stopped cluster in $dir"
}

cmd_status() {
  local dir=${1:-}
  [[ -n $dir && -f $dir/slurm.conf ]] || die "status: no cluster in '${dir}'"
  export SLURM_CONF=$dir/slurm.conf
  sinfo -N -l || true
  squeue || true
}

cmd_run() {
  [[ ${1:-} == -- ]] && shift
  [[ $# -gt 0 ]] || die "run: no command given (usage: slurm-cluster.sh run -- CMD...)"
  local dir rc=0
  dir=$(cmd_start) || exit 1
  trap 'cmd_stop "$dir" >/dev/null 2>&1 || true' EXIT INT TERM
  SLURM_CONF=$dir/slurm.conf "$@" || rc=$?
  cmd_stop "$dir" || true
  trap - EXIT INT TERM
  if [[ $rc -eq 0 ]]; then rm -rf "$dir"; else log "command failed ($rc); logs kept in $dir/log"; fi
  exit "$rc"
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  run) shift; cmd_run "$@" ;;
  __watch) shift; cmd_watch "$@" ;;
  -h|--help|help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' ;;
  *) echo "usage: slurm-cluster.sh start [DIR] | stop DIR | run -- CMD... | status DIR" >&2; exit 2 ;;
esac
