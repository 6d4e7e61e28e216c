"""An eps sweep from Python (a notebook cell or a script): three of the bundled sample photos,
the one-step fast attack towards the least likely class at four budgets, and the top-1 error at
each, as a table.

    python docs/examples/notebook_sweep.py [MODEL]     # MODEL: a shipped name or an .onnx path
"""

import shutil
import sys
import tempfile
from pathlib import Path

import advgui
from advgui.samples import credits

model = advgui.load_model(sys.argv[1] if len(sys.argv) > 1 else None, device="auto")
print(f"model: {model.describe()}")

work = Path(tempfile.mkdtemp(prefix="advgui-sweep-"))
photos = work / "photos"
photos.mkdir()
samples = Path(advgui.__file__).parent / "samples"
for row in credits()[:3]:
    shutil.copy(samples / row["file"], photos)

for p in advgui.classify(model, sorted(photos.iterdir())):
    print(f"{Path(p.image).name}: {p.label} ({100 * p.top[0][2]:.1f} %, tier {p.tier})")

outcome = advgui.run_study(photos, work / "study", model=model, methods=["fast"],
                           targets=["least-likely"], eps=[1, 2, 4, 8], per_tier=3, seed=0)
results = advgui.read_study(work / "study")
print(f"\n{outcome.rows} rows in {outcome.seconds:.1f} s\n")
# top1_error_clean: the adversarial's top-1 differs from the clean prediction (the model's own
# answer; the _truth columns count against the true label where one is known). Summary rows hold
# strings, as the CSV does.
print(f"{'eps':>5}  {'images':>6}  {'top-1 changed':>13}  {'95 % interval':>15}")
for row in results.summary:
    if row["tier"] == "all":
        rate, lo, hi = (100 * float(row[k]) for k in ("top1_error_clean", "top1_error_clean_lo",
                                                      "top1_error_clean_hi"))
        print(f"{row['eps']:>5}  {row['images']:>6}  {rate:>11.1f} %  {lo:>5.1f} - {hi:5.1f} %")
shutil.rmtree(work)
