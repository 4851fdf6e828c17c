#!/usr/bin/env python3
"""What takes the room in a wasm module: code bytes per crate (from the `name` section, so
build without stripping) and the size of the data segments (tables, embedded rule packs).
No wasm tooling needed. For names, build without stripping:

    CARGO_PROFILE_WASM_RELEASE_STRIP=false cargo build --lib --target wasm32-unknown-unknown \
        --profile wasm-release --target-dir target/wasm-names
    python3 scripts/wasm_sizes.py target/wasm-names/wasm32-unknown-unknown/wasm-release/promptfence.wasm [top N]
"""
import re
import sys
from collections import Counter


def leb(buf, pos):
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def sections(buf):
    pos = 8
    while pos < len(buf):
        sid = buf[pos]
        size, pos = leb(buf, pos + 1)
        yield sid, buf[pos : pos + size]
        pos += size


KNOWN = None


def crate_of(name):
    """The crate a (mangled or plain) Rust function name belongs to: the first path segment,
    or for `<A as B>::f` impls the crate of A."""
    if name.startswith("_ZN"):
        parts, p = [], 3
        while p < len(name) and name[p].isdigit():
            q = p
            while name[q].isdigit():
                q += 1
            n = int(name[p:q])
            parts.append(name[q : q + n])
            p = q + n
        path = "::".join(parts).replace("$LT$", "<").replace("$GT$", ">").replace("..", "::")
        path = path.replace("$u20$", " ").replace("$RF$", "&").replace("$C$", ",")
        m = re.search(r"([a-z_][a-z0-9_]*)::", path)
        return m.group(1) if m else path[:40]
    if name.startswith("_R"):
        m = re.search(r"C[sh]?[0-9a-zA-Z]*_(\d+)([a-z_][a-z0-9_]*)", name)
        if m:
            return m.group(2)[: int(m.group(1))]
    m = re.search(r"(?:^|[<\s(&*])_?([a-z_][a-z0-9_]*)::", name)
    return m.group(1) if m else name.split("::")[0][:40]


def main():
    buf = open(sys.argv[1], "rb").read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    imported_funcs = 0
    bodies = []
    names = {}
    data_bytes = 0
    section_sizes = Counter()
    for sid, body in sections(buf):
        label = {0: "custom", 1: "type", 2: "import", 3: "function", 7: "export", 10: "code", 11: "data"}.get(sid, str(sid))
        if sid == 2:
            count, p = leb(body, 0)
            for _ in range(count):
                for _ in range(2):
                    n, p = leb(body, p)
                    p += n
                kind = body[p]
                p += 1
                if kind == 0:
                    imported_funcs += 1
                    _, p = leb(body, p)
                elif kind == 1:
                    p += 1
                    flags, p = leb(body, p)
                    _, p = leb(body, p)
                    if flags & 1:
                        _, p = leb(body, p)
                elif kind == 2:
                    flags, p = leb(body, p)
                    _, p = leb(body, p)
                    if flags & 1:
                        _, p = leb(body, p)
                elif kind == 3:
                    p += 2
        elif sid == 10:
            count, p = leb(body, 0)
            for _ in range(count):
                size, p = leb(body, p)
                bodies.append(size)
                p += size
        elif sid == 11:
            data_bytes = len(body)
        elif sid == 0:
            n, p = leb(body, 0)
            name = body[p : p + n].decode()
            label = f"custom:{name}"
            p += n
            if name == "name":
                while p < len(body):
                    sub = body[p]
                    size, p = leb(body, p + 1)
                    end = p + size
                    if sub == 1:
                        count, q = leb(body, p)
                        for _ in range(count):
                            idx, q = leb(body, q)
                            n, q = leb(body, q)
                            names[idx] = body[q : q + n].decode(errors="replace")
                            q += n
                    p = end
        section_sizes[label] += len(body)

    per_crate = Counter()
    for i, size in enumerate(bodies):
        name = names.get(imported_funcs + i, "?")
        per_crate[crate_of(name)] += size
    code = sum(bodies)
    print(f"{sys.argv[1]}: {len(buf)} bytes; code {code}, data {data_bytes}")
    for label, size in section_sizes.most_common():
        print(f"  section {label:<24} {size:>9}")
    if not names:
        print("  (no name section: build unstripped to see code per crate)")
        return
    print(f"code by crate (top {top}):")
    for crate, size in per_crate.most_common(top):
        print(f"  {crate:<28} {size:>9}  {100 * size / code:5.1f}%")


if __name__ == "__main__":
    main()
