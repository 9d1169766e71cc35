#!/usr/bin/python3
"""SciPy's A@A and ours (`nativefree spgemm FILE --serve`, one persistent process) alternating round by
round on the same file, so both see the same machine load; prints the best wall and CPU time of each and
the ratios. On a shared machine this is steadier than running the two programs one after the other.
  bench/spgemm_interleaved.py FILE.mtx [ROUNDS=7] [CONFIGS=1,2]     (config: THREADS[:ACCUMULATOR])"""
import os, sys, time, json, subprocess
import numpy as np, scipy.io as sio

f = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
confs = sys.argv[3].split(",") if len(sys.argv) > 3 else ["1", "2"]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
dll = os.path.join(root, "src/Cli/bin/Release/net10.0/nativefree.dll")
A = sio.mmread(f).tocsr().astype(np.float64)
p = subprocess.Popen(["dotnet", dll, "spgemm", f, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
assert p.stdout.readline().strip() == "ready"

def ours(c):
    p.stdin.write(c.replace(":", " ") + "\n"); p.stdin.flush()
    return json.loads(p.stdout.readline())

for c in confs: ours(c); ours(c)   # JIT tiering and the output's memory warm up
best = {c: [1e9, 1e9] for c in ["scipy"] + confs}
last = {}
for _ in range(rounds):
    t, u = time.perf_counter(), time.process_time()
    C = A @ A
    w, cp = time.perf_counter() - t, time.process_time() - u
    del C
    best["scipy"] = [min(best["scipy"][0], w), min(best["scipy"][1], cp)]
    for c in confs:
        d = ours(c); last[c] = d
        best[c] = [min(best[c][0], d["seconds"]), min(best[c][1], d["cpuSeconds"])]
p.stdin.close(); p.wait()
sw, sc = best["scipy"]
print(f"{os.path.basename(f)}: load {os.getloadavg()[0]:.1f}, {rounds} rounds, scipy wall {sw*1e3:.1f} ms cpu {sc*1e3:.1f} ms")
for c in confs:
    w, cp = best[c]
    d = last[c]
    print(f"  ours {c:>8}: wall {w*1e3:7.1f} ms cpu {cp*1e3:7.1f} ms | scipy/ours wall {sw/w:.2f} cpu {sc/cp:.2f} | "
          f"{confs[0]}/this wall {best[confs[0]][0]/w:.2f} | extra {d['extraBytes']/1024:.0f} KiB (output {d['outputBytes']/2**20:.0f} MiB)")
