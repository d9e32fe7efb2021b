# Runs at every boot (after boot.py). The pause is the way back to a REPL without the watchdog:
# press Ctrl-C within it (mpremote does so when it connects right after a reset).
import utime

print("bobby_cam starts in 3 s; Ctrl-C for the REPL")
utime.sleep(3)

import bobby_cam

bobby_cam.main()
