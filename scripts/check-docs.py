#!/usr/bin/env python3
"""Checks every relative link (and #anchor) in the project's Markdown: the README is short and
points into docs/, so a moved or renamed page must not leave a dead link behind. Also fails on
a merge's conflict markers, which a compiler catches in code but nothing else does in prose.
Usage: check-docs.py [FILE.md ...]   (default: every tracked *.md outside tests/fuzz)"""
import os
import re
import subprocess
import sys


def slug(heading):
    # GitHub's anchors: lower case, punctuation other than '-' dropped, spaces to '-'.
    heading = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return heading.replace(" ", "-")


def lines_outside_fences(path):
    fenced = False
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def anchors(path):
    return {slug(line.lstrip("#")) for _, line in lines_outside_fences(path) if line.startswith("#")}


def main(files):
    bad = 0
    for path in files:
        for number, line in enumerate(open(path, encoding="utf-8"), 1):
            if line.startswith(("<<<<<<< ", ">>>>>>> ")):
                print(f"{path}:{number}: merge conflict marker")
                bad += 1
        for number, line in lines_outside_fences(path):
            for target in re.findall(r"\]\(([^)\s]+)\)", line):
                if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
                    continue
                file_part, _, anchor = target.partition("#")
                resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
                ok = os.path.exists(resolved)
                if ok and anchor and resolved.endswith(".md"):
                    ok = anchor in anchors(resolved)
                if not ok:
                    print(f"{path}:{number}: dead link {target}")
                    bad += 1
    print(f"check-docs: {len(files)} files, {bad} dead links or conflict markers")
    return 1 if bad else 0


if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    files = sys.argv[1:] or [f for f in subprocess.run(["git", "ls-files", "*.md"], capture_output=True,
                                                       text=True, check=True).stdout.split()
                             if not f.startswith("tests/fuzz/")]
    sys.exit(main(files))
