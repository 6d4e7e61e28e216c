"""advgui-cli explain: why one image is fooled. Attacks it, then writes the photo, its
adversarial, the input-gradient map and both Grad-CAMs as one PNG, and the layer divergence
per block at every step as a CSV (docs/explain.md says what each view is)."""

from __future__ import annotations

import argparse
from pathlib import Path

from advgui.cli.options import (add_model_arguments, load_model, model_options,
                                 refuse_study_folder)
from advgui.cli.progress import ProgressBar
from advgui.core.attacks import METHODS, Target, attack_from_settings, run_to_end
from advgui.core.model.images import ImageError, load_rgb
from advgui.core.records.safe_write import atomic_write_bytes


def add_parser(sub) -> None:
    p = sub.add_parser("explain", help="show why an image is fooled: gradient map, Grad-CAM, "
                                       "layer divergence")
    p.add_argument("image", type=Path)
    p.add_argument("--method", choices=METHODS, default="iterative")
    p.add_argument("--target", default="least-likely",
                   help="least-likely | least-likely-top5 | inverse | class:N")
    p.add_argument("--eps", type=float, default=8.0, help="L-inf budget in pixel levels 0-255")
    p.add_argument("--alpha", type=float, help="step size in pixel levels (default 1)")
    p.add_argument("--steps", type=int, help="iterations (default min(eps+4, 1.25 eps))")
    p.add_argument("--queries", type=int,
                   help="square: model queries at most (default 1000)")
    p.add_argument("--out", type=Path, required=True,
                   help="folder for NAME_explain.png and NAME_divergence.csv")
    add_model_arguments(p)
    p.set_defaults(func=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    attack = attack_from_settings(args.method, eps=args.eps, alpha=args.alpha, steps=args.steps,
                                  seed=getattr(args, "seed", 0), queries=args.queries)
    if not args.out.is_dir():  # before the model loads: the result would be lost
        raise ValueError(f"--out {args.out}: no such folder; create it first")
    refuse_study_folder(args.out, args.out)
    try:
        image_in = load_rgb(args.image)
    except ImageError as exc:
        raise ImageError(f"{args.image}: {exc}") from None
    # Loaded here: the parser (advgui-cli --help, summary, merge) never loads onnx.
    from advgui.core.explain import Explainer  # noqa: PLC0415
    from advgui.core.explain.figure import (divergence_csv, divergence_rows,  # noqa: PLC0415
                                            explain_png)

    clf = load_model(model_options(args))
    clf.ensure_gradient()
    explainer = Explainer(clf)
    target = Target.parse(args.target, clf.num_classes)
    pixels = clf.preprocessing.load(image_in)
    x = clf.preprocessing.to_model(pixels[None])
    ops = {b.name: b.op_type for b in explainer.parts.blocks}
    rows: list[dict] = []
    bar = ProgressBar(attack.steps, f"{attack.name} + explain")

    def on_step(record) -> None:
        div = explainer.divergence(x[0], record.image[0])
        rows.extend(divergence_rows(record.step, "float", div, ops))
        bar.update(note=f"last block rel. L2 {div.relative_l2[-1]:.3f}")

    result = run_to_end(attack.run(clf, x, target, None), on_step)
    bar.close()
    adversarial = clf.preprocessing.to_model(result.pixels)[0]  # the 8-bit PNG, as reports use
    clean_top1 = int(result.clean_probabilities[0].argmax())
    adv_top1 = int(result.pixel_probabilities[0].argmax())
    frame = explainer.frame(x[0], adversarial, clean_top1)
    rows.extend(divergence_rows(result.steps_taken, "8-bit png", frame.divergence, ops))
    stem = args.image.stem
    png, table = args.out / f"{stem}_explain.png", args.out / f"{stem}_divergence.csv"
    atomic_write_bytes(png, explain_png(pixels, result.pixels[0], frame,
                                        clf.classes.label(clean_top1), clf.classes.label(adv_top1)))
    atomic_write_bytes(table, divergence_csv(rows).encode())
    print(f"clean top-1: {clf.classes.label(clean_top1)}; adversarial (8-bit) top-1: "
          f"{clf.classes.label(adv_top1)}")
    print(f"Grad-CAM layer: {explainer.parts.spatial_map.name if explainer.parts.spatial_map else 'none'}"
          f"; blocks: {len(explainer.parts.blocks)}")
    print("divergence of the 8-bit adversarial (block: relative L2, cosine):")
    for b, r, c in zip(frame.divergence.blocks, frame.divergence.relative_l2,
                       frame.divergence.cosine):
        print(f"  {b}: {r:.3f}, {c:.3f}")
    print(f"saved {png}")
    print(f"saved {table}")
    return 0
