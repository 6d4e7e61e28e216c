"""advgui-cli attack: one image, one attack; the adversarial saved as a lossless PNG and both
top-5s (the adversarial re-scored from its 8-bit pixels)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from advgui.cli.classify import top5_lines
from advgui.cli.options import (add_model_arguments, load_model, model_options,
                                 refuse_study_folder)
from advgui.cli.progress import ProgressBar
from advgui.core.study.rows import norms
from advgui.core.attacks import METHODS, Target, attack_from_settings, run_to_end
from advgui.core.attacks.params import eps_units
from advgui.core.model.images import ImageError, load_rgb
from advgui.core.records.safe_write import atomic_write_file


def add_parser(sub) -> None:
    p = sub.add_parser("attack", help="attack one image and save the adversarial PNG")
    p.add_argument("image", type=Path)
    p.add_argument("--method", choices=METHODS, default="iterative")
    p.add_argument("--target", default="least-likely",
                   help="least-likely | least-likely-top5 | inverse | class:N | true")
    p.add_argument("--truth", type=int, help="true class index (for --target true)")
    p.add_argument("--eps", type=float, default=8.0, help="L-inf budget in pixel levels 0-255")
    p.add_argument("--alpha", type=float, help="step size in pixel levels (default 1)")
    p.add_argument("--steps", type=int, help="iterations (default min(eps+4, 1.25 eps))")
    p.add_argument("--queries", type=int,
                   help="square: model queries at most (default 1000; gradient-free, so it runs "
                        "on a model whose gradient cannot be built)")
    p.add_argument("--out", type=Path, required=True)
    add_model_arguments(p)
    p.set_defaults(func=cmd_attack)


def cmd_attack(args: argparse.Namespace) -> int:
    attack = attack_from_settings(args.method, eps=args.eps, alpha=args.alpha, steps=args.steps,
                                  seed=getattr(args, "seed", 0),
                                  queries=getattr(args, "queries", None))
    if args.out.suffix.lower() != ".png":  # before the model loads: a typo should fail at once
        raise ValueError("adversarial images are saved losslessly: --out must end in .png")
    if not args.out.parent.is_dir():  # before the attack: its result would be lost
        raise ValueError(f"--out {args.out}: the folder {args.out.parent} does not exist; "
                         "nothing was attacked. Create it, or give a path in a folder that exists")
    refuse_study_folder(args.out, args.out.parent)
    try:
        image_in = load_rgb(args.image)
    except ImageError as exc:
        raise ImageError(f"{args.image}: {exc}") from None
    clf = load_model(model_options(args))
    if attack.uses_gradient:
        clf.ensure_gradient()  # an unsupported operator is reported now, naming the node
    target = Target.parse(args.target, clf.num_classes)
    pixels = clf.preprocessing.load(image_in)
    x = clf.preprocessing.to_model(pixels[None])
    truth = None
    if target.kind.value == "true":
        if args.truth is None:
            raise ValueError("--target true needs --truth CLASS_INDEX")
        if not 0 <= args.truth < clf.num_classes:
            raise ValueError(f"--truth {args.truth} is outside 0-{clf.num_classes - 1} "
                             f"(the model has {clf.num_classes} classes)")
        truth = np.asarray([args.truth])
    bar = ProgressBar(attack.steps, f"{attack.name}")
    result = run_to_end(attack.run(clf, x, target, truth),
                        lambda rec: bar.update(note=f"loss {float(rec.loss[0]):.3f}"))
    bar.close()
    if result.problems[0]:
        print(f"attack failed: {result.problems[0]}", file=sys.stderr)
        return 2
    image = Image.fromarray(result.pixels[0])
    atomic_write_file(Path(args.out), lambda fh: image.save(fh, format="PNG"))
    print(f"target: {clf.classes.label(int(result.target[0]))} "
          f"({'towards' if result.direction[0] < 0 else 'away from'})")
    print(f"eps: {eps_units(attack.eps, clf.preprocessing.std)}")
    print("clean:")
    print("\n".join(top5_lines(clf, result.clean_probabilities[0])))
    print("adversarial (8-bit PNG, re-scored):")
    print("\n".join(top5_lines(clf, result.pixel_probabilities[0])))
    linf, l2, psnr = norms(pixels, result.pixels[0])
    print(f"perturbation: Linf {linf} levels, L2 {l2:.1f} levels, PSNR {psnr:.2f} dB")
    if result.queries_used is not None:
        flip = int(result.queries_to_flip[0])
        print(f"queries: {int(result.queries_used[0])} of {attack.queries}; top-1 changed "
              + (f"at query {flip}" if flip > 0 else "at none"))
    print(f"saved {args.out}")
    return 0
