#!/bin/bash
# systemctl stand-in for an instance of the data-plane twin.
#
# systemd does not run in the twin, so this script gives user data the
# systemctl verbs it uses. Units are read from the unit directories on every
# call (daemon-reload has nothing to do). A started service runs under a
# supervisor (this script with the hidden verb __supervise) in a session of
# its own, in the instance's namespaces; the supervisor applies the unit's
# settings, writes the service's stdout and stderr to
# /var/log/twin-journal/<unit>.log (the unit's "journal"), restarts it as
# Restart= says, and keeps its state under /run/twin-systemd.
#
# Supported: daemon-reload, enable [--now], disable [--now], start, stop,
# restart, try-restart, reload-or-restart, is-active, is-enabled, status.
# Unit settings read: ExecStartPre=, ExecStart=, Type= (simple, exec, notify,
# idle and oneshot; forking is treated as simple), WorkingDirectory=,
# Environment=, EnvironmentFile=, User=, Group=, DynamicUser=, Restart=,
# RestartSec=, Description=, [Install] WantedBy=/RequiredBy=, and drop-ins in
# <unit>.d/*.conf. Not applied: sandboxing (ProtectSystem= and the like,
# including what DynamicUser= implies beyond running as an unprivileged user),
# resource limits, dependencies between units.
set -u

