#!/usr/bin/env python3
"""Lists the import cycles among Convene's source files.

Reads every `crate::…` path in src/ (in `use` lines and inline), resolves each to the file
that defines it, and prints the strongly connected components of the resulting graph that
hold more than one file. Exits 1 when there is any, so CI can keep the layering honest.
Tests (`#[cfg(test)]` modules at the end of a file) are ignored: they may reach anywhere.
"""
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def module_of(path: Path) -> tuple:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def source_without_tests(text: str) -> str:
    marker = re.search(r"^#\[cfg\(test\)\]\s*\n\s*mod tests", text, re.M)
    return text[: marker.start()] if marker else text


def crate_paths(text: str, module: tuple = ()):
    # `use crate::a::{b, c::d}`, inline `crate::a::b::item`, and `super::…` from `module`.
    pattern = r"\b(crate::|(?:super::)+)((?:\w+::)*\w+)(::\{([^;]*?)\})?"
    for match in re.finditer(pattern, text, re.S):
        if match.group(1) == "crate::":
            base = match.group(2).split("::")
        else:
            ups = match.group(1).count("super")
            base = list(module[: len(module) - ups]) + match.group(2).split("::")
        yield base
        if match.group(4):
            for item in re.split(r",", match.group(4)):
                item = item.strip()
                if item and item != "self":
                    yield base + re.split(r"::|\s", item)[: -1 or None]


def main() -> int:
    files = {module_of(p): p for p in SRC.rglob("*.rs")}
    graph = {m: set() for m in files}
    for module, path in files.items():
        for parts in crate_paths(source_without_tests(path.read_text()), module):
            # The longest prefix of the path that names a file is the file it reaches.
            for n in range(len(parts), 0, -1):
                target = tuple(parts[:n])
                if target in files:
                    if target != module and not module[: len(target)] == target:
                        graph[module].add(target)
                    break
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in graph:
        if node not in index:
            visit(node)
    for component in found:
        names = ["/".join(m) + ".rs" for m in component]
        print(f"import cycle among {len(names)} files: " + ", ".join(names))
    if not found:
        print(f"no import cycles among {len(files)} source files")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
