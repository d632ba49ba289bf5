"""Audio in: decoding wire and file formats to 16 kHz mono, resampling, voice activity."""
