# Stagecraft's exec agent: the container's main process (docker-init is PID 1 above it), reached over the Engine's
# attach stream. Plain POSIX sh (busybox ash, dash); it needs setsid to run commands and head for long requests, and
# says in its answer to a ping whether it has them. Lines starting with '#' are dropped before the script is given to
# the container, so they cost nothing there.
#
# Requests come one at a time on stdin (see AgentRequest.java):
#   P<nonce>                 ping: answers p plus flags (w: /workspace writable, s: setsid found, h: head found,
#                            b: runs begin with a begin marker)
#   R<nonce> <body>          run: <body> is one line of sh that may set sc_wd (the working directory) and sc_in (the
#                            command's stdin), then sets "$@" to the wrapper's arguments; "$D" is the default PATH
#   L<nonce> <n>             the same with a body of <n> bytes on the following bytes (read by head -c)
#   X                        exit: the container stops by itself, which the Engine then removes sooner than one it kills
# Every answer is the marker RS "stagecraft:" nonce " " status RS (RS is byte 036), written to stdout and to stderr
# once all of the command's output on that stream was written; the status of a run is the command's exit code. A run
# also starts with the begin marker RS "stagecraft:" nonce RS on both streams: every client attached to the container
# receives all of its output, and a client drops what comes before its own begin marker (another client's command).
# Anything else on stdin is skipped. At end of input the container's agent stays as an idle main process (execs still
# work); an extra agent (started by an Engine exec while the first one is busy) exits (@END@ below).
# Requests are kept short because under gVisor every byte read costs a system call of some 60 microseconds.
nl='
'
W=@WRAPPER@
D=@PATH@
F=@PIDFILE@
# The wrappers' sweep of leftovers skips this process without reading its /proc stat file (see RunLeftovers.java);
# commands never see the variable (they run under env -i).
SC_AGENT=$$
export SC_AGENT
run() {
	if [ -n "${sc_in+x}" ]; then
		printf '%s' "$sc_in" | exec setsid sh -c "$W" sh "$F" "${sc_wd:-/workspace}" "$@"
	else
		exec setsid sh -c "$W" sh "$F" "${sc_wd:-/workspace}" "$@" </dev/null
	fi
}
m() {
	printf '\036stagecraft:%s %s\036' "$1" "$2"
	printf '\036stagecraft:%s %s\036' "$1" "$2" >&2
}
begin() {
	printf '\036stagecraft:%s\036' "$1"
	printf '\036stagecraft:%s\036' "$1" >&2
}
while IFS= read -r l; do
	case $l in
	P*)
		n=${l#P}
		case $n in ''|*[!0-9a-f]*) continue ;; esac
		s=pb
		[ -w /workspace ] && s=${s}w
		command -v setsid >/dev/null 2>&1 && s=${s}s
		command -v head >/dev/null 2>&1 && s=${s}h
		m "$n" "$s"
		continue ;;
	R*)
		n=${l#R}
		b=${n#* }
		n=${n%% *} ;;
	L*)
		n=${l#L}
		c=${n#* }
		n=${n%% *}
		case $c in ''|*[!0-9]*) continue ;; esac
		b=$(head -c "$c"; printf x)
		b=${b%x} ;;
	X*)
		exit 0 ;;
	*)
		continue ;;
	esac
	case $n in ''|*[!0-9a-f]*) continue ;; esac
	begin "$n"
	( command eval "$b" && run "$@" )
	m "$n" "$?"
done
@END@
