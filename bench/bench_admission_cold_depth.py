"""A cold admission pass started part way into its day (concurrency.Admission with COLD_DEPTH): per 30-slot bucket after its first slot, how many verdicts are not sure (run at this commit; docs/scale.md step 6)."""

import datetime as dt
import random
import sys

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from functions.generator.events import epoch_ms
from functions.shared import concurrency, households
from functions.shared import world as wm
from functions.shared.dimensions import world_dimensions

batch = int(sys.argv[1])
w = wm.World(1, world_dimensions(42, households.audience_size(batch), 500), batch)
day = concurrency.pass_start(epoch_ms(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)) // 60000)
rng = random.Random(3)
for k in range(int(sys.argv[2])):
    A = day + 400 + rng.randrange(900)
    a = concurrency.Admission(w)
    a._start(day, 10**9, A)
    buckets = [0] * 12
    cand = [0] * 12
    for s in range(A, A + 360):
        flags, unsure = a._judge(s, concurrency._PASS)
        buckets[(s - A) // 30] += unsure
        cand[(s - A) // 30] += len(flags)
    print((A - day) // 60 + 10, "h:", buckets, "of ~", cand[0], "maybe households", len(a._household_maybe))
