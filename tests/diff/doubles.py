#!/usr/bin/python3
"""doubles.py -- evrec's doubles against Python's repr() (run by run.sh).

Reads lines "<16 hex digits: the double's bits> <evrec's JSON of it>" (from
`diffdriver doubles SEED N`) and checks each number:

    reads-back  float(text) is the double, bit for bit (sign included)
    shortest    text has the digits of repr(): the fewest that read back,
                the nearest of those (Python uses David Gay's dtoa, mode 0)

Only the digits and the decimal exponent are compared: the layout differs
on purpose (evrec prints 1e+16 and 1234 where repr prints 1e+16 and
1234.0; both are JSON numbers).

Prints one FAIL line per failed number (at most 20) and the summary
`doubles: N passed, M failed`; exits 1 on any failure.
"""

import struct
import sys


def digits_exp(text):
    """(negative, significant digits, exponent of the last digit)."""
    s = text.strip().lower()
    neg = s.startswith("-")
    s = s.lstrip("+-")
    exp = 0
    if "e" in s:
        s, e = s.split("e")
        exp = int(e)
    if "." in s:
        whole, frac = s.split(".")
    else:
        whole, frac = s, ""
    digits = (whole + frac).lstrip("0")
    exp -= len(frac)
    stripped = digits.rstrip("0")
    exp += len(digits) - len(stripped)
    return neg, stripped, exp


def main(path):
    passed = failed = 0
    with open(path) as f:
        for line in f:
            hexbits, text = line.split(None, 1)
            v = struct.unpack(">d", bytes.fromhex(hexbits))[0]
            why = None
            try:
                back = float(text)
            except ValueError:
                why = "not a number"
            else:
                if struct.pack(">d", back) != struct.pack(">d", v):
                    why = "reads back as %r" % back
                elif digits_exp(text) != digits_exp(repr(v)):
                    why = "repr() is %s" % repr(v)
            if why:
                failed += 1
                if failed <= 20:
                    print("FAIL doubles %s %s: %s" % (hexbits, text.strip(), why))
            else:
                passed += 1
    print("doubles: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: doubles.py FILE\n")
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
