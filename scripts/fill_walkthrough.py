#!/usr/bin/env python3
# Dev tool: refresh the pasted outputs of walkthrough.md after the lessons change.
# Usage (from a clean build): python3 scripts/fill_walkthrough.py . [gdb|nogdb]
"""Run every <!-- output: CMD --> block of walkthrough.md (from the repo root given
as argv[1]) and paste the real output between the markers."""
import re, subprocess, sys, os
root = sys.argv[1]
only = sys.argv[2] if len(sys.argv) > 2 else None   # "gdb": only blocks that start with gdb; "nogdb": the others
path = os.path.join(root, "walkthrough.md")
text = open(path).read()
pat = re.compile(r"(<!-- output: (.*?) -->\n)(.*?)(<!-- /output -->)", re.S)
env = dict(os.environ)
env["PATH"] = "/usr/bin:/bin:" + env.get("PATH", "")   # Debian's python3 (numpy)
env.pop("VLM_PROGRESS", None)
fails = []
def run(m):
    cmd = m.group(2)
    is_gdb = cmd.startswith("gdb ")
    if (only == "gdb" and not is_gdb) or (only == "nogdb" and is_gdb):
        return m.group(0)
    r = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], cwd=root, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    if r.returncode != 0:
        fails.append((cmd, r.returncode, r.stdout[-2000:]))
    out = r.stdout.rstrip("\n")
    lines = out.count("\n") + 1
    body = "```text\n" + out + "\n```\n"
    if lines > 100:
        body = "<details><summary>output (%d lines; click to open)</summary>\n\n%s\n</details>\n" % (lines, body)
    body = "```sh\n" + cmd + "\n```\n\n" + body
    return m.group(1) + body + m.group(4)
text = pat.sub(run, text)
open(path, "w").write(text)
for cmd, rc, out in fails:
    print("FAILED rc=%d: %s\n%s" % (rc, cmd, out))
print("blocks:", len(pat.findall(text)), "failed:", len(fails))
sys.exit(1 if fails else 0)
