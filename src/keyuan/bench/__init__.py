"""Benchmarks run by `keyuan bench ...`. Each prints a report and returns its numbers as a dict."""
