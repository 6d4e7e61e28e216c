"""Hostile image files, generated here: each loads as upright RGB or fails with one clear line."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from advgui.core.model.images import ImageError, load_rgb
from advgui.core.records.inputs import list_image_files


def _photo(w: int = 40, h: int = 30) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def _bytes(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


GOOD = {
    "cmyk.jpg": lambda: _bytes(_photo().convert("CMYK"), "JPEG"),
    "gray.png": lambda: _bytes(_photo().convert("L"), "PNG"),
    "palette_transparent.png": lambda: _bytes(_photo().convert("P"), "PNG", transparency=0),
    "rgba.png": lambda: _bytes(_photo().convert("RGBA"), "PNG"),
    "one_pixel.png": lambda: _bytes(Image.new("RGB", (1, 1), (9, 9, 9)), "PNG"),
    "animated.gif": lambda: _bytes(_photo().convert("P"), "GIF", save_all=True,
                                   append_images=[_photo(40, 30).convert("P")], duration=100),
    "photo.webp": lambda: _bytes(_photo(), "WEBP", lossless=True),
    "photo.tiff": lambda: _bytes(_photo(), "TIFF"),
    "photo.bmp": lambda: _bytes(_photo(), "BMP"),
    "ünïcødé name with spaces.png": lambda: _bytes(_photo(), "PNG"),
}
BAD = {
    "empty.jpg": (lambda: b"", "empty file"),
    "text.jpg": (lambda: b"hello, I am not a picture\n", "not an image"),
    "truncated.jpg": (lambda: _bytes(_photo(400, 300), "JPEG")[:2000], "truncated"),
    "truncated.png": (lambda: _bytes(_photo(400, 300), "PNG")[:3000], "truncated"),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_odd_but_valid_files_load_as_rgb(tmp_path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(GOOD[name]())
    im = load_rgb(path)
    assert im.mode == "RGB" and im.size[0] >= 1


@pytest.mark.parametrize("name", sorted(BAD))
def test_broken_files_fail_with_one_line(tmp_path, name: str) -> None:
    make, words = BAD[name]
    path = tmp_path / name
    path.write_bytes(make())
    with pytest.raises(ImageError, match=words) as info:
        load_rgb(path)
    assert "\n" not in str(info.value)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path) -> None:
    ramp = (np.arange(64 * 8, dtype=np.uint16).reshape(8, 64) * 128)
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)  # uint16 -> mode I;16
    rgb = np.asarray(load_rgb(path))
    assert rgb.max() > 200 and rgb.min() == 0 and len(np.unique(rgb)) > 100


def test_exif_rotation_is_applied(tmp_path) -> None:
    im = _photo(40, 30)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    path = tmp_path / "rotated.jpg"
    im.save(path, exif=exif.tobytes())
    assert load_rgb(path).size == (30, 40)


def test_decompression_bomb_is_refused(tmp_path) -> None:
    path = tmp_path / "bomb.png"
    Image.new("1", (12_000, 12_000)).save(path)  # 144 MP, tiny on disk
    with pytest.raises(ImageError, match="limit|too large"):
        load_rgb(path)


def test_broken_symlink_and_hidden_files(tmp_path) -> None:
    (tmp_path / "ok.png").write_bytes(_bytes(_photo(), "PNG"))
    (tmp_path / ".hidden.png").write_bytes(_bytes(_photo(), "PNG"))
    os.symlink(tmp_path / "missing.png", tmp_path / "dangling.png")
    files = list_image_files(tmp_path)
    assert [f.name for f in files] == ["dangling.png", "ok.png"]
    with pytest.raises(ImageError, match="not found"):
        load_rgb(tmp_path / "dangling.png")


def test_named_pipe_is_refused_without_waiting(tmp_path) -> None:
    os.mkfifo(tmp_path / "pipe.jpg")
    assert [f.name for f in list_image_files(tmp_path)] == ["pipe.jpg"]
    with pytest.raises(ImageError, match="not a regular file"):
        load_rgb(tmp_path / "pipe.jpg")


def test_a_folder_is_named_as_one(tmp_path) -> None:
    (tmp_path / "photos.jpg").mkdir()  # a folder with an image's name
    with pytest.raises(ImageError, match="a folder, not an image file"):
        load_rgb(tmp_path / "photos.jpg")


def test_unreadable_file_gives_permission_denied(tmp_path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "locked.png"
    path.write_bytes(_bytes(_photo(), "PNG"))
    path.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(ImageError, match="permission denied"):
            load_rgb(path)
        return
    # root reads everything: try as an unprivileged user in a forked child (no exec needed)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                load_rgb(path)
                message = "loaded"
            except ImageError as exc:
                message = str(exc)
            os.write(write_end, message.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as fh:
        assert fh.read() == "permission denied"


def huge_png(path, width: int, height: int) -> None:
    """A PNG that says it is width x height (its pixels are never reached: refused at open)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_a_20000_pixel_square_png_is_refused_in_plain_words(tmp_path) -> None:
    """Issue 24: Pillow's own refusal spoke of a "decompression bomb DOS attack"."""
    path = tmp_path / "poster.png"
    huge_png(path, 20_000, 20_000)
    with pytest.raises(ImageError) as refused:
        load_rgb(path)
    text = str(refused.value)
    assert "bomb" not in text and "DOS" not in text and "attack" not in text
    assert text.startswith("image too large: 400 megapixels, over the 120 megapixels")
    assert "shrink it" in text
    huge_png(path, 12_000, 12_000)  # over our limit, under Pillow's: the size is known
    with pytest.raises(ImageError, match=r"12000 × 12000 pixels \(144 megapixels\)"):
        load_rgb(path)
