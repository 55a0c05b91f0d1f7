"""Package the plugin as one executable file (a zipapp): hull runs each file
of a plugin directory, so the generated code travels inside it.

    python3 build.py OUT [INTERPRETER]
"""

import os
import pathlib
import sys
import zipapp

here = pathlib.Path(__file__).resolve().parent
out = sys.argv[1]
interpreter = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/python3"
zipapp.create_archive(here, out, interpreter=interpreter,
                      filter=lambda p: len(p.parts) == 1 and p.suffix == ".py" and p.name != "build.py")
os.chmod(out, 0o755)
