#!/usr/bin/python3
"""Checks the house's walls on the compiled objects, so that what is
checked is what is linked, not what a reader guesses from the includes:

  1. layers: a file uses only its own folder and the folders below it
     (ngx_scep_module/ -> portal/ -> agent-proto/ -> scep/, ldap/; agent/
     -> agent-proto/, scep/; verify/ -> scep/), judged by its #include
     lines;
  2. circles: no two object files need each other, directly or through
     others, judged by the symbols each defines and uses (nm).

    /usr/bin/python3 tools/check_layers.py OBJECT_DIR...

Prints each violation and exits 1, or prints a summary and exits 0.
"""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

# What each folder may include besides itself and system headers.
ALLOWED = {
    "ngx_scep_module": {"portal", "agent-proto", "scep", "ldap"},
    "portal": {"agent-proto", "scep", "ldap"},
    "agent-proto": {"scep", "ldap"},
    "agent": {"agent-proto", "scep"},
    "verify": {"scep"},
    "scep": set(),
    "ldap": set(),
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def folder_of(path):
    return os.path.relpath(path, REPO).split(os.sep)[0]


def check_includes():
    problems = []
    for folder, allowed in ALLOWED.items():
        top = os.path.join(REPO, folder)
        for name in sorted(os.listdir(top)):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(top, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for header in INCLUDE.findall(text):
                parts = header.split("/")
                target = parts[0] if len(parts) > 1 else folder
                if target != folder and target not in allowed:
                    problems.append(f"layer: {folder}/{name} includes "
                                    f'"{header}" (a layer above, or beside)')
    return problems


def symbols(obj):
    """(defined, undefined) global symbols of an object file."""
    out = subprocess.run(["nm", "-P", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        name, kind = fields[0], fields[1]
        if kind == "U":
            undefined.add(name)
        elif kind in "TDBRVWC":
            defined.add(name)
    return defined, undefined


# Every file of an nginx module names the module itself (to find its
# configuration); that is the module's identity, not a dependency.
IDENTITY = {"ngx_http_scep_module"}


def check_circles(objects):
    owner = {}
    uses = {}
    for obj in objects:
        defined, undefined = symbols(obj)
        for name in defined - IDENTITY:
            owner[name] = obj
        uses[obj] = undefined

    edges = {obj: set() for obj in objects}
    for obj, undefined in uses.items():
        for name in undefined:
            other = owner.get(name)
            if other is not None and other != obj:
                edges[obj].add(other)

    # Tarjan's strongly connected components: any with two or more
    # files is a circle.
    index, low, stack, on_stack, circles = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)

    return [f"circle: {' <-> '.join(os.path.basename(o) for o in c)}"
            for c in circles], sum(len(e) for e in edges.values())


def main(dirs):
    objects = []
    for d in dirs:
        for root, _, files in os.walk(d):
            objects += [os.path.join(root, f) for f in files
                        if f.endswith(".o")]
    if not objects:
        print(f"check_layers: no object files in {' '.join(dirs)}: "
              "build first", file=sys.stderr)
        return 1

    problems = check_includes()
    circles, nedges = check_circles(sorted(objects))
    problems += circles

    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"layers: {len(ALLOWED)} folders, every #include points down; "
          f"circles: none among {len(objects)} object files "
          f"({nedges} uses between them)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
