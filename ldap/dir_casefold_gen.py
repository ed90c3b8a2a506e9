#!/usr/bin/python3
"""Writes ldap/dir_casefold_table.h: Unicode full case folding.

Every code point whose str.casefold() differs from itself, as Python's
unicodedata knows them (CaseFolding.txt, statuses C and F), sorted for a
binary search.  Run it again with a newer Python for a newer Unicode:

    /usr/bin/python3 ldap/dir_casefold_gen.py > ldap/dir_casefold_table.h
"""

import sys
import unicodedata


def main():
    rows = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        folded = chr(cp).casefold()
        if folded != chr(cp):
            to = [ord(c) for c in folded] + [0] * (3 - len(folded))
            rows.append((cp, to))

    out = sys.stdout
    out.write("/*\n * Unicode %s full case folding, written by "
              "dir_casefold_gen.py:\n * do not edit.\n */\n\n"
              % unicodedata.unidata_version)
    out.write("#define DIR_CASEFOLD_UNICODE  \"%s\"\n\n"
              % unicodedata.unidata_version)
    out.write("static const dir_casefold_t  dir_casefold_table[] = {\n")
    for cp, to in rows:
        out.write("    { 0x%05x, { 0x%05x, 0x%04x, 0x%04x } },\n"
                  % (cp, to[0], to[1], to[2]))
    out.write("};\n")


if __name__ == "__main__":
    main()
