"""PyInstaller's entry script: PyInstaller wants a file, the app's real entry point is streamdoctor.__main__.main."""

import multiprocessing
import sys

if __name__ == "__main__":
    # The PAC evaluator runs in a spawned process (platform/pac.py). A frozen binary is started again for it, with
    # multiprocessing's own arguments: freeze_support() runs that child (or the resource tracker) and exits, instead
    # of the wizard starting a second time and argparse rejecting the arguments.
    multiprocessing.freeze_support()
    from streamdoctor.__main__ import main

    sys.exit(main())
