"""Constants shared by the parts of bench/compare.py."""
import os

PY = "/usr/bin/python3"  # Debian's interpreter: python3-aiohttp and python3-uvloop live there
SERVER_CPU, GEN_CPU = "0", "1"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # bench/
SECTIONS = ("generators", "pipelining", "servers", "tls", "h2", "accuracy", "micro", "h2servers", "open")
ROOT = os.path.dirname(HERE)
