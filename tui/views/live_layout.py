"""How many panels go across, and how tall: the whole height is used, and whole rows show.

Panels share the height they are given (their graphs grow with it) when every row fits; when
not, as many whole rows as fit fill the screen and the rest scroll."""

from __future__ import annotations

from dataclasses import dataclass

MIN_WIDTH = 26  # a panel narrower than this cuts its figures
MAX_COLUMNS = 5


@dataclass(frozen=True)
class GridShape:
    columns: int
    panel_height: int


def grid_shape(n: int, width: int, height: int, min_height: int, min_width: int = MIN_WIDTH,
               columns: int | None = None) -> GridShape:
    """`n` panels in `width` × `height` cells, none under `min_height` rows or `min_width`
    columns; rows as even as they can be (15 in 5 × 3, not 7 + 7 + 1). `columns` fixes the
    number across (one column per host, side by side)."""
    n = max(1, n)
    if columns:
        rows = -(-n // columns)
    else:
        per_row = max(1, min(MAX_COLUMNS, n, width // min_width))
        rows = -(-n // per_row)
        columns = -(-n // rows)
    visible_rows = max(1, min(rows, height // min_height))
    return GridShape(columns, max(min_height, height // visible_rows))


def fits_side_by_side(hosts: int, width: int, min_width: int = MIN_WIDTH) -> bool:
    """Whether one column per host fits (a runtime's panels on every host in one row)."""
    return hosts <= MAX_COLUMNS and width // max(1, hosts) >= min_width
