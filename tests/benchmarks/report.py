"""The results: one markdown table (measure, result, target, verdict), printed and written to a file."""

from __future__ import annotations

from dataclasses import dataclass, field

MET = "met"
NOT_MET = "**not met**"
PASS = "pass"
FAIL = "**FAIL**"
REPORTED = "reported"
BASELINE = "baseline"


def verdict(ok: bool) -> str:
    return MET if ok else NOT_MET


@dataclass(frozen=True)
class Row:
    case: str
    measure: str
    result: str
    target: str
    verdict: str


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    # Sections after the table: (title, markdown body).
    details: list[tuple[str, str]] = field(default_factory=list)

    def add(self, case: str, measure: str, result: str, target: str = "—", outcome: str = REPORTED) -> None:
        self.rows.append(Row(case, measure, result, target, outcome))

    def table(self) -> str:
        lines = ["| # | Measure | Result | Target | Verdict |", "|---|---|---|---|---|"]
        lines += [f"| {r.case} | {r.measure} | {r.result} | {r.target} | {r.verdict} |" for r in self.rows]
        return "\n".join(lines)

    def failed(self) -> bool:
        return any(row.verdict == FAIL for row in self.rows)


def document(report: Report, preamble: str) -> str:
    parts = ["# Benchmarks", "", preamble.strip(), "", report.table(), ""]
    for title, body in report.details:
        parts += [f"## {title}", "", body.strip(), ""]
    return "\n".join(parts)
