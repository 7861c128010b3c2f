"""Run the deploy tests: every test_* function of every tests/deploy/t_*.py, in file
order, each on fresh temp project folders, against the platc given.  Usage:
  python3 tests/deploy/run.py PLATC [FILTER...]     (a test runs when its name holds a FILTER)
UPDATE=1 rewrites the goldens; KEEP=1 keeps the temp folders; VERBOSE=1 names each test.  Exit 0 when every test passed."""
import importlib.util
import inspect
import os
import sys
import time
import traceback

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402


def main():
    if len(sys.argv) < 2:
        print("usage: run.py PLATC [FILTER...]", file=sys.stderr)
        return 2
    platc = os.path.abspath(sys.argv[1])
    filters = sys.argv[2:]
    if not os.access(platc, os.X_OK):
        print("FAIL deploy: expected an executable platc at %s" % platc)
        return 1
    passed = failed = 0
    for fname in sorted(os.listdir(HERE)):
        if not (fname.startswith("t_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3], os.path.join(HERE, fname))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        tests = [(n, f) for n, f in vars(mod).items() if n.startswith("test_") and callable(f)]
        tests.sort(key=lambda t: inspect.getsourcelines(t[1])[1])
        for name, fn in tests:
            full = "%s.%s" % (fname[:-3], name)
            if filters and not any(f in full for f in filters):
                continue
            ctx = harness.Context(platc)
            t0 = time.time()
            try:
                fn(ctx)
                passed += 1
                if os.environ.get("VERBOSE"):
                    print("ok   %s (%.1fs)" % (full, time.time() - t0))
            except harness.Failure as e:
                failed += 1
                print("FAIL %s: %s" % (full, e))
            except Exception:
                failed += 1
                print("FAIL %s: the test itself broke:\n%s" % (full, traceback.format_exc()))
            finally:
                if os.environ.get("KEEP") == "1":
                    print("     kept %s" % ctx.tmp)
                else:
                    ctx.close()
    print("deploy: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
