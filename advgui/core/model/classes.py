"""Class names of a classifier: from the model's metadata, a labels file, or plain indices."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

META_KEY = "advgui.classes"


@dataclass(frozen=True)
class ClassList:
    ids: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]]) -> "ClassList":
        return cls(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))

    @classmethod
    def numbered(cls, count: int) -> "ClassList":
        return cls(tuple(str(i) for i in range(count)), tuple(f"class {i}" for i in range(count)))

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> "ClassList | None":
        text = meta.get(META_KEY)
        if not text:
            return None
        return cls.from_pairs([tuple(line.split("\t", 1)) for line in text.split("\n")])  # type: ignore[misc]

    @classmethod
    def from_file(cls, path: Path) -> "ClassList":
        """A labels file: one name per line, or TSV/CSV rows of (index,) id, name."""
        text = Path(path).read_text(encoding="utf-8-sig").splitlines()
        rows = [r for r in text if r.strip()]
        if not rows:
            raise ValueError(f"labels file {path} is empty")
        delimiter = "\t" if "\t" in rows[0] else ("," if "," in rows[0] else None)
        if delimiter is None:
            return cls(tuple(str(i) for i in range(len(rows))), tuple(r.strip() for r in rows))
        parsed = list(csv.reader(rows, delimiter=delimiter))
        if parsed[0][0].strip().lower() in ("index", "id", "wnid", "class"):
            parsed = parsed[1:]
        if all(len(r) >= 3 for r in parsed):
            return cls.from_pairs([(r[1].strip(), r[2].strip()) for r in parsed])
        return cls.from_pairs([(r[0].strip(), r[-1].strip()) for r in parsed])

    def to_metadata(self) -> dict[str, str]:
        return {META_KEY: "\n".join(f"{i}\t{n}" for i, n in zip(self.ids, self.names))}

    def __len__(self) -> int:
        return len(self.names)

    def label(self, index: int) -> str:
        return f"{index} ({self.names[index]})"

    def index_of(self, key: str) -> int | None:
        """Index of a class id (e.g. a wnid) or exact name, case-insensitive for names."""
        if key in self.ids:
            return self.ids.index(key)
        lowered = key.lower()
        for i, n in enumerate(self.names):
            if n.lower() == lowered:
                return i
        return None
