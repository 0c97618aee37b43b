"""What the Pulumi CLI runs for every stack of mlops-platform: `program.main()` (program/stack.py) reads the
stack's settings and the models/ catalogue and registers the stack through `program.build`."""

import program

program.main()
