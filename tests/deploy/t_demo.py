"""`make demo` (scripts/demo.sh): deploys the quickstart on the embedded defaults, shows
the plan, progress and outputs, and a second deploy changes nothing."""
import os
import subprocess

from harness import HERE, expect

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def test_demo(ctx):
    demo = os.path.join(ctx.tmp, "demo")
    p = subprocess.run(["sh", "scripts/demo.sh", ctx.platc], cwd=ROOT, capture_output=True,
                       text=True, env=dict(os.environ, DEMO_DIR=demo, NO_COLOR="1"), timeout=120)
    expect(p.returncode == 0, "demo.sh exit %d" % p.returncode, p.stdout + p.stderr)
    for want in ("==> platc plan", "Plan: 4 to create", "suffix: created", "Deploy complete: 4 created",
                 "greetingFile = \"out/hello-", "Hello, world!", "No changes."):
        expect(want in p.stdout, "demo output has %r" % want, p.stdout)
    expect(os.path.isdir(os.path.join(demo, ".plat", "stacks", "dev")), "state in the copy")
    expect(not os.path.exists(os.path.join(ROOT, "examples", "quickstart", ".plat")),
           "the example folder itself is left clean")
