"""python -m benchmarks NAME [options]: run benchmarks/bench_NAME.py's main(args).

Without a name, list the benchmarks there are. Each benchmark parses its own options.
"""

import importlib
import pkgutil
import sys
from pathlib import Path

PREFIX = "bench_"


def available():
    here = str(Path(__file__).parent)
    return sorted(m.name[len(PREFIX):] for m in pkgutil.iter_modules([here]) if m.name.startswith(PREFIX))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    names = available()
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in names:
        print("usage: python -m benchmarks NAME [options]   (NAME --help for its options)")
        print("benchmarks: " + ", ".join(names))
        return 0 if not argv or argv[0] in {"-h", "--help"} else 2
    module = importlib.import_module(f"benchmarks.{PREFIX}{argv[0]}")
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
