"""Where the comparison's and the archive benchmark's results live, and how they are gathered."""
