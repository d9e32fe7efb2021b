"""Bobby Camera edge agent: detection engine, cameras and the listen_frame detector."""

__version__ = "0.1.0"
