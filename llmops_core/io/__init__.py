"""Pure import readers and export writers: plain data in and out, never Django."""
