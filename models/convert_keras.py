"""Convert Keras' original InceptionV3 weights into an ONNX classifier advgui can attack.

    python models/convert_keras.py inception_v3_weights_tf_dim_ordering_tf_kernels.h5 \
        --out ~/inception_v3_keras.onnx
    advgui-cli classify photo.jpg --model ~/inception_v3_keras.onnx

The file is Google's full classifier (no distillation); advgui never downloads it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advgui.core.model.classes import ClassList  # noqa: E402
from advgui.zoo.external import save_split  # noqa: E402
from advgui.zoo.inception_v3 import KERAS_PREPROCESSING, build_inception_v3  # noqa: E402
from advgui.zoo.keras_h5 import read_keras_inception  # noqa: E402
from advgui.zoo.sources import Shared, default_shared, read_classes  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("h5", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--classes", type=Path, default=Shared(default_shared()).classes_tsv,
                    help="imagenet-classes.tsv (index, wnid, name in model order)")
    args = ap.parse_args(argv)
    layers, head = read_keras_inception(args.h5)
    if head is None:
        print("this h5 has no 'predictions' layer (a notop file?): nothing to classify with",
              file=sys.stderr)
        return 2
    classes = ClassList.from_pairs(read_classes(args.classes))
    model = build_inception_v3(layers, last_block_pool="avg", preprocessing=KERAS_PREPROCESSING,
                               head=head, metadata={**classes.to_metadata(),
                                                    "advgui.title": "InceptionV3 (Keras)"},
                               doc=f"InceptionV3 converted from {args.h5.name}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_split(model, args.out, lambda _n: args.out.stem + ".weights")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
