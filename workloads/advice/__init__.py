"""The decision wizard's engine (no Textual here).

questions: the questions, systems of components, validation · rules (+ rules.toml): rules and
language facts as data · evidence: this machine's figures per side, for the languages they
measure · premises: what each rule assumes, checked against those figures · budgets: budgets
against the named runtimes · evaluate: one component's recommendation · system: the system's ·
report: as text · starter (+ starter_docker, starter_spin, starter_compose): starter files ·
spin_manifest: Spin's manifest rules, checked.
"""
