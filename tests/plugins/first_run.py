"""A toy measurement, registered by a test the way a new one is (one module, one registry line):
the wall time of the first `hello` run on each runtime, nothing prepared beforehand."""

from __future__ import annotations

from wasmscope.workloads.errors import WasmscopeError
from wasmscope.workloads.measurements.base import BarChart, Column, Measurement
from wasmscope.workloads.model.format import fmt_ms
from wasmscope.workloads.model.results import FAILED, OK, Row, Table
from wasmscope.workloads.model.samples import ColdStart


class FirstRun(Measurement):
    name = "first-run"
    title = "First run"
    unit = "ms"
    samples = (ColdStart,)
    chart = BarChart("First run of hello (ms)")
    columns = (Column("ms", "First run", lambda view, row: fmt_ms(row.value), essential=True),
               Column("out", "Output", lambda view, row: row.counts))

    def selected_by(self, profile):
        return {"first-hello": []}

    def steps(self, profile, plan, runtimes):
        return len(runtimes)

    def run(self, adapters, profile, plan, control):
        hello = profile.workload(profile.startup.workload)
        table = Table(self.name, self.unit, hello.name, what="one run, nothing prepared")
        for name, adapter in adapters.items():
            try:
                res = adapter.run(hello, [], timeout_s=profile.bench.timeout_s)
            except WasmscopeError as err:
                table.rows.append(Row(name, FAILED, str(err)))
                continue
            control.sample(ColdStart(self.name, name, ms=res.total_ms))
            control.step(f"{self.name}: {name}")
            table.rows.append(Row(name, OK, value=round(res.total_ms, 3), counts=res.stdout.strip()[:30]))
        return table
