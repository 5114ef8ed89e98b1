"""What a tree is and how it is made: decide everything (``plan``), then write it (``write``).

``plan`` reads the ISO and the host and writes nothing in the target;
``write`` carries the plan out whole or not at all; ``result`` is what the
caller gets back.  ``livepxe convert --plan`` prints the plan: a dry run.
"""
