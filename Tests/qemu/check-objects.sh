#!/usr/bin/env bash
# Issue 9's memory-object programs, on the log of a boot that ran them (and nothing else: the
# figures below are exact only when no other program clones or shares memory):
#   - ring_producer: 10 000 records, each checked by ring_consumer (`ring_producer ok records=10000`);
#   - zero_copy_sender: every round verified; while the receiver mapped and read the 4 MiB buffer
#     the machine's free frames dropped by fewer than 64 in the least of its rounds (its page
#     tables: no frame copied);
#   - cow_snapshot: the clone took fewer than 64 frames, and the kernel's summary counts exactly
#     the pages written while shared: cow_copies= equals the program's pages_copied_expected=;
#   - the summary's shared_frames_peak= is at least the zero-copy buffer's 1024 pages (sender and
#     receiver mapped the same frames at once);
#   - object_orphan_child read and wrote the object after object_orphan_parent was killed (its
#     `parent-gone` line after the parent's `proc end`), and no object or channel is left after
#     the last process (`obj all-ended objects_left=0 channels_left=0`).
# The figures that two memstat calls bracket (frames taken or returned) are not atomic: a timer
# tick pending at the end of a long call lets other programs run in between. Hence the least
# over the zero-copy rounds (a copy would take 1024 frames in every round).
# Frames free at exit equal frames free at boot: check-summary.sh. Usage: check-objects.sh LOGFILE
set -u
log=$(tr -d '\r' <"$1")
failures=0
fail() { echo "FAIL objects: $1"; failures=$((failures + 1)); }
output() { grep -E "^info +user +output .* prog=$1 .*\| $1 $2( |$)" <<<"$log" | sed 's/.* | //' | head -1; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2" | head -1; }
summary=$(grep '^summary ' <<<"$log")

ring=$(output ring_producer ok)
[ "$(field records "$ring")" = 10000 ] || fail "no 'ring_producer ok records=10000' line"
grep -qE "\| ring_consumer ok .*bad_records=0" <<<"$log" || fail "ring_consumer did not check every record"

zero=$(output zero_copy_sender ok)
taken=$(field receiver_frames_taken_min "$zero")
[ -n "$taken" ] && [ "$taken" -lt 64 ] || fail "zero_copy: receiver_frames_taken_min=${taken:-missing} (want < 64: nothing copied)"
[ "$(grep -cE '\| zero_copy_receiver verified ' <<<"$log")" = "$(field rounds "$zero")" ] || fail "zero_copy: not every round verified"

cow=$(output cow_snapshot ok)
expected=$(field pages_copied_expected "$cow") copies=$(field cow_copies "$summary")
[ -n "$expected" ] && [ "$copies" = "$expected" ] || fail "cow_copies=${copies:-missing} in the summary, cow_snapshot wrote ${expected:-?} shared pages"
clone_frames=$(field clone_frames_taken "$cow")
[ -n "$clone_frames" ] && [ "$clone_frames" -lt 64 ] || fail "cow_snapshot: clone_frames_taken=${clone_frames:-missing} (want < 64)"

peak=$(field shared_frames_peak "$summary") pages=$(field pages "$zero")
[ -n "$peak" ] && [ -n "$pages" ] && [ "$peak" -ge "$pages" ] || fail "shared_frames_peak=${peak:-missing} below the ${pages:-?} shared pages"

orphan=$(output object_orphan_child ok)
[ -n "$orphan" ] || fail "no 'object_orphan_child ok' line"
objects=$(grep -E '^info +obj +all-ended ' <<<"$log")
[ "$(field objects_left "$objects")" = 0 ] && [ "$(field channels_left "$objects")" = 0 ] || fail "objects or channels left after the last process: $objects"
parent_end=$(grep -nE '^(info |error) *proc +end .* prog=object_orphan_parent .*status=killed' <<<"$log" | head -1 | cut -d: -f1)
child_gone=$(grep -nE '\| object_orphan_child parent-gone ' <<<"$log" | head -1 | cut -d: -f1)
[ -n "$parent_end" ] && [ -n "$child_gone" ] && [ "$parent_end" -lt "$child_gone" ] || fail "the child did not go on after its parent was killed"

[ "$failures" -eq 0 ] && echo "ok   objects: ring 10000 records, zero-copy frames_taken_min=$taken, cow_copies=$copies (as written), shared_frames_peak=$peak, the orphan went on after its parent, no object left"
[ "$failures" -eq 0 ]