self=${BASH_SOURCE[0]}
[[ $self == /* ]] || self=$PWD/$self
unit_dirs=(/etc/systemd/system /run/systemd/system /usr/lib/systemd/system /lib/systemd/system)
state_dir=/run/twin-systemd
journal_dir=/var/log/twin-journal

say() { printf '%s\n' "$*" >&2; }

# unit_name sets UNIT to a unit's name: .service is added to a name
# without a unit suffix.
unit_name() {
	case $1 in
	*.service | *.socket | *.timer | *.target | *.path | *.mount | *.slice | *.scope) UNIT=$1 ;;
	*) UNIT=$1.service ;;
	esac
}

# unit_file sets UNIT_FILE to the path of a unit's file; it fails when
# there is none.
unit_file() {
	local d f
	UNIT_FILE=
	for d in "${unit_dirs[@]}"; do
		f=$d/$1
		if [[ -f $f ]]; then
			UNIT_FILE=$f
			return 0
		fi
	done
	# A template instance: foo@bar.service is read from foo@.service.
	if [[ $1 == *@*.* ]]; then
		local tmpl=${1%%@*}@.${1##*.}
		for d in "${unit_dirs[@]}"; do
			f=$d/$tmpl
			if [[ -f $f ]]; then
				UNIT_FILE=$f
				return 0
			fi
		done
	fi
	return 1
}

# slurp sets the variable named $1 to the first line of file $2 (empty
# when there is none), without a subshell: the stand-in runs on every
# systemctl call.
slurp() {
	local -n slurp_v=$1
	slurp_v=
	{ IFS= read -r slurp_v <"$2"; } 2>/dev/null
	[[ -n $slurp_v ]]
}

# alive tells whether a process exists and is not a zombie.
alive() {
	local alive_s
	[[ -n ${1:-} ]] || return 1
	slurp alive_s "/proc/$1/stat" || return 1
	alive_s=${alive_s##*) }
	[[ ${alive_s:0:1} != Z ]]
}

# trim strips blanks around the value of the variable named $1.
trim() {
	local -n trim_v=$1
	trim_v=${trim_v#"${trim_v%%[![:space:]]*}"}
	trim_v=${trim_v%"${trim_v##*[![:space:]]}"}
}

# load_unit reads a unit file and its drop-ins into the U_* variables.
load_unit() {
	local unit=$1 file=$2
	U_NAME=$unit
	U_FILE=$file
	U_DESC=
	U_TYPE=simple
	U_EXEC_PRE=()
	U_EXEC=()
	U_WORKDIR=
	U_ENV=()
	U_ENV_FILES=()
	U_USER=
	U_GROUP=
	U_DYNAMIC=no
	U_RESTART=no
	U_RESTART_SEC=100ms
	U_WANTED_BY=()
	U_HAS_INSTALL=no
	local files=("$file") d f
	for d in "${unit_dirs[@]}"; do
		for f in "$d/$unit.d"/*.conf; do
			[[ -f $f ]] && files+=("$f")
		done
	done
	for f in "${files[@]}"; do
		parse_unit_file "$f"
	done
}

parse_unit_file() {
	local section= line next key val
	while IFS= read -r line || [[ -n $line ]]; do
		while [[ $line == *\\ ]] && IFS= read -r next; do
			line="${line%\\} $next"
		done
		trim line
		case $line in
		'' | '#'* | ';'*) continue ;;
		'['*']')
			section=${line:1:${#line}-2}
			[[ $section == Install ]] && U_HAS_INSTALL=yes
			continue
			;;
		*=*) ;;
		*) continue ;;
		esac
		key=${line%%=*} val=${line#*=}
		trim key
		trim val
		case $section/$key in
		Unit/Description) U_DESC=$val ;;
		Service/Type) U_TYPE=$val ;;
		Service/ExecStartPre) if [[ -z $val ]]; then U_EXEC_PRE=(); else U_EXEC_PRE+=("$val"); fi ;;
		Service/ExecStart) if [[ -z $val ]]; then U_EXEC=(); else U_EXEC+=("$val"); fi ;;
		Service/WorkingDirectory) U_WORKDIR=$val ;;
		Service/Environment) if [[ -z $val ]]; then U_ENV=(); else U_ENV+=("$val"); fi ;;
		Service/EnvironmentFile) if [[ -z $val ]]; then U_ENV_FILES=(); else U_ENV_FILES+=("$val"); fi ;;
		Service/User) U_USER=$val ;;
		Service/Group) U_GROUP=$val ;;
		Service/DynamicUser) U_DYNAMIC=$val ;;
		Service/Restart) U_RESTART=$val ;;
		Service/RestartSec) U_RESTART_SEC=$val ;;
		Install/WantedBy | Install/RequiredBy)
			if [[ -z $val ]]; then U_WANTED_BY=(); else
				local -a targets
				read -ra targets <<<"$val"
				U_WANTED_BY+=("${targets[@]}")
			fi
			;;
		esac
	done <"$1"
}

truthy() { [[ ${1,,} == @(1|yes|true|on) ]]; }

# specifier expands one %-specifier of a unit setting.
specifier() {
	local base=${U_NAME%.*}
	case $1 in
	%) printf '%%' ;;
	n) printf '%s' "$U_NAME" ;;
	N) printf '%s' "$base" ;;
	p) printf '%s' "${base%%@*}" ;;
	i | I) [[ $base == *@* ]] && printf '%s' "${base#*@}" ;;
	t) printf '/run' ;;
	S) printf '/var/lib' ;;
	C) printf '/var/cache' ;;
	L) printf '/var/log' ;;
	E) printf '/etc' ;;
	T) printf '/tmp' ;;
	V) printf '/var/tmp' ;;
	H) cat /proc/sys/kernel/hostname ;;
	h) printf '%s' "${SVC_HOME:-/root}" ;;
	u) printf '%s' "${SVC_USER:-root}" ;;
	*) printf '%%%s' "$1" ;;
	esac
}

# envvar prints a variable of the service's environment.
envvar() {
	local i
	for ((i = ${#SVC_ENV[@]} - 1; i >= 0; i--)); do
		if [[ ${SVC_ENV[i]} == "$1="* ]]; then
			printf '%s' "${SVC_ENV[i]#*=}"
			return
		fi
	done
}

# split_words splits a setting into WORDS as systemd does: blanks separate
# words, quotes group, backslash escapes, %-specifiers expand, and with
# expand=1 (command lines) "$$" is a "$", ${VAR} expands in place, quoted or
# not, and an unquoted $VAR that is a word of its own becomes the variable's
# words; the values come from the service's environment.
split_words() {
	local s=$1 expand=$2 n=${#1} i=0 c w= have=0 q= name v
	WORDS=()
	while ((i < n)); do
		c=${s:i:1}
		if [[ -n $q && $c == "$q" ]]; then
			q=
		elif [[ -z $q && ($c == ' ' || $c == $'\t') ]]; then
			if ((have)); then WORDS+=("$w"); fi
			w= have=0
		elif [[ -z $q && ($c == '"' || $c == "'") ]]; then
			q=$c have=1
		elif [[ $c == '\' && $q != "'" ]]; then
			((i++))
			c=${s:i:1}
			case $c in
			n) w+=$'\n' ;;
			t) w+=$'\t' ;;
			*) w+=$c ;;
			esac
			have=1
		elif [[ $c == % ]]; then
			((i++))
			w+=$(specifier "${s:i:1}")
			have=1
		elif [[ $expand == 1 && $c == '$' && ${s:i+1:1} == '$' ]]; then
			w+='$'
			((i++))
			have=1
		elif [[ $expand == 1 && $c == '$' && ${s:i+1:1} == '{' ]]; then
			name=${s:i+2}
			name=${name%%\}*}
			w+=$(envvar "$name")
			((i += ${#name} + 2))
			have=1
		elif [[ $expand == 1 && -z $q && $have == 0 && $c == '$' && ${s:i+1} =~ ^([A-Za-z_][A-Za-z0-9_]*)([[:space:]]|$) ]]; then
			name=${BASH_REMATCH[1]}
			local -a parts
			read -ra parts <<<"$(envvar "$name")"
			WORDS+=("${parts[@]}")
			((i += ${#name}))
		else
			w+=$c
			have=1
		fi
		((i++))
	done
	if ((have)); then WORDS+=("$w"); fi
}

# service_env builds SVC_ENV, the environment a service starts with: the
# manager's (a fixed PATH and locale, the CA bundle variables of the twin's
# instance) and then the unit's Environment= and EnvironmentFile=.
service_env() {
	local v f a line key val optional
	SVC_ENV=("PATH=${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}" "LANG=${LANG:-C.UTF-8}")
	for v in AWS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE REQUESTS_CA_BUNDLE NODE_EXTRA_CA_CERTS PYENV_ROOT PYENV_VERSION; do
		[[ -n ${!v:-} ]] && SVC_ENV+=("$v=${!v}")
	done
	SVC_ENV+=("INVOCATION_ID=$(tr -d '-' </proc/sys/kernel/random/uuid)")
	if [[ -n $SVC_USER ]]; then
		SVC_ENV+=("USER=$SVC_USER" "LOGNAME=$SVC_USER" "HOME=$SVC_HOME" "SHELL=${SVC_SHELL:-/bin/sh}")
	fi
	for a in "${U_ENV_FILES[@]}"; do
		optional=no
		if [[ $a == -* ]]; then optional=yes a=${a#-}; fi
		split_words "$a" 0
		f=${WORDS[0]:-}
		if [[ ! -r $f ]]; then
			[[ $optional == yes ]] && continue
			say "Failed to load environment files: $f: No such file or directory"
			return 1
		fi
		while IFS= read -r line || [[ -n $line ]]; do
			trim line
			[[ -z $line || $line == '#'* || $line == ';'* || $line != *=* ]] && continue
			key=${line%%=*} val=${line#*=}
			trim key
			trim val
			key=${key#export }
			if [[ $val == \"*\" || $val == \'*\' ]]; then val=${val:1:${#val}-2}; fi
			SVC_ENV+=("$key=$val")
		done <"$f"
	done
	for a in "${U_ENV[@]}"; do
		split_words "$a" 0
		for v in "${WORDS[@]}"; do
			[[ $v == *=* ]] && SVC_ENV+=("$v")
		done
	done
}

# service_user sets SVC_USER, SVC_HOME and PRIV, the command prefix that
# drops root: User= (with Group=) or DynamicUser=yes, which here runs the
# service as nobody:nogroup (65534) instead of allocating a user.
service_user() {
	PRIV=()
	SVC_USER= SVC_HOME= SVC_SHELL=
	local uid gid
	if [[ -n $U_USER && $U_USER != root && $U_USER != 0 ]]; then
		uid=$(id -u "$U_USER" 2>/dev/null) || {
			say "$U_NAME: Failed to determine user credentials: No such process"
			return 1
		}
		gid=$(id -g "$U_USER")
		SVC_USER=$(id -un "$U_USER")
		IFS=: read -r _ _ _ _ _ SVC_HOME SVC_SHELL < <(getent passwd "$uid")
	elif truthy "$U_DYNAMIC"; then
		uid=65534 gid=65534 SVC_USER=${U_NAME%.*} SVC_HOME=/ SVC_SHELL=/usr/sbin/nologin
	else
		return 0
	fi
	if [[ -n $U_GROUP ]]; then
		gid=$(getent group "$U_GROUP" | cut -d: -f3)
		[[ -n $gid ]] || {
			say "$U_NAME: Failed to determine group credentials: No such process"
			return 1
		}
	fi
	if ! command -v setpriv >/dev/null; then
		say "twin-systemd: $U_NAME: setpriv is missing: running as root instead of uid $uid"
		return 0
	fi
	if truthy "$U_DYNAMIC" && [[ -z $U_USER ]]; then
		PRIV=(setpriv "--reuid=$uid" "--regid=$gid" --clear-groups --)
	else
		PRIV=(setpriv "--reuid=$uid" "--regid=$gid" --init-groups --)
	fi
}

# command_line turns an ExecStart= value into CMD (argv) and its prefix
# flags: IGNORE_FAILURE for "-"; with "@" the second word (argv[0]) is
# dropped, the program then sees its path as argv[0]; "+", "!" and ":" are
# dropped.
command_line() {
	local v=$1 prefix=
	while [[ $v =~ ^[-@+!:] ]]; do
		prefix+=${v:0:1}
		v=${v:1}
	done
	IGNORE_FAILURE=no
	[[ $prefix == *-* ]] && IGNORE_FAILURE=yes
	split_words "$v" 1
	CMD=("${WORDS[@]}")
	if [[ $prefix == *@* && ${#CMD[@]} -ge 2 ]]; then
		CMD=("${CMD[0]}" "${CMD[@]:2}")
	fi
}

# resolve_exec prints the executable for a command's first word, searched as
# systemd does when it is not an absolute path.
resolve_exec() {
	local p
	if [[ $1 == /* ]]; then
		[[ -f $1 && -x $1 ]] && printf '%s' "$1"
		return
	fi
	for p in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		if [[ -f $p/$1 && -x $p/$1 ]]; then
			printf '%s' "$p/$1"
			return
		fi
	done
}

log() { printf 'twin-systemd: %s\n' "$*"; }

set_state() { printf '%s\n' "$2" >"$state_dir/$1.state"; }

# get_state sets STATE to a unit's recorded state.
get_state() { slurp STATE "$state_dir/$1.state" || STATE=inactive; }

# run_one runs one command line of the unit in the foreground of the
# supervisor; its exit status is the command's (203 when it cannot be run).
run_one() {
	command_line "$1"
	if ((${#CMD[@]} == 0)); then
		log "$U_NAME: Empty command line"
		return 203
	fi
	local exe
	exe=$(resolve_exec "${CMD[0]}")
	if [[ -z $exe ]]; then
		log "$U_NAME: Failed to locate executable ${CMD[0]}: No such file or directory"
		log "$U_NAME: Failed at step EXEC spawning ${CMD[0]}: No such file or directory"
		return 203
	fi
	local -a argv=("$exe" "${CMD[@]:1}")
	env -i "${SVC_ENV[@]}" "${PRIV[@]}" "${argv[@]}" &
	MAIN=$!
	printf '%s\n' "$MAIN" >"$state_dir/$U_NAME.main"
	local rc
	while :; do
		wait "$MAIN"
		rc=$?
		# A trapped signal interrupts wait; the process may still be running.
		alive "$MAIN" || break
	done
	MAIN=
	return "$rc"
}

describe_exit() {
	local rc=$1
	if ((rc > 128 && rc < 160)); then
		printf 'code=killed, status=%d/%s' $((rc - 128)) "$(kill -l $((rc - 128)))"
	elif ((rc == 203)); then
		printf 'code=exited, status=203/EXEC'
	elif ((rc == 0)); then
		printf 'code=exited, status=0/SUCCESS'
	else
		printf 'code=exited, status=%d/FAILURE' "$rc"
	fi
}

# clean_exit tells whether an exit status counts as clean for Restart=.
clean_exit() { [[ $1 == @(0|129|130|143|141) ]]; }

should_restart() {
	local rc=$1
	case $U_RESTART in
	always) return 0 ;;
	on-success) clean_exit "$rc" ;;
	on-failure) ! clean_exit "$rc" ;;
	on-abnormal | on-abort | on-watchdog) ((rc > 128)) && ! clean_exit "$rc" ;;
	*) return 1 ;;
	esac
}

seconds() {
	local v=${1// /}
	case $v in
	*ms) printf '%d.%03d' $((${v%ms} / 1000)) $((${v%ms} % 1000)) ;;
	*min) printf '%d' $((${v%min} * 60)) ;;
	*s) printf '%s' "${v%s}" ;;
	'') printf '0.1' ;;
	*) printf '%s' "$v" ;;
	esac
}

# supervise runs a service: the hidden verb behind start.
supervise() {
	local unit=$1 file=$2 rc t now
	load_unit "$unit" "$file"
	STOPPING=0 MAIN=
	trap 'STOPPING=1; [[ -n $MAIN ]] && kill -TERM "$MAIN" 2>/dev/null' TERM INT HUP
	service_user || {
		set_state "$unit" failed
		printf '217\n' >"$state_dir/$unit.result"
		return 1
	}
	service_env || {
		set_state "$unit" failed
		printf '1\n' >"$state_dir/$unit.result"
		return 1
	}
	if [[ -n $U_WORKDIR ]]; then
		local wd=${U_WORKDIR#-}
		[[ $wd == '~' ]] && wd=${SVC_HOME:-/root}
		if ! cd "$wd" 2>/dev/null && [[ $U_WORKDIR != -* ]]; then
			log "$unit: Changing to the requested working directory failed: No such file or directory"
			log "$unit: Failed at step CHDIR spawning ${U_EXEC[0]:-}: No such file or directory"
			set_state "$unit" failed
			printf '200\n' >"$state_dir/$unit.result"
			return 1
		fi
	else
		cd / || return 1
	fi
	local -a starts=()
	while :; do
		now=$EPOCHSECONDS
		local -a recent=()
		for t in "${starts[@]}"; do ((now - t < 10)) && recent+=("$t"); done
		starts=("${recent[@]}" "$now")
		if ((${#starts[@]} > 5)); then
			log "$unit: Start request repeated too quickly."
			log "$unit: Failed with result 'start-limit-hit'."
			set_state "$unit" failed
			return 1
		fi
		set_state "$unit" active
		log "Started ${U_DESC:-$unit}."
		rc=0
		local line
		for line in "${U_EXEC_PRE[@]}"; do
			run_one "$line"
			rc=$?
			if ((rc != 0)) && [[ $IGNORE_FAILURE == no ]]; then
				log "$unit: Control process exited, $(describe_exit "$rc")"
				break
			fi
			rc=0
		done
		if ((rc == 0)); then
			for line in "${U_EXEC[@]}"; do
				run_one "$line"
				rc=$?
				[[ $IGNORE_FAILURE == yes ]] && rc=0
				((rc != 0)) && break
				[[ $U_TYPE == oneshot ]] || break
			done
		fi
		# The journal first: start reports a failure once it sees the result.
		if ((STOPPING)); then
			log "Stopped ${U_DESC:-$unit}."
			printf '%s\n' "$rc" >"$state_dir/$unit.result"
			set_state "$unit" inactive
			return 0
		fi
		if ((rc != 0)); then
			log "$unit: Main process exited, $(describe_exit "$rc")"
			log "$unit: Failed with result 'exit-code'."
		elif [[ $U_TYPE == oneshot ]]; then
			log "Finished ${U_DESC:-$unit}."
		else
			log "$unit: Deactivated successfully."
		fi
		printf '%s\n' "$rc" >"$state_dir/$unit.result"
		if should_restart "$rc"; then
			set_state "$unit" activating
			sleep "$(seconds "$U_RESTART_SEC")"
			((STOPPING)) && break
			log "$unit: Scheduled restart job."
			continue
		fi
		if clean_exit "$rc"; then set_state "$unit" inactive; else set_state "$unit" failed; fi
		return 0
	done
	set_state "$unit" inactive
}

is_active() {
	local is_active_pid
	slurp is_active_pid "$state_dir/$1.pid"
	alive "$is_active_pid" && get_state "$1" && [[ $STATE != failed ]]
}

start_unit() {
	local unit=$1 file pid i
	unit_file "$unit" || {
		say "Failed to start $unit: Unit $unit not found."
		return 5
	}
	file=$UNIT_FILE
	is_active "$unit" && return 0
	load_unit "$unit" "$file"
	if ((${#U_EXEC[@]} == 0)); then
		mkdir -p "$journal_dir"
		log "$unit: Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing." >>"$journal_dir/$unit.log"
		say "Failed to start $unit: Unit $unit has a bad unit file setting."
		say "See system logs and 'systemctl status $unit' for details."
		return 1
	fi
	mkdir -p "$state_dir" "$journal_dir"
	rm -f "$state_dir/$unit.result" "$state_dir/$unit.main"
	set_state "$unit" activating
	printf '%s\n' "$U_RESTART" >"$state_dir/$unit.restart"
	setsid bash "$self" __supervise "$unit" "$file" </dev/null >>"$journal_dir/$unit.log" 2>&1 &
	pid=$!
	printf '%s\n' "$pid" >"$state_dir/$unit.pid"
	# Wait for a oneshot to finish; give any other service a moment, so that
	# a command that cannot run or dies at once fails the start visibly
	# (systemd would report the start as done and the unit as failed).
	local rc
	for ((i = 0; ; i++)); do
		slurp rc "$state_dir/$unit.result"
		get_state "$unit"
		if [[ -n $rc && $rc != 0 ]] || [[ $STATE == failed ]]; then
			job_failed "$unit"
			return 1
		fi
		if [[ $U_TYPE == oneshot ]]; then
			alive "$pid" || break
		elif ((i >= 10)); then
			return 0
		fi
		sleep 0.05
	done
	# The oneshot has finished: its result is written before it exits.
	slurp rc "$state_dir/$unit.result"
	if [[ $rc != 0 ]]; then
		job_failed "$unit"
		return 1
	fi
	return 0
}

job_failed() {
	say "Job for $1 failed because the control process exited with error code."
	say "See \"systemctl status $1\" and \"journalctl -xeu $1\" for details."
}

stop_unit() {
	local unit=$1 pid i
	unit_file "$unit" >/dev/null || [[ -e $state_dir/$unit.pid ]] || {
		say "Failed to stop $unit: Unit $unit not loaded."
		return 5
	}
	slurp pid "$state_dir/$unit.pid"
	if alive "$pid"; then
		# The supervisor leads its own session: signal its whole group.
		kill -TERM -- "-$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			alive "$pid" || break
			sleep 0.05
		done
		alive "$pid" && kill -KILL -- "-$pid" 2>/dev/null
	fi
	rm -f "$state_dir/$unit.pid" "$state_dir/$unit.main"
	[[ -e $state_dir/$unit.state ]] && set_state "$unit" inactive
	return 0
}

install_links() {
	local unit=$1 file=$2 t dir link
	load_unit "$unit" "$file"
	if [[ $U_HAS_INSTALL == no || ${#U_WANTED_BY[@]} -eq 0 ]]; then
		say "The unit files have no installation config (WantedBy=, RequiredBy=, Also=,"
		say "Alias= settings in the [Install] section, and DefaultInstance= for template"
		say "units). This means they are not meant to be enabled or disabled using systemctl."
		return 0
	fi
	for t in "${U_WANTED_BY[@]}"; do
		dir=/etc/systemd/system/$t.wants
		link=$dir/$unit
		[[ -L $link ]] && continue
		mkdir -p "$dir"
		ln -sf "$file" "$link"
		say "Created symlink $link → $file."
	done
}

remove_links() {
	local unit=$1 link
	for link in /etc/systemd/system/*.wants/"$unit" /etc/systemd/system/*.requires/"$unit"; do
		[[ -L $link ]] || continue
		rm -f "$link"
		say "Removed \"$link\"."
	done
}

# is_enabled sets ENABLED to a unit's enablement: enabled, disabled or
# static (no [Install] section).
is_enabled() {
	local unit=$1 file=$2 link
	ENABLED=enabled
	for link in /etc/systemd/system/*.wants/"$unit" /etc/systemd/system/*.requires/"$unit"; do
		[[ -L $link ]] && return 0
	done
	load_unit "$unit" "$file"
	if [[ $U_HAS_INSTALL == no ]]; then ENABLED=static; else ENABLED=disabled; fi
}

status_unit() {
	local unit=$1 file en st main pid result
	unit_file "$unit" || {
		say "Unit $unit could not be found."
		return 4
	}
	file=$UNIT_FILE
	load_unit "$unit" "$file"
	is_enabled "$unit" "$file"
	en=$ENABLED
	slurp pid "$state_dir/$unit.pid"
	slurp main "$state_dir/$unit.main"
	slurp result "$state_dir/$unit.result"
	get_state "$unit"
	st=$STATE
	alive "$pid" || { [[ $st == active || $st == activating ]] && st=inactive; }
	local mark='○'
	case $st in
	active | activating) mark='●' ;;
	failed) mark='×' ;;
	esac
	printf '%s %s - %s\n' "$mark" "$unit" "${U_DESC:-$unit}"
	printf '     Loaded: loaded (%s; %s)\n' "$file" "$en"
	case $st in
	active) printf '     Active: active (running)\n' ;;
	activating) printf '     Active: activating (auto-restart)\n' ;;
	failed) printf '     Active: failed (Result: exit-code)\n' ;;
	*) printf '     Active: inactive (dead)\n' ;;
	esac
	if [[ -n $result && $result != 0 ]]; then
		printf '    Process: %s\n' "$(describe_exit "$result")"
	fi
	if [[ $st == active ]] && alive "$main"; then
		local comm
		slurp comm "/proc/$main/comm"
		printf '   Main PID: %s (%s)\n' "$main" "$comm"
	fi
	if [[ -f $journal_dir/$unit.log ]]; then
		printf '\n'
		tail -n 10 "$journal_dir/$unit.log"
	fi
	case $st in
	active) return 0 ;;
	*) return 3 ;;
	esac
}

main() {
	local verb= now=no quiet=no a
	local -a units=()
	for a in "$@"; do
		case $a in
		--now) now=yes ;;
		-q | --quiet) quiet=yes ;;
		--) ;;
		-*) ;; # --no-block, --no-pager, --system, --full, ...: nothing to do here
		*)
			if [[ -z $verb ]]; then
				verb=$a
			else
				unit_name "$a"
				units+=("$UNIT")
			fi
			;;
		esac
	done
	local rc=0 u file
	case $verb in
	__supervise)
		supervise "${@:2:1}" "${@:3:1}"
		return
		;;
	daemon-reload | daemon-reexec | '' | list-units) return 0 ;;
	enable | disable)
		((${#units[@]})) || {
			say "Too few arguments."
			return 1
		}
		for u in "${units[@]}"; do
			unit_file "$u" || {
				say "Failed to $verb unit: Unit file $u does not exist."
				return 5
			}
			file=$UNIT_FILE
			if [[ $verb == enable ]]; then
				install_links "$u" "$file"
				[[ $now == yes ]] && { start_unit "$u" || rc=$?; }
			else
				remove_links "$u"
				[[ $now == yes ]] && { stop_unit "$u" || rc=$?; }
			fi
		done
		;;
	start | stop | restart | try-restart | reload-or-restart)
		((${#units[@]})) || {
			say "Too few arguments."
			return 1
		}
		for u in "${units[@]}"; do
			case $verb in
			start) start_unit "$u" || rc=$? ;;
			stop) stop_unit "$u" || rc=$? ;;
			try-restart) if is_active "$u"; then stop_unit "$u" && start_unit "$u" || rc=$?; fi ;;
			*)
				unit_file "$u" >/dev/null || {
					say "Failed to restart $u: Unit $u not found."
					rc=5
					continue
				}
				stop_unit "$u" && start_unit "$u" || rc=$?
				;;
			esac
		done
		;;
	is-active)
		rc=3
		for u in "${units[@]}"; do
			local st=inactive
			if is_active "$u"; then
				st=active rc=0
			elif get_state "$u" && [[ $STATE == failed ]]; then
				st=failed
			fi
			[[ $quiet == yes ]] || printf '%s\n' "$st"
		done
		;;
	is-enabled)
		rc=1
		for u in "${units[@]}"; do
			unit_file "$u" || {
				say "Failed to get unit file state for $u: No such file or directory"
				rc=4
				continue
			}
			file=$UNIT_FILE
			local en
			is_enabled "$u" "$file"
			en=$ENABLED
			[[ $en == disabled ]] || rc=0
			[[ $quiet == yes ]] || printf '%s\n' "$en"
		done
		;;
	status)
		for u in "${units[@]}"; do
			status_unit "$u"
			local r=$?
			((r > rc)) && rc=$r
		done
		;;
	*)
		say "Unknown command verb '$verb'."
		return 1
		;;
	esac
	return "$rc"
}

main "$@"
