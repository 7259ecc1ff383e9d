"""The app's views: one module per view (live, results, charts, log, density, sandbox), each
owning its widgets, its workers and the messages they post."""
