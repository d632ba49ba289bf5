"""Call recordings: both legs in one two-channel file per call, silenced where card numbers were said."""
