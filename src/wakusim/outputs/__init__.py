"""Outputs of runs: results objects, files on disk, summary tables and figures."""
