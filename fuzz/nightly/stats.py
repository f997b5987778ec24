"""Parse libFuzzer's status lines (plain and -fork mode) into running totals."""
from __future__ import annotations

import re
from dataclasses import dataclass

# "#12345	NEW    cov: 812 ft: 2045 corp: 61/3410b lim: 4 exec/s: 1234 rss: 45Mb"
_PLAIN = re.compile(r"^#(\d+)\s+\S+\s+cov: (\d+) ft: \d+ corp: (\d+)/\S+.*?exec/s: (\d+)")
# fork mode: "#40167: cov: 1017 ft: 3126 corp: 223 exec/s 1331 oom/timeout/crash: 0/0/2 time: 31s job: 6 dft_time: 0"
_FORK = re.compile(r"^#(\d+): cov: (\d+) ft: \d+ corp: (\d+) exec/s:? (\d+)")
_STAT = re.compile(r"^stat::number_of_executed_units: (\d+)")


@dataclass
class Stats:
    execs: int = 0
    coverage_edges: int = 0
    corpus_units: int = 0
    execs_per_s: int = 0

    def update(self, line: str) -> bool:
        """Folds one output line in; returns True if it carried a status."""
        m = _FORK.match(line) or _PLAIN.match(line)
        if m:
            self.execs = max(self.execs, int(m.group(1)))
            self.coverage_edges = max(self.coverage_edges, int(m.group(2)))
            self.corpus_units = int(m.group(3))
            self.execs_per_s = int(m.group(4))
            return True
        s = _STAT.match(line)
        if s:
            self.execs = max(self.execs, int(s.group(1)))
            return True
        return False

    def progress(self, name: str, elapsed: float) -> str:
        return (f"fuzz-nightly: {name}: {elapsed:.0f}s execs={self.execs} "
                f"exec/s={self.execs_per_s} cov={self.coverage_edges} corpus={self.corpus_units}")
