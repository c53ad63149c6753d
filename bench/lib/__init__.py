"""The parts of bench/compare.py, one concern each:

    common   constants shared by the parts (interpreter, CPU pinning, paths, section names)
    runner   processes we start and measure: /proc CPU accounting, free ports, servers, generator runs
    parse    the outputs of barrage, wrk, ab, h2load and the seed script; summary() of repeated figures
    bench    Bench: runs the sections and assembles the results document
    report   judging a figure (metrics, verdict, barrage bugs) and rendering: the Markdown table, diff
"""
