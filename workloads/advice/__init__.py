"""The decision wizard's engine: questions, rules as data, a deterministic evaluator, evidence
from this machine's measurements, and starter deployment files. No Textual here."""
