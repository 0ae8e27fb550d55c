"""Decode an image and write a JPEG thumbnail, in a child process with an address-space and a
CPU-time cap (``thumbnail.py`` starts it). Imports nothing but Pillow, so it starts quickly.

``python -m query_module.files.thumbnail_child SOURCE DEST SIZE MEMORY_MB CPU_SECONDS``"""

from __future__ import annotations

import resource
import sys

MAX_PIXELS = 100_000_000  # beyond this Pillow refuses (decompression bomb)


def render(source: str, dest: str, size: int) -> None:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(source) as img:
        img.draft("RGB", (size, size))  # JPEG: decode at 1/2…1/8 scale, far less memory
        img = ImageOps.exif_transpose(img)
        img.thumbnail((size, size))
        if img.mode not in ("RGB", "L"):
            background = Image.new("RGB", img.size, "white")
            background.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
            img = background
        img.save(dest, "JPEG", quality=80, optimize=True)


if __name__ == "__main__":
    memory, cpu = int(sys.argv[4]) * 1024 * 1024, int(sys.argv[5])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    render(sys.argv[1], sys.argv[2], int(sys.argv[3]))
