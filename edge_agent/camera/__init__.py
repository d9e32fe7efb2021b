"""`bobby-edge camera`: a Raspberry Pi (or any Linux box with a camera) as a Bobby camera.

`sources` turns picamera2, V4L2 webcams, video files and RTSP/HTTP streams into one frame
interface; `dumb` publishes JPEG frames for listen_frame; `smart` detects on the camera itself.
"""
