"""Run the firmware as a board boots it: bobby_cam.main() with the flash as working directory,
under CPython with the fakes of tests/firmware/fakes. (main.py's 3 s pause for Ctrl-C is left out.)

usage: python run_board.py FLASH_DIR UMQTT_DIR
The fake camera takes its frames from $BOBBY_FAKE_CAMERA_SOURCE.
"""

import gc
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "fakes"), str(HERE.parents[1] / "esp_firmware"), sys.argv[2]]
gc.mem_free = lambda: 3_500_000  # a port function CPython's gc does not have
os.chdir(sys.argv[1])

import bobby_cam  # noqa: E402

bobby_cam.main()
