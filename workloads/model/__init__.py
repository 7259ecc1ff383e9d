"""The data every part of wasmscope speaks: results, typed samples, machine records, statistics
and how figures read."""
