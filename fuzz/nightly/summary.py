"""summary.json / summary.md / history.jsonl of one nightly campaign."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class CrashEntry:
    id: str
    kind: str
    top_frames: list[str]
    reproducer: str
    minimized: str
    replays: bool
    new: bool = True


@dataclass
class TargetEntry:
    name: str
    seconds: int
    execs: int = 0
    execs_per_s: float = 0.0
    coverage_edges: int = 0
    corpus_units: int = 0
    new_units: int = 0
    crashes: list[CrashEntry] = field(default_factory=list)


@dataclass
class Summary:
    date: str
    commit: str
    machine: str
    targets: list[TargetEntry] = field(default_factory=list)

    @property
    def unique_crashes(self) -> int:
        keys = {(c.kind, tuple(c.top_frames)) for t in self.targets for c in t.crashes}
        return len(keys)

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["unique_crashes"] = self.unique_crashes
        return d

    def to_markdown(self) -> str:
        lines = [f"# Fuzz campaign {self.date}", "",
                 f"commit `{self.commit}` on {self.machine}; unique crashes: {self.unique_crashes}", "",
                 "| target | seconds | execs | exec/s | coverage edges | corpus | new units | crashes |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for t in self.targets:
            lines.append(f"| {t.name} | {t.seconds} | {t.execs} | {t.execs_per_s:.0f} | "
                         f"{t.coverage_edges} | {t.corpus_units} | {t.new_units} | {len(t.crashes)} |")
        for t in self.targets:
            for c in t.crashes:
                lines += ["", f"## {t.name}: {c.kind}" + (" (new)" if c.new else " (known)"), "",
                          "frames: " + (" > ".join(c.top_frames) or "(none in gmpkit)"), "",
                          f"minimized: `{c.minimized}`; replays: {'yes' if c.replays else 'NO'}", "",
                          "```", c.reproducer, "```"]
        return "\n".join(lines) + "\n"

    def write(self, out: Path, history: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(self.to_json(), indent=2) + "\n")
        (out / "summary.md").write_text(self.to_markdown())
        with history.open("a") as h:
            for t in self.targets:
                h.write(json.dumps({"date": self.date, "commit": self.commit, "machine": self.machine,
                                    "target": t.name, "seconds": t.seconds, "execs": t.execs,
                                    "execs_per_s": t.execs_per_s,
                                    "coverage_edges": t.coverage_edges,
                                    "corpus_units": t.corpus_units, "new_units": t.new_units,
                                    "crashes": len(t.crashes)}) + "\n")
