"""gmpkit_reports: benchmark result files -> statistics -> one self-contained HTML report.

Modules: machine (fingerprint), schema (load + validate result files), stats
(scipy/statsmodels statistics), histogram, dataset (a data tree), model (what the
report shows), charts (plotly), render/compare/collect (the commands), suite and
runner (the interleaved benchmark run that ci/report drives).
"""
