"""The reading half of a large import, in a Python process of its own.

`callqa import` of a large file starts `python -m callqa.engine.store.import_reader`
(engine.store.importer's `_read_elsewhere`): this process reads and checks the rows and makes
them ready for the store (`prepared_steps`), while the importing process writes the batch
before, on another core. It reads (path, mappings, timezone, source) pickled from its standard
input and writes each `Step` pickled to its standard output, then None at the end of the file,
or the exception that stopped it (raised again in the importing process, with its message).
"""

from __future__ import annotations

import os
import pickle
import sys


def main() -> int:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # anything printed must not break the steps
    try:
        from callqa.engine.store.importer import prepared_steps

        path, mappings, zone, source = pickle.load(sys.stdin.buffer)
        for step in prepared_steps(path, mappings, zone, source):
            pickle.dump(step, out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(None, out)
    except KeyboardInterrupt:  # ctrl+c reaches both processes: the importer says what was kept
        return 130
    except BrokenPipeError:  # the importer stopped (its error, or ctrl+c)
        return 1
    except Exception as error:
        try:
            pickle.dumps(error)
        except Exception:  # an exception that cannot travel: its message does
            error = RuntimeError(f"{type(error).__name__}: {error}")
        pickle.dump(error, out)
    try:
        out.close()
    except BrokenPipeError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
