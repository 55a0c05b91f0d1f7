"""hull-checksum: an example hull instruction plugin in Python (CHECKSUM).

Run as a zipapp built by `make python-plugin`, or as
`python3 examples/python-plugin` under hull; see checksum.py for the
instruction and hullplugin.py for the protocol.
"""

import checksum
import hullplugin

if __name__ == "__main__":
    hullplugin.serve(checksum.Checksum())
