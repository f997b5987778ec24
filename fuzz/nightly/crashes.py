"""Crash triage: the kind of a crash, its top gmpkit frames, a dedup key."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_SAN = re.compile(r"ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|libFuzzer): "
                  r"([\w-]+(?: signal)?)")
_UBSAN = re.compile(r"runtime error: (.+)$")
_SIM = re.compile(r"gmpkit-sim: FAILURE: ([^(]+)")
_FATAL = re.compile(r"gmpkit: fatal error: (.+)$")
_FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (.+?) (/\S+|\(\S+\))")
_REPLAY = re.compile(r"^(GMPKIT_SIM_REPLAY=\S+)(?: (.*))?$")
_STEPS = re.compile(r":steps=(\d+)")

# Frames that belong to the fuzzing/sanitizer machinery, never to the bug.
_NOISE = ("__sanitizer", "__asan", "__ubsan", "fuzzer::", "abort", "raise", "__GI_",
          "gmpkit::fuzz::property_failed", "gmpkit::testing::sim::fail",
          "gmpkit::rt::sim::Simulator::fail", "gmpkit::core::fatal", "on_crash_signal")


@dataclass
class Crash:
    kind: str
    top_frames: list[str] = field(default_factory=list)
    replay: str = ""  # the GMPKIT_SIM_REPLAY=... assignment, if printed

    @property
    def key(self) -> str:
        return self.kind + " | " + " > ".join(self.top_frames)

    @property
    def replay_steps(self) -> int | None:
        m = _STEPS.search(self.replay)
        return int(m.group(1)) if m else None


def classify(output: str, artifact_name: str = "") -> Crash:
    """The crash kind and the top three symbolized frames inside gmpkit."""
    kind = ""
    for line in output.splitlines():
        if not kind:
            for rx, fmt in ((_SIM, "sim: {}"), (_FATAL, "fatal: {}"), (_UBSAN, "ubsan: {}")):
                m = rx.search(line)
                if m:
                    kind = fmt.format(m.group(1).strip())
                    break
        if not kind:
            m = _SAN.search(line)
            if m:
                kind = f"{m.group(1)}: {m.group(2)}"
        if line.startswith("fuzz: FAILURE: ") and not kind:
            kind = "property: " + line[len("fuzz: FAILURE: "):].split(":")[0]
    if not kind:
        if artifact_name.startswith("timeout-"):
            kind = "timeout"
        elif artifact_name.startswith("oom-"):
            kind = "oom"
        else:
            kind = "crash"
    # Numbers in messages (steps, counts, addresses) vary between equal bugs.
    kind = re.sub(r"0x[0-9a-f]+|\d+", "N", kind)[:160]
    frames: list[str] = []
    for line in output.splitlines():
        m = _FRAME.match(line)
        if not m:
            continue
        fn, where = m.group(1), m.group(2)
        if any(n in fn for n in _NOISE):
            continue
        if "gmpkit" not in fn and "/runtime/" not in where and "/fuzz/" not in where:
            continue
        fn = re.sub(r"\(.*$", "", fn)  # drop parameter lists
        if fn not in frames:
            frames.append(fn)
        if len(frames) == 3:
            break
    replay = ""
    for line in output.splitlines():
        m = _REPLAY.match(line.strip())
        if m:
            replay = m.group(1)
    return Crash(kind=kind, top_frames=frames, replay=replay)


def dedup(crashes: list[tuple[str, Crash]]) -> dict[str, list[str]]:
    """Groups artifact paths by crash key, first-seen order."""
    groups: dict[str, list[str]] = {}
    for path, c in crashes:
        groups.setdefault(c.key, []).append(path)
    return groups
