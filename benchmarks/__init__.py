"""Performance benchmarks: a national-scale synthetic data generator and a harness that times the main pages.

`benchmarks.generate` builds the data (357 municipalities, 40 collaborations, people scaled by `scale`);
`benchmarks.run` times Desk pages and API lists on SQLite and MariaDB and writes `benchmarks/RESULTS.md`.
Later issues add generator phases (`generate.PHASES`) and targets (`targets.TARGETS`). See README.md.
"""
